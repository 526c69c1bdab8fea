/* One training step, and binding a batch to a graph by the names the
 * study's models declare (models.h): the one place that knows which array
 * of a batch each name means. */
#include <math.h>
#include <string.h>

#include "pairnet/train/train.h"

/* The labels of batch b that target `name` means, and their rows per pair;
 * NULL for a name the batch does not hold. */
static const uint8_t *batch_labels(const pn_batch *b, const char *name, size_t *rmul)
{
    *rmul = 1;
    if (strcmp(name, PN_TARGET_PAIR) == 0)
        return b->target;
    if (strcmp(name, PN_TARGET_DIGIT1) == 0)
        return b->digits;
    if (strcmp(name, PN_TARGET_DIGIT2) == 0)
        return b->digits + b->n;
    *rmul = 2;
    return strcmp(name, PN_TARGET_DIGITS) == 0 ? b->digits : NULL;
}

int pn_bind_targets(pn_graph *g, const pn_batch *b, pn_err *err)
{
    const char *name;
    for (size_t i = 0; (name = pn_graph_name(g, PN_PORT_TARGET, i)) != NULL; i++) {
        size_t rmul;
        const uint8_t *y = batch_labels(b, name, &rmul);
        if (!y || pn_graph_set_target(g, name, y, b->n, rmul) != 0)
            return pn_fail(err, PN_ERR_RUNTIME, "the model's target '%s' is none a batch holds "
                           "with that shape (a bug in the model; see models.h)", name);
    }
    return PN_OK;
}

int pn_bind_batch(pn_graph *g, const pn_batch *b, pn_err *err)
{
    const char *name;
    for (size_t i = 0; (name = pn_graph_name(g, PN_PORT_INPUT, i)) != NULL; i++)
        if (strcmp(name, PN_IN_PAIRS) != 0 ||
            pn_graph_set_input(g, name, b->x, b->n, 2 * PN_PIXELS) != 0)
            return pn_fail(err, PN_ERR_RUNTIME, "the model's input '%s' is none a batch holds "
                           "with that shape (a bug in the model; see models.h)", name);
    return pn_bind_targets(g, b, err);
}

int pn_train_step(pn_graph *g, const pn_batch *b, pn_optim *opt, float lr, float *loss,
                  pn_err *err)
{
    const int rc = pn_bind_batch(g, b, err);
    if (rc != PN_OK)
        return rc;
    pn_graph_zero_grads(g);
    *loss = pn_graph_forward(g, b->n, 1);
    if (!isfinite(*loss))
        return PN_OK; /* the caller knows the epoch and batch to report */
    pn_graph_backward(g);
    pn_optim_step(opt, g->params, g->grads, lr);
    return PN_OK;
}
