/* The helpers the op descriptors share (op_helpers.h). */
#include <math.h>

#include "op_helpers.h"

int pn_shape_same(const pn_shape *in, size_t n_in, pn_op_attr *a, pn_shape *out,
                  pn_op_sizes *sz)
{
    (void)n_in;
    (void)a;
    (void)sz;
    *out = in[0];
    return 1;
}

void pn_init_fan_in(float *w, size_t nw, float *b, size_t nb, size_t fan, pn_rng *rng)
{
    const float a = 1.0f / sqrtf((float)fan);
    for (size_t j = 0; j < nw; j++)
        w[j] = pn_rng_sym(rng, a);
    for (size_t j = 0; j < nb; j++)
        b[j] = pn_rng_sym(rng, a);
}

void pn_init_bn(const pn_op_call *c, size_t channels)
{
    for (size_t i = 0; i < channels; i++) {
        c->w[i] = 1.0f;
        c->b[i] = 0.0f;
        c->state[i] = 0.0f;            /* running mean */
        c->state[channels + i] = 1.0f; /* running var */
    }
}
