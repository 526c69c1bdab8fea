/* Persistent thread pool.
 *
 * One 64-bit atomic `state` carries the job protocol:
 *   bits 33..63  generation, bumped for every job (and for shutdown)
 *   bit  32      OPEN: workers may still join the current job
 *   bits  0..31  number of workers that joined and have not finished
 *
 * pn_pool_run writes the job, publishes a new generation with OPEN set,
 * wakes the workers and takes indices from the shared counter itself. When
 * the counter runs out it clears OPEN and waits only for the workers that
 * actually joined. A worker joins by incrementing the count while the
 * generation it saw is still current and OPEN (one CAS), so a worker that
 * wakes late never touches the job, and the caller never waits for a
 * sleeping thread to wake up just to find nothing left to do, which on a VM
 * can cost more than a small job itself.
 *
 * Idle workers spin (PAUSE, then sched_yield, which keeps the vCPU awake
 * but lets any other runnable thread have it) for two milliseconds, long
 * enough to bridge the gaps between the GEMMs of a training step, before
 * sleeping on a condition variable.
 *
 * Memory ordering: the job fields are written before the release store of
 * the new generation and read only after a successful acquire CAS that
 * joins it; a worker's writes happen before its release decrement, which
 * the caller reads with acquire before returning. */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/base/pool.h"
#include "pairnet/base/clock.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

#define GEN_SHIFT 33
#define OPEN ((uint64_t)1 << 32)
#define JOINED_MASK (OPEN - 1)

/* Spin budget before sleeping: SPIN_PAUSES rounds of PAUSE for back-to-back
 * jobs, then sched_yield until SPIN_SECONDS have passed (timed, since the
 * cost of a yield depends on how busy the CPU is). Yielding rather than
 * PAUSE-spinning matters when the scheduler has put a worker on the
 * caller's CPU: a yielding worker hands the CPU straight back, and since it
 * stays runnable the load balancer soon moves it to an idle CPU, where it
 * stays; a worker that sleeps is placed anew at every wake-up, and waking
 * an idle vCPU is slow. The budget is meant to bridge the gaps between the
 * GEMMs of a training step. With more threads than CPUs, spinning steals
 * CPU from threads with work: only a short yield phase then. */
#define SPIN_PAUSES 200
#define SPIN_SECONDS 2e-3
#define SPIN_SECONDS_OVERSUBSCRIBED 1e-4

struct pn_pool {
    size_t nthreads;    /* including the caller */
    int oversubscribed; /* more threads than online CPUs */
    pthread_t *threads;
    size_t started; /* worker threads running (nthreads - 1 once pn_pool_create succeeds) */
    int synced;     /* how many of mu, wake, done are initialized (0..3) */

    pthread_mutex_t mu;
    pthread_cond_t wake; /* workers: new generation */
    pthread_cond_t done; /* caller: last joined worker finished */

    /* The current job; written only while no worker is joined. */
    pn_task_fn fn;
    void *ctx;
    size_t count;
    atomic_size_t next;

    _Atomic uint64_t state;
    atomic_int stop;
    atomic_int busy; /* a job is running: nested or concurrent runs go inline */
};

static uint64_t generation(uint64_t s) { return s >> GEN_SHIFT; }

/* State of one spin-wait: PAUSE rounds done, then when yielding started
 * (negative: not yet). */
typedef struct {
    int pauses;
    double yield_start;
} spinner;

#define SPINNER_INIT { 0, -1.0 }

/* One step of a spin-wait; returns 0 once the budget is used up. */
static int spin_step(const pn_pool *p, spinner *s)
{
    if (!p->oversubscribed && s->pauses < SPIN_PAUSES) {
        s->pauses++;
        cpu_relax();
        return 1;
    }
    double t = pn_now();
    if (s->yield_start < 0)
        s->yield_start = t;
    else if (t - s->yield_start > (p->oversubscribed ? SPIN_SECONDS_OVERSUBSCRIBED : SPIN_SECONDS))
        return 0;
    sched_yield();
    return 1;
}

static void drain(pn_pool *p)
{
    for (;;) {
        size_t i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
        if (i >= p->count)
            return;
        p->fn(p->ctx, i);
    }
}

/* Waits until the generation differs from `seen`; returns the new one. */
static uint64_t wait_generation(pn_pool *p, uint64_t seen)
{
    spinner sp = SPINNER_INIT;
    for (;;) {
        uint64_t g = generation(atomic_load_explicit(&p->state, memory_order_acquire));
        if (g != seen)
            return g;
        if (!spin_step(p, &sp))
            break;
    }
    pthread_mutex_lock(&p->mu);
    uint64_t g;
    while ((g = generation(atomic_load_explicit(&p->state, memory_order_acquire))) == seen)
        pthread_cond_wait(&p->wake, &p->mu);
    pthread_mutex_unlock(&p->mu);
    return g;
}

/* Joins generation g if it is still open; returns 1 on success. */
static int join(pn_pool *p, uint64_t g)
{
    uint64_t s = atomic_load_explicit(&p->state, memory_order_relaxed);
    while (generation(s) == g && (s & OPEN))
        if (atomic_compare_exchange_weak_explicit(&p->state, &s, s + 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return 1;
    return 0;
}

static void leave(pn_pool *p)
{
    uint64_t s = atomic_fetch_sub_explicit(&p->state, 1, memory_order_acq_rel) - 1;
    if ((s & (OPEN | JOINED_MASK)) == 0) {
        /* Last one out of a closed job: the caller may be asleep. Signalling
         * under the mutex closes the window between its check and its
         * wait. */
        pthread_mutex_lock(&p->mu);
        pthread_cond_signal(&p->done);
        pthread_mutex_unlock(&p->mu);
    }
}

static void *worker(void *arg)
{
    pn_pool *p = arg;
    uint64_t seen = 0;
    for (;;) {
        seen = wait_generation(p, seen);
        if (atomic_load_explicit(&p->stop, memory_order_acquire))
            return NULL;
        if (join(p, seen)) {
            drain(p);
            leave(p);
        }
    }
}

static int all_left(pn_pool *p)
{
    return (atomic_load_explicit(&p->state, memory_order_acquire) & JOINED_MASK) == 0;
}

/* Closes the current job to newcomers and waits for those who joined. */
static void close_and_wait(pn_pool *p)
{
    atomic_fetch_and_explicit(&p->state, ~OPEN, memory_order_acq_rel);
    spinner sp = SPINNER_INIT;
    while (!all_left(p))
        if (!spin_step(p, &sp)) {
            pthread_mutex_lock(&p->mu);
            while (!all_left(p))
                pthread_cond_wait(&p->done, &p->mu);
            pthread_mutex_unlock(&p->mu);
            return;
        }
}

/* Starts a new generation (OPEN or not) and wakes the sleepers. No worker
 * is joined at this point, so the count bits are zero. */
static void publish(pn_pool *p, uint64_t open)
{
    uint64_t g = generation(atomic_load_explicit(&p->state, memory_order_relaxed)) + 1;
    pthread_mutex_lock(&p->mu);
    atomic_store_explicit(&p->state, (g << GEN_SHIFT) | open, memory_order_release);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
}

/* Starts the nthreads - 1 workers of p, all or none: on failure the ones
 * already running are left for pn_pool_free to stop. */
static int start_workers(pn_pool *p, pn_err *err)
{
    const size_t want = p->nthreads - 1;
    if (want > SIZE_MAX / sizeof *p->threads ||
        !(p->threads = calloc(want, sizeof *p->threads)))
        return pn_fail(err, PN_ERR_RUNTIME, "thread pool: out of memory for %zu threads",
                       p->nthreads);
    int e = pthread_mutex_init(&p->mu, NULL);
    if (e == 0) {
        p->synced = 1;
        e = pthread_cond_init(&p->wake, NULL);
    }
    if (e == 0) {
        p->synced = 2;
        e = pthread_cond_init(&p->done, NULL);
    }
    if (e != 0)
        return pn_fail(err, PN_ERR_RUNTIME, "thread pool: cannot initialize its %s: %s",
                       p->synced ? "condition variables" : "mutex", strerror(e));
    p->synced = 3;
    for (; p->started < want; p->started++)
        if ((e = pthread_create(&p->threads[p->started], NULL, worker, p)) != 0)
            return pn_fail(err, PN_ERR_RUNTIME,
                           "thread pool: pthread_create failed after %zu of %zu worker "
                           "threads: %s (fewer threads may work)",
                           p->started, want, strerror(e));
    return PN_OK;
}

int pn_pool_create(size_t nthreads, pn_pool **out, pn_err *err)
{
    *out = NULL;
    if (nthreads < 1)
        nthreads = 1;
    pn_pool *p = calloc(1, sizeof *p);
    if (!p)
        return pn_fail(err, PN_ERR_RUNTIME, "thread pool: out of memory");
    p->nthreads = nthreads;
    p->oversubscribed = nthreads > pn_cpu_count();
    atomic_init(&p->next, 0);
    atomic_init(&p->state, 0);
    atomic_init(&p->stop, 0);
    atomic_init(&p->busy, 0);
    if (nthreads > 1) {
        int rc = start_workers(p, err);
        if (rc != PN_OK) {
            pn_pool_free(p);
            return rc;
        }
    }
    *out = p;
    return PN_OK;
}

pn_pool *pn_pool_new(size_t nthreads)
{
    pn_pool *p;
    return pn_pool_create(nthreads, &p, NULL) == PN_OK ? p : NULL;
}

/* Also takes apart a pool whose start_workers failed halfway. */
void pn_pool_free(pn_pool *p)
{
    if (!p)
        return;
    if (p->started > 0) { /* implies synced == 3 */
        atomic_store_explicit(&p->stop, 1, memory_order_release);
        publish(p, 0);
        for (size_t i = 0; i < p->started; i++)
            pthread_join(p->threads[i], NULL);
    }
    if (p->synced > 2)
        pthread_cond_destroy(&p->done);
    if (p->synced > 1)
        pthread_cond_destroy(&p->wake);
    if (p->synced > 0)
        pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p);
}

size_t pn_pool_size(const pn_pool *p) { return p ? p->nthreads : 1; }

void pn_pool_run(pn_pool *p, size_t n, pn_task_fn fn, void *ctx)
{
    if (n == 0)
        return;
    /* A task that itself calls pn_pool_run on this pool (say, a GEMM
     * inside a per-image task), or a second thread running jobs at the same
     * time, finds the pool busy and runs its job inline instead of
     * corrupting the one in flight. */
    if (!p || p->nthreads == 1 || n == 1 ||
        atomic_exchange_explicit(&p->busy, 1, memory_order_acquire)) {
        for (size_t i = 0; i < n; i++)
            fn(ctx, i);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    p->count = n;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    publish(p, OPEN);
    drain(p);
    close_and_wait(p);
    atomic_store_explicit(&p->busy, 0, memory_order_release);
}

size_t pn_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (size_t)n : 1;
}
