/* Helpers the op descriptors of src/ops share (not part of the API;
 * defined in op_helpers.c). */
#ifndef PAIRNET_OP_HELPERS_H
#define PAIRNET_OP_HELPERS_H

#include "pairnet/base/pool.h"
#include "pairnet/ops/op_desc.h"

/* Below this many values a memory-bound pass costs about what waking the
 * pool costs: it runs on the calling thread. */
#define PN_PAR_MIN_VALUES 32768

/* fn over [0, n) parts, on the pool when the pass touches `values` values
 * or more. The parts write disjoint outputs, so the bits do not depend on
 * the split. */
static inline void pn_op_for(const pn_op_call *c, size_t values, size_t n, pn_range_fn fn,
                             void *ctx)
{
    if (values < PN_PAR_MIN_VALUES)
        fn(ctx, 0, n);
    else
        pn_pool_for(c->pool, n, fn, ctx);
}

static inline size_t pn_row_size(const pn_tensor *t) { return t->c * t->h * t->w; }

/* Shape rule of an op whose output is its input's shape, without parameters. */
int pn_shape_same(const pn_shape *in, size_t n_in, pn_op_attr *a, pn_shape *out,
                  pn_op_sizes *sz);
/* Weights then biases U(-1/sqrt(fan), 1/sqrt(fan)) (linear and conv). */
void pn_init_fan_in(float *w, size_t nw, float *b, size_t nb, size_t fan, pn_rng *rng);
/* BatchNorm's gamma 1, beta 0, running mean 0, running variance 1 over c channels. */
void pn_init_bn(const pn_op_call *c, size_t channels);

#endif
