/* Reference implementations of what the library runs only fused: conv2d
 * in NCHW with its bias, BatchNorm over channels of [B, C, S] for any S,
 * 2x2 max-pool. They are the straightforward versions (im2col + GEMM for
 * the conv, plain double sums for BatchNorm), tested in test_ops.c against
 * direct loops and hand-computed numbers, and the oracles the fused conv
 * blocks are compared with in test_graph.c. Backwards accumulate (+=), as
 * the library's do. */
#ifndef PAIRNET_TEST_ORACLE_H
#define PAIRNET_TEST_ORACLE_H

#include <stddef.h>

#include "pairnet/ops/kernels.h"

/* in [B, C, H, W], w [F, C*k*k], b [F], out [B, F, H-k+1, W-k+1];
 * col [C*k*k, B*OH*OW] im2col kept for backward, ycn [F, B*OH*OW] scratch */
void oracle_conv2d_forward(float *out, float *col, float *ycn, const float *in, const float *w,
                           const float *b, size_t B, size_t C, size_t H, size_t W, size_t F,
                           size_t k);
/* dcol [C*k*k, B*OH*OW] scratch; din and dcol may be NULL together */
void oracle_conv2d_backward(float *din, float *dw, float *db, float *dcol, float *ycn,
                            const float *dout, const float *col, const float *w, size_t B,
                            size_t C, size_t H, size_t W, size_t F, size_t k);
void oracle_im2col(float *col, const float *in, size_t B, size_t C, size_t H, size_t W, size_t k);
void oracle_col2im_add(float *din, const float *col, size_t B, size_t C, size_t H, size_t W,
                       size_t k);

/* x [B, C, S]; xhat [B, C, S] and istd [C] kept for backward */
void oracle_bn_forward_train(float *out, float *xhat, float *istd, float *run_mean,
                             float *run_var, const float *in, const float *gamma,
                             const float *beta, size_t B, size_t C, size_t S, pn_bn_cfg cfg);
void oracle_bn_forward_eval(float *out, const float *in, const float *gamma, const float *beta,
                            const float *run_mean, const float *run_var, size_t B, size_t C,
                            size_t S, pn_bn_cfg cfg);
/* din may be NULL */
void oracle_bn_backward(float *din, float *dgamma, float *dbeta, const float *dout,
                        const float *xhat, const float *istd, const float *gamma, size_t B,
                        size_t C, size_t S);

/* in [B, C, H, W] -> out [B, C, H/2, W/2]; arg the winner 0..3 in its
 * window (row-major), the first maximum on ties */
void oracle_maxpool2_forward(float *out, float *arg, const float *in, size_t B, size_t C,
                             size_t H, size_t W);
void oracle_maxpool2_backward(float *din, const float *dout, const float *arg, size_t B,
                              size_t C, size_t H, size_t W);

#endif
