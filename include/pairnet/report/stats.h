/* Summary statistics of a benchmark (src/report/stats.c): mean and sample
 * standard deviation over the rounds of each model (Table II). */
#ifndef PAIRNET_STATS_H
#define PAIRNET_STATS_H

#include <stddef.h>

#include "pairnet/train/record.h"

typedef struct pn_model_summary {
    char model[32];
    size_t params;   /* of one network */
    size_t networks; /* trained per round (an ensemble's size; 0 or 1: one) */
    double lr;
    size_t bs;
    size_t epochs;
    size_t rounds;   /* rounds averaged (diverged excluded) */
    size_t diverged; /* rounds that diverged */
    double train_mean, train_std, test_mean, test_std; /* fractions */
    double sec_per_round;
    /* Over the rounds averaged that have digit logits (NaN if none): the
     * tower's test digit accuracy and the pair accuracy of comparing the
     * predicted digits (pn_round_rec.digit_acc, argmax_acc), fractions. */
    double digit_mean, digit_std, argmax_mean, argmax_std;
} pn_model_summary;

/* Mean and sample standard deviation (n-1); std is 0 for n == 1 and both are
 * NaN for n == 0. */
void pn_mean_std(const double *x, size_t n, double *mean, double *std);

/* Summary of one model's rounds (the non-diverged ones are averaged). */
void pn_summarize(const pn_round_rec *rounds, size_t n, pn_model_summary *out);

#endif
