/* The kernel sets (not part of the API): the table of functions each set
 * fills and the GEMM plan they compute; the loops whose speed depends on
 * the vector ISA, compiled once per ISA (kset_avx512.c, kset_avx2.c,
 * kset_neon.c, kset_scalar.c, all from kset_body.inc with their own compiler
 * flags) and chosen at start-up (kset.c). Every set computes the same
 * bits: docs/numerics.md gives the summation order each one follows. */
#ifndef PAIRNET_KSET_TABLE_H
#define PAIRNET_KSET_TABLE_H

#include <stddef.h>

/* ---- the GEMM's problem and plan (gemm.c plans, the sets compute) ---- */

typedef struct {
    int ta, tb;
    size_t M, N, K;
    const float *A;
    size_t lda;
    const float *B;
    size_t ldb;
    float *C;
    size_t ldc;
    int accumulate; /* beta == 1 (other betas were applied up front) */
    /* When set, B is this implicit im2col matrix (ldb unused): packed path only */
    const struct pn_im2col *im;
} gemm_args;

enum path { PATH_SMALL, PATH_PACKED, PATH_DOT };

typedef struct {
    enum path path;
    size_t kc; /* K block of the packed path: depends on K only */
    size_t am, an; /* tile alignment for splitting C across threads */
    int direct_b;  /* packed path reads full B slivers in place */
} plan;

/* KC_MAX 384: one K block for conv2's K = 288 and few C passes elsewhere.
 * The packed path's K blocks are fixed by K and KC_MAX alone, the dot
 * path's chunks by DK: both are part of the summation order, the same for
 * every set. */
#define KC_MAX 384
#define DK 2048
/* B block of the packed path (it stays in L2 while the A slivers sweep
 * over it), and the largest A sliver of any set (MR <= 8). */
#define PACK_B_FLOATS (64 * 1024)
#define PACK_A_FLOATS (8 * KC_MAX)

/* Below this many multiply-adds no packing pays for itself. */
#define SMALL_MNK 8192

/* Per-thread packing buffers, shared by the sets (kset.c). */
extern _Thread_local float pn_pack_a[PACK_A_FLOATS];
extern _Thread_local float pn_pack_b[PACK_B_FLOATS];

/* ---- one kernel set ---- */

typedef struct pn_kset {
    const char *name; /* the PAIRNET_KERNEL value */
    size_t mr, nr;    /* packed micro-tile */
    size_t dr, dc;    /* dot-path register block */
    /* C[i0..i1, j0..j1) of the product, by path */
    void (*gemm_small)(const gemm_args *g, size_t i0, size_t i1, size_t j0, size_t j1);
    void (*gemm_packed)(const gemm_args *g, const plan *p, size_t i0, size_t i1, size_t j0,
                        size_t j1);
    void (*gemm_dot)(const gemm_args *g, size_t i0, size_t i1, size_t j0, size_t j1);
    /* BatchNorm sums of a row in 16 float lanes (bnpool.c) */
    double (*row_sum)(const float *x, size_t n);
    double (*row_sq_dev)(const float *x, size_t n, float mean);
    /* the fused BN -> ReLU -> pool windows (bnpool.c says what they do) */
    void (*window_arg)(const float *x0, const float *x1, const float *x2, const float *x3,
                       float s, float t, float *o, float *a, float *win, size_t n);
    void (*window_eval)(const float *x0, const float *x1, const float *x2, const float *x3,
                        float s, float t, float *o, size_t n);
    void (*window_sums)(const float *win, const float *o, const float *g, float mean, float is,
                        size_t n, float *as, float *ax, double *sd, double *sdx);
    void (*window_dx)(const float *x0, const float *x1, const float *x2, const float *x3,
                      float *d0, float *d1, float *d2, float *d3, const float *a,
                      const float *o, const float *g, float mean, float base, float slope,
                      float kc, size_t n);
    /* a first conv computed inside its block, four channels at a time
     * (bnpool_conv.c says what they do) */
    void (*conv_rows4)(const float *const *src, const float *const *w, size_t K,
                       float *const *out, size_t n);
    void (*wgrad_lanes4)(const float *const *dx, const float *const *src, size_t K, size_t ng,
                         float *const *acc);
    void (*wgrad_flush)(float *acc, size_t K, float *dw);
} pn_kset;

/* The sets (kset.c uses those its target builds: the x86-64 ones or
 * NEON, and always the scalar one). */
extern const pn_kset pn_kset_avx512, pn_kset_avx2, pn_kset_neon, pn_kset_scalar;

/* The set in use: chosen before main runs (kset.c). */
extern const pn_kset *pn_kset_cur;

/* Channels of a first conv that its block computes together (the
 * conv_rows4 and wgrad_lanes4 kernels take exactly this many). */
#define PN_CONV_CB 4

/* The lanes of the BatchNorm sums: a 16-lane partial sum, as one AVX-512
 * register holds it. */
#define PN_LANES 16
#define PN_CHUNK 2048

/* The PN_LANES float lanes of a partial sum into a double, in lane order:
 * the one way every BatchNorm sum leaves its lanes (docs/numerics.md). */
static inline double pn_lanes_to_double(const float *acc)
{
    double s = 0.0;
    for (size_t k = 0; k < PN_LANES; k++)
        s += acc[k];
    return s;
}

#endif
