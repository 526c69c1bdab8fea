/* BatchNorm1d with PyTorch semantics: normalize with the biased batch
 * variance, but feed the unbiased one into the running estimate.
 *
 * x is [B, C]: a channel's values are strided by C. The kernels walk the
 * rows with per-channel double sums for a block of channels, which
 * vectorizes across channels; each value enters its channel's sum in row
 * order, so the result does not depend on how [0, C) is split over
 * threads. (BatchNorm2d runs only inside the fused conv block:
 * src/ops/bnpool.c.) */
#include <math.h>

#include "op_helpers.h"
#include "pairnet/ops/kernels.h"

#define CB 64

void pn_bn1d_forward_train_part(float *out, float *xhat, float *istd, float *run_mean,
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

void pn_bn1d_forward_eval_part(float *out, const float *in, const float *gamma,
                               const float *beta, const float *run_mean, const float *run_var,
                               size_t B, size_t C, pn_bn_cfg cfg, size_t c0, size_t c1)
{
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
}

void pn_bn1d_backward_part(float *din, float *dgamma, float *dbeta, const float *dout,
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

/* ---- the op: channels [c0, c1) per part, split over the pool ---- */

static int bn_shape(const pn_shape *in, size_t n_in, pn_op_attr *a, pn_shape *out,
                    pn_op_sizes *sz)
{
    pn_shape_same(in, n_in, a, out, sz);
    *sz = (pn_op_sizes){.w = in->c, .b = in->c, .state = 2 * in->c};
    return in->h * in->w == 1;
}

/* BatchNorm2d as the models write it; runs as part of BN_RELU_POOL. */
static int bn2d_shape(const pn_shape *in, size_t n_in, pn_op_attr *a, pn_shape *out,
                      pn_op_sizes *sz)
{
    bn_shape(in, n_in, a, out, sz);
    return in->h * in->w > 1;
}

static void bn_buffers(const pn_op_call *c, size_t len[PN_MAX_BUFS])
{
    len[0] = c->out.rows * c->out.c;
    len[1] = c->out.c;
}

static void forward_part(void *arg, size_t c0, size_t c1)
{
    const pn_op_call *c = arg;
    const size_t B = c->out.rows, C = c->out.c;
    if (c->training)
        pn_bn1d_forward_train_part(c->out.val, c->buf[0], c->buf[1], c->state, c->state + C,
                                   c->in[0].val, c->w, c->b, B, C, c->bn, c0, c1);
    else
        pn_bn1d_forward_eval_part(c->out.val, c->in[0].val, c->w, c->b, c->state, c->state + C,
                                  B, C, c->bn, c0, c1);
}

static void backward_part(void *arg, size_t c0, size_t c1)
{
    const pn_op_call *c = arg;
    pn_bn1d_backward_part(c->in[0].grad, c->dw, c->db, c->out.grad, c->buf[0], c->buf[1], c->w,
                          c->out.rows, c->out.c, c0, c1);
}

static void bn_forward(const pn_op_call *c)
{
    pn_op_for(c, c->out.rows * c->out.c, c->out.c, forward_part, (void *)c);
}

static void bn_backward(const pn_op_call *c)
{
    pn_op_for(c, c->out.rows * c->out.c, c->out.c, backward_part, (void *)c);
}

static void bn_init(const pn_op_call *c, pn_rng *rng)
{
    (void)rng;
    pn_init_bn(c, c->out.c);
}

const pn_op_desc pn_op_batchnorm = {
    .name = "batchnorm",
    .shape = bn_shape,
    .buffers = bn_buffers,
    .bufs = {"xhat [rows, C], for backward", "inverse std [C], for backward"},
    .forward = bn_forward,
    .backward = bn_backward,
    .init = bn_init,
};

const pn_op_desc pn_op_batchnorm2d = {
    .name = "batchnorm2d",
    .flags = PN_OPF_PATTERN,
    .shape = bn2d_shape,
};
