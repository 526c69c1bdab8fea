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
#include "pairnet/ops/ops.h"
#include "pairnet/base/rng.h"

struct pn_pool;

#define PN_NONE ((size_t)-1)

typedef enum pn_op {
    PN_OP_INPUT,
    PN_OP_LINEAR,
    PN_OP_CONV2D,
    PN_OP_BATCHNORM,
    PN_OP_RELU,
    PN_OP_MAXPOOL2,
    PN_OP_SELECT,  /* one image of each pair */
    PN_OP_UNSTACK, /* [B,2,S] -> [2B,S] */
    PN_OP_RESTACK, /* [2B,F] -> [B,2F] */
    PN_OP_CONCAT,
    PN_OP_CROSS_ENTROPY,
    PN_OP_LOSS_SUM,
    PN_OP_DROPOUT,
    PN_OP_SOFTMAX  /* over each row */
} pn_op;

/* The label arrays a loss can be taken against. */
typedef enum pn_label_set {
    PN_LABEL_TARGET, /* [B] 1 if digit1 <= digit2 */
    PN_LABEL_DIGIT1, /* [B] class of the first image */
    PN_LABEL_DIGIT2, /* [B] class of the second image */
    PN_LABEL_DIGITS, /* [2B] DIGIT1 then DIGIT2, for a shared tower */
    PN_N_LABEL_SETS
} pn_label_set;

#define PN_MAX_IN 3

typedef struct pn_node {
    pn_op op;
    size_t in[PN_MAX_IN], n_in;
    size_t rmul;    /* rows = rmul * batch (0: one scalar) */
    size_t c, h, w; /* shape of one row */
    union {
        struct { size_t in_f, out_f; } linear;
        struct { size_t cin, cout, k; } conv;
        struct { size_t channel; } select;
        struct { pn_label_set labels; } ce;
        struct { float weight[PN_MAX_IN]; } sum;
        struct { float p; } dropout;
    } p;
    size_t w_off, b_off; /* parameter slices (weight/gamma, bias/beta), or PN_NONE */
    size_t s_off;        /* state slice (BN running mean [c], then var [c]) */
    int needs_grad;      /* some ancestor has parameters (or is a graded input) */
    int for_output;      /* on the path to the prediction (run in evaluation) */
    int fused;           /* in a conv -> BN -> ReLU -> max-pool chain run as one pass
                          * (pn_graph_finalize): the conv writes batch-inner without its
                          * bias, the BN node runs pn_bnpool into the pool node, the
                          * ReLU and pool nodes do nothing themselves */
    int batch_inner;     /* val and grad are [c, h, w, rows] (fused conv; fused pool
                          * read by a fused conv), not [rows, c, h, w] */
    size_t fused_pool;   /* fused BN: the pool node it writes */
    float *val, *grad;   /* [rows, c, h, w] at the maximum batch */
    float *save;         /* kept for backward: im2col, BN xhat, pool winners, CE probs,
                          dropout mask */
    float *work, *work2; /* scratch: conv GEMM out / dcol; BN inverse std */
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
    int failed;            /* a builder call ran out of memory */
    int no_fuse;           /* set before finalize: run every node on its own (tests) */
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
size_t pn_loss_sum(pn_graph *g, size_t n, const size_t *losses, const float *weights);

/* Checks the graph (output and loss set, label sets match row counts),
 * assigns every buffer for batches up to max_batch. */
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

/* "conv2d", "batchnorm", ... for profiles and messages. */
const char *pn_op_name(pn_op op);

#endif
