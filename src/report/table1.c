/* Table I as Markdown and CSV, from the cells of src/report/table1_read.c:
 * one grid's (the best cell of each model, then each model's grid) and the
 * study's honest choice (chosen on validation rounds, reported on test
 * rounds, beside what choosing on the test rounds would give and the
 * study's own cells from the model registry). */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/report/table1.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/models/models.h"
#include "pairnet/models/train_cfg.h"
#include "pairnet/report/escape.h"

#define PM " \xc2\xb1 "  /* " ± " */
#define DASH "\xe2\x80\x94" /* "—": no such cell */

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_size(const void *a, const void *b)
{
    const size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* The study's models first, in the registry's order; then the others as found. */
static void order_models(pn_t1 *t, size_t *new_of)
{
    char names[PN_T1_MAX_MODELS][PN_T1_NAME];
    size_t n = 0, placed[PN_T1_MAX_MODELS] = {0}, count;
    const pn_model_info *list = pn_model_list(&count);
    for (size_t s = 0; s < pn_study_model_count() && s < count; s++)
        for (size_t i = 0; i < t->n_models; i++)
            if (!placed[i] && !strcmp(t->models[i], list[s].name)) {
                placed[i] = 1;
                new_of[i] = n;
                memcpy(names[n++], t->models[i], PN_T1_NAME);
            }
    for (size_t i = 0; i < t->n_models; i++)
        if (!placed[i]) {
            new_of[i] = n;
            memcpy(names[n++], t->models[i], PN_T1_NAME);
        }
    memcpy(t->models, names, sizeof names);
}

void pn_t1_finish(pn_t1 *t)
{
    size_t model_of[PN_T1_MAX_MODELS], lr_of[PN_T1_MAX_AXIS], bs_of[PN_T1_MAX_AXIS];
    double lrs[PN_T1_MAX_AXIS];
    size_t bss[PN_T1_MAX_AXIS];
    order_models(t, model_of);
    memcpy(lrs, t->lrs, sizeof lrs);
    memcpy(bss, t->bss, sizeof bss);
    qsort(t->lrs, t->n_lrs, sizeof *t->lrs, cmp_double);
    qsort(t->bss, t->n_bss, sizeof *t->bss, cmp_size);
    for (size_t i = 0; i < t->n_lrs; i++)
        for (size_t j = 0; j < t->n_lrs; j++)
            if (t->lrs[j] == lrs[i])
                lr_of[i] = j;
    for (size_t i = 0; i < t->n_bss; i++)
        for (size_t j = 0; j < t->n_bss; j++)
            if (t->bss[j] == bss[i])
                bs_of[i] = j;
    for (size_t i = 0; i < t->n_cells; i++) {
        pn_t1_cell *c = &t->cells[i];
        c->model = model_of[c->model];
        c->lr = lr_of[c->lr];
        c->bs = bs_of[c->bs];
    }
}

void pn_t1_free(pn_t1 *t)
{
    free(t->cells);
    t->cells = NULL;
    t->n_cells = t->cap = 0;
}

const pn_t1_cell *pn_t1_find(const pn_t1 *t, int set, size_t m, size_t a, size_t b)
{
    for (size_t i = 0; i < t->n_cells; i++) {
        const pn_t1_cell *c = &t->cells[i];
        if (c->set == set && c->model == m && c->lr == a && c->bs == b)
            return c;
    }
    return NULL;
}

int pn_t1_has_mean(const pn_t1_cell *c) { return c && c->rounds > 0 && !c->mean_empty; }

const pn_t1_cell *pn_t1_best(const pn_t1 *t, int set, size_t m)
{
    const pn_t1_cell *best = NULL;
    for (size_t a = 0; a < t->n_lrs; a++)
        for (size_t b = 0; b < t->n_bss; b++) {
            const pn_t1_cell *c = pn_t1_find(t, set, m, a, b);
            if (pn_t1_has_mean(c) && (!best || c->test_mean > best->test_mean))
                best = c;
        }
    return best;
}

/* mean ± std in percent; a cell of one round has no spread: a dash, as in
 * Table II, never 0 */
static void pct_pm(pn_buf *b, const pn_t1_cell *c, double mean, double std)
{
    if (c->rounds > 1)
        pn_buf_printf(b, "%.2f" PM "%.2f", 100 * mean, 100 * std);
    else
        pn_buf_printf(b, "%.2f" PM DASH, 100 * mean);
}

void pn_t1_grid_head(pn_buf *b, const pn_t1 *t, const char *hashes, size_t m)
{
    pn_buf_printf(b, "\n%s ", hashes);
    pn_esc_md(b, t->models[m]);
    pn_buf_printf(b, "\n\n| lr \\ batch size |");
    for (size_t j = 0; j < t->n_bss; j++)
        pn_buf_printf(b, " %zu |", t->bss[j]);
    pn_buf_printf(b, "\n|:---|");
    for (size_t j = 0; j < t->n_bss; j++)
        pn_buf_printf(b, "---:|");
    pn_buf_printf(b, "\n");
}

/* A code span holding s (running text): fenced by one backtick more than
 * its longest run of them, padded when it starts or ends with one;
 * control characters as spaces. */
static void md_code_span(pn_buf *b, const char *s)
{
    size_t longest = 0, run = 0, n = strlen(s);
    for (const char *p = s; *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    const int pad = n && (s[0] == '`' || s[n - 1] == '`');
    for (size_t i = 0; i <= longest; i++)
        pn_buf_printf(b, "`");
    pn_buf_printf(b, "%s", pad ? " " : "");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        pn_buf_printf(b, "%c", *p < 0x20 || *p == 0x7f ? ' ' : (char)*p);
    pn_buf_printf(b, "%s", pad ? " " : "");
    for (size_t i = 0; i <= longest; i++)
        pn_buf_printf(b, "`");
}

/* A cell of one grid's model table: mean ± std, bold for the model's best,
 * the diverged rounds counted; "all N diverged" without a mean. */
static void single_cell(pn_buf *b, const pn_t1_cell *c, const pn_t1_cell *best)
{
    if (!c) {
        pn_buf_printf(b, DASH);
        return;
    }
    if (!pn_t1_has_mean(c)) {
        pn_buf_printf(b, "all ");
        pn_esc_md(b, c->diverged_text);
        pn_buf_printf(b, " diverged");
        return;
    }
    pn_buf_printf(b, "%s", c == best ? "**" : "");
    pct_pm(b, c, c->test_mean, c->test_std);
    pn_buf_printf(b, "%s", c == best ? "**" : "");
    if (c->diverged > 0)
        pn_buf_printf(b, " (%ld div.)", c->diverged);
}

/* "R rounds of E epochs per cell" when every cell ran alike. */
void pn_t1_protocol_text(pn_buf *b, const pn_t1 *t)
{
    const pn_t1_cell *first = t->n_cells ? &t->cells[0] : NULL;
    for (size_t i = 1; i < t->n_cells; i++)
        if (t->cells[i].rounds + t->cells[i].diverged != first->rounds + first->diverged ||
            t->cells[i].epochs != first->epochs) {
            pn_buf_printf(b, "rounds and epochs differ between cells");
            return;
        }
    if (first) {
        const long r = first->rounds + first->diverged, e = first->epochs;
        pn_buf_printf(b, "%ld round%s of %ld epoch%s per cell", r, r == 1 ? "" : "s", e,
                      e == 1 ? "" : "s");
    }
}

int pn_t1_study_protocol(const pn_t1 *t)
{
    const long epochs = (long)pn_train_opts[PN_TOPT_EPOCHS].dflt;
    for (size_t i = 0; i < t->n_cells; i++)
        if (t->cells[i].rounds + t->cells[i].diverged != PN_STUDY_ROUNDS ||
            t->cells[i].epochs != epochs)
            return 0;
    return t->n_cells > 0;
}

static void single_best_row(pn_buf *b, const pn_t1 *t, size_t m)
{
    const pn_t1_cell *c = pn_t1_best(t, PN_T1_VALIDATION, m);
    pn_buf_printf(b, "| ");
    pn_esc_md(b, t->models[m]);
    if (!c) {
        pn_buf_printf(b, " | " DASH " | " DASH " | every cell diverged | " DASH " | " DASH " |\n");
        return;
    }
    pn_buf_printf(b, " | %g | %zu | ", t->lrs[c->lr], t->bss[c->bs]);
    pct_pm(b, c, c->test_mean, c->test_std);
    pn_buf_printf(b, " | ");
    pct_pm(b, c, c->train_mean, c->train_std);
    pn_buf_printf(b, " | %ld", c->rounds);
    if (c->diverged > 0)
        pn_buf_printf(b, " (+%ld diverged)", c->diverged);
    pn_buf_printf(b, " |\n");
}

void pn_t1_single_md(pn_buf *b, const pn_t1 *t, const char *src)
{
    pn_buf_printf(b, "# Table I: grid search over learning rate and batch size\n\n"
                     "Test accuracy (%%), mean" PM "sample standard deviation over the rounds; ");
    pn_t1_protocol_text(b, t);
    pn_buf_printf(b, "; %zu cells from ", t->per_set[PN_T1_VALIDATION]);
    md_code_span(b, src);
    /* Table II's test seeds are 0..PN_STUDY_ROUNDS-1: a cell picked on them
     * and reported on them is optimistic, never "best" without saying so */
    const char *seeds = t->seeds[PN_T1_VALIDATION];
    const int on_test = !isdigit((unsigned char)seeds[0]) || atoll(seeds) < PN_STUDY_ROUNDS;
    pn_buf_printf(b, "; seeds %s", seeds);
    if (on_test)
        pn_buf_printf(b, ", Table II's test seeds: the highest cell is picked and measured on the "
                      "same rounds, so its figure is optimistic (the maximum of %zu noisy means); "
                      "pick on validation seeds (scripts/grid.sh's default, --seed 1000) and "
                      "report on the test seeds, as `pairnet table1 --validation V --test T` "
                      "does", t->n_lrs * t->n_bss);
    else
        pn_buf_printf(b, ", apart from Table II's test seeds 0..%d: a cell picked here can be "
                      "reported on them without bias", PN_STUDY_ROUNDS - 1);
    pn_buf_printf(b, ". The highest cell of each model (mean test accuracy) is in bold; "
                     "rounds that diverged are left out of the means and counted in "
                     "parentheses.\n\n## %s\n\n"
                     "| model | lr | batch size | test acc (%%) mean" PM "std | train acc (%%) "
                     "mean" PM "std | rounds |\n|:---|---:|---:|---:|---:|---:|\n",
                  on_test ? "Highest cell per model on the test seeds (optimistic)"
                          : "Best learning rate and batch size per model");
    for (size_t m = 0; m < t->n_models; m++)
        single_best_row(b, t, m);
    for (size_t m = 0; m < t->n_models; m++) {
        const pn_t1_cell *best = pn_t1_best(t, PN_T1_VALIDATION, m);
        pn_t1_grid_head(b, t, "##", m);
        for (size_t a = 0; a < t->n_lrs; a++) {
            pn_buf_printf(b, "| %g |", t->lrs[a]);
            for (size_t j = 0; j < t->n_bss; j++) {
                pn_buf_printf(b, " ");
                single_cell(b, pn_t1_find(t, PN_T1_VALIDATION, m, a, j), best);
                pn_buf_printf(b, " |");
            }
            pn_buf_printf(b, "\n");
        }
    }
}
