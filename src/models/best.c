/* `best`: a shared digit tower with auxiliary losses, trained as a digit
 * classifier first and a comparator second. Its training recipe (Adam,
 * dropout, augmentation, long schedule) is the preset in registry.c; README
 * says how each choice was made. */
#include "pairnet/models.h"

#ifndef BEST_C1
#define BEST_C1 32
#endif
#ifndef BEST_C2
#define BEST_C2 64
#endif
#ifndef BEST_FC
#define BEST_FC 200
#endif

/* [R,1,14,14] -> [R,10]: the study's tower layout, wider */
static size_t tower(pn_graph *g, size_t x, float dropout)
{
    x = pn_maxpool2(g, pn_relu(g, pn_batchnorm(g, pn_conv2d(g, x, BEST_C1, 3))));
    x = pn_maxpool2(g, pn_relu(g, pn_batchnorm(g, pn_conv2d(g, x, BEST_C2, 3))));
    x = pn_relu(g, pn_batchnorm(g, pn_linear(g, x, BEST_FC)));
    return pn_linear(g, pn_dropout(g, x, dropout), 10);
}

void pn_build_best(pn_graph *g, const pn_model_opts *o)
{
    size_t x = pn_input(g, 2, 14, 14);
    size_t digits = tower(g, pn_unstack(g, x), o->dropout);
    g->digits = digits;
    /* The head compares class probabilities, not raw logits: bounded, near
     * one-hot inputs make "is class a <= class b" easy to learn and stay
     * right when a test digit's logits are less confident than training's. */
    g->output = pn_compare_head(g, pn_restack(g, pn_softmax(g, digits)));
    size_t l[2] = {pn_cross_entropy(g, g->output, PN_LABEL_TARGET),
                   pn_cross_entropy(g, digits, PN_LABEL_DIGITS)};
    float w[2] = {1.0f, 2.0f * o->aux_weight}; /* as cnn_ws_al: CE(2B) = (CE1 + CE2) / 2 */
    g->loss = pn_loss_sum(g, 2, l, w);
}
