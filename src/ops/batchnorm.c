/* BatchNorm with PyTorch semantics: normalize with the biased batch variance,
 * but feed the unbiased one into the running estimate.
 *
 * A channel's values lie in B contiguous runs of S = H*W floats. Each run is
 * summed with 16 float lanes, which the compiler turns into vector adds
 * (a single scalar accumulator would force a serial chain), and the runs are
 * added up in double: a channel of the first conv layer spans 28,800 values
 * per batch. The order is fixed, so results are reproducible. */
#include <math.h>

#include "pairnet/ops/ops.h"

#define LANES 16

static double sum_run(const float *x, size_t n)
{
    float acc[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (size_t k = 0; k < LANES; k++)
            acc[k] += x[i + k];
    double s = 0.0;
    for (; i < n; i++)
        s += x[i];
    for (size_t k = 0; k < LANES; k++)
        s += acc[k];
    return s;
}

static double sq_dev_run(const float *x, size_t n, float mean)
{
    float acc[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (size_t k = 0; k < LANES; k++)
            acc[k] += (x[i + k] - mean) * (x[i + k] - mean);
    double s = 0.0;
    for (; i < n; i++)
        s += (double)(x[i] - mean) * (x[i] - mean);
    for (size_t k = 0; k < LANES; k++)
        s += acc[k];
    return s;
}

static double dot_run(const float *a, const float *b, size_t n)
{
    float acc[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (size_t k = 0; k < LANES; k++)
            acc[k] += a[i + k] * b[i + k];
    double s = 0.0;
    for (; i < n; i++)
        s += (double)a[i] * b[i];
    for (size_t k = 0; k < LANES; k++)
        s += acc[k];
    return s;
}

/* ---- S = 1 (BatchNorm1d) ----
 * A channel's values are then strided by C: one value per run. These walk
 * the rows instead, with per-channel double sums for a block of channels,
 * which vectorizes across channels. Each value enters its channel's double
 * sum exactly as in the general code (a run of one value sums to that value
 * in double), so the results are the same bits. */
#define CB 64

static void bn1d_forward_train(float *out, float *xhat, float *istd, float *run_mean,
                               float *run_var, const float *in, const float *gamma,
                               const float *beta, size_t B, size_t C, pn_bn_cfg cfg, size_t c0,
                               size_t c1)
{
    for (size_t cb = c0; cb < c1; cb += CB) {
        const size_t nc = c1 - cb < CB ? c1 - cb : CB;
        double sum[CB] = {0}, ss[CB] = {0};
        float mean[CB], is[CB];
        for (size_t b = 0; b < B; b++)
            for (size_t k = 0; k < nc; k++)
                sum[k] += in[b * C + cb + k];
        for (size_t k = 0; k < nc; k++)
            mean[k] = (float)(sum[k] / (double)B);
        for (size_t b = 0; b < B; b++)
            for (size_t k = 0; k < nc; k++) {
                const float d = in[b * C + cb + k] - mean[k];
                ss[k] += (double)d * d;
            }
        for (size_t k = 0; k < nc; k++) {
            const double var = ss[k] / (double)B;
            is[k] = (float)(1.0 / sqrt(var + cfg.eps));
            istd[cb + k] = is[k];
            const double unbiased = B > 1 ? var * (double)B / (double)(B - 1) : var;
            const size_t c = cb + k;
            run_mean[c] = (1.0f - cfg.momentum) * run_mean[c] + cfg.momentum * mean[k];
            run_var[c] = (1.0f - cfg.momentum) * run_var[c] + cfg.momentum * (float)unbiased;
        }
        for (size_t b = 0; b < B; b++)
            for (size_t k = 0; k < nc; k++) {
                const size_t o = b * C + cb + k;
                const float xh = (in[o] - mean[k]) * is[k];
                xhat[o] = xh;
                out[o] = gamma[cb + k] * xh + beta[cb + k];
            }
    }
}

static void bn1d_backward(float *din, float *dgamma, float *dbeta, const float *dout,
                          const float *xhat, const float *istd, const float *gamma, size_t B,
                          size_t C, size_t c0, size_t c1)
{
    for (size_t cb = c0; cb < c1; cb += CB) {
        const size_t nc = c1 - cb < CB ? c1 - cb : CB;
        double sd[CB] = {0}, sdx[CB] = {0};
        float k_[CB], mdy[CB], mdx[CB];
        for (size_t b = 0; b < B; b++)
            for (size_t k = 0; k < nc; k++) {
                const size_t o = b * C + cb + k;
                sd[k] += dout[o];
                sdx[k] += (double)dout[o] * xhat[o];
            }
        for (size_t k = 0; k < nc; k++) {
            dgamma[cb + k] += (float)sdx[k];
            dbeta[cb + k] += (float)sd[k];
            k_[k] = gamma[cb + k] * istd[cb + k];
            mdy[k] = (float)(sd[k] / (double)B);
            mdx[k] = (float)(sdx[k] / (double)B);
        }
        if (!din)
            continue;
        for (size_t b = 0; b < B; b++)
            for (size_t k = 0; k < nc; k++) {
                const size_t o = b * C + cb + k;
                din[o] += k_[k] * (dout[o] - mdy[k] - xhat[o] * mdx[k]);
            }
    }
}

void pn_bn_forward_train_part(float *out, float *xhat, float *istd, float *run_mean,
                              float *run_var, const float *in, const float *gamma,
                              const float *beta, size_t B, size_t C, size_t S, pn_bn_cfg cfg,
                              size_t c0, size_t c1)
{
    if (S == 1) {
        bn1d_forward_train(out, xhat, istd, run_mean, run_var, in, gamma, beta, B, C, cfg, c0,
                           c1);
        return;
    }
    const size_t m = B * S;
    for (size_t c = c0; c < c1; c++) {
        double sum = 0.0;
        for (size_t b = 0; b < B; b++)
            sum += sum_run(in + (b * C + c) * S, S);
        const float mean = (float)(sum / (double)m);
        double ss = 0.0;
        for (size_t b = 0; b < B; b++)
            ss += sq_dev_run(in + (b * C + c) * S, S, mean);
        const double var = ss / (double)m;
        const float is = (float)(1.0 / sqrt(var + cfg.eps));
        const float g = gamma[c], be = beta[c];
        istd[c] = is;
        for (size_t b = 0; b < B; b++) {
            const size_t o = (b * C + c) * S;
            for (size_t s = 0; s < S; s++) {
                const float xh = (in[o + s] - mean) * is;
                xhat[o + s] = xh;
                out[o + s] = g * xh + be;
            }
        }
        const double unbiased = m > 1 ? var * (double)m / (double)(m - 1) : var;
        run_mean[c] = (1.0f - cfg.momentum) * run_mean[c] + cfg.momentum * mean;
        run_var[c] = (1.0f - cfg.momentum) * run_var[c] + cfg.momentum * (float)unbiased;
    }
}

void pn_bn_forward_eval_part(float *out, const float *in, const float *gamma, const float *beta,
                             const float *run_mean, const float *run_var, size_t B, size_t C,
                             size_t S, pn_bn_cfg cfg, size_t c0, size_t c1)
{
    if (S == 1) { /* row by row, as in training */
        for (size_t cb = c0; cb < c1; cb += CB) {
            const size_t nc = c1 - cb < CB ? c1 - cb : CB;
            float scale[CB], shift[CB];
            for (size_t k = 0; k < nc; k++) {
                scale[k] = gamma[cb + k] / sqrtf(run_var[cb + k] + cfg.eps);
                shift[k] = beta[cb + k] - run_mean[cb + k] * scale[k];
            }
            for (size_t b = 0; b < B; b++)
                for (size_t k = 0; k < nc; k++)
                    out[b * C + cb + k] = in[b * C + cb + k] * scale[k] + shift[k];
        }
        return;
    }
    for (size_t c = c0; c < c1; c++) {
        const float scale = gamma[c] / sqrtf(run_var[c] + cfg.eps);
        const float shift = beta[c] - run_mean[c] * scale;
        for (size_t b = 0; b < B; b++) {
            const size_t o = (b * C + c) * S;
            for (size_t s = 0; s < S; s++)
                out[o + s] = in[o + s] * scale + shift;
        }
    }
}

void pn_bn_backward_part(float *din, float *dgamma, float *dbeta, const float *dout,
                         const float *xhat, const float *istd, const float *gamma, size_t B,
                         size_t C, size_t S, size_t c0, size_t c1)
{
    if (S == 1) {
        bn1d_backward(din, dgamma, dbeta, dout, xhat, istd, gamma, B, C, c0, c1);
        return;
    }
    const size_t m = B * S;
    for (size_t c = c0; c < c1; c++) {
        double sd = 0.0, sdx = 0.0;
        for (size_t b = 0; b < B; b++) {
            const size_t o = (b * C + c) * S;
            sd += sum_run(dout + o, S);
            sdx += dot_run(dout + o, xhat + o, S);
        }
        dgamma[c] += (float)sdx;
        dbeta[c] += (float)sd;
        if (!din)
            continue;
        /* dx = gamma*istd * (dy - mean(dy) - xhat * mean(dy*xhat)) */
        const float k = gamma[c] * istd[c];
        const float mdy = (float)(sd / (double)m), mdx = (float)(sdx / (double)m);
        for (size_t b = 0; b < B; b++) {
            const size_t o = (b * C + c) * S;
            for (size_t s = 0; s < S; s++)
                din[o + s] += k * (dout[o + s] - mdy - xhat[o + s] * mdx);
        }
    }
}

void pn_bn_forward_train(float *out, float *xhat, float *istd, float *run_mean, float *run_var,
                         const float *in, const float *gamma, const float *beta,
                         size_t B, size_t C, size_t S, pn_bn_cfg cfg)
{
    pn_bn_forward_train_part(out, xhat, istd, run_mean, run_var, in, gamma, beta, B, C, S, cfg,
                             0, C);
}

void pn_bn_forward_eval(float *out, const float *in, const float *gamma, const float *beta,
                        const float *run_mean, const float *run_var,
                        size_t B, size_t C, size_t S, pn_bn_cfg cfg)
{
    pn_bn_forward_eval_part(out, in, gamma, beta, run_mean, run_var, B, C, S, cfg, 0, C);
}

void pn_bn_backward(float *din, float *dgamma, float *dbeta, const float *dout,
                    const float *xhat, const float *istd, const float *gamma,
                    size_t B, size_t C, size_t S)
{
    pn_bn_backward_part(din, dgamma, dbeta, dout, xhat, istd, gamma, B, C, S, 0, C);
}
