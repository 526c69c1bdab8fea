#include "pairnet/models/models.h"

const char *const pn_layers_cnn[] = {"conv1", "bn1", "conv2", "bn2", "fc1", "bn3", "fc2", NULL};

/* Both images as two channels of one picture: the network has to learn the
 * comparison from the pixels, without the notion of a digit. */
void pn_build_cnn(pn_graph *g, const pn_model_opts *o)
{
    size_t x = pn_input(g, PN_IN_PAIRS, 2, PN_SIDE, PN_SIDE);
    x = pn_maxpool2(g, pn_relu(g, pn_batchnorm(g, pn_conv2d(g, x, 32, 3))));  /* 32x6x6 */
    x = pn_maxpool2(g, pn_relu(g, pn_batchnorm(g, pn_conv2d(g, x, 64, 3))));  /* 64x2x2 */
    x = pn_dropout(g, pn_relu(g, pn_batchnorm(g, pn_linear(g, x, 200))), o->dropout);
    const size_t out = pn_output(g, PN_OUT_LOGITS, pn_linear(g, x, 2));
    g->loss = pn_cross_entropy(g, out, pn_target(g, PN_TARGET_PAIR, 1));
}
