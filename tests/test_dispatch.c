/* One binary, every CPU, the same bits: the kernel sets this machine can
 * run give bit-identical GEMM products (every path, layout and K block),
 * fused BatchNorm block passes and short benches; the choice at start-up
 * honours PAIRNET_KERNEL, and the binary refuses (the library only
 * reports) names it cannot run; pn_expf and
 * pn_log are within 1 ulp of libm and give fixed bits on every platform. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pairnet/base/cpu.h"
#include "pairnet/base/crc32.h"
#include "pairnet/base/mathf.h"
#include "pairnet/base/rng.h"
#include "pairnet/ops/gemm.h"
#include "pairnet/ops/kset.h"
#include "pairnet/ops/kernels.h"

#include "../src/ops/kset_table.h" /* the sets' BatchNorm sums, tested directly */

static float *falloc(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

static void fill(float *x, size_t n, pn_rng *r, float a)
{
    for (size_t i = 0; i < n; i++)
        x[i] = pn_rng_sym(r, a);
}

/* The sets to compare (all this machine runs) and the one to compare with
 * (the first, the best: the one the committed tables come from where it
 * is AVX-512). */
static size_t kernels(const char **names)
{
    const size_t n = pn_kset_list(names, 4);
    return n < 4 ? n : 4;
}

/* ---- choice ---- */

static void kernel_list_and_use(void)
{
    const char *names[4];
    const size_t n = kernels(names);
    const char *was = pn_kset_name();
    CHECK(n >= 1);
    CHECK_MSG(!strcmp(names[n - 1], "scalar"), "the last set is %s, not scalar", names[n - 1]);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found |= !strcmp(names[i], was);
    CHECK_MSG(found, "the set in use (%s) is not among the runnable ones", was);
    const char *forced = getenv("PAIRNET_KERNEL");
    if (!forced || !*forced || !strcmp(forced, "auto"))
        CHECK_MSG(!strcmp(was, names[0]), "in use: %s, best: %s", was, names[0]);
    else
        CHECK_MSG(!strcmp(was, forced), "in use: %s, PAIRNET_KERNEL=%s", was, forced);
    CHECK(pn_kset_use("bogus") == -1);
    CHECK(!strcmp(pn_kset_name(), was));
    for (size_t i = 0; i < n; i++) {
        CHECK(pn_kset_use(names[i]) == 0);
        CHECK(!strcmp(pn_kset_name(), names[i]));
        CHECK(!strcmp(pn_gemm_kset_name(), names[i]));
    }
    pn_kset_use(was);
    /* what cpuid says and what the list offers agree */
    const unsigned f = pn_cpu_features();
    int has512 = 0, has2 = 0, neon = 0;
    for (size_t i = 0; i < n; i++) {
        has512 |= !strcmp(names[i], "avx512");
        has2 |= !strcmp(names[i], "avx2");
        neon |= !strcmp(names[i], "neon");
    }
    CHECK(has512 == !!(f & PN_CPU_AVX512));
    CHECK(has2 == !!(f & PN_CPU_AVX2_FMA));
    CHECK(neon == !!(f & PN_CPU_NEON));
    CHECK_MSG(!(f & PN_CPU_AVX512) || (f & PN_CPU_AVX2_FMA), "AVX-512 without AVX2 + FMA");
}

/* ---- GEMM: every set, the same bits ---- */

typedef struct { int ta, tb; size_t M, N, K; } shape;

/* Shapes that take each path: small (M N K <= 8192), dot (A B^T, thin or
 * small), packed with and without in-place B; K across KC_MAX (384) and
 * DK (2048) block edges with ragged tails; M, N off every tile size. */
static const shape shapes[] = {
    {0, 0, 3, 5, 7}, {1, 0, 4, 9, 17}, {0, 1, 5, 3, 33}, {1, 1, 7, 6, 11},
    {0, 1, 32, 9, 2100}, {0, 1, 64, 18, 4500}, {0, 1, 10, 200, 100}, {0, 1, 3, 3, 15},
    {0, 0, 37, 77, 390}, {1, 0, 64, 129, 800}, {0, 1, 45, 70, 300}, {1, 1, 33, 40, 50},
    {0, 0, 200, 100, 288}, {1, 0, 288, 96, 100}, {0, 0, 9, 1000, 64}, {0, 0, 70, 33, 1},
};

static void gemm_same_bits_on_every_kernel(void)
{
    const char *names[4], *was = pn_kset_name();
    const size_t nk = kernels(names);
    pn_rng r;
    pn_rng_seed(&r, 14, 0);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const shape *h = &shapes[s];
        const size_t lda = (h->ta ? h->M : h->K) + 3, ldb = (h->tb ? h->K : h->N) + 1;
        const size_t na = (h->ta ? h->K : h->M) * lda, nb = (h->tb ? h->N : h->K) * ldb;
        const size_t ldc = h->N + 2, nc = h->M * ldc;
        float *A = falloc(na), *B = falloc(nb), *C0 = falloc(nc), *ref = falloc(2 * nc);
        float *C = falloc(nc);
        fill(A, na, &r, 1.0f);
        fill(B, nb, &r, 1.0f);
        fill(C0, nc, &r, 1.0f);
        for (size_t k = 0; k < nk; k++) {
            pn_kset_use(names[k]);
            for (int beta = 0; beta < 2; beta++) {
                memcpy(C, C0, nc * sizeof *C);
                pn_gemm(h->ta, h->tb, h->M, h->N, h->K, A, lda, B, ldb, (float)beta, C, ldc);
                float *want = ref + beta * nc;
                if (k == 0) {
                    memcpy(want, C, nc * sizeof *C);
                    continue;
                }
                size_t bad = 0, first = 0;
                for (size_t i = 0; i < nc; i++)
                    if (memcmp(&C[i], &want[i], sizeof *C) != 0 && !bad++)
                        first = i;
                CHECK_MSG(!bad,
                          "%s vs %s, ta %d tb %d M %zu N %zu K %zu beta %d: %zu elements "
                          "differ, first (%zu, %zu): %a vs %a", names[k], names[0], h->ta,
                          h->tb, h->M, h->N, h->K, beta, bad, first / ldc, first % ldc,
                          (double)C[first], (double)want[first]);
            }
        }
        free(A);
        free(B);
        free(C0);
        free(C);
        free(ref);
    }
    pn_kset_use(was);
}

/* The bit test above compares sets with each other; this one checks that
 * the first set computes the product at all (the reference in double). */
static void gemm_paths_near_the_reference(void)
{
    pn_rng r;
    pn_rng_seed(&r, 15, 0);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const shape *h = &shapes[s];
        const size_t lda = h->ta ? h->M : h->K, ldb = h->tb ? h->K : h->N;
        float *A = falloc(h->M * h->K), *B = falloc(h->K * h->N);
        float *C = falloc(h->M * h->N), *R = falloc(h->M * h->N);
        fill(A, h->M * h->K, &r, 1.0f);
        fill(B, h->K * h->N, &r, 1.0f);
        pn_gemm(h->ta, h->tb, h->M, h->N, h->K, A, lda, B, ldb, 0.0f, C, h->N);
        pn_gemm_ref(h->ta, h->tb, h->M, h->N, h->K, A, lda, B, ldb, 0.0f, R, h->N);
        double worst = 0;
        for (size_t i = 0; i < h->M * h->N; i++) {
            const double e = fabs((double)C[i] - R[i]);
            if (e > worst) /* not fmax: aarch64 GCC 12 crashes vectorizing that reduction */
                worst = e;
        }
        CHECK_MSG(worst <= 1e-5 * sqrt((double)h->K) + 1e-6, "M %zu N %zu K %zu: off by %g",
                  h->M, h->N, h->K, worst);
        free(A);
        free(B);
        free(C);
        free(R);
    }
}

/* ---- the fused BatchNorm -> ReLU -> pool block: every set, the same bits ---- */

typedef struct {
    float *out, *arg, *stat, *rm, *rv, *dx, *dg, *db, *eval;
} bnpool_res;

static void bnpool_run(size_t B, size_t C, size_t H, size_t W, int obi, const float *x,
                       const float *par, const float *dout, bnpool_res *o)
{
    const size_t no = C * (H / 2) * (W / 2) * B;
    float *win = falloc(no), *bi = falloc(2 * no);
    for (size_t c = 0; c < C; c++) {
        o->rm[c] = 0.0f;
        o->rv[c] = 1.0f;
        o->dg[c] = o->db[c] = 0.0f;
    }
    pn_bnpool p = {
        .B = B, .C = C, .H = H, .W = W, .out_batch_inner = obi, .x = x, .bias = par,
        .gamma = par + C, .beta = par + 2 * C, .run_mean = o->rm, .run_var = o->rv,
        .stat = o->stat, .out = o->out, .arg = o->arg, .win = win, .dout = dout, .dx = o->dx, .bi = bi,
        .dgamma = o->dg, .dbeta = o->db, .cfg = {.eps = 1e-5f, .momentum = 0.1f},
    };
    pn_bnpool_forward_train(&p, 0, C);
    pn_bnpool_backward(&p, 0, C);
    p.out = o->eval;
    pn_bnpool_forward_eval(&p, 0, C);
    free(win);
    free(bi);
}

static void bnpool_same_bits_on_every_kernel(void)
{
    /* batch sizes around the 16 lanes and the 2048-value chunks; odd H, W
     * leave positions no window covers */
    static const size_t dims[][4] = {{50, 3, 12, 12}, {100, 2, 4, 4}, {7, 2, 5, 7},
                                     {33, 1, 24, 24}, {1, 2, 2, 2}, {16, 2, 9, 8}};
    const char *names[4], *was = pn_kset_name();
    const size_t nk = kernels(names);
    pn_rng r;
    pn_rng_seed(&r, 16, 0);
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
        for (int obi = 0; obi < 2; obi++) {
            const size_t B = dims[d][0], C = dims[d][1], H = dims[d][2], W = dims[d][3];
            const size_t n = C * H * W * B, no = C * (H / 2) * (W / 2) * B;
            float *x = falloc(n), *par = falloc(3 * C), *dout = falloc(no);
            fill(x, n, &r, 2.0f);
            fill(par, 3 * C, &r, 1.0f);
            fill(dout, no, &r, 1.0f);
            const size_t len[9] = {no, no, 2 * C, C, C, n, C, C, no};
            float *all[2][9];
            for (size_t k = 0; k < nk; k++) {
                float **v = all[k ? 1 : 0];
                for (int i = 0; i < 9; i++)
                    v[i] = falloc(len[i]);
                bnpool_res o = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]};
                pn_kset_use(names[k]);
                bnpool_run(B, C, H, W, obi, x, par, dout, &o);
                if (k > 0) {
                    static const char *what[9] = {"out", "arg", "stat", "run_mean", "run_var",
                                                  "dx", "dgamma", "dbeta", "eval out"};
                    for (int i = 0; i < 9; i++)
                        CHECK_MSG(!memcmp(all[0][i], all[1][i], len[i] * sizeof(float)),
                                  "%s vs %s, B %zu C %zu H %zu W %zu%s: %s differs", names[k],
                                  names[0], B, C, H, W, obi ? " batch-inner" : "", what[i]);
                    for (int i = 0; i < 9; i++)
                        free(all[1][i]);
                }
            }
            for (int i = 0; i < 9; i++)
                free(all[0][i]);
            free(x);
            free(par);
            free(dout);
        }
    pn_kset_use(was);
}

/* The sums themselves (their doubles feed float statistics, which would
 * hide most differences in the block test above): bit for bit, for
 * lengths around the 16 lanes and the 2048-value chunks. */
static void bn_sums_same_bits_on_every_kernel(void)
{
    static const size_t lens[] = {1, 15, 16, 17, 100, 2047, 2048, 2049, 4111, 7200};
    const char *names[4], *was = pn_kset_name();
    const size_t nk = kernels(names);
    pn_rng r;
    pn_rng_seed(&r, 17, 0);
    const size_t max = 7200;
    float *x[4], *g = falloc(max); /* x[0] the winners' x, x[1] the pooled values */
    for (int i = 0; i < 4; i++) {
        x[i] = falloc(max);
        fill(x[i], max, &r, 3.0f);
    }
    for (size_t i = 0; i < max; i++) {
        g[i] = pn_rng_below(&r, 3) ? pn_rng_sym(&r, 1.0f) : 0.0f;
    }
    for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
        const size_t n = lens[l];
        double want[6] = {0};
        float want_lanes[2 * PN_LANES];
        for (size_t k = 0; k < nk; k++) {
            pn_kset_use(names[k]);
            const pn_kset *ks = pn_kset_cur;
            double got[6] = {ks->row_sum(x[0], n), ks->row_sq_dev(x[0], n, 0.37f), 0.25, -0.5};
            float lanes[2 * PN_LANES];
            for (int i = 0; i < 2 * PN_LANES; i++)
                lanes[i] = (float)i / 8.0f;
            ks->window_sums(x[0], x[1], g, 0.125f, 1.5f, n, lanes, lanes + PN_LANES, &got[2],
                            &got[3]);
            if (k == 0) {
                memcpy(want, got, sizeof want);
                memcpy(want_lanes, lanes, sizeof lanes);
                continue;
            }
            CHECK_MSG(!memcmp(got, want, sizeof got) && !memcmp(lanes, want_lanes, sizeof lanes),
                      "%s vs %s, n %zu: row_sum %a/%a, row_sq_dev %a/%a, window sums %a/%a "
                      "%a/%a, lanes %s", names[k], names[0], n, got[0], want[0], got[1],
                      want[1], got[2], want[2], got[3], want[3],
                      memcmp(lanes, want_lanes, sizeof lanes) ? "differ" : "same");
        }
    }
    for (int i = 0; i < 4; i++)
        free(x[i]);
    free(g);
    pn_kset_use(was);
}

/* ---- exp and log ---- */

static double ulps_f(float got, float want)
{
    if (got == want || (isnan(got) && isnan(want)))
        return 0;
    if (isinf(want) || isinf(got))
        return INFINITY;
    const float u = nextafterf(fabsf(want), INFINITY) - fabsf(want);
    return fabs((double)got - want) / u;
}

/* Over the range the models feed it (z - max z <= 0, down to underflow)
 * and beyond: within 1 ulp of libm's expf (pn_expf is glibc's FMA
 * algorithm: on glibc x86-64 with FMA every result is the same). */
static void expf_within_1_ulp_of_libm(void)
{
    double worst = 0;
    float at = 0;
    for (uint32_t u = 0; u < 0xffffffffu - 997; u += 997) {
        float x;
        memcpy(&x, &u, sizeof x);
        if (isnan(x) || x > 88.7f || x < -104.0f)
            continue;
        const double e = ulps_f(pn_expf(x), expf(x));
        if (e > worst) {
            worst = e;
            at = x;
        }
    }
    for (int i = 0; i <= 1000000; i++) { /* dense where softmax lives */
        const float x = -30.0f * (float)i / 1e6f;
        const double e = ulps_f(pn_expf(x), expf(x));
        if (e > worst) {
            worst = e;
            at = x;
        }
    }
    CHECK_MSG(worst <= 1.0, "pn_expf is %g ulp from expf at %a", worst, (double)at);
    CHECK(pn_expf(0.0f) == 1.0f && pn_expf(-0.0f) == 1.0f);
    CHECK(pn_expf(-INFINITY) == 0.0f && pn_expf(-200.0f) == 0.0f);
    CHECK(isinf(pn_expf(89.0f)) && isinf(pn_expf(INFINITY)) && isnan(pn_expf(NAN)));
    CHECK(pn_expf(-103.5f) > 0.0f); /* subnormal results, not flushed */
}

/* Fixed bits on every platform and compiler: a CRC of pn_expf over 2^20
 * inputs spread over [-104, 89], and of pn_log over [1, 16] (the loss's
 * range) and beyond. The values were computed with glibc's expf on x86-64
 * (pn_expf equals it there on all 2^32 inputs); an aarch64 build under
 * qemu must print the same. */
static void expf_log_fixed_bits(void)
{
    uint32_t ce = 0, cl = 0;
    for (uint32_t i = 0; i < (1u << 20); i++) {
        const float x = -104.0f + 193.0f * (float)i / (float)(1u << 20);
        const float y = pn_expf(x);
        ce = pn_crc32(ce, &y, sizeof y);
    }
    for (uint32_t i = 0; i < (1u << 18); i++) {
        const double x = 1.0 + 15.0 * i / (double)(1u << 18), y = pn_log(x);
        const double z = pn_log(x * 1e-300), w = pn_log(x * 1e300);
        cl = pn_crc32(cl, &y, sizeof y);
        cl = pn_crc32(cl, &z, sizeof z);
        cl = pn_crc32(cl, &w, sizeof w);
    }
    CHECK_MSG(ce == 0x478d8befu, "pn_expf CRC %08x", (unsigned)ce);
    CHECK_MSG(cl == 0x799df724u, "pn_log CRC %08x", (unsigned)cl);
}

static double ulps_d(double got, double want)
{
    if (got == want)
        return 0;
    const double u = nextafter(fabs(want), INFINITY) - fabs(want);
    return fabs(got - want) / u;
}

static void log_within_1_ulp_of_libm(void)
{
    double worst = 0, at = 0;
    for (int i = 0; i <= 2000000; i++) {
        const double x = 1.0 + 15.0 * i / 2e6;
        const double e = ulps_d(pn_log(x), log(x));
        if (e > worst) {
            worst = e;
            at = x;
        }
    }
    for (int p = -1074; p < 1024; p++)
        for (int j = 0; j < 200; j++) {
            const double x = ldexp(1.0 + j / 200.0, p);
            const double e = ulps_d(pn_log(x), log(x));
            if (e > worst) {
                worst = e;
                at = x;
            }
        }
    CHECK_MSG(worst <= 1.0, "pn_log is %g ulp from log at %a", worst, at);
    CHECK(pn_log(1.0) == 0.0);
    CHECK(isinf(pn_log(0.0)) && pn_log(0.0) < 0 && isnan(pn_log(-1.0)) && isnan(pn_log(NAN)));
    CHECK(isinf(pn_log(INFINITY)));
}

/* ---- the binary: PAIRNET_KERNEL, and one short bench per set ---- */

static int sh(const char *cmd, char *err, size_t cap)
{
    char full[4096], ef[512];
    snprintf(ef, sizeof ef, "%s/dispatch.err", t_tmp_dir());
    snprintf(full, sizeof full, "%s >/dev/null 2>'%s' </dev/null", cmd, ef);
    const int st = system(full);
    if (err)
        t_read_file(ef, err, cap);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *bin(void)
{
    const char *b = getenv("PAIRNET_BIN");
    CHECK_MSG(b && *b && access(b, X_OK) == 0, "PAIRNET_BIN is not set to an executable: run "
                                               "through `make test`");
    return b && *b && access(b, X_OK) == 0 ? b : NULL;
}

static void one_line_exit_2(const char *b, const char *value)
{
    char cmd[1024], err[1024];
    snprintf(cmd, sizeof cmd, "PAIRNET_KERNEL=%s '%s' --version", value, b);
    const int st = sh(cmd, err, sizeof err);
    const char *nl = strchr(err, '\n');
    CHECK_MSG(st == 2, "PAIRNET_KERNEL=%s: exit %d, want 2", value, st);
    CHECK_MSG(nl && nl[1] == '\0' && !strncmp(err, "pairnet", 7) && strstr(err, value),
              "PAIRNET_KERNEL=%s: stderr is not one line naming it: '%s'", value, err);
    CHECK_MSG(strstr(err, "unset it or set one of those"), "PAIRNET_KERNEL=%s: no fix in '%s'",
              value, err);
}

static void kernel_env_refused(void)
{
    const char *b = bin();
    if (!b)
        return;
    one_line_exit_2(b, "bogus");
    one_line_exit_2(b, "AVX512");
    /* a known set this machine cannot run (on x86-64 neon is unknown
     * there, also refused) */
    static const char *all[] = {"avx512", "avx2", "neon"};
    const char *names[4];
    const size_t n = kernels(names);
    for (size_t i = 0; i < 3; i++) {
        int runs = 0;
        for (size_t k = 0; k < n; k++)
            runs |= !strcmp(names[k], all[i]);
        if (!runs)
            one_line_exit_2(b, all[i]);
    }
    char cmd[1024];
    for (size_t k = 0; k < n; k++) {
        snprintf(cmd, sizeof cmd, "PAIRNET_KERNEL=%s '%s' --version", names[k], b);
        CHECK_MSG(sh(cmd, NULL, 0) == 0, "PAIRNET_KERNEL=%s refused", names[k]);
    }
}

/* runs.csv without its seconds column (9th) */
static void strip_time(const char *src, char *dst, size_t cap)
{
    static char buf[1 << 16];
    t_read_file(src, buf, sizeof buf);
    size_t o = 0;
    int field = 1;
    for (const char *p = buf; *p && o + 1 < cap; p++) {
        if (*p == '\n')
            field = 1;
        else if (*p == ',' && ++field == 9)
            continue;
        if (field != 9)
            dst[o++] = *p;
    }
    dst[o] = '\0';
}

/* One short bench (both model kinds: the fused conv block, BatchNorm1d,
 * the dot and packed GEMM paths, softmax cross-entropy) per set:
 * table2.csv and runs.csv byte for byte. One round of one epoch keeps the
 * scalar set (one fmaf call per multiply-add) to seconds. */
static void bench_same_bits_on_every_kernel(void)
{
    const char *b = bin(), *data = t_data_dir();
    if (!b)
        return;
    if (!data) {
        t_skip("no MNIST");
        return;
    }
    const char *names[4];
    const size_t n = kernels(names);
    static char want_t[8192], want_r[1 << 16], got_t[8192], got_r[1 << 16];
    for (size_t k = 0; k < n; k++) {
        char cmd[2048], out[512], path[600], err[1024];
        snprintf(out, sizeof out, "%s/bench-%s", t_tmp_dir(), names[k]);
        snprintf(cmd, sizeof cmd,
                 "PAIRNET_KERNEL=%s '%s' bench --models cnn_ws_al,mlp --rounds 1 --epochs 1 "
                 "--eval-final --jobs 1 --data '%s' --out '%s'", names[k], b, data, out);
        const int st = sh(cmd, err, sizeof err);
        CHECK_MSG(st == 0, "%s: exit %d: %s", cmd, st, err);
        if (st)
            return;
        snprintf(path, sizeof path, "%s/table2.csv", out);
        t_read_file(path, k ? got_t : want_t, sizeof got_t);
        snprintf(path, sizeof path, "%s/runs.csv", out);
        strip_time(path, k ? got_r : want_r, sizeof got_r);
        if (k == 0) {
            CHECK_MSG(strstr(want_t, "cnn_ws_al") && strstr(want_t, "mlp"), "table2.csv: %s",
                      want_t);
            continue;
        }
        CHECK_MSG(!strcmp(got_t, want_t), "table2.csv of %s differs from %s's:\n%s\nvs\n%s",
                  names[k], names[0], got_t, want_t);
        CHECK_MSG(!strcmp(got_r, want_r), "runs.csv of %s differs from %s's:\n%s\nvs\n%s",
                  names[k], names[0], got_r, want_r);
    }
}

void suite_dispatch(void)
{
    RUN(kernel_list_and_use);
    RUN(gemm_same_bits_on_every_kernel);
    RUN(gemm_paths_near_the_reference);
    RUN(bnpool_same_bits_on_every_kernel);
    RUN(bn_sums_same_bits_on_every_kernel);
    RUN(expf_within_1_ulp_of_libm);
    RUN(expf_log_fixed_bits);
    RUN(log_within_1_ulp_of_libm);
    RUN(kernel_env_refused);
    RUN(bench_same_bits_on_every_kernel);
}
