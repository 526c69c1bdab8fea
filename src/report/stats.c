/* Summary statistics of a benchmark: mean and sample standard deviation of
 * the final accuracies (and digit-level accuracies) over the rounds of one
 * model (Table II). */
#include "pairnet/report/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void pn_mean_std(const double *x, size_t n, double *mean, double *std)
{
    if (n == 0) {
        *mean = NAN;
        *std = NAN;
        return;
    }
    /* Two passes: the one-pass sum-of-squares formula loses every digit
     * when the spread is small next to the mean (accuracies near 0.9 that
     * differ in the third decimal). */
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    double m = sum / (double)n;
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    *mean = m;
    /* Sample (n-1) deviation: the rounds are a sample of all possible
     * seeds, and this is what the study reports. One round has no spread. */
    *std = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
}

/* Counts the rounds that did not diverge and copies their final accuracies
 * and times into the three arrays (each of capacity n). */
static size_t collect_finished(const pn_round_rec *rounds, size_t n, double *train,
                               double *test, double *secs)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (rounds[i].diverged)
            continue;
        train[k] = rounds[i].train_acc;
        test[k] = rounds[i].test_acc;
        secs[k] = rounds[i].seconds;
        k++;
    }
    return k;
}

/* The whole of *out is overwritten. model, rounds, diverged, epochs, the
 * accuracy means/stds and sec_per_round come from the rounds; params, lr and
 * bs are not recorded in a round, so they are set to 0 for the caller to
 * fill from the model and the command line. epochs is the largest number of
 * epochs any round ran (a diverged round stops early; a finished one runs
 * them all). */
void pn_summarize(const pn_round_rec *rounds, size_t n, pn_model_summary *out)
{
    memset(out, 0, sizeof *out);
    out->train_mean = out->train_std = NAN;
    out->test_mean = out->test_std = NAN;
    out->sec_per_round = NAN;
    out->digit_mean = out->digit_std = out->argmax_mean = out->argmax_std = NAN;
    if (n == 0)
        return;
    memcpy(out->model, rounds[0].model, sizeof out->model);
    out->model[sizeof out->model - 1] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (rounds[i].n_epochs > out->epochs)
            out->epochs = rounds[i].n_epochs;
        if (rounds[i].diverged)
            out->diverged++;
    }

    double *buf = malloc(3 * n * sizeof *buf);
    if (!buf)
        return; /* statistics stay NaN: visibly missing, never wrong */
    double *train = buf, *test = buf + n, *secs = buf + 2 * n;
    size_t k = collect_finished(rounds, n, train, test, secs);
    out->rounds = k;
    if (k > 0) {
        double unused;
        pn_mean_std(train, k, &out->train_mean, &out->train_std);
        pn_mean_std(test, k, &out->test_mean, &out->test_std);
        pn_mean_std(secs, k, &out->sec_per_round, &unused);
    }
    /* The digit-level accuracies of the finished rounds that have them (a
     * model without digit logits has none: the means stay NaN). */
    double *digit = train, *argmax = test;
    k = 0;
    for (size_t i = 0; i < n; i++) {
        if (rounds[i].diverged || isnan(rounds[i].digit_acc) || isnan(rounds[i].argmax_acc))
            continue;
        digit[k] = rounds[i].digit_acc;
        argmax[k] = rounds[i].argmax_acc;
        k++;
    }
    pn_mean_std(digit, k, &out->digit_mean, &out->digit_std);
    pn_mean_std(argmax, k, &out->argmax_mean, &out->argmax_std);
    free(buf);
}
