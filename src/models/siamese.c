/* The two-tower models. A tower T maps one 14x14 image to 10 digit logits;
 * the head H compares two such 10-vectors. Weight sharing runs ONE tower on
 * the 2B images of a batch (unstack -> T -> restack), so its BatchNorm sees
 * all 2B images, as the specification asks; without sharing each image of
 * the pair gets its own tower on its own B images. */
#include "pairnet/models/models.h"

/* The layer names: a tower's conv1, bn1, conv2, bn2, fc1, bn3, fc2 (the
 * order pn_digit_tower adds them) under "tower." (shared) or "tower1." and
 * "tower2." (cnn_al), then the head's fc1, fc2 under "head.". cnn_ws_al
 * and best have cnn_ws's layers (best with prob_head: no head). */
#define TOWER(p) p "conv1", p "bn1", p "conv2", p "bn2", p "fc1", p "bn3", p "fc2"
#define HEAD "head.fc1", "head.fc2"
const char *const pn_layers_cnn_ws[] = {TOWER("tower."), HEAD, NULL};
const char *const pn_layers_cnn_al[] = {TOWER("tower1."), TOWER("tower2."), HEAD, NULL};
#undef TOWER
#undef HEAD

size_t pn_digit_tower(pn_graph *g, size_t x, float dropout, size_t width)
{
    const size_t w = width ? width : 1;
    x = pn_maxpool2(g, pn_relu(g, pn_batchnorm(g, pn_conv2d(g, x, 32 * w, 3))));  /* 32x6x6 */
    x = pn_maxpool2(g, pn_relu(g, pn_batchnorm(g, pn_conv2d(g, x, 64 * w, 3))));  /* 64x2x2 */
    x = pn_relu(g, pn_batchnorm(g, pn_linear(g, x, 200 * w)));
    return pn_linear(g, pn_dropout(g, x, dropout), 10);
}

size_t pn_compare_head(pn_graph *g, size_t x)
{
    return pn_linear(g, pn_relu(g, pn_linear(g, x, 100)), 2);
}

/* Shared tower: returns the comparison logits, *digits the tower's [2B,10]
 * logits, both named as outputs. With
 * softmax_head the head compares class probabilities, not raw logits
 * (best): bounded, near one-hot inputs make "is class a <= class b" easy to
 * learn and stay right when a test digit's logits are less confident than
 * training's. */
static size_t shared(pn_graph *g, const pn_model_opts *o, int softmax_head, size_t *digits)
{
    size_t x = pn_input(g, PN_IN_PAIRS, 2, PN_SIDE, PN_SIDE);
    const size_t d = pn_digit_tower(g, pn_unstack(g, x), o->dropout, o->width);
    size_t out;
    if (softmax_head && o->prob_head) /* P(d1 <= d2) of the two softmaxes */
        out = pn_prob_le(g, pn_restack(g, pn_softmax(g, d)));
    else
        out = pn_compare_head(g, pn_restack(g, softmax_head ? pn_softmax(g, d) : d));
    *digits = pn_output(g, PN_OUT_DIGITS, d);
    return pn_output(g, PN_OUT_LOGITS, out);
}

void pn_build_cnn_ws(pn_graph *g, const pn_model_opts *o)
{
    size_t digits;
    const size_t out = shared(g, o, 0, &digits);
    g->loss = pn_cross_entropy(g, out, pn_target(g, PN_TARGET_PAIR, 1));
}

/* The shared tower with the auxiliary digit loss on its 2B images. */
static void shared_al(pn_graph *g, const pn_model_opts *o, int softmax_head)
{
    size_t digits;
    const size_t out = shared(g, o, softmax_head, &digits);
    size_t l[2] = {pn_cross_entropy(g, out, pn_target(g, PN_TARGET_PAIR, 1)),
                   pn_cross_entropy(g, digits, pn_target(g, PN_TARGET_DIGITS, 2))};
    /* CE over the 2B images is the mean of CE(T(img1)) and CE(T(img2)), so
     * w * (CE1 + CE2) = 2w * CE(2B). */
    float w[2] = {1.0f, 2.0f * o->aux_weight};
    g->loss = pn_loss_sum(g, 2, l, w);
}

void pn_build_cnn_ws_al(pn_graph *g, const pn_model_opts *o) { shared_al(g, o, 0); }

/* `best`: cnn_ws_al's network with a softmax between the shared digit tower
 * and the comparison head, trained as a digit classifier first and a
 * comparator second. Its recipe (Adam, dropout, augmentation, a longer
 * schedule) is its preset in registry.c; README says how each choice was
 * made and what each buys. */
void pn_build_best(pn_graph *g, const pn_model_opts *o) { shared_al(g, o, 1); }

void pn_build_cnn_al(pn_graph *g, const pn_model_opts *o)
{
    size_t x = pn_input(g, PN_IN_PAIRS, 2, PN_SIDE, PN_SIDE);
    size_t ta = pn_digit_tower(g, pn_select(g, x, 0), o->dropout, o->width);
    size_t tb = pn_digit_tower(g, pn_select(g, x, 1), o->dropout, o->width);
    const size_t digits = pn_output(g, PN_OUT_DIGITS, pn_concat(g, ta, tb));
    const size_t out = pn_output(g, PN_OUT_LOGITS, pn_compare_head(g, digits));
    size_t l[3] = {pn_cross_entropy(g, out, pn_target(g, PN_TARGET_PAIR, 1)),
                   pn_cross_entropy(g, ta, pn_target(g, PN_TARGET_DIGIT1, 1)),
                   pn_cross_entropy(g, tb, pn_target(g, PN_TARGET_DIGIT2, 1))};
    float w[3] = {1.0f, o->aux_weight, o->aux_weight};
    g->loss = pn_loss_sum(g, 3, l, w);
}
