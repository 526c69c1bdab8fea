/* A batch of pairs (src/data/batch.c) and its binding to a graph by name
 * (src/train/step.c): which pair lands where, which labels each target
 * name receives, and augmentation that moves every image of the batch the
 * way the image functions move one, drawing from the stream in image order. */
#include "test.h"

#include <math.h>
#include <string.h>

#include "pairnet/data/augment.h"
#include "pairnet/data/batch.h"
#include "pairnet/models/models.h"
#include "pairnet/train/train.h"

/* Image j: pixels 1000 j + q (exact in float), class (7 j + 3) % 10. */
static int make_pairs(pn_pairs *p, size_t n)
{
    if (pn_pairs_alloc(p, n) != 0)
        return -1;
    for (size_t j = 0; j < 2 * n; j++) {
        for (size_t q = 0; q < PN_PIXELS; q++)
            p->x[j * PN_PIXELS + q] = (float)(1000 * j + q);
        p->digit[j] = (uint8_t)((7 * j + 3) % 10);
        p->index[j] = j;
    }
    for (size_t i = 0; i < n; i++)
        p->target[i] = p->digit[2 * i] <= p->digit[2 * i + 1];
    return 0;
}

/* Pair i of b is pair k of p: both images, the target, and the two classes
 * at digits[i] and digits[n + i]. */
static int holds_pair(const pn_batch *b, size_t i, const pn_pairs *p, size_t k)
{
    const size_t S = 2 * PN_PIXELS;
    return memcmp(b->x + i * S, p->x + k * S, S * sizeof(float)) == 0 &&
           b->target[i] == p->target[k] && b->digits[i] == p->digit[2 * k] &&
           b->digits[b->n + i] == p->digit[2 * k + 1];
}

static void batch_take_and_slice_place_pairs(void)
{
    pn_pairs p;
    pn_batch b;
    if (make_pairs(&p, 6) != 0 || pn_batch_alloc(&b, 4) != 0) {
        CHECK(0);
        return;
    }
    const size_t order[3] = {4, 0, 2};
    pn_batch_take(&b, &p, order, 3);
    CHECK(b.n == 3);
    for (size_t i = 0; i < 3; i++)
        CHECK_MSG(holds_pair(&b, i, &p, order[i]), "take: batch pair %zu is not pair %zu", i,
                  order[i]);
    pn_batch_slice(&b, &p, 2, 4);
    CHECK(b.n == 4);
    for (size_t i = 0; i < 4; i++)
        CHECK_MSG(holds_pair(&b, i, &p, 2 + i), "slice: batch pair %zu is not pair %zu", i,
                  2 + i);
    pn_batch_free(&b);
    pn_pairs_free(&p);
}

/* Every image of b moved as pn_image_shift moves one; (0, 0) changes nothing. */
static void batch_shift_moves_every_image(void)
{
    pn_pairs p;
    pn_batch b;
    if (make_pairs(&p, 3) != 0 || pn_batch_alloc(&b, 3) != 0) {
        CHECK(0);
        return;
    }
    pn_batch_slice(&b, &p, 0, 3);
    pn_batch_shift(&b, 0, 0, -7.0f);
    CHECK(memcmp(b.x, p.x, 3 * 2 * PN_PIXELS * sizeof(float)) == 0);
    pn_batch_shift(&b, 1, -1, -7.0f);
    size_t bad = 0;
    for (size_t j = 0; j < 6; j++) {
        float want[PN_PIXELS];
        pn_image_shift(want, p.x + j * PN_PIXELS, 1, -1, -7.0f);
        bad += memcmp(b.x + j * PN_PIXELS, want, sizeof want) != 0;
    }
    CHECK_MSG(bad == 0, "%zu of 6 images not shifted by (1, -1)", bad);
    pn_batch_free(&b);
    pn_pairs_free(&p);
}

/* The random shift draws dx then dy for each image in order, and the warp
 * one warp per image in order, from the given stream: the same images and
 * the same stream state as the image functions called one by one. */
static void batch_random_augmentation_follows_the_stream(void)
{
    pn_pairs p;
    pn_batch b;
    if (make_pairs(&p, 4) != 0 || pn_batch_alloc(&b, 4) != 0) {
        CHECK(0);
        return;
    }
    const pn_warp_cfg w = {.rotate = 10.0f, .scale = 0.1f};
    pn_rng r1, r2;
    pn_rng_seed(&r1, 5, 3);
    pn_rng_seed(&r2, 5, 3);
    pn_batch_slice(&b, &p, 0, 4);
    pn_batch_shift_random(&b, 2, -1.0f, &r1);
    pn_batch_warp(&b, &w, -1.0f, &r1);
    size_t bad = 0, moved = 0;
    for (size_t j = 0; j < 8; j++) { /* p's images shifted in place, one by one */
        float shifted[PN_PIXELS];
        const int dx = (int)pn_rng_below(&r2, 5) - 2;
        const int dy = (int)pn_rng_below(&r2, 5) - 2;
        pn_image_shift(shifted, p.x + j * PN_PIXELS, dx, dy, -1.0f);
        moved += dx || dy;
        memcpy(p.x + j * PN_PIXELS, shifted, sizeof shifted);
    }
    for (size_t j = 0; j < 8; j++) { /* then warped */
        float want[PN_PIXELS];
        pn_image_warp(want, p.x + j * PN_PIXELS, &w, -1.0f, &r2);
        bad += memcmp(b.x + j * PN_PIXELS, want, sizeof want) != 0;
    }
    CHECK(moved > 0);
    CHECK_MSG(bad == 0, "%zu of 8 images differ from shift-then-warp image by image", bad);
    CHECK_MSG(pn_rng_u64(&r1) == pn_rng_u64(&r2), "the batch drew another number of values");
    pn_batch_free(&b);
    pn_pairs_free(&p);
}

/* Binding fills the model's input with the batch's images and each target
 * it declared with the labels that name means (models.h). */
static void bind_fills_each_declared_name(const char *model)
{
    pn_model_opts o = {.aux_weight = 1.0f};
    pn_err err;
    pn_graph *g = pn_model_build(pn_model_find(model), &o, 4, NULL, &err);
    pn_pairs p;
    pn_batch b;
    if (!g || make_pairs(&p, 5) != 0 || pn_batch_alloc(&b, 4) != 0) {
        CHECK_MSG(0, "%s: setup failed", model);
        pn_graph_free(g);
        return;
    }
    const size_t order[3] = {3, 1, 4};
    pn_batch_take(&b, &p, order, 3);
    CHECK(pn_bind_batch(g, &b, &err) == PN_OK);
    CHECK(memcmp(pn_graph_input(g, PN_IN_PAIRS), b.x, 3 * 2 * PN_PIXELS * sizeof(float)) == 0);
    const uint8_t *t = pn_graph_target(g, PN_TARGET_PAIR);
    const uint8_t *d = pn_graph_target(g, PN_TARGET_DIGITS);
    const uint8_t *d1 = pn_graph_target(g, PN_TARGET_DIGIT1);
    const uint8_t *d2 = pn_graph_target(g, PN_TARGET_DIGIT2);
    CHECK(t != NULL && (d != NULL || (d1 && d2)));
    size_t bad = 0;
    for (size_t i = 0; i < 3; i++) {
        const size_t k = order[i];
        bad += t && t[i] != p.target[k];
        bad += d && (d[i] != p.digit[2 * k] || d[3 + i] != p.digit[2 * k + 1]);
        bad += d1 && d1[i] != p.digit[2 * k];
        bad += d2 && d2[i] != p.digit[2 * k + 1];
    }
    CHECK_MSG(bad == 0, "%s: %zu labels bound wrong", model, bad);
    pn_batch_free(&b);
    pn_pairs_free(&p);
    pn_graph_free(g);
}

static void bind_cnn_ws_al(void) { bind_fills_each_declared_name("cnn_ws_al"); }
static void bind_cnn_al(void) { bind_fills_each_declared_name("cnn_al"); }

/* A name no batch holds is refused with a message that names it. */
static void bind_refuses_an_unknown_target(void)
{
    pn_graph *g = pn_graph_new();
    const size_t x = pn_input(g, PN_IN_PAIRS, 2, PN_SIDE, PN_SIDE);
    const size_t out = pn_output(g, PN_OUT_LOGITS, pn_linear(g, x, 2));
    g->loss = pn_cross_entropy(g, out, pn_target(g, "parity", 1));
    pn_err err = {0};
    pn_batch b;
    if (pn_graph_finalize(g, 2, NULL, &err) != PN_OK || pn_batch_alloc(&b, 2) != 0) {
        CHECK_MSG(0, "setup: %s", err.msg);
        pn_graph_free(g);
        return;
    }
    memset(b.x, 0, 2 * 2 * PN_PIXELS * sizeof(float));
    memset(b.target, 0, 2);
    memset(b.digits, 0, 4);
    b.n = 2;
    CHECK(pn_bind_batch(g, &b, &err) != PN_OK);
    CHECK_MSG(strstr(err.msg, "'parity'") != NULL, "message: %s", err.msg);
    pn_batch_free(&b);
    pn_graph_free(g);
}

void suite_batch(void)
{
    RUN(batch_take_and_slice_place_pairs);
    RUN(batch_shift_moves_every_image);
    RUN(batch_random_augmentation_follows_the_stream);
    RUN(bind_cnn_ws_al);
    RUN(bind_cnn_al);
    RUN(bind_refuses_an_unknown_target);
}
