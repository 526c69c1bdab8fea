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
    if (n->n_in)
        c.in_bias = slice(g->params, g->nodes[n->in[0]].b_off);
    for (size_t s = 0; s < PN_MAX_BUFS; s++)
        c.buf[s] = n->buf[s];
    if (pn_desc(n)->flags & PN_OPF_LABELS)
        c.labels = g->labels[n->p.ce.labels];
    return c;
}

float *pn_graph_input(pn_graph *g) { return g->nodes[g->input].val; }
const float *pn_graph_output(const pn_graph *g) { return g->nodes[g->output].val; }

void pn_graph_set_label(pn_graph *g, size_t batch, size_t i, uint8_t target, uint8_t d1,
                        uint8_t d2)
{
    g->labels[PN_LABEL_TARGET][i] = target;
    g->labels[PN_LABEL_DIGIT1][i] = d1;
    g->labels[PN_LABEL_DIGIT2][i] = d2;
    g->labels[PN_LABEL_DIGITS][i] = d1;
    g->labels[PN_LABEL_DIGITS][batch + i] = d2;
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
