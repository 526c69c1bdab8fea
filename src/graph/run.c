/* Running a finalized graph: forward over the nodes in order, backward in
 * reverse, each node through its op's descriptor. */
#include <string.h>

#include "graph_impl.h"
#include "pairnet/base/clock.h"

static pn_tensor tensor_of(const pn_node *n, size_t batch, int pointers, int own)
{
    pn_tensor t = {.rows = pn_rows_of(n, batch), .c = n->c, .h = n->h, .w = n->w,
                   .needs_grad = n->needs_grad};
    if (pointers) {
        t.val = n->val;
        /* an input's gradient only when something wants it; a node's own
         * always (its readers have added to it) */
        t.grad = own || n->needs_grad ? n->grad : NULL;
    }
    return t;
}

static float *slice(float *base, size_t off) { return base && off != PN_NONE ? base + off : NULL; }

pn_op_call pn_node_call(const pn_graph *g, size_t i, size_t batch, int training, int pointers)
{
    const pn_node *n = &g->nodes[i];
    pn_op_call c;
    memset(&c, 0, sizeof c);
    c.a = &n->p;
    c.n_in = n->n_in;
    for (size_t j = 0; j < n->n_in; j++)
        c.in[j] = tensor_of(&g->nodes[n->in[j]], batch, pointers, 0);
    c.out = tensor_of(n, batch, pointers, 1);
    c.batch = batch;
    c.training = training;
    c.bn = g->bn;
    c.pool = g->pool;
    /* each node its own dropout mask: the node's id mixed into the key */
    c.key = g->noise_key ^ ((uint64_t)i << 48);
    if (!pointers)
        return c;
    c.w = slice(g->params, n->w_off);
    c.b = slice(g->params, n->b_off);
    c.dw = slice(g->grads, n->w_off);
    c.db = slice(g->grads, n->b_off);
    c.state = slice(g->state, n->s_off);
    if (n->n_in) {
        c.in_bias = slice(g->params, g->nodes[n->in[0]].b_off);
        c.in_w = slice(g->params, g->nodes[n->in[0]].w_off);
        c.in_dw = slice(g->grads, g->nodes[n->in[0]].w_off);
    }
    for (size_t s = 0; s < PN_MAX_BUFS; s++)
        c.buf[s] = n->buf[s];
    if (pn_desc(n)->flags & PN_OPF_LABELS)
        c.labels = g->targets[n->p.ce.labels].val;
    return c;
}

/* ---- binding by name ---- */

static const pn_port *port(const pn_port *ports, size_t n, const char *name)
{
    const size_t i = pn_port_index(ports, n, name);
    return i != PN_NONE ? &ports[i] : NULL;
}

const char *pn_graph_name(const pn_graph *g, pn_port_kind kind, size_t i)
{
    switch (kind) {
    case PN_PORT_INPUT:
        return i < g->n_inputs ? g->inputs[i].name : NULL;
    case PN_PORT_TARGET:
        return i < g->n_targets ? g->targets[i].name : NULL;
    case PN_PORT_OUTPUT:
        return i < g->n_outputs ? g->outputs[i].name : NULL;
    }
    return NULL;
}

float *pn_graph_input(pn_graph *g, const char *name)
{
    const pn_port *p = port(g->inputs, g->n_inputs, name);
    return p ? g->nodes[p->node].val : NULL;
}

static const pn_target_set *target_of(const pn_graph *g, const char *name)
{
    const size_t t = pn_target_index(g, name);
    return t != PN_NONE ? &g->targets[t] : NULL;
}

uint8_t *pn_graph_target(pn_graph *g, const char *name)
{
    const pn_target_set *t = target_of(g, name);
    return t ? t->val : NULL;
}

int pn_graph_set_input(pn_graph *g, const char *name, const float *x, size_t batch,
                       size_t per_example)
{
    const pn_port *p = port(g->inputs, g->n_inputs, name);
    if (!p || batch > g->max_batch)
        return -1;
    const pn_node *n = &g->nodes[p->node];
    if (n->c * n->h * n->w != per_example)
        return -1;
    memcpy(n->val, x, batch * per_example * sizeof *x);
    return 0;
}

int pn_graph_set_target(pn_graph *g, const char *name, const uint8_t *y, size_t batch,
                        size_t rmul)
{
    const pn_target_set *t = target_of(g, name);
    if (!t || batch > g->max_batch || t->rmul != rmul)
        return -1;
    memcpy(t->val, y, t->rmul * batch);
    return 0;
}

const float *pn_graph_output(const pn_graph *g, const char *name, size_t *rmul, size_t *cols)
{
    const pn_port *p = port(g->outputs, g->n_outputs, name);
    if (!p)
        return NULL;
    const pn_node *n = &g->nodes[p->node];
    if (rmul)
        *rmul = n->rmul;
    if (cols)
        *cols = n->c * n->h * n->w;
    return n->val;
}

float pn_graph_forward(pn_graph *g, size_t batch, int training)
{
    g->batch = batch;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const pn_op_desc *d = pn_desc(&g->nodes[i]);
        if (!d->forward || (!training && !g->nodes[i].for_output))
            continue;
        const double t = g->prof ? pn_now() : 0.0;
        const pn_op_call c = pn_node_call(g, i, batch, training, 1);
        d->forward(&c);
        if (g->prof)
            g->prof[2 * i] += pn_now() - t;
    }
    return training ? g->nodes[g->loss].val[0] : 0.0f;
}

void pn_graph_backward(pn_graph *g)
{
    const size_t B = g->batch;
    for (size_t i = 0; i < g->n_nodes; i++) {
        pn_node *n = &g->nodes[i];
        /* nothing reads the gradient of a node that needs none */
        if (n->grad && n->needs_grad && !n->grad_set)
            memset(n->grad, 0, pn_rows_of(n, B) * n->c * n->h * n->w * sizeof(float));
    }
    g->nodes[g->loss].grad[0] = 1.0f;
    for (size_t i = g->n_nodes; i-- > 0;) {
        const pn_op_desc *d = pn_desc(&g->nodes[i]);
        if (!d->backward || !g->nodes[i].needs_grad)
            continue;
        const double t = g->prof ? pn_now() : 0.0;
        const pn_op_call c = pn_node_call(g, i, B, 1, 1);
        d->backward(&c);
        if (g->prof)
            g->prof[2 * i + 1] += pn_now() - t;
    }
}

void pn_graph_zero_grads(pn_graph *g) { memset(g->grads, 0, g->n_params * sizeof(float)); }
