#include "pairnet/base/pool.h"

typedef struct range_job {
    pn_range_fn fn;
    void *ctx;
    size_t n, parts;
} range_job;

static void run_part(void *arg, size_t i)
{
    const range_job *j = arg;
    const size_t begin = j->n * i / j->parts, end = j->n * (i + 1) / j->parts;
    if (begin < end)
        j->fn(j->ctx, begin, end);
}

void pn_pool_for(pn_pool *p, size_t n, pn_range_fn fn, void *ctx)
{
    const size_t parts = pn_pool_size(p) < n ? pn_pool_size(p) : n;
    if (parts <= 1) {
        if (n)
            fn(ctx, 0, n);
        return;
    }
    range_job j = {fn, ctx, n, parts};
    pn_pool_run(p, parts, run_part, &j);
}
