/* Conv2d, k x k, stride 1, no padding, as GEMMs over the whole batch: the
 * GEMM sees N = OH*OW*B columns instead of OH*OW, which is what keeps it
 * efficient for the small output maps of the second layer.
 *
 * The conv runs in the batch-inner layout [C, H, W, B], the batch index
 * fastest: it writes the GEMM's output [F, (oy, ox, b)] as it comes, and
 * a row of the im2col matrix is OH runs of OW*B contiguous floats of the
 * input. So the forward and weight-gradient GEMMs pack their panels
 * straight from the input (pn_gemm_im2col_par) and im2col is written out
 * only for products too small for the packed path; the input gradient's
 * col2im adds each output row's part of dcol while it is in L2 (dgrad). It
 * has no bias of its own: the BatchNorm after it (BN_RELU_POOL) takes the
 * bias, which only shifts the batch mean.
 *
 * The passes are split over the pool by im2col row, channel group
 * (dgrad) or feature (transposes): disjoint writes, so any thread count
 * gives the same bits. */
#include <string.h>

#include "op_helpers.h"
#include "pairnet/base/pool.h"
#include "pairnet/ops/gemm.h"
#include "pairnet/ops/kernels.h"

/* What the parts of one copy pass see. */
typedef struct conv_job {
    float *dst;
    const float *src;
    size_t B, C, H, W, k; /* input [C, H, W, B] (or NCHW for the transposes), kernel k */
} conv_job;

/* rows [r0, r1) of col [C*k*k, OH*OW*B] from in [C, H, W, B], row r = (c, ki, kj) */
static void im2col_part(void *arg, size_t r0, size_t r1)
{
    const conv_job *s = arg;
    const size_t OH = s->H - s->k + 1, OW = s->W - s->k + 1, k = s->k, B = s->B;
    const size_t N = OH * OW * B, run = OW * B;
    for (size_t r = r0; r < r1; r++) {
        const size_t c = r / (k * k), ki = r / k % k, kj = r % k;
        for (size_t oy = 0; oy < OH; oy++)
            memcpy(s->dst + r * N + oy * run, s->src + ((c * s->H + oy + ki) * s->W + kj) * B,
                   run * sizeof(float));
    }
}

/* features [f0, f1) of dst [S, B] = src [B, S], S = C*H*W */
static void to_batch_inner_part(void *arg, size_t f0, size_t f1)
{
    const conv_job *s = arg;
    const size_t S = s->C * s->H * s->W;
    for (size_t f = f0; f < f1; f++)
        for (size_t b = 0; b < s->B; b++)
            s->dst[f * s->B + b] = s->src[b * S + f];
}

/* samples [b0, b1) of dst [B, S] += src [S, B] */
static void add_from_batch_inner_part(void *arg, size_t b0, size_t b1)
{
    const conv_job *s = arg;
    const size_t S = s->C * s->H * s->W;
    for (size_t b = b0; b < b1; b++)
        for (size_t f = 0; f < S; f++)
            s->dst[b * S + f] += s->src[f * s->B + b];
}

/* The input gradient din [C, H, W, B] += col2im(w^T dout), never writing
 * the whole of dcol: channels go in groups of about DG_ROWS rows of dcol
 * (whole channels, since col2im adds a channel's rows into the same
 * pixels), and a group's rows are computed one output row oy at a time,
 * the last first, into the group's own part of dcol, and added into din
 * at once while they are in L2. Each dcol element is the same GEMM chain
 * as in the one large product (a row and column subset of it: the same K,
 * so the same K blocks), and every pixel takes its (ki, kj) terms in
 * ascending order, as a col2im looping over c, ki, kj, oy adds them: oy
 * descending is ki ascending for a given pixel, and kj ascends within an
 * oy. So the bits are those of the whole GEMM followed by that col2im. */
#define DG_ROWS 64

typedef struct dgrad_job {
    conv_job s; /* dst = din, batch-inner */
    float *dcol;
    const float *dout, *w;
    size_t F, group; /* channels per group */
} dgrad_job;

static void dgrad_task(void *arg, size_t g)
{
    const dgrad_job *j = arg;
    const conv_job *s = &j->s;
    const size_t k = s->k, kk = k * k, OH = s->H - k + 1, run = (s->W - k + 1) * s->B;
    const size_t N = OH * run, K = s->C * kk, c0 = g * j->group;
    const size_t c1 = c0 + j->group < s->C ? c0 + j->group : s->C, rows = (c1 - c0) * kk;
    float *t = j->dcol + c0 * kk * N; /* the group's rows of dcol: room for rows x run */
    for (size_t oy = OH; oy-- > 0;) {
        pn_gemm(1, 0, rows, run, j->F, j->w + c0 * kk, K, j->dout + oy * run, N, 0.0f, t, run);
        for (size_t c = c0; c < c1; c++)
            for (size_t ki = 0; ki < k; ki++)
                for (size_t kj = 0; kj < k; kj++) {
                    const float *restrict r = t + ((c - c0) * kk + ki * k + kj) * run;
                    float *restrict d = s->dst + ((c * s->H + oy + ki) * s->W + kj) * s->B;
                    for (size_t i = 0; i < run; i++)
                        d[i] += r[i];
                }
    }
}

static void dgrad(struct pn_pool *pool, float *din, float *dcol, const float *dout,
                  const float *w, size_t B, size_t C, size_t H, size_t W, size_t F, size_t k)
{
    const size_t group = (DG_ROWS + k * k - 1) / (k * k);
    dgrad_job j = {.s = {.dst = din, .B = B, .C = C, .H = H, .W = W, .k = k},
                   .dcol = dcol, .dout = dout, .w = w, .F = F, .group = group};
    pn_pool_run(pool, (C + group - 1) / group, dgrad_task, &j);
}

void pn_conv2d_to_batch_inner(struct pn_pool *pool, float *dst, const float *src, size_t B,
                              size_t C, size_t H, size_t W)
{
    conv_job t = {.dst = dst, .src = src, .B = B, .C = C, .H = H, .W = W};
    pn_pool_for(pool, C * H * W, to_batch_inner_part, &t);
}

void pn_conv2d_batch_inner_forward(struct pn_pool *pool, float *out, float *col, float *scratch,
                                   const float *in, int in_batch_inner, const float *w, size_t B,
                                   size_t C, size_t H, size_t W, size_t F, size_t k)
{
    const size_t N = (H - k + 1) * (W - k + 1) * B, K = C * k * k;
    if (!in_batch_inner) {
        pn_conv2d_to_batch_inner(pool, scratch, in, B, C, H, W);
        in = scratch;
    }
    /* the GEMM packs its B panels straight from the activations; only a
     * product too small for the packed path needs im2col written out */
    const pn_im2col x = {.x = in, .C = C, .H = H, .W = W, .B = B, .k = k};
    if (pn_gemm_im2col_par(pool, 0, 0, F, N, K, w, K, &x, 0.0f, out, N))
        return;
    conv_job s = {.dst = col, .src = in, .B = B, .C = C, .H = H, .W = W, .k = k};
    pn_pool_for(pool, K, im2col_part, &s);
    pn_gemm_par(pool, 0, 0, F, N, K, w, K, col, N, 0.0f, out, N); /* out[F,N] */
}

void pn_conv2d_batch_inner_backward(struct pn_pool *pool, float *din, int din_batch_inner,
                                    float *dw, float *dcol, float *scratch, const float *dout,
                                    float *col, const float *in, const float *w, size_t B,
                                    size_t C, size_t H, size_t W, size_t F, size_t k)
{
    const size_t N = (H - k + 1) * (W - k + 1) * B, K = C * k * k;
    const pn_im2col x = {.x = in, .C = C, .H = H, .W = W, .B = B, .k = k};
    if (!pn_gemm_im2col_par(pool, 0, 1, F, K, N, dout, N, &x, 1.0f, dw, K)) {
        conv_job s = {.dst = col, .src = in, .B = B, .C = C, .H = H, .W = W, .k = k};
        pn_pool_for(pool, K, im2col_part, &s);
        pn_gemm_par(pool, 0, 1, F, K, N, dout, N, col, N, 1.0f, dw, K);
    }
    if (!din)
        return;
    if (din_batch_inner) {
        dgrad(pool, din, dcol, dout, w, B, C, H, W, F, k);
        return;
    }
    memset(scratch, 0, B * C * H * W * sizeof(float));
    dgrad(pool, scratch, dcol, dout, w, B, C, H, W, F, k);
    conv_job t = {.dst = din, .src = scratch, .B = B, .C = C, .H = H, .W = W, .k = k};
    pn_pool_for(pool, B, add_from_batch_inner_part, &t);
}

/* ---- the ops: conv2d as models write it, and the batch-inner conv it
 * becomes in a conv -> BN -> ReLU -> max-pool block (src/graph/fuse.c);
 * a first conv whose pool computes it (by_pool) does nothing itself ---- */

static int conv_shape(const pn_shape *in, size_t n_in, pn_op_attr *a, pn_shape *out,
                      pn_op_sizes *sz)
{
    (void)n_in;
    const size_t k = a->conv.k, cout = a->conv.cout;
    if (k == 0 || cout == 0 || in->h < k || in->w < k)
        return 0;
    a->conv.cin = in->c;
    *out = (pn_shape){.rmul = in->rmul, .c = cout, .h = in->h - k + 1, .w = in->w - k + 1};
    *sz = (pn_op_sizes){.w = cout * in->c * k * k, .b = cout};
    return 1;
}

static size_t conv_fan(const pn_op_call *c) { return c->a->conv.cin * c->a->conv.k * c->a->conv.k; }

static void conv_buffers(const pn_op_call *c, size_t len[PN_MAX_BUFS])
{
    if (c->a->conv.by_pool)
        return;
    const size_t cols = conv_fan(c) * c->out.rows * c->out.h * c->out.w;
    len[0] = cols;
    if (!c->a->conv.in_batch_inner)
        len[1] = c->in[0].rows * pn_row_size(&c->in[0]);
    if (c->in[0].needs_grad)
        len[2] = cols;
}

static void conv_forward(const pn_op_call *c)
{
    const pn_tensor *x = &c->in[0];
    if (c->a->conv.by_pool)
        return;
    pn_conv2d_batch_inner_forward(c->pool, c->out.val, c->buf[0], c->buf[1], x->val,
                                  c->a->conv.in_batch_inner, c->w, c->out.rows, x->c, x->h, x->w,
                                  c->out.c, c->a->conv.k);
}

static void conv_backward(const pn_op_call *c)
{
    const pn_tensor *x = &c->in[0];
    if (c->a->conv.by_pool)
        return;
    /* the batch-inner input: x itself, or forward's copy of it in buf[1] */
    const float *in = c->a->conv.in_batch_inner ? x->val : c->buf[1];
    pn_conv2d_batch_inner_backward(c->pool, x->grad, c->a->conv.in_batch_inner, c->dw,
                                   x->grad ? c->buf[2] : NULL, c->buf[1], c->out.grad, c->buf[0],
                                   in, c->w, c->out.rows, x->c, x->h, x->w, c->out.c,
                                   c->a->conv.k);
}

static void conv_init(const pn_op_call *c, pn_rng *rng)
{
    pn_init_fan_in(c->w, conv_fan(c) * c->out.c, c->b, c->out.c, conv_fan(c), rng);
}

static double conv_macs(const pn_op_call *c)
{
    return (double)conv_fan(c) * (double)(c->out.c * c->out.h * c->out.w);
}

const pn_op_desc pn_op_conv2d = {
    .name = "conv2d",
    .flags = PN_OPF_PATTERN,
    .shape = conv_shape,
    .init = conv_init,
    .macs = conv_macs,
};

const pn_op_desc pn_op_conv2d_batch_inner = {
    .name = "conv2d_batch_inner",
    .shape = conv_shape,
    .buffers = conv_buffers,
    .bufs = {"im2col of the input [C*k*k, OH*OW*B], for backward",
             "the input as [C, H, W, B] when it comes NCHW; its gradient so in backward",
             "the gradient of im2col [C*k*k, OH*OW*B] (only if the input needs one)"},
    .forward = conv_forward,
    .backward = conv_backward,
    .init = conv_init,
    .macs = conv_macs,
};
