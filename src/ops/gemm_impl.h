/* What the two halves of the GEMM share (not part of the API): gemm.c
 * plans and splits a product, gemm_kernels.c computes blocks of it. */
#ifndef PAIRNET_GEMM_IMPL_H
#define PAIRNET_GEMM_IMPL_H

#include <math.h>
#include <stddef.h>

/* ---- kernel selection ------------------------------------------------ */

/* Width: a 512-bit FMA may run as two 256-bit halves (Zen 4), so both
 * widths can share one FMA peak; AVX-512 is still the default because its
 * 32 zmm registers hold a 16-accumulator tile, so each loaded B vector and
 * broadcast A value feeds twice the flops with half the instructions per
 * flop, and the dot path's masked loads are native (AVX2 has only
 * vmaskmovps). docs/performance.md has the comparison on the layer shapes;
 * define PN_GEMM_AVX2 to build the 256-bit kernel instead. */
#if defined(__AVX512F__) && !defined(PN_GEMM_AVX2)
#define PN_AVX512 1
#elif defined(__AVX2__) && defined(__FMA__)
#define PN_AVX2 1
#endif

#if defined(PN_AVX512) || defined(PN_AVX2)
#define PN_SIMD 1
#include <immintrin.h>
#endif

#if defined(__GNUC__)
#define PN_INLINE static inline __attribute__((always_inline))
#else
#define PN_INLINE static inline
#endif

/* Micro-tile MR x NR (see the top of the file for the blocking). */
#if defined(PN_AVX512)
/* 8 x 32: 16 zmm accumulators, 2 B loads and 8 broadcasts per 16 FMAs.
 * M = 32, 64, 200, 288 of the layers are multiples of 8 (other tiles:
 * docs/performance.md). */
typedef __m512 vec;
#define VW 16
#define MR 8
#define NR 32
#elif defined(PN_AVX2)
/* 6 x 16: 12 ymm accumulators + 2 B vectors + 1 broadcast of the 16
 * registers. (Not 4 x 24: GCC then folds the three B loads into the FMAs,
 * 16 loads per 12 FMAs, and the load ports saturate.) */
typedef __m256 vec;
#define VW 8
#define MR 6
#define NR 16
#else
#define MR 4
#define NR 8
#endif

/* KC_MAX 384: one K block for conv2's K = 288 and few C passes elsewhere;
 * the B block (PACK_B_FLOATS) stays in L2 while the A slivers sweep over
 * it. */
#define KC_MAX 384
#define PACK_B_FLOATS (64 * 1024)

/* Dot path: register block DR x DC of C (3 divides the 9, 18 and 288
 * columns of the conv weight gradients), K chunk DK (long, so that the
 * horizontal sums at the end of a chunk are rare). */
#if defined(PN_AVX512)
#define DR 8
#define DC 3
#elif defined(PN_AVX2)
#define DR 3
#define DC 3
#endif
#define DK 2048

/* Below this many multiply-adds no packing pays for itself. */
#define SMALL_MNK 8192

/* ---- problem description --------------------------------------------- */

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
} gemm_args;

enum path { PATH_SMALL, PATH_PACKED, PATH_DOT };

typedef struct {
    enum path path;
    size_t kc; /* K block of the packed path */
    size_t nc; /* N block of the packed path (a multiple of NR) */
    size_t am, an; /* tile alignment for splitting C across threads */
    int direct_b;  /* packed path reads full B slivers in place */
} plan;

static inline size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }
static inline size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

/* a * b + c, fused where the hardware fuses, so every path rounds alike. */
PN_INLINE float madd(float a, float b, float c)
{
#if defined(__FMA__)
    return fmaf(a, b, c);
#else
    return a * b + c;
#endif
}

static inline float a_at(const gemm_args *g, size_t i, size_t k)
{
    return g->ta ? g->A[k * g->lda + i] : g->A[i * g->lda + k];
}

/* C[i0..i1, j0..j1) of the product, by path (gemm_kernels.c). */
void pn_gemm_small_block(const gemm_args *g, size_t i0, size_t i1, size_t j0, size_t j1);
void pn_gemm_packed_block(const gemm_args *g, const plan *p, size_t i0, size_t i1, size_t j0,
                          size_t j1);
#if defined(PN_SIMD)
void pn_gemm_dot_block(const gemm_args *g, size_t i0, size_t i1, size_t j0, size_t j1);
#endif

#endif
