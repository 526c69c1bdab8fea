/* Part of kern_body.h, the body of one kernel set: packing the GEMM's
 * operands into the slivers the micro-kernel reads (copies and transposes
 * only: no arithmetic, so no summation order). Included by kern_body.h
 * only, after its tile definitions. */
/* ==== GEMM: packing ===================================================== */

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

#if defined(KB_AVX512) || defined(KB_AVX2)
#define KB_TRANSPOSE 1
/* 8 rows x 8 k, the source rows loaded in r0..r7, into 8 k x 8 rows of dst
 * (stride R). */
KB_INLINE void transpose8x8_regs(float *dst, size_t R, __m256 r0, __m256 r1, __m256 r2, __m256 r3,
                                 __m256 r4, __m256 r5, __m256 r6, __m256 r7)
{
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

/* 8 rows x 8 k of the source into 8 k x 8 rows of dst (stride R). */
static void transpose8x8(float *dst, size_t R, const float *src, size_t ld)
{
    transpose8x8_regs(dst, R, _mm256_loadu_ps(src), _mm256_loadu_ps(src + ld),
                      _mm256_loadu_ps(src + 2 * ld), _mm256_loadu_ps(src + 3 * ld),
                      _mm256_loadu_ps(src + 4 * ld), _mm256_loadu_ps(src + 5 * ld),
                      _mm256_loadu_ps(src + 6 * ld), _mm256_loadu_ps(src + 7 * ld));
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
#if defined(KB_TRANSPOSE)
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


/* ==== GEMM: packing from an implicit im2col matrix ====================== */

/* X[r][n] = x[im_row(r) + im_col(n)] (pairnet/ops/gemm.h): the offset of
 * row r = (c, ki, kj) and of column n = (oy, ox, b) in the activations. */
static size_t im_row(const pn_im2col *im, size_t r)
{
    const size_t k = im->k, c = r / (k * k), ki = r / k % k, kj = r % k;
    return ((c * im->H + ki) * im->W + kj) * im->B;
}

static size_t im_run(const pn_im2col *im) { return (im->W - im->k + 1) * im->B; }

static size_t im_col(const pn_im2col *im, size_t n)
{
    const size_t run = im_run(im);
    return n / run * im->W * im->B + n % run;
}

/* Whether columns [n, n + len) lie in one contiguous run of x. */
static int im_in_run(const pn_im2col *im, size_t n, size_t len)
{
    return n % im_run(im) + len <= im_run(im);
}

#if defined(KB_TRANSPOSE)
/* transpose8x8 with each of the 8 source rows at its own address */
static void transpose8x8_rows(float *dst, size_t R, const float *const *src, size_t k)
{
    transpose8x8_regs(dst, R, _mm256_loadu_ps(src[0] + k), _mm256_loadu_ps(src[1] + k),
                      _mm256_loadu_ps(src[2] + k), _mm256_loadu_ps(src[3] + k),
                      _mm256_loadu_ps(src[4] + k), _mm256_loadu_ps(src[5] + k),
                      _mm256_loadu_ps(src[6] + k), _mm256_loadu_ps(src[7] + k));
}
#endif

/* X^T[p0 .. p0+kc, r0 .. r0+valid] into one NR-wide sliver (rows r of X
 * become its columns): along k the rows are contiguous within a run, so the
 * sliver is transposed run segment by run segment. */
static void pack_im_transpose(float *dst, const pn_im2col *im, size_t r0, size_t valid, size_t p0,
                              size_t kc)
{
    const float *row[NR];
    for (size_t r = 0; r < valid; r++)
        row[r] = im->x + im_row(im, r0 + r);
    for (size_t k0 = 0; k0 < kc;) {
        const size_t n0 = p0 + k0, run = im_run(im);
        const size_t seg = min_sz(kc - k0, run - n0 % run), off = im_col(im, n0);
        const float *src[NR];
        for (size_t r = 0; r < valid; r++)
            src[r] = row[r] + off;
        float *d = dst + k0 * NR;
        size_t r = 0;
#if defined(KB_TRANSPOSE)
        const size_t k8 = seg & ~(size_t)7;
        for (; r + 8 <= valid; r += 8)
            for (size_t k = 0; k < k8; k += 8)
                transpose8x8_rows(d + k * NR + r, NR, src + r, k);
        for (size_t k = k8; k < seg; k++)
            for (size_t q = 0; q < r; q++)
                d[k * NR + q] = src[q][k];
#endif
        for (size_t k = 0; k < seg; k++)
            for (size_t q = r; q < valid; q++)
                d[k * NR + q] = src[q][k];
        for (size_t k = 0; k < seg && valid < NR; k++)
            memset(d + k * NR + valid, 0, (NR - valid) * sizeof *d);
        k0 += seg;
    }
}

/* X[p0 .. p0+kc, j0 .. j0+valid] into one NR-wide sliver: a plain gather,
 * used only for the slivers that straddle two runs or the ragged end. */
static void pack_im_copy(float *dst, const pn_im2col *im, size_t j0, size_t valid, size_t p0,
                         size_t kc)
{
    size_t col[NR];
    for (size_t j = 0; j < valid; j++)
        col[j] = im_col(im, j0 + j);
    for (size_t k = 0; k < kc; k++) {
        const float *row = im->x + im_row(im, p0 + k);
        for (size_t j = 0; j < NR; j++)
            dst[k * NR + j] = j < valid ? row[col[j]] : 0.0f;
    }
}

/* op(X)[p0 .. p0+kc, j0 .. j0+nc] into NR-wide slivers; with in_place (X
 * not transposed) the slivers the micro-kernel reads from x are skipped. */
static void pack_im_block(const gemm_args *g, int in_place, size_t j0, size_t nc, size_t p0,
                          size_t kc, float *dst)
{
    for (size_t s = 0; s < nc; s += NR) {
        size_t valid = min_sz(NR, nc - s);
        float *d = dst + s * kc;
        if (g->tb)
            pack_im_transpose(d, g->im, j0 + s, valid, p0, kc);
        else if (!(in_place && valid == NR && im_in_run(g->im, j0 + s, NR)))
            pack_im_copy(d, g->im, j0 + s, valid, p0, kc);
    }
}
