/* A first conv computed inside its fused block (the fusion pass decides,
 * src/graph/fuse.c): a conv whose input needs no gradient and whose
 * weights are few (cin k k <= PN_CONV_MAX_K), as a model's first conv is.
 *
 *  forward: each channel's output rows are made just before the BatchNorm
 *    sums and the pool read them, so they are read back from L2 instead of
 *    from memory after a GEMM over every channel;
 *  backward: dx is made two rows at a time into a small per-channel buffer
 *    that stays in L1, and the weight gradient takes it from there: the
 *    conv's output gradient (as large as its output) is never written, and
 *    no im2col is written for the weight gradient.
 *
 * Same bits as the conv op followed by the block: an output element is
 * the GEMM's chain (from zero, one fma per k in order: K is one K block),
 * and a weight gradient element is the dot path's (16 lanes over the
 * positions, lane l taking those = l mod 16 of each K chunk of DK, the
 * lanes reduced by the set's tree and added into dw at each chunk's end;
 * the last partial group with zeros in the missing lanes). */
#include <string.h>

#include "kset_table.h"
#include "pairnet/ops/kernels.h"

static size_t weights_of(const pn_bnpool_conv *v) { return v->cin * v->k * v->k; }

/* The K rows of the conv's implicit im2col at output row oy, from column
 * offset off within the row: src[k] = the input at (ci, oy + ki, kj) + off,
 * k = (ci, ki, kj) as the weights are laid out. */
static void im2col_rows(const pn_bnpool *p, size_t oy, size_t off, const float **src)
{
    const pn_bnpool_conv *v = p->conv;
    const size_t k = v->k, B = p->B;
    size_t r = 0;
    for (size_t ci = 0; ci < v->cin; ci++)
        for (size_t ki = 0; ki < k; ki++)
            for (size_t kj = 0; kj < k; kj++)
                src[r++] = v->in + ((ci * v->ih + oy + ki) * v->iw + kj) * B + off;
}

void pn_bnpool_conv_channel(const pn_bnpool *p, size_t c)
{
    const pn_bnpool_conv *v = p->conv;
    const size_t K = weights_of(v), run = p->W * p->B;
    const float *src[PN_CONV_MAX_K];
    for (size_t oy = 0; oy < p->H; oy++) {
        im2col_rows(p, oy, 0, src);
        pn_kset_cur->conv_row(src, v->w + c * K, K, v->x + (c * p->H + oy) * run, run);
    }
}

/* One channel's weight gradient in the making. */
typedef struct wgrad {
    const pn_bnpool *p;
    size_t K, run, N; /* weights, positions per output row, positions */
    size_t done;      /* positions added so far: a multiple of 16, or N */
    float *dw;        /* the channel's K weights' gradient */
    float acc[PN_CONV_MAX_K * PN_LANES];
} wgrad;

/* The group of 16 positions from n that runs into the next output row, or
 * the last, partial one (dx holds zeros past N): its inputs gathered,
 * zeros past N, as the dot path's masked loads give. */
static void add_gathered(wgrad *s, const float *dx, size_t n)
{
    float x[PN_CONV_MAX_K][PN_LANES];
    const float *src[PN_CONV_MAX_K], *row[PN_CONV_MAX_K];
    for (size_t k = 0; k < s->K; k++)
        src[k] = x[k];
    for (size_t l = 0; l < PN_LANES; l++) {
        const size_t at = n + l;
        if (at < s->N)
            im2col_rows(s->p, at / s->run, at % s->run, row);
        for (size_t k = 0; k < s->K; k++)
            x[k][l] = at < s->N ? *row[k] : 0.0f;
    }
    pn_kset_cur->wgrad_lanes(dx, src, s->K, 1, s->acc);
}

/* Adds the positions [s->done, end), end a multiple of 16 or N, where dx
 * of position n is at dx[n - base]. */
static void add_positions(wgrad *s, const float *dx, size_t base, size_t end)
{
    const pn_kset *ks = pn_kset_cur;
    size_t n = s->done;
    while (n < end) {
        const size_t r = n / s->run, row_end = (r + 1) * s->run, chunk_end = (n / DK + 1) * DK;
        size_t stop = row_end < chunk_end ? row_end : chunk_end;
        stop = stop < end ? stop : end;
        if (n + PN_LANES <= stop) { /* whole groups within one output row */
            const size_t ng = (stop - n) / PN_LANES;
            const float *src[PN_CONV_MAX_K];
            im2col_rows(s->p, r, n - r * s->run, src);
            ks->wgrad_lanes(dx + (n - base), src, s->K, ng, s->acc);
            n += ng * PN_LANES;
        } else {
            add_gathered(s, dx + (n - base), n);
            n += PN_LANES;
        }
        if (n % DK == 0 || n >= s->N)
            ks->wgrad_flush(s->acc, s->K, s->dw);
    }
    s->done = n;
}

void pn_bnpool_conv_backward(const pn_bnpool *p, size_t c, const float *o, const float *g,
                             const pn_bnpool_dx *d)
{
    const pn_kset *ks = pn_kset_cur;
    const pn_bnpool_conv *v = p->conv;
    const size_t B = p->B, OW = p->W / 2, OP = p->H / 2 * OW, run = p->W * B, pair = 2 * run;
    wgrad s = {.p = p, .K = weights_of(v), .run = run, .N = p->H * run};
    s.dw = v->dw + c * s.K;
    memset(s.acc, 0, sizeof s.acc);
    /* the pair's dx at t, up to 15 positions of the pair before it in front */
    float *t = v->rows + c * (pair + 2 * PN_LANES) + PN_LANES;
    const float *xc = p->x + c * s.N;
    for (size_t q = 0; q < p->H / 2; q++) {
        const size_t carry = q * pair - s.done, end = (q + 1) * pair;
        memmove(t - carry, t + pair - carry, carry * sizeof *t);
        for (size_t ox = 0; ox < OW; ox++) {
            const size_t at = (c * OP + q * OW + ox) * B;
            const float *x0 = xc + (2 * q * p->W + 2 * ox) * B, *x2 = x0 + run;
            float *d0 = t + 2 * ox * B, *d2 = d0 + run;
            ks->window_dx(x0, x0 + B, x2, x2 + B, d0, d0 + B, d2, d2 + B, p->arg + at, o + at,
                          g + at, d->mean, d->base, d->slope, d->kc, B);
        }
        if (end == s.N)
            memset(t + pair, 0, PN_LANES * sizeof *t);
        add_positions(&s, t - carry, q * pair - carry, end == s.N ? end : end / PN_LANES * PN_LANES);
    }
}
