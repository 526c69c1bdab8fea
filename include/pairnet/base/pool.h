/* A small persistent pthread pool: threads are created once and wait on a
 * condition variable, so an op can fan out without creating threads. */
#ifndef PAIRNET_POOL_H
#define PAIRNET_POOL_H

#include <stddef.h>

typedef struct pn_pool pn_pool;

/* fn(ctx, i) for i in [0, n): called exactly once per i, spread over the
 * pool's threads plus the caller. Returns when all calls have returned.
 * A run started from inside a task, or from a second thread while one is in
 * flight, runs inline on its caller. Idle workers spin (PAUSE, then
 * sched_yield) for about 2 ms after a job before sleeping, to bridge the
 * gaps between the GEMMs of one step: they use CPU meanwhile. */
typedef void (*pn_task_fn)(void *ctx, size_t i);

/* nthreads total workers including the caller (1 = run inline). NULL on failure. */
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
