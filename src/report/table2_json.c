/* table2.json: Table II whole, for scripts (docs/formats.md, "table2.json"):
 * every model's configuration by the round store's option names, each of
 * its rounds, its means and standard deviations, the paired effects with
 * their raw and Holm-adjusted p-values, and the provenance. The figures
 * are the doubles the tables round, so a reader can round them as it likes. */
#include "pairnet/report/results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/report/json.h"
#include "pairnet/report/store.h"

/* Option id of c as the store key holds it: a number, a flag as a
 * boolean, a choice (or a named flag) by its name. */
static void json_option(pn_json *j, const pn_train_cfg *c, pn_topt_id id)
{
    const pn_train_opt *d = &pn_train_opts[id];
    const double v = pn_topt_get(c, id);
    pn_json_key(j, d->key);
    switch (d->kind) {
    case PN_TOPT_D: pn_json_num(j, v); break;
    case PN_TOPT_F: pn_json_float(j, (float)v); break;
    case PN_TOPT_Z: /* 0 where it stands for another value (tta 0: one view) as that */
        pn_json_uint(j, (uint64_t)(v == 0.0 && d->zero ? d->zero : v));
        break;
    case PN_TOPT_B:
    case PN_TOPT_C:
        if (d->names)
            pn_json_str(j, d->names((int)v) ? d->names((int)v) : "?");
        else
            pn_json_bool(j, v != 0.0);
        break;
    }
}

static void json_config(pn_json *j, const pn_train_cfg *c)
{
    pn_json_key(j, "config");
    pn_json_open(j, '{');
    for (int id = 0; id < PN_N_TOPTS; id++)
        json_option(j, c, (pn_topt_id)id);
    pn_json_close(j);
    char *key = NULL;
    pn_err ignore = {0};
    pn_json_key(j, "store_key");
    if (pn_store_key_of(c, &key, &ignore) == PN_OK)
        pn_json_str(j, key);
    else
        pn_json_null(j);
    free(key);
}

/* The standard deviation of rounds rounds: null for one round (it has no
 * sample spread; docs/spec.md, "one round") and for none. */
static void json_std(pn_json *j, size_t rounds, double std)
{
    if (rounds > 1)
        pn_json_num(j, std);
    else
        pn_json_null(j);
}

static void json_summary(pn_json *j, const pn_model_summary *s)
{
    pn_json_key(j, "summary");
    pn_json_open(j, '{');
    pn_json_key(j, "rounds");
    pn_json_uint(j, s->rounds);
    pn_json_key(j, "diverged");
    pn_json_uint(j, s->diverged);
    const char *names[4] = {"train", "test", "digit", "argmax"};
    const double mean[4] = {s->train_mean, s->test_mean, s->digit_mean, s->argmax_mean};
    const double std[4] = {s->train_std, s->test_std, s->digit_std, s->argmax_std};
    for (int k = 0; k < 4; k++) {
        char key[32];
        snprintf(key, sizeof key, "%s_mean", names[k]);
        pn_json_key(j, key);
        pn_json_num(j, mean[k]);
        snprintf(key, sizeof key, "%s_std", names[k]);
        pn_json_key(j, key);
        json_std(j, s->rounds, std[k]);
    }
    pn_json_key(j, "seconds_per_round");
    pn_json_num(j, s->sec_per_round);
    pn_json_close(j);
}

static void json_round(pn_json *j, const pn_round_rec *r)
{
    pn_json_open(j, '{');
    pn_json_key(j, "round");
    pn_json_uint(j, r->round);
    pn_json_key(j, "seed");
    pn_json_uint(j, r->seed);
    pn_json_key(j, "diverged");
    pn_json_bool(j, r->diverged);
    pn_json_key(j, "epochs");
    pn_json_uint(j, r->n_epochs);
    const char *keys[4] = {"train_acc", "test_acc", "digit_acc", "argmax_acc"};
    const double v[4] = {r->train_acc, r->test_acc, r->digit_acc, r->argmax_acc};
    for (int k = 0; k < 4; k++) {
        pn_json_key(j, keys[k]);
        pn_json_num(j, v[k]); /* NaN (null) when diverged or unmeasured */
    }
    pn_json_key(j, "seconds");
    pn_json_num(j, r->seconds);
    pn_json_close(j);
}

static void json_model(pn_json *j, const pn_table2 *t, size_t m)
{
    const pn_model_summary *s = &t->s[m];
    pn_json_open(j, '{');
    pn_json_key(j, "model");
    pn_json_str(j, s->model);
    pn_json_key(j, "params");
    pn_json_uint(j, s->params);
    pn_json_key(j, "networks");
    pn_json_uint(j, s->networks > 1 ? s->networks : 1);
    json_config(j, &t->cfg[m]);
    json_summary(j, s);
    pn_json_key(j, "rounds");
    pn_json_open(j, '[');
    for (size_t i = 0; i < t->n_rounds; i++)
        if (!strcmp(t->r[i].model, s->model))
            json_round(j, &t->r[i]);
    pn_json_close(j);
    pn_json_close(j);
}

static void json_effect(pn_json *j, const pn_effect *e)
{
    pn_json_open(j, '{');
    pn_json_key(j, "what");
    pn_json_str(j, e->what);
    pn_json_key(j, "a");
    pn_json_str(j, e->a);
    pn_json_key(j, "b");
    pn_json_str(j, e->b);
    pn_effect_json_stats(j, e);
    pn_json_close(j);
}

int pn_write_table2_json(const char *dir, const pn_table2 *t, pn_err *err)
{
    pn_buf b = {0};
    pn_json j = pn_json_on(&b);
    pn_json_open(&j, '{');
    pn_json_key(&j, "schema");
    pn_json_str(&j, PN_TABLE2_SCHEMA);
    pn_json_key(&j, "models");
    pn_json_open(&j, '[');
    for (size_t m = 0; m < t->n_models; m++)
        json_model(&j, t, m);
    pn_json_close(&j);
    pn_json_key(&j, "effects");
    pn_json_open(&j, '[');
    for (size_t i = 0; i < t->n_effects; i++)
        json_effect(&j, &t->e[i]);
    pn_json_close(&j);
    pn_json_key(&j, "provenance");
    pn_provenance_json(&j, t->info);
    pn_json_close(&j);
    return pn_buf_save(dir, "table2.json", &b, err);
}
