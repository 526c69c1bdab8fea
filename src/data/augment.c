/* Augmentation drawn from the training pairs only. The 1000 training pairs
 * are 2000 labelled digits; the target of a pair is a function of the two
 * classes, so the digits may be paired afresh, or a pair's images swapped,
 * and the target recomputed -- no test information is involved. */
#include <string.h>

#include "pairnet/data/augment.h"

static void copy_image(pn_pairs *dst, size_t to, const pn_pairs *src, size_t from)
{
    memcpy(dst->x + to * PN_PIXELS, src->x + from * PN_PIXELS, PN_PIXELS * sizeof *dst->x);
    dst->digit[to] = src->digit[from];
    dst->index[to] = src->index[from];
}

static void retarget(pn_pairs *p)
{
    for (size_t i = 0; i < p->n; i++)
        p->target[i] = p->digit[2 * i] <= p->digit[2 * i + 1];
}

void pn_pairs_repair(pn_pairs *dst, const pn_pairs *src, size_t *perm, pn_rng *rng)
{
    const size_t m = 2 * src->n;
    for (size_t i = 0; i < m; i++)
        perm[i] = i;
    pn_rng_shuffle(rng, perm, m, m);
    for (size_t i = 0; i < m; i++)
        copy_image(dst, i, src, perm[i]);
    dst->n = src->n;
    retarget(dst);
}

void pn_pairs_swap(pn_pairs *p, pn_rng *rng)
{
    float tmp[PN_PIXELS];
    for (size_t i = 0; i < p->n; i++) {
        if (!(pn_rng_u64(rng) >> 63))
            continue;
        float *a = p->x + 2 * i * PN_PIXELS, *b = a + PN_PIXELS;
        memcpy(tmp, a, sizeof tmp);
        memcpy(a, b, sizeof tmp);
        memcpy(b, tmp, sizeof tmp);
        const uint8_t d = p->digit[2 * i];
        p->digit[2 * i] = p->digit[2 * i + 1];
        p->digit[2 * i + 1] = d;
        const size_t k = p->index[2 * i];
        p->index[2 * i] = p->index[2 * i + 1];
        p->index[2 * i + 1] = k;
    }
    retarget(p);
}

void pn_image_shift(float *out, const float *in, int dx, int dy, float fill)
{
    const int S = PN_SIDE;
    for (int y = 0; y < S; y++) {
        const int sy = y - dy;
        for (int x = 0; x < S; x++) {
            const int sx = x - dx;
            out[y * S + x] = sy >= 0 && sy < S && sx >= 0 && sx < S ? in[sy * S + sx] : fill;
        }
    }
}
