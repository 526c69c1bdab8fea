/* A first conv computed inside its fused block (the fusion pass decides,
 * src/graph/fuse.c): a conv whose input needs no gradient and whose
 * weights are few (cin k k <= PN_CONV_MAX_K), as a model's first conv is.
 * Channels go in blocks of PN_CONV_CB, so that each input vector loaded
 * feeds that many channels.
 *
 *  forward: a block's output rows are made just before the BatchNorm sums
 *    and the pool read them, so they are read back from L2 instead of from
 *    memory after a GEMM over every channel;
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

#define CB PN_CONV_CB

static size_t weights_of(const pn_bnpool_conv *v) { return v->cin * v->k * v->k; }

/* Channel j of a block of cb from c: the last one again past cb. */
static size_t block_channel(size_t c, size_t cb, size_t j) { return c + (j < cb ? j : cb - 1); }

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

void pn_bnpool_conv_channels(const pn_bnpool *p, size_t c, size_t cb)
{
    const pn_bnpool_conv *v = p->conv;
    const size_t K = weights_of(v), run = p->W * p->B;
    const float *src[PN_CONV_MAX_K], *w[CB];
    float *out[CB];
    for (size_t oy = 0; oy < p->H; oy++) {
        im2col_rows(p, oy, 0, src);
        for (size_t j = 0; j < CB; j++) {
            const size_t ch = block_channel(c, cb, j);
            w[j] = v->w + ch * K;
            out[j] = v->x + (ch * p->H + oy) * run;
        }
        pn_kset_cur->conv_rows4(src, w, K, out, run);
    }
}

/* A block's weight gradient in the making. */
typedef struct wgrad {
    const pn_bnpool *p;
    size_t K, run, N, cb; /* weights, positions per output row, positions, channels */
    size_t done;          /* positions added so far: a multiple of 16, or N */
    float *dw[CB];        /* each channel's K weights' gradient */
    float *acc[CB];       /* each channel's [K][16] lane sums (the last one again past cb) */
    float sums[CB][PN_CONV_MAX_K * PN_LANES];
} wgrad;

static void flush(wgrad *s)
{
    for (size_t j = 0; j < s->cb; j++)
        pn_kset_cur->wgrad_flush(s->acc[j], s->K, s->dw[j]);
}

/* The group of 16 positions from n that runs into the next output row, or
 * the last, partial one (dx holds zeros past N): its inputs gathered,
 * zeros past N, as the dot path's masked loads give. */
static void add_gathered(wgrad *s, const float *const *dx, size_t n)
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
    pn_kset_cur->wgrad_lanes4(dx, src, s->K, 1, s->acc);
}

/* Adds the positions [s->done, end), end a multiple of 16 or N, where dx
 * of position n of block channel j is at dx[j][n - base]. */
static void add_positions(wgrad *s, float *const *dx, size_t base, size_t end)
{
    size_t n = s->done;
    while (n < end) {
        const size_t r = n / s->run, row_end = (r + 1) * s->run, chunk_end = (n / DK + 1) * DK;
        size_t stop = row_end < chunk_end ? row_end : chunk_end;
        stop = stop < end ? stop : end;
        const float *d[CB];
        for (size_t j = 0; j < CB; j++)
            d[j] = dx[j] + (n - base);
        if (n + PN_LANES <= stop) { /* whole groups within one output row */
            const size_t ng = (stop - n) / PN_LANES;
            const float *src[PN_CONV_MAX_K];
            im2col_rows(s->p, r, n - r * s->run, src);
            pn_kset_cur->wgrad_lanes4(d, src, s->K, ng, s->acc);
            n += ng * PN_LANES;
        } else {
            add_gathered(s, d, n);
            n += PN_LANES;
        }
        if (n % DK == 0 || n >= s->N)
            flush(s);
    }
    s->done = n;
}

/* dx of output rows 2q and 2q + 1 of channel c into t */
static void pair_dx(const pn_bnpool *p, size_t c, size_t q, const float *o, const float *g,
                    const pn_bnpool_dx *d, float *t)
{
    const size_t B = p->B, OW = p->W / 2, OP = p->H / 2 * OW, run = p->W * B;
    const float *xc = p->x + c * p->H * run;
    for (size_t ox = 0; ox < OW; ox++) {
        const size_t at = (c * OP + q * OW + ox) * B;
        const float *x0 = xc + (2 * q * p->W + 2 * ox) * B, *x2 = x0 + run;
        float *d0 = t + 2 * ox * B, *d2 = d0 + run;
        pn_kset_cur->window_dx(x0, x0 + B, x2, x2 + B, d0, d0 + B, d2, d2 + B, p->arg + at,
                               o + at, g + at, d->mean, d->base, d->slope, d->kc, B);
    }
}

void pn_bnpool_conv_backward(const pn_bnpool *p, size_t c, size_t cb, const float *o,
                             const float *g, const pn_bnpool_dx *d)
{
    const pn_bnpool_conv *v = p->conv;
    const size_t run = p->W * p->B, pair = 2 * run;
    wgrad s = {.p = p, .K = weights_of(v), .run = run, .N = p->H * run, .cb = cb};
    memset(s.sums, 0, sizeof s.sums);
    float *t[CB]; /* a pair's dx at t[j], up to 15 positions of the pair before it in front */
    for (size_t j = 0; j < CB; j++) {
        const size_t ch = block_channel(c, cb, j), jj = ch - c;
        s.dw[j] = v->dw + ch * s.K;
        s.acc[j] = s.sums[jj];
        t[j] = v->rows + ch * (pair + 2 * PN_LANES) + PN_LANES;
    }
    for (size_t q = 0; q < p->H / 2; q++) {
        const size_t carry = q * pair - s.done, end = (q + 1) * pair;
        float *from[CB];
        for (size_t j = 0; j < cb; j++) {
            memmove(t[j] - carry, t[j] + pair - carry, carry * sizeof(float));
            pair_dx(p, c + j, q, o, g, &d[j], t[j]);
            if (end == s.N) /* zeros past the last position */
                memset(t[j] + pair, 0, PN_LANES * sizeof(float));
        }
        for (size_t j = 0; j < CB; j++)
            from[j] = t[j] - carry;
        add_positions(&s, from, q * pair - carry, end == s.N ? end : end / PN_LANES * PN_LANES);
    }
}
