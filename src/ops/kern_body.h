/* One kernel set (kern.h), written once and compiled once per ISA:
 * kern_<isa>.c defines exactly one of KB_AVX512, KB_AVX2, KB_NEON or
 * KB_SCALAR plus KB_TABLE (the set's name) and includes this file; the
 * Makefile gives each of those files its ISA's flags.
 *
 * Every set computes the same bits (docs/numerics.md):
 *  - each GEMM element is the same chain of fused multiply-adds in the same
 *    order whatever the micro-tile: for the packed and small paths one fma
 *    per k in order, per K block; for the dot path the 16-lane partial sums
 *    of the AVX-512 kernel (lane l takes k = l mod 16), reduced by its fixed
 *    tree. v16 below is that 16-lane vector: one zmm register, two ymm, four
 *    NEON q registers or 16 floats, with the same operations lane by lane.
 *  - the BatchNorm sums of the fused conv block are 16-lane float sums
 *    (v16 again) whose lanes go into a double in lane order;
 *  - everything else here is elementwise, so the vector width cannot
 *    change a bit (-ffp-contract=off: no compiler-made FMAs). */
#include "kern.h"
#include "pairnet/ops/gemm.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(KB_AVX512) || defined(KB_AVX2)
#include <immintrin.h>
#elif defined(KB_NEON)
#include <arm_neon.h>
#endif

#if defined(__GNUC__)
#define KB_INLINE static inline __attribute__((always_inline))
/* Out of line so that the restrict qualifiers survive: inlined, the
 * compiler gives up on the many alias checks and leaves the loops scalar. */
#define KB_NOINLINE __attribute__((noinline))
#else
#define KB_INLINE static inline
#define KB_NOINLINE
#endif

static inline size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

#if defined(KB_AVX512) || defined(KB_AVX2)
#define kb_prefetch(p) _mm_prefetch((const char *)(p), _MM_HINT_T0)
#elif defined(__GNUC__)
#define kb_prefetch(p) __builtin_prefetch(p)
#else
#define kb_prefetch(p) ((void)(p))
#endif

/* ==== the 16-lane vector ================================================ */

#if defined(KB_AVX512)
typedef __m512 v16;
KB_INLINE v16 z16(void) { return _mm512_setzero_ps(); }
KB_INLINE v16 set16(float x) { return _mm512_set1_ps(x); }
KB_INLINE v16 ld16(const float *p) { return _mm512_loadu_ps(p); }
/* min(n, 16) lanes from p, zeros in the rest; never reads past them. */
KB_INLINE v16 ldn16(const float *p, size_t n)
{
    const __mmask16 m = n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
    return _mm512_maskz_loadu_ps(m, p);
}
KB_INLINE void st16(float *p, v16 v) { _mm512_storeu_ps(p, v); }
KB_INLINE v16 add16(v16 a, v16 b) { return _mm512_add_ps(a, b); }
KB_INLINE v16 sub16(v16 a, v16 b) { return _mm512_sub_ps(a, b); }
KB_INLINE v16 mul16(v16 a, v16 b) { return _mm512_mul_ps(a, b); }
KB_INLINE v16 fma16(v16 a, v16 b, v16 c) { return _mm512_fmadd_ps(a, b, c); }
/* lanes where o > 0 take g, the others +0 */
KB_INLINE v16 keep_pos16(v16 o, v16 g)
{
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(o, _mm512_setzero_ps(), _CMP_GT_OQ), g);
}
/* The reduction tree: halves, quarters, then pairs, then the last two. */
KB_INLINE float hsum16(v16 v)
{
    __m256 lo = _mm512_castps512_ps256(v);
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    __m256 s = _mm256_add_ps(lo, hi);
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    return _mm_cvtss_f32(q);
}
#elif defined(KB_AVX2)
typedef struct { __m256 h[2]; } v16; /* lanes 0-7, 8-15 */
KB_INLINE v16 z16(void) { return (v16){{_mm256_setzero_ps(), _mm256_setzero_ps()}}; }
KB_INLINE v16 set16(float x) { return (v16){{_mm256_set1_ps(x), _mm256_set1_ps(x)}}; }
KB_INLINE v16 ld16(const float *p) { return (v16){{_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}}; }
KB_INLINE __m256i mask8(size_t n)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n < 8 ? n : 8)), lane);
}
KB_INLINE v16 ldn16(const float *p, size_t n)
{
    if (n >= 16)
        return ld16(p);
    return (v16){{_mm256_maskload_ps(p, mask8(n)), _mm256_maskload_ps(p + 8, mask8(n < 8 ? 0 : n - 8))}};
}
KB_INLINE void st16(float *p, v16 v)
{
    _mm256_storeu_ps(p, v.h[0]);
    _mm256_storeu_ps(p + 8, v.h[1]);
}
KB_INLINE v16 add16(v16 a, v16 b) { return (v16){{_mm256_add_ps(a.h[0], b.h[0]), _mm256_add_ps(a.h[1], b.h[1])}}; }
KB_INLINE v16 sub16(v16 a, v16 b) { return (v16){{_mm256_sub_ps(a.h[0], b.h[0]), _mm256_sub_ps(a.h[1], b.h[1])}}; }
KB_INLINE v16 mul16(v16 a, v16 b) { return (v16){{_mm256_mul_ps(a.h[0], b.h[0]), _mm256_mul_ps(a.h[1], b.h[1])}}; }
KB_INLINE v16 fma16(v16 a, v16 b, v16 c)
{
    return (v16){{_mm256_fmadd_ps(a.h[0], b.h[0], c.h[0]), _mm256_fmadd_ps(a.h[1], b.h[1], c.h[1])}};
}
KB_INLINE v16 keep_pos16(v16 o, v16 g)
{
    const __m256 z = _mm256_setzero_ps();
    return (v16){{_mm256_and_ps(_mm256_cmp_ps(o.h[0], z, _CMP_GT_OQ), g.h[0]),
                  _mm256_and_ps(_mm256_cmp_ps(o.h[1], z, _CMP_GT_OQ), g.h[1])}};
}
KB_INLINE float hsum16(v16 v)
{
    __m256 s = _mm256_add_ps(v.h[0], v.h[1]);
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    return _mm_cvtss_f32(q);
}
#elif defined(KB_NEON)
typedef struct { float32x4_t q[4]; } v16; /* lanes 0-3, 4-7, 8-11, 12-15 */
KB_INLINE v16 z16(void) { const float32x4_t z = vdupq_n_f32(0.0f); return (v16){{z, z, z, z}}; }
KB_INLINE v16 set16(float x) { const float32x4_t v = vdupq_n_f32(x); return (v16){{v, v, v, v}}; }
KB_INLINE v16 ld16(const float *p)
{
    return (v16){{vld1q_f32(p), vld1q_f32(p + 4), vld1q_f32(p + 8), vld1q_f32(p + 12)}};
}
KB_INLINE v16 ldn16(const float *p, size_t n)
{
    if (n >= 16)
        return ld16(p);
    float t[16] = {0};
    memcpy(t, p, n * sizeof *p);
    return ld16(t);
}
KB_INLINE void st16(float *p, v16 v)
{
    for (int i = 0; i < 4; i++)
        vst1q_f32(p + 4 * i, v.q[i]);
}
#define V16_BIN(name, op)                                                  \
    KB_INLINE v16 name(v16 a, v16 b)                                       \
    {                                                                      \
        return (v16){{op(a.q[0], b.q[0]), op(a.q[1], b.q[1]), op(a.q[2], b.q[2]), \
                      op(a.q[3], b.q[3])}};                                \
    }
V16_BIN(add16, vaddq_f32)
V16_BIN(sub16, vsubq_f32)
V16_BIN(mul16, vmulq_f32)
/* vfmaq_f32(c, a, b) = c + a * b, one rounding */
KB_INLINE v16 fma16(v16 a, v16 b, v16 c)
{
    return (v16){{vfmaq_f32(c.q[0], a.q[0], b.q[0]), vfmaq_f32(c.q[1], a.q[1], b.q[1]),
                  vfmaq_f32(c.q[2], a.q[2], b.q[2]), vfmaq_f32(c.q[3], a.q[3], b.q[3])}};
}
KB_INLINE v16 keep_pos16(v16 o, v16 g)
{
    const float32x4_t z = vdupq_n_f32(0.0f);
    v16 r;
    for (int i = 0; i < 4; i++)
        r.q[i] = vbslq_f32(vcgtq_f32(o.q[i], z), g.q[i], z);
    return r;
}
KB_INLINE float hsum16(v16 v)
{
    const float32x4_t s0 = vaddq_f32(v.q[0], v.q[2]), s1 = vaddq_f32(v.q[1], v.q[3]);
    const float32x4_t t = vaddq_f32(s0, s1);
    const float r0 = vgetq_lane_f32(t, 0) + vgetq_lane_f32(t, 2);
    const float r1 = vgetq_lane_f32(t, 1) + vgetq_lane_f32(t, 3);
    return r0 + r1;
}
#else
typedef struct { float f[16]; } v16;
KB_INLINE v16 z16(void) { return (v16){{0}}; }
KB_INLINE v16 set16(float x)
{
    v16 r;
    for (int i = 0; i < 16; i++)
        r.f[i] = x;
    return r;
}
KB_INLINE v16 ld16(const float *p)
{
    v16 r;
    memcpy(r.f, p, sizeof r.f);
    return r;
}
KB_INLINE v16 ldn16(const float *p, size_t n)
{
    v16 r = {{0}};
    memcpy(r.f, p, (n < 16 ? n : 16) * sizeof *p);
    return r;
}
KB_INLINE void st16(float *p, v16 v) { memcpy(p, v.f, sizeof v.f); }
#define V16_BIN(name, expr)                                                \
    KB_INLINE v16 name(v16 a, v16 b)                                       \
    {                                                                      \
        v16 r;                                                             \
        for (int i = 0; i < 16; i++)                                       \
            r.f[i] = expr;                                                 \
        return r;                                                          \
    }
V16_BIN(add16, a.f[i] + b.f[i])
V16_BIN(sub16, a.f[i] - b.f[i])
V16_BIN(mul16, a.f[i] * b.f[i])
KB_INLINE v16 fma16(v16 a, v16 b, v16 c)
{
    v16 r;
    for (int i = 0; i < 16; i++)
        r.f[i] = fmaf(a.f[i], b.f[i], c.f[i]);
    return r;
}
KB_INLINE v16 keep_pos16(v16 o, v16 g)
{
    v16 r;
    for (int i = 0; i < 16; i++)
        r.f[i] = o.f[i] > 0.0f ? g.f[i] : 0.0f;
    return r;
}
KB_INLINE float hsum16(v16 v)
{
    float s[8], q[4];
    for (int i = 0; i < 8; i++)
        s[i] = v.f[i] + v.f[i + 8];
    for (int i = 0; i < 4; i++)
        q[i] = s[i] + s[i + 4];
    return (q[0] + q[2]) + (q[1] + q[3]);
}
#endif

/* ==== GEMM: tiles ======================================================= */

/* Micro-tile MR x NR of the packed path, and the dot path's DR x DC. */
#if defined(KB_AVX512)
/* 8 x 32: 16 zmm accumulators, 2 B loads and 8 broadcasts per 16 FMAs.
 * M = 32, 64, 200, 288 of the layers are multiples of 8 (other tiles:
 * docs/performance.md). */
typedef __m512 vec;
#define VW 16
#define MR 8
#define NR 32
#define DR 8
#define DC 3
KB_INLINE vec v_zero(void) { return _mm512_setzero_ps(); }
KB_INLINE vec v_loadu(const float *p) { return _mm512_loadu_ps(p); }
KB_INLINE void v_storeu(float *p, vec v) { _mm512_storeu_ps(p, v); }
KB_INLINE vec v_bcast(const float *p) { return _mm512_set1_ps(*p); }
KB_INLINE vec v_fma(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
KB_INLINE vec v_add(vec a, vec b) { return _mm512_add_ps(a, b); }
#elif defined(KB_AVX2)
/* 6 x 16: 12 ymm accumulators + 2 B vectors + 1 broadcast of the 16
 * registers. (Not 4 x 24: GCC then folds the three B loads into the FMAs,
 * 16 loads per 12 FMAs, and the load ports saturate.) The dot block is 2 x
 * 3: each of its 16-lane accumulators is two ymm registers. */
typedef __m256 vec;
#define VW 8
#define MR 6
#define NR 16
#define DR 2
#define DC 3
KB_INLINE vec v_zero(void) { return _mm256_setzero_ps(); }
KB_INLINE vec v_loadu(const float *p) { return _mm256_loadu_ps(p); }
KB_INLINE void v_storeu(float *p, vec v) { _mm256_storeu_ps(p, v); }
KB_INLINE vec v_bcast(const float *p) { return _mm256_broadcast_ss(p); }
KB_INLINE vec v_fma(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
KB_INLINE vec v_add(vec a, vec b) { return _mm256_add_ps(a, b); }
#elif defined(KB_NEON)
/* 8 x 12: 24 of the 32 q registers accumulate, 3 hold B, A is broadcast
 * lane by lane. */
typedef float32x4_t vec;
#define VW 4
#define MR 8
#define NR 12
#define DR 2
#define DC 2
KB_INLINE vec v_zero(void) { return vdupq_n_f32(0.0f); }
KB_INLINE vec v_loadu(const float *p) { return vld1q_f32(p); }
KB_INLINE void v_storeu(float *p, vec v) { vst1q_f32(p, v); }
KB_INLINE vec v_bcast(const float *p) { return vld1q_dup_f32(p); }
KB_INLINE vec v_fma(vec a, vec b, vec c) { return vfmaq_f32(c, a, b); }
KB_INLINE vec v_add(vec a, vec b) { return vaddq_f32(a, b); }
#else
#define MR 4
#define NR 8
#define DR 1
#define DC 2
#endif

#if defined(VW)
#define KB_VEC 1
#define NV (NR / VW)
#endif

/* ==== GEMM: small path ================================================== */

static inline float a_at(const gemm_args *g, size_t i, size_t k)
{
    return g->ta ? g->A[k * g->lda + i] : g->A[i * g->lda + k];
}

/* Row by row, k by k, sweeping j innermost: contiguous in B for the
 * untransposed layouts, so the compiler vectorizes it, and still summing
 * each element over k in order from zero, one fma per k. */
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
                        acc[j] = fmaf(a, b[j * g->ldb], acc[j]);
                } else {
                    const float *b = g->B + k * g->ldb + jb;
                    for (size_t j = 0; j < nb; j++)
                        acc[j] = fmaf(a, b[j], acc[j]);
                }
            }
            float *c = g->C + i * g->ldc + jb;
            for (size_t j = 0; j < nb; j++)
                c[j] = g->accumulate ? c[j] + acc[j] : acc[j];
        }
}

#include "kern_body_pack.h"

/* ==== GEMM: micro-kernel ================================================ */

#if defined(KB_VEC)
/* C[MR x NR] (+)= packed A sliver * B sliver over kc, where row k of the
 * B sliver is at b + k * ldb (ldb = NR when packed), or at b + koff[k]
 * when koff is given (an implicit im2col B read in place). Accumulators
 * start at zero and C is added once at the end, so C is never read when
 * overwriting (it may hold NaN). Inlined into the two kernels below with
 * koff constant, so the plain one has no per-k test. */
KB_INLINE void kernel_body(size_t kc, const float *restrict a, const float *restrict b,
                           size_t ldb, const size_t *koff, float *restrict c, size_t ldc,
                           int accumulate)
{
    vec acc[MR][NV];
    for (int i = 0; i < MR; i++) {
        kb_prefetch(c + (size_t)i * ldc);
        kb_prefetch(c + (size_t)i * ldc + NR - 1);
        for (int v = 0; v < NV; v++)
            acc[i][v] = v_zero();
    }
    /* B read in place (ldb != NR) comes as one short row segment per k,
     * too short for the hardware prefetcher: fetch row k of the next
     * sliver while this one is in use. A packed sliver is one contiguous
     * stream and needs no help (pb then just touches the row being
     * loaded). Prefetches never fault, so running past the end of B is
     * harmless. */
    const float *pb = b + (ldb == NR ? 0 : NR);
    /* kc >= 1 always; a do-while spares GCC a kc == 0 path, which made it
     * keep the accumulators in memory around the loop. */
    do {
        vec bv[NV];
        const float *bk = b;
        if (koff) {
            bk = b + *koff++;
            pb = bk + NR;
        }
        kb_prefetch(pb);
        kb_prefetch(pb + NR - 1);
        pb += ldb;
        for (int v = 0; v < NV; v++)
            bv[v] = v_loadu(bk + v * VW);
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
/* Portable micro-kernel: constant trip counts the compiler can unroll. */
KB_INLINE void kernel_body(size_t kc, const float *restrict a, const float *restrict b,
                           size_t ldb, const size_t *koff, float *restrict c, size_t ldc,
                           int accumulate)
{
    float acc[MR][NR] = {{0}};
    for (size_t k = 0; k < kc; k++) {
        const float *bk = koff ? b + koff[k] : b + k * ldb;
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
                acc[i][j] = fmaf(a[i], bk[j], acc[i][j]);
        a += MR;
    }
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) {
            float *p = c + (size_t)i * ldc + j;
            *p = accumulate ? *p + acc[i][j] : acc[i][j];
        }
}
#endif

static void kernel(size_t kc, const float *restrict a, const float *restrict b, size_t ldb,
                   float *restrict c, size_t ldc, int accumulate)
{
    kernel_body(kc, a, b, ldb, NULL, c, ldc, accumulate);
}

static void kernel_rows(size_t kc, const float *restrict a, const float *restrict b,
                        const size_t *koff, float *restrict c, size_t ldc, int accumulate)
{
    kernel_body(kc, a, b, 0, koff, c, ldc, accumulate);
}

/* A possibly partial tile: full tiles go straight to C, edge tiles through
 * a local buffer so the kernel never writes outside C. With koff, B's rows
 * are at b + koff[k] (kernel_body). */
static void tile(size_t kc, const float *a, const float *b, size_t ldb, const size_t *koff,
                 float *c, size_t ldc, size_t mr, size_t nr, int accumulate)
{
    if (mr == MR && nr == NR) {
        if (koff)
            kernel_rows(kc, a, b, koff, c, ldc, accumulate);
        else
            kernel(kc, a, b, ldb, c, ldc, accumulate);
        return;
    }
    _Alignas(64) float t[MR * NR];
    if (koff)
        kernel_rows(kc, a, b, koff, t, NR, 0);
    else
        kernel(kc, a, b, ldb, t, NR, 0);
    for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < nr; j++) {
            float *p = c + i * ldc + j;
            *p = accumulate ? *p + t[i * NR + j] : t[i * NR + j];
        }
}

/* ==== GEMM: packed path ================================================= */

/* N block: as many NR-wide slivers of kc rows as fit the B buffer. */
static size_t n_block(size_t kc) { return PACK_B_FLOATS / kc / NR * NR; }

/* Makes op(B)[pc.., jc..] ready for the micro-kernel. With direct_b
 * (B not transposed) full slivers are read in place and only a ragged last
 * sliver is packed: B is then streamed once from L3 while the FMAs run,
 * instead of in a separate copy pass. An implicit im2col B is packed
 * straight from the activations, except for the slivers read in place. */
static void prepare_b(const gemm_args *g, int direct_b, size_t jc, size_t nc, size_t pc, size_t kc)
{
    if (g->im) {
        pack_im_block(g, direct_b, jc, nc, pc, kc, pn_pack_b);
        return;
    }
    if (!direct_b) {
        pack_b_block(g, jc, nc, pc, kc, pn_pack_b);
        return;
    }
    size_t full = nc / NR * NR;
    if (full < nc)
        pack_b_block(g, jc + full, nc - full, pc, kc, pn_pack_b + full * kc);
}

/* Where the micro-kernel finds B's sliver jr of the block (jc, pc): in
 * place (*ldb = g->ldb; with an implicit B *ldb = 0 and the rows at
 * koff[k] from the pointer returned) or packed (*ldb = NR). */
static const float *b_sliver(const gemm_args *g, const plan *p, size_t jc, size_t nc, size_t jr,
                             size_t pc, size_t kc, size_t *ldb)
{
    if (p->direct_b && jr + NR <= nc) {
        if (!g->im) {
            *ldb = g->ldb;
            return g->B + pc * g->ldb + jc + jr;
        }
        if (im_in_run(g->im, jc + jr, NR)) {
            *ldb = 0;
            return g->im->x + im_col(g->im, jc + jr);
        }
    }
    *ldb = NR;
    return pn_pack_b + jr * kc;
}

static void packed_block(const gemm_args *g, const plan *p, size_t i0, size_t i1, size_t j0,
                         size_t j1)
{
    const size_t ncb = n_block(p->kc);
    size_t koff[KC_MAX]; /* an implicit B's row offsets in the K block */
    for (size_t jc = j0; jc < j1; jc += ncb) {
        size_t nc = min_sz(ncb, j1 - jc);
        for (size_t pc = 0; pc < g->K; pc += p->kc) {
            size_t kc = min_sz(p->kc, g->K - pc);
            int accumulate = g->accumulate || pc > 0;
            prepare_b(g, p->direct_b, jc, nc, pc, kc);
            if (g->im && p->direct_b)
                for (size_t k = 0; k < kc; k++)
                    koff[k] = im_row(g->im, pc + k);
            for (size_t ir = i0; ir < i1; ir += MR) {
                size_t mr = min_sz(MR, i1 - ir);
                pack_a_sliver(g, ir, mr, pc, kc, pn_pack_a);
                for (size_t jr = 0; jr < nc; jr += NR) {
                    size_t ldb;
                    const float *b = b_sliver(g, p, jc, nc, jr, pc, kc, &ldb);
                    tile(kc, pn_pack_a, b, ldb, ldb ? NULL : koff, g->C + ir * g->ldc + jc + jr,
                         g->ldc, mr, min_sz(NR, nc - jr), accumulate);
                }
            }
        }
    }
}

/* ==== GEMM: dot path (A * B^T) ========================================== */

/* C[rm x rn] (+)= A rows . B rows over kc, in 16-lane partial sums along
 * K, for rm <= DR, rn <= DC. The register block is always DR x DC: rows
 * past rm (columns past rn) re-read the last valid one and their sums are
 * dropped, which keeps the loops constant so the accumulators stay in
 * registers. The last step loads only the lanes left (zeros in the rest,
 * whose fma then adds 0 to those lanes, as on every set). */
static void dot_tile(size_t rm, size_t rn, size_t kc, const float *a, size_t lda, const float *b,
                     size_t ldb, float *c, size_t ldc, int accumulate)
{
    const float *ap[DR], *bp[DC];
    for (size_t i = 0; i < DR; i++)
        ap[i] = a + (i < rm ? i : rm - 1) * lda;
    for (size_t j = 0; j < DC; j++)
        bp[j] = b + (j < rn ? j : rn - 1) * ldb;
    v16 acc[DR][DC];
    for (int i = 0; i < DR; i++)
        for (int j = 0; j < DC; j++)
            acc[i][j] = z16();
    for (size_t k = 0; k < kc; k += 16) {
        /* AVX-512 loads every step masked: a masked load cannot be folded
         * into an FMA operand, which keeps the compiler from reloading B
         * once per row of A. */
        const size_t n = kc - k;
        v16 av[DR], bv[DC];
        for (int i = 0; i < DR; i++)
            av[i] = ldn16(ap[i] + k, n);
        for (int j = 0; j < DC; j++)
            bv[j] = ldn16(bp[j] + k, n);
        for (int i = 0; i < DR; i++)
            for (int j = 0; j < DC; j++)
                acc[i][j] = fma16(av[i], bv[j], acc[i][j]);
    }
    /* Reduce with constant indices first: indexing acc by rm/rn would force
     * the whole accumulator array into memory on every iteration. */
    float sum[DR][DC];
    for (int i = 0; i < DR; i++)
        for (int j = 0; j < DC; j++)
            sum[i][j] = hsum16(acc[i][j]);
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
                         g->lda, g->B + j * g->ldb + pc, g->ldb, g->C + i * g->ldc + j, g->ldc,
                         accumulate);
    }
}

#include "kern_body_bn.h"

/* ==== the set =========================================================== */

const pn_kern KB_TABLE = {
    .name = KB_NAME,
    .mr = MR,
    .nr = NR,
    .dr = DR,
    .dc = DC,
    .gemm_small = small_block,
    .gemm_packed = packed_block,
    .gemm_dot = dot_block,
    .row_sum = row_sum,
    .row_sq_dev = row_sq_dev,
    .window_arg = window_arg,
    .window_eval = window_eval,
    .window_sums = window_sums,
    .window_dx = window_dx,
};
