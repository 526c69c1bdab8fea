/* The networks, as graph builders: the study's five and `best`, and the
 * registry, the one place that maps a name to its builder, its default
 * learning rate and batch size (the study's Table I) and its preset (the
 * training configuration and its options: train_cfg.h). */
#ifndef PAIRNET_MODELS_H
#define PAIRNET_MODELS_H

#include <stddef.h>

#include "pairnet/base/error.h"
#include "pairnet/data/mnist.h"
#include "pairnet/data/warp.h"
#include "pairnet/graph/graph.h"
#include "pairnet/ops/optim.h"

struct pn_pool;

typedef struct pn_model_opts {
    float aux_weight; /* w of the auxiliary digit losses (default 1.0) */
    float dropout;    /* drop probability after each hidden fully connected
                         layer of a digit tower or of mlp/cnn (default 0) */
    size_t width;     /* digit towers: channels and hidden units times this
                         (32w, 64w, 200w); 0 or 1: the specification's */
    int prob_head;    /* best: the head is P(d1 <= d2) = sum_{i <= j} p1(i) p2(j)
                         of the two digit softmaxes (no parameters), not the
                         learned 20 -> 100 -> 2 comparison */
    float label_smoothing; /* eps of every cross-entropy loss (0: none) */
} pn_model_opts;

/* How a pair is answered from the network's outputs. */
typedef enum pn_decide {
    PN_DECIDE_HEAD = 0, /* the head's two outputs */
    PN_DECIDE_ARGMAX,   /* compare the two predicted digits (argmax) */
    PN_DECIDE_PROB      /* P(d1 <= d2) = sum_{i <= j} p1(i) p2(j) >= 1/2 from the
                           two digit softmaxes */
} pn_decide;
struct pn_train_cfg;

/* The names the study's models give their inputs, targets and outputs
 * (the graph knows none of them; the trainer binds a batch by them). */
#define PN_IN_PAIRS "pairs"       /* [B, 2, 14, 14] the two images of each pair */
#define PN_TARGET_PAIR "target"   /* [B] 1 if digit1 <= digit2 */
#define PN_TARGET_DIGIT1 "digit1" /* [B] class of the first image */
#define PN_TARGET_DIGIT2 "digit2" /* [B] class of the second image */
#define PN_TARGET_DIGITS "digits" /* [2B] every digit1, then every digit2 (a shared tower) */
#define PN_OUT_LOGITS "logits"    /* [B, 2] the comparison's logits (or log-probabilities) */
#define PN_OUT_DIGITS "digits"    /* the digit logits of both images: [2B, 10] (image 1 of
                                   * pair i in row i, image 2 in row B + i) or [B, 20] */

typedef struct pn_model_info {
    const char *name;
    const char *about;  /* one line for --help */
    double lr;          /* default learning rate */
    size_t bs;          /* default batch size */
    int has_aux;        /* uses the auxiliary loss */
    /* Adds the model's nodes to g: the input PN_IN_PAIRS, the output
     * PN_OUT_LOGITS (and PN_OUT_DIGITS if it has digit logits), the
     * targets its losses use, and g->loss. */
    void (*build)(pn_graph *g, const pn_model_opts *o);
    /* Sets the model's own training defaults over the specification's
     * (models/train_cfg.h); NULL: the study's. */
    void (*preset)(struct pn_train_cfg *c);
    double study_test;       /* the study's Table II test accuracy (%), NaN if not in it */
    /* The PyTorch names of its layers with parameters, in the order build
     * adds them, NULL-terminated: the builder's file holds them beside the
     * builder (pn_model_layers). */
    const char *const *layers;
} pn_model_info;

const pn_model_info *pn_model_find(const char *name);
/* All models; *n receives their count. */
const pn_model_info *pn_model_list(size_t *n);
/* The five models of the study, first in the list (not `best`): bench's
 * default list. */
size_t pn_study_model_count(void);
/* The study's rounds per model (seeds 0..14; its epochs are the training
 * options' default, models/train_cfg.h). */
#define PN_STUDY_ROUNDS 15
/* "mlp, cnn, ..." for error messages. */
const char *pn_model_names(void);

/* The names of m's layers with parameters (PyTorch's module names:
 * "conv1", "tower.bn2", "head.fc1", ...) in the order its builder adds
 * them, *n of them: m->layers, less the learned head ("head." layers) when
 * o->prob_head replaces it by P(d1 <= d2), which has no parameters. A
 * layer's kind is in its last component: convN a Conv2d, fcN a Linear, bnN
 * a BatchNorm (test_safetensors checks every model's list against its
 * graph). */
const char *const *pn_model_layers(const pn_model_info *m, const pn_model_opts *o, size_t *n);

/* Builds and finalizes the graph of model m for batches up to max_batch. */
pn_graph *pn_model_build(const pn_model_info *m, const pn_model_opts *o, size_t max_batch,
                         struct pn_pool *pool, pn_err *err);

/* The size of model m, from its builder alone (no arena, no finalize):
 * what `pairnet models`, the run header and bench's cost estimate need. */
typedef struct pn_model_size {
    size_t params, state; /* floats */
    double macs;          /* multiply-adds of one forward pass of one pair */
} pn_model_size;
int pn_model_measure(const pn_model_info *m, const pn_model_opts *o, pn_model_size *out,
                     pn_err *err);

/* Builders, one per model (src/models/). */
void pn_build_mlp(pn_graph *g, const pn_model_opts *o);
void pn_build_cnn(pn_graph *g, const pn_model_opts *o);
void pn_build_cnn_ws(pn_graph *g, const pn_model_opts *o);
void pn_build_cnn_al(pn_graph *g, const pn_model_opts *o);
void pn_build_cnn_ws_al(pn_graph *g, const pn_model_opts *o);
void pn_build_best(pn_graph *g, const pn_model_opts *o);

/* The layer names of each builder (beside it in src/models/). */
extern const char *const pn_layers_mlp[], *const pn_layers_cnn[], *const pn_layers_cnn_ws[],
    *const pn_layers_cnn_al[];

/* Shared pieces of the two-tower models (src/models/siamese.c, which also
 * builds cnn_ws, cnn_ws_al, cnn_al and best). */
/* [R,1,14,14] -> [R,10]; dropout p after its hidden fully connected layer;
 * channels and hidden units times width (0 or 1: the study's tower). */
size_t pn_digit_tower(pn_graph *g, size_t image, float dropout, size_t width);
size_t pn_compare_head(pn_graph *g, size_t features); /* [B,20] -> [B,2] */

#endif
