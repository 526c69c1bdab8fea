/* Finalizing a graph: fusion, the flags that say which nodes run in
 * evaluation and which need gradients, one arena for every buffer, and the
 * initial parameters. */
#include <stdlib.h>

#include "graph_impl.h"
#include "pairnet/base/bigalloc.h"

#define ALIGN_FLOATS 16 /* 64-byte slices: whole cache lines, aligned vector loads */

static size_t round_up(size_t n) { return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS; }

/* The buffers of node i, in floats, at batch B: value and gradient, then
 * the op's buffer slots. Run twice: once to size the arena (base NULL),
 * once to hand out slices. */
static size_t layout_node(pn_graph *g, size_t i, size_t B, float *base)
{
    pn_node *n = &g->nodes[i];
    const pn_op_desc *d = pn_desc(n);
    size_t len[2 + PN_MAX_BUFS] = {0};
    float **slot[2 + PN_MAX_BUFS] = {&n->val, &n->grad};
    if (!(d->flags & PN_OPF_NO_VALUE))
        len[0] = len[1] = pn_rows_of(n, B) * n->c * n->h * n->w;
    if (d->buffers) {
        const pn_op_call c = pn_node_call(g, i, B, 1, 0);
        d->buffers(&c, len + 2);
    }
    size_t used = 0;
    for (size_t s = 0; s < 2 + PN_MAX_BUFS; s++) {
        if (s >= 2)
            slot[s] = &n->buf[s - 2];
        if (base && len[s])
            *slot[s] = base + used;
        used += round_up(len[s]);
    }
    return used;
}

static void mark_flags(pn_graph *g)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        pn_node *n = &g->nodes[i];
        n->needs_grad = n->op == PN_OP_INPUT ? g->input_grad : n->w_off != PN_NONE;
        for (size_t j = 0; j < n->n_in; j++)
            n->needs_grad |= g->nodes[n->in[j]].needs_grad;
        n->for_output = 0;
        n->grad_set = 0;
    }
    for (size_t o = 0; o < g->n_outputs; o++)
        g->nodes[g->outputs[o].node].for_output = 1;
    for (size_t i = g->n_nodes; i-- > 0;) {
        const pn_node *n = &g->nodes[i];
        if (n->for_output)
            for (size_t j = 0; j < n->n_in; j++)
                g->nodes[n->in[j]].for_output = 1;
        if (pn_desc(n)->flags & PN_OPF_SETS_IN_GRAD)
            g->nodes[n->in[0]].grad_set = 1;
    }
}

/* Every target's labels, rmul * max_batch each, from one allocation. */
static int alloc_targets(pn_graph *g, size_t max_batch)
{
    size_t total = 0;
    for (size_t t = 0; t < g->n_targets; t++)
        total += g->targets[t].rmul * max_batch;
    uint8_t *block = calloc(total + 1, 1);
    if (!block)
        return -1;
    for (size_t t = 0, used = 0; t < g->n_targets; t++) {
        g->targets[t].val = block + used;
        used += g->targets[t].rmul * max_batch;
    }
    if (!g->n_targets)
        free(block); /* nothing to hold; pn_graph_free frees targets[0].val */
    return 0;
}

int pn_graph_finalize(pn_graph *g, size_t max_batch, struct pn_pool *pool, pn_err *err)
{
    if (g->failed)
        return pn_fail(err, PN_ERR_RUNTIME, "graph construction failed: out of memory or a layer "
                                            "whose input shape does not fit it (a bug in the model)");
    if (!g->n_inputs || !g->n_outputs || g->loss == PN_NONE || max_batch == 0)
        return pn_fail(err, PN_ERR_RUNTIME, "graph has no input, output or loss (a bug in the model)");
    if (g->loss >= g->n_nodes || g->nodes[g->loss].rmul != 0)
        return pn_fail(err, PN_ERR_RUNTIME, "graph loss must be a scalar (a bug in the model)");
    pn_graph_fuse(g);
    for (size_t i = 0; i < g->n_nodes; i++)
        if (pn_desc(&g->nodes[i])->flags & PN_OPF_PATTERN)
            return pn_fail(err, PN_ERR_RUNTIME, "%s (node %zu) runs only in a conv2d -> batchnorm "
                           "-> relu -> maxpool block, each the only reader of the one before "
                           "(a bug in the model)", pn_op_name(g->nodes[i].op), i);
    mark_flags(g);
    pn_graph_fuse_first_convs(g);
    size_t total = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        total += layout_node(g, i, max_batch, NULL);
    g->arena = pn_big_calloc(total ? total : 1, sizeof(float));
    g->arena_floats = g->arena ? total : 0; /* what pn_graph_free releases */
    g->params = calloc(2 * g->n_params + 1, sizeof(float));
    g->state = calloc(g->n_state + 1, sizeof(float));
    if (alloc_targets(g, max_batch) != 0 || !g->arena || !g->params || !g->state)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory allocating %zu MB for the model",
                       (total + 2 * g->n_params) * sizeof(float) >> 20);
    g->grads = g->params + g->n_params;
    size_t used = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        used += layout_node(g, i, max_batch, g->arena + used);
    g->max_batch = max_batch;
    g->pool = pool;
    return PN_OK;
}

void pn_graph_init_params(pn_graph *g, pn_rng *rng)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        const pn_op_desc *d = pn_desc(&g->nodes[i]);
        if (d->init) {
            const pn_op_call c = pn_node_call(g, i, g->max_batch, 1, 1);
            d->init(&c, rng);
        }
    }
}

const char *pn_op_name(pn_op op)
{
    const pn_op_desc *d = pn_op_desc_of(op);
    return d ? d->name : "?";
}
