#define _POSIX_C_SOURCE 200809L
#include "pairnet/graph/graph.h"

#include "pairnet/base/bigalloc.h"
#include "pairnet/base/pool.h"
#include "pairnet/base/clock.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- building ---- */

pn_graph *pn_graph_new(void)
{
    pn_graph *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->input = g->output = g->loss = g->digits = PN_NONE;
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
    free(g->arena);
    free(g->labels[0]);
    free(g);
}

static size_t rows_of(const pn_node *n, size_t batch) { return n->rmul ? n->rmul * batch : 1; }
static size_t row_size(const pn_node *n) { return n->c * n->h * n->w; }

/* Appends a node of the given op and row shape reading `in`; parameters of
 * nw + nb floats and ns floats of state are reserved in the flat arrays. */
static size_t add_node(pn_graph *g, pn_op op, const size_t *in, size_t n_in, size_t rmul,
                       size_t c, size_t h, size_t w, size_t nw, size_t nb, size_t ns)
{
    if (g->failed)
        return PN_NONE;
    for (size_t i = 0; i < n_in; i++)
        if (in[i] >= g->n_nodes) { /* an earlier builder call failed */
            g->failed = 1;
            return PN_NONE;
        }
    if (g->n_nodes == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 32;
        pn_node *nodes = realloc(g->nodes, cap * sizeof *nodes);
        if (!nodes) {
            g->failed = 1;
            return PN_NONE;
        }
        g->nodes = nodes;
        g->cap = cap;
    }
    pn_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->n_in = n_in;
    for (size_t i = 0; i < n_in; i++)
        n->in[i] = in[i];
    n->rmul = rmul;
    n->c = c;
    n->h = h;
    n->w = w;
    n->w_off = nw ? g->n_params : PN_NONE;
    g->n_params += nw;
    n->b_off = nb ? g->n_params : PN_NONE;
    g->n_params += nb;
    n->s_off = ns ? g->n_state : PN_NONE;
    g->n_state += ns;
    return g->n_nodes++;
}

size_t pn_input(pn_graph *g, size_t c, size_t h, size_t w)
{
    size_t id = add_node(g, PN_OP_INPUT, NULL, 0, 1, c, h, w, 0, 0, 0);
    if (id != PN_NONE)
        g->input = id;
    return id;
}

/* A builder call with impossible arguments poisons the graph; finalize reports it. */
static size_t refuse(pn_graph *g)
{
    g->failed = 1;
    return PN_NONE;
}

/* Inputs of a builder call, checked before use (an earlier failure gives PN_NONE). */
static const pn_node *node_or_null(pn_graph *g, size_t x)
{
    return x < g->n_nodes ? &g->nodes[x] : NULL;
}

size_t pn_linear(pn_graph *g, size_t x, size_t out)
{
    const pn_node *in = node_or_null(g, x);
    if (!in)
        return refuse(g);
    size_t fin = row_size(in), rmul = in->rmul;
    size_t id = add_node(g, PN_OP_LINEAR, &x, 1, rmul, out, 1, 1, out * fin, out, 0);
    if (id != PN_NONE) {
        g->nodes[id].p.linear.in_f = fin;
        g->nodes[id].p.linear.out_f = out;
    }
    return id;
}

size_t pn_conv2d(pn_graph *g, size_t x, size_t cout, size_t k)
{
    const pn_node *in = node_or_null(g, x);
    if (!in || k == 0 || in->h < k || in->w < k)
        return refuse(g);
    size_t cin = in->c, fan = cin * k * k;
    size_t id = add_node(g, PN_OP_CONV2D, &x, 1, in->rmul, cout, in->h - k + 1, in->w - k + 1,
                         cout * fan, cout, 0);
    if (id != PN_NONE) {
        g->nodes[id].p.conv.cin = cin;
        g->nodes[id].p.conv.cout = cout;
        g->nodes[id].p.conv.k = k;
    }
    return id;
}

size_t pn_batchnorm(pn_graph *g, size_t x)
{
    const pn_node *in = node_or_null(g, x);
    if (!in)
        return refuse(g);
    return add_node(g, PN_OP_BATCHNORM, &x, 1, in->rmul, in->c, in->h, in->w, in->c, in->c,
                    2 * in->c);
}

/* An op without parameters whose output has its input's shape. */
static size_t elementwise(pn_graph *g, pn_op op, size_t x)
{
    const pn_node *in = node_or_null(g, x);
    if (!in)
        return refuse(g);
    return add_node(g, op, &x, 1, in->rmul, in->c, in->h, in->w, 0, 0, 0);
}

size_t pn_relu(pn_graph *g, size_t x) { return elementwise(g, PN_OP_RELU, x); }

size_t pn_dropout(pn_graph *g, size_t x, float p)
{
    if (!(p >= 0.0f && p < 1.0f))
        return refuse(g);
    if (p == 0.0f)
        return x;
    size_t id = elementwise(g, PN_OP_DROPOUT, x);
    if (id != PN_NONE)
        g->nodes[id].p.dropout.p = p;
    return id;
}

size_t pn_softmax(pn_graph *g, size_t x) { return elementwise(g, PN_OP_SOFTMAX, x); }

size_t pn_maxpool2(pn_graph *g, size_t x)
{
    const pn_node *in = node_or_null(g, x);
    if (!in)
        return refuse(g);
    return add_node(g, PN_OP_MAXPOOL2, &x, 1, in->rmul, in->c, in->h / 2, in->w / 2, 0, 0, 0);
}

size_t pn_select(pn_graph *g, size_t x, size_t channel)
{
    const pn_node *in = node_or_null(g, x);
    if (!in || channel >= in->c) 
        return refuse(g);
    size_t id = add_node(g, PN_OP_SELECT, &x, 1, in->rmul, 1, in->h, in->w, 0, 0, 0);
    if (id != PN_NONE)
        g->nodes[id].p.select.channel = channel;
    return id;
}

size_t pn_unstack(pn_graph *g, size_t x)
{
    const pn_node *in = node_or_null(g, x);
    if (!in || in->c != 2 || in->rmul != 1) 
        return refuse(g);
    return add_node(g, PN_OP_UNSTACK, &x, 1, 2, 1, in->h, in->w, 0, 0, 0);
}

size_t pn_restack(pn_graph *g, size_t x)
{
    const pn_node *in = node_or_null(g, x);
    if (!in || in->rmul != 2) 
        return refuse(g);
    return add_node(g, PN_OP_RESTACK, &x, 1, 1, 2 * row_size(in), 1, 1, 0, 0, 0);
}

size_t pn_concat(pn_graph *g, size_t a, size_t b)
{
    const pn_node *na = node_or_null(g, a), *nb = node_or_null(g, b);
    if (!na || !nb || na->rmul != nb->rmul) 
        return refuse(g);
    size_t in[2] = {a, b};
    return add_node(g, PN_OP_CONCAT, in, 2, na->rmul, row_size(na) + row_size(nb), 1, 1, 0, 0, 0);
}

size_t pn_cross_entropy(pn_graph *g, size_t logits, pn_label_set labels)
{
    const pn_node *in = node_or_null(g, logits);
    size_t want_rmul = labels == PN_LABEL_DIGITS ? 2 : 1;
    if (!in || in->rmul != want_rmul || labels >= PN_N_LABEL_SETS) 
        return refuse(g);
    size_t id = add_node(g, PN_OP_CROSS_ENTROPY, &logits, 1, 0, 1, 1, 1, 0, 0, 0);
    if (id != PN_NONE)
        g->nodes[id].p.ce.labels = labels;
    return id;
}

size_t pn_loss_sum(pn_graph *g, size_t n, const size_t *losses, const float *weights)
{
    if (n == 0 || n > PN_MAX_IN) 
        return refuse(g);
    for (size_t i = 0; i < n; i++) {
        const pn_node *in = node_or_null(g, losses[i]);
        if (!in || in->rmul != 0) {
            g->failed = 1;
            return PN_NONE;
        }
    }
    size_t id = add_node(g, PN_OP_LOSS_SUM, losses, n, 0, 1, 1, 1, 0, 0, 0);
    if (id != PN_NONE)
        for (size_t i = 0; i < n; i++)
            g->nodes[id].p.sum.weight[i] = weights[i];
    return id;
}

/* ---- finalizing: one arena for every buffer ---- */

#define ALIGN_FLOATS 16 /* 64-byte slices: whole cache lines, aligned vector loads */

static size_t round_up(size_t n) { return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS; }

/* The buffers of one node, in floats, at batch B. Run twice: once to size
 * the arena (base NULL), once to hand out slices. */
static size_t layout_node(pn_graph *g, pn_node *n, size_t B, float *base)
{
    size_t used = 0;
#define TAKE(field, type, count)                                                   \
    do {                                                                           \
        size_t cnt_ = (count);                                                     \
        if (base)                                                                  \
            n->field = (type *)(void *)(base + used);                              \
        used += round_up(cnt_);                                                    \
    } while (0)
    const size_t rows = rows_of(n, B), len = rows * row_size(n);
    /* the BN and ReLU of a fused chain have no activations of their own */
    if (!(n->fused && (n->op == PN_OP_BATCHNORM || n->op == PN_OP_RELU))) {
        TAKE(val, float, len);
        TAKE(grad, float, len);
    }
    const pn_node *in = n->n_in ? &g->nodes[n->in[0]] : NULL;
    switch (n->op) {
    case PN_OP_CONV2D: {
        size_t K = n->p.conv.cin * n->p.conv.k * n->p.conv.k, P = n->h * n->w;
        TAKE(save, float, K * rows * P);            /* im2col */
        if (!n->fused)
            TAKE(work, float, n->c * rows * P);     /* GEMM output */
        else if (!in->batch_inner)
            TAKE(work, float, rows * row_size(in)); /* input as [C, H, W, B] */
        if (in->needs_grad)
            TAKE(work2, float, K * rows * P);       /* dcol */
        break;
    }
    case PN_OP_BATCHNORM:
        if (n->fused) {
            TAKE(work, float, 2 * n->c); /* batch mean, inverse std */
            const pn_node *pool = &g->nodes[n->fused_pool];
            TAKE(work2, float, rows_of(pool, B) * row_size(pool)); /* winner gradients */
            break;
        }
        TAKE(save, float, len); /* xhat */
        TAKE(work, float, n->c); /* inverse std */
        break;
    case PN_OP_MAXPOOL2:
        TAKE(save, float, len); /* winner positions */
        break;
    case PN_OP_DROPOUT:
        TAKE(save, float, len); /* mask */
        break;
    case PN_OP_CROSS_ENTROPY:
        TAKE(save, float, rows_of(in, B) * row_size(in)); /* softmax */
        break;
    default:
        break;
    }
#undef TAKE
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
    }
    g->nodes[g->output].for_output = 1;
    for (size_t i = g->n_nodes; i-- > 0;)
        if (g->nodes[i].for_output)
            for (size_t j = 0; j < g->nodes[i].n_in; j++)
                g->nodes[g->nodes[i].in[j]].for_output = 1;
}

/* The node that reads node i, if exactly one node reads it exactly once. */
static size_t sole_reader(const pn_graph *g, size_t i)
{
    size_t r = PN_NONE, count = 0;
    for (size_t j = i + 1; j < g->n_nodes; j++)
        for (size_t k = 0; k < g->nodes[j].n_in; k++)
            if (g->nodes[j].in[k] == i) {
                r = j;
                count++;
            }
    return count == 1 ? r : PN_NONE;
}

/* Peephole: conv -> BN -> ReLU -> max-pool where each is the only reader
 * of the one before runs as conv (channel-major, no transposes) + one
 * fused BN/ReLU/pool pass (src/ops/bnpool.c). */
static void fuse_chains(pn_graph *g)
{
    for (size_t i = 0; i < g->n_nodes && !g->no_fuse; i++) {
        if (g->nodes[i].op != PN_OP_CONV2D || i == g->output)
            continue;
        const size_t bn = sole_reader(g, i);
        if (bn == PN_NONE || g->nodes[bn].op != PN_OP_BATCHNORM || bn == g->output)
            continue;
        const size_t relu = sole_reader(g, bn);
        if (relu == PN_NONE || g->nodes[relu].op != PN_OP_RELU || relu == g->output)
            continue;
        const size_t pool = sole_reader(g, relu);
        if (pool == PN_NONE || g->nodes[pool].op != PN_OP_MAXPOOL2)
            continue;
        g->nodes[i].fused = g->nodes[bn].fused = g->nodes[relu].fused = 1;
        g->nodes[pool].fused = 1;
        g->nodes[i].batch_inner = 1;
        g->nodes[bn].fused_pool = pool;
    }
    /* a fused pool feeding a fused conv hands it [C, H, W, B] directly */
    for (size_t i = 0; i < g->n_nodes; i++) {
        const size_t r = sole_reader(g, i);
        if (g->nodes[i].op == PN_OP_MAXPOOL2 && g->nodes[i].fused && r != PN_NONE &&
            g->nodes[r].op == PN_OP_CONV2D && g->nodes[r].fused)
            g->nodes[i].batch_inner = 1;
    }
}

int pn_graph_finalize(pn_graph *g, size_t max_batch, struct pn_pool *pool, pn_err *err)
{
    if (g->failed)
        return pn_fail(err, PN_ERR_RUNTIME, "graph construction failed: out of memory or a layer "
                                            "whose input shape does not fit it (a bug in the model)");
    if (g->input == PN_NONE || g->output == PN_NONE || g->loss == PN_NONE || max_batch == 0)
        return pn_fail(err, PN_ERR_RUNTIME, "graph has no input, output or loss (a bug in the model)");
    if (g->nodes[g->output].rmul != 1 || g->nodes[g->loss].rmul != 0)
        return pn_fail(err, PN_ERR_RUNTIME, "graph output must be per pair and loss a scalar");
    mark_flags(g);
    fuse_chains(g);
    size_t total = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        total += layout_node(g, &g->nodes[i], max_batch, NULL);
    g->arena = pn_big_calloc(total ? total : 1, sizeof(float));
    g->params = calloc(2 * g->n_params + 1, sizeof(float));
    g->state = calloc(g->n_state + 1, sizeof(float));
    g->labels[0] = calloc(5 * max_batch, 1);
    if (!g->arena || !g->params || !g->state || !g->labels[0])
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory allocating %zu MB for the model",
                       (total + 2 * g->n_params) * sizeof(float) >> 20);
    g->arena_floats = total;
    g->grads = g->params + g->n_params;
    g->labels[PN_LABEL_DIGIT1] = g->labels[0] + max_batch;
    g->labels[PN_LABEL_DIGIT2] = g->labels[0] + 2 * max_batch;
    g->labels[PN_LABEL_DIGITS] = g->labels[0] + 3 * max_batch;
    size_t used = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        used += layout_node(g, &g->nodes[i], max_batch, g->arena + used);
    g->max_batch = max_batch;
    g->pool = pool;
    return PN_OK;
}

void pn_graph_init_params(pn_graph *g, pn_rng *rng)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        pn_node *n = &g->nodes[i];
        float *w = n->w_off != PN_NONE ? g->params + n->w_off : NULL;
        float *b = n->b_off != PN_NONE ? g->params + n->b_off : NULL;
        size_t fan = 0, nw = 0;
        switch (n->op) {
        case PN_OP_LINEAR:
            fan = n->p.linear.in_f;
            nw = fan * n->p.linear.out_f;
            break;
        case PN_OP_CONV2D:
            fan = n->p.conv.cin * n->p.conv.k * n->p.conv.k;
            nw = fan * n->p.conv.cout;
            break;
        case PN_OP_BATCHNORM:
            for (size_t c = 0; c < n->c; c++) {
                w[c] = 1.0f;
                b[c] = 0.0f;
                g->state[n->s_off + c] = 0.0f;        /* running mean */
                g->state[n->s_off + n->c + c] = 1.0f; /* running var */
            }
            continue;
        default:
            continue;
        }
        const float a = 1.0f / sqrtf((float)fan);
        for (size_t j = 0; j < nw; j++)
            w[j] = pn_rng_sym(rng, a);
        for (size_t j = 0; j < n->c; j++)
            b[j] = pn_rng_sym(rng, a);
    }
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

/* ---- running ---- */

/* ---- the memory-bound layers, split over the pool ----
 * Each part writes its own channels, planes or elements, so the result is
 * the same for any thread count. */

typedef struct node_job {
    pn_graph *g;
    pn_node *n;
    size_t rows;
    int training;
} node_job;

static void bn_forward_part(void *arg, size_t c0, size_t c1)
{
    const node_job *j = arg;
    pn_node *n = j->n;
    const pn_node *a = &j->g->nodes[n->in[0]];
    float *P = j->g->params, *st = j->g->state + n->s_off;
    if (j->training)
        pn_bn_forward_train_part(n->val, n->save, n->work, st, st + n->c, a->val, P + n->w_off,
                                 P + n->b_off, j->rows, n->c, n->h * n->w, j->g->bn, c0, c1);
    else
        pn_bn_forward_eval_part(n->val, a->val, P + n->w_off, P + n->b_off, st, st + n->c,
                                j->rows, n->c, n->h * n->w, j->g->bn, c0, c1);
}

static void bn_backward_part(void *arg, size_t c0, size_t c1)
{
    const node_job *j = arg;
    pn_node *n = j->n, *a = &j->g->nodes[n->in[0]];
    float *P = j->g->params, *G = j->g->grads;
    pn_bn_backward_part(a->needs_grad ? a->grad : NULL, G + n->w_off, G + n->b_off, n->grad,
                        n->save, n->work, P + n->w_off, j->rows, n->c, n->h * n->w, c0, c1);
}

static void relu_forward_part(void *arg, size_t b, size_t e)
{
    const node_job *j = arg;
    pn_relu_forward(j->n->val + b, j->g->nodes[j->n->in[0]].val + b, e - b);
}

static void relu_backward_part(void *arg, size_t b, size_t e)
{
    const node_job *j = arg;
    pn_relu_backward(j->g->nodes[j->n->in[0]].grad + b, j->n->grad + b, j->n->val + b, e - b);
}

/* planes [p0, p1) of the B*C maps */
static void pool_forward_part(void *arg, size_t p0, size_t p1)
{
    const node_job *j = arg;
    const pn_node *n = j->n, *a = &j->g->nodes[n->in[0]];
    const size_t in_plane = a->h * a->w, out_plane = n->h * n->w;
    pn_maxpool2_forward(n->val + p0 * out_plane, n->save + p0 * out_plane,
                        a->val + p0 * in_plane, 1, p1 - p0, a->h, a->w);
}

static void pool_backward_part(void *arg, size_t p0, size_t p1)
{
    const node_job *j = arg;
    const pn_node *n = j->n, *a = &j->g->nodes[n->in[0]];
    const size_t in_plane = a->h * a->w, out_plane = n->h * n->w;
    pn_maxpool2_backward(a->grad + p0 * in_plane, n->grad + p0 * out_plane,
                         n->save + p0 * out_plane, 1, p1 - p0, a->h, a->w);
}

/* Below this many values a memory-bound pass takes a few microseconds,
 * about what waking the pool costs: it runs on the calling thread. */
#define PAR_MIN_VALUES 32768

/* pn_pool_for for the pass over a node of `values` values */
static void node_for(pn_graph *g, size_t values, size_t n, pn_range_fn fn, void *ctx)
{
    if (values < PAR_MIN_VALUES)
        fn(ctx, 0, n);
    else
        pn_pool_for(g->pool, n, fn, ctx);
}

/* ---- a fused conv -> BN -> ReLU -> max-pool chain, run at its BN node ---- */

typedef struct bnpool_job {
    pn_bnpool p;
    int training;
} bnpool_job;

static bnpool_job bnpool_of(pn_graph *g, pn_node *bn, size_t R, int training)
{
    const pn_node *conv = &g->nodes[bn->in[0]];
    pn_node *pool = &g->nodes[bn->fused_pool];
    float *P = g->params, *G = g->grads, *st = g->state + bn->s_off;
    bnpool_job j;
    j.p.B = R;
    j.p.C = bn->c;
    j.p.H = bn->h;
    j.p.W = bn->w;
    j.p.out_bi = pool->batch_inner;
    j.p.x = conv->val;
    j.p.bias = P + conv->b_off;
    j.p.gamma = P + bn->w_off;
    j.p.beta = P + bn->b_off;
    j.p.run_mean = st;
    j.p.run_var = st + bn->c;
    j.p.stat = bn->work;
    j.p.out = pool->val;
    j.p.arg = pool->save;
    j.p.dout = pool->grad;
    j.p.dx = conv->grad;
    j.p.gw = bn->work2;
    j.p.dgamma = G + bn->w_off;
    j.p.dbeta = G + bn->b_off;
    j.p.cfg = g->bn;
    j.training = training;
    return j;
}

static void bnpool_forward_part(void *arg, size_t c0, size_t c1)
{
    const bnpool_job *j = arg;
    if (j->training)
        pn_bnpool_forward_train(&j->p, c0, c1);
    else
        pn_bnpool_forward_eval(&j->p, c0, c1);
}

static void bnpool_backward_part(void *arg, size_t c0, size_t c1)
{
    const bnpool_job *j = arg;
    pn_bnpool_backward(&j->p, c0, c1);
}

static void forward_node(pn_graph *g, pn_node *n, size_t B, int training)
{
    const pn_node *a = n->n_in ? &g->nodes[n->in[0]] : NULL;
    const size_t R = rows_of(n, B);
    float *P = g->params;
    node_job job = {g, n, R, training};
    switch (n->op) {
    case PN_OP_INPUT:
        break;
    case PN_OP_LINEAR:
        pn_linear_forward(g->pool, n->val, a->val, P + n->w_off, P + n->b_off, R,
                          n->p.linear.in_f, n->p.linear.out_f);
        break;
    case PN_OP_CONV2D:
        if (n->fused) {
            pn_conv2d_forward_cm(g->pool, n->val, n->save, n->work, a->val, a->batch_inner,
                                 P + n->w_off, R, a->c, a->h, a->w, n->c, n->p.conv.k);
            break;
        }
        pn_conv2d_forward(g->pool, n->val, n->save, n->work, a->val, P + n->w_off, P + n->b_off,
                          R, a->c, a->h, a->w, n->c, n->p.conv.k);
        break;
    case PN_OP_BATCHNORM:
        if (n->fused) {
            bnpool_job bj = bnpool_of(g, n, R, training);
            node_for(g, R * row_size(n), n->c, bnpool_forward_part, &bj);
            break;
        }
        node_for(g, R * row_size(n), n->c, bn_forward_part, &job);
        break;
    case PN_OP_RELU:
        if (!n->fused)
            node_for(g, R * row_size(n), R * row_size(n), relu_forward_part, &job);
        break;
    case PN_OP_MAXPOOL2:
        if (!n->fused)
            node_for(g, R * row_size(n), R * n->c, pool_forward_part, &job);
        break;
    case PN_OP_SELECT:
        pn_select_forward(n->val, a->val, R, a->c, n->p.select.channel, row_size(n));
        break;
    case PN_OP_UNSTACK:
        pn_unstack_forward(n->val, a->val, B, row_size(n));
        break;
    case PN_OP_RESTACK:
        pn_restack_forward(n->val, a->val, B, row_size(a));
        break;
    case PN_OP_CONCAT: {
        const pn_node *b = &g->nodes[n->in[1]];
        pn_concat_forward(n->val, a->val, b->val, R, row_size(a), row_size(b));
        break;
    }
    case PN_OP_CROSS_ENTROPY:
        n->val[0] = pn_cross_entropy_forward(n->save, a->val, g->labels[n->p.ce.labels],
                                             rows_of(a, B), row_size(a));
        break;
    case PN_OP_DROPOUT:
        if (training) /* each node its own mask: mix the node's index into the key */
            pn_dropout_forward(n->val, n->save, a->val, R * row_size(n), n->p.dropout.p,
                               g->noise_key ^ ((uint64_t)(n - g->nodes) << 48));
        else
            memcpy(n->val, a->val, R * row_size(n) * sizeof(float));
        break;
    case PN_OP_SOFTMAX:
        pn_softmax_forward(n->val, a->val, R, row_size(n));
        break;
    case PN_OP_LOSS_SUM: {
        float s = 0.0f;
        for (size_t i = 0; i < n->n_in; i++)
            s += n->p.sum.weight[i] * g->nodes[n->in[i]].val[0];
        n->val[0] = s;
        break;
    }
    }
}

float pn_graph_forward(pn_graph *g, size_t batch, int training)
{
    g->batch = batch;
    for (size_t i = 0; i < g->n_nodes; i++) {
        if (!training && !g->nodes[i].for_output)
            continue;
        const double t = g->prof ? pn_now() : 0.0;
        forward_node(g, &g->nodes[i], batch, training);
        if (g->prof)
            g->prof[2 * i] += pn_now() - t;
    }
    return training ? g->nodes[g->loss].val[0] : 0.0f;
}

static void backward_node(pn_graph *g, pn_node *n, size_t B)
{
    pn_node *a = n->n_in ? &g->nodes[n->in[0]] : NULL;
    const size_t R = rows_of(n, B);
    float *P = g->params, *G = g->grads;
    float *da = a && a->needs_grad ? a->grad : NULL;
    node_job job = {g, n, R, 1};
    switch (n->op) {
    case PN_OP_INPUT:
        break;
    case PN_OP_LINEAR:
        pn_linear_backward(g->pool, da, G + n->w_off, G + n->b_off, n->grad, a->val,
                           P + n->w_off, R, n->p.linear.in_f, n->p.linear.out_f);
        break;
    case PN_OP_CONV2D:
        if (n->fused) {
            pn_conv2d_backward_cm(g->pool, da, a->batch_inner, G + n->w_off,
                                  da ? n->work2 : NULL, n->work, n->grad, n->save,
                                  P + n->w_off, R, a->c, a->h, a->w, n->c, n->p.conv.k);
            break;
        }
        pn_conv2d_backward(g->pool, da, G + n->w_off, G + n->b_off, da ? n->work2 : NULL,
                           n->work, n->grad, n->save, P + n->w_off, R, a->c, a->h, a->w, n->c,
                           n->p.conv.k);
        break;
    case PN_OP_BATCHNORM:
        if (n->fused) {
            bnpool_job bj = bnpool_of(g, n, R, 1);
            node_for(g, R * row_size(n), n->c, bnpool_backward_part, &bj);
            break;
        }
        node_for(g, R * row_size(n), n->c, bn_backward_part, &job);
        break;
    case PN_OP_RELU:
        if (da && !n->fused)
            node_for(g, R * row_size(n), R * row_size(n), relu_backward_part, &job);
        break;
    case PN_OP_MAXPOOL2:
        if (da && !n->fused)
            node_for(g, R * row_size(n), R * n->c, pool_backward_part, &job);
        break;
    case PN_OP_SELECT:
        if (da)
            pn_select_backward(da, n->grad, R, a->c, n->p.select.channel, row_size(n));
        break;
    case PN_OP_UNSTACK:
        if (da)
            pn_unstack_backward(da, n->grad, B, row_size(n));
        break;
    case PN_OP_RESTACK:
        if (da)
            pn_restack_backward(da, n->grad, B, row_size(a));
        break;
    case PN_OP_CONCAT: {
        pn_node *b = &g->nodes[n->in[1]];
        pn_concat_backward(da, b->needs_grad ? b->grad : NULL, n->grad, R, row_size(a),
                           row_size(b));
        break;
    }
    case PN_OP_CROSS_ENTROPY:
        if (da)
            pn_cross_entropy_backward(da, n->save, g->labels[n->p.ce.labels], n->grad[0],
                                      rows_of(a, B), row_size(a));
        break;
    case PN_OP_DROPOUT:
        if (da)
            pn_dropout_backward(da, n->grad, n->save, R * row_size(n));
        break;
    case PN_OP_SOFTMAX:
        if (da)
            pn_softmax_backward(da, n->grad, n->val, R, row_size(n));
        break;
    case PN_OP_LOSS_SUM:
        for (size_t i = 0; i < n->n_in; i++)
            g->nodes[n->in[i]].grad[0] += n->p.sum.weight[i] * n->grad[0];
        break;
    }
}

void pn_graph_backward(pn_graph *g)
{
    const size_t B = g->batch;
    for (size_t i = 0; i < g->n_nodes; i++) {
        pn_node *n = &g->nodes[i];
        /* nothing reads the gradient of a node that needs none, and a
         * fused conv's is overwritten whole by its BN */
        if (n->grad && n->needs_grad && !(n->fused && n->op == PN_OP_CONV2D))
            memset(n->grad, 0, rows_of(n, B) * row_size(n) * sizeof(float));
    }
    g->nodes[g->loss].grad[0] = 1.0f;
    for (size_t i = g->n_nodes; i-- > 0;) {
        if (!g->nodes[i].needs_grad)
            continue;
        const double t = g->prof ? pn_now() : 0.0;
        backward_node(g, &g->nodes[i], B);
        if (g->prof)
            g->prof[2 * i + 1] += pn_now() - t;
    }
}

void pn_graph_zero_grads(pn_graph *g) { memset(g->grads, 0, g->n_params * sizeof(float)); }

const char *pn_op_name(pn_op op)
{
    static const char *names[] = {"input",  "linear",  "conv2d",  "batchnorm",
                                  "relu",   "maxpool", "select",  "unstack",
                                  "restack", "concat", "cross_entropy", "loss_sum",
                                  "dropout", "softmax"};
    return (size_t)op < sizeof names / sizeof names[0] ? names[op] : "?";
}
