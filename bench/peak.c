/* FMA peak microbenchmark: many independent accumulator chains so that the
 * FMA latency (4 cycles on Zen 4, 2 pipes) is covered and only throughput
 * limits the loop. */
#define _POSIX_C_SOURCE 200809L
#include "peak.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "pairnet/ops/kset.h"

/* The burst runs in the vector width of the kernel set in use (the binary
 * is built for the baseline ISA: the wider bursts carry their own target
 * attributes and only run where that set was chosen, i.e. is supported). */
#if defined(__x86_64__) && defined(__GNUC__)
#define PEAK_X86 1
#include <immintrin.h>
#endif

/* 12 chains: 4-cycle latency x 2 FMA pipes needs 8 in flight; 12 leaves
 * slack for issue jitter and, with the two constants, still fits the 16
 * ymm registers of AVX2 (16 chains spill there and halve the rate). */
#define PEAK_CHAINS 12


static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Runs `iters` rounds of PEAK_CHAINS vector FMAs; returns flops done. The
 * multiplier just below 1 keeps the values bounded and normal, so no
 * overflow or denormal slow path ever kicks in. The constants are read
 * through volatiles and the checksum is written to one, so the compiler
 * can neither drop the loop nor fold a chain that starts at the fixed
 * point of x = m x + a (clang does: it then times 11 chains as 12). */
static volatile float peak_m = 0.9999999f, peak_a = 1e-7f, peak_x0 = 0.25f;
#if defined(PEAK_X86)
__attribute__((target("avx512f"))) static double fma_burst_avx512(uint64_t iters)
{
    __m512 acc[PEAK_CHAINS];
    const __m512 m = _mm512_set1_ps(peak_m), a = _mm512_set1_ps(peak_a);
    const float x0 = peak_x0;
    for (int i = 0; i < PEAK_CHAINS; i++)
        acc[i] = _mm512_set1_ps(x0 + (float)i);
    for (uint64_t it = 0; it < iters; it++)
        for (int i = 0; i < PEAK_CHAINS; i++)
            acc[i] = _mm512_fmadd_ps(acc[i], m, a);
    __m512 s = acc[0];
    for (int i = 1; i < PEAK_CHAINS; i++)
        s = _mm512_add_ps(s, acc[i]);
    volatile float keep = _mm512_reduce_add_ps(s);
    (void)keep;
    return (double)iters * PEAK_CHAINS * 16 * 2;
}
__attribute__((target("avx2,fma"))) static double fma_burst_avx2(uint64_t iters)
{
    __m256 acc[PEAK_CHAINS];
    const __m256 m = _mm256_set1_ps(peak_m), a = _mm256_set1_ps(peak_a);
    const float x0 = peak_x0;
    for (int i = 0; i < PEAK_CHAINS; i++)
        acc[i] = _mm256_set1_ps(x0 + (float)i);
    for (uint64_t it = 0; it < iters; it++)
        for (int i = 0; i < PEAK_CHAINS; i++)
            acc[i] = _mm256_fmadd_ps(acc[i], m, a);
    __m256 s = acc[0];
    for (int i = 1; i < PEAK_CHAINS; i++)
        s = _mm256_add_ps(s, acc[i]);
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    float t = 0;
    for (int i = 0; i < 8; i++)
        t += lanes[i];
    volatile float keep = t;
    (void)keep;
    return (double)iters * PEAK_CHAINS * 8 * 2;
}
#endif

/* Scalar set: a multiply and an add per element (no FMA in the baseline
 * ISA), written so the compiler can vectorize across the chains: 32 floats
 * are 8 SSE registers, which clang can keep in registers (48 spill). */
static double fma_burst_portable(uint64_t iters)
{
    enum { W = 32 };
    float acc[W];
    const float m = peak_m, a = peak_a, x0 = peak_x0;
    for (int i = 0; i < W; i++)
        acc[i] = x0 + (float)i;
    for (uint64_t it = 0; it < iters; it++)
        for (int i = 0; i < W; i++)
            acc[i] = acc[i] * m + a;
    float t = 0;
    for (int i = 0; i < W; i++)
        t += acc[i];
    volatile float keep = t;
    (void)keep;
    return (double)iters * W * 2;
}

static double (*fma_burst)(uint64_t iters) = fma_burst_portable;

static void pick_burst(void)
{
#if defined(PEAK_X86)
    if (!strcmp(pn_kset_name(), "avx512"))
        fma_burst = fma_burst_avx512;
    else if (!strcmp(pn_kset_name(), "avx2"))
        fma_burst = fma_burst_avx2;
    else
#endif
        fma_burst = fma_burst_portable;
}

/* The measurement is split into rounds and the best round counts: the
 * peak is what the hardware can do, and a round that shared a core with
 * some other process says nothing about that. */
#define PEAK_ROUNDS 8
#define PEAK_SECONDS 0.2

/* Threads first wait on a gate (go = -1 tells them to quit, used when a
 * later thread cannot be created), then run the rounds in lockstep on a
 * barrier. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int go;
    pthread_barrier_t round;
    uint64_t iters; /* per thread per round */
} peak_shared;

static int gate_wait(peak_shared *g)
{
    pthread_mutex_lock(&g->mu);
    while (g->go == 0)
        pthread_cond_wait(&g->cv, &g->mu);
    int go = g->go;
    pthread_mutex_unlock(&g->mu);
    return go;
}

static void gate_open(peak_shared *g, int go)
{
    pthread_mutex_lock(&g->mu);
    g->go = go;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void *peak_thread(void *arg)
{
    peak_shared *g = arg;
    if (gate_wait(g) < 0)
        return NULL;
    for (int r = 0; r < PEAK_ROUNDS; r++) {
        pthread_barrier_wait(&g->round);
        fma_burst(g->iters);
        pthread_barrier_wait(&g->round);
    }
    return NULL;
}

/* Iteration count that takes about `seconds` on one thread. */
static uint64_t calibrate(double seconds)
{
    uint64_t iters = 1u << 12;
    for (;;) {
        double t0 = now_s();
        fma_burst(iters);
        double dt = now_s() - t0;
        if (dt > 0.005)
            return (uint64_t)((double)iters * seconds / dt) + 1;
        iters *= 2;
    }
}

/* Runs the rounds with the caller as thread 0; returns the best rate. */
static double run_rounds(peak_shared *g, size_t threads)
{
    double best = 0;
    for (int r = 0; r < PEAK_ROUNDS; r++) {
        pthread_barrier_wait(&g->round);
        double t0 = now_s();
        double flops = fma_burst(g->iters);
        pthread_barrier_wait(&g->round);
        double rate = flops * (double)threads / (now_s() - t0) * 1e-9;
        if (rate > best)
            best = rate;
    }
    return best;
}

double pn_fma_peak_gflops(size_t threads)
{
    enum { MAX_THREADS = 256 };
    if (threads < 1)
        threads = 1;
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    pick_burst();
    peak_shared g = { .go = 0, .iters = calibrate(PEAK_SECONDS / PEAK_ROUNDS) };
    pthread_t tid[MAX_THREADS];
    if (pthread_barrier_init(&g.round, NULL, (unsigned)threads) != 0)
        return 0;
    pthread_mutex_init(&g.mu, NULL);
    pthread_cond_init(&g.cv, NULL);
    size_t started = 1;
    while (started < threads && pthread_create(&tid[started], NULL, peak_thread, &g) == 0)
        started++;
    int ok = started == threads;
    gate_open(&g, ok ? 1 : -1);
    double best = ok ? run_rounds(&g, threads) : 0;
    for (size_t t = 1; t < started; t++)
        pthread_join(tid[t], NULL);
    pthread_cond_destroy(&g.cv);
    pthread_mutex_destroy(&g.mu);
    pthread_barrier_destroy(&g.round);
    return best;
}
