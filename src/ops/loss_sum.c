/* The training loss: a weighted sum of scalar losses. */
#include "op_helpers.h"

static int sum_shape(const pn_shape *in, size_t n_in, pn_op_attr *a, pn_shape *out,
                     pn_op_sizes *sz)
{
    (void)a;
    (void)sz;
    for (size_t i = 0; i < n_in; i++)
        if (in[i].rmul != 0)
            return 0;
    *out = (pn_shape){.rmul = 0, .c = 1, .h = 1, .w = 1};
    return n_in > 0;
}

static void sum_forward(const pn_op_call *c)
{
    float s = 0.0f;
    for (size_t i = 0; i < c->n_in; i++)
        s += c->a->sum.weight[i] * c->in[i].val[0];
    c->out.val[0] = s;
}

static void sum_backward(const pn_op_call *c)
{
    for (size_t i = 0; i < c->n_in; i++)
        if (c->in[i].grad)
            c->in[i].grad[0] += c->a->sum.weight[i] * c->out.grad[0];
}

const pn_op_desc pn_op_loss_sum = {
    .name = "loss_sum",
    .shape = sum_shape,
    .forward = sum_forward,
    .backward = sum_backward,
};
