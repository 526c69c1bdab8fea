/* The ops that move samples between the pair layout [B, 2, ...] and the
 * tower layouts; they are what lets one shared tower see all 2B images as
 * one batch. */
#include <string.h>

#include "pairnet/ops/kernels.h"

static void add_to(float *d, const float *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] += s[i];
}

void pn_select_forward(float *out, const float *in, size_t B, size_t nch, size_t ch, size_t S)
{
    for (size_t b = 0; b < B; b++)
        memcpy(out + b * S, in + (b * nch + ch) * S, S * sizeof *out);
}

void pn_select_backward(float *din, const float *dout, size_t B, size_t nch, size_t ch, size_t S)
{
    for (size_t b = 0; b < B; b++)
        add_to(din + (b * nch + ch) * S, dout + b * S, S);
}

void pn_unstack_forward(float *out, const float *in, size_t B, size_t S)
{
    pn_select_forward(out, in, B, 2, 0, S);
    pn_select_forward(out + B * S, in, B, 2, 1, S);
}

void pn_unstack_backward(float *din, const float *dout, size_t B, size_t S)
{
    pn_select_backward(din, dout, B, 2, 0, S);
    pn_select_backward(din, dout + B * S, B, 2, 1, S);
}

void pn_restack_forward(float *out, const float *in, size_t B, size_t F)
{
    pn_concat_forward(out, in, in + B * F, B, F, F);
}

void pn_restack_backward(float *din, const float *dout, size_t B, size_t F)
{
    pn_concat_backward(din, din + B * F, dout, B, F, F);
}

void pn_concat_forward(float *out, const float *a, const float *b, size_t B, size_t Fa, size_t Fb)
{
    for (size_t r = 0; r < B; r++) {
        memcpy(out + r * (Fa + Fb), a + r * Fa, Fa * sizeof *out);
        memcpy(out + r * (Fa + Fb) + Fa, b + r * Fb, Fb * sizeof *out);
    }
}

void pn_concat_backward(float *da, float *db, const float *dout, size_t B, size_t Fa, size_t Fb)
{
    for (size_t r = 0; r < B; r++) {
        if (da)
            add_to(da + r * Fa, dout + r * (Fa + Fb), Fa);
        if (db)
            add_to(db + r * Fb, dout + r * (Fa + Fb) + Fa, Fb);
    }
}

/* ---- the ops ---- */

#include "op_helpers.h"

static int select_shape(const pn_shape *in, size_t n_in, pn_op_attr *a, pn_shape *out,
                        pn_op_sizes *sz)
{
    (void)n_in;
    (void)sz;
    *out = (pn_shape){.rmul = in->rmul, .c = 1, .h = in->h, .w = in->w};
    return a->select.channel < in->c;
}

static void select_forward(const pn_op_call *c)
{
    pn_select_forward(c->out.val, c->in[0].val, c->out.rows, c->in[0].c, c->a->select.channel,
                      pn_row_size(&c->out));
}

static void select_backward(const pn_op_call *c)
{
    if (c->in[0].grad)
        pn_select_backward(c->in[0].grad, c->out.grad, c->out.rows, c->in[0].c,
                           c->a->select.channel, pn_row_size(&c->out));
}

const pn_op_desc pn_op_select = {
    .name = "select",
    .shape = select_shape,
    .forward = select_forward,
    .backward = select_backward,
};

static int unstack_shape(const pn_shape *in, size_t n_in, pn_op_attr *a, pn_shape *out,
                         pn_op_sizes *sz)
{
    (void)n_in;
    (void)a;
    (void)sz;
    *out = (pn_shape){.rmul = 2, .c = 1, .h = in->h, .w = in->w};
    return in->c == 2 && in->rmul == 1;
}

static void unstack_forward(const pn_op_call *c)
{
    pn_unstack_forward(c->out.val, c->in[0].val, c->batch, pn_row_size(&c->out));
}

static void unstack_backward(const pn_op_call *c)
{
    if (c->in[0].grad)
        pn_unstack_backward(c->in[0].grad, c->out.grad, c->batch, pn_row_size(&c->out));
}

const pn_op_desc pn_op_unstack = {
    .name = "unstack",
    .shape = unstack_shape,
    .forward = unstack_forward,
    .backward = unstack_backward,
};

static int restack_shape(const pn_shape *in, size_t n_in, pn_op_attr *a, pn_shape *out,
                         pn_op_sizes *sz)
{
    (void)n_in;
    (void)a;
    (void)sz;
    *out = (pn_shape){.rmul = 1, .c = 2 * in->c * in->h * in->w, .h = 1, .w = 1};
    return in->rmul == 2;
}

static void restack_forward(const pn_op_call *c)
{
    pn_restack_forward(c->out.val, c->in[0].val, c->batch, pn_row_size(&c->in[0]));
}

static void restack_backward(const pn_op_call *c)
{
    if (c->in[0].grad)
        pn_restack_backward(c->in[0].grad, c->out.grad, c->batch, pn_row_size(&c->in[0]));
}

const pn_op_desc pn_op_restack = {
    .name = "restack",
    .shape = restack_shape,
    .forward = restack_forward,
    .backward = restack_backward,
};

static int concat_shape(const pn_shape *in, size_t n_in, pn_op_attr *a, pn_shape *out,
                        pn_op_sizes *sz)
{
    (void)a;
    (void)sz;
    const size_t fa = in[0].c * in[0].h * in[0].w, fb = in[1].c * in[1].h * in[1].w;
    *out = (pn_shape){.rmul = in[0].rmul, .c = fa + fb, .h = 1, .w = 1};
    return n_in == 2 && in[0].rmul == in[1].rmul;
}

static void concat_forward(const pn_op_call *c)
{
    pn_concat_forward(c->out.val, c->in[0].val, c->in[1].val, c->out.rows,
                      pn_row_size(&c->in[0]), pn_row_size(&c->in[1]));
}

static void concat_backward(const pn_op_call *c)
{
    pn_concat_backward(c->in[0].grad, c->in[1].grad, c->out.grad, c->out.rows,
                       pn_row_size(&c->in[0]), pn_row_size(&c->in[1]));
}

const pn_op_desc pn_op_concat = {
    .name = "concat",
    .shape = concat_shape,
    .forward = concat_forward,
    .backward = concat_backward,
};
