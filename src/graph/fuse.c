/* The fusion pass: every conv2d -> batchnorm2d -> relu -> maxpool2 chain,
 * each node the only reader of the one before, becomes a batch-inner conv
 * (CONV2D_BATCH_INNER, src/ops/conv2d.c) and one BatchNorm/ReLU/pool pass
 * (BN_RELU_POOL, src/ops/bnpool.c) in the pool's place, so the activations
 * between the conv and the pool are never written out. The BatchNorm and
 * ReLU nodes stay in the node order (ids do not move; dropout masks are
 * keyed by node id) but are ABSORBED: they run and hold nothing. The
 * parameters keep their offsets: the BatchNorm's move to the fused node
 * as they are, and the conv keeps its bias, which the fused node applies. */
#include "graph_impl.h"
#include "pairnet/ops/gemm.h"
#include "pairnet/ops/kernels.h"

size_t pn_sole_reader(const pn_graph *g, size_t i)
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

/* An output keeps its value: it cannot be absorbed into a fused block. */
static int is_output(const pn_graph *g, size_t i)
{
    for (size_t o = 0; o < g->n_outputs; o++)
        if (g->outputs[o].node == i)
            return 1;
    return 0;
}

/* The sole reader of node i if it is an op node that is not an output. */
static size_t next_in_chain(const pn_graph *g, size_t i, pn_op op)
{
    const size_t r = pn_sole_reader(g, i);
    return r != PN_NONE && g->nodes[r].op == op && !is_output(g, r) ? r : PN_NONE;
}

static void absorb(pn_node *n)
{
    n->op = PN_OP_ABSORBED;
    n->n_in = 0;
    n->w_off = n->b_off = n->s_off = PN_NONE;
}

void pn_graph_fuse(pn_graph *g)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].op != PN_OP_CONV2D || is_output(g, i))
            continue;
        const size_t bn = next_in_chain(g, i, PN_OP_BATCHNORM2D);
        const size_t relu = bn != PN_NONE ? next_in_chain(g, bn, PN_OP_RELU) : PN_NONE;
        const size_t pool = relu != PN_NONE ? pn_sole_reader(g, relu) : PN_NONE;
        if (pool == PN_NONE || g->nodes[pool].op != PN_OP_MAXPOOL2)
            continue;
        pn_node *conv = &g->nodes[i], *b = &g->nodes[bn], *p = &g->nodes[pool];
        conv->op = PN_OP_CONV2D_BATCH_INNER;
        conv->p.conv.in_batch_inner = 0;
        p->op = PN_OP_BN_RELU_POOL;
        p->p = (pn_op_attr){.bn_relu_pool = {.out_batch_inner = 0}};
        p->in[0] = i;
        p->n_in = 1;
        p->w_off = b->w_off;
        p->b_off = b->b_off;
        p->s_off = b->s_off;
        absorb(b);
        absorb(&g->nodes[relu]);
    }
    /* a fused pool feeding a fused conv hands it [C, H, W, B] directly */
    for (size_t i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].op != PN_OP_BN_RELU_POOL)
            continue;
        const size_t r = pn_sole_reader(g, i);
        if (r != PN_NONE && g->nodes[r].op == PN_OP_CONV2D_BATCH_INNER) {
            g->nodes[i].p.bn_relu_pool.out_batch_inner = 1;
            g->nodes[r].p.conv.in_batch_inner = 1;
        }
    }
}

/* A fused block whose conv reads an input that needs no gradient (the
 * first conv of a model) computes that conv itself when it is small: its
 * output rows channel by channel, read back from cache by the BatchNorm
 * sums and the pool, and its weight gradient from dx in L1
 * (src/ops/bnpool_conv.c). That needs the conv's input (in[1]), an even
 * output for whole pooling windows, and a weight gradient on the GEMM's
 * dot path, whose summation order the pool's lanes repeat. Run after the
 * gradient flags are known. */
void pn_graph_fuse_first_convs(pn_graph *g)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        pn_node *p = &g->nodes[i];
        if (p->op != PN_OP_BN_RELU_POOL)
            continue;
        pn_node *conv = &g->nodes[p->in[0]];
        const size_t k = conv->p.conv.k, K = conv->p.conv.cin * k * k;
        if (conv->p.conv.in_batch_inner || g->nodes[conv->in[0]].needs_grad || conv->h % 2 ||
            conv->w % 2 || K > PN_CONV_MAX_K || !pn_gemm_thin(conv->c, K))
            continue;
        conv->p.conv.by_pool = 1;
        p->p.bn_relu_pool.conv_k = k;
        p->in[1] = conv->in[0];
        p->n_in = 2;
    }
}
