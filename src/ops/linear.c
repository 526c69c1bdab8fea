#include "pairnet/ops/gemm.h"
#include "pairnet/ops/ops.h"

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
