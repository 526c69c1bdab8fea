/* What the trainer's files share (not part of the API): evaluation of one
 * or more graphs for the round loop (src/train/evaluate.c). */
#ifndef PAIRNET_TRAIN_IMPL_H
#define PAIRNET_TRAIN_IMPL_H

#include "pairnet/train/train.h"

/* The accuracies of one evaluation: the head's, the digits' (of the 2n
 * images), of comparing the predicted digits (argmax) and of
 * P(d1 <= d2) >= 1/2 (prob); the last three NaN without digit logits. */
typedef struct pn_eval_acc {
    double head, digit, argmax, prob;
} pn_eval_acc;

/* Evaluates the k graphs gs (equal architectures) over p, each on `views`
 * views of every image (the fixed shifts of test-time augmentation, filling
 * with fill), averaging their probabilities; one graph on one view answers
 * by its raw outputs (exactly the argmax of the logits). All NaN when
 * memory runs out or the graph has no PN_OUT_LOGITS. */
void pn_eval_graphs(pn_graph *const *gs, size_t k, size_t views, float fill, const pn_pairs *p,
                    pn_eval_acc *out);

/* The accuracy decision rule d (pn_decide) reports: the head's if the
 * graph has no digit logits. */
double pn_eval_decided(const pn_eval_acc *a, int d);

#endif
