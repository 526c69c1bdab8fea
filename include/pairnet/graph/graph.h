/* The autograd graph: nodes are appended in the order they are built, which
 * is already a topological order, so forward is one loop over the node array
 * and backward the same loop reversed. Shapes are fixed when the graph is
 * finalized for a maximum batch; every buffer (activations, gradients, what
 * backward needs, scratch) is then handed out from one arena, and all
 * parameters and their gradients from one more, so a training step allocates
 * nothing and SGD is a single loop over a flat array.
 *
 * The batch dimension is the only dynamic one: a node has rmul rows per
 * example of the batch (1 for example-level tensors, 2 for a part that sees
 * two rows of every example as one batch, 0 for scalar losses).
 *
 * The graph knows no task: the model builder names its inputs, the label
 * arrays its losses are taken against (targets) and the outputs a caller
 * reads; the caller binds data to those names before forward and reads
 * results by name. What a name means is the model's and the caller's
 * business (the study's names are in models.h). */
#ifndef PAIRNET_GRAPH_H
#define PAIRNET_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"
#include "pairnet/ops/op_desc.h"
#include "pairnet/base/rng.h"

struct pn_pool;

#define PN_NONE ((size_t)-1)

/* A graph holds at most this many inputs, targets and outputs each, with
 * names shorter than PN_NAME_CAP. */
#define PN_MAX_PORTS 8
#define PN_NAME_CAP 16

/* A node the model named: an input the caller fills or an output it reads. */
typedef struct pn_port {
    char name[PN_NAME_CAP];
    size_t node;
} pn_port;

/* A named array of class labels a loss is taken against: rmul labels per
 * example, [rmul * batch], which the caller fills before forward. */
typedef struct pn_target_set {
    char name[PN_NAME_CAP];
    size_t rmul;
    uint8_t *val;
} pn_target_set;

/* The kinds of names a model declares (pn_graph_name). */
typedef enum pn_port_kind { PN_PORT_INPUT, PN_PORT_TARGET, PN_PORT_OUTPUT } pn_port_kind;

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
    pn_port inputs[PN_MAX_PORTS], outputs[PN_MAX_PORTS];
    pn_target_set targets[PN_MAX_PORTS]; /* their labels: one allocation, at [0] */
    size_t n_inputs, n_outputs, n_targets;
    size_t max_batch;
    size_t batch;          /* batch of the last forward */
    size_t loss;           /* node id of the scalar that backward differentiates */
    int input_grad;        /* compute the gradients of the inputs (tests) */
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
/* An input named name, [batch, c, h, w], that the caller fills. */
size_t pn_input(pn_graph *g, const char *name, size_t c, size_t h, size_t w);
/* The label array named name with rmul labels per example, declared on
 * first use (again with the same rmul: the same array); returns its target
 * id for pn_cross_entropy. */
size_t pn_target(pn_graph *g, const char *name, size_t rmul);
/* Names node x as the output name (its value is kept and computed in
 * evaluation); returns x. */
size_t pn_output(pn_graph *g, const char *name, size_t x);
size_t pn_linear(pn_graph *g, size_t x, size_t out_features); /* flattens x */
size_t pn_conv2d(pn_graph *g, size_t x, size_t cout, size_t k);
size_t pn_batchnorm(pn_graph *g, size_t x); /* 2d if x has h*w > 1, else 1d */
size_t pn_relu(pn_graph *g, size_t x);
size_t pn_maxpool2(pn_graph *g, size_t x);
size_t pn_select(pn_graph *g, size_t x, size_t channel);
size_t pn_unstack(pn_graph *g, size_t x);
size_t pn_restack(pn_graph *g, size_t x);
size_t pn_concat(pn_graph *g, size_t a, size_t b);
/* Mean cross-entropy of the rows of logits against target (a pn_target id
 * with the logits' rows per example). */
size_t pn_cross_entropy(pn_graph *g, size_t logits, size_t target);
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

/* Multiply-adds of one forward pass of one example (for GFLOP/s); needs no
 * finalize: the builders fix every shape. */
double pn_graph_forward_macs(const pn_graph *g);

/* Checks the graph (an input, an output and a loss), substitutes the fused ops for
 * every conv -> BN -> ReLU -> max-pool block (src/graph/fuse.c; a conv, 2d
 * BatchNorm or max-pool outside such a block is refused), assigns every
 * buffer for batches up to max_batch. */
int pn_graph_finalize(pn_graph *g, size_t max_batch, struct pn_pool *pool, pn_err *err);

/* Weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)) in node order;
 * BatchNorm gamma 1, beta 0, running mean 0, running variance 1. */
void pn_graph_init_params(pn_graph *g, pn_rng *rng);

/* Binding by name, before forward. NULL / -1: the model declared no such
 * name (or batch exceeds max_batch). */
/* The i-th name of a kind, in the order the model declared them; NULL past
 * the last. */
const char *pn_graph_name(const pn_graph *g, pn_port_kind kind, size_t i);
float *pn_graph_input(pn_graph *g, const char *name);      /* [batch, c, h, w] */
uint8_t *pn_graph_target(pn_graph *g, const char *name);   /* [rmul * batch] */
/* Copies batch examples of x, per_example floats each, into input name
 * (-1 also if the input's c*h*w is not per_example). */
int pn_graph_set_input(pn_graph *g, const char *name, const float *x, size_t batch,
                       size_t per_example);
/* Copies rmul * batch labels of y into target name (-1 also if the target
 * has another rmul). */
int pn_graph_set_target(pn_graph *g, const char *name, const uint8_t *y, size_t batch,
                        size_t rmul);
/* The value of output name after forward, [rmul * batch, cols]; rmul and
 * cols (c*h*w of a row) may be NULL. */
const float *pn_graph_output(const pn_graph *g, const char *name, size_t *rmul, size_t *cols);

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
