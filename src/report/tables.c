/* The tables of a benchmark: Table II (Markdown, CSV, and its HTML for
 * index.html, with the digit-level accuracies of the models that have digit
 * logits) and runs.csv (every epoch of every round). */
#include "pairnet/report/results.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pairnet/models/models.h"
#include "pairnet/base/buf.h"
#include "pairnet/report/escape.h"
#include "pairnet/report/provenance.h"

#define PM " \xc2\xb1 " /* " ± " in UTF-8, spelled out to keep the source ASCII */
#define EMDASH "\xe2\x80\x94"
#define LE "\xe2\x89\xa4" /* less-than or equal to */

/* ---- Table II ---------------------------------------------------------- */

/* The columns of Table II, shared by the Markdown and the HTML versions.
 * The two digit columns (T2_DIGIT, T2_ARGMAX) stand next to the head's test
 * accuracy and are shown only when some model has digit logits. */
enum { T2_COLS = 11, T2_STUDY = 6, T2_DIGIT = 7, T2_ARGMAX = 8 };
typedef char t2_cell[96];
static const char *const t2_head[T2_COLS] = {
    "model", "parameters", "lr", "batch size", "train acc (%) mean" PM "std",
    "test acc (%) mean" PM "std", "the study's test acc (%)", "test digit acc (%) mean" PM "std",
    "test acc, digits compared (%) mean" PM "std", "rounds", "s/round"};

int pn_summaries_have_digits(const pn_model_summary *s, size_t n_models)
{
    for (size_t i = 0; i < n_models; i++)
        if (!isnan(s[i].digit_mean))
            return 1;
    return 0;
}

static int t2_shown(size_t c, int digits)
{
    return digits || (c != T2_DIGIT && c != T2_ARGMAX);
}

/* mean ± std in percent; one round has no spread ("—"), and a model whose
 * rounds all diverged has no mean. */
static void format_pct(char *out, size_t cap, double mean, double std, const pn_model_summary *s)
{
    if (s->rounds == 0 && s->diverged)
        snprintf(out, cap, "diverged (%zu of %zu rounds)", s->diverged, s->diverged);
    else if (isnan(mean))
        snprintf(out, cap, EMDASH);
    else if (s->rounds == 1)
        snprintf(out, cap, "%.2f" PM EMDASH, 100.0 * mean);
    else
        snprintf(out, cap, "%.2f" PM "%.2f", 100.0 * mean, 100.0 * std);
}

/* The study's Table II figure of a model, or a dash. */
static void format_study(char *out, size_t cap, const char *model)
{
    const pn_model_info *m = pn_model_find(model);
    if (m && isfinite(m->study_test))
        snprintf(out, cap, "%.2f", m->study_test);
    else
        snprintf(out, cap, EMDASH);
}

static void t2_cells(const pn_model_summary *s, t2_cell c[T2_COLS])
{
    snprintf(c[0], sizeof c[0], "%s", s->model);
    /* an ensemble trains that many networks: the page says so, the CSV keeps
     * one network's count in its column */
    if (s->networks > 1)
        snprintf(c[1], sizeof c[1], "%zu x %zu", s->networks, s->params);
    else
        snprintf(c[1], sizeof c[1], "%zu", s->params);
    snprintf(c[2], sizeof c[2], "%g", s->lr);
    snprintf(c[3], sizeof c[3], "%zu", s->bs);
    format_pct(c[4], sizeof c[4], s->train_mean, s->train_std, s);
    format_pct(c[5], sizeof c[5], s->test_mean, s->test_std, s);
    format_study(c[T2_STUDY], sizeof c[T2_STUDY], s->model);
    format_pct(c[T2_DIGIT], sizeof c[T2_DIGIT], s->digit_mean, s->digit_std, s);
    format_pct(c[T2_ARGMAX], sizeof c[T2_ARGMAX], s->argmax_mean, s->argmax_std, s);
    if (s->diverged)
        snprintf(c[9], sizeof c[9], "%zu (+%zu diverged)", s->rounds, s->diverged);
    else
        snprintf(c[9], sizeof c[9], "%zu", s->rounds);
    if (isnan(s->sec_per_round))
        snprintf(c[10], sizeof c[10], EMDASH);
    else
        snprintf(c[10], sizeof c[10], "%.2f", s->sec_per_round);
}

static size_t total_diverged(const pn_model_summary *s, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += s[i].diverged;
    return d;
}

/* One sentence on how the numbers were obtained; epochs may differ per
 * model when the caller overrides them. esc writes a model name in the
 * sentence's format (Markdown or HTML). */
static void describe_table2(pn_buf *b, const pn_model_summary *s, size_t n,
                            void (*esc)(pn_buf *, const char *))
{
    pn_buf_printf(b, "Mean" PM "sample standard deviation over the rounds of each model, "
                     "accuracies in percent");
    int same = 1;
    for (size_t i = 1; i < n; i++)
        same &= s[i].epochs == s[0].epochs;
    if (n && same)
        pn_buf_printf(b, "; %zu epochs per round.", s[0].epochs);
    else if (n) {
        pn_buf_printf(b, "; epochs per round:");
        for (size_t i = 0; i < n; i++) {
            pn_buf_printf(b, "%s ", i ? "," : "");
            esc(b, s[i].model);
            pn_buf_printf(b, " %zu", s[i].epochs);
        }
        pn_buf_printf(b, ".");
    } else
        pn_buf_printf(b, ".");
}

/* What the digit columns mean, under the table when they are shown. */
static const char *const digits_note =
    "Test digit acc: the fraction of the test images (both of every test pair) whose digit "
    "the tower's ten outputs classify right. Test acc, digits compared: the pair accuracy of "
    "answering \"first " LE " second\" by comparing the two predicted digits instead of using the "
    "learned head. A dash (" EMDASH "): the model has no digit logits. A tower trained without the "
    "auxiliary digit loss (cnn_ws, or --aux-weight 0) is never taught digit classes: its "
    "columns show how far its ten outputs are from digit identities.";

static const char *const diverged_note =
    "Rounds whose training loss became non-finite (diverged) are left out of the means "
    "and standard deviations; the rounds column counts the rounds averaged.";

static void md_table2(pn_buf *b, const pn_model_summary *s, size_t n)
{
    const int digits = pn_summaries_have_digits(s, n);
    for (size_t c = 0; c < T2_COLS; c++)
        if (t2_shown(c, digits))
            pn_buf_printf(b, "| %s ", t2_head[c]);
    pn_buf_printf(b, "|\n");
    for (size_t c = 0; c < T2_COLS; c++)
        if (t2_shown(c, digits))
            pn_buf_printf(b, "|%s", c == 0 ? ":---" : "---:");
    pn_buf_printf(b, "|\n");
    for (size_t i = 0; i < n; i++) {
        t2_cell cell[T2_COLS];
        t2_cells(&s[i], cell);
        for (size_t c = 0; c < T2_COLS; c++)
            if (t2_shown(c, digits)) {
                pn_buf_printf(b, "| ");
                pn_esc_md(b, cell[c]);
                pn_buf_printf(b, " ");
            }
        pn_buf_printf(b, "|\n");
    }
}

static int write_table2_md(const char *dir, const pn_model_summary *s, size_t n,
                           const pn_effect *e, size_t n_effects, const pn_run_info *info,
                           pn_err *err)
{
    pn_buf b = {0};
    pn_buf_printf(&b, "# Table II: accuracy of each model\n\n");
    describe_table2(&b, s, n, pn_esc_md);
    pn_buf_printf(&b, "\n\n");
    md_table2(&b, s, n);
    if (pn_summaries_have_digits(s, n))
        pn_buf_printf(&b, "\n%s\n", digits_note);
    if (total_diverged(s, n))
        pn_buf_printf(&b, "\n%s\n", diverged_note);
    pn_effects_markdown(&b, e, n_effects);
    pn_buf_printf(&b, "\n");
    pn_provenance_md(&b, info);
    return pn_buf_save(dir, "table2.md", &b, err);
}

/* CSV fields: a NaN is an empty field (what spreadsheets and pandas read
 * as missing); text goes through pn_esc_csv (RFC 4180). */
static void csv_num(pn_buf *b, const char *fmt, double v)
{
    pn_buf_printf(b, ",");
    if (!isnan(v))
        pn_buf_printf(b, fmt, v);
}

/* Only what a rerun reproduces to the bit: the same seeds give the same
 * file whatever --jobs was or whether the run was resumed. Timing stays in
 * table2.md and runs.csv. */
static int write_table2_csv(const char *dir, const pn_model_summary *s, size_t n, pn_err *err)
{
    pn_buf b = {0};
    pn_buf_printf(&b, "model,params,lr,bs,epochs,rounds,diverged,train_mean,train_std,"
                      "test_mean,test_std,digit_mean,digit_std,argmax_mean,argmax_std\n");
    for (size_t i = 0; i < n; i++) {
        pn_esc_csv(&b, s[i].model);
        pn_buf_printf(&b, ",%zu", s[i].params);
        csv_num(&b, "%g", s[i].lr);
        pn_buf_printf(&b, ",%zu,%zu,%zu,%zu", s[i].bs, s[i].epochs, s[i].rounds, s[i].diverged);
        /* one round has no sample standard deviation: an empty field, as
         * the Markdown's dash, never 0 (docs/spec.md, "one round") */
        const int spread = s[i].rounds > 1;
        csv_num(&b, "%.6f", s[i].train_mean);
        csv_num(&b, "%.6f", spread ? s[i].train_std : NAN);
        csv_num(&b, "%.6f", s[i].test_mean);
        csv_num(&b, "%.6f", spread ? s[i].test_std : NAN);
        csv_num(&b, "%.6f", s[i].digit_mean);
        csv_num(&b, "%.6f", spread ? s[i].digit_std : NAN);
        csv_num(&b, "%.6f", s[i].argmax_mean);
        csv_num(&b, "%.6f", spread ? s[i].argmax_std : NAN);
        pn_buf_printf(&b, "\n");
    }
    return pn_buf_save(dir, "table2.csv", &b, err);
}

int pn_write_table2(const char *dir, const pn_model_summary *s, size_t n_models,
                    const pn_effect *e, size_t n_effects, const pn_run_info *info, pn_err *err)
{
    int rc = write_table2_md(dir, s, n_models, e, n_effects, info, err);
    return rc ? rc : write_table2_csv(dir, s, n_models, err);
}

/* ---- runs.csv ---------------------------------------------------------- */

/* One row per epoch. digit_acc and argmax_acc belong to the round, measured
 * once after its last epoch: they are on that row and empty on the others,
 * so the columns before them keep their places for existing readers. */
int pn_write_runs_csv(const char *dir, const pn_round_rec *r, size_t n_rounds, pn_err *err)
{
    pn_buf b = {0};
    pn_buf_printf(&b, "model,round,seed,epoch,lr,loss,train_acc,test_acc,seconds,digit_acc,"
                      "argmax_acc\n");
    for (size_t i = 0; i < n_rounds; i++) {
        for (size_t e = 0; e < r[i].n_epochs; e++) {
            const pn_epoch_rec *ep = &r[i].epochs[e];
            pn_esc_csv(&b, r[i].model);
            pn_buf_printf(&b, ",%zu,%" PRIu64 ",%zu", r[i].round, r[i].seed, ep->epoch);
            csv_num(&b, "%g", ep->lr);
            csv_num(&b, "%.6g", ep->loss); /* a diverged epoch's inf stays visible */
            csv_num(&b, "%.6f", ep->train_acc);
            csv_num(&b, "%.6f", ep->test_acc);
            csv_num(&b, "%.3f", ep->seconds);
            const int last = e + 1 == r[i].n_epochs;
            csv_num(&b, "%.6f", last ? r[i].digit_acc : NAN);
            csv_num(&b, "%.6f", last ? r[i].argmax_acc : NAN);
            pn_buf_printf(&b, "\n");
        }
    }
    return pn_buf_save(dir, "runs.csv", &b, err);
}

/* ---- Table II on the HTML page ------------------------------------------ */

static void html_table2_rows(pn_buf *b, const pn_model_summary *s, size_t n)
{
    const int digits = pn_summaries_have_digits(s, n);
    pn_buf_printf(b, "<table>\n<thead><tr>");
    for (size_t c = 0; c < T2_COLS; c++) {
        if (!t2_shown(c, digits))
            continue;
        pn_buf_printf(b, "<th>");
        pn_esc_html(b, t2_head[c]);
        pn_buf_printf(b, "</th>");
    }
    pn_buf_printf(b, "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < n; i++) {
        t2_cell cell[T2_COLS];
        t2_cells(&s[i], cell);
        pn_buf_printf(b, "<tr>");
        for (size_t c = 0; c < T2_COLS; c++) {
            if (!t2_shown(c, digits))
                continue;
            pn_buf_printf(b, "<td>");
            pn_esc_html(b, cell[c]);
            pn_buf_printf(b, "</td>");
        }
        pn_buf_printf(b, "</tr>\n");
    }
    pn_buf_printf(b, "</tbody>\n</table>\n");
}

void pn_table2_html(pn_buf *b, const pn_model_summary *s, size_t n)
{
    pn_buf_printf(b, "<p>");
    describe_table2(b, s, n, pn_esc_html);
    pn_buf_printf(b, "</p>\n");
    html_table2_rows(b, s, n);
    if (pn_summaries_have_digits(s, n)) {
        pn_buf_printf(b, "<p class=\"note\">");
        pn_esc_html(b, digits_note);
        pn_buf_printf(b, "</p>\n");
    }
    if (total_diverged(s, n))
        pn_buf_printf(b, "<p class=\"note\">%s</p>\n", diverged_note);
}
