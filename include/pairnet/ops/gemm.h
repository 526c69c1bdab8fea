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

/* Plain triple loop, the reference the tests compare against. */
void pn_gemm_ref(int ta, int tb, size_t M, size_t N, size_t K,
                 const float *A, size_t lda, const float *B, size_t ldb,
                 float beta, float *C, size_t ldc);

/* The kernel set in use (pn_kernel_name, pairnet/ops/kernel.h). */
const char *pn_gemm_kernel_name(void);

#endif
