/* Packed, cache-blocked SGEMM.
 *
 * Three ways to compute a product, chosen once per call from the full
 * problem shape (never per thread tile, so the summation order of every C
 * element does not depend on how pn_gemm_par splits the work):
 *
 *  - packed (Goto/BLIS): K is cut into blocks of at most KC_MAX. Per K
 *    block, a block of op(B) of at most 256 KiB (L2 is 1 MiB) is made
 *    ready: packed into NR-wide slivers, or, when B needs no transpose,
 *    read in place. Then each MR-high sliver of op(A) is packed (it stays in L1)
 *    and multiplied into every B sliver by an MR x NR register-blocked
 *    micro-kernel. Packing absorbs the four (ta, tb) layouts: an operand is
 *    either copied row by row or transposed in 8x8 SIMD blocks.
 *  - dot: for A * B^T (ta = 0, tb = 1) both operands are contiguous along
 *    K, so each C element is a dot product of two rows, vectorized along K
 *    with no packing at all. Used when M or N is thin (the conv weight
 *    gradient M=32, N=9, K=28800 would pad N=9 to NR=32 in the packed
 *    path) and for tiny products.
 *  - small: a plain loop for other products too small to pay for packing.
 *
 * Every path computes each C element as: for each K block (fixed by K
 * alone), a sum over the block's k in order starting from zero (the dot
 * path: in SIMD lanes, then a fixed reduction tree), then C = sum (first
 * block, beta 0) or C = C + sum. Nothing depends on the element's position
 * in a tile, so results are bit-identical for any tiling of C, and C is
 * never read when beta is 0 (it may hold NaN).
 */
#include "pairnet/ops/gemm.h"
#include "pairnet/base/pool.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* ---- kernel selection ------------------------------------------------ */

/* Width: measured on the target (Zen 4, -O3 -march=native, bench/perf_gemm.c
 * and the same shapes with PN_GEMM_AVX2 defined). Zen 4 runs a 512-bit FMA
 * as two 256-bit halves, so both widths share one FMA peak (~118 GFLOP/s
 * per core), yet AVX-512 is faster on the shapes that matter: 1 thread,
 * GFLOP/s, AVX-512 8x32 vs AVX2 6x16:
 *   conv1 fwd K=9 89 vs 66, conv1 wgrad 95 vs 64, conv2 fwd 103-110 vs
 *   84-90, conv2 wgrad 101 vs 93, conv2 igrad 108 vs 91-101, linear
 *   wgrad/igrad 110-114 vs 103-105; only linear fwd (nt 200x200x256) is
 *   3-7% slower (98 vs 101).
 * The 32 zmm registers hold a 16-accumulator tile, so each loaded B vector
 * and broadcast A value feeds twice the flops, with half the instructions
 * per flop; and the dot path's masked loads are native (AVX2 has only the
 * slower vmaskmovps). AVX-512 is therefore the default; define
 * PN_GEMM_AVX2 to build the 256-bit kernel instead. */
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
 * Measured against 12x32, 6x64, 8x48 and 4x64 on the layer shapes: best or
 * within noise everywhere, and M = 32, 64, 200, 288 are multiples of 8. */
typedef __m512 vec;
#define VW 16
#define MR 8
#define NR 32
#elif defined(PN_AVX2)
/* 6 x 16: 12 ymm accumulators + 2 B vectors + 1 broadcast of the 16
 * registers. (4 x 24 measured 2x slower: GCC then folds the three B loads
 * into the FMAs, 16 loads per 12 FMAs, and the load ports saturate.) */
typedef __m256 vec;
#define VW 8
#define MR 6
#define NR 16
#else
#define MR 4
#define NR 8
#endif

/* KC_MAX 384: one K block for conv2's K = 288 and few C passes elsewhere;
 * the B block (256 KiB) stays in L2 while the A slivers sweep over it, and
 * 512 KiB measured no faster. */
#define KC_MAX 384
#define PACK_B_FLOATS (64 * 1024)

/* Dot path: register block DR x DC of C (8 x 3 measured ~5% faster than
 * 4 x 3 or 4 x 4 with AVX-512; 3 is also a divisor of the 9, 18 and 288
 * columns of the conv weight gradients), K chunk DK (2048: the horizontal
 * sums at the end of a chunk then cost ~3%, against ~12% at 512). */
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

/* Packing buffers: per thread, fixed size (268 KiB with AVX-512), never
 * malloc'd. */
_Alignas(64) static _Thread_local float pack_a[MR * KC_MAX];
_Alignas(64) static _Thread_local float pack_b[PACK_B_FLOATS];

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

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }
static size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

/* a * b + c, fused where the hardware fuses, so every path rounds alike. */
PN_INLINE float madd(float a, float b, float c)
{
#if defined(__FMA__)
    return fmaf(a, b, c);
#else
    return a * b + c;
#endif
}

static float a_at(const gemm_args *g, size_t i, size_t k)
{
    return g->ta ? g->A[k * g->lda + i] : g->A[i * g->lda + k];
}

/* ---- small path ------------------------------------------------------- */

/* Row by row, k by k, sweeping j innermost: contiguous in B for the
 * untransposed layouts, so the compiler vectorizes it, and still summing
 * each element over k in order from zero. */
#define SMALL_NB 64
static void small_block(const gemm_args *g, size_t i0, size_t i1, size_t j0, size_t j1)
{
    float acc[SMALL_NB];
    for (size_t i = i0; i < i1; i++)
        for (size_t jb = j0; jb < j1; jb += SMALL_NB) {
            size_t nb = min_sz(SMALL_NB, j1 - jb);
            for (size_t j = 0; j < nb; j++)
                acc[j] = 0;
            for (size_t k = 0; k < g->K; k++) {
                float a = a_at(g, i, k);
                if (g->tb) {
                    const float *b = g->B + jb * g->ldb + k;
                    for (size_t j = 0; j < nb; j++)
                        acc[j] = madd(a, b[j * g->ldb], acc[j]);
                } else {
                    const float *b = g->B + k * g->ldb + jb;
                    for (size_t j = 0; j < nb; j++)
                        acc[j] = madd(a, b[j], acc[j]);
                }
            }
            float *c = g->C + i * g->ldc + jb;
            for (size_t j = 0; j < nb; j++)
                c[j] = g->accumulate ? c[j] + acc[j] : acc[j];
        }
}

/* ---- packing ---------------------------------------------------------- */

/* Both packed operands use the same sliver layout: dst[k * R + r] for
 * r < R, with rows r >= valid zero-filled so the micro-kernel can always run
 * full tiles. The source is either "row per k" (element (r, k) at
 * src[k * ld + r]: a plain copy) or "row per r" (at src[r * ld + k]: a
 * transpose). */

/* Copy pack. Full slivers copy a compile-time R floats per k (a few
 * vector moves); a call to memcpy per k would cost as much as the copy. */
static void pack_copy_full(float *dst, size_t R, const float *src, size_t ld, size_t kc)
{
    if (R == MR && MR != NR) {
        for (size_t k = 0; k < kc; k++)
            for (size_t r = 0; r < MR; r++)
                dst[k * MR + r] = src[k * ld + r];
        return;
    }
    for (size_t k = 0; k < kc; k++)
        for (size_t r = 0; r < NR; r++)
            dst[k * NR + r] = src[k * ld + r];
}

static void pack_copy(float *dst, size_t R, const float *src, size_t ld, size_t valid, size_t kc)
{
    if (valid == R && (R == MR || R == NR)) {
        pack_copy_full(dst, R, src, ld, kc);
        return;
    }
    for (size_t k = 0; k < kc; k++) {
        const float *s = src + k * ld;
        float *d = dst + k * R;
        for (size_t r = 0; r < valid; r++)
            d[r] = s[r];
        for (size_t r = valid; r < R; r++)
            d[r] = 0;
    }
}

#if defined(PN_SIMD)
/* 8 rows x 8 k of the source into 8 k x 8 rows of dst (stride R). */
static void transpose8x8(float *dst, size_t R, const float *src, size_t ld)
{
    __m256 r0 = _mm256_loadu_ps(src + 0 * ld), r1 = _mm256_loadu_ps(src + 1 * ld);
    __m256 r2 = _mm256_loadu_ps(src + 2 * ld), r3 = _mm256_loadu_ps(src + 3 * ld);
    __m256 r4 = _mm256_loadu_ps(src + 4 * ld), r5 = _mm256_loadu_ps(src + 5 * ld);
    __m256 r6 = _mm256_loadu_ps(src + 6 * ld), r7 = _mm256_loadu_ps(src + 7 * ld);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(dst + 0 * R, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + 1 * R, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * R, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * R, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * R, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * R, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * R, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * R, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/* 4 rows x 4 k, for slivers whose height is not a multiple of 8. */
static void transpose4x4(float *dst, size_t R, const float *src, size_t ld)
{
    __m128 r0 = _mm_loadu_ps(src), r1 = _mm_loadu_ps(src + ld);
    __m128 r2 = _mm_loadu_ps(src + 2 * ld), r3 = _mm_loadu_ps(src + 3 * ld);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _mm_storeu_ps(dst, r0);
    _mm_storeu_ps(dst + R, r1);
    _mm_storeu_ps(dst + 2 * R, r2);
    _mm_storeu_ps(dst + 3 * R, r3);
}
#endif

/* Scalar transpose of rows [r0, r1) for k in [k0, kc). */
static void transpose_rows(float *dst, size_t R, const float *src, size_t ld, size_t r0, size_t r1,
                           size_t k0, size_t kc)
{
    for (size_t k = k0; k < kc; k++)
        for (size_t r = r0; r < r1; r++)
            dst[k * R + r] = src[r * ld + k];
}

/* Transposing pack: SIMD 8x8 (then 4x4) blocks where rows and k allow, the
 * scalar loop for the ragged rest, zeros for the padding rows. */
static void pack_transpose(float *dst, size_t R, const float *src, size_t ld, size_t valid,
                           size_t kc)
{
    size_t r = 0;
#if defined(PN_SIMD)
    size_t k8 = kc & ~(size_t)7, k4 = kc & ~(size_t)3;
    for (; r + 8 <= valid; r += 8) {
        for (size_t k = 0; k < k8; k += 8)
            transpose8x8(dst + k * R + r, R, src + r * ld + k, ld);
        transpose_rows(dst, R, src, ld, r, r + 8, k8, kc);
    }
    for (; r + 4 <= valid; r += 4) {
        for (size_t k = 0; k < k4; k += 4)
            transpose4x4(dst + k * R + r, R, src + r * ld + k, ld);
        transpose_rows(dst, R, src, ld, r, r + 4, k4, kc);
    }
#endif
    transpose_rows(dst, R, src, ld, r, valid, 0, kc);
    if (valid < R)
        for (size_t k = 0; k < kc; k++)
            memset(dst + k * R + valid, 0, (R - valid) * sizeof *dst);
}

/* op(A)[i0 .. i0+mr, p0 .. p0+kc] (mr <= MR) into one MR-high sliver. */
static void pack_a_sliver(const gemm_args *g, size_t i0, size_t mr, size_t p0, size_t kc, float *dst)
{
    if (g->ta)
        pack_copy(dst, MR, g->A + p0 * g->lda + i0, g->lda, mr, kc);
    else
        pack_transpose(dst, MR, g->A + i0 * g->lda + p0, g->lda, mr, kc);
}

/* op(B)[p0 .. p0+kc, j0 .. j0+nc] into NR-wide slivers. */
static void pack_b_block(const gemm_args *g, size_t j0, size_t nc, size_t p0, size_t kc, float *dst)
{
    for (size_t s = 0; s < nc; s += NR) {
        size_t valid = min_sz(NR, nc - s);
        float *d = dst + s * kc;
        if (g->tb)
            pack_transpose(d, NR, g->B + (j0 + s) * g->ldb + p0, g->ldb, valid, kc);
        else
            pack_copy(d, NR, g->B + p0 * g->ldb + j0 + s, g->ldb, valid, kc);
    }
}

/* ---- micro-kernel ----------------------------------------------------- */

#if defined(PN_SIMD)
#if defined(PN_AVX512)
PN_INLINE vec v_zero(void) { return _mm512_setzero_ps(); }
PN_INLINE vec v_loadu(const float *p) { return _mm512_loadu_ps(p); }
PN_INLINE void v_storeu(float *p, vec v) { _mm512_storeu_ps(p, v); }
PN_INLINE vec v_bcast(const float *p) { return _mm512_set1_ps(*p); }
PN_INLINE vec v_fma(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
PN_INLINE vec v_add(vec a, vec b) { return _mm512_add_ps(a, b); }
/* Lane mask of the first min(n, VW) lanes, and a load of just those
 * lanes (zeros elsewhere; never touches memory past them). */
typedef __mmask16 vmask;
PN_INLINE vmask v_mask(size_t n) { return n >= VW ? (vmask)0xFFFF : (vmask)((1u << n) - 1); }
PN_INLINE vec v_load_mask(const float *p, vmask m) { return _mm512_maskz_loadu_ps(m, p); }
PN_INLINE float v_hsum(vec v)
{
    __m256 lo = _mm512_castps512_ps256(v);
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    __m256 s = _mm256_add_ps(lo, hi);
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    return _mm_cvtss_f32(q);
}
#else
PN_INLINE vec v_zero(void) { return _mm256_setzero_ps(); }
PN_INLINE vec v_loadu(const float *p) { return _mm256_loadu_ps(p); }
PN_INLINE void v_storeu(float *p, vec v) { _mm256_storeu_ps(p, v); }
PN_INLINE vec v_bcast(const float *p) { return _mm256_broadcast_ss(p); }
PN_INLINE vec v_fma(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
PN_INLINE vec v_add(vec a, vec b) { return _mm256_add_ps(a, b); }
typedef __m256i vmask;
PN_INLINE vmask v_mask(size_t n)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n < VW ? n : VW)), lane);
}
PN_INLINE vec v_load_mask(const float *p, vmask m) { return _mm256_maskload_ps(p, m); }
PN_INLINE float v_hsum(vec v)
{
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    return _mm_cvtss_f32(q);
}
#endif

#define NV (NR / VW)

/* C[MR x NR] (+)= packed A sliver * B sliver over kc, where row k of the
 * B sliver is at b + k * ldb (ldb = NR when packed). Accumulators start at
 * zero and C is added once at the end, so C is never read when
 * overwriting (it may hold NaN). */
static void kernel(size_t kc, const float *restrict a, const float *restrict b, size_t ldb,
                   float *restrict c, size_t ldc, int accumulate)
{
    vec acc[MR][NV];
    for (int i = 0; i < MR; i++) {
        _mm_prefetch((const char *)(c + (size_t)i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + (size_t)i * ldc + NR - 1), _MM_HINT_T0);
        for (int v = 0; v < NV; v++)
            acc[i][v] = v_zero();
    }
    /* B read in place (ldb != NR) comes as one short row segment per k,
     * too short for the hardware prefetcher: fetch row k of the next
     * sliver while this one is in use (+10-30% on conv2 forward). A packed
     * sliver is one contiguous stream and needs no help (pb then just
     * touches the row being loaded). Prefetches never fault, so running
     * past the end of B is harmless. */
    const float *pb = b + (ldb == NR ? 0 : NR);
    /* kc >= 1 always; a do-while spares GCC a kc == 0 path, which made it
     * keep the accumulators in memory around the loop. */
    do {
        vec bv[NV];
        _mm_prefetch((const char *)pb, _MM_HINT_T0);
        _mm_prefetch((const char *)(pb + NR - 1), _MM_HINT_T0);
        pb += ldb;
        for (int v = 0; v < NV; v++)
            bv[v] = v_loadu(b + v * VW);
        for (int i = 0; i < MR; i++) {
            vec av = v_bcast(a + i);
            for (int v = 0; v < NV; v++)
                acc[i][v] = v_fma(av, bv[v], acc[i][v]);
        }
        a += MR;
        b += ldb;
    } while (--kc);
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++) {
            float *p = c + (size_t)i * ldc + v * VW;
            v_storeu(p, accumulate ? v_add(v_loadu(p), acc[i][v]) : acc[i][v]);
        }
}
#else
/* Portable micro-kernel: constant trip counts the compiler can unroll and
 * vectorize with whatever the baseline ISA offers. */
static void kernel(size_t kc, const float *restrict a, const float *restrict b, size_t ldb,
                   float *restrict c, size_t ldc, int accumulate)
{
    float acc[MR][NR] = { { 0 } };
    for (size_t k = 0; k < kc; k++) {
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
                acc[i][j] = madd(a[i], b[j], acc[i][j]);
        a += MR;
        b += ldb;
    }
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) {
            float *p = c + (size_t)i * ldc + j;
            *p = accumulate ? *p + acc[i][j] : acc[i][j];
        }
}
#endif

/* A possibly partial tile: full tiles go straight to C, edge tiles through
 * a local buffer so the kernel never writes outside C. */
static void tile(size_t kc, const float *a, const float *b, size_t ldb, float *c, size_t ldc,
                 size_t mr, size_t nr, int accumulate)
{
    if (mr == MR && nr == NR) {
        kernel(kc, a, b, ldb, c, ldc, accumulate);
        return;
    }
    _Alignas(64) float t[MR * NR];
    kernel(kc, a, b, ldb, t, NR, 0);
    for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < nr; j++) {
            float *p = c + i * ldc + j;
            *p = accumulate ? *p + t[i * NR + j] : t[i * NR + j];
        }
}

/* ---- packed path ------------------------------------------------------ */

/* Makes op(B)[pc.., jc..] ready for the micro-kernel. With direct_b
 * (B not transposed) full slivers are read in place and only a ragged last
 * sliver is packed: B is then streamed once from L3 while the FMAs run,
 * instead of in a separate copy pass that costs ~10% on conv2. */
static void prepare_b(const gemm_args *g, int direct_b, size_t jc, size_t nc, size_t pc, size_t kc)
{
    if (!direct_b) {
        pack_b_block(g, jc, nc, pc, kc, pack_b);
        return;
    }
    size_t full = nc / NR * NR;
    if (full < nc)
        pack_b_block(g, jc + full, nc - full, pc, kc, pack_b + full * kc);
}

static void packed_block(const gemm_args *g, const plan *p, size_t i0, size_t i1, size_t j0,
                         size_t j1)
{
    for (size_t jc = j0; jc < j1; jc += p->nc) {
        size_t nc = min_sz(p->nc, j1 - jc), full = nc / NR * NR;
        for (size_t pc = 0; pc < g->K; pc += p->kc) {
            size_t kc = min_sz(p->kc, g->K - pc);
            int accumulate = g->accumulate || pc > 0;
            prepare_b(g, p->direct_b, jc, nc, pc, kc);
            for (size_t ir = i0; ir < i1; ir += MR) {
                size_t mr = min_sz(MR, i1 - ir);
                pack_a_sliver(g, ir, mr, pc, kc, pack_a);
                for (size_t jr = 0; jr < nc; jr += NR) {
                    int in_place = p->direct_b && jr < full;
                    const float *b = in_place ? g->B + pc * g->ldb + jc + jr : pack_b + jr * kc;
                    tile(kc, pack_a, b, in_place ? g->ldb : NR, g->C + ir * g->ldc + jc + jr,
                         g->ldc, mr, min_sz(NR, nc - jr), accumulate);
                }
            }
        }
    }
}

/* ---- dot path (A * B^T) ----------------------------------------------- */

#if defined(PN_SIMD)
/* C[rm x rn] (+)= A rows . B rows over kc, vectorized along K, for
 * rm <= DR, rn <= DC. The register block is always DR x DC: rows past rm
 * (columns past rn) re-read the last valid one and their sums are dropped,
 * which keeps the loops constant so the accumulators stay in registers.
 * All loads are masked (the last one partially): this covers the K tail
 * without a second loop and, as a masked load cannot be folded into an FMA
 * operand, keeps the compiler from reloading B once per row of A. */
static void dot_tile(size_t rm, size_t rn, size_t kc, const float *a, size_t lda, const float *b,
                     size_t ldb, float *c, size_t ldc, int accumulate)
{
    const float *ap[DR], *bp[DC];
    for (size_t i = 0; i < DR; i++)
        ap[i] = a + (i < rm ? i : rm - 1) * lda;
    for (size_t j = 0; j < DC; j++)
        bp[j] = b + (j < rn ? j : rn - 1) * ldb;
    vec acc[DR][DC];
    for (int i = 0; i < DR; i++)
        for (int j = 0; j < DC; j++)
            acc[i][j] = v_zero();
    for (size_t k = 0; k < kc; k += VW) {
        vmask m = v_mask(kc - k);
        vec av[DR], bv[DC];
        for (int i = 0; i < DR; i++)
            av[i] = v_load_mask(ap[i] + k, m);
        for (int j = 0; j < DC; j++)
            bv[j] = v_load_mask(bp[j] + k, m);
        for (int i = 0; i < DR; i++)
            for (int j = 0; j < DC; j++)
                acc[i][j] = v_fma(av[i], bv[j], acc[i][j]);
    }
    /* Reduce with constant indices first: indexing acc by rm/rn would force
     * the whole accumulator array into memory on every iteration. */
    float sum[DR][DC];
    for (int i = 0; i < DR; i++)
        for (int j = 0; j < DC; j++)
            sum[i][j] = v_hsum(acc[i][j]);
    for (size_t i = 0; i < rm; i++)
        for (size_t j = 0; j < rn; j++) {
            float *p = c + i * ldc + j;
            *p = accumulate ? *p + sum[i][j] : sum[i][j];
        }
}

static void dot_block(const gemm_args *g, size_t i0, size_t i1, size_t j0, size_t j1)
{
    for (size_t pc = 0; pc < g->K; pc += DK) {
        size_t kc = min_sz(DK, g->K - pc);
        int accumulate = g->accumulate || pc > 0;
        for (size_t i = i0; i < i1; i += DR)
            for (size_t j = j0; j < j1; j += DC)
                dot_tile(min_sz(DR, i1 - i), min_sz(DC, j1 - j), kc, g->A + i * g->lda + pc,
                             g->lda, g->B + j * g->ldb + pc, g->ldb, g->C + i * g->ldc + j,
                             g->ldc, accumulate);
    }
}
#endif

/* ---- planning and dispatch ------------------------------------------- */

#if defined(PN_SIMD)
/* Fraction of a padded n that is real work when tiles are t wide. */
static double pad_eff(size_t n, size_t t) { return (double)n / (double)(ceil_div(n, t) * t); }
#endif

static plan make_plan(const gemm_args *g)
{
    plan p = { PATH_PACKED, 0, 0, MR, NR, 0 };
    size_t M = g->M, N = g->N, K = g->K;
    /* Equal K blocks no longer than KC_MAX: fewer passes over C than
     * KC_MAX-sized blocks with a short tail. Depends on K only. */
    size_t nkb = ceil_div(K, KC_MAX);
    p.kc = ceil_div(K, nkb ? nkb : 1);
    p.nc = PACK_B_FLOATS / p.kc / NR * NR;
    /* B is read in place when it needs no transpose and either K is small
     * or its rows are not spaced by a multiple of 2 KiB: then the KC_MAX
     * rows of a sliver spread over at least 128 of L2's 2048 sets and stay
     * cached across the A slivers, where a power-of-two stride would make
     * them evict each other. */
    p.direct_b = !g->tb && (K <= 32 || g->ldb % 512 != 0);
#if defined(PN_SIMD)
    /* A * B^T: the dot path needs no transposing pack, and pads thin M or
     * N to DR x DC instead of MR x NR; masked loads make any K work. */
    if (!g->ta && g->tb && (M * N * K <= SMALL_MNK || pad_eff(M, MR) * pad_eff(N, NR) < 0.6)) {
        p.path = PATH_DOT;
        p.am = DR;
        p.an = DC;
        return p;
    }
#endif
    if (M * N * K <= SMALL_MNK) {
        p.path = PATH_SMALL;
        p.am = p.an = 1;
    }
    return p;
}

static void run_block(const gemm_args *g, const plan *p, size_t i0, size_t i1, size_t j0, size_t j1)
{
    switch (p->path) {
    case PATH_SMALL:
        small_block(g, i0, i1, j0, j1);
        break;
#if defined(PN_SIMD)
    case PATH_DOT:
        dot_block(g, i0, i1, j0, j1);
        break;
#endif
    default:
        packed_block(g, p, i0, i1, j0, j1);
        break;
    }
}

/* Applies beta to C when it is neither 0 nor 1, so that the paths only
 * ever overwrite or add. Returns the effective accumulate flag; with K = 0
 * it also finishes the job. */
static int prepare_c(size_t M, size_t N, size_t K, float beta, float *C, size_t ldc)
{
    int accumulate = beta != 0;
    if (beta != 1 && (K == 0 || beta != 0))
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) {
                float *c = &C[i * ldc + j];
                *c = beta == 0 ? 0 : beta * *c;
            }
    return accumulate;
}

static gemm_args make_args(int ta, int tb, size_t M, size_t N, size_t K, const float *A, size_t lda,
                           const float *B, size_t ldb, float *C, size_t ldc, int accumulate)
{
    gemm_args g = { ta != 0, tb != 0, M, N, K, A, lda, B, ldb, C, ldc, accumulate };
    return g;
}

void pn_gemm(int ta, int tb, size_t M, size_t N, size_t K, const float *A, size_t lda,
             const float *B, size_t ldb, float beta, float *C, size_t ldc)
{
    if (M == 0 || N == 0)
        return;
    int accumulate = prepare_c(M, N, K, beta, C, ldc);
    if (K == 0)
        return;
    gemm_args g = make_args(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
    plan p = make_plan(&g);
    run_block(&g, &p, 0, M, 0, N);
}

/* ---- threading -------------------------------------------------------- */

/* Below this many multiply-adds, waking the pool costs more than it saves. */
#define PAR_MIN_MNK (1u << 18)
/* Packing one element costs about as much as this many multiply-adds. */
#define PACK_COST 4

typedef struct {
    const gemm_args *g;
    const plan *p;
    size_t gm, gn; /* tile grid */
    size_t um, un; /* C size in alignment units */
} par_job;

static void par_task(void *ctx, size_t t)
{
    const par_job *j = ctx;
    size_t tm = t / j->gn, tn = t % j->gn;
    /* Tile boundaries in alignment units, spread evenly. */
    size_t i0 = tm * j->um / j->gm * j->p->am, i1 = (tm + 1) * j->um / j->gm * j->p->am;
    size_t j0 = tn * j->un / j->gn * j->p->an, j1 = (tn + 1) * j->un / j->gn * j->p->an;
    run_block(j->g, j->p, i0, min_sz(i1, j->g->M), j0, min_sz(j1, j->g->N));
}

/* Estimated finishing time of a gm x gn grid: rounds of tiles per thread
 * times the largest tile's multiply-adds plus its packing. */
static size_t grid_cost(const par_job *j, size_t gm, size_t gn, size_t threads)
{
    size_t tm = ceil_div(j->um, gm) * j->p->am, tn = ceil_div(j->un, gn) * j->p->an;
    return ceil_div(gm * gn, threads) * (tm * tn + PACK_COST * (tm + tn)) * j->g->K;
}

/* Picks the grid with the lowest estimated time, except that among grids
 * within GRID_SLACK of it the one with the most tiles wins: with several
 * tiles per thread, a thread that loses its core to another process holds
 * up the others for one small tile instead of half the job. */
#define GRID_SLACK 1.03
static void choose_grid(par_job *j, size_t threads)
{
    size_t max_tiles = 4 * threads, gm_max = min_sz(j->um, max_tiles);
    size_t best = (size_t)-1;
    for (size_t gm = 1; gm <= gm_max; gm++)
        for (size_t gn = 1; gn <= min_sz(j->un, max_tiles / gm); gn++)
            if (gm * gn >= threads && grid_cost(j, gm, gn, threads) < best)
                best = grid_cost(j, gm, gn, threads);
    j->gm = j->gn = 1;
    for (size_t gm = 1; gm <= gm_max; gm++)
        for (size_t gn = 1; gn <= min_sz(j->un, max_tiles / gm); gn++)
            if (gm * gn >= threads && gm * gn > j->gm * j->gn &&
                (double)grid_cost(j, gm, gn, threads) <= GRID_SLACK * (double)best) {
                j->gm = gm;
                j->gn = gn;
            }
}

void pn_gemm_par(struct pn_pool *pool, int ta, int tb, size_t M, size_t N, size_t K,
                 const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
                 size_t ldc)
{
    size_t threads = pn_pool_size(pool);
    if (threads <= 1 || M * N * K < PAR_MIN_MNK) {
        pn_gemm(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    int accumulate = prepare_c(M, N, K, beta, C, ldc);
    if (K == 0)
        return;
    gemm_args g = make_args(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
    plan p = make_plan(&g);
    par_job j = { &g, &p, 1, 1, ceil_div(M, p.am), ceil_div(N, p.an) };
    choose_grid(&j, threads);
    if (j.gm * j.gn <= 1) {
        run_block(&g, &p, 0, M, 0, N);
        return;
    }
    pn_pool_run(pool, j.gm * j.gn, par_task, &j);
}

/* ---- reference and introspection ------------------------------------ */

void pn_gemm_ref(int ta, int tb, size_t M, size_t N, size_t K, const float *A, size_t lda,
                 const float *B, size_t ldb, float beta, float *C, size_t ldc)
{
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            double s = 0;
            for (size_t k = 0; k < K; k++) {
                double a = ta ? A[k * lda + i] : A[i * lda + k];
                double b = tb ? B[j * ldb + k] : B[k * ldb + j];
                s += a * b;
            }
            float *c = &C[i * ldc + j];
            *c = (float)(beta == 0 ? s : (double)beta * *c + s);
        }
}

const char *pn_gemm_kernel_name(void)
{
#if defined(PN_AVX512)
    return "avx512";
#elif defined(PN_AVX2)
    return "avx2+fma";
#else
    return "scalar";
#endif
}
