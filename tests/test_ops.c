/* The reference kernels of oracle.h (what the library runs only fused) and
 * the ops of include/pairnet/ops/kernels.h against naive references written here:
 * direct loops for conv2d and linear, hand-computed numbers for batchnorm
 * and cross-entropy, explicit index maps for the ops that move samples. All
 * backwards must ACCUMULATE: their gradient buffers are pre-filled with
 * known values, which must be added to, never overwritten. */
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "pairnet/ops/kernels.h"
#include "pairnet/base/rng.h"

static float *falloc(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

static void fill(float *x, size_t n, pn_rng *r, float a)
{
    for (size_t i = 0; i < n; i++)
        x[i] = pn_rng_sym(r, a);
}

/* Largest |got - want| / (1 + |want|) over n values. */
static double max_rel_err(const float *got, const double *want, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - want[i]) / (1.0 + fabs(want[i]));
        if (!(e <= worst)) /* NaN counts as worst */
            worst = isnan(e) ? INFINITY : e;
    }
    return worst;
}

/* ---------------------------------------------------------------- conv2d */

typedef struct conv_case {
    size_t B, C, H, W, F, k;
} conv_case;

static const conv_case conv_cases[] = {
    {1, 1, 5, 5, 1, 3},  /* the smallest ordinary case */
    {2, 3, 6, 7, 4, 3},  /* non-square input */
    {3, 2, 5, 4, 3, 1},  /* k = 1: a per-pixel linear map */
    {2, 2, 4, 4, 3, 4},  /* k = H = W: one output pixel */
    {2, 3, 4, 6, 2, 4},  /* k = H < W: one output row */
    {4, 1, 14, 14, 5, 3} /* the first layer's geometry */
};

/* out[b,f,oy,ox] = bias[f] + sum_{c,ki,kj} w[f,c,ki,kj] * in[b,c,oy+ki,ox+kj] */
static void conv_naive(double *out, const float *in, const float *w, const float *bias,
                       const conv_case *t)
{
    const size_t OH = t->H - t->k + 1, OW = t->W - t->k + 1, k = t->k;
    for (size_t b = 0; b < t->B; b++)
        for (size_t f = 0; f < t->F; f++)
            for (size_t oy = 0; oy < OH; oy++)
                for (size_t ox = 0; ox < OW; ox++) {
                    double s = bias[f];
                    for (size_t c = 0; c < t->C; c++)
                        for (size_t ki = 0; ki < k; ki++)
                            for (size_t kj = 0; kj < k; kj++)
                                s += (double)w[((f * t->C + c) * k + ki) * k + kj] *
                                     in[((b * t->C + c) * t->H + oy + ki) * t->W + ox + kj];
                    out[((b * t->F + f) * OH + oy) * OW + ox] = s;
                }
}

static void conv2d_forward_matches_direct_loops(void)
{
    pn_rng r;
    pn_rng_seed(&r, 101, 0);
    for (size_t ci = 0; ci < sizeof conv_cases / sizeof conv_cases[0]; ci++) {
        const conv_case *t = &conv_cases[ci];
        const size_t OH = t->H - t->k + 1, OW = t->W - t->k + 1, K = t->C * t->k * t->k;
        const size_t n_in = t->B * t->C * t->H * t->W, n_out = t->B * t->F * OH * OW;
        float *in = falloc(n_in), *w = falloc(t->F * K), *b = falloc(t->F);
        float *out = falloc(n_out), *col = falloc(K * t->B * OH * OW);
        float *ycn = falloc(t->F * t->B * OH * OW);
        double *want = calloc(n_out, sizeof *want);
        fill(in, n_in, &r, 2.0f);
        fill(w, t->F * K, &r, 1.0f);
        fill(b, t->F, &r, 1.0f);
        for (size_t i = 0; i < n_out; i++)
            out[i] = NAN; /* forward must overwrite */
        oracle_conv2d_forward(out, col, ycn, in, w, b, t->B, t->C, t->H, t->W, t->F, t->k);
        conv_naive(want, in, w, b, t);
        double e = max_rel_err(out, want, n_out);
        CHECK_MSG(e < 1e-5, "conv B%zu C%zu %zux%zu F%zu k%zu: error %g", t->B, t->C, t->H,
                  t->W, t->F, t->k, e);
        free(in), free(w), free(b), free(out), free(col), free(ycn), free(want);
    }
}

/* The backward against the direct sums, accumulating into pre-filled
 * gradients:
 *   db[f]          += sum dout[b,f,:,:]
 *   dw[f,c,ki,kj]  += sum dout[b,f,oy,ox] * in[b,c,oy+ki,ox+kj]
 *   din[b,c,y,x]   += sum dout[b,f,oy,ox] * w[f,c,y-oy,x-ox] */
static void conv2d_backward_matches_direct_loops(void)
{
    pn_rng r;
    pn_rng_seed(&r, 102, 0);
    for (size_t ci = 0; ci < sizeof conv_cases / sizeof conv_cases[0]; ci++) {
        const conv_case *t = &conv_cases[ci];
        const size_t k = t->k, OH = t->H - k + 1, OW = t->W - k + 1, K = t->C * k * k;
        const size_t n_in = t->B * t->C * t->H * t->W, n_out = t->B * t->F * OH * OW;
        const size_t N = t->B * OH * OW;
        float *in = falloc(n_in), *w = falloc(t->F * K), *b = falloc(t->F);
        float *out = falloc(n_out), *col = falloc(K * N), *ycn = falloc(t->F * N);
        float *dcol = falloc(K * N), *dout = falloc(n_out);
        float *din = falloc(n_in), *dw = falloc(t->F * K), *db = falloc(t->F);
        double *win = calloc(n_in, sizeof(double)), *ww = calloc(t->F * K, sizeof(double));
        double *wb = calloc(t->F, sizeof(double));
        fill(in, n_in, &r, 2.0f);
        fill(w, t->F * K, &r, 1.0f);
        fill(b, t->F, &r, 1.0f);
        fill(dout, n_out, &r, 1.0f);
        fill(din, n_in, &r, 3.0f);
        fill(dw, t->F * K, &r, 3.0f);
        fill(db, t->F, &r, 3.0f);
        for (size_t i = 0; i < n_in; i++)
            win[i] = din[i];
        for (size_t i = 0; i < t->F * K; i++)
            ww[i] = dw[i];
        for (size_t i = 0; i < t->F; i++)
            wb[i] = db[i];
        for (size_t bb = 0; bb < t->B; bb++)
            for (size_t f = 0; f < t->F; f++)
                for (size_t oy = 0; oy < OH; oy++)
                    for (size_t ox = 0; ox < OW; ox++) {
                        const double g = dout[((bb * t->F + f) * OH + oy) * OW + ox];
                        wb[f] += g;
                        for (size_t c = 0; c < t->C; c++)
                            for (size_t ki = 0; ki < k; ki++)
                                for (size_t kj = 0; kj < k; kj++) {
                                    const size_t wi = ((f * t->C + c) * k + ki) * k + kj;
                                    const size_t xi =
                                        ((bb * t->C + c) * t->H + oy + ki) * t->W + ox + kj;
                                    ww[wi] += g * in[xi];
                                    win[xi] += g * w[wi];
                                }
                    }
        oracle_conv2d_forward(out, col, ycn, in, w, b, t->B, t->C, t->H, t->W, t->F, k);
        oracle_conv2d_backward(din, dw, db, dcol, ycn, dout, col, w, t->B, t->C, t->H, t->W,
                           t->F, k);
        double e_in = max_rel_err(din, win, n_in), e_w = max_rel_err(dw, ww, t->F * K);
        double e_b = max_rel_err(db, wb, t->F);
        CHECK_MSG(e_in < 1e-5 && e_w < 1e-5 && e_b < 1e-5,
                  "conv backward B%zu C%zu %zux%zu F%zu k%zu: din %g dw %g db %g", t->B, t->C,
                  t->H, t->W, t->F, k, e_in, e_w, e_b);
        free(in), free(w), free(b), free(out), free(col), free(ycn), free(dcol), free(dout);
        free(din), free(dw), free(db), free(win), free(ww), free(wb);
    }
}

/* im2col's layout is what conv2d's weight layout [F, C*k*k] relies on:
 * row (c*k + ki)*k + kj, column (b*OH + oy)*OW + ox. */
static void im2col_layout(void)
{
    const size_t B = 2, C = 3, H = 5, W = 6, k = 2, OH = 4, OW = 5, N = B * OH * OW;
    float in[2 * 3 * 5 * 6], col[3 * 2 * 2 * 2 * 4 * 5];
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        in[i] = (float)i;
    oracle_im2col(col, in, B, C, H, W, k);
    size_t bad = 0;
    for (size_t c = 0; c < C; c++)
        for (size_t ki = 0; ki < k; ki++)
            for (size_t kj = 0; kj < k; kj++)
                for (size_t b = 0; b < B; b++)
                    for (size_t oy = 0; oy < OH; oy++)
                        for (size_t ox = 0; ox < OW; ox++) {
                            float got = col[((c * k + ki) * k + kj) * N + (b * OH + oy) * OW + ox];
                            bad += got != in[((b * C + c) * H + oy + ki) * W + ox + kj];
                        }
    CHECK_MSG(bad == 0, "%zu of %zu im2col entries misplaced", bad, C * k * k * N);
}

/* col2im_add is the adjoint of im2col: <col2im(y), x> == <y, im2col(x)>, and
 * it adds to what din already holds. */
static void im2col_col2im_adjoint(void)
{
    static const size_t cases[][5] = {
        {1, 1, 4, 4, 3}, {2, 3, 6, 5, 3}, {3, 2, 5, 5, 1}, {2, 2, 4, 4, 4}, {1, 2, 3, 7, 3}};
    pn_rng r;
    pn_rng_seed(&r, 103, 0);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const size_t B = cases[ci][0], C = cases[ci][1], H = cases[ci][2], W = cases[ci][3],
                     k = cases[ci][4];
        const size_t n_x = B * C * H * W, n_c = C * k * k * B * (H - k + 1) * (W - k + 1);
        float *x = falloc(n_x), *y = falloc(n_c), *col = falloc(n_c);
        float *back = falloc(n_x), *pre = falloc(n_x);
        fill(x, n_x, &r, 1.0f);
        fill(y, n_c, &r, 1.0f);
        fill(pre, n_x, &r, 1.0f);
        oracle_im2col(col, x, B, C, H, W, k);
        memcpy(back, pre, n_x * sizeof *back);
        oracle_col2im_add(back, y, B, C, H, W, k);
        double lhs = 0.0, rhs = 0.0, mag = 0.0;
        for (size_t i = 0; i < n_x; i++) {
            lhs += ((double)back[i] - pre[i]) * x[i];
            mag += fabs(((double)back[i] - pre[i]) * x[i]);
        }
        for (size_t i = 0; i < n_c; i++)
            rhs += (double)y[i] * col[i];
        CHECK_MSG(fabs(lhs - rhs) <= 1e-5 * (1.0 + mag), "B%zu C%zu %zux%zu k%zu: %.9g vs %.9g",
                  B, C, H, W, k, lhs, rhs);
        /* with y = 1 every input pixel receives the number of windows covering it */
        for (size_t i = 0; i < n_c; i++)
            y[i] = 1.0f;
        memset(back, 0, n_x * sizeof *back);
        oracle_col2im_add(back, y, B, C, H, W, k);
        size_t bad = 0;
        for (size_t b = 0; b < B; b++)
            for (size_t c = 0; c < C; c++)
                for (size_t yy = 0; yy < H; yy++)
                    for (size_t xx = 0; xx < W; xx++) {
                        size_t ny = 0, nx = 0;
                        for (size_t oy = 0; oy + k <= H; oy++)
                            ny += oy <= yy && yy < oy + k;
                        for (size_t ox = 0; ox + k <= W; ox++)
                            nx += ox <= xx && xx < ox + k;
                        bad += back[((b * C + c) * H + yy) * W + xx] != (float)(ny * nx);
                    }
        CHECK_MSG(bad == 0, "B%zu C%zu %zux%zu k%zu: %zu coverage counts wrong", B, C, H, W, k,
                  bad);
        free(x), free(y), free(col), free(back), free(pre);
    }
}

/* ---------------------------------------------------------------- linear */

static void linear_matches_naive(void)
{
    static const size_t cases[][3] = {{1, 1, 1}, {3, 5, 2}, {7, 13, 9}, {64, 392, 17}};
    pn_rng r;
    pn_rng_seed(&r, 104, 0);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const size_t B = cases[ci][0], I = cases[ci][1], O = cases[ci][2];
        float *in = falloc(B * I), *w = falloc(O * I), *b = falloc(O), *out = falloc(B * O);
        float *dout = falloc(B * O), *din = falloc(B * I), *dw = falloc(O * I), *db = falloc(O);
        double *want = calloc(B * O, sizeof(double)), *win = calloc(B * I, sizeof(double));
        double *ww = calloc(O * I, sizeof(double)), *wb = calloc(O, sizeof(double));
        fill(in, B * I, &r, 1.0f);
        fill(w, O * I, &r, 1.0f);
        fill(b, O, &r, 1.0f);
        fill(dout, B * O, &r, 1.0f);
        fill(din, B * I, &r, 2.0f);
        fill(dw, O * I, &r, 2.0f);
        fill(db, O, &r, 2.0f);
        for (size_t i = 0; i < B * O; i++)
            out[i] = NAN;
        float *dw_pre = falloc(O * I), *db_pre = falloc(O);
        memcpy(dw_pre, dw, O * I * sizeof *dw);
        memcpy(db_pre, db, O * sizeof *db);
        for (size_t i = 0; i < B * I; i++)
            win[i] = din[i];
        for (size_t i = 0; i < O * I; i++)
            ww[i] = dw[i];
        for (size_t i = 0; i < O; i++)
            wb[i] = db[i];
        for (size_t s = 0; s < B; s++)
            for (size_t o = 0; o < O; o++) {
                double acc = b[o];
                const double g = dout[s * O + o];
                for (size_t i = 0; i < I; i++) {
                    acc += (double)in[s * I + i] * w[o * I + i];
                    win[s * I + i] += g * w[o * I + i];
                    ww[o * I + i] += g * in[s * I + i];
                }
                want[s * O + o] = acc;
                wb[o] += g;
            }
        pn_linear_forward(NULL, out, in, w, b, B, I, O);
        double e = max_rel_err(out, want, B * O);
        CHECK_MSG(e < 1e-5, "linear %zux%zu->%zu forward error %g", B, I, O, e);
        pn_linear_backward(NULL, din, dw, db, dout, in, w, B, I, O);
        double ei = max_rel_err(din, win, B * I), ew = max_rel_err(dw, ww, O * I);
        double eb = max_rel_err(db, wb, O);
        CHECK_MSG(ei < 1e-5 && ew < 1e-5 && eb < 1e-5,
                  "linear %zux%zu->%zu backward: din %g dw %g db %g", B, I, O, ei, ew, eb);
        /* din == NULL: the same parameter gradients, added to other values */
        float *dw2 = falloc(O * I), *db2 = falloc(O);
        for (size_t i = 0; i < O * I; i++)
            dw2[i] = 0.5f;
        for (size_t i = 0; i < O; i++)
            db2[i] = -0.5f;
        pn_linear_backward(NULL, NULL, dw2, db2, dout, in, w, B, I, O);
        for (size_t i = 0; i < O * I; i++)
            ww[i] = 0.5 + ((double)dw[i] - dw_pre[i]);
        for (size_t i = 0; i < O; i++)
            wb[i] = -0.5 + ((double)db[i] - db_pre[i]);
        ew = max_rel_err(dw2, ww, O * I);
        eb = max_rel_err(db2, wb, O);
        CHECK_MSG(ew < 1e-5 && eb < 1e-5, "linear %zux%zu->%zu backward without din: dw %g db %g",
                  B, I, O, ew, eb);
        free(dw2), free(db2), free(dw_pre), free(db_pre);
        free(in), free(w), free(b), free(out), free(dout), free(din), free(dw), free(db);
        free(want), free(win), free(ww), free(wb);
    }
}

/* --------------------------------------------------------------- maxpool */

static void maxpool_first_max_on_ties(void)
{
    /* one 2x4 map: two windows; then a 2x2 map per tie pattern */
    static const struct {
        float v[4]; /* p[0], p[1], p[W], p[W+1] */
        uint8_t arg;
    } cases[] = {
        {{1, 1, 1, 1}, 0},     {{-2, -2, -2, -2}, 0}, {{1, 3, 3, 2}, 1},
        {{0, 0, 5, 5}, 2},     {{0, 7, 0, 7}, 1},     {{4, 1, 2, 4}, 0},
        {{-1, -3, -1, -2}, 0}, {{-5, -4, -3, -3}, 2}, {{0, 0, 0, 1}, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        float in[4] = {cases[i].v[0], cases[i].v[1], cases[i].v[2], cases[i].v[3]};
        float out = NAN, din[4] = {10, 20, 30, 40}, dout = 0.5f, arg = 9;
        oracle_maxpool2_forward(&out, &arg, in, 1, 1, 2, 2);
        CHECK_MSG(arg == cases[i].arg, "window {%g %g %g %g}: winner %g, want %u", in[0], in[1],
                  in[2], in[3], arg, cases[i].arg);
        CHECK_MSG(out == in[cases[i].arg], "window %zu: max %g", i, out);
        oracle_maxpool2_backward(din, &dout, &arg, 1, 1, 2, 2);
        for (size_t j = 0; j < 4; j++) {
            float want = (float)(10 * (j + 1)) + (j == cases[i].arg ? 0.5f : 0.0f);
            CHECK_MSG(din[j] == want, "window %zu: din[%zu] = %g, want %g", i, j, din[j], want);
        }
    }
}

/* Odd sizes floor: a 5x7 map gives 2x3, the last row and column are never
 * looked at; batches and channels are independent maps. */
static void maxpool_floors_odd_sizes(void)
{
    const size_t B = 2, C = 3, H = 5, W = 7, OH = 2, OW = 3;
    float in[2 * 3 * 5 * 7], out[2 * 3 * 2 * 3], din[2 * 3 * 5 * 7], dout[2 * 3 * 2 * 3];
    float arg[2 * 3 * 2 * 3];
    pn_rng r;
    pn_rng_seed(&r, 105, 0);
    for (size_t m = 0; m < B * C; m++)
        for (size_t y = 0; y < H; y++)
            for (size_t x = 0; x < W; x++)
                in[(m * H + y) * W + x] = (y == H - 1 || x == W - 1) ? 1000.0f
                                                                     : pn_rng_sym(&r, 10.0f);
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) {
        out[i] = NAN;
        dout[i] = (float)(i + 1);
    }
    oracle_maxpool2_forward(out, arg, in, B, C, H, W);
    size_t bad = 0;
    for (size_t m = 0; m < B * C; m++)
        for (size_t oy = 0; oy < OH; oy++)
            for (size_t ox = 0; ox < OW; ox++) {
                const float *p = in + (m * H + 2 * oy) * W + 2 * ox;
                float mx = fmaxf(fmaxf(p[0], p[1]), fmaxf(p[W], p[W + 1]));
                bad += out[(m * OH + oy) * OW + ox] != mx;
            }
    CHECK_MSG(bad == 0, "%zu of %zu pooled values wrong", bad, B * C * OH * OW);
    /* backward: each output gradient lands on its window's maximum, the
     * uncovered last row and column receive nothing */
    for (size_t i = 0; i < sizeof din / sizeof din[0]; i++)
        din[i] = 0.25f;
    oracle_maxpool2_backward(din, dout, arg, B, C, H, W);
    bad = 0;
    double total = 0.0;
    for (size_t m = 0; m < B * C; m++)
        for (size_t y = 0; y < H; y++)
            for (size_t x = 0; x < W; x++) {
                const size_t i = (m * H + y) * W + x;
                total += din[i] - 0.25f;
                if (y == H - 1 || x == W - 1) {
                    bad += din[i] != 0.25f;
                } else if (din[i] != 0.25f) {
                    const size_t o = (m * OH + y / 2) * OW + x / 2;
                    bad += in[i] != out[o] || din[i] != 0.25f + dout[o];
                }
            }
    double want_total = 0.0;
    for (size_t i = 0; i < sizeof dout / sizeof dout[0]; i++)
        want_total += dout[i];
    CHECK_MSG(bad == 0, "%zu input gradients misplaced", bad);
    CHECK_NEAR(total, want_total, 1e-3);
}

/* ------------------------------------------------------------- batchnorm */

static const pn_bn_cfg bn_cfg = {1e-5f, 0.1f};

/* Random input: per channel the output has mean 0 and biased variance
 * var/(var+eps) ~ 1, and gamma/beta scale and shift it. */
static void batchnorm_train_normalizes(void)
{
    static const size_t cases[][3] = {{4, 3, 5}, {16, 2, 1}, {2, 4, 9}};
    pn_rng r;
    pn_rng_seed(&r, 106, 0);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const size_t B = cases[ci][0], C = cases[ci][1], S = cases[ci][2], n = B * C * S;
        float *in = falloc(n), *out = falloc(n), *xhat = falloc(n), *istd = falloc(C);
        float *rm = falloc(C), *rv = falloc(C), *g = falloc(C), *be = falloc(C);
        for (size_t b = 0; b < B; b++)
            for (size_t c = 0; c < C; c++)
                for (size_t s = 0; s < S; s++) /* channel c: offset 5c, scale 1+c */
                    in[(b * C + c) * S + s] = 5.0f * (float)c + (1.0f + (float)c) * pn_rng_sym(&r, 2.0f);
        for (size_t c = 0; c < C; c++) {
            g[c] = 1.0f;
            be[c] = 0.0f;
            rv[c] = 1.0f;
        }
        oracle_bn_forward_train(out, xhat, istd, rm, rv, in, g, be, B, C, S, bn_cfg);
        for (size_t c = 0; c < C; c++) {
            double s1 = 0, s2 = 0, m1 = 0;
            for (size_t b = 0; b < B; b++)
                for (size_t s = 0; s < S; s++)
                    m1 += in[(b * C + c) * S + s];
            m1 /= (double)(B * S);
            double v = 0;
            for (size_t b = 0; b < B; b++)
                for (size_t s = 0; s < S; s++) {
                    const size_t i = (b * C + c) * S + s;
                    s1 += out[i];
                    s2 += (double)out[i] * out[i];
                    v += (in[i] - m1) * (in[i] - m1);
                    CHECK_NEAR(xhat[i], out[i], 1e-6);
                }
            v /= (double)(B * S);
            const double mean = s1 / (double)(B * S), var = s2 / (double)(B * S) - mean * mean;
            CHECK_MSG(fabs(mean) < 1e-5, "B%zu C%zu S%zu channel %zu: mean %g", B, C, S, c, mean);
            CHECK_MSG(fabs(var - v / (v + 1e-5)) < 1e-4, "B%zu C%zu S%zu channel %zu: biased "
                      "var %.7f, want %.7f", B, C, S, c, var, v / (v + 1e-5));
            CHECK_NEAR(istd[c], 1.0 / sqrt(v + 1e-5), 1e-5 / sqrt(v));
        }
        /* gamma and beta: out = gamma * xhat + beta */
        for (size_t c = 0; c < C; c++) {
            g[c] = 2.0f + (float)c;
            be[c] = -1.0f + 0.5f * (float)c;
        }
        float *out2 = falloc(n);
        oracle_bn_forward_train(out2, xhat, istd, rm, rv, in, g, be, B, C, S, bn_cfg);
        size_t bad = 0;
        for (size_t i = 0; i < n; i++) {
            const size_t c = (i / S) % C;
            bad += fabs(out2[i] - (g[c] * out[i] + be[c])) > 1e-5 * (1 + fabs(out2[i]));
        }
        CHECK_MSG(bad == 0, "%zu outputs are not gamma * xhat + beta", bad);
        free(in), free(out), free(out2), free(xhat), free(istd), free(rm), free(rv), free(g),
            free(be);
    }
}

/* A hand-computed example, x [B=2, C=2, S=2]:
 *   channel 0: 1 2 | 3 6     mean 3,  biased var 14/4 = 3.5, unbiased 14/3
 *   channel 1: 10 10 | 10 14 mean 11, biased var 12/4 = 3,   unbiased 4
 * Running stats start at mean 0, var 1 and follow momentum 0.1 with the
 * UNBIASED variance: mean 0.3 / 1.1, var 0.9 + 1.4/3 / 0.9 + 0.4. A second
 * step with the same batch: mean 0.57 / 2.09, var 0.9*v1 + 0.1*unbiased. */
static void batchnorm_running_stats_by_hand(void)
{
    const float in[8] = {1, 2, 10, 10, 3, 6, 10, 14};
    float out[8], xhat[8], istd[2], rm[2] = {0, 0}, rv[2] = {1, 1};
    const float g[2] = {1, 1}, be[2] = {0, 0};
    oracle_bn_forward_train(out, xhat, istd, rm, rv, in, g, be, 2, 2, 2, bn_cfg);
    CHECK_NEAR(rm[0], 0.3, 1e-6);
    CHECK_NEAR(rm[1], 1.1, 1e-6);
    CHECK_NEAR(rv[0], 0.9 + 0.1 * 14.0 / 3.0, 1e-6);
    CHECK_NEAR(rv[1], 0.9 + 0.1 * 4.0, 1e-6);
    /* normalization uses the biased variance */
    const double s0 = sqrt(3.5 + 1e-5), s1 = sqrt(3.0 + 1e-5);
    const double want[8] = {-2 / s0, -1 / s0, -1 / s1, -1 / s1, 0 / s0, 3 / s0, -1 / s1, 3 / s1};
    for (size_t i = 0; i < 8; i++)
        CHECK_NEAR(out[i], want[i], 1e-6);
    const double v1[2] = {0.9 + 0.1 * 14.0 / 3.0, 1.3};
    oracle_bn_forward_train(out, xhat, istd, rm, rv, in, g, be, 2, 2, 2, bn_cfg);
    CHECK_NEAR(rm[0], 0.9 * 0.3 + 0.1 * 3, 1e-6);
    CHECK_NEAR(rm[1], 0.9 * 1.1 + 0.1 * 11, 1e-6);
    CHECK_NEAR(rv[0], 0.9 * v1[0] + 0.1 * 14.0 / 3.0, 1e-6);
    CHECK_NEAR(rv[1], 0.9 * v1[1] + 0.1 * 4.0, 1e-6);
}

/* Evaluation normalizes with the running statistics, not the batch's:
 * out = gamma * (x - rm) / sqrt(rv + eps) + beta, and leaves them alone. */
static void batchnorm_eval_uses_running_stats(void)
{
    const float in[8] = {1, 2, 10, 10, 3, 6, 10, 14};
    float out[8];
    float rm[2] = {0.5f, 9.0f}, rv[2] = {4.0f, 0.25f};
    const float g[2] = {2.0f, -1.0f}, be[2] = {0.5f, 3.0f};
    oracle_bn_forward_eval(out, in, g, be, rm, rv, 2, 2, 2, bn_cfg);
    for (size_t i = 0; i < 8; i++) {
        const size_t c = (i / 2) % 2;
        const double want = g[c] * (in[i] - rm[c]) / sqrt(rv[c] + 1e-5) + be[c];
        CHECK_NEAR(out[i], want, 1e-5 * (1 + fabs(want)));
    }
    CHECK(rm[0] == 0.5f && rm[1] == 9.0f && rv[0] == 4.0f && rv[1] == 0.25f);
    /* a batch of one sample gives the same numbers (per-sample in eval) */
    float one[4];
    oracle_bn_forward_eval(one, in + 4, g, be, rm, rv, 1, 2, 2, bn_cfg);
    for (size_t i = 0; i < 4; i++)
        CHECK(one[i] == out[4 + i]);
}

/* Backward accumulates: din, dgamma and dbeta get added to. */
static void batchnorm_backward_accumulates(void)
{
    const size_t B = 3, C = 2, S = 4, n = B * C * S;
    float in[24], out[24], xhat[24], istd[2], rm[2] = {0, 0}, rv[2] = {1, 1};
    const float g[2] = {1.5f, -0.5f}, be[2] = {0.1f, 0.2f};
    float dout[24], din0[24], din1[24], dg0[2] = {0, 0}, db0[2] = {0, 0};
    float dg1[2] = {7, -3}, db1[2] = {5, 11}, dg2[2] = {0, 0}, db2[2] = {0, 0};
    pn_rng r;
    pn_rng_seed(&r, 107, 0);
    fill(in, n, &r, 2.0f);
    fill(dout, n, &r, 1.0f);
    for (size_t i = 0; i < n; i++) {
        din0[i] = 0.0f;
        din1[i] = (float)i - 10.0f;
    }
    oracle_bn_forward_train(out, xhat, istd, rm, rv, in, g, be, B, C, S, bn_cfg);
    oracle_bn_backward(din0, dg0, db0, dout, xhat, istd, g, B, C, S);
    oracle_bn_backward(din1, dg1, db1, dout, xhat, istd, g, B, C, S);
    oracle_bn_backward(NULL, dg2, db2, dout, xhat, istd, g, B, C, S);
    for (size_t i = 0; i < n; i++)
        CHECK_NEAR(din1[i], ((float)i - 10.0f) + din0[i], 1e-5);
    for (size_t c = 0; c < C; c++) {
        CHECK_NEAR(dg1[c], (c ? -3.0f : 7.0f) + dg0[c], 1e-5);
        CHECK_NEAR(db1[c], (c ? 11.0f : 5.0f) + db0[c], 1e-5);
        CHECK(dg2[c] == dg0[c] && db2[c] == db0[c]);
        /* dbeta = sum dout over the channel; the input gradient sums to 0 */
        double sd = 0, sdin = 0;
        for (size_t b = 0; b < B; b++)
            for (size_t s = 0; s < S; s++) {
                sd += dout[(b * C + c) * S + s];
                sdin += din0[(b * C + c) * S + s];
            }
        CHECK_NEAR(db0[c], sd, 1e-5);
        CHECK_NEAR(sdin, 0.0, 1e-5);
    }
}

/* --------------------------------------------------------- cross-entropy */

static void cross_entropy_matches_hand(void)
{
    const size_t R = 3, K = 4;
    const float z[12] = {0.5f, -1.0f, 2.0f, 0.0f, 3.0f, 3.0f, -2.0f, 1.0f,
                         -0.25f, 0.75f, 0.0f, -4.0f};
    const uint8_t y[3] = {2, 0, 3};
    float prob[12];
    double want = 0.0;
    for (size_t r = 0; r < R; r++) {
        double se = 0.0;
        for (size_t j = 0; j < K; j++)
            se += exp((double)z[r * K + j]);
        want += log(se) - z[r * K + y[r]];
        for (size_t j = 0; j < K; j++)
            prob[r * K + j] = NAN;
    }
    want /= (double)R;
    const float loss = pn_cross_entropy_forward(prob, z, y, R, K, 0.0f);
    CHECK_NEAR(loss, want, 1e-6 * (1 + want));
    for (size_t r = 0; r < R; r++) {
        double se = 0.0;
        for (size_t j = 0; j < K; j++)
            se += exp((double)z[r * K + j]);
        for (size_t j = 0; j < K; j++)
            CHECK_NEAR(prob[r * K + j], exp((double)z[r * K + j]) / se, 1e-6);
    }
}

/* Logits like +-1000 overflow a naive exp: the result must stay finite and
 * right. {1000, -1000}: label 0 costs 0, label 1 costs 2000. */
static void cross_entropy_stable_for_huge_logits(void)
{
    const float z[8] = {1000.0f, -1000.0f, 1000.0f, -1000.0f, 1000.0f, 1000.0f,
                        -1000.0f, -1000.0f};
    float prob[8];
    const uint8_t y0[1] = {0}, y1[1] = {1};
    float l = pn_cross_entropy_forward(prob, z, y0, 1, 2, 0.0f);
    CHECK_MSG(isfinite(l) && fabs(l) < 1e-6, "CE({1000,-1000}, 0) = %g, want 0", l);
    CHECK(prob[0] == 1.0f && prob[1] == 0.0f);
    l = pn_cross_entropy_forward(prob, z, y1, 1, 2, 0.0f);
    CHECK_MSG(isfinite(l) && fabs(l - 2000.0) < 1e-3, "CE({1000,-1000}, 1) = %g, want 2000", l);
    l = pn_cross_entropy_forward(prob, z + 4, y1, 1, 2, 0.0f);
    CHECK_NEAR(l, log(2.0), 1e-6);
    CHECK_NEAR(prob[0], 0.5, 1e-7);
    l = pn_cross_entropy_forward(prob, z + 6, y0, 1, 2, 0.0f);
    CHECK_NEAR(l, log(2.0), 1e-6);
    /* the maximum in the last place: {-1000, 1000} */
    const float zr[2] = {-1000.0f, 1000.0f};
    l = pn_cross_entropy_forward(prob, zr, y0, 1, 2, 0.0f);
    CHECK_MSG(isfinite(l) && fabs(l - 2000.0) < 1e-3, "CE({-1000,1000}, 0) = %g, want 2000", l);
    CHECK(prob[0] == 0.0f && prob[1] == 1.0f);
    l = pn_cross_entropy_forward(prob, zr, y1, 1, 2, 0.0f);
    CHECK_MSG(isfinite(l) && fabs(l) < 1e-6, "CE({-1000,1000}, 1) = %g, want 0", l);
    /* ten classes, the largest in the middle: log(1 + 9 e^-100) ~ 0 */
    float z10[10], p10[10];
    for (size_t j = 0; j < 10; j++)
        z10[j] = j == 6 ? 900.0f : 800.0f;
    const uint8_t y6[1] = {6}, y2[1] = {2};
    l = pn_cross_entropy_forward(p10, z10, y6, 1, 10, 0.0f);
    CHECK_MSG(isfinite(l) && fabs(l) < 1e-6, "CE(z10, 6) = %g, want 0", l);
    l = pn_cross_entropy_forward(p10, z10, y2, 1, 10, 0.0f);
    CHECK_MSG(isfinite(l) && fabs(l - 100.0) < 1e-4, "CE(z10, 2) = %g, want 100", l);
    /* all four rows at once: mean of 0, 2000, log 2, log 2 */
    const uint8_t y4[4] = {0, 1, 1, 0};
    float p4[8];
    l = pn_cross_entropy_forward(p4, z, y4, 4, 2, 0.0f);
    CHECK_NEAR(l, (2000.0 + 2 * log(2.0)) / 4, 1e-3);
    for (size_t i = 0; i < 8; i++)
        CHECK(isfinite(p4[i]));
    /* and the gradient is finite: softmax - onehot */
    float d[8] = {0};
    pn_cross_entropy_backward(d, p4, y4, 1.0f, 4, 2, 0.0f);
    CHECK_NEAR(d[2], 0.25, 1e-7);
    CHECK_NEAR(d[3], -0.25, 1e-7);
    CHECK_NEAR(d[0], 0.0, 1e-7);
}

/* dlogits += dloss * (softmax - onehot) / R, added to what is there. */
static void cross_entropy_backward(void)
{
    const size_t R = 3, K = 4;
    pn_rng r;
    pn_rng_seed(&r, 108, 0);
    float z[12], prob[12], d[12];
    const uint8_t y[3] = {1, 3, 0};
    fill(z, R * K, &r, 3.0f);
    for (size_t i = 0; i < R * K; i++)
        d[i] = (float)i;
    pn_cross_entropy_forward(prob, z, y, R, K, 0.0f);
    const float dloss = 2.5f;
    pn_cross_entropy_backward(d, prob, y, dloss, R, K, 0.0f);
    for (size_t row = 0; row < R; row++) {
        double se = 0.0;
        for (size_t j = 0; j < K; j++)
            se += exp((double)z[row * K + j]);
        for (size_t j = 0; j < K; j++) {
            const double sm = exp((double)z[row * K + j]) / se;
            const double want = (double)(row * K + j) + dloss * (sm - (j == y[row])) / (double)R;
            CHECK_NEAR(d[row * K + j], want, 1e-5);
        }
    }
}

/* Label smoothing as PyTorch's CrossEntropyLoss(label_smoothing=eps): by
 * hand, logits {0, ln 3} give p = {1/4, 3/4}; label 1 and eps 0.2 over K = 2
 * give q = {0.1, 0.9}, the loss -(0.1 ln 1/4 + 0.9 ln 3/4) = 0.3975433013
 * and the gradient p - q = {0.15, -0.15}. Then K = 4, three rows, against
 * -sum q log p evaluated directly. */
static void cross_entropy_label_smoothing(void)
{
    const float z2[2] = {0.0f, (float)log(3.0)};
    const uint8_t y1[1] = {1};
    float p2[2], d2[2] = {0, 0};
    const float l2 = pn_cross_entropy_forward(p2, z2, y1, 1, 2, 0.2f);
    CHECK_NEAR(l2, 0.3975433013, 1e-6);
    pn_cross_entropy_backward(d2, p2, y1, 1.0f, 1, 2, 0.2f);
    CHECK_NEAR(d2[0], 0.15, 1e-6);
    CHECK_NEAR(d2[1], -0.15, 1e-6);
    const size_t R = 3, K = 4;
    const float z[12] = {0.5f, -1.0f, 2.0f, 0.0f, 3.0f, 3.0f, -2.0f, 1.0f,
                         -0.25f, 0.75f, 0.0f, -4.0f};
    const uint8_t y[3] = {2, 0, 3};
    const float eps = 0.3f;
    float prob[12], d[12] = {0};
    double want = 0.0;
    for (size_t r = 0; r < R; r++) {
        double se = 0.0;
        for (size_t j = 0; j < K; j++)
            se += exp((double)z[r * K + j]);
        for (size_t j = 0; j < K; j++)
            want -= ((j == y[r]) * (1.0 - eps) + eps / K) * log(exp((double)z[r * K + j]) / se);
    }
    want /= (double)R;
    CHECK_NEAR(pn_cross_entropy_forward(prob, z, y, R, K, eps), want, 1e-6 * (1 + want));
    pn_cross_entropy_backward(d, prob, y, 1.0f, R, K, eps);
    for (size_t r = 0; r < R; r++) {
        double g = 0.0;
        for (size_t j = 0; j < K; j++) {
            const double q = (j == y[r]) * (1.0 - eps) + eps / K;
            CHECK_NEAR(d[r * K + j], (prob[r * K + j] - q) / (double)R, 1e-6);
            g += d[r * K + j];
        }
        CHECK_NEAR(g, 0.0, 1e-6); /* q and p both sum to 1 */
    }
}

/* ------------------------------------------------------------------ relu */

static void relu_forward_backward(void)
{
    const float in[6] = {-2.0f, -0.0f, 0.0f, 1e-30f, 3.5f, -1e-30f};
    const float want[6] = {0, 0, 0, 1e-30f, 3.5f, 0};
    float out[6], din[6] = {1, 2, 3, 4, 5, 6};
    const float dout[6] = {10, 10, 10, 10, 10, 10};
    pn_relu_forward(out, in, 6);
    for (size_t i = 0; i < 6; i++)
        CHECK_MSG(out[i] == want[i], "relu(%g) = %g", in[i], out[i]);
    pn_relu_backward(din, dout, out, 6);
    /* zero gradient at the kink (x = 0) and below, pass-through above, added */
    const float wd[6] = {1, 2, 3, 14, 15, 6};
    for (size_t i = 0; i < 6; i++)
        CHECK_MSG(din[i] == wd[i], "relu backward at %g: %g, want %g", in[i], din[i], wd[i]);
}

/* -------------------------------------------- select/unstack/restack/concat */

/* An op that only moves elements is a 0/1 matrix A with at most one 1 per
 * column: backward must compute din += A^T dout exactly. `map[i]` is the
 * forward source of out[i]; the check is element by element. */
static size_t check_move(const char *name, const float *out, const size_t *map, size_t n_out,
                         const float *in, const float *din, const float *din_pre,
                         const float *dout, size_t n_in)
{
    size_t bad = 0;
    for (size_t i = 0; i < n_out; i++)
        bad += out[i] != in[map[i]];
    double *want = calloc(n_in, sizeof *want);
    for (size_t j = 0; j < n_in; j++)
        want[j] = din_pre[j];
    for (size_t i = 0; i < n_out; i++)
        want[map[i]] += dout[i];
    for (size_t j = 0; j < n_in; j++)
        bad += din[j] != (float)want[j];
    free(want);
    CHECK_MSG(bad == 0, "%s: %zu elements wrong", name, bad);
    return bad;
}

static void fill_ids(float *x, size_t n, float base)
{
    for (size_t i = 0; i < n; i++)
        x[i] = base + (float)i;
}

static void select_moves_and_adjoint(void)
{
    const size_t B = 3, nch = 3, S = 5;
    for (size_t ch = 0; ch < nch; ch++) {
        float in[45], out[15], din[45], pre[45], dout[15];
        size_t map[15];
        fill_ids(in, 45, 0);
        fill_ids(din, 45, 100);
        fill_ids(pre, 45, 100);
        fill_ids(dout, 15, 1000);
        for (size_t b = 0; b < B; b++)
            for (size_t s = 0; s < S; s++)
                map[b * S + s] = (b * nch + ch) * S + s;
        pn_select_forward(out, in, B, nch, ch, S);
        pn_select_backward(din, dout, B, nch, ch, S);
        check_move("select", out, map, 15, in, din, pre, dout, 45);
    }
}

static void unstack_moves_and_adjoint(void)
{
    const size_t B = 4, S = 3;
    float in[24], out[24], din[24], pre[24], dout[24];
    size_t map[24];
    fill_ids(in, 24, 0);
    fill_ids(din, 24, 100);
    fill_ids(pre, 24, 100);
    fill_ids(dout, 24, 1000);
    /* out row r < B: first image of pair r; row B + r: second image */
    for (size_t r = 0; r < 2 * B; r++)
        for (size_t s = 0; s < S; s++)
            map[r * S + s] = r < B ? (r * 2 + 0) * S + s : ((r - B) * 2 + 1) * S + s;
    pn_unstack_forward(out, in, B, S);
    pn_unstack_backward(din, dout, B, S);
    check_move("unstack", out, map, 24, in, din, pre, dout, 24);
}

static void restack_moves_and_adjoint(void)
{
    const size_t B = 3, F = 4;
    float in[24], out[24], din[24], pre[24], dout[24], back[24];
    size_t map[24];
    fill_ids(in, 24, 0);
    fill_ids(din, 24, 100);
    fill_ids(pre, 24, 100);
    fill_ids(dout, 24, 1000);
    /* out row i = [in[i], in[B + i]] */
    for (size_t i = 0; i < B; i++)
        for (size_t f = 0; f < 2 * F; f++)
            map[i * 2 * F + f] = f < F ? i * F + f : (B + i) * F + (f - F);
    pn_restack_forward(out, in, B, F);
    pn_restack_backward(din, dout, B, F);
    check_move("restack", out, map, 24, in, din, pre, dout, 24);
    /* restack inverts unstack: [B,2,S] -> [2B,S] -> [B,2S] is the identity */
    pn_unstack_forward(back, in, B, F);
    pn_restack_forward(out, back, B, F);
    CHECK(memcmp(out, in, sizeof in) == 0);
}

static void concat_moves_and_adjoint(void)
{
    const size_t B = 3, Fa = 2, Fb = 5, Fo = 7;
    float a[6], b[15], ab[21], out[21], dab[21], pre[21], dout[21];
    float da[6], db[15];
    size_t map[21];
    fill_ids(a, 6, 0);
    fill_ids(b, 15, 6);
    /* view a and b as one input vector ab = [a | b] for the check */
    memcpy(ab, a, sizeof a);
    memcpy(ab + 6, b, sizeof b);
    fill_ids(pre, 21, 100);
    fill_ids(da, 6, 100);
    fill_ids(db, 15, 106);
    fill_ids(dout, 21, 1000);
    for (size_t r = 0; r < B; r++)
        for (size_t f = 0; f < Fo; f++)
            map[r * Fo + f] = f < Fa ? r * Fa + f : 6 + r * Fb + (f - Fa);
    pn_concat_forward(out, a, b, B, Fa, Fb);
    pn_concat_backward(da, db, dout, B, Fa, Fb);
    memcpy(dab, da, sizeof da);
    memcpy(dab + 6, db, sizeof db);
    check_move("concat", out, map, 21, ab, dab, pre, dout, 21);
    /* a NULL side is skipped, the other still accumulates */
    float db2[15];
    fill_ids(db2, 15, 106);
    pn_concat_backward(NULL, db2, dout, B, Fa, Fb);
    CHECK(memcmp(db2, db, sizeof db) == 0);
    float da2[6];
    fill_ids(da2, 6, 100);
    pn_concat_backward(da2, NULL, dout, B, Fa, Fb);
    CHECK(memcmp(da2, da, sizeof da) == 0);
}

void suite_ops(void)
{
    RUN(conv2d_forward_matches_direct_loops);
    RUN(conv2d_backward_matches_direct_loops);
    RUN(im2col_layout);
    RUN(im2col_col2im_adjoint);
    RUN(linear_matches_naive);
    RUN(maxpool_first_max_on_ties);
    RUN(maxpool_floors_odd_sizes);
    RUN(batchnorm_train_normalizes);
    RUN(batchnorm_running_stats_by_hand);
    RUN(batchnorm_eval_uses_running_stats);
    RUN(batchnorm_backward_accumulates);
    RUN(cross_entropy_matches_hand);
    RUN(cross_entropy_stable_for_huge_logits);
    RUN(cross_entropy_backward);
    RUN(cross_entropy_label_smoothing);
    RUN(relu_forward_backward);
    RUN(select_moves_and_adjoint);
    RUN(unstack_moves_and_adjoint);
    RUN(restack_moves_and_adjoint);
    RUN(concat_moves_and_adjoint);
}
