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
#include "pairnet/models/train_cfg.h"
#include "pairnet/ops/optim.h"
#include "pairnet/train/record.h"

struct pn_pool;

/* Versions of what makes a round's numbers besides its configuration and
 * seed (the round store keys rounds by them, so a stored round is reused
 * only by a pairnet that would compute the same bits): the data protocol
 * (how a seed draws, standardizes and augments its pairs) and the numeric
 * version (kernels, summation orders, initialization). Bump the one whose
 * change alters any round's results. */
#define PN_PROTOCOL_VERSION 1
#define PN_NUMERIC_VERSION 1

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

/* The learning rate of epoch e (0-based) under cfg's schedule (lr.c). */
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
