/* GEMM against the double-precision reference on all four layouts, odd
 * sizes that exercise every edge tile and blocking boundary, padded leading
 * dimensions, beta 0 over NaN garbage and beta 1; and pn_gemm_par
 * bit-identical to pn_gemm for any pool size. */
#include "test.h"

#include "pairnet/ops/gemm.h"
#include "pairnet/ops/kset.h"
#include "pairnet/base/pool.h"
#include "pairnet/base/rng.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Value left in the leading-dimension padding of C; must survive. */
#define SENTINEL 12345.0f

typedef struct {
    int ta, tb;
    size_t M, N, K;
    size_t lda, ldb, ldc;
    float *A, *B, *C, *C0; /* C0: the initial C */
} problem;

static void fill(pn_rng *r, float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = pn_rng_sym(r, 1.0f);
}

/* Allocates and fills a problem; pad widens every leading dimension. */
static int problem_init(problem *p, pn_rng *r, int ta, int tb, size_t M, size_t N, size_t K,
                        size_t pad, int nan_c)
{
    size_t arows = ta ? K : M, acols = ta ? M : K;
    size_t brows = tb ? N : K, bcols = tb ? K : N;
    *p = (problem){ ta, tb, M, N, K, acols + pad, bcols + pad, N + pad, NULL, NULL, NULL, NULL };
    size_t na = arows * p->lda + 1, nb = brows * p->ldb + 1, nc = M * p->ldc + 1;
    p->A = malloc(na * sizeof *p->A);
    p->B = malloc(nb * sizeof *p->B);
    p->C = malloc(nc * sizeof *p->C);
    p->C0 = malloc(nc * sizeof *p->C0);
    if (!p->A || !p->B || !p->C || !p->C0)
        return 0;
    fill(r, p->A, na);
    fill(r, p->B, nb);
    for (size_t i = 0; i < nc; i++)
        p->C0[i] = SENTINEL;
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++)
            p->C0[i * p->ldc + j] = nan_c ? NAN : pn_rng_sym(r, 1.0f);
    memcpy(p->C, p->C0, nc * sizeof *p->C);
    return 1;
}

static void problem_free(problem *p)
{
    free(p->A);
    free(p->B);
    free(p->C);
    free(p->C0);
}

static size_t c_len(const problem *p) { return p->M * p->ldc + 1; }

/* sum_k |a_ik| |b_kj|: the scale of the rounding error of element (i, j). */
static double abs_dot(const problem *p, size_t i, size_t j)
{
    double s = 0;
    for (size_t k = 0; k < p->K; k++) {
        double a = p->ta ? p->A[k * p->lda + i] : p->A[i * p->lda + k];
        double b = p->tb ? p->B[j * p->ldb + k] : p->B[k * p->ldb + j];
        s += fabs(a * b);
    }
    return s;
}

/* Runs pn_gemm and checks it against the reference; returns 1 if all good. */
static int check_gemm(problem *p, float beta)
{
    float *ref = malloc(c_len(p) * sizeof *ref);
    if (!ref)
        return 0;
    memcpy(ref, p->C0, c_len(p) * sizeof *ref);
    memcpy(p->C, p->C0, c_len(p) * sizeof *ref);
    pn_gemm_ref(p->ta, p->tb, p->M, p->N, p->K, p->A, p->lda, p->B, p->ldb, beta, ref, p->ldc);
    pn_gemm(p->ta, p->tb, p->M, p->N, p->K, p->A, p->lda, p->B, p->ldb, beta, p->C, p->ldc);
    int ok = 1;
    for (size_t i = 0; i < p->M && ok; i++) {
        for (size_t j = 0; j < p->N && ok; j++) {
            double got = p->C[i * p->ldc + j], want = ref[i * p->ldc + j];
            double scale = abs_dot(p, i, j) + (beta != 0 ? fabs((double)p->C0[i * p->ldc + j]) : 0);
            /* Worst-case float summation error is about K eps times the
             * sum of magnitudes; a dropped or doubled term is far above. */
            double tol = 2.0 * (double)(p->K + 2) * FLT_EPSILON * scale + 1e-30;
            if (!(fabs(got - want) <= tol)) {
                CHECK_MSG(0, "ta=%d tb=%d M=%zu N=%zu K=%zu ld+%zu beta=%g: C[%zu,%zu] = %.9g, want %.9g",
                          p->ta, p->tb, p->M, p->N, p->K, p->ldc - p->N, (double)beta, i, j, got,
                          want);
                ok = 0;
            }
        }
        for (size_t j = p->N; j < p->ldc && ok; j++)
            if (p->C[i * p->ldc + j] != SENTINEL) {
                CHECK_MSG(0, "M=%zu N=%zu K=%zu: padding C[%zu,%zu] overwritten", p->M, p->N, p->K,
                          i, j);
                ok = 0;
            }
    }
    if (ok && p->C[p->M * p->ldc] != SENTINEL) {
        CHECK_MSG(0, "M=%zu N=%zu K=%zu: wrote past the end of C", p->M, p->N, p->K);
        ok = 0;
    }
    free(ref);
    return ok;
}

static int run_case(pn_rng *r, int ta, int tb, size_t M, size_t N, size_t K, size_t pad)
{
    problem p;
    int ok = problem_init(&p, r, ta, tb, M, N, K, pad, 1);
    CHECK(ok);
    if (ok)
        ok = check_gemm(&p, 0.0f);
    problem_free(&p);
    if (!ok)
        return 0;
    ok = problem_init(&p, r, ta, tb, M, N, K, pad, 0);
    if (ok)
        ok = check_gemm(&p, 1.0f);
    problem_free(&p);
    return ok;
}

static const size_t odd[] = { 1, 3, 7, 17, 33, 65, 129, 300 };
#define N_ODD (sizeof odd / sizeof odd[0])

/* Every size in every dimension, paired so that the total work stays small
 * but each of M, N, K meets each other size class somewhere. */
static void test_gemm_odd_sizes(void)
{
    pn_rng r;
    pn_rng_seed(&r, 7, PN_STREAM_AUX);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (size_t x = 0; x < N_ODD; x++)
                for (size_t y = 0; y < N_ODD; y++) {
                    size_t M = odd[x], N = odd[y], K = odd[(x + 2 * y + ta + tb) % N_ODD];
                    if (M * N * K > 2000000)
                        K = 17;
                    if (!run_case(&r, ta, tb, M, N, K, (x + y) % 3 == 0 ? 0 : 5))
                        return;
                }
}

/* Shapes crossing the K, M and N cache-block sizes and the dot path's K
 * chunk, plus the network's layer shapes at a small batch. */
static void test_gemm_blocking(void)
{
    static const size_t shapes[][3] = {
        { 8, 32, 385 },  { 9, 33, 769 },  { 16, 700, 20 },  { 200, 64, 50 },
        { 31, 9, 1100 }, { 2, 10, 200 },  { 2, 256, 200 },  { 5, 2, 20 },
        { 32, 576, 9 },  { 32, 576, 18 }, { 64, 64, 288 },  { 64, 288, 64 },
        { 288, 64, 64 }, { 32, 9, 576 },  { 12, 200, 256 }, { 200, 256, 12 },
        { 12, 256, 200 }, { 12, 100, 100 }, { 1, 1, 1000 }, { 1000, 1, 3 },
        /* Power-of-two leading dimensions take the packed-B route. */
        { 9, 512, 100 },  { 17, 1024, 40 }, { 40, 1030, 390 },
    };
    pn_rng r;
    pn_rng_seed(&r, 11, PN_STREAM_AUX);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
                if (!run_case(&r, ta, tb, shapes[s][0], shapes[s][1], shapes[s][2], s % 2 ? 3 : 0))
                    return;
}

/* K = 0: beta 0 clears C (NaN included), beta 1 leaves it alone. */
static void test_gemm_k_zero(void)
{
    float C[6] = { NAN, NAN, NAN, 1, 2, 3 };
    float A[1] = { 0 }, B[1] = { 0 };
    pn_gemm(0, 0, 1, 3, 0, A, 1, B, 3, 0.0f, C, 3);
    CHECK(C[0] == 0 && C[1] == 0 && C[2] == 0);
    pn_gemm(0, 0, 1, 3, 0, A, 1, B, 3, 1.0f, C + 3, 3);
    CHECK(C[3] == 1 && C[4] == 2 && C[5] == 3);
    /* M = 0 or N = 0 touches nothing. */
    pn_gemm(0, 0, 0, 3, 5, A, 5, B, 3, 0.0f, C, 3);
    pn_gemm(0, 0, 1, 0, 5, A, 5, B, 0, 0.0f, C, 3);
    CHECK(C[3] == 1);
}

/* beta other than 0/1 scales C first (not required by the header, but
 * must not silently act as 0 or 1). */
static void test_gemm_beta_scale(void)
{
    pn_rng r;
    pn_rng_seed(&r, 13, PN_STREAM_AUX);
    problem p;
    int ok = problem_init(&p, &r, 0, 1, 17, 40, 150, 2, 0);
    CHECK(ok);
    if (ok)
        check_gemm(&p, 0.5f);
    problem_free(&p);
}

/* pn_gemm_par on 1, 2 and 3 threads (and NULL) gives exactly pn_gemm's
 * bits: tiles split C only, never K. */
static void test_gemm_par_bit_identical(void)
{
    static const size_t shapes[][3] = {
        { 64, 1600, 288 }, { 64, 288, 1600 }, { 288, 1600, 64 }, { 32, 9, 14400 },
        { 32, 14400, 9 },  { 100, 200, 256 }, { 200, 256, 100 }, { 100, 256, 200 },
        { 129, 300, 65 },  { 33, 17, 3000 },  { 3, 7, 5 },
    };
    pn_pool *pools[3] = { pn_pool_new(1), pn_pool_new(2), pn_pool_new(3) };
    CHECK(pools[0] && pools[1] && pools[2]);
    if (!pools[0] || !pools[1] || !pools[2])
        goto out;
    pn_rng r;
    pn_rng_seed(&r, 17, PN_STREAM_AUX);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int layout = 0; layout < 4; layout++) {
            int ta = layout >> 1, tb = layout & 1;
            float beta = (float)(s % 2);
            problem p;
            if (!problem_init(&p, &r, ta, tb, shapes[s][0], shapes[s][1], shapes[s][2], 1, 0)) {
                CHECK(0);
                problem_free(&p);
                goto out;
            }
            size_t n = c_len(&p);
            float *want = malloc(n * sizeof *want);
            CHECK(want != NULL);
            if (want) {
                memcpy(want, p.C0, n * sizeof *want);
                pn_gemm(ta, tb, p.M, p.N, p.K, p.A, p.lda, p.B, p.ldb, beta, want, p.ldc);
                for (int t = -1; t < 3; t++) {
                    memcpy(p.C, p.C0, n * sizeof *p.C);
                    pn_gemm_par(t < 0 ? NULL : pools[t], ta, tb, p.M, p.N, p.K, p.A, p.lda, p.B,
                                p.ldb, beta, p.C, p.ldc);
                    CHECK_MSG(memcmp(p.C, want, n * sizeof *want) == 0,
                              "threads=%d ta=%d tb=%d M=%zu N=%zu K=%zu differs from pn_gemm",
                              t < 0 ? 0 : t + 1, ta, tb, p.M, p.N, p.K);
                }
            }
            free(want);
            problem_free(&p);
        }
out:
    for (int t = 0; t < 3; t++)
        pn_pool_free(pools[t]);
}

/* ---- the conv GEMMs on an implicit im2col matrix ---- */

/* X = im2col of x [C, H, W, B] (batch-inner), written out: [C k k, OH OW B] */
static void im2col_bi(float *X, const float *x, size_t C, size_t H, size_t W, size_t B, size_t k)
{
    const size_t OH = H - k + 1, OW = W - k + 1, N = OH * OW * B;
    for (size_t r = 0; r < C * k * k; r++)
        for (size_t n = 0; n < N; n++) {
            const size_t c = r / (k * k), ki = r / k % k, kj = r % k;
            const size_t oy = n / (OW * B), ox = n / B % OW, b = n % B;
            X[r * N + n] = x[((c * H + oy + ki) * W + ox + kj) * B + b];
        }
}

/* One conv shape, both products (forward C = w X, weight gradient C +=
 * dout X^T) on the implicit X against pn_gemm_par on the written-out X,
 * bit for bit, beta 0 over NaN and beta 1. Returns how many of the two
 * products the implicit path computed (it declines non-packed ones). */
static int im2col_case(pn_pool *pool, const size_t s[6], pn_rng *r)
{
    const size_t C = s[0], H = s[1], W = s[2], B = s[3], k = s[4], F = s[5];
    const size_t K = C * k * k, N = (H - k + 1) * (W - k + 1) * B, nc = F * (N > K ? N : K);
    float *x = malloc(C * H * W * B * sizeof *x), *X = malloc(K * N * sizeof *X);
    float *A = malloc(F * (N > K ? N : K) * sizeof *A), *C0 = malloc(nc * sizeof *C0);
    float *want = malloc(nc * sizeof *want), *got = malloc(nc * sizeof *got);
    int used = 0;
    CHECK(x && X && A && C0 && want && got);
    if (x && X && A && C0 && want && got) {
        fill(r, x, C * H * W * B);
        fill(r, A, F * (N > K ? N : K));
        fill(r, C0, nc);
        im2col_bi(X, x, C, H, W, B, k);
        const pn_im2col im = {.x = x, .C = C, .H = H, .W = W, .B = B, .k = k};
        for (int tb = 0; tb < 2; tb++)
            for (int beta = 0; beta < 2; beta++) {
                const size_t n = tb ? K : N, kk = tb ? N : K; /* C [F, n], depth kk */
                for (size_t i = 0; i < F * n; i++)
                    want[i] = got[i] = beta ? C0[i] : NAN;
                pn_gemm_par(pool, 0, tb, F, n, kk, A, kk, X, N, (float)beta, want, n);
                if (!pn_gemm_im2col_par(pool, 0, tb, F, n, kk, A, kk, &im, (float)beta, got, n))
                    continue;
                used += beta;
                CHECK_MSG(memcmp(want, got, F * n * sizeof *got) == 0,
                          "%s, %zu threads, C%zu %zux%zu B%zu k%zu F%zu tb %d beta %d: the "
                          "implicit im2col gives other bits", pn_kset_name(),
                          pn_pool_size(pool), C, H, W, B, k, F, tb, beta);
            }
    }
    free(x), free(X), free(A), free(C0), free(want), free(got);
    return used;
}

/* The conv GEMMs that pack straight from the activations give the bits of
 * the GEMM on the written-out im2col, on every kernel set and thread
 * count: shapes with runs that are and are not a multiple of every tile
 * width, F off the tile height, K over one K block (C k k = 450), the
 * weight gradient's depth N over several K blocks, and the real conv2. */
static void gemm_im2col_same_bits_as_written_out(void)
{
    static const size_t shapes[][6] = {
        {32, 6, 6, 200, 3, 64}, {32, 6, 6, 100, 3, 64}, {3, 7, 6, 5, 3, 13},
        {50, 5, 5, 7, 3, 9},    {1, 14, 14, 20, 3, 32}, {4, 9, 8, 3, 2, 40},
        {2, 3, 3, 2, 2, 3},
    };
    const char *names[4], *was = pn_kset_name();
    const size_t nk = pn_kset_list(names, 4);
    pn_pool *pools[2] = {pn_pool_new(1), pn_pool_new(3)};
    CHECK(pools[0] && pools[1]);
    pn_rng r;
    pn_rng_seed(&r, 24, PN_STREAM_AUX);
    for (size_t ki = 0; ki < nk && pools[0] && pools[1]; ki++) {
        pn_kset_use(names[ki]);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            for (int t = 0; t < 2; t++) {
                /* the scalar set is slow: one real conv2, on 3 threads */
                if (!strcmp(names[ki], "scalar") && s < 2 && (s == 0 || !t))
                    continue;
                const int used = im2col_case(pools[t], shapes[s], &r);
                /* all but the tiny last shape and the thin weight gradients
                 * (M x 9 or 12: the dot path) must take the implicit path */
                CHECK_MSG(used >= (s == 6 ? 0 : 1), "shape %zu: implicit path not taken", s);
            }
    }
    pn_kset_use(was);
    pn_pool_free(pools[0]);
    pn_pool_free(pools[1]);
}

static void test_gemm_kernel_name(void)
{
    const char *k = pn_gemm_kset_name();
    CHECK(k != NULL);
    if (k)
        CHECK(strcmp(k, "avx512") == 0 || strcmp(k, "avx2") == 0 || strcmp(k, "neon") == 0 ||
              strcmp(k, "scalar") == 0);
}

void suite_gemm(void)
{
    RUN(test_gemm_odd_sizes);
    RUN(test_gemm_blocking);
    RUN(test_gemm_k_zero);
    RUN(test_gemm_beta_scale);
    RUN(test_gemm_par_bit_identical);
    RUN(test_gemm_kernel_name);
    RUN(gemm_im2col_same_bits_as_written_out);
}
