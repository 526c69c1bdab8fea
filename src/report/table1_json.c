/* table1.json: the study's Table I whole, for scripts (docs/formats.md,
 * "table1.json"): the grid's axes and seeds, each model's three choices
 * (on validation, on test, the study's) and every cell of both grids in
 * table1.csv's order, with the provenance. */
#include "pairnet/report/table1.h"

#include <math.h>
#include <string.h>

#include "pairnet/models/models.h"
#include "pairnet/report/json.h"

/* {"lr": .., "bs": ..} of a chosen cell, or null. */
static void json_choice(pn_json *j, const char *key, const pn_t1 *t, const pn_t1_cell *c)
{
    pn_json_key(j, key);
    if (!c) {
        pn_json_null(j);
        return;
    }
    pn_json_open(j, '{');
    pn_json_key(j, "lr");
    pn_json_num(j, t->lrs[c->lr]);
    pn_json_key(j, "bs");
    pn_json_uint(j, t->bss[c->bs]);
    pn_json_close(j);
}

/* The study's own cell and its Table II figure (percent), or null. */
static void json_study(pn_json *j, const char *model)
{
    const pn_model_info *s = pn_t1_study_model(model);
    pn_json_key(j, "study");
    if (!s) {
        pn_json_null(j);
        return;
    }
    pn_json_open(j, '{');
    pn_json_key(j, "lr");
    pn_json_num(j, s->lr);
    pn_json_key(j, "bs");
    pn_json_uint(j, s->bs);
    pn_json_key(j, "test_acc_percent");
    pn_json_num(j, s->study_test);
    pn_json_close(j);
}

/* A figure the cell has: null without a finished round, and a standard
 * deviation null where the grid's CSV had none (one round). */
static void json_figure(pn_json *j, const char *key, const pn_t1_cell *c, double v, int is_std)
{
    pn_json_key(j, key);
    if (!pn_t1_has_mean(c) || (is_std && !c->std_text[0]))
        pn_json_null(j);
    else
        pn_json_num(j, v);
}

static void json_cell(pn_json *j, const pn_t1 *t, const pn_t1_cell *c, const pn_t1_cell *kv,
                      const pn_t1_cell *kt, const pn_model_info *s)
{
    pn_json_open(j, '{');
    pn_json_key(j, "set");
    pn_json_str(j, c->set == PN_T1_TEST ? "test" : "validation");
    pn_json_key(j, "lr");
    pn_json_num(j, t->lrs[c->lr]);
    pn_json_key(j, "bs");
    pn_json_uint(j, t->bss[c->bs]);
    const char *keys[3] = {"epochs", "rounds", "diverged"};
    const long v[3] = {c->epochs, c->rounds, c->diverged};
    for (int k = 0; k < 3; k++) {
        pn_json_key(j, keys[k]);
        pn_json_uint(j, v[k] > 0 ? (uint64_t)v[k] : 0);
    }
    json_figure(j, "test_mean", c, c->test_mean, 0);
    json_figure(j, "test_std", c, c->test_std, 1);
    json_figure(j, "train_mean", c, c->train_mean, 0);
    json_figure(j, "train_std", c, c->train_std, 1);
    /* the flags name a grid position, whichever set (as table1.csv's) */
    pn_json_key(j, "chosen_on_validation");
    pn_json_bool(j, kv && kv->lr == c->lr && kv->bs == c->bs);
    pn_json_key(j, "chosen_on_test");
    pn_json_bool(j, kt && kt->lr == c->lr && kt->bs == c->bs);
    pn_json_key(j, "study_choice");
    pn_json_bool(j, s && s->lr == t->lrs[c->lr] && s->bs == t->bss[c->bs]);
    pn_json_close(j);
}

static void json_model(pn_json *j, const pn_t1 *t, size_t m)
{
    const pn_t1_cell *kv = pn_t1_best(t, PN_T1_VALIDATION, m), *kt = pn_t1_best(t, PN_T1_TEST, m);
    pn_json_open(j, '{');
    pn_json_key(j, "model");
    pn_json_str(j, t->models[m]);
    json_choice(j, "chosen_on_validation", t, kv);
    json_choice(j, "chosen_on_test", t, kt);
    json_study(j, t->models[m]);
    pn_json_key(j, "cells");
    pn_json_open(j, '[');
    for (size_t a = 0; a < t->n_lrs; a++)
        for (size_t b = 0; b < t->n_bss; b++)
            for (int set = 0; set < PN_T1_SETS; set++) {
                const pn_t1_cell *c = pn_t1_find(t, set, m, a, b);
                if (c)
                    json_cell(j, t, c, kv, kt, pn_t1_study_model(t->models[m]));
            }
    pn_json_close(j);
    pn_json_close(j);
}

static void json_axes(pn_json *j, const pn_t1 *t)
{
    pn_json_key(j, "seeds");
    pn_json_open(j, '{');
    pn_json_key(j, "validation");
    pn_json_str(j, t->seeds[PN_T1_VALIDATION]);
    pn_json_key(j, "test");
    pn_json_str(j, t->seeds[PN_T1_TEST]);
    pn_json_close(j);
    pn_json_key(j, "lrs");
    pn_json_open(j, '[');
    for (size_t i = 0; i < t->n_lrs; i++)
        pn_json_num(j, t->lrs[i]);
    pn_json_close(j);
    pn_json_key(j, "batch_sizes");
    pn_json_open(j, '[');
    for (size_t i = 0; i < t->n_bss; i++)
        pn_json_uint(j, t->bss[i]);
    pn_json_close(j);
    pn_json_key(j, "study_protocol");
    pn_json_bool(j, pn_t1_study_protocol(t));
}

void pn_t1_study_json(pn_buf *b, const pn_t1 *t, const pn_run_info *info)
{
    pn_json j = pn_json_on(b);
    pn_json_open(&j, '{');
    pn_json_key(&j, "schema");
    pn_json_str(&j, PN_TABLE1_SCHEMA);
    json_axes(&j, t);
    pn_json_key(&j, "models");
    pn_json_open(&j, '[');
    for (size_t m = 0; m < t->n_models; m++)
        json_model(&j, t, m);
    pn_json_close(&j);
    pn_json_key(&j, "provenance");
    pn_provenance_json(&j, info);
    pn_json_close(&j);
}
