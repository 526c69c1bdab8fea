/* Inverted dropout: in training each element is kept with probability 1-p
 * and scaled by 1/(1-p), so evaluation is the identity and needs no rescale.
 *
 * The mask is a pure function of (key, element index) -- a counter-based
 * hash, not a sequential generator -- so the same key gives the same mask
 * whatever the thread split, and a gradient check that runs forward many
 * times with one key sees one fixed function to differentiate. */
#include "pairnet/ops/kernels.h"

/* splitmix64's finalizer: a bijective mix with full avalanche. */
static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void pn_dropout_forward(float *out, float *mask, const float *in, size_t n, float p,
                        uint64_t key)
{
    /* keep when the top 24 bits, as a fraction of 2^24, are >= p */
    const uint64_t cut = (uint64_t)((double)p * 16777216.0);
    const float scale = 1.0f / (1.0f - p);
    const uint64_t base = mix(key);
    for (size_t i = 0; i < n; i++) {
        const float m = (mix(base ^ (uint64_t)i) >> 40) >= cut ? scale : 0.0f;
        mask[i] = m;
        out[i] = in[i] * m;
    }
}

void pn_dropout_backward(float *din, const float *dout, const float *mask, size_t n)
{
    for (size_t i = 0; i < n; i++)
        din[i] += dout[i] * mask[i];
}

/* ---- the op ---- */

#include <string.h>

#include "op_helpers.h"

static int dropout_shape(const pn_shape *in, size_t n_in, pn_op_attr *a, pn_shape *out,
                         pn_op_sizes *sz)
{
    pn_shape_same(in, n_in, a, out, sz);
    return a->dropout.p > 0.0f && a->dropout.p < 1.0f;
}

static void dropout_buffers(const pn_op_call *c, size_t len[PN_MAX_BUFS])
{
    len[0] = c->out.rows * pn_row_size(&c->out);
}

static void dropout_forward(const pn_op_call *c)
{
    const size_t n = c->out.rows * pn_row_size(&c->out);
    if (c->training)
        pn_dropout_forward(c->out.val, c->buf[0], c->in[0].val, n, c->a->dropout.p, c->key);
    else
        memcpy(c->out.val, c->in[0].val, n * sizeof(float));
}

static void dropout_backward(const pn_op_call *c)
{
    if (c->in[0].grad)
        pn_dropout_backward(c->in[0].grad, c->out.grad, c->buf[0],
                            c->out.rows * pn_row_size(&c->out));
}

const pn_op_desc pn_op_dropout = {
    .name = "dropout",
    .shape = dropout_shape,
    .buffers = dropout_buffers,
    .bufs = {"the mask of the last training forward (0 or 1/(1-p))"},
    .forward = dropout_forward,
    .backward = dropout_backward,
};
