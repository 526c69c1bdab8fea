/* The autograd graph: nodes are appended in the order they are built, which
 * is already a topological order, so forward is one loop over the node array
 * and backward the same loop reversed. Shapes are fixed when the graph is
 * finalized for a maximum batch; every buffer (activations, gradients, what
 * backward needs, scratch) is then handed out from one arena, and all
 * parameters and their gradients from one more, so a training step allocates
 * nothing and SGD is a single loop over a flat array.
 *
 * The batch dimension is the only dynamic one: a node has rmul rows per pair
 * of the batch (1 for pair-level tensors, 2 inside a shared tower that sees
 * both images of every pair as one batch, 0 for scalar losses). */
#ifndef PAIRNET_GRAPH_H
#define PAIRNET_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"
#include "pairnet/ops/op_desc.h"
#include "pairnet/base/rng.h"

struct pn_pool;

#define PN_NONE ((size_t)-1)

/* The label arrays a loss can be taken against. */
typedef enum pn_label_set {
    PN_LABEL_TARGET, /* [B] 1 if digit1 <= digit2 */
    PN_LABEL_DIGIT1, /* [B] class of the first image */
    PN_LABEL_DIGIT2, /* [B] class of the second image */
    PN_LABEL_DIGITS, /* [2B] DIGIT1 then DIGIT2, for a shared tower */
    PN_N_LABEL_SETS
} pn_label_set;

/* One node. Its op's descriptor (op_desc.h) says what p, the parameter slices
 * and the buffer slots mean. */
typedef struct pn_node {
    pn_op op;
    pn_op_attr p;
    size_t in[PN_MAX_IN], n_in;
    size_t rmul;    /* rows = rmul * batch (0: one scalar) */
    size_t c, h, w; /* shape of one row */
    size_t w_off, b_off; /* parameter slices (weight/gamma, bias/beta), or PN_NONE */
    size_t s_off;        /* state slice (BN running mean [c], then var [c]), or PN_NONE */
    int needs_grad;      /* some ancestor has parameters (or is a graded input) */
    int for_output;      /* on the path to the prediction (run in evaluation) */
    int grad_set;        /* its one reader's backward writes the gradient whole, so
                          * backward does not zero it first (PN_OPF_SETS_IN_GRAD) */
    float *val, *grad;   /* [rows, c, h, w] at the maximum batch (a batch-inner op:
                          * [c, h, w, rows]) */
    float *buf[PN_MAX_BUFS]; /* the op's saved and scratch buffers, as its descriptor
                              * lists them */
} pn_node;

typedef struct pn_graph {
    pn_node *nodes;
    size_t n_nodes, cap;
    size_t n_params, n_state;
    float *params, *grads; /* [n_params] each, one allocation */
    float *state;          /* [n_state] BN running statistics */
    float *arena;
    size_t arena_floats;
    uint8_t *labels[PN_N_LABEL_SETS];
    size_t max_batch;
    size_t batch;          /* batch of the last forward */
    size_t input, output, loss; /* node ids (output: comparison logits) */
    size_t digits;         /* digit logits of both images, [2B,10] or [B,20]; or PN_NONE */
    int input_grad;        /* compute the gradient of the input (tests) */
    int failed;            /* a builder call failed: out of memory, or inputs that do
                            * not fit the op */
    pn_bn_cfg bn;
    struct pn_pool *pool;  /* may be NULL: single thread */
    double *prof;          /* optional [2 * n_nodes]: seconds in forward, backward */
    uint64_t noise_key;    /* dropout masks are a function of this key: set per step */
} pn_graph;

pn_graph *pn_graph_new(void);
void pn_graph_free(pn_graph *g);

/* Builders: each returns the new node's id. x, a, b are node ids. */
size_t pn_input(pn_graph *g, size_t c, size_t h, size_t w);
size_t pn_linear(pn_graph *g, size_t x, size_t out_features); /* flattens x */
size_t pn_conv2d(pn_graph *g, size_t x, size_t cout, size_t k);
size_t pn_batchnorm(pn_graph *g, size_t x); /* 2d if x has h*w > 1, else 1d */
size_t pn_relu(pn_graph *g, size_t x);
size_t pn_maxpool2(pn_graph *g, size_t x);
size_t pn_select(pn_graph *g, size_t x, size_t channel);
size_t pn_unstack(pn_graph *g, size_t x);
size_t pn_restack(pn_graph *g, size_t x);
size_t pn_concat(pn_graph *g, size_t a, size_t b);
size_t pn_cross_entropy(pn_graph *g, size_t logits, pn_label_set labels);
/* Inverted dropout with drop probability p in [0, 1); p == 0 returns x. */
size_t pn_dropout(pn_graph *g, size_t x, float p);
size_t pn_softmax(pn_graph *g, size_t x);
/* [B,20] two digit distributions per pair -> [B,2] (log(1-P), log P),
 * P = P(d1 <= d2) (src/ops/prob_le.c). */
size_t pn_prob_le(pn_graph *g, size_t x);
size_t pn_loss_sum(pn_graph *g, size_t n, const size_t *losses, const float *weights);

/* Appends a node of op with inputs in[0..n_in) and attributes a (the
 * builders below are this with the attributes filled in). */
size_t pn_graph_add(pn_graph *g, pn_op op, const size_t *in, size_t n_in, pn_op_attr a);

/* Multiply-adds of one forward pass of one pair (for GFLOP/s); needs no
 * finalize: the builders fix every shape. */
double pn_graph_forward_macs(const pn_graph *g);

/* Checks the graph (output and loss set), substitutes the fused ops for
 * every conv -> BN -> ReLU -> max-pool block (src/graph/fuse.c; a conv, 2d
 * BatchNorm or max-pool outside such a block is refused), assigns every
 * buffer for batches up to max_batch. */
int pn_graph_finalize(pn_graph *g, size_t max_batch, struct pn_pool *pool, pn_err *err);

/* Weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)) in node order;
 * BatchNorm gamma 1, beta 0, running mean 0, running variance 1. */
void pn_graph_init_params(pn_graph *g, pn_rng *rng);

/* The caller fills these for `batch` pairs before forward. */
/* Sets the labels of pair i of a batch of `batch` in every label set. */
void pn_graph_set_label(pn_graph *g, size_t batch, size_t i, uint8_t target, uint8_t d1,
                        uint8_t d2);
float *pn_graph_input(pn_graph *g);                          /* [batch, c, h, w] */
const float *pn_graph_output(const pn_graph *g);             /* [batch, 2] */

/* training != 0: every node, batch statistics, returns the loss.
 * training == 0: only the nodes the output needs, running statistics; 0. */
float pn_graph_forward(pn_graph *g, size_t batch, int training);
/* Zeroes activation gradients, seeds d(loss) = 1 and runs the nodes in
 * reverse; parameter gradients are accumulated (zero them per step). */
void pn_graph_backward(pn_graph *g);
void pn_graph_zero_grads(pn_graph *g);

/* "conv2d", "batchnorm", ... for profiles and messages (the descriptor's name). */
const char *pn_op_name(pn_op op);

#endif
