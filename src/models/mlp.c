#include "pairnet/models/models.h"

/* flatten 392 -> 256 -> BN -> ReLU -> 128 -> BN -> ReLU -> 2 */
void pn_build_mlp(pn_graph *g, const pn_model_opts *o)
{
    size_t x = pn_input(g, 2, 14, 14);
    x = pn_dropout(g, pn_relu(g, pn_batchnorm(g, pn_linear(g, x, 256))), o->dropout);
    x = pn_dropout(g, pn_relu(g, pn_batchnorm(g, pn_linear(g, x, 128))), o->dropout);
    g->output = pn_linear(g, x, 2);
    g->loss = pn_cross_entropy(g, g->output, PN_LABEL_TARGET);
}
