/* What training produces and the report layer consumes: the record of one
 * epoch and of one round. */
#ifndef PAIRNET_RECORD_H
#define PAIRNET_RECORD_H

#include <stddef.h>
#include <stdint.h>

/* One epoch of one round. Accuracies are NaN when the epoch was not
 * evaluated (evaluation only at the end of a round). */
typedef struct pn_epoch_rec {
    size_t epoch; /* 1-based */
    double lr;    /* learning rate used during this epoch */
    double loss;  /* mean training loss over the epoch's batches */
    double train_acc, test_acc; /* fractions in [0, 1] */
    double seconds;             /* wall time of the epoch, evaluation included */
} pn_epoch_rec;

typedef struct pn_round_rec {
    char model[32];
    size_t round;  /* 0-based index within the benchmark */
    uint64_t seed;
    int diverged;  /* 1: stopped on a non-finite loss; never averaged */
    size_t n_epochs;        /* epochs actually run */
    pn_epoch_rec *epochs;   /* [n_epochs], malloc'ed */
    double train_acc, test_acc; /* final, NaN if diverged */
    /* Test digits, for models with digit logits (else NaN): the fraction of
     * the 2n test images the tower classifies right, and the pair accuracy
     * of comparing the two predicted classes instead of using the head. */
    double digit_acc, argmax_acc;
    /* The same test pairs answered by P(d1 <= d2) >= 1/2 from the two digit
     * softmaxes (NaN without digit logits), and by the learned head (the
     * round's test_acc unless another decision rule was asked). */
    double prob_acc, head_acc;
    double seconds;             /* wall time of the round */
} pn_round_rec;

/* Frees r->epochs and empties r. */
void pn_round_rec_free(pn_round_rec *r);

/* A deep copy of src into dst (its own epochs, freed by
 * pn_round_rec_free). Returns 0, or -1 out of memory (dst then holds no
 * epochs and owns nothing). */
int pn_round_rec_copy(pn_round_rec *dst, const pn_round_rec *src);

#endif
