/* A small persistent pthread pool: threads are created once and wait on a
 * condition variable, so an op can fan out without creating threads. */
#ifndef PAIRNET_POOL_H
#define PAIRNET_POOL_H

#include <stddef.h>

#include "pairnet/base/error.h"

typedef struct pn_pool pn_pool;

/* fn(ctx, i) for i in [0, n): called exactly once per i, spread over the
 * pool's threads plus the caller. Returns when all calls have returned.
 * A run started from inside a task, or from a second thread while one is in
 * flight, runs inline on its caller. Idle workers spin (PAUSE, then
 * sched_yield) for about 2 ms after a job before sleeping, to bridge the
 * gaps between the GEMMs of one step: they use CPU meanwhile. */
typedef void (*pn_task_fn)(void *ctx, size_t i);

/* A pool of nthreads workers including the caller (0 or 1: no threads, runs
 * inline). All nthreads - 1 threads start or none: on failure *out is NULL
 * and err says what failed (out of memory, pthread_mutex_init /
 * pthread_cond_init, or pthread_create after how many threads). Returns 0 or
 * PN_ERR_RUNTIME. */
int pn_pool_create(size_t nthreads, pn_pool **out, pn_err *err);
/* pn_pool_create without the message: the pool, or NULL on failure. */
pn_pool *pn_pool_new(size_t nthreads);
void pn_pool_free(pn_pool *p);
size_t pn_pool_size(const pn_pool *p); /* 1 for NULL */
void pn_pool_run(pn_pool *p, size_t n, pn_task_fn fn, void *ctx);

/* fn(ctx, begin, end) over [0, n) cut into one contiguous part per thread;
 * the parts depend only on n and the pool size, and each element belongs to
 * exactly one part, so per-element results do not depend on threading.
 * (src/base/pool_for.c) */
typedef void (*pn_range_fn)(void *ctx, size_t begin, size_t end);
void pn_pool_for(pn_pool *p, size_t n, pn_range_fn fn, void *ctx);

/* Online CPUs (at least 1). */
size_t pn_cpu_count(void);

#endif
