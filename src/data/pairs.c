#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/data/pairs.h"

int pn_pairs_alloc(pn_pairs *p, size_t n)
{
    memset(p, 0, sizeof *p);
    p->x = malloc((n ? n : 1) * 2 * PN_PIXELS * sizeof *p->x);
    p->digit = malloc(2 * n + 1);
    p->target = malloc(n + 1);
    p->index = malloc((2 * n + 1) * sizeof *p->index);
    if (!p->x || !p->digit || !p->target || !p->index) {
        pn_pairs_free(p);
        return -1;
    }
    p->n = n;
    return 0;
}

void pn_pairs_copy(pn_pairs *dst, const pn_pairs *src)
{
    memcpy(dst->x, src->x, src->n * 2 * PN_PIXELS * sizeof *dst->x);
    memcpy(dst->digit, src->digit, 2 * src->n);
    memcpy(dst->target, src->target, src->n);
    memcpy(dst->index, src->index, 2 * src->n * sizeof *dst->index);
    dst->n = src->n;
}

void pn_pairs_set_image(pn_pairs *p, size_t slot, const uint16_t *q)
{
    float *x = p->x + slot * PN_PIXELS;
    for (size_t i = 0; i < PN_PIXELS; i++)
        x[i] = 0.25f * (float)q[i];
}

int pn_pairs_draw(const pn_digits *set, size_t n, pn_rng *rng, pn_pairs *out, pn_err *err)
{
    memset(out, 0, sizeof *out);
    if (n == 0 || 2 * n > set->n)
        return pn_fail(err, PN_ERR_USAGE, "cannot draw %zu pairs from %zu digits", n, set->n);
    size_t *perm = malloc(set->n * sizeof *perm);
    if (!perm || pn_pairs_alloc(out, n) != 0) {
        free(perm);
        pn_pairs_free(out);
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory drawing %zu pairs", n);
    }
    for (size_t i = 0; i < set->n; i++)
        perm[i] = i;
    /* Only the first 2n entries of the permutation are used, and a partial
     * Fisher-Yates gives them exactly the distribution of a full one. */
    pn_rng_shuffle(rng, perm, set->n, 2 * n);
    for (size_t i = 0; i < 2 * n; i++) {
        pn_pairs_set_image(out, i, set->quarters + perm[i] * PN_PIXELS);
        out->digit[i] = set->labels[perm[i]];
        out->index[i] = perm[i];
    }
    for (size_t i = 0; i < n; i++)
        out->target[i] = out->digit[2 * i] <= out->digit[2 * i + 1];
    free(perm);
    return PN_OK;
}

void pn_pairs_free(pn_pairs *p)
{
    free(p->x);
    free(p->digit);
    free(p->target);
    free(p->index);
    memset(p, 0, sizeof *p);
}

void pn_pairs_stats(const pn_pairs *p, double *mean, double *std)
{
    const size_t m = p->n * 2 * PN_PIXELS;
    double s = 0.0, ss = 0.0;
    for (size_t i = 0; i < m; i++)
        s += p->x[i];
    const double mu = s / (double)m;
    for (size_t i = 0; i < m; i++)
        ss += (p->x[i] - mu) * (p->x[i] - mu);
    *mean = mu;
    /* sample std (n-1), as torch.Tensor.std() that the reference uses */
    *std = m > 1 ? sqrt(ss / (double)(m - 1)) : 0.0;
}

void pn_pairs_standardize(pn_pairs *p, double mean, double std)
{
    const size_t m = p->n * 2 * PN_PIXELS;
    const float mu = (float)mean, inv = std > 0.0 ? (float)(1.0 / std) : 1.0f;
    for (size_t i = 0; i < m; i++)
        p->x[i] = (p->x[i] - mu) * inv;
}
