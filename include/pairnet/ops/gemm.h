/* Single-precision GEMM, row-major, in the three layouts that forward,
 * input-gradient and weight-gradient passes need:
 *
 *   C[M,N] = beta * C + op(A)[M,K] * op(B)[K,N]
 *   op(A) = A [M,K] (lda >= K)   or, with ta, A^T where A is [K,M] (lda >= M)
 *   op(B) = B [K,N] (ldb >= N)   or, with tb, B^T where B is [N,K] (ldb >= K)
 *
 * beta is 0 (overwrite; C may hold garbage, even NaN) or 1 (accumulate).
 * Every element of C is summed over K in the same order whatever the thread
 * count, so results are bit-identical for any pool size.
 * No allocation: packing buffers are fixed-size and per thread. */
#ifndef PAIRNET_GEMM_H
#define PAIRNET_GEMM_H

#include <stddef.h>

struct pn_pool;

void pn_gemm(int ta, int tb, size_t M, size_t N, size_t K,
             const float *A, size_t lda, const float *B, size_t ldb,
             float beta, float *C, size_t ldc);

/* The same, with C split into disjoint tiles across the pool's threads
 * (pool may be NULL: runs on the calling thread). */
void pn_gemm_par(struct pn_pool *pool, int ta, int tb, size_t M, size_t N, size_t K,
                 const float *A, size_t lda, const float *B, size_t ldb,
                 float beta, float *C, size_t ldc);

/* The im2col matrix of a k x k, stride-1, unpadded convolution over a
 * batch-inner input x [C, H, W, B], never written out: row r = (c, ki, kj),
 * column n = (oy, ox, b), X[r][n] = x[((c H + oy + ki) W + ox + kj) B + b].
 * A run of (W - k + 1) B columns of one row (one oy) is contiguous in x. */
typedef struct pn_im2col {
    const float *x;
    size_t C, H, W, B, k;
} pn_im2col;

/* pn_gemm_par with op(B) = X (tb = 0: C[M, N] = op(A) X, N = OH OW B) or
 * X^T (tb = 1: C[M, N] = op(A) X^T, N = C k k), the GEMM's packing reading
 * x directly. Same bits as pn_gemm_par on the materialized X. It computes
 * only products that take the packed path and returns 0 for the others,
 * doing nothing: the caller then materializes X and calls pn_gemm_par. */
int pn_gemm_im2col_par(struct pn_pool *pool, int ta, int tb, size_t M, size_t N, size_t K,
                       const float *A, size_t lda, const pn_im2col *x, float beta, float *C,
                       size_t ldc);

/* Plain triple loop, the reference the tests compare against. */
/* 1 when an A * B^T product (ta = 0, tb = 1) of this M x N takes the dot
 * path whatever K is: its summation order is then the 16-lane partial sums
 * over K chunks of 2048 (docs/numerics.md). */
int pn_gemm_thin(size_t M, size_t N);

void pn_gemm_ref(int ta, int tb, size_t M, size_t N, size_t K,
                 const float *A, size_t lda, const float *B, size_t ldb,
                 float beta, float *C, size_t ldc);

/* The kernel set in use (pn_kset_name, pairnet/ops/kset.h). */
const char *pn_gemm_kset_name(void);

#endif
