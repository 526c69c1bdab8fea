/* GEMM throughput on the network's layer shapes: GFLOP/s of pn_gemm on one
 * thread and pn_gemm_par on two, each the median of repeated timings,
 * against the measured FMA peak.
 *
 *   perf_gemm [min_seconds_per_shape]     (default 0.15) */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/ops/gemm.h"
#include "pairnet/ops/kset.h"
#include "peak.h"
#include "pairnet/base/pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    const char *name;
    int ta, tb;
    size_t M, N, K;
} shape;

#define MAX_REPS 2001

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fill(float *x, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
    }
}

/* One call: pn_gemm without a pool, pn_gemm_par with one. */
static void call_gemm(pn_pool *pool, const shape *s, const float *A, const float *B, float *C)
{
    size_t lda = s->ta ? s->M : s->K, ldb = s->tb ? s->K : s->N;
    if (pool)
        pn_gemm_par(pool, s->ta, s->tb, s->M, s->N, s->K, A, lda, B, ldb, 0.0f, C, s->N);
    else
        pn_gemm(s->ta, s->tb, s->M, s->N, s->K, A, lda, B, ldb, 0.0f, C, s->N);
}

/* Median seconds per call; runs for at least min_s and 11 calls, after two
 * warm-up calls (page faults, thread wake-up, caches). */
static double time_gemm(pn_pool *pool, const shape *s, const float *A, const float *B, float *C,
                        double min_s)
{
    static double t[MAX_REPS];
    for (int w = 0; w < 2; w++)
        call_gemm(pool, s, A, B, C);
    size_t n = 0;
    double start = now_s();
    while (n < MAX_REPS && (n < 11 || now_s() - start < min_s)) {
        double t0 = now_s();
        call_gemm(pool, s, A, B, C);
        t[n++] = now_s() - t0;
    }
    qsort(t, n, sizeof *t, cmp_double);
    return t[n / 2];
}

static size_t add_shapes(shape *out, size_t n)
{
    const shape s[] = {
        { "conv1 fwd (K=9)", 0, 0, 32, n * 144, 9 },
        { "conv1 fwd (K=18)", 0, 0, 32, n * 144, 18 },
        { "conv1 wgrad (N=9)", 0, 1, 32, 9, n * 144 },
        { "conv1 wgrad (N=18)", 0, 1, 32, 18, n * 144 },
        { "conv2 fwd", 0, 0, 64, n * 16, 288 },
        { "conv2 wgrad", 0, 1, 64, 288, n * 16 },
        { "conv2 igrad", 1, 0, 288, n * 16, 64 },
        { "linear fwd", 0, 1, n, 200, 256 },
        { "linear wgrad", 1, 0, 200, 256, n },
        { "linear igrad", 0, 0, n, 256, 200 },
        { "head fwd N=100", 0, 1, n, 100, 100 },
        { "head fwd N=10", 0, 1, n, 10, 200 },
        { "head fwd N=2", 0, 1, n, 2, 20 },
    };
    memcpy(out, s, sizeof s);
    return sizeof s / sizeof s[0];
}

int main(int argc, char **argv)
{
    pn_err kerr = {0, ""};
    if (pn_kset_env_check(&kerr) != PN_OK) {
        fprintf(stderr, "perf_gemm: %s\n", kerr.msg);
        return kerr.code;
    }
    double min_s = argc > 1 ? atof(argv[1]) : 0.15;
    if (!(min_s > 0))
        min_s = 0.15;
    pn_pool *pool2 = pn_pool_new(2);
    if (!pool2) {
        fprintf(stderr, "perf_gemm: cannot start threads\n");
        return 1;
    }
    double peak1 = pn_fma_peak_gflops(1), peak2 = pn_fma_peak_gflops(2);
    printf("kernel %s, FMA peak %.1f GFLOP/s (1 thread), %.1f GFLOP/s (2 threads)\n",
           pn_kset_name(), peak1, peak2);
    printf("%-20s %2s %4s %6s %6s %8s %6s %8s %6s %6s\n", "shape", "op", "M", "N", "K", "1T GF/s",
           "%peak", "2T GF/s", "%peak", "2T/1T");
    int status = 0;
    for (size_t batch = 100; batch <= 200 && !status; batch += 100) {
        shape shapes[32];
        size_t ns = add_shapes(shapes, batch);
        printf("-- n = %zu\n", batch);
        for (size_t i = 0; i < ns; i++) {
            const shape *s = &shapes[i];
            float *A = malloc(s->M * s->K * sizeof *A), *B = malloc(s->K * s->N * sizeof *B);
            float *C = malloc(s->M * s->N * sizeof *C);
            if (!A || !B || !C) {
                fprintf(stderr, "perf_gemm: out of memory\n");
                status = 1;
            } else {
                fill(A, s->M * s->K, 1);
                fill(B, s->K * s->N, 2);
                double flops = 2.0 * (double)s->M * (double)s->N * (double)s->K;
                double g1 = flops / time_gemm(NULL, s, A, B, C, min_s) * 1e-9;
                double g2 = flops / time_gemm(pool2, s, A, B, C, min_s) * 1e-9;
                printf("%-20s %c%c %4zu %6zu %6zu %8.1f %5.0f%% %8.1f %5.0f%% %6.2f\n", s->name,
                       s->ta ? 't' : 'n', s->tb ? 't' : 'n', s->M, s->N, s->K, g1,
                       100 * g1 / peak1, g2, 100 * g2 / peak2, g2 / g1);
            }
            free(A);
            free(B);
            free(C);
        }
    }
    pn_pool_free(pool2);
    return status;
}
