/* An op as the graph sees it: one descriptor per op (kann-style), over the
 * plain kernels of kernels.h (llm.c-style). The descriptor says what the op is
 * called, which output shape and how many parameters its inputs give, which
 * buffers it keeps for backward or needs as scratch (and how large), and how
 * it runs forward, backward and initializes its parameters. The graph only
 * loops over its nodes and dispatches through pn_op_desc_of(); it never
 * switches on the op.
 *
 * Adding an op: a line in PN_OPS below, a file in src/ops/ that defines
 * `const pn_op_desc pn_op_<name>` (and its kernels, declared in kernels.h), and
 * a builder in src/graph/build.c that fills the attributes and calls
 * pn_graph_add(). */
#ifndef PAIRNET_OP_DESC_H
#define PAIRNET_OP_DESC_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/rng.h"
#include "pairnet/ops/kernels.h"

struct pn_pool;

/* Every op: enum name, descriptor name (pn_op_<d>). Builder-only ops
 * (PN_OPF_PATTERN) exist so that models say what they mean; the fusion pass
 * (src/graph/fuse.c) replaces them by the ops that run. */
#define PN_OPS(X)                                                                            \
    X(INPUT, input)                                                                          \
    X(LINEAR, linear)                                                                        \
    X(CONV2D, conv2d)                     /* pattern: becomes CONV2D_BATCH_INNER */          \
    X(BATCHNORM, batchnorm)               /* over features (BatchNorm1d) */                  \
    X(RELU, relu)                                                                            \
    X(MAXPOOL2, maxpool2)                 /* pattern: part of BN_RELU_POOL */                \
    X(SELECT, select)                     /* one image of each pair */                       \
    X(UNSTACK, unstack)                   /* [B,2,S] -> [2B,S] */                            \
    X(RESTACK, restack)                   /* [2B,F] -> [B,2F] */                             \
    X(CONCAT, concat)                                                                        \
    X(CROSS_ENTROPY, cross_entropy)                                                          \
    X(LOSS_SUM, loss_sum)                                                                    \
    X(DROPOUT, dropout)                                                                      \
    X(SOFTMAX, softmax)                   /* over each row */                                \
    X(PROB_LE, prob_le)                   /* [B,20] probabilities -> log(1-P), log P */      \
    X(BATCHNORM2D, batchnorm2d)           /* pattern: part of BN_RELU_POOL */                \
    X(CONV2D_BATCH_INNER, conv2d_batch_inner) /* conv writing [F, OH, OW, B], no bias */    \
    X(BN_RELU_POOL, bn_relu_pool)         /* BatchNorm2d -> ReLU -> 2x2 max-pool */          \
    X(ABSORBED, absorbed)                 /* a node a fused op took over: runs nothing */

typedef enum pn_op {
#define PN_OP_ENUM_(e, d) PN_OP_##e,
    PN_OPS(PN_OP_ENUM_)
#undef PN_OP_ENUM_
    PN_N_OPS
} pn_op;

#define PN_MAX_IN 3   /* inputs of a node */
#define PN_MAX_BUFS 6 /* saved and scratch buffers of a node */

/* The attributes of one node; which member is set depends on the op. */
typedef union pn_op_attr {
    struct { size_t c, h, w; } input;
    struct { size_t in_f, out_f; } linear;
    struct {
        size_t cin, cout, k;
        int in_batch_inner; /* CONV2D_BATCH_INNER: the input is [C, H, W, B] */
        int by_pool;        /* CONV2D_BATCH_INNER: its BN_RELU_POOL computes it */
    } conv;
    struct {
        int out_batch_inner; /* the output is [C, H/2, W/2, B] */
        size_t conv_k;       /* > 0: computes its conv (kernel conv_k) from in[1] */
    } bn_relu_pool;
    struct { size_t channel; } select;
    struct {
        int labels;      /* the graph's target id (pn_target): which labels */
        float smoothing; /* label smoothing eps in [0, 1) */
    } ce;
    struct { float weight[PN_MAX_IN]; } sum;
    struct { float p; } dropout;
} pn_op_attr;

/* A row shape: rmul rows per pair of the batch (1 for pair-level tensors, 2
 * inside a shared tower that sees both images of every pair, 0 for one
 * scalar), each of c x h x w floats. */
typedef struct pn_shape {
    size_t rmul, c, h, w;
} pn_shape;

/* Floats of parameters (weight, bias) and state a node reserves. */
typedef struct pn_op_sizes {
    size_t w, b, state;
} pn_op_sizes;

/* One tensor of a node: its values and gradient at the current batch. */
typedef struct pn_tensor {
    float *val;
    float *grad;    /* NULL when nothing needs it */
    size_t rows;    /* rmul * batch, or 1 */
    size_t c, h, w; /* shape of one row */
    int needs_grad; /* set in the layout pass too, where val and grad are NULL */
} pn_tensor;

/* Everything a node's kernels see. The graph fills it per call; in the
 * layout pass rows are those of the maximum batch and no pointer is set. */
typedef struct pn_op_call {
    const pn_op_attr *a;
    pn_tensor in[PN_MAX_IN];
    size_t n_in;
    pn_tensor out;
    size_t batch;             /* pairs */
    float *w, *b;             /* parameter slices, or NULL */
    float *dw, *db;           /* their gradients */
    const float *in_bias;     /* the bias of in[0] (BN_RELU_POOL applies its conv's) */
    const float *in_w;        /* the weights of in[0] and their gradient (BN_RELU_POOL */
    float *in_dw;             /* computing its conv) */
    float *state;             /* [state] floats (BN: running mean [c], var [c]) */
    float *buf[PN_MAX_BUFS];  /* the descriptor's buffer slots */
    const uint8_t *labels;    /* CROSS_ENTROPY: [in[0].rows] */
    uint64_t key;             /* DROPOUT: the mask's key, one per node and step */
    pn_bn_cfg bn;
    struct pn_pool *pool;     /* may be NULL: single thread */
    int training;
} pn_op_call;

enum {
    PN_OPF_PATTERN = 1,         /* builder-only: the fusion pass must replace it */
    PN_OPF_NO_VALUE = 2,        /* has no value or gradient buffer */
    PN_OPF_SETS_IN_GRAD = 4,    /* backward writes in[0]'s whole gradient (no +=): the
                                 * graph need not zero it; in[0] has no other reader */
    PN_OPF_LABELS = 8           /* reads the labels of the target attr.ce.labels names */
};

typedef struct pn_op_desc {
    const char *name;
    unsigned flags; /* PN_OPF_* */
    /* The output shape from the input shapes and attributes, which it may
     * complete (in_f, cin); the parameter and state sizes. 0: the inputs do
     * not fit the op. */
    int (*shape)(const pn_shape *in, size_t n_in, pn_op_attr *a, pn_shape *out, pn_op_sizes *sz);
    /* Buffer slot i: len[i] floats at the call's rows (unset: 0), what it
     * holds in bufs[i]. NULL: no buffers. */
    void (*buffers)(const pn_op_call *c, size_t len[PN_MAX_BUFS]);
    const char *bufs[PN_MAX_BUFS];
    void (*forward)(const pn_op_call *c);  /* NULL: nothing to compute */
    void (*backward)(const pn_op_call *c); /* NULL: nothing to propagate */
    void (*init)(const pn_op_call *c, pn_rng *rng); /* NULL: no parameters */
    double (*macs)(const pn_op_call *c); /* multiply-adds per output row; NULL: 0 */
} pn_op_desc;

#define PN_OP_DECL_(e, d) extern const pn_op_desc pn_op_##d;
PN_OPS(PN_OP_DECL_)
#undef PN_OP_DECL_

/* The descriptor of op (NULL if op is out of range). */
const pn_op_desc *pn_op_desc_of(pn_op op);

#endif
