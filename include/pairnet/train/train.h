/* One round of the protocol: draw the pairs of a seed, standardize, build
 * fresh weights, train them with the configured optimizer and step decay of
 * the learning rate, evaluate. */
#ifndef PAIRNET_TRAIN_H
#define PAIRNET_TRAIN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"
#include "pairnet/data/batch.h"
#include "pairnet/data/data.h"
#include "pairnet/data/warp.h"
#include "pairnet/graph/graph.h"
#include "pairnet/models/models.h"
#include "pairnet/ops/optim.h"
#include "pairnet/train/record.h"

struct pn_pool;

/* The protocol's pair count: this many train and as many test pairs. */
#define PN_PAIRS 1000
/* Versions of what makes a round's numbers besides its configuration and
 * seed (the round store keys rounds by them, so a stored round is reused
 * only by a pairnet that would compute the same bits): the data protocol
 * (how a seed draws, standardizes and augments its pairs) and the numeric
 * version (kernels, summation orders, initialization). Bump the one whose
 * change alters any round's results. */
#define PN_PROTOCOL_VERSION 1
#define PN_NUMERIC_VERSION 1
/* The largest batch size (the whole train set). */
#define PN_MAX_BATCH PN_PAIRS

typedef struct pn_train_cfg {
    const pn_model_info *model;
    pn_model_opts mopts;
    double lr;
    size_t bs;
    size_t epochs;
    pn_optimizer optimizer;
    double momentum, weight_decay; /* momentum: SGD only */
    size_t lr_step;
    double lr_gamma;
    size_t n_pairs;  /* train pairs, and as many test pairs (PN_PAIRS) */
    int eval_epochs; /* 1: evaluate after every epoch; 0: only after the last */
    /* augmentation of the training pairs, drawn afresh every epoch */
    int aug_swap;     /* swap the two images of a pair with probability 1/2 */
    int aug_repair;   /* pair the 2n training digits anew */
    size_t aug_shift; /* move each image by up to this many pixels in x and y */
    /* Beyond the study; all zero: off, and the round is what it was without
     * them, number for number. */
    pn_warp_cfg warp; /* a random affine/elastic warp of every training image
                         (after the shift), from the augmentation stream */
    double ema;       /* evaluate an exponential moving average of the weights
                         and BN statistics with this decay (0: the weights) */
    size_t tta;       /* test-time augmentation: average the probabilities over
                         this many fixed views (0, 1: none; 5: centre and the
                         four 1-pixel shifts; 9: the 3x3 shifts) */
    size_t ensemble;  /* train this many networks (their own initialization,
                         order, augmentation, dropout) and average their
                         probabilities (0, 1: one); costs that many rounds */
    int decide;       /* pn_decide: the rule whose answers are the round's
                         train and test accuracies */
    int lr_cosine;    /* 1: lr0 (1 + cos(pi e / epochs)) / 2 in epoch e, not the
                         step decay */
} pn_train_cfg;

/* pn_decide (how a pair is answered) is in models.h, beside the presets. */
/* "head", "argmax", "prob"; parse: 0, or -1 for an unknown name. */
const char *pn_decide_name(int d);
int pn_decide_parse(const char *s, int *d);

/* The settings beyond the study that cfg turns on, as text ("ensemble 3,
 * ema 0.999, ..."; "" if none) for run headers and `pairnet models`. */
void pn_train_cfg_extras(const pn_train_cfg *cfg, char *out, size_t cap);

/* The max views of --tta. */
#define PN_MAX_TTA 9

/* The defaults of the specification for model m (and its preset, if any). */
void pn_train_cfg_default(pn_train_cfg *c, const pn_model_info *m);

/* The data of one round: pairs drawn from the train and test sets with the
 * seed's data stream, both standardized with the train pairs' statistics. */
typedef struct pn_round_data {
    pn_pairs train, test;
    double mean, std;
} pn_round_data;
int pn_round_data_make(const pn_mnist *m, size_t n_pairs, uint64_t seed, pn_round_data *d,
                       pn_err *err);
void pn_round_data_free(pn_round_data *d);

/* Called after every epoch (from the training thread). */
typedef void (*pn_epoch_fn)(void *ctx, const pn_round_rec *r, const pn_epoch_rec *e);

typedef struct pn_round_hooks {
    pn_epoch_fn on_epoch;
    void *ctx;
    atomic_int *stop; /* if set and nonzero (e.g. from a signal handler): stop
                         before the next batch */
    pn_graph **keep; /* if set, [ensemble members] receives the trained graphs with the
                        weights the round evaluated (the averages with ema) when the
                        round succeeds (caller frees) */
} pn_round_hooks;

/* Trains one round. out->epochs is allocated (free with pn_round_rec_free).
 * Returns PN_OK; PN_ERR_DIVERGED (out->diverged set, message names epoch and
 * batch); PN_ERR_INTERRUPTED; or another error. */
int pn_train_round(const pn_round_data *d, const pn_train_cfg *cfg, uint64_t seed,
                   struct pn_pool *pool, const pn_round_hooks *hooks, pn_round_rec *out,
                   pn_err *err);

/* The learning rate of epoch e (0-based) under cfg's schedule. */
double pn_train_lr(const pn_train_cfg *cfg, size_t e);

/* Binds batch b to g by the names the study's models declare (models.h):
 * the pairs' images to PN_IN_PAIRS, their labels to each target the model
 * declared. PN_OK, or an error naming a name no batch holds. */
int pn_bind_batch(pn_graph *g, const pn_batch *b, pn_err *err);
/* The targets only (for a graph whose inputs the caller fills itself). */
int pn_bind_targets(pn_graph *g, const pn_batch *b, pn_err *err);

/* One training step on batch b: bind, forward, and, unless *loss (the
 * batch's mean loss) is not finite, backward and one optimizer step at rate
 * lr. The caller sets g->noise_key (the dropout masks) first. PN_OK, or a
 * binding error. */
int pn_train_step(pn_graph *g, const pn_batch *b, pn_optim *opt, float lr, float *loss,
                  pn_err *err);

/* The accuracy the round reports for the k networks gs (an ensemble of
 * equal architectures) on p: every image on tta views (1: none; filling
 * moved pixels with fill, the standardized 0), their probabilities
 * averaged, answered by rule decide (pn_decide). */
double pn_evaluate_ensemble(pn_graph *const *gs, size_t k, size_t tta, int decide, float fill,
                            const pn_pairs *p);
/* The same, pair by pair: answer[i] 1 if it says digit1 <= digit2, and
 * margin[i], positive for that answer, the distance from the decision: the
 * head's second output minus its first (logits for one network on one
 * view, else mean probabilities); P(d1 <= d2) - 1/2 (prob); the smaller of
 * the two images' gaps between their first and second class, signed
 * (argmax). 0, or -1 out of memory. */
int pn_eval_answers(pn_graph *const *gs, size_t k, size_t tta, int decide, float fill,
                    const pn_pairs *p, uint8_t *answer, float *margin);
/* Fraction of pairs whose predicted target is right (evaluation mode). */
double pn_evaluate(pn_graph *g, const pn_pairs *p);
/* For a graph with digit logits (PN_OUT_DIGITS): the fraction of the 2n images
 * classified right, and the pair accuracy of comparing the two predicted
 * classes. Both NaN without digit logits. */
void pn_evaluate_digits(pn_graph *g, const pn_pairs *p, double *digit_acc, double *argmax_acc);


#endif
