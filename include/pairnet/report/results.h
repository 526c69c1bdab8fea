/* What a benchmark produces, and the writers that turn it into results/:
 * Table II (Markdown + CSV), every epoch of every round (runs.csv), the box
 * plot, learning curves and digit-level bars (SVG, hand-written) and one
 * self-contained HTML page. Every file is written atomically: temporary
 * file, fsync, rename. */
#ifndef PAIRNET_RESULTS_H
#define PAIRNET_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"

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
    pn_epoch_rec *epochs;   /* [n_epochs] */
    double train_acc, test_acc; /* final, NaN if diverged */
    /* Test digits, for models with digit logits (else NaN): the fraction of
     * the 2n test images the tower classifies right, and the pair accuracy
     * of comparing the two predicted classes instead of using the head. */
    double digit_acc, argmax_acc;
    double seconds;             /* wall time of the round */
} pn_round_rec;

typedef struct pn_model_summary {
    char model[32];
    size_t params;
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

/* Provenance printed under every table. */
typedef struct pn_run_info {
    char command[1024]; /* the exact command line */
    char date[64];      /* ISO 8601, UTC */
    char cpu[128];      /* CPU model name */
    size_t cores;
    char revision[64];  /* git revision (+ "-dirty"), or "unknown" */
    double wall_seconds; /* whole benchmark */
} pn_run_info;

/* Fills date, cpu, cores and revision (command is left to the caller). */
void pn_run_info_fill(pn_run_info *info);

/* Mean and sample standard deviation (n-1); std is 0 for n == 1 and both are
 * NaN for n == 0. */
void pn_mean_std(const double *x, size_t n, double *mean, double *std);

/* Summary of one model's rounds (the non-diverged ones are averaged). */
void pn_summarize(const pn_round_rec *rounds, size_t n, pn_model_summary *out);

/* A growable text buffer for building files before an atomic write. */
typedef struct pn_buf {
    char *data;
    size_t len, cap;
    int failed; /* allocation failed: the content is incomplete */
} pn_buf;
void pn_buf_printf(pn_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void pn_buf_free(pn_buf *b);
/* Appends s with the five XML special characters escaped (SVG and HTML text). */
void pn_buf_escape_xml(pn_buf *b, const char *s);

/* Writes data to path through path.tmp.PID + fsync + rename (+ fsync of the
 * directory), so a crash leaves either the old file or the new one. */
int pn_write_atomic(const char *path, const void *data, size_t len, pn_err *err);
int pn_buf_write_atomic(const char *path, const pn_buf *b, pn_err *err);

/* The writers. dir exists. Summaries and rounds are in model order; rounds
 * of a model are contiguous.
 *
 * table2.md + table2.csv: one row per model. When some model has digit
 * logits, table2.md has two more columns after the test accuracy (the
 * tower's test digit accuracy and the pair accuracy of comparing the
 * predicted digits, a dash for the other models); table2.csv always ends with
 * digit_mean,digit_std,argmax_mean,argmax_std (fractions, empty when NaN).
 * table2.csv holds nothing that varies between identical runs (no timing).
 *
 * runs.csv: one row per epoch of every round; the round-level digit_acc and
 * argmax_acc are the last two columns, filled on the round's last epoch (when
 * they were measured) and empty elsewhere, as for mlp and cnn. */
int pn_write_table2(const char *dir, const pn_model_summary *s, size_t n_models,
                    const pn_run_info *info, pn_err *err); /* table2.md + table2.csv */
int pn_write_runs_csv(const char *dir, const pn_round_rec *r, size_t n_rounds, pn_err *err);
int pn_write_fig4_svg(const char *dir, const pn_round_rec *r, size_t n_rounds, pn_err *err);
int pn_write_curves_svg(const char *dir, const pn_round_rec *r, size_t n_rounds, pn_err *err);
/* digits.svg: per model with digit logits, bars of the mean (+-1 std over
 * the finished rounds) of the tower's test digit accuracy, the pair accuracy
 * of comparing its predicted digits and the head's pair accuracy; the models
 * without digit logits are named under the plot. */
int pn_write_digits_svg(const char *dir, const pn_round_rec *r, size_t n_rounds, pn_err *err);
/* 1 if some summary has digit accuracies (digits.svg is worth showing). */
int pn_summaries_have_digits(const pn_model_summary *s, size_t n_models);
/* index.html: Table II, Table I if dir/table1.md exists, the figures
 * inlined (digits.svg when some model has digit logits), provenance. */
int pn_write_index_html(const char *dir, const pn_model_summary *s, size_t n_models,
                        const pn_run_info *info, pn_err *err);

#endif
