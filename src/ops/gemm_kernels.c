/* The GEMM's blocks: the small path, packing, the register-blocked
 * micro-kernel, the packed path and the dot path (the plan that picks one
 * and the split over threads are in gemm.c; the top of gemm.c says how
 * the paths sum). */
#include "gemm_impl.h"

#include <string.h>


/* Packing buffers: per thread, fixed size, never malloc'd. */
_Alignas(64) static _Thread_local float pack_a[MR * KC_MAX];
_Alignas(64) static _Thread_local float pack_b[PACK_B_FLOATS];

/* ---- small path ------------------------------------------------------- */

/* Row by row, k by k, sweeping j innermost: contiguous in B for the
 * untransposed layouts, so the compiler vectorizes it, and still summing
 * each element over k in order from zero. */
#define SMALL_NB 64
void pn_gemm_small_block(const gemm_args *g, size_t i0, size_t i1, size_t j0, size_t j1)
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
     * sliver while this one is in use. A packed
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
 * instead of in a separate copy pass. */
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

void pn_gemm_packed_block(const gemm_args *g, const plan *p, size_t i0, size_t i1, size_t j0,
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

void pn_gemm_dot_block(const gemm_args *g, size_t i0, size_t i1, size_t j0, size_t j1)
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
