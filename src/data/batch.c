/* A batch of pairs and its augmentation. Every transform of an image reads
 * a copy of it and writes the image in place: transform_image is that once. */
#include <stdlib.h>
#include <string.h>

#include "pairnet/data/augment.h"
#include "pairnet/data/batch.h"

int pn_batch_alloc(pn_batch *b, size_t cap)
{
    memset(b, 0, sizeof *b);
    b->x = malloc((cap ? cap : 1) * 2 * PN_PIXELS * sizeof *b->x);
    b->target = malloc(cap + 1);
    b->digits = malloc(2 * cap + 1);
    if (!b->x || !b->target || !b->digits) {
        pn_batch_free(b);
        return -1;
    }
    b->cap = cap;
    return 0;
}

void pn_batch_free(pn_batch *b)
{
    free(b->x);
    free(b->target);
    free(b->digits);
    memset(b, 0, sizeof *b);
}

/* Pair k of p as pair i of a batch of n. */
static void put_pair(pn_batch *b, size_t i, size_t n, const pn_pairs *p, size_t k)
{
    const size_t S = 2 * PN_PIXELS;
    memcpy(b->x + i * S, p->x + k * S, S * sizeof *b->x);
    b->target[i] = p->target[k];
    b->digits[i] = p->digit[2 * k];
    b->digits[n + i] = p->digit[2 * k + 1];
}

void pn_batch_take(pn_batch *b, const pn_pairs *p, const size_t *order, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_pair(b, i, n, p, order[i]);
    b->n = n;
}

void pn_batch_slice(pn_batch *b, const pn_pairs *p, size_t from, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_pair(b, i, n, p, from + i);
    b->n = n;
}

/* A transform of one image: out from in (never the same buffer). */
typedef void (*image_fn)(float *out, const float *in, void *ctx);

static void transform_image(float *img, image_fn fn, void *ctx)
{
    float tmp[PN_PIXELS];
    memcpy(tmp, img, sizeof tmp);
    fn(img, tmp, ctx);
}

typedef struct shift_ctx {
    int dx, dy;
    float fill;
} shift_ctx;

static void shift_fn(float *out, const float *in, void *ctx)
{
    const shift_ctx *s = ctx;
    pn_image_shift(out, in, s->dx, s->dy, s->fill);
}

void pn_batch_shift(pn_batch *b, int dx, int dy, float fill)
{
    shift_ctx s = {dx, dy, fill};
    if (dx == 0 && dy == 0)
        return;
    for (size_t i = 0; i < 2 * b->n; i++)
        transform_image(b->x + i * PN_PIXELS, shift_fn, &s);
}

void pn_batch_shift_random(pn_batch *b, size_t shift, float fill, pn_rng *rng)
{
    const uint64_t span = 2 * shift + 1;
    for (size_t i = 0; i < 2 * b->n; i++) {
        shift_ctx s = {0, 0, fill};
        s.dx = (int)pn_rng_below(rng, span) - (int)shift;
        s.dy = (int)pn_rng_below(rng, span) - (int)shift;
        if (s.dx || s.dy) /* the unmoved image is its own copy */
            transform_image(b->x + i * PN_PIXELS, shift_fn, &s);
    }
}

typedef struct warp_ctx {
    const pn_warp_cfg *w;
    float fill;
    pn_rng *rng;
} warp_ctx;

static void warp_fn(float *out, const float *in, void *ctx)
{
    const warp_ctx *c = ctx;
    pn_image_warp(out, in, c->w, c->fill, c->rng);
}

void pn_batch_warp(pn_batch *b, const pn_warp_cfg *w, float fill, pn_rng *rng)
{
    warp_ctx c = {w, fill, rng};
    for (size_t i = 0; i < 2 * b->n; i++)
        transform_image(b->x + i * PN_PIXELS, warp_fn, &c);
}
