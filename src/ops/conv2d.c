/* Conv2d as im2col + one GEMM over the whole batch: the GEMM sees
 * N = B*OH*OW columns instead of OH*OW, which is what keeps it efficient for
 * the 4x4 output maps of the second layer. The GEMM writes channel-major
 * [F, B*OH*OW]; a cheap transpose puts it back in NCHW. */
#include <string.h>

#include "pairnet/gemm.h"
#include "pairnet/ops.h"

void pn_im2col(float *col, const float *in, size_t B, size_t C, size_t H, size_t W, size_t k)
{
    const size_t OH = H - k + 1, OW = W - k + 1, N = B * OH * OW;
    for (size_t c = 0; c < C; c++)
        for (size_t ki = 0; ki < k; ki++)
            for (size_t kj = 0; kj < k; kj++) {
                float *row = col + ((c * k + ki) * k + kj) * N;
                for (size_t b = 0; b < B; b++) {
                    const float *src = in + ((b * C + c) * H + ki) * W + kj;
                    for (size_t oy = 0; oy < OH; oy++) {
                        memcpy(row, src + oy * W, OW * sizeof *row);
                        row += OW;
                    }
                }
            }
}

void pn_col2im_add(float *din, const float *col, size_t B, size_t C, size_t H, size_t W, size_t k)
{
    const size_t OH = H - k + 1, OW = W - k + 1, N = B * OH * OW;
    for (size_t c = 0; c < C; c++)
        for (size_t ki = 0; ki < k; ki++)
            for (size_t kj = 0; kj < k; kj++) {
                const float *row = col + ((c * k + ki) * k + kj) * N;
                for (size_t b = 0; b < B; b++) {
                    float *dst = din + ((b * C + c) * H + ki) * W + kj;
                    for (size_t oy = 0; oy < OH; oy++) {
                        float *d = dst + oy * W;
                        for (size_t ox = 0; ox < OW; ox++)
                            d[ox] += row[ox];
                        row += OW;
                    }
                }
            }
}

void pn_conv2d_forward(struct pn_pool *pool, float *out, float *col, float *ycn,
                       const float *in, const float *w, const float *b,
                       size_t B, size_t C, size_t H, size_t W, size_t F, size_t k)
{
    const size_t P = (H - k + 1) * (W - k + 1), K = C * k * k, N = B * P;
    pn_im2col(col, in, B, C, H, W, k);
    pn_gemm_par(pool, 0, 0, F, N, K, w, K, col, N, 0.0f, ycn, N); /* ycn[F,N] */
    for (size_t f = 0; f < F; f++)
        for (size_t s = 0; s < B; s++) {
            const float *src = ycn + f * N + s * P;
            float *dst = out + (s * F + f) * P;
            for (size_t p = 0; p < P; p++)
                dst[p] = src[p] + b[f];
        }
}

void pn_conv2d_backward(struct pn_pool *pool, float *din, float *dw, float *db,
                        float *dcol, float *ycn, const float *dout, const float *col,
                        const float *w, size_t B, size_t C, size_t H, size_t W,
                        size_t F, size_t k)
{
    const size_t P = (H - k + 1) * (W - k + 1), K = C * k * k, N = B * P;
    /* gather dout [B,F,P] into channel-major ycn [F, B*P] */
    for (size_t f = 0; f < F; f++) {
        float sum = 0.0f;
        for (size_t s = 0; s < B; s++) {
            const float *src = dout + (s * F + f) * P;
            float *dst = ycn + f * N + s * P;
            for (size_t p = 0; p < P; p++) {
                dst[p] = src[p];
                sum += src[p];
            }
        }
        db[f] += sum;
    }
    /* dw[F,K] += ycn[F,N] * col[K,N]^T */
    pn_gemm_par(pool, 0, 1, F, K, N, ycn, N, col, N, 1.0f, dw, K);
    if (din) {
        /* dcol[K,N] = w[F,K]^T * ycn[F,N] */
        pn_gemm_par(pool, 1, 0, K, N, F, w, K, ycn, N, 0.0f, dcol, N);
        pn_col2im_add(din, dcol, B, C, H, W, k);
    }
}
