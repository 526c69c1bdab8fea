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
#include "kset_table.h"
#include "pairnet/ops/kset.h"
#include "pairnet/ops/gemm.h"
#include "pairnet/base/pool.h"

#include <string.h>

/* ---- planning and dispatch ------------------------------------------- */

static inline size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }
static inline size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

/* Fraction of a padded n that is real work when tiles are t wide. */
static double pad_eff(size_t n, size_t t) { return (double)n / (double)(ceil_div(n, t) * t); }

/* The path decides the summation order, so it is chosen alike for every
 * kernel set: by the AVX-512 set's 8 x 32 micro-tile, whatever tile the
 * running set has (PLAN_MR x PLAN_NR). */
#define PLAN_MR 8
#define PLAN_NR 32

int pn_gemm_thin(size_t M, size_t N) { return pad_eff(M, PLAN_MR) * pad_eff(N, PLAN_NR) < 0.6; }

static plan make_plan(const gemm_args *g, const pn_kset *k)
{
    plan p = { PATH_PACKED, 0, k->mr, k->nr, 0 };
    size_t M = g->M, N = g->N, K = g->K;
    /* Equal K blocks no longer than KC_MAX: fewer passes over C than
     * KC_MAX-sized blocks with a short tail. Depends on K only. */
    size_t nkb = ceil_div(K, KC_MAX);
    p.kc = ceil_div(K, nkb ? nkb : 1);
    /* B is read in place when it needs no transpose and either K is small
     * or its rows are not spaced by a multiple of 2 KiB: then the KC_MAX
     * rows of a sliver spread over at least 128 of L2's 2048 sets and stay
     * cached across the A slivers, where a power-of-two stride would make
     * them evict each other. */
    p.direct_b = !g->tb && (K <= 32 || g->ldb % 512 != 0);
    /* An implicit im2col B is read in place wherever a sliver lies in one
     * contiguous run of the activations (its rows are spread anyway). */
    if (g->im)
        p.direct_b = !g->tb;
    /* A * B^T: the dot path needs no transposing pack, and pads thin M or
     * N to a small register block instead of the micro-tile; masked loads
     * make any K work. */
    if (!g->ta && g->tb &&
        (M * N * K <= SMALL_MNK || pn_gemm_thin(M, N))) {
        p.path = PATH_DOT;
        p.am = k->dr;
        p.an = k->dc;
        return p;
    }
    if (M * N * K <= SMALL_MNK) {
        p.path = PATH_SMALL;
        p.am = p.an = 1;
    }
    return p;
}

static void run_block(const gemm_args *g, const plan *p, const pn_kset *k, size_t i0, size_t i1,
                      size_t j0, size_t j1)
{
    switch (p->path) {
    case PATH_SMALL:
        k->gemm_small(g, i0, i1, j0, j1);
        break;
    case PATH_DOT:
        k->gemm_dot(g, i0, i1, j0, j1);
        break;
    default:
        k->gemm_packed(g, p, i0, i1, j0, j1);
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
    gemm_args g = { ta != 0, tb != 0, M, N, K, A, lda, B, ldb, C, ldc, accumulate, NULL };
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
    const pn_kset *k = pn_kset_cur;
    plan p = make_plan(&g, k);
    run_block(&g, &p, k, 0, M, 0, N);
}

/* ---- threading -------------------------------------------------------- */

/* Below this many multiply-adds, waking the pool costs more than it saves. */
#define PAR_MIN_MNK (1u << 18)
/* Packing one element costs about as much as this many multiply-adds. */
#define PACK_COST 4

typedef struct {
    const gemm_args *g;
    const plan *p;
    const pn_kset *k;
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
    run_block(j->g, j->p, j->k, i0, min_sz(i1, j->g->M), j0, min_sz(j1, j->g->N));
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

/* The product g on the pool's threads, C split into disjoint tiles. */
static void gemm_run(struct pn_pool *pool, const gemm_args *g, const plan *p)
{
    const pn_kset *k = pn_kset_cur;
    size_t threads = pn_pool_size(pool);
    par_job j = { g, p, k, 1, 1, ceil_div(g->M, p->am), ceil_div(g->N, p->an) };
    if (threads > 1 && g->M * g->N * g->K >= PAR_MIN_MNK)
        choose_grid(&j, threads);
    if (j.gm * j.gn <= 1) {
        run_block(g, p, k, 0, g->M, 0, g->N);
        return;
    }
    pn_pool_run(pool, j.gm * j.gn, par_task, &j);
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
    plan p = make_plan(&g, pn_kset_cur);
    gemm_run(pool, &g, &p);
}

int pn_gemm_im2col_par(struct pn_pool *pool, int ta, int tb, size_t M, size_t N, size_t K,
                       const float *A, size_t lda, const pn_im2col *x, float beta, float *C,
                       size_t ldc)
{
    if (M == 0 || N == 0 || K == 0)
        return 0;
    gemm_args g = make_args(ta, tb, M, N, K, A, lda, NULL, 0, C, ldc, beta != 0);
    g.im = x;
    plan p = make_plan(&g, pn_kset_cur);
    /* the plan is the one the materialized X would get (it depends on the
     * shape only), so the summation order is too */
    if (p.path != PATH_PACKED)
        return 0;
    g.accumulate = prepare_c(M, N, K, beta, C, ldc);
    gemm_run(pool, &g, &p);
    return 1;
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

const char *pn_gemm_kset_name(void) { return pn_kset_name(); }
