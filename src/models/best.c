/* `best`: cnn_ws_al's network with a softmax between the shared digit tower
 * and the comparison head, trained as a digit classifier first and a
 * comparator second. Its recipe (Adam, dropout, augmentation, a longer
 * schedule) is the preset in registry.c; README says how each choice was
 * made and what each buys. */
#include "pairnet/models/models.h"

void pn_build_best(pn_graph *g, const pn_model_opts *o)
{
    size_t x = pn_input(g, 2, 14, 14);
    size_t digits = pn_digit_tower(g, pn_unstack(g, x), o->dropout);
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
