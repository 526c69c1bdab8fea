/* The kernels the library runs in place of the reference ones of oracle.h:
 * the batch-inner conv against the NCHW oracle, BatchNorm1d against the
 * general oracle at S = 1 (the same bits, for any split of the channels). */
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "pairnet/base/pool.h"
#include "pairnet/base/rng.h"
#include "pairnet/ops/gemm.h"
#include "pairnet/ops/kset.h"
#include "pairnet/ops/kernels.h"

static float *falloc(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

static void fill(float *x, size_t n, pn_rng *r, float a)
{
    for (size_t i = 0; i < n; i++)
        x[i] = pn_rng_sym(r, a);
}

/* [B, S] -> [S, B] */
static void to_batch_inner(float *dst, const float *src, size_t B, size_t S)
{
    for (size_t b = 0; b < B; b++)
        for (size_t s = 0; s < S; s++)
            dst[s * B + b] = src[b * S + s];
}

static size_t count_far(const float *a, const float *b, size_t n, double tol)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += !(fabs((double)a[i] - b[i]) <= tol * (1.0 + fabs((double)b[i])));
    return bad;
}

/* Forward and backward, input NCHW and batch-inner: the output is the
 * oracle's transposed, without the bias; dw and din accumulate. */
static void conv_batch_inner_matches_oracle(void)
{
    static const size_t cases[][6] = {{3, 2, 7, 6, 4, 3}, {5, 1, 8, 8, 3, 2}, {2, 3, 4, 4, 2, 4}};
    pn_rng r;
    pn_rng_seed(&r, 301, 0);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const size_t B = cases[ci][0], C = cases[ci][1], H = cases[ci][2], W = cases[ci][3];
        const size_t F = cases[ci][4], k = cases[ci][5];
        const size_t OH = H - k + 1, OW = W - k + 1, K = C * k * k, N = B * OH * OW;
        const size_t n_in = B * C * H * W, n_out = F * N;
        float *in = falloc(n_in), *in_bi = falloc(n_in), *w = falloc(F * K), *zero = falloc(F);
        float *ref = falloc(n_out), *ref_bi = falloc(n_out), *col = falloc(K * N);
        float *ycn = falloc(n_out), *out = falloc(n_out), *out2 = falloc(n_out);
        float *scratch = falloc(n_in), *dcol = falloc(K * N);
        fill(in, n_in, &r, 2.0f);
        fill(w, F * K, &r, 1.0f);
        to_batch_inner(in_bi, in, B, C * H * W);
        oracle_conv2d_forward(ref, col, ycn, in, w, zero, B, C, H, W, F, k);
        to_batch_inner(ref_bi, ref, B, F * OH * OW);
        pn_conv2d_batch_inner_forward(NULL, out, col, scratch, in, 0, w, B, C, H, W, F, k);
        CHECK_MSG(count_far(out, ref_bi, n_out, 1e-5) == 0, "case %zu: forward", ci);
        pn_conv2d_batch_inner_forward(NULL, out2, col, NULL, in_bi, 1, w, B, C, H, W, F, k);
        CHECK_MSG(memcmp(out, out2, n_out * sizeof *out) == 0,
                  "case %zu: batch-inner input gives other bits", ci);

        /* backward from dout [F, OH, OW, B] into pre-filled gradients */
        float *dout_bi = falloc(n_out), *dout = falloc(n_out), *din = falloc(n_in);
        float *din_bi = falloc(n_in), *want_din = falloc(n_in), *want_din_bi = falloc(n_in);
        float *dw = falloc(F * K), *dw2 = falloc(F * K), *want_dw = falloc(F * K);
        float *db = falloc(F);
        fill(dout_bi, n_out, &r, 1.0f);
        for (size_t f = 0; f < F; f++) /* [F, P, B] -> [B, F, P] */
            for (size_t p = 0; p < OH * OW; p++)
                for (size_t b = 0; b < B; b++)
                    dout[(b * F + f) * OH * OW + p] = dout_bi[(f * OH * OW + p) * B + b];
        fill(want_din, n_in, &r, 3.0f);
        fill(want_dw, F * K, &r, 3.0f);
        memcpy(din, want_din, n_in * sizeof *din);
        memcpy(dw, want_dw, F * K * sizeof *dw);
        memcpy(dw2, want_dw, F * K * sizeof *dw);
        to_batch_inner(din_bi, want_din, B, C * H * W);
        oracle_im2col(col, in, B, C, H, W, k);
        oracle_conv2d_backward(want_din, want_dw, db, dcol, ycn, dout, col, w, B, C, H, W, F, k);
        to_batch_inner(want_din_bi, want_din, B, C * H * W);
        pn_conv2d_batch_inner_forward(NULL, out, col, scratch, in, 0, w, B, C, H, W, F, k);
        pn_conv2d_batch_inner_backward(NULL, din, 0, dw, dcol, scratch, dout_bi, col, scratch, w, B,
                                       C, H, W, F, k);
        CHECK_MSG(count_far(din, want_din, n_in, 1e-5) == 0, "case %zu: din (NCHW)", ci);
        CHECK_MSG(count_far(dw, want_dw, F * K, 1e-5) == 0, "case %zu: dw", ci);
        pn_conv2d_batch_inner_backward(NULL, din_bi, 1, dw2, dcol, NULL, dout_bi, col, in_bi, w, B,
                                       C, H, W, F, k);
        CHECK_MSG(count_far(din_bi, want_din_bi, n_in, 1e-5) == 0, "case %zu: din (batch-inner)",
                  ci);
        /* only the weights: no input gradient, no scratch touched */
        pn_conv2d_batch_inner_backward(NULL, NULL, 0, dw2, NULL, NULL, dout_bi, col, in_bi, w, B, C,
                                       H, W, F, k);
        free(in), free(in_bi), free(w), free(zero), free(ref), free(ref_bi), free(col);
        free(ycn), free(out), free(out2), free(scratch), free(dcol), free(dout_bi), free(dout);
        free(din), free(din_bi), free(want_din), free(want_din_bi), free(dw), free(dw2);
        free(want_dw), free(db);
    }
}

/* BatchNorm1d, run on two channel ranges that cut a block of 64, gives the
 * general oracle's bits: outputs, saved values, running statistics, and the
 * accumulated gradients. */
static void bn1d_is_the_oracle_at_s1(void)
{
    const size_t B = 9, C = 70, n = B * C, cut = 30;
    const pn_bn_cfg cfg = {1e-5f, 0.1f};
    pn_rng r;
    pn_rng_seed(&r, 302, 0);
    float *in = falloc(n), *dout = falloc(n), *g = falloc(C), *be = falloc(C);
    float *out[2], *xhat[2], *istd[2], *rm[2], *rv[2], *din[2], *dg[2], *db[2], *ev[2];
    for (int v = 0; v < 2; v++) {
        out[v] = falloc(n), xhat[v] = falloc(n), din[v] = falloc(n), ev[v] = falloc(n);
        istd[v] = falloc(C), rm[v] = falloc(C), rv[v] = falloc(C), dg[v] = falloc(C);
        db[v] = falloc(C);
    }
    fill(in, n, &r, 3.0f);
    fill(dout, n, &r, 1.0f);
    fill(g, C, &r, 2.0f);
    fill(be, C, &r, 1.0f);
    for (int v = 0; v < 2; v++) {
        pn_rng_seed(&r, 303, 0); /* the same pre-filled gradients and statistics */
        fill(din[v], n, &r, 1.0f);
        fill(dg[v], C, &r, 1.0f);
        fill(db[v], C, &r, 1.0f);
        fill(rm[v], C, &r, 1.0f);
        for (size_t c = 0; c < C; c++)
            rv[v][c] = 1.0f + pn_rng_sym(&r, 0.5f);
    }
    oracle_bn_forward_train(out[0], xhat[0], istd[0], rm[0], rv[0], in, g, be, B, C, 1, cfg);
    oracle_bn_backward(din[0], dg[0], db[0], dout, xhat[0], istd[0], g, B, C, 1);
    oracle_bn_forward_eval(ev[0], in, g, be, rm[0], rv[0], B, C, 1, cfg);
    const size_t parts[3] = {0, cut, C};
    for (size_t p = 0; p < 2; p++)
        pn_bn1d_forward_train_part(out[1], xhat[1], istd[1], rm[1], rv[1], in, g, be, B, C, cfg,
                                   parts[p], parts[p + 1]);
    for (size_t p = 0; p < 2; p++)
        pn_bn1d_backward_part(din[1], dg[1], db[1], dout, xhat[1], istd[1], g, B, C, parts[p],
                              parts[p + 1]);
    for (size_t p = 0; p < 2; p++)
        pn_bn1d_forward_eval_part(ev[1], in, g, be, rm[1], rv[1], B, C, cfg, parts[p],
                                  parts[p + 1]);
    CHECK(memcmp(out[0], out[1], n * sizeof(float)) == 0);
    CHECK(memcmp(xhat[0], xhat[1], n * sizeof(float)) == 0);
    CHECK(memcmp(istd[0], istd[1], C * sizeof(float)) == 0);
    CHECK(memcmp(rm[0], rm[1], C * sizeof(float)) == 0);
    CHECK(memcmp(rv[0], rv[1], C * sizeof(float)) == 0);
    CHECK(memcmp(din[0], din[1], n * sizeof(float)) == 0);
    CHECK(memcmp(dg[0], dg[1], C * sizeof(float)) == 0);
    CHECK(memcmp(db[0], db[1], C * sizeof(float)) == 0);
    CHECK(memcmp(ev[0], ev[1], n * sizeof(float)) == 0);
    /* backward without din leaves dgamma, dbeta as with it */
    float *dg2 = falloc(C), *db2 = falloc(C);
    pn_bn1d_backward_part(NULL, dg2, db2, dout, xhat[1], istd[1], g, B, C, 0, C);
    float *dg3 = falloc(C), *db3 = falloc(C);
    oracle_bn_backward(NULL, dg3, db3, dout, xhat[0], istd[0], g, B, C, 1);
    CHECK(memcmp(dg2, dg3, C * sizeof(float)) == 0 && memcmp(db2, db3, C * sizeof(float)) == 0);
    free(dg2), free(db2), free(dg3), free(db3);
    for (int v = 0; v < 2; v++) {
        free(out[v]), free(xhat[v]), free(din[v]), free(ev[v]), free(istd[v]), free(rm[v]);
        free(rv[v]), free(dg[v]), free(db[v]);
    }
    free(in), free(dout), free(g), free(be);
}

/* The conv backward as it was before its GEMMs packed from the input and
 * its col2im went row by row: im2col written out, dw += dout col^T, dcol =
 * w^T dout as one product, then col2im over c, ki, kj, oy. */
static void conv_backward_written_out(struct pn_pool *pool, float *din, float *dw,
                                      const float *dout, const float *in, const float *w,
                                      size_t B, size_t C, size_t H, size_t W, size_t F, size_t k)
{
    const size_t OH = H - k + 1, OW = W - k + 1, run = OW * B, N = OH * run, K = C * k * k;
    float *col = falloc(K * N), *dcol = falloc(K * N);
    for (size_t r = 0; r < K; r++)
        for (size_t oy = 0; oy < OH; oy++)
            memcpy(col + r * N + oy * run,
                   in + ((r / (k * k) * H + oy + r / k % k) * W + r % k) * B, run * sizeof *col);
    pn_gemm_par(pool, 0, 1, F, K, N, dout, N, col, N, 1.0f, dw, K);
    pn_gemm_par(pool, 1, 0, K, N, F, w, K, dout, N, 0.0f, dcol, N);
    for (size_t r = 0; r < K; r++)
        for (size_t oy = 0; oy < OH; oy++) {
            float *d = din + ((r / (k * k) * H + oy + r / k % k) * W + r % k) * B;
            for (size_t i = 0; i < run; i++)
                d[i] += dcol[r * N + oy * run + i];
        }
    free(col), free(dcol);
}

/* The conv backward (batch-inner input and gradient) gives the bits of
 * conv_backward_written_out on every kernel set and thread count: the
 * real conv2 at both batch sizes, channel counts off the channel group,
 * k = 2 and 3, runs off the GEMM tiles. Any change to the order in which
 * a pixel of din takes its (ki, kj) terms, or to a dcol or dw element's
 * chain, shows here. */
static void conv_backward_same_bits_as_written_out(void)
{
    static const size_t cases[][6] = {/* C, H, W, B, k, F */
        {32, 6, 6, 200, 3, 64}, {32, 6, 6, 100, 3, 64}, {11, 7, 6, 5, 3, 13},
        {20, 5, 5, 7, 2, 9},    {3, 4, 4, 3, 3, 4}};
    const char *names[4], *was = pn_kset_name();
    const size_t nk = pn_kset_list(names, 4);
    pn_pool *pools[2] = {pn_pool_new(1), pn_pool_new(3)};
    CHECK(pools[0] && pools[1]);
    pn_rng r;
    pn_rng_seed(&r, 2424, 0);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0] && pools[0] && pools[1]; ci++) {
        const size_t C = cases[ci][0], H = cases[ci][1], W = cases[ci][2], B = cases[ci][3];
        const size_t k = cases[ci][4], F = cases[ci][5], K = C * k * k;
        const size_t N = (H - k + 1) * (W - k + 1) * B, n_in = C * H * W * B;
        float *in = falloc(n_in), *w = falloc(F * K), *dout = falloc(F * N), *din0 = falloc(n_in);
        float *dw0 = falloc(F * K), *want_din = falloc(n_in), *want_dw = falloc(F * K);
        float *din = falloc(n_in), *dw = falloc(F * K), *col = falloc(K * N), *dcol = falloc(K * N);
        fill(in, n_in, &r, 1.0f), fill(w, F * K, &r, 1.0f), fill(dout, F * N, &r, 1.0f);
        fill(din0, n_in, &r, 1.0f), fill(dw0, F * K, &r, 1.0f);
        for (size_t ki = 0; ki < nk; ki++) {
            pn_kset_use(names[ki]);
            for (int t = 0; t < 2; t++) {
                if (!strcmp(names[ki], "scalar") && ci < 2 && (ci == 0 || !t))
                    continue; /* slow: one real conv2, on 3 threads */
                memcpy(want_din, din0, n_in * sizeof *din), memcpy(din, din0, n_in * sizeof *din);
                memcpy(want_dw, dw0, F * K * sizeof *dw), memcpy(dw, dw0, F * K * sizeof *dw);
                conv_backward_written_out(pools[t], want_din, want_dw, dout, in, w, B, C, H, W, F,
                                          k);
                pn_conv2d_batch_inner_backward(pools[t], din, 1, dw, dcol, NULL, dout, col, in, w,
                                               B, C, H, W, F, k);
                CHECK_MSG(!memcmp(din, want_din, n_in * sizeof *din) &&
                              !memcmp(dw, want_dw, F * K * sizeof *dw),
                          "%s, %zu threads, C%zu %zux%zu B%zu k%zu F%zu: din %s, dw %s",
                          names[ki], pn_pool_size(pools[t]), C, H, W, B, k, F,
                          memcmp(din, want_din, n_in * sizeof *din) ? "differs" : "same",
                          memcmp(dw, want_dw, F * K * sizeof *dw) ? "differs" : "same");
            }
        }
        free(in), free(w), free(dout), free(din0), free(dw0), free(want_din), free(want_dw);
        free(din), free(dw), free(col), free(dcol);
    }
    pn_kset_use(was);
    pn_pool_free(pools[0]);
    pn_pool_free(pools[1]);
}

void suite_kernels(void)
{
    RUN(conv_batch_inner_matches_oracle);
    RUN(conv_backward_same_bits_as_written_out);
    RUN(bn1d_is_the_oracle_at_s1);
}
