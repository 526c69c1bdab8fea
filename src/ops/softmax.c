/* Softmax over each row (max-shifted, so exp never overflows). */
#include "pairnet/base/mathf.h"

#include "op_helpers.h"
#include "pairnet/ops/kernels.h"

void pn_softmax_forward(float *out, const float *in, size_t R, size_t K)
{
    for (size_t r = 0; r < R; r++) {
        const float *z = in + r * K;
        float *y = out + r * K;
        float mx = z[0];
        for (size_t j = 1; j < K; j++)
            mx = z[j] > mx ? z[j] : mx;
        float s = 0.0f;
        for (size_t j = 0; j < K; j++) {
            y[j] = pn_expf(z[j] - mx);
            s += y[j];
        }
        const float inv = 1.0f / s;
        for (size_t j = 0; j < K; j++)
            y[j] *= inv;
    }
}

void pn_softmax_backward(float *din, const float *dout, const float *out, size_t R, size_t K)
{
    for (size_t r = 0; r < R; r++) {
        const float *y = out + r * K, *dy = dout + r * K;
        float dot = 0.0f;
        for (size_t j = 0; j < K; j++)
            dot += dy[j] * y[j];
        for (size_t j = 0; j < K; j++)
            din[r * K + j] += y[j] * (dy[j] - dot);
    }
}

static void softmax_forward(const pn_op_call *c)
{
    pn_softmax_forward(c->out.val, c->in[0].val, c->out.rows, pn_row_size(&c->out));
}

static void softmax_backward(const pn_op_call *c)
{
    if (c->in[0].grad)
        pn_softmax_backward(c->in[0].grad, c->out.grad, c->out.val, c->out.rows,
                            pn_row_size(&c->out));
}

const pn_op_desc pn_op_softmax = {
    .name = "softmax",
    .shape = pn_shape_same,
    .forward = softmax_forward,
    .backward = softmax_backward,
};
