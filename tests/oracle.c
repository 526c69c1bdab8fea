#include "oracle.h"

#include <math.h>

#include "pairnet/ops/gemm.h"

/* ---- conv2d: im2col + GEMM [F, B*OH*OW], then back to NCHW ---- */

void oracle_im2col(float *col, const float *in, size_t B, size_t C, size_t H, size_t W, size_t k)
{
    const size_t OH = H - k + 1, OW = W - k + 1;
    for (size_t r = 0; r < C * k * k; r++) {
        const size_t c = r / (k * k), ki = r / k % k, kj = r % k;
        float *row = col + r * B * OH * OW;
        for (size_t b = 0; b < B; b++)
            for (size_t oy = 0; oy < OH; oy++)
                for (size_t ox = 0; ox < OW; ox++)
                    *row++ = in[((b * C + c) * H + oy + ki) * W + ox + kj];
    }
}

void oracle_col2im_add(float *din, const float *col, size_t B, size_t C, size_t H, size_t W,
                       size_t k)
{
    const size_t OH = H - k + 1, OW = W - k + 1;
    for (size_t r = 0; r < C * k * k; r++) {
        const size_t c = r / (k * k), ki = r / k % k, kj = r % k;
        const float *row = col + r * B * OH * OW;
        for (size_t b = 0; b < B; b++)
            for (size_t oy = 0; oy < OH; oy++)
                for (size_t ox = 0; ox < OW; ox++)
                    din[((b * C + c) * H + oy + ki) * W + ox + kj] += *row++;
    }
}

void oracle_conv2d_forward(float *out, float *col, float *ycn, const float *in, const float *w,
                           const float *b, size_t B, size_t C, size_t H, size_t W, size_t F,
                           size_t k)
{
    const size_t P = (H - k + 1) * (W - k + 1), K = C * k * k, N = B * P;
    oracle_im2col(col, in, B, C, H, W, k);
    pn_gemm(0, 0, F, N, K, w, K, col, N, 0.0f, ycn, N);
    for (size_t f = 0; f < F; f++)
        for (size_t bb = 0; bb < B; bb++)
            for (size_t p = 0; p < P; p++)
                out[(bb * F + f) * P + p] = ycn[f * N + bb * P + p] + b[f];
}

void oracle_conv2d_backward(float *din, float *dw, float *db, float *dcol, float *ycn,
                            const float *dout, const float *col, const float *w, size_t B,
                            size_t C, size_t H, size_t W, size_t F, size_t k)
{
    const size_t P = (H - k + 1) * (W - k + 1), K = C * k * k, N = B * P;
    for (size_t f = 0; f < F; f++) {
        double sum = 0.0;
        for (size_t bb = 0; bb < B; bb++)
            for (size_t p = 0; p < P; p++) {
                ycn[f * N + bb * P + p] = dout[(bb * F + f) * P + p];
                sum += dout[(bb * F + f) * P + p];
            }
        db[f] += (float)sum;
    }
    pn_gemm(0, 1, F, K, N, ycn, N, col, N, 1.0f, dw, K); /* dw += ycn col^T */
    if (din) {
        pn_gemm(1, 0, K, N, F, w, K, ycn, N, 0.0f, dcol, N); /* dcol = w^T ycn */
        oracle_col2im_add(din, dcol, B, C, H, W, k);
    }
}

/* ---- BatchNorm over the channels of [B, C, S] ---- */

void oracle_bn_forward_train(float *out, float *xhat, float *istd, float *run_mean,
                             float *run_var, const float *in, const float *gamma,
                             const float *beta, size_t B, size_t C, size_t S, pn_bn_cfg cfg)
{
    const size_t m = B * S;
    for (size_t c = 0; c < C; c++) {
        double sum = 0.0, ss = 0.0;
        for (size_t b = 0; b < B; b++)
            for (size_t s = 0; s < S; s++)
                sum += in[(b * C + c) * S + s];
        const float mean = (float)(sum / (double)m);
        for (size_t b = 0; b < B; b++)
            for (size_t s = 0; s < S; s++) {
                const float d = in[(b * C + c) * S + s] - mean;
                ss += (double)d * d;
            }
        const double var = ss / (double)m;
        const float is = (float)(1.0 / sqrt(var + cfg.eps));
        istd[c] = is;
        for (size_t b = 0; b < B; b++)
            for (size_t s = 0; s < S; s++) {
                const size_t o = (b * C + c) * S + s;
                xhat[o] = (in[o] - mean) * is;
                out[o] = gamma[c] * xhat[o] + beta[c];
            }
        const double unbiased = m > 1 ? var * (double)m / (double)(m - 1) : var;
        run_mean[c] = (1.0f - cfg.momentum) * run_mean[c] + cfg.momentum * mean;
        run_var[c] = (1.0f - cfg.momentum) * run_var[c] + cfg.momentum * (float)unbiased;
    }
}

void oracle_bn_forward_eval(float *out, const float *in, const float *gamma, const float *beta,
                            const float *run_mean, const float *run_var, size_t B, size_t C,
                            size_t S, pn_bn_cfg cfg)
{
    for (size_t c = 0; c < C; c++) {
        const float scale = gamma[c] / sqrtf(run_var[c] + cfg.eps);
        const float shift = beta[c] - run_mean[c] * scale;
        for (size_t b = 0; b < B; b++)
            for (size_t s = 0; s < S; s++)
                out[(b * C + c) * S + s] = in[(b * C + c) * S + s] * scale + shift;
    }
}

void oracle_bn_backward(float *din, float *dgamma, float *dbeta, const float *dout,
                        const float *xhat, const float *istd, const float *gamma, size_t B,
                        size_t C, size_t S)
{
    const size_t m = B * S;
    for (size_t c = 0; c < C; c++) {
        double sd = 0.0, sdx = 0.0;
        for (size_t b = 0; b < B; b++)
            for (size_t s = 0; s < S; s++) {
                const size_t o = (b * C + c) * S + s;
                sd += dout[o];
                sdx += (double)dout[o] * xhat[o];
            }
        dgamma[c] += (float)sdx;
        dbeta[c] += (float)sd;
        if (!din)
            continue;
        /* dx = gamma*istd * (dy - mean(dy) - xhat * mean(dy*xhat)) */
        const float k = gamma[c] * istd[c];
        const float mdy = (float)(sd / (double)m), mdx = (float)(sdx / (double)m);
        for (size_t b = 0; b < B; b++)
            for (size_t s = 0; s < S; s++) {
                const size_t o = (b * C + c) * S + s;
                din[o] += k * (dout[o] - mdy - xhat[o] * mdx);
            }
    }
}

/* ---- 2x2 max-pool ---- */

void oracle_maxpool2_forward(float *out, float *arg, const float *in, size_t B, size_t C,
                             size_t H, size_t W)
{
    const size_t OH = H / 2, OW = W / 2;
    for (size_t bc = 0; bc < B * C; bc++)
        for (size_t oy = 0; oy < OH; oy++)
            for (size_t ox = 0; ox < OW; ox++) {
                const float *p = in + (bc * H + 2 * oy) * W + 2 * ox;
                size_t best = 0; /* strict '>': the first maximum in reading order */
                const float v[4] = {p[0], p[1], p[W], p[W + 1]};
                for (size_t j = 1; j < 4; j++)
                    if (v[j] > v[best])
                        best = j;
                out[(bc * OH + oy) * OW + ox] = v[best];
                arg[(bc * OH + oy) * OW + ox] = (float)best;
            }
}

void oracle_maxpool2_backward(float *din, const float *dout, const float *arg, size_t B,
                              size_t C, size_t H, size_t W)
{
    const size_t OH = H / 2, OW = W / 2;
    for (size_t bc = 0; bc < B * C; bc++)
        for (size_t oy = 0; oy < OH; oy++)
            for (size_t ox = 0; ox < OW; ox++) {
                const size_t o = (bc * OH + oy) * OW + ox, a = (size_t)arg[o];
                din[(bc * H + 2 * oy + a / 2) * W + 2 * ox + a % 2] += dout[o];
            }
}
