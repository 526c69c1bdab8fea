/* Building a graph: each builder fills an op's attributes and appends a
 * node whose shape and parameter counts the op's shape rule gives. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_impl.h"
#include "pairnet/base/bigalloc.h"

pn_graph *pn_graph_new(void)
{
    pn_graph *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->loss = PN_NONE;
    g->bn.eps = 1e-5f;
    g->bn.momentum = 0.1f;
    return g;
}

void pn_graph_free(pn_graph *g)
{
    if (!g)
        return;
    free(g->nodes);
    free(g->params); /* grads live in the same block */
    free(g->state);
    pn_big_free(g->arena, g->arena_floats ? g->arena_floats : 1, sizeof(float));
    free(g->targets[0].val); /* every target's labels */
    free(g);
}

/* A builder call with impossible arguments, or on an earlier failure,
 * poisons the graph; finalize reports it. */
static size_t refuse(pn_graph *g)
{
    g->failed = 1;
    return PN_NONE;
}

size_t pn_graph_add(pn_graph *g, pn_op op, const size_t *in, size_t n_in, pn_op_attr a)
{
    const pn_op_desc *d = pn_op_desc_of(op);
    if (g->failed || !d || !d->shape || n_in > PN_MAX_IN)
        return refuse(g);
    pn_shape ins[PN_MAX_IN], out;
    for (size_t i = 0; i < n_in; i++) {
        if (in[i] >= g->n_nodes) /* an earlier builder call failed */
            return refuse(g);
        const pn_node *x = &g->nodes[in[i]];
        ins[i] = (pn_shape){.rmul = x->rmul, .c = x->c, .h = x->h, .w = x->w};
    }
    pn_op_sizes sz = {0, 0, 0};
    if (!d->shape(ins, n_in, &a, &out, &sz))
        return refuse(g);
    if (g->n_nodes == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 32;
        pn_node *nodes = realloc(g->nodes, cap * sizeof *nodes);
        if (!nodes)
            return refuse(g);
        g->nodes = nodes;
        g->cap = cap;
    }
    pn_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->p = a;
    n->n_in = n_in;
    for (size_t i = 0; i < n_in; i++)
        n->in[i] = in[i];
    n->rmul = out.rmul;
    n->c = out.c;
    n->h = out.h;
    n->w = out.w;
    n->w_off = sz.w ? g->n_params : PN_NONE;
    g->n_params += sz.w;
    n->b_off = sz.b ? g->n_params : PN_NONE;
    g->n_params += sz.b;
    n->s_off = sz.state ? g->n_state : PN_NONE;
    g->n_state += sz.state;
    return g->n_nodes++;
}

/* ---- the builders ---- */

static const pn_op_attr no_attr; /* the ops that have no attributes */

static size_t add1(pn_graph *g, pn_op op, size_t x, pn_op_attr a)
{
    return pn_graph_add(g, op, &x, 1, a);
}

size_t pn_port_index(const pn_port *ports, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ports[i].name, name) == 0)
            return i;
    return PN_NONE;
}

size_t pn_target_index(const pn_graph *g, const char *name)
{
    for (size_t t = 0; t < g->n_targets; t++)
        if (strcmp(g->targets[t].name, name) == 0)
            return t;
    return PN_NONE;
}

/* Appends (name, node) to ports unless the name is taken, too long, or
 * there is no room. */
static size_t add_port(pn_graph *g, pn_port *ports, size_t *n, const char *name, size_t node)
{
    if (node == PN_NONE || *n == PN_MAX_PORTS || strlen(name) >= PN_NAME_CAP ||
        pn_port_index(ports, *n, name) != PN_NONE)
        return refuse(g);
    snprintf(ports[*n].name, PN_NAME_CAP, "%s", name);
    ports[(*n)++].node = node;
    return node;
}

size_t pn_input(pn_graph *g, const char *name, size_t c, size_t h, size_t w)
{
    size_t id = pn_graph_add(g, PN_OP_INPUT, NULL, 0,
                             (pn_op_attr){.input = {.c = c, .h = h, .w = w}});
    return add_port(g, g->inputs, &g->n_inputs, name, id);
}

size_t pn_output(pn_graph *g, const char *name, size_t x)
{
    if (x >= g->n_nodes)
        return refuse(g);
    return add_port(g, g->outputs, &g->n_outputs, name, x);
}

size_t pn_target(pn_graph *g, const char *name, size_t rmul)
{
    const size_t had = pn_target_index(g, name);
    if (had != PN_NONE)
        return g->targets[had].rmul == rmul ? had : refuse(g);
    if (g->failed || rmul == 0 || g->n_targets == PN_MAX_PORTS || strlen(name) >= PN_NAME_CAP)
        return refuse(g);
    pn_target_set *t = &g->targets[g->n_targets];
    snprintf(t->name, PN_NAME_CAP, "%s", name);
    t->rmul = rmul;
    return g->n_targets++;
}

size_t pn_linear(pn_graph *g, size_t x, size_t out)
{
    return add1(g, PN_OP_LINEAR, x, (pn_op_attr){.linear = {.out_f = out}});
}

size_t pn_conv2d(pn_graph *g, size_t x, size_t cout, size_t k)
{
    return add1(g, PN_OP_CONV2D, x, (pn_op_attr){.conv = {.cout = cout, .k = k}});
}

size_t pn_batchnorm(pn_graph *g, size_t x)
{
    if (x >= g->n_nodes)
        return refuse(g);
    const pn_node *in = &g->nodes[x];
    const pn_op op = in->h * in->w > 1 ? PN_OP_BATCHNORM2D : PN_OP_BATCHNORM;
    return add1(g, op, x, no_attr);
}

size_t pn_relu(pn_graph *g, size_t x) { return add1(g, PN_OP_RELU, x, no_attr); }

size_t pn_dropout(pn_graph *g, size_t x, float p)
{
    if (!(p >= 0.0f && p < 1.0f))
        return refuse(g);
    if (p == 0.0f)
        return x;
    return add1(g, PN_OP_DROPOUT, x, (pn_op_attr){.dropout = {.p = p}});
}

size_t pn_softmax(pn_graph *g, size_t x)
{
    return add1(g, PN_OP_SOFTMAX, x, no_attr);
}

size_t pn_prob_le(pn_graph *g, size_t x)
{
    return add1(g, PN_OP_PROB_LE, x, no_attr);
}

size_t pn_maxpool2(pn_graph *g, size_t x)
{
    return add1(g, PN_OP_MAXPOOL2, x, no_attr);
}

size_t pn_select(pn_graph *g, size_t x, size_t channel)
{
    return add1(g, PN_OP_SELECT, x, (pn_op_attr){.select = {.channel = channel}});
}

size_t pn_unstack(pn_graph *g, size_t x)
{
    return add1(g, PN_OP_UNSTACK, x, no_attr);
}

size_t pn_restack(pn_graph *g, size_t x)
{
    return add1(g, PN_OP_RESTACK, x, no_attr);
}

size_t pn_concat(pn_graph *g, size_t a, size_t b)
{
    const size_t in[2] = {a, b};
    return pn_graph_add(g, PN_OP_CONCAT, in, 2, no_attr);
}

size_t pn_cross_entropy(pn_graph *g, size_t logits, size_t target)
{
    /* one label per row of the logits */
    if (logits >= g->n_nodes || target >= g->n_targets ||
        g->nodes[logits].rmul != g->targets[target].rmul)
        return refuse(g);
    return add1(g, PN_OP_CROSS_ENTROPY, logits, (pn_op_attr){.ce = {.labels = (int)target}});
}

size_t pn_loss_sum(pn_graph *g, size_t n, const size_t *losses, const float *weights)
{
    if (n == 0 || n > PN_MAX_IN)
        return refuse(g);
    pn_op_attr a = {.sum = {{0}}};
    for (size_t i = 0; i < n; i++)
        a.sum.weight[i] = weights[i];
    return pn_graph_add(g, PN_OP_LOSS_SUM, losses, n, a);
}

double pn_graph_forward_macs(const pn_graph *g)
{
    double macs = 0.0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const pn_op_desc *d = pn_desc(&g->nodes[i]);
        if (d->macs) {
            const pn_op_call c = pn_node_call(g, i, 1, 0, 0);
            macs += (double)g->nodes[i].rmul * d->macs(&c);
        }
    }
    return macs;
}
