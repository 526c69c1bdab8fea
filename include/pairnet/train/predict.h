/* One pair of a user's own digits through a trained model
 * (src/train/predict.c): a model file as pn_model_file_load loads it (its
 * networks, the round that standardizes inputs, the rule that answers), and
 * its answer on two 14x14 images standardized as the round's pairs were. */
#ifndef PAIRNET_TRAIN_PREDICT_H
#define PAIRNET_TRAIN_PREDICT_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"
#include "pairnet/graph/graph.h"
#include "pairnet/train/checkpoint.h"

/* The graph of ck's model for batches up to `batch` (0: the checkpoint's
 * own), holding its weights and BatchNorm statistics. PN_ERR_DATA for a
 * model this pairnet does not have or weights of another shape; path names
 * the file in messages. The caller frees *out. */
int pn_checkpoint_graph(const pn_checkpoint *ck, size_t batch, const char *path, pn_graph **out,
                        pn_err *err);

typedef struct pn_prediction {
    float p_le;        /* probability that digit A <= digit B, by the model's rule */
    int answer;        /* 1: A <= B */
    int has_digits;    /* the model has digit logits (PN_OUT_DIGITS) */
    int digit[2];      /* the class read from each image (argmax) */
    float prob[2][10]; /* each image's class probabilities (softmax) */
} pn_prediction;

/* The answer of the loaded model p on the pair (a, b) of 14x14 quarter-unit images
 * (mnist.h), standardized with the round's mean and std (pn_round_data)
 * as training standardized its pairs; evaluation mode. The head's softmax,
 * or, for a model that decides by its digits (PN_DECIDE_PROB), P(d1 <= d2)
 * of the two digit softmaxes; with several networks their probabilities
 * averaged. PN_ERR_RUNTIME out of memory, PN_ERR_DATA for a graph without
 * the study's input or output. */
int pn_predict_pair(const pn_loaded_model *p, const uint16_t *a, const uint16_t *b, double mean,
                    double std, pn_prediction *out, pn_err *err);

#endif
