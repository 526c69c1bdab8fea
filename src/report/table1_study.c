/* The study's Table I, chosen honestly: each model's (learning rate, batch
 * size) picked on the validation grid and reported on the test grid, beside
 * the cell the test grid would pick (optimistic) and the study's own cell
 * and figure (the model registry's defaults and study_test). */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/report/table1.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "pairnet/models/models.h"
#include "pairnet/models/train_cfg.h"
#include "pairnet/report/escape.h"
#include "pairnet/report/svg.h"

#define PM " \xc2\xb1 "
#define DASH "\xe2\x80\x94"

const pn_model_info *pn_t1_study_model(const char *name)
{
    size_t n;
    const pn_model_info *list = pn_model_list(&n);
    for (size_t i = 0; i < pn_study_model_count() && i < n; i++)
        if (!strcmp(list[i].name, name))
            return &list[i];
    return NULL;
}

/* The cell of model m at the study's (lr, bs), or NULL. */
static const pn_t1_cell *study_cell(const pn_t1 *t, int set, size_t m)
{
    const pn_model_info *s = pn_t1_study_model(t->models[m]);
    for (size_t a = 0; s && a < t->n_lrs; a++)
        for (size_t j = 0; j < t->n_bss; j++)
            if (t->lrs[a] == s->lr && t->bss[j] == s->bs)
                return pn_t1_find(t, set, m, a, j);
    return NULL;
}

/* mean ± std in percent (the mean alone for one round); "—" without a mean. */
static void pm(pn_buf *b, const pn_t1_cell *c)
{
    if (!pn_t1_has_mean(c))
        pn_buf_printf(b, DASH);
    else if (c->rounds > 1)
        pn_buf_printf(b, "%.2f" PM "%.2f", 100 * c->test_mean, 100 * c->test_std);
    else
        pn_buf_printf(b, "%.2f", 100 * c->test_mean);
}

static void lr_bs(pn_buf *b, const pn_t1 *t, const pn_t1_cell *c)
{
    if (c)
        pn_buf_printf(b, "%g / %zu", t->lrs[c->lr], t->bss[c->bs]);
    else
        pn_buf_printf(b, DASH);
}

static void axis_list(pn_buf *b, const pn_t1 *t, int lrs)
{
    const size_t n = lrs ? t->n_lrs : t->n_bss;
    for (size_t i = 0; i < n; i++) {
        pn_buf_printf(b, "%s", i ? ", " : "{");
        if (lrs)
            pn_buf_printf(b, "%g", t->lrs[i]);
        else
            pn_buf_printf(b, "%zu", t->bss[i]);
    }
    pn_buf_printf(b, "}");
}

/* The cells of model m's row of the choice table, as text (the model's
 * name apart: each format escapes it); column 2 is the reported figure. */
void pn_t1_choice_cells(const pn_t1 *t, size_t m, pn_t1_text cell[PN_T1_CHOICE_COLS])
{
    const pn_t1_cell *kv = pn_t1_best(t, PN_T1_VALIDATION, m), *kt = pn_t1_best(t, PN_T1_TEST, m);
    const pn_model_info *s = pn_t1_study_model(t->models[m]);
    pn_buf b[PN_T1_CHOICE_COLS] = {{0}};
    lr_bs(&b[0], t, kv);
    pm(&b[1], kv);
    pm(&b[2], kv ? pn_t1_find(t, PN_T1_TEST, m, kv->lr, kv->bs) : NULL);
    lr_bs(&b[3], t, kt);
    pm(&b[4], kt);
    if (s) {
        pn_buf_printf(&b[5], "%g / %zu", s->lr, s->bs);
        pn_buf_printf(&b[6], "%g", s->study_test);
        pm(&b[7], study_cell(t, PN_T1_TEST, m));
    }
    for (int i = 0; i < PN_T1_CHOICE_COLS; i++) {
        snprintf(cell[i], sizeof cell[i], "%s", b[i].data && !b[i].failed ? b[i].data : DASH);
        pn_buf_free(&b[i]);
    }
}

void pn_t1_no_study_note(pn_buf *b, const pn_t1 *t)
{
    pn_buf_printf(b, "No column sets these figures beside the study's: its Table II comes from "
                  "%d rounds of %g epochs per cell, this grid ran ", PN_STUDY_ROUNDS,
                  pn_train_opts[PN_TOPT_EPOCHS].dflt);
    pn_t1_protocol_text(b, t);
    pn_buf_printf(b, ".");
}

/* cols: PN_T1_CHOICE_COLS, or PN_T1_OWN_COLS off the study's protocol. */
static void choice_row(pn_buf *b, const pn_t1 *t, size_t m, int cols)
{
    pn_t1_text cell[PN_T1_CHOICE_COLS];
    pn_t1_choice_cells(t, m, cell);
    pn_buf_printf(b, "| ");
    pn_esc_md(b, t->models[m]);
    for (int i = 0; i < cols; i++)
        pn_buf_printf(b, i == 2 ? " | **%s**" : " | %s", cell[i]);
    pn_buf_printf(b, " |\n");
}

/* A cell of a study grid: pm, "all diverged", the diverged rounds, bold
 * for the chosen cell. */
static void grid_cell(pn_buf *b, const pn_t1_cell *c, const pn_t1_cell *best)
{
    const int bold = c && c == best;
    pn_buf_printf(b, " %s", bold ? "**" : "");
    if (c && !pn_t1_has_mean(c) && c->diverged > 0)
        pn_buf_printf(b, "all diverged");
    else {
        pm(b, c);
        if (c && c->diverged > 0)
            pn_buf_printf(b, " (%s div.)", c->diverged_text);
    }
    pn_buf_printf(b, "%s |", bold ? "**" : "");
}

static void study_grid(pn_buf *b, const pn_t1 *t, int set)
{
    pn_buf_printf(b, "\n## The %s grid (seeds %s)\n", set ? "test" : "validation", t->seeds[set]);
    for (size_t m = 0; m < t->n_models; m++) {
        const pn_t1_cell *best = pn_t1_best(t, set, m);
        pn_t1_grid_head(b, t, "###", m);
        for (size_t a = 0; a < t->n_lrs; a++) {
            pn_buf_printf(b, "| %g |", t->lrs[a]);
            for (size_t j = 0; j < t->n_bss; j++)
                grid_cell(b, pn_t1_find(t, set, m, a, j), best);
            pn_buf_printf(b, "\n");
        }
    }
}

void pn_t1_study_md(pn_buf *b, const pn_t1 *t, const pn_run_info *info)
{
    pn_buf_printf(b, "# Table I: learning rate and batch size, chosen on validation rounds\n\n"
                  "Each model's cell is chosen by the highest mean test accuracy over the "
                  "**validation rounds** (seeds %s: other training and test pairs drawn from the "
                  "same MNIST sets) and reported over the **test rounds** (seeds %s), the seeds "
                  "of Table II. Choosing on the test rounds themselves would pick the cell in the "
                  "column \"chosen on test\", whose figure is optimistic: it is the maximum of %zu "
                  "noisy means. Grid: lr ", t->seeds[0], t->seeds[1], t->n_lrs * t->n_bss);
    axis_list(b, t, 1);
    pn_buf_printf(b, " x batch size ");
    axis_list(b, t, 0);
    pn_buf_printf(b, "; %zu validation and %zu test cells, ", t->per_set[0], t->per_set[1]);
    pn_t1_protocol_text(b, t);
    const int study = pn_t1_study_protocol(t), cols = study ? PN_T1_CHOICE_COLS : PN_T1_OWN_COLS;
    pn_buf_printf(b, "%s; accuracies in percent, mean" PM "sample standard deviation over the "
                  "rounds of a cell; every round evaluated once, at its end.\n\n",
                  study ? " (the study's protocol)" : "");
    pn_buf_printf(b, "| model | chosen on validation: lr / bs | its validation acc | **its test "
                  "acc** | chosen on test: lr / bs | its test acc (optimistic) |%s\n"
                  "|:---|:---:|---:|---:|:---:|---:|%s\n", study ? " the study: lr / bs | "
                  "study's test acc | pairnet, study's cell, test acc |" : "",
                  study ? ":---:|---:|---:|" : "");
    for (size_t m = 0; m < t->n_models; m++)
        choice_row(b, t, m, cols);
    if (study)
        pn_buf_printf(b, "\nWhere the choice differs from the study's, the last two columns say "
                      "by how much it matters on the test rounds: the study's cell as pairnet "
                      "measures it, beside the study's own figure (its Table II).\n\n");
    else {
        pn_buf_printf(b, "\n");
        pn_t1_no_study_note(b, t);
        pn_buf_printf(b, "\n\n");
    }
    pn_buf_printf(b, "![validation grid](heatmap-validation.svg)\n\n![test grid](heatmap-test.svg)\n");
    study_grid(b, t, PN_T1_VALIDATION);
    study_grid(b, t, PN_T1_TEST);
    pn_buf_printf(b, "\n");
    pn_provenance_md(b, info);
}

void pn_t1_study_csv(pn_buf *b, const pn_t1 *t)
{
    pn_buf_printf(b, "model,set,lr,bs,epochs,rounds,diverged,test_mean,test_std,"
                  "chosen_on_validation,chosen_on_test,study_choice\n");
    for (size_t m = 0; m < t->n_models; m++) {
        const pn_t1_cell *kv = pn_t1_best(t, 0, m), *kt = pn_t1_best(t, 1, m);
        const pn_model_info *s = pn_t1_study_model(t->models[m]);
        for (size_t a = 0; a < t->n_lrs; a++)
            for (size_t j = 0; j < t->n_bss; j++)
                for (int set = 0; set < PN_T1_SETS; set++) {
                    const pn_t1_cell *c = pn_t1_find(t, set, m, a, j);
                    if (!c)
                        continue;
                    /* the flags name a grid position, whichever set */
                    const int on_v = kv && kv->lr == a && kv->bs == j;
                    const int on_t = kt && kt->lr == a && kt->bs == j;
                    pn_esc_csv(b, t->models[m]);
                    pn_buf_printf(b, ",%s,%g,%zu,%ld,%ld,%ld,%s,%s,%d,%d,%d\n",
                                  set ? "test" : "validation", t->lrs[a], t->bss[j], c->epochs,
                                  c->rounds, c->diverged, pn_t1_has_mean(c) ? c->mean_text : "",
                                  pn_t1_has_mean(c) ? c->std_text : "", on_v, on_t,
                                  s && s->lr == t->lrs[a] && s->bs == t->bss[j]);
                }
    }
}

int pn_t1_write_study(const pn_t1 *t, const char *out, const pn_run_info *info, pn_err *err)
{
    pn_buf md = {0}, csv = {0}, json = {0}, hv = {0}, ht = {0};
    pn_t1_study_md(&md, t, info);
    pn_t1_study_csv(&csv, t);
    pn_t1_study_json(&json, t, info);
    pn_t1_heatmap_svg(&hv, t, PN_T1_VALIDATION);
    pn_t1_heatmap_svg(&ht, t, PN_T1_TEST);
    int rc = pn_buf_save(out, "table1.md", &md, err);
    if (rc == PN_OK)
        rc = pn_buf_save(out, "table1.csv", &csv, err);
    else
        pn_buf_free(&csv);
    if (rc == PN_OK)
        rc = pn_buf_save(out, "table1.json", &json, err);
    else
        pn_buf_free(&json);
    if (rc == PN_OK)
        rc = pn_svg_save(&hv, out, "heatmap-validation.svg", err);
    else
        pn_buf_free(&hv);
    if (rc == PN_OK)
        rc = pn_svg_save(&ht, out, "heatmap-test.svg", err);
    else
        pn_buf_free(&ht);
    return rc;
}
