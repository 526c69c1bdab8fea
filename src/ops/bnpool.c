/* The conv block epilogue BatchNorm2d -> ReLU -> 2x2 max-pool as one op on
 * the conv's GEMM output, so that the activations between the conv and the
 * pool are never written out. The conv output is batch-inner, [C, H, W, B]:
 * a channel is one contiguous row, and the four positions of a pooling
 * window are four contiguous runs of B floats, so every pass is a
 * unit-stride vector loop over the batch.
 *
 *  forward (per channel): the batch mean and variance of the channel's row
 *    (two passes, the second from cache), then one pass over the pooling
 *    windows that normalizes, applies ReLU, takes the maximum and writes
 *    the pooled value, the winner's position and the winner's x. Neither
 *    the BN output nor the ReLU output nor xhat is stored: backward
 *    recomputes xhat from x, the mean and istd.
 *  backward: the gradient reaches only pool winners whose value is > 0
 *    (ReLU), so the two BatchNorm sums run over the pooled grid, reading
 *    the winners' x, the pooled values and their gradient (a quarter of
 *    the conv output each); then one pass writes
 *    dx = k (dy - mean(dy) - xhat mean(dy xhat)) over every window
 *    (overwriting: the conv output has no other reader).
 *
 * The conv bias is not added to x: BatchNorm subtracts the batch mean, so
 * the bias only enters the running mean and evaluation; its training
 * gradient, the sum of dx over the channel, is exactly zero and is left
 * untouched. Sums run in 16 float lanes, the lanes added in order into a
 * double every CHUNK values or so; the order depends on the shapes only and
 * channels are independent, so any split of [0, C) over threads gives the
 * same bits. */
#include <math.h>

#include "kset_table.h"
#include "op_helpers.h"
#include "pairnet/ops/kernels.h"

/* The per-ISA loops (row sums, the windows) are in the kernel sets
 * (kset_body.inc); this file walks the channels and windows. */
#define LANES PN_LANES
#define CHUNK PN_CHUNK

/* Batch runs are handled in blocks of BLK so that a strided (NCHW) pooled
 * tensor can go through a small contiguous buffer: every inner loop is
 * unit-stride and branch-free, which the compiler vectorizes. */
#define BLK 64

static void pool_channel(const pn_bnpool *p, size_t c, float s, float t, int train)
{
    const size_t B = p->B, W = p->W, OW = W / 2, OP = p->H / 2 * OW;
    const float *xc = p->x + c * p->H * W * B;
    const pn_kset *ks = pn_kset_cur;
    float tmp[BLK];
    const size_t blk = p->out_batch_inner ? B : BLK; /* batch-inner: no gathering, one run */
    for (size_t j = 0; j < OP; j++) {
        const size_t oy = j / OW, ox = j % OW;
        const float *x0 = xc + (2 * oy * W + 2 * ox) * B, *x2 = x0 + W * B;
        for (size_t b0 = 0; b0 < B; b0 += blk) {
            const size_t n = B - b0 < blk ? B - b0 : blk;
            const float *y0 = x0 + b0, *y1 = x0 + B + b0, *y2 = x2 + b0, *y3 = x2 + B + b0;
            float *o = p->out_batch_inner ? p->out + (c * OP + j) * B + b0 : tmp;
            const size_t at = (c * OP + j) * B + b0;
            if (train)
                ks->window_arg(y0, y1, y2, y3, s, t, o, p->arg + at, p->win + at, n);
            else
                ks->window_eval(y0, y1, y2, y3, s, t, o, n);
            if (!p->out_batch_inner)
                for (size_t b = 0; b < n; b++)
                    p->out[((b0 + b) * p->C + c) * OP + j] = tmp[b];
        }
    }
}

static void train_channel(const pn_bnpool *p, size_t c)
{
    const size_t n = p->B * p->H * p->W;
    const float *x = p->x + c * n;
    const float mean = (float)(pn_kset_cur->row_sum(x, n) / (double)n);
    const double var = pn_kset_cur->row_sq_dev(x, n, mean) / (double)n;
    const float is = (float)(1.0 / sqrt(var + p->cfg.eps));
    p->stat[c] = mean;
    p->stat[p->C + c] = is;
    const float s = p->gamma[c] * is;
    pool_channel(p, c, s, p->beta[c] - mean * s, 1);
    const double unbiased = n > 1 ? var * (double)n / (double)(n - 1) : var;
    const float m = p->cfg.momentum;
    p->run_mean[c] = (1.0f - m) * p->run_mean[c] + m * (mean + p->bias[c]);
    p->run_var[c] = (1.0f - m) * p->run_var[c] + m * (float)unbiased;
}

static void eval_channel(const pn_bnpool *p, size_t c)
{
    const float s = p->gamma[c] / sqrtf(p->run_var[c] + p->cfg.eps);
    pool_channel(p, c, s, p->beta[c] + (p->bias[c] - p->run_mean[c]) * s, 0);
}

/* Channels in blocks of PN_CONV_CB: a block computing its conv makes the
 * block's rows first (bnpool_conv.c), which the channels then read from
 * cache. */
static void forward_blocks(const pn_bnpool *p, size_t c0, size_t c1,
                           void (*channel)(const pn_bnpool *, size_t))
{
    for (size_t c = c0; c < c1; c += PN_CONV_CB) {
        const size_t e = c1 - c < PN_CONV_CB ? c1 : c + PN_CONV_CB;
        if (p->conv)
            pn_bnpool_conv_channels(p, c, e - c);
        for (size_t ch = c; ch < e; ch++)
            channel(p, ch);
    }
}

void pn_bnpool_forward_train(const pn_bnpool *p, size_t c0, size_t c1)
{
    forward_blocks(p, c0, c1, train_channel);
}

void pn_bnpool_forward_eval(const pn_bnpool *p, size_t c0, size_t c1)
{
    forward_blocks(p, c0, c1, eval_channel);
}

/* The pooled values and their gradient of channels [c0, c1), batch-inner
 * [C, OP, B]: out and dout themselves, or their copies in p->bi when they
 * are NCHW. */
static void pooled_batch_inner(const pn_bnpool *p, size_t c0, size_t c1, const float **o,
                               const float **g)
{
    if (p->out_batch_inner) {
        *o = p->out;
        *g = p->dout;
        return;
    }
    const size_t B = p->B, OP = p->H / 2 * (p->W / 2), n = p->C * OP * B;
    float *bo = p->bi, *bg = p->bi + n;
    for (size_t b = 0; b < B; b++) { /* contiguous reads, strided writes */
        const float *ob = p->out + b * p->C * OP, *gb = p->dout + b * p->C * OP;
        for (size_t i = c0 * OP; i < c1 * OP; i++) {
            bo[i * B + b] = ob[i];
            bg[i * B + b] = gb[i];
        }
    }
    *o = bo;
    *g = bg;
}

/* Channel c's two BatchNorm sums, over the winners that passed ReLU, into
 * dgamma and dbeta; returns what its dx needs. */
static pn_bnpool_dx channel_sums(const pn_bnpool *p, size_t c, const float *o, const float *g)
{
    const size_t B = p->B, OP = p->H / 2 * (p->W / 2), n = B * p->H * p->W;
    const float mean = p->stat[c], is = p->stat[p->C + c];
    double sd = 0.0, sdx = 0.0;
    float as[LANES] = {0}, ax[LANES] = {0};
    size_t in_lanes = 0;
    for (size_t j = 0; j < OP; j++) {
        const size_t at = (c * OP + j) * B;
        pn_kset_cur->window_sums(p->win + at, o + at, g + at, mean, is, B, as, ax, &sd, &sdx);
        in_lanes += B;
        if (in_lanes >= CHUNK || j + 1 == OP) { /* lanes into the doubles */
            sd += pn_lanes_to_double(as);
            sdx += pn_lanes_to_double(ax);
            for (size_t k = 0; k < LANES; k++)
                as[k] = ax[k] = 0.0f;
            in_lanes = 0;
        }
    }
    p->dgamma[c] += (float)sdx;
    p->dbeta[c] += (float)sd;
    /* dx = k (dy - mean(dy) - xhat mean(dy xhat)) = base + (x - mean) slope + k dy */
    const float kc = p->gamma[c] * is;
    const float mdy = (float)(sd / (double)n), mdx = (float)(sdx / (double)n);
    return (pn_bnpool_dx){mean, -kc * mdy, -kc * mdx * is, kc};
}

/* Channel c's dx, written over the conv output's gradient. */
static void channel_dx(const pn_bnpool *p, size_t c, const float *o, const float *g,
                       const pn_bnpool_dx *d)
{
    const size_t B = p->B, W = p->W, OW = W / 2, OP = p->H / 2 * OW, n = B * p->H * W;
    const float *xc = p->x + c * n;
    float *dx = p->dx + c * n;
    if (p->H % 2 || p->W % 2) /* positions no window covers */
        for (size_t i = 0; i < n; i++)
            dx[i] = d->base + (xc[i] - d->mean) * d->slope;
    for (size_t j = 0; j < OP; j++) {
        const size_t off = (2 * (j / OW) * W + 2 * (j % OW)) * B, at = (c * OP + j) * B;
        const float *x0 = xc + off, *x2 = x0 + W * B;
        float *d0 = dx + off, *d2 = d0 + W * B;
        pn_kset_cur->window_dx(x0, x0 + B, x2, x2 + B, d0, d0 + B, d2, d2 + B, p->arg + at,
                               o + at, g + at, d->mean, d->base, d->slope, d->kc, B);
    }
}

void pn_bnpool_backward(const pn_bnpool *p, size_t c0, size_t c1)
{
    const float *o, *g;
    pooled_batch_inner(p, c0, c1, &o, &g);
    for (size_t c = c0; c < c1; c += PN_CONV_CB) {
        const size_t e = c1 - c < PN_CONV_CB ? c1 : c + PN_CONV_CB;
        pn_bnpool_dx d[PN_CONV_CB];
        for (size_t ch = c; ch < e; ch++)
            d[ch - c] = channel_sums(p, ch, o, g);
        if (p->conv) /* dx straight into the conv's weight gradient */
            pn_bnpool_conv_backward(p, c, e - c, o, g, d);
        else
            for (size_t ch = c; ch < e; ch++)
                channel_dx(p, ch, o, g, &d[ch - c]);
    }
}

/* ---- the op, which the fusion pass puts in the place of the pool of a
 * conv -> BN -> ReLU -> max-pool block: in[0] is the batch-inner conv, whose
 * bias it applies; the parameters and state are the BatchNorm's ---- */

/* The conv the block computes itself, if it does: its input (in[1]) as
 * forward made it batch-inner in buf[4], its weights, their gradient. */
static pn_bnpool_conv conv_of(const pn_op_call *c)
{
    const pn_tensor *in = &c->in[1];
    return (pn_bnpool_conv){
        .cin = in->c, .k = c->a->bn_relu_pool.conv_k, .ih = in->h, .iw = in->w, .in = c->buf[4],
        .w = c->in_w, .dw = c->in_dw, .x = c->in[0].val, .rows = c->buf[5],
    };
}

static pn_bnpool bnpool_of(const pn_op_call *c, const pn_bnpool_conv *conv)
{
    const pn_tensor *x = &c->in[0];
    return (pn_bnpool){
        .conv = c->a->bn_relu_pool.conv_k ? conv : NULL,
        .B = x->rows, .C = x->c, .H = x->h, .W = x->w,
        .out_batch_inner = c->a->bn_relu_pool.out_batch_inner,
        .x = x->val, .bias = c->in_bias, .gamma = c->w, .beta = c->b,
        .run_mean = c->state, .run_var = c->state + x->c, .stat = c->buf[0],
        .out = c->out.val, .arg = c->buf[1], .win = c->buf[2], .dout = c->out.grad,
        .dx = x->grad, .bi = c->buf[3], .dgamma = c->dw, .dbeta = c->db, .cfg = c->bn,
    };
}

static void bnpool_buffers(const pn_op_call *c, size_t len[PN_MAX_BUFS])
{
    const size_t pooled = c->out.rows * pn_row_size(&c->out);
    len[0] = 2 * c->out.c;
    len[1] = len[2] = pooled;
    len[3] = c->a->bn_relu_pool.out_batch_inner ? 0 : 2 * pooled;
    if (c->a->bn_relu_pool.conv_k) {
        const pn_tensor *x = &c->in[0];
        len[4] = c->in[1].rows * pn_row_size(&c->in[1]);
        len[5] = x->c * (2 * x->w * x->rows + 32);
    }
}

static void train_part(void *arg, size_t c0, size_t c1) { pn_bnpool_forward_train(arg, c0, c1); }
static void eval_part(void *arg, size_t c0, size_t c1) { pn_bnpool_forward_eval(arg, c0, c1); }
static void backward_part(void *arg, size_t c0, size_t c1) { pn_bnpool_backward(arg, c0, c1); }

static void bnpool_forward(const pn_op_call *c)
{
    const pn_bnpool_conv conv = conv_of(c);
    pn_bnpool p = bnpool_of(c, &conv);
    if (p.conv)
        pn_conv2d_to_batch_inner(c->pool, c->buf[4], c->in[1].val, c->in[1].rows, conv.cin,
                                 conv.ih, conv.iw);
    pn_op_for(c, c->in[0].rows * pn_row_size(&c->in[0]), p.C, c->training ? train_part : eval_part,
              &p);
}

static void bnpool_backward(const pn_op_call *c)
{
    const pn_bnpool_conv conv = conv_of(c);
    pn_bnpool p = bnpool_of(c, &conv);
    pn_op_for(c, c->in[0].rows * pn_row_size(&c->in[0]), p.C, backward_part, &p);
}

static void bnpool_init(const pn_op_call *c, pn_rng *rng)
{
    (void)rng;
    pn_init_bn(c, c->out.c);
}

const pn_op_desc pn_op_bn_relu_pool = {
    .name = "bn_relu_pool",
    .flags = PN_OPF_SETS_IN_GRAD,
    .buffers = bnpool_buffers,
    .bufs = {"batch mean of x [C], then inverse std [C], for backward",
             "winner 0..3 of each pooling window, batch-inner, for backward",
             "the winner's x of each pooling window, batch-inner, for backward",
             "backward scratch when the output is NCHW: it and its gradient, batch-inner",
             "the conv's input as [C, H, W, B], when the block computes its conv",
             "backward scratch when the block computes its conv: dx of two rows per channel"},
    .forward = bnpool_forward,
    .backward = bnpool_backward,
    .init = bnpool_init,
};
