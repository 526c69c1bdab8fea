/* ReLU, elementwise; split over the pool when large (disjoint elements). */
#include "op_helpers.h"
#include "pairnet/ops/kernels.h"

void pn_relu_forward(float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

void pn_relu_backward(float *din, const float *dout, const float *out, size_t n)
{
    /* dout is read unconditionally: a conditional load is one the
     * baseline (SSE2) vectorizer will not speculate, and the loop would
     * stay a branch per element. */
    for (size_t i = 0; i < n; i++) {
        const float d = dout[i];
        din[i] += out[i] > 0.0f ? d : 0.0f;
    }
}

static void forward_part(void *arg, size_t b, size_t e)
{
    const pn_op_call *c = arg;
    pn_relu_forward(c->out.val + b, c->in[0].val + b, e - b);
}

static void backward_part(void *arg, size_t b, size_t e)
{
    const pn_op_call *c = arg;
    pn_relu_backward(c->in[0].grad + b, c->out.grad + b, c->out.val + b, e - b);
}

static void relu_forward(const pn_op_call *c)
{
    const size_t n = c->out.rows * pn_row_size(&c->out);
    pn_op_for(c, n, n, forward_part, (void *)c);
}

static void relu_backward(const pn_op_call *c)
{
    const size_t n = c->out.rows * pn_row_size(&c->out);
    if (c->in[0].grad)
        pn_op_for(c, n, n, backward_part, (void *)c);
}

const pn_op_desc pn_op_relu = {
    .name = "relu",
    .shape = pn_shape_same,
    .forward = relu_forward,
    .backward = relu_backward,
};
