#include "pairnet/models/models.h"

const char *const pn_layers_mlp[] = {"fc1", "bn1", "fc2", "bn2", "fc3", NULL};

/* flatten 392 -> 256 -> BN -> ReLU -> 128 -> BN -> ReLU -> 2 */
void pn_build_mlp(pn_graph *g, const pn_model_opts *o)
{
    size_t x = pn_input(g, PN_IN_PAIRS, 2, PN_SIDE, PN_SIDE);
    x = pn_dropout(g, pn_relu(g, pn_batchnorm(g, pn_linear(g, x, 256))), o->dropout);
    x = pn_dropout(g, pn_relu(g, pn_batchnorm(g, pn_linear(g, x, 128))), o->dropout);
    const size_t out = pn_output(g, PN_OUT_LOGITS, pn_linear(g, x, 2));
    g->loss = pn_cross_entropy(g, out, pn_target(g, PN_TARGET_PAIR, 1));
}
