/* The kernels: plain forward/backward function pairs with explicit shapes,
 * float32, row-major, NCHW unless a kernel says batch-inner ([C, H, W, B],
 * the batch index fastest). The ops that the graph runs wrap them
 * (include/pairnet/ops/op_desc.h). Every backward ACCUMULATES (+=) into
 * the input and parameter gradients, so a tensor read by two consumers, or a
 * parameter used twice, receives the sum; the graph zeroes gradients once per
 * step. None of these allocate: buffers come from the graph's arena. */
#ifndef PAIRNET_KERNELS_H
#define PAIRNET_KERNELS_H

#include <stddef.h>
#include <stdint.h>

struct pn_pool;

/* ---- linear (src/ops/linear.c) ----
 * in [B, I], w [O, I] (PyTorch layout), b [O], out [B, O] */
void pn_linear_forward(struct pn_pool *pool, float *out, const float *in, const float *w,
                       const float *b, size_t B, size_t I, size_t O);
/* din [B, I] may be NULL (input needs no gradient) */
void pn_linear_backward(struct pn_pool *pool, float *din, float *dw, float *db,
                        const float *dout, const float *in, const float *w,
                        size_t B, size_t I, size_t O);

/* ---- conv2d in the batch-inner layout (src/ops/conv2d.c) ----
 * k x k, stride 1, no padding. w [F, C*k*k]; out [F, OH, OW, B] (the
 * GEMM's [F, N] as it comes, N ordered (oy, ox, b)), no bias: the
 * BatchNorm after it takes the bias (see pn_bnpool). The input is NCHW, or
 * batch-inner [C, H, W, B] when in_batch_inner (a fused pool's output).
 * col      [C*k*k, OH*OW*B]  room for im2col of the input, written only
 *                            when a GEMM is too small for the packed path
 *                            (which packs its panels from the input itself)
 * scratch  [B*C*H*W]         the input (gradient) as [C, H, W, B] when it
 *                            is NCHW, kept from forward for backward;
 *                            unused otherwise
 * Backward: dout [F, OH, OW, B]; in is the batch-inner input (the input
 * itself, or forward's scratch); dw accumulated; din (layout as the input)
 * and dcol [C*k*k, OH*OW*B] may be NULL together; the bias gradient is the
 * BatchNorm's business (exactly zero in training). */
void pn_conv2d_batch_inner_forward(struct pn_pool *pool, float *out, float *col, float *scratch,
                                   const float *in, int in_batch_inner, const float *w, size_t B,
                                   size_t C, size_t H, size_t W, size_t F, size_t k);
/* dst [C, H, W, B] = src [B, C, H, W] */
void pn_conv2d_to_batch_inner(struct pn_pool *pool, float *dst, const float *src, size_t B,
                              size_t C, size_t H, size_t W);
void pn_conv2d_batch_inner_backward(struct pn_pool *pool, float *din, int din_batch_inner,
                                    float *dw, float *dcol, float *scratch, const float *dout,
                                    float *col, const float *in, const float *w, size_t B,
                                    size_t C, size_t H, size_t W, size_t F, size_t k);

/* ---- BatchNorm1d over features (src/ops/batchnorm.c) ----
 * x [B, C]. The functions work on channels [c0, c1) only: channels are
 * independent, so threads can take disjoint ranges. */
typedef struct pn_bn_cfg {
    float eps;      /* 1e-5 */
    float momentum; /* 0.1: running = (1-m) running + m batch */
} pn_bn_cfg;
/* Training: batch statistics; xhat [B, C] and istd [C] kept for backward;
 * running mean/var [C] updated (unbiased variance). */
void pn_bn1d_forward_train_part(float *out, float *xhat, float *istd, float *run_mean,
                                float *run_var, const float *in, const float *gamma,
                                const float *beta, size_t B, size_t C, pn_bn_cfg cfg, size_t c0,
                                size_t c1);
/* Evaluation: running statistics. */
void pn_bn1d_forward_eval_part(float *out, const float *in, const float *gamma,
                               const float *beta, const float *run_mean, const float *run_var,
                               size_t B, size_t C, pn_bn_cfg cfg, size_t c0, size_t c1);
/* din may be NULL (only dgamma, dbeta) */
void pn_bn1d_backward_part(float *din, float *dgamma, float *dbeta, const float *dout,
                           const float *xhat, const float *istd, const float *gamma, size_t B,
                           size_t C, size_t c0, size_t c1);

/* ---- fused conv epilogue: BatchNorm2d -> ReLU -> 2x2 max-pool
 * (src/ops/bnpool.c) ----
 * x is the conv output in the batch-inner layout [C, H, W, B] (the conv
 * GEMM's [F, N] as it comes), WITHOUT the conv bias: BatchNorm removes the
 * batch mean, so the bias only enters the running mean and evaluation, and
 * its training gradient is exactly zero. The pooled output is batch-inner
 * [C, H/2, W/2, B] when out_batch_inner (for a fused conv that reads it), else
 * NCHW.
 * The winner of a window is the first maximum in reading order, as
 * PyTorch's max-pool has it. The functions work on channels [c0, c1). */
/* A first conv computed inside its block (src/ops/bnpool_conv.c): a conv
 * whose input needs no gradient, small enough (cin k k <= PN_CONV_MAX_K)
 * that its rows are made channel by channel while the BatchNorm sums and
 * the pool read them from cache, and whose weight gradient takes dx from
 * L1 instead of a written-out gradient. Same bits as the conv op. */
#define PN_CONV_MAX_K 32
typedef struct pn_bnpool_conv {
    size_t cin, k, ih, iw;       /* the conv's input and kernel */
    const float *in;             /* [cin, ih, iw, B]: the input, batch-inner */
    const float *w;              /* [C, cin k k] */
    float *dw;                   /* backward: accumulated */
    float *x;                    /* = pn_bnpool.x, written */
    float *rows;                 /* [C, 2 W B + 32] backward scratch: dx of two rows */
} pn_bnpool_conv;

typedef struct pn_bnpool {
    size_t B, C, H, W;
    const pn_bnpool_conv *conv;  /* NULL: x is given */
    int out_batch_inner;         /* out and dout are [C, H/2, W/2, B], else NCHW */
    const float *x;              /* [C, H, W, B] conv output without bias */
    const float *bias;           /* [C] conv bias */
    const float *gamma, *beta;   /* [C] */
    float *run_mean, *run_var;   /* [C] (running mean includes the bias) */
    float *stat;                 /* [2C] batch mean of x, inverse std: kept for backward */
    float *out;                  /* pooled output */
    float *arg;                  /* [C, H/2, W/2, B] winner 0..3, row-major in the window */
    float *win;                  /* [C, H/2, W/2, B] the winner's x (x at arg) */
    const float *dout;           /* backward: gradient of out */
    float *dx;                   /* backward: [C, H, W, B], OVERWRITTEN */
    float *bi;                   /* backward scratch when out is NCHW: out, then dout, as
                                  * [C, H/2, W/2, B] (2 C H/2 W/2 B floats); unused otherwise */
    float *dgamma, *dbeta;       /* backward: accumulated */
    pn_bn_cfg cfg;
} pn_bnpool;
void pn_bnpool_forward_train(const pn_bnpool *p, size_t c0, size_t c1);
void pn_bnpool_forward_eval(const pn_bnpool *p, size_t c0, size_t c1);
void pn_bnpool_backward(const pn_bnpool *p, size_t c0, size_t c1);
/* With p->conv, for the cb channels from c (at most 4): their conv rows
 * into x (forward); their dx = base + (x - mean) slope + kc dy at the
 * winner, d[j] for channel c + j, into the conv's weight gradient
 * (backward; o and g the pooled values and their gradient, batch-inner). */
typedef struct pn_bnpool_dx {
    float mean, base, slope, kc;
} pn_bnpool_dx;
void pn_bnpool_conv_channels(const pn_bnpool *p, size_t c, size_t cb);
void pn_bnpool_conv_backward(const pn_bnpool *p, size_t c, size_t cb, const float *o,
                             const float *g, const pn_bnpool_dx *d);

/* ---- ReLU (src/ops/relu.c) ---- n elements */
void pn_relu_forward(float *out, const float *in, size_t n);
/* uses the output: d/dx relu is 1 where out > 0 (0 at the kink) */
void pn_relu_backward(float *din, const float *dout, const float *out, size_t n);
/* ---- softmax (src/ops/softmax.c) ----
 * over each row of in [R, K] (max-shifted); backward uses the output:
 * din += y * (dout - <dout, y>) per row */
void pn_softmax_forward(float *out, const float *in, size_t R, size_t K);
void pn_softmax_backward(float *din, const float *dout, const float *out, size_t R, size_t K);

/* ---- probabilistic comparison (src/ops/prob_le.c) ----
 * in [R, 20]: two 10-class distributions p1, p2 per row; out [R, 2] =
 * (log(1 - P), log P) with P = sum_{i <= j} p1(i) p2(j), clamped to
 * [PN_PROB_EPS, 1 - PN_PROB_EPS], so that cross-entropy on out is the
 * negative log-likelihood of P. Backward accumulates into din. */
#define PN_PROB_EPS 1e-6f
float pn_prob_le_of(const float *p1, const float *p2);
void pn_prob_le_forward(float *out, const float *in, size_t R);
void pn_prob_le_backward(float *din, const float *dout, const float *in, size_t R);

/* ---- inverted dropout (src/ops/dropout.c) ---- n elements, 0 <= p < 1.
 * Training: mask[i] = 0 with probability p, else 1/(1-p); out = in * mask.
 * The mask is a pure function of (key, i): same key, same mask. */
void pn_dropout_forward(float *out, float *mask, const float *in, size_t n, float p,
                        uint64_t key);
void pn_dropout_backward(float *din, const float *dout, const float *mask, size_t n);

/* ---- cross-entropy, mean over rows (src/ops/loss.c) ----
 * logits [R, K], labels [R] in 0..K-1; prob [R, K] softmax kept for backward.
 * The target of a row is q = (1 - eps) onehot + eps / K (label smoothing,
 * PyTorch's CrossEntropyLoss(label_smoothing=eps); eps 0: the one-hot).
 * Returns the mean of -sum_j q_j log p_j (log-sum-exp, stable). */
float pn_cross_entropy_forward(float *prob, const float *logits, const uint8_t *labels,
                               size_t R, size_t K, float eps);
/* dlogits [R, K] += dloss * (prob - q) / R */
void pn_cross_entropy_backward(float *dlogits, const float *prob, const uint8_t *labels,
                               float dloss, size_t R, size_t K, float eps);

/* ---- moving samples around (src/ops/shape.c) ----
 * A pair batch [B, 2, S]: the two images of pair i are x[i,0,:] and x[i,1,:]. */
/* out [B, S] = in[:, ch, :] of in [B, nch, S] */
void pn_select_forward(float *out, const float *in, size_t B, size_t nch, size_t ch, size_t S);
void pn_select_backward(float *din, const float *dout, size_t B, size_t nch, size_t ch, size_t S);
/* in [B, 2, S] -> out [2B, S]: rows 0..B-1 first images, B..2B-1 second */
void pn_unstack_forward(float *out, const float *in, size_t B, size_t S);
void pn_unstack_backward(float *din, const float *dout, size_t B, size_t S);
/* in [2B, F] -> out [B, 2F]: row i = [in[i], in[B+i]] (inverse of unstack) */
void pn_restack_forward(float *out, const float *in, size_t B, size_t F);
void pn_restack_backward(float *din, const float *dout, size_t B, size_t F);
/* a [B, Fa], b [B, Fb] -> out [B, Fa+Fb] */
void pn_concat_forward(float *out, const float *a, const float *b, size_t B, size_t Fa, size_t Fb);
/* da or db may be NULL */
void pn_concat_backward(float *da, float *db, const float *dout, size_t B, size_t Fa, size_t Fb);

#endif
