/* The writers that turn a benchmark's rounds into results/: Table II
 * (Markdown + CSV, src/report/tables.c), every epoch of every round
 * (runs.csv, tables.c), the box plot, learning curves and digit-level bars
 * (SVG, hand-written: fig_*.c) and one self-contained HTML page (html.c).
 * Every file is written atomically (pn_write_atomic). */
#ifndef PAIRNET_RESULTS_H
#define PAIRNET_RESULTS_H

#include <stddef.h>

#include "pairnet/base/error.h"
#include "pairnet/base/buf.h"
#include "pairnet/report/effects.h"
#include "pairnet/report/provenance.h"
#include "pairnet/report/stats.h"
#include "pairnet/models/train_cfg.h"
#include "pairnet/train/record.h"

/* The writers. dir exists. Summaries and rounds are in model order; rounds
 * of a model are contiguous.
 *
 * table2.md + table2.csv: one row per model. When some model has digit
 * logits, table2.md has two more columns after the test accuracy (the
 * tower's test digit accuracy and the pair accuracy of comparing the
 * predicted digits, a dash for the other models); table2.csv always ends with
 * digit_mean,digit_std,argmax_mean,argmax_std (fractions, empty when NaN).
 * table2.csv holds nothing that varies between identical runs (no timing).
 * table2.md also has the study's test accuracy beside each model it reports,
 * and the paired effects e[0..n_effects) under the table.
 *
 * runs.csv: one row per epoch of every round; the round-level digit_acc and
 * argmax_acc are the last two columns, filled on the round's last epoch (when
 * they were measured) and empty elsewhere, as for mlp and cnn. */
int pn_write_table2(const char *dir, const pn_model_summary *s, size_t n_models,
                    const pn_effect *e, size_t n_effects, const pn_run_info *info,
                    pn_err *err); /* table2.md + table2.csv */
/* table2.json (src/report/table2_json.c; its schema in docs/formats.md):
 * what table2.md and table2.csv show and what they leave out, for a
 * script: each model's configuration (cfg[m] of s[m]) and rounds (those of
 * r[0..n_rounds) with its name), the effects and the provenance. */
#define PN_TABLE2_SCHEMA "pairnet.table2/1"
typedef struct pn_table2 {
    const pn_train_cfg *cfg;     /* [n_models] */
    const pn_model_summary *s;   /* [n_models] */
    size_t n_models;
    const pn_round_rec *r;       /* [n_rounds] */
    size_t n_rounds;
    const pn_effect *e;          /* [n_effects] */
    size_t n_effects;
    const pn_run_info *info;
} pn_table2;
int pn_write_table2_json(const char *dir, const pn_table2 *t, pn_err *err);
int pn_write_runs_csv(const char *dir, const pn_round_rec *r, size_t n_rounds, pn_err *err);
int pn_write_fig4_svg(const char *dir, const pn_round_rec *r, size_t n_rounds, pn_err *err);
/* curves.svg: three panels, the training loss, train accuracy and test
 * accuracy after each epoch (mean and +-1 std over the finished rounds), each
 * model in its colour (pn_svg_model_color); a model without a curve is named
 * under the plot with why. */
int pn_write_curves_svg(const char *dir, const pn_round_rec *r, size_t n_rounds, pn_err *err);
/* digits.svg: per model with digit logits, bars of the mean (+-1 std over
 * the finished rounds) of the tower's test digit accuracy, the pair accuracy
 * of comparing its predicted digits and the model's own answer (Table II's
 * test accuracy, with the rule its preset answers by under its name); the
 * models without digit logits are named under the plot. */
int pn_write_digits_svg(const char *dir, const pn_round_rec *r, size_t n_rounds, pn_err *err);
/* 1 if some summary has digit accuracies (digits.svg is worth showing). */
int pn_summaries_have_digits(const pn_model_summary *s, size_t n_models);
/* Table II as index.html shows it: the sentence on how it was measured, the
 * table and its notes. */
void pn_table2_html(pn_buf *b, const pn_model_summary *s, size_t n_models);
/* index.html: Table II, the paired effects and effects.svg (when n_effects),
 * the figures inlined (digits.svg when some model has digit logits), each
 * model's network drawn from its builder (fig_network.h), Table I if
 * dir/table1/table1.md or dir/table1.md exists, provenance. */
int pn_write_index_html(const char *dir, const pn_model_summary *s, size_t n_models,
                        const pn_effect *e, size_t n_effects, const pn_run_info *info,
                        pn_err *err);

#endif
