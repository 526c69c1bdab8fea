/* Conv2d as im2col + one GEMM over the whole batch: the GEMM sees
 * N = B*OH*OW columns instead of OH*OW, which is what keeps it efficient for
 * the 4x4 output maps of the second layer. The GEMM writes channel-major
 * [F, B*OH*OW]; a cheap transpose puts it back in NCHW. The copies are split
 * over the pool by im2col row, input channel (col2im) or output channel
 * (transposes): disjoint writes, so any thread count gives the same bits. */
#include "pairnet/ops/gemm.h"
#include "pairnet/ops/ops.h"
#include "pairnet/base/pool.h"

#include <string.h>

typedef struct conv_shape {
    float *dst;
    const float *src;
    const float *bias; /* forward transpose: added on the way */
    float *db;         /* backward transpose: bias gradient */
    size_t B, C, H, W, k, F, P;
} conv_shape;

/* rows [r0, r1) of col, row r = (c, ki, kj): the first layer has one input
 * channel but nine rows to share out */
static void im2col_part(void *arg, size_t r0, size_t r1)
{
    const conv_shape *s = arg;
    const size_t OH = s->H - s->k + 1, OW = s->W - s->k + 1, N = s->B * OH * OW, k = s->k;
    for (size_t r = r0; r < r1; r++) {
        const size_t c = r / (k * k), ki = r / k % k, kj = r % k;
        float *row = s->dst + r * N;
        for (size_t b = 0; b < s->B; b++) {
            const float *src = s->src + ((b * s->C + c) * s->H + ki) * s->W + kj;
            /* runs of OW = 4 or 12 floats: a loop the compiler unrolls
             * beats a memcpy call per run */
            for (size_t oy = 0; oy < OH; oy++, row += OW)
                for (size_t ox = 0; ox < OW; ox++)
                    row[ox] = src[oy * s->W + ox];
        }
    }
}

/* input channels [c0, c1): the rows of one channel add into the same
 * pixels, so a channel is never split */
static void col2im_part(void *arg, size_t c0, size_t c1)
{
    const conv_shape *s = arg;
    const size_t OH = s->H - s->k + 1, OW = s->W - s->k + 1, N = s->B * OH * OW, k = s->k;
    for (size_t c = c0; c < c1; c++)
        for (size_t ki = 0; ki < k; ki++)
            for (size_t kj = 0; kj < k; kj++) {
                const float *row = s->src + ((c * k + ki) * k + kj) * N;
                for (size_t b = 0; b < s->B; b++) {
                    float *dst = s->dst + ((b * s->C + c) * s->H + ki) * s->W + kj;
                    for (size_t oy = 0; oy < OH; oy++) {
                        float *d = dst + oy * s->W;
                        for (size_t ox = 0; ox < OW; ox++)
                            d[ox] += row[ox];
                        row += OW;
                    }
                }
            }
}

/* ycn [F, B*P] + bias -> out [B, F, P] */
static void scatter_part(void *arg, size_t f0, size_t f1)
{
    const conv_shape *s = arg;
    const size_t N = s->B * s->P;
    for (size_t f = f0; f < f1; f++)
        for (size_t b = 0; b < s->B; b++) {
            const float *src = s->src + f * N + b * s->P;
            float *dst = s->dst + (b * s->F + f) * s->P;
            for (size_t p = 0; p < s->P; p++)
                dst[p] = src[p] + s->bias[f];
        }
}

/* dout [B, F, P] -> ycn [F, B*P], and the bias gradient on the way */
static void gather_part(void *arg, size_t f0, size_t f1)
{
    const conv_shape *s = arg;
    const size_t N = s->B * s->P;
    for (size_t f = f0; f < f1; f++) {
        float sum = 0.0f;
        for (size_t b = 0; b < s->B; b++) {
            const float *src = s->src + (b * s->F + f) * s->P;
            float *dst = s->dst + f * N + b * s->P;
            for (size_t p = 0; p < s->P; p++) {
                dst[p] = src[p];
                sum += src[p];
            }
        }
        s->db[f] += sum;
    }
}

void pn_im2col(float *col, const float *in, size_t B, size_t C, size_t H, size_t W, size_t k)
{
    conv_shape s = {col, in, NULL, NULL, B, C, H, W, k, 0, 0};
    im2col_part(&s, 0, C * k * k);
}

void pn_col2im_add(float *din, const float *col, size_t B, size_t C, size_t H, size_t W, size_t k)
{
    conv_shape s = {din, col, NULL, NULL, B, C, H, W, k, 0, 0};
    col2im_part(&s, 0, C);
}

void pn_conv2d_forward(struct pn_pool *pool, float *out, float *col, float *ycn,
                       const float *in, const float *w, const float *b,
                       size_t B, size_t C, size_t H, size_t W, size_t F, size_t k)
{
    const size_t P = (H - k + 1) * (W - k + 1), K = C * k * k, N = B * P;
    conv_shape s = {col, in, NULL, NULL, B, C, H, W, k, F, P};
    pn_pool_for(pool, K, im2col_part, &s);
    pn_gemm_par(pool, 0, 0, F, N, K, w, K, col, N, 0.0f, ycn, N); /* ycn[F,N] */
    conv_shape t = {out, ycn, b, NULL, B, C, H, W, k, F, P};
    pn_pool_for(pool, F, scatter_part, &t);
}

void pn_conv2d_backward(struct pn_pool *pool, float *din, float *dw, float *db,
                        float *dcol, float *ycn, const float *dout, const float *col,
                        const float *w, size_t B, size_t C, size_t H, size_t W,
                        size_t F, size_t k)
{
    const size_t P = (H - k + 1) * (W - k + 1), K = C * k * k, N = B * P;
    conv_shape g = {ycn, dout, NULL, db, B, C, H, W, k, F, P};
    pn_pool_for(pool, F, gather_part, &g);
    /* dw[F,K] += ycn[F,N] * col[K,N]^T */
    pn_gemm_par(pool, 0, 1, F, K, N, ycn, N, col, N, 1.0f, dw, K);
    if (din) {
        /* dcol[K,N] = w[F,K]^T * ycn[F,N] */
        pn_gemm_par(pool, 1, 0, K, N, F, w, K, ycn, N, 0.0f, dcol, N);
        conv_shape c = {din, dcol, NULL, NULL, B, C, H, W, k, F, P};
        pn_pool_for(pool, C, col2im_part, &c);
    }
}

/* ---- batch-inner layout: [C, H, W, B], the batch index fastest ----
 * The conv of a fused chain writes its GEMM output [F, (oy, ox, b)] as is,
 * and reads its input in the same layout when that is a fused pool's
 * output: then every im2col row is OH copies of OW*B contiguous floats,
 * and col2im is as many contiguous adds. */

/* rows [r0, r1) of col [C*k*k, OH*OW*B] from in [C, H, W, B] */
static void im2col_bi_part(void *arg, size_t r0, size_t r1)
{
    const conv_shape *s = arg;
    const size_t OH = s->H - s->k + 1, OW = s->W - s->k + 1, k = s->k, B = s->B;
    const size_t N = OH * OW * B, run = OW * B;
    for (size_t r = r0; r < r1; r++) {
        const size_t c = r / (k * k), ki = r / k % k, kj = r % k;
        for (size_t oy = 0; oy < OH; oy++)
            memcpy(s->dst + r * N + oy * run, s->src + ((c * s->H + oy + ki) * s->W + kj) * B,
                   run * sizeof(float));
    }
}

/* channels [c0, c1) of din [C, H, W, B] += col2im(dcol) */
static void col2im_bi_part(void *arg, size_t c0, size_t c1)
{
    const conv_shape *s = arg;
    const size_t OH = s->H - s->k + 1, OW = s->W - s->k + 1, k = s->k, B = s->B;
    const size_t N = OH * OW * B, run = OW * B;
    for (size_t c = c0; c < c1; c++)
        for (size_t ki = 0; ki < k; ki++)
            for (size_t kj = 0; kj < k; kj++) {
                const float *row = s->src + ((c * k + ki) * k + kj) * N;
                for (size_t oy = 0; oy < OH; oy++) {
                    float *restrict d = s->dst + ((c * s->H + oy + ki) * s->W + kj) * B;
                    const float *restrict r = row + oy * run;
                    for (size_t i = 0; i < run; i++)
                        d[i] += r[i];
                }
            }
}

/* [B, S] <-> [S, B] for features [s0, s1) (P carries S) */
static void to_bi_part(void *arg, size_t s0, size_t s1)
{
    const conv_shape *s = arg;
    for (size_t f = s0; f < s1; f++)
        for (size_t b = 0; b < s->B; b++)
            s->dst[f * s->B + b] = s->src[b * s->P + f];
}

static void add_from_bi_part(void *arg, size_t b0, size_t b1)
{
    const conv_shape *s = arg;
    for (size_t b = b0; b < b1; b++)
        for (size_t f = 0; f < s->P; f++)
            s->dst[b * s->P + f] += s->src[f * s->B + b];
}

void pn_conv2d_forward_cm(struct pn_pool *pool, float *out, float *col, float *scratch,
                          const float *in, int in_bi, const float *w, size_t B, size_t C,
                          size_t H, size_t W, size_t F, size_t k)
{
    const size_t N = (H - k + 1) * (W - k + 1) * B, K = C * k * k;
    if (!in_bi) {
        conv_shape t = {scratch, in, NULL, NULL, B, C, H, W, k, F, C * H * W};
        pn_pool_for(pool, C * H * W, to_bi_part, &t);
        in = scratch;
    }
    conv_shape s = {col, in, NULL, NULL, B, C, H, W, k, F, 0};
    pn_pool_for(pool, K, im2col_bi_part, &s);
    pn_gemm_par(pool, 0, 0, F, N, K, w, K, col, N, 0.0f, out, N); /* out[F,N] */
}

void pn_conv2d_backward_cm(struct pn_pool *pool, float *din, int din_bi, float *dw, float *dcol,
                           float *scratch, const float *dout, const float *col, const float *w,
                           size_t B, size_t C, size_t H, size_t W, size_t F, size_t k)
{
    const size_t N = (H - k + 1) * (W - k + 1) * B, K = C * k * k;
    pn_gemm_par(pool, 0, 1, F, K, N, dout, N, col, N, 1.0f, dw, K);
    if (!din)
        return;
    pn_gemm_par(pool, 1, 0, K, N, F, w, K, dout, N, 0.0f, dcol, N);
    if (din_bi) {
        conv_shape c = {din, dcol, NULL, NULL, B, C, H, W, k, F, 0};
        pn_pool_for(pool, C, col2im_bi_part, &c);
        return;
    }
    memset(scratch, 0, B * C * H * W * sizeof(float));
    conv_shape c = {scratch, dcol, NULL, NULL, B, C, H, W, k, F, 0};
    pn_pool_for(pool, C, col2im_bi_part, &c);
    conv_shape t = {din, scratch, NULL, NULL, B, C, H, W, k, F, C * H * W};
    pn_pool_for(pool, B, add_from_bi_part, &t);
}
