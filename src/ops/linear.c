/* Fully connected layer: one GEMM over the batch, bias added per row. */
#include "op_helpers.h"
#include "pairnet/ops/gemm.h"
#include "pairnet/ops/kernels.h"

void pn_linear_forward(struct pn_pool *pool, float *out, const float *in, const float *w,
                       const float *b, size_t B, size_t I, size_t O)
{
    /* out[B,O] = in[B,I] * w[O,I]^T */
    pn_gemm_par(pool, 0, 1, B, O, I, in, I, w, I, 0.0f, out, O);
    for (size_t r = 0; r < B; r++) {
        float *o = out + r * O;
        for (size_t j = 0; j < O; j++)
            o[j] += b[j];
    }
}

void pn_linear_backward(struct pn_pool *pool, float *din, float *dw, float *db,
                        const float *dout, const float *in, const float *w,
                        size_t B, size_t I, size_t O)
{
    /* dw[O,I] += dout[B,O]^T * in[B,I] */
    pn_gemm_par(pool, 1, 0, O, I, B, dout, O, in, I, 1.0f, dw, I);
    for (size_t r = 0; r < B; r++) {
        const float *d = dout + r * O;
        for (size_t j = 0; j < O; j++)
            db[j] += d[j];
    }
    /* din[B,I] += dout[B,O] * w[O,I] */
    if (din)
        pn_gemm_par(pool, 0, 0, B, I, O, dout, O, w, I, 1.0f, din, I);
}

/* ---- the op: flattens its input's rows ---- */

static int linear_shape(const pn_shape *in, size_t n_in, pn_op_attr *a, pn_shape *out,
                        pn_op_sizes *sz)
{
    (void)n_in;
    const size_t fin = in->c * in->h * in->w, fout = a->linear.out_f;
    a->linear.in_f = fin;
    *out = (pn_shape){.rmul = in->rmul, .c = fout, .h = 1, .w = 1};
    *sz = (pn_op_sizes){.w = fout * fin, .b = fout};
    return fout > 0;
}

static void linear_forward(const pn_op_call *c)
{
    pn_linear_forward(c->pool, c->out.val, c->in[0].val, c->w, c->b, c->out.rows,
                      c->a->linear.in_f, c->a->linear.out_f);
}

static void linear_backward(const pn_op_call *c)
{
    pn_linear_backward(c->pool, c->in[0].grad, c->dw, c->db, c->out.grad, c->in[0].val, c->w,
                       c->out.rows, c->a->linear.in_f, c->a->linear.out_f);
}

static void linear_init(const pn_op_call *c, pn_rng *rng)
{
    const size_t fin = c->a->linear.in_f, fout = c->a->linear.out_f;
    pn_init_fan_in(c->w, fin * fout, c->b, fout, fin, rng);
}

static double linear_macs(const pn_op_call *c)
{
    return (double)c->a->linear.in_f * (double)c->a->linear.out_f;
}

const pn_op_desc pn_op_linear = {
    .name = "linear",
    .shape = linear_shape,
    .forward = linear_forward,
    .backward = linear_backward,
    .init = linear_init,
    .macs = linear_macs,
};
