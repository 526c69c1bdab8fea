/* Augmentation of the training pairs (src/data/augment.c): re-pairing keeps
 * the 2n labelled digits and only changes who meets whom; swapping exchanges
 * the two images of about half the pairs; shifting moves an image's pixels
 * and fills the uncovered border. Targets always follow digit1 <= digit2.
 * Synthetic pairs whose every image is recognizable by its pixels. */
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/data/data.h"
#include "pairnet/base/rng.h"

/* Image j: pixels 1000 j + q (exact in float), class (7 j + 3) % 10 unless
 * equal_every > 0, then pairs i with i % equal_every == 0 get two equal
 * classes; source index 5000 + j. Targets from the classes. */
static int make_pairs(pn_pairs *p, size_t n, size_t equal_every)
{
    if (pn_pairs_alloc(p, n) != 0)
        return -1;
    for (size_t j = 0; j < 2 * n; j++) {
        for (size_t q = 0; q < PN_PIXELS; q++)
            p->x[j * PN_PIXELS + q] = (float)(1000 * j + q);
        p->digit[j] = (uint8_t)((7 * j + 3) % 10);
        if (equal_every && j % 2 == 1 && (j / 2) % equal_every == 0)
            p->digit[j] = p->digit[j - 1];
        p->index[j] = 5000 + j;
    }
    for (size_t i = 0; i < n; i++)
        p->target[i] = p->digit[2 * i] <= p->digit[2 * i + 1];
    return 0;
}

/* Every image of dst is one of src's (same pixels, class and index), each
 * exactly once, and every target is digit1 <= digit2. Returns the number of
 * problems. */
static size_t check_same_digits(const pn_pairs *dst, const pn_pairs *src)
{
    size_t bad = dst->n != src->n;
    unsigned char *seen = calloc(2 * src->n + 1, 1);
    if (!seen)
        return 1;
    for (size_t j = 0; j < 2 * dst->n && !bad; j++) {
        const size_t k = dst->index[j] - 5000;
        if (dst->index[j] < 5000 || k >= 2 * src->n) {
            bad++;
            continue;
        }
        bad += seen[k]++ != 0;
        bad += dst->digit[j] != src->digit[k];
        bad += memcmp(dst->x + j * PN_PIXELS, src->x + k * PN_PIXELS,
                      PN_PIXELS * sizeof(float)) != 0;
    }
    for (size_t k = 0; k < 2 * src->n && !bad; k++)
        bad += seen[k] != 1;
    for (size_t i = 0; i < dst->n; i++)
        bad += dst->target[i] != (dst->digit[2 * i] <= dst->digit[2 * i + 1]);
    free(seen);
    return bad;
}

/* Re-pairing: the same 2n digits (by index, class and pixels), targets
 * recomputed, a new pairing; another random state, another pairing; the
 * same state, the same pairing; the source untouched. */
static void repair_keeps_digits_new_pairs(void)
{
    const size_t n = 500;
    pn_pairs src, a, b, c, orig;
    size_t *perm = malloc(2 * n * sizeof *perm);
    int ok = make_pairs(&src, n, 0) == 0 && make_pairs(&orig, n, 0) == 0 &&
             pn_pairs_alloc(&a, n) == 0 && pn_pairs_alloc(&b, n) == 0 &&
             pn_pairs_alloc(&c, n) == 0 && perm;
    CHECK(ok);
    if (!ok)
        return;
    /* stale targets in dst must be overwritten */
    memset(a.target, 7, n);
    pn_rng r, r2;
    pn_rng_seed(&r, 1, PN_STREAM_AUX);
    r2 = r;
    pn_pairs_repair(&a, &src, perm, &r);
    size_t bad = check_same_digits(&a, &src);
    CHECK_MSG(bad == 0, "first re-pairing: %zu problems", bad);
    /* a new pairing: few of the original pairs survive (expected 0.5 of 500) */
    size_t same_pair = 0, moved = 0;
    for (size_t i = 0; i < n; i++) {
        const size_t u = a.index[2 * i], v = a.index[2 * i + 1];
        same_pair += (u ^ 1) == v && ((u - 5000) / 2 == (v - 5000) / 2);
        moved += u != src.index[2 * i];
    }
    CHECK_MSG(same_pair < 10 && moved > n / 2, "%zu original pairs kept, %zu images moved",
              same_pair, moved);
    /* the state advanced: a second call pairs differently */
    pn_pairs_repair(&b, &src, perm, &r);
    CHECK(check_same_digits(&b, &src) == 0);
    CHECK_MSG(memcmp(a.index, b.index, 2 * n * sizeof *a.index) != 0,
              "two re-pairings from different random states are identical");
    /* and another seed too */
    pn_rng r3;
    pn_rng_seed(&r3, 2, PN_STREAM_AUX);
    pn_pairs_repair(&c, &src, perm, &r3);
    CHECK(memcmp(a.index, c.index, 2 * n * sizeof *a.index) != 0);
    /* the same state reproduces the pairing */
    pn_pairs_repair(&c, &src, perm, &r2);
    CHECK(memcmp(a.index, c.index, 2 * n * sizeof *a.index) == 0 &&
          memcmp(a.x, c.x, 2 * n * PN_PIXELS * sizeof(float)) == 0);
    /* src is read only */
    CHECK(memcmp(src.x, orig.x, 2 * n * PN_PIXELS * sizeof(float)) == 0 &&
          memcmp(src.index, orig.index, 2 * n * sizeof *src.index) == 0 &&
          memcmp(src.digit, orig.digit, 2 * n) == 0 && memcmp(src.target, orig.target, n) == 0);
    free(perm);
    pn_pairs_free(&src);
    pn_pairs_free(&orig);
    pn_pairs_free(&a);
    pn_pairs_free(&b);
    pn_pairs_free(&c);
}

/* The new order is uniform: over 20000 re-pairings of 5 pairs, each of the
 * 10 images lands first about 2000 times, and last about 2000 times (5 sd
 * of Binomial(20000, 0.1) is 212). A shuffle that skipped an end would not. */
static void repair_order_is_uniform(void)
{
    const size_t n = 5, reps = 20000;
    pn_pairs src, dst;
    size_t perm[10], first[10] = {0}, last[10] = {0};
    int ok = make_pairs(&src, n, 0) == 0 && pn_pairs_alloc(&dst, n) == 0;
    CHECK(ok);
    if (!ok)
        return;
    pn_rng r;
    pn_rng_seed(&r, 9, 0);
    for (size_t t = 0; t < reps; t++) {
        pn_pairs_repair(&dst, &src, perm, &r);
        first[dst.index[0] - 5000]++;
        last[dst.index[9] - 5000]++;
    }
    for (size_t k = 0; k < 10; k++)
        CHECK_MSG(fabs((double)first[k] - 2000.0) <= 212.0 && fabs((double)last[k] - 2000.0) <= 212.0,
                  "image %zu: first %zu times, last %zu times of %zu (want ~2000)", k, first[k],
                  last[k], reps);
    pn_pairs_free(&src);
    pn_pairs_free(&dst);
}

/* Swapping: each pair either untouched or with images, classes and indices
 * exchanged together; about half swapped (Binomial(2000, 1/2): 5 sd = 112);
 * a swapped pair of different classes flips its target, one of equal
 * classes keeps target 1. */
static void swap_half_the_pairs(void)
{
    const size_t n = 2000;
    pn_pairs p, orig;
    int ok = make_pairs(&p, n, 4) == 0 && make_pairs(&orig, n, 4) == 0;
    CHECK(ok);
    if (!ok)
        return;
    pn_rng r, r2;
    pn_rng_seed(&r, 3, PN_STREAM_AUX);
    r2 = r;
    pn_pairs_swap(&p, &r);
    size_t swapped = 0, kept = 0, broken = 0, bad_target = 0, equal_swapped = 0, flipped = 0;
    for (size_t i = 0; i < n; i++) {
        const size_t a = 2 * i, b = a + 1;
        const float *pa = p.x + a * PN_PIXELS, *pb = p.x + b * PN_PIXELS;
        const float *oa = orig.x + a * PN_PIXELS, *ob = orig.x + b * PN_PIXELS;
        const size_t S = PN_PIXELS * sizeof(float);
        const int same = memcmp(pa, oa, S) == 0 && memcmp(pb, ob, S) == 0 &&
                         p.digit[a] == orig.digit[a] && p.digit[b] == orig.digit[b] &&
                         p.index[a] == orig.index[a] && p.index[b] == orig.index[b];
        const int swap = memcmp(pa, ob, S) == 0 && memcmp(pb, oa, S) == 0 &&
                         p.digit[a] == orig.digit[b] && p.digit[b] == orig.digit[a] &&
                         p.index[a] == orig.index[b] && p.index[b] == orig.index[a];
        kept += (size_t)same;
        swapped += (size_t)swap;
        broken += !same && !swap;
        bad_target += p.target[i] != (p.digit[a] <= p.digit[b]);
        if (swap && orig.digit[a] == orig.digit[b]) {
            equal_swapped++;
            bad_target += p.target[i] != 1;
        } else if (swap) {
            flipped++;
            bad_target += p.target[i] != !orig.target[i];
        }
    }
    CHECK_MSG(broken == 0, "%zu pairs neither kept nor cleanly swapped", broken);
    CHECK_MSG(bad_target == 0, "%zu wrong targets after swapping", bad_target);
    CHECK_MSG(fabs((double)swapped - n / 2.0) <= 112.0 && fabs((double)kept - n / 2.0) <= 112.0,
              "%zu of %zu pairs swapped, %zu kept", swapped, n, kept);
    CHECK_MSG(equal_swapped >= 100 && flipped >= 500,
              "too few swaps of interest: %zu equal-class, %zu other", equal_swapped, flipped);
    /* same state: same swaps; the advanced state: other swaps */
    pn_pairs q;
    CHECK(make_pairs(&q, n, 4) == 0);
    if (q.x) {
        pn_pairs_swap(&q, &r2);
        CHECK(memcmp(q.index, p.index, 2 * n * sizeof *q.index) == 0);
        pn_pairs_free(&q);
    }
    CHECK(make_pairs(&q, n, 4) == 0);
    if (q.x) {
        pn_pairs_swap(&q, &r);
        CHECK_MSG(memcmp(q.index, p.index, 2 * n * sizeof *q.index) != 0,
                  "two different random states swapped the same pairs");
        pn_pairs_free(&q);
    }
    pn_pairs_free(&p);
    pn_pairs_free(&orig);
}

/* The expected pixel of shifting a 14x14 image by (dx, dy), written as a
 * forward map: source (x, y) lands on (x + dx, y + dy). */
static size_t check_shift(int dx, int dy, float fill)
{
    float in[PN_PIXELS], out[PN_PIXELS], want[PN_PIXELS];
    for (int i = 0; i < PN_PIXELS; i++) {
        in[i] = (float)(i + 1); /* never the fill value */
        want[i] = fill;
        out[i] = NAN;
    }
    for (int y = 0; y < PN_SIDE; y++)
        for (int x = 0; x < PN_SIDE; x++) {
            const int tx = x + dx, ty = y + dy;
            if (tx >= 0 && tx < PN_SIDE && ty >= 0 && ty < PN_SIDE)
                want[ty * PN_SIDE + tx] = in[y * PN_SIDE + x];
        }
    pn_image_shift(out, in, dx, dy, fill);
    size_t bad = 0, fills = 0;
    for (int i = 0; i < PN_PIXELS; i++) {
        bad += !(out[i] == want[i]);
        fills += out[i] == fill;
    }
    /* the uncovered border: 196 - (14 - |dx|)(14 - |dy|) pixels */
    const int cx = PN_SIDE - abs(dx), cy = PN_SIDE - abs(dy);
    const int covered = cx > 0 && cy > 0 ? cx * cy : 0;
    bad += fills != (size_t)(PN_PIXELS - covered);
    if (bad)
        t_fail(__FILE__, __LINE__, "shift (%d, %d): %zu wrong pixels", dx, dy, bad);
    return bad;
}

static void image_shift_moves_pixels(void)
{
    static const int d[][2] = {{1, 0},  {0, 1},  {-1, 0}, {0, -1}, {2, -3}, {-4, 4},
                               {4, 4},  {-4, -4}, {3, 1},  {13, 0}, {0, -13}, {14, 2},
                               {-20, 0}};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        check_shift(d[i][0], d[i][1], -0.4627f);
    check_shift(1, -1, 0.0f);
    /* spot values by hand: right by 1, up by 2 */
    float in[PN_PIXELS], out[PN_PIXELS];
    for (int i = 0; i < PN_PIXELS; i++)
        in[i] = (float)i;
    pn_image_shift(out, in, 1, -2, -1.0f);
    CHECK(out[0] == -1.0f);                      /* (0,0): left column uncovered */
    CHECK(out[1] == in[2 * 14 + 0]);             /* (1,0) <- (0,2) */
    CHECK(out[5 * 14 + 13] == in[7 * 14 + 12]);  /* (13,5) <- (12,7) */
    CHECK(out[11 * 14 + 6] == in[13 * 14 + 5]);  /* (6,11) <- (5,13) */
    CHECK(out[12 * 14 + 6] == -1.0f && out[13 * 14 + 13] == -1.0f); /* bottom rows */
}

/* A shift of 0 is the identity; a shift and its inverse restore the
 * interior that stayed covered. */
static void image_shift_zero_and_inverse(void)
{
    float in[PN_PIXELS], out[PN_PIXELS], back[PN_PIXELS];
    for (int i = 0; i < PN_PIXELS; i++)
        in[i] = 0.5f * (float)(i * 37 % 101) - 3.0f;
    pn_image_shift(out, in, 0, 0, 99.0f);
    CHECK(memcmp(out, in, sizeof in) == 0);
    pn_image_shift(out, in, 2, -1, 99.0f);
    pn_image_shift(back, out, -2, 1, 99.0f);
    size_t bad = 0;
    for (int y = 0; y < PN_SIDE; y++)
        for (int x = 0; x < PN_SIDE; x++) {
            const int kept = x < PN_SIDE - 2 && y >= 1;
            bad += kept ? back[y * PN_SIDE + x] != in[y * PN_SIDE + x]
                        : back[y * PN_SIDE + x] != 99.0f;
        }
    CHECK_MSG(bad == 0, "%zu pixels wrong after shifting there and back", bad);
}

void suite_augment(void)
{
    RUN(repair_keeps_digits_new_pairs);
    RUN(repair_order_is_uniform);
    RUN(swap_half_the_pairs);
    RUN(image_shift_moves_pixels);
    RUN(image_shift_zero_and_inverse);
}
