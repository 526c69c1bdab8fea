/* Option defaults and the training configuration a command line asks for.
 * The training defaults themselves are the model's preset (the registry,
 * src/models/registry.c); an option left unset keeps it. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pairnet/app/cli.h"
#include "pairnet/base/file.h"
#include "pairnet/base/pool.h"
#include "pairnet/train/train.h"

void pn_cli_defaults(pn_cli_opts *o, pn_command cmd)
{
    memset(o, 0, sizeof *o);
    o->rounds = cmd == PN_CMD_BENCH ? PN_BENCH_ROUNDS : PN_TRAIN_ROUNDS;
    o->aux_weight = o->momentum = o->weight_decay = o->lr_gamma = o->dropout = NAN;
    o->epochs = o->lr_step = o->aug_shift = PN_UNSET;
    o->aug_swap = o->aug_repair = -1;
    o->aug_rotate = o->aug_scale = o->aug_shear = o->aug_translate = o->aug_elastic = NAN;
    o->aug_elastic_sigma = o->ema = NAN;
    o->tta = o->ensemble = o->width = PN_UNSET;
    o->lr_cosine = -1;
    const size_t cpus = pn_cpu_count();
    o->threads = cmd == PN_CMD_EVAL ? 1 : cpus < PN_MAX_THREADS ? cpus : PN_MAX_THREADS;
}

/* Rounds use the seeds SEED..SEED+R-1: that range must not pass 2^64 - 1
 * (it would wrap to seed 0 and repeat rounds under other numbers). */
static int check_seeds(const pn_cli_opts *o, pn_err *err)
{
    if (o->rounds > 1 && o->seed > UINT64_MAX - (o->rounds - 1))
        return pn_fail(err, PN_ERR_USAGE, "--seed %llu --rounds %zu: the seeds of the rounds "
                       "would pass %llu and wrap around; use --seed %llu or less",
                       (unsigned long long)o->seed, o->rounds, (unsigned long long)UINT64_MAX,
                       (unsigned long long)(UINT64_MAX - (o->rounds - 1)));
    return PN_OK;
}

/* Every file bench writes into --out; the longest name decides whether
 * the folder's path leaves room for them (and their temporaries). */
static const char *const out_files[] = {"table2.md", "table2.csv", "runs.csv", "fig4.svg",
                                        "curves.svg", "digits.svg", "effects.svg", "index.html",
                                        "rounds.pnr", "rounds.lock"};

/* --out and --save are checked for length before any training: a run must
 * never end unable to write what it computed. */
static int check_paths(const pn_cli_opts *o, pn_err *err)
{
    if (o->save) {
        int rc = pn_write_path_check(o->save, "--save", err);
        if (rc != PN_OK)
            return rc;
    }
    if (!o->out)
        return PN_OK;
    char path[8192]; /* longer than PATH_MAX: a cut path is refused too */
    for (size_t i = 0; i < sizeof out_files / sizeof out_files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", o->out, out_files[i]);
        int rc = pn_write_path_check(path, "--out", err);
        if (rc != PN_OK)
            return rc;
    }
    return PN_OK;
}

int pn_train_cfg_from_opts(pn_train_cfg *c, const pn_cli_opts *o, const pn_model_info *m,
                           pn_err *err)
{
    pn_train_cfg_default(c, m);
    int rc = check_seeds(o, err);
    if (rc == PN_OK)
        rc = check_paths(o, err);
    if (rc != PN_OK)
        return rc;
    if (o->lr > 0)
        c->lr = o->lr;
    if (o->bs > 0)
        c->bs = o->bs;
    if (o->optimizer && pn_optimizer_parse(o->optimizer, &c->optimizer) != 0)
        return pn_fail(err, PN_ERR_USAGE, "--optimizer: unknown '%s' (sgd, adam, adamw)",
                       o->optimizer);
#define SET_IF(field, value, unset) \
    if (!(unset))                   \
        field = value
    SET_IF(c->mopts.aux_weight, (float)o->aux_weight, isnan(o->aux_weight));
    SET_IF(c->mopts.dropout, (float)o->dropout, isnan(o->dropout));
    SET_IF(c->momentum, o->momentum, isnan(o->momentum));
    SET_IF(c->weight_decay, o->weight_decay, isnan(o->weight_decay));
    SET_IF(c->lr_gamma, o->lr_gamma, isnan(o->lr_gamma));
    SET_IF(c->epochs, o->epochs, o->epochs == PN_UNSET);
    SET_IF(c->lr_step, o->lr_step, o->lr_step == PN_UNSET);
    SET_IF(c->aug_swap, o->aug_swap != 0, o->aug_swap < 0);
    SET_IF(c->aug_repair, o->aug_repair != 0, o->aug_repair < 0);
    SET_IF(c->aug_shift, o->aug_shift, o->aug_shift == PN_UNSET);
    SET_IF(c->warp.rotate, (float)o->aug_rotate, isnan(o->aug_rotate));
    SET_IF(c->warp.scale, (float)o->aug_scale, isnan(o->aug_scale));
    SET_IF(c->warp.shear, (float)o->aug_shear, isnan(o->aug_shear));
    SET_IF(c->warp.translate, (float)o->aug_translate, isnan(o->aug_translate));
    SET_IF(c->warp.elastic, (float)o->aug_elastic, isnan(o->aug_elastic));
    SET_IF(c->warp.elastic_sigma, (float)o->aug_elastic_sigma, isnan(o->aug_elastic_sigma));
    SET_IF(c->ema, o->ema, isnan(o->ema));
    SET_IF(c->tta, o->tta, o->tta == PN_UNSET);
    SET_IF(c->ensemble, o->ensemble, o->ensemble == PN_UNSET);
    SET_IF(c->mopts.width, o->width, o->width == PN_UNSET);
    SET_IF(c->lr_cosine, o->lr_cosine != 0, o->lr_cosine < 0);
#undef SET_IF
    if (o->decide && pn_decide_parse(o->decide, &c->decide) != 0)
        return pn_fail(err, PN_ERR_USAGE, "--decide: unknown '%s' (head, argmax, prob)",
                       o->decide);
    if (o->head) {
        if (strcmp(o->head, "learned") != 0 && strcmp(o->head, "prob") != 0)
            return pn_fail(err, PN_ERR_USAGE, "--head: unknown '%s' (learned, prob)", o->head);
        if (strcmp(m->name, "best") != 0)
            return pn_fail(err, PN_ERR_USAGE, "--head is for model best (its softmax outputs)");
        c->mopts.prob_head = strcmp(o->head, "prob") == 0;
    }
    /* a checkpoint holds one network of the standard architecture, which
     * `pairnet eval` answers with its head */
    if (o->save && (c->ensemble > 1 || c->tta > 1 || c->decide != PN_DECIDE_HEAD ||
                    c->mopts.width > 1 || c->mopts.prob_head))
        return pn_fail(err, PN_ERR_USAGE, "--save keeps one network answered by its head: "
                       "add --ensemble 1 --tta 1 --decide head (and no --width, --head prob)");
    if (c->tta > 1 && c->tta != 5 && c->tta != 9)
        return pn_fail(err, PN_ERR_USAGE, "--tta %zu: 1 (none), 5 (centre and 1-pixel "
                       "shifts) or 9 (all 3x3 shifts)", c->tta);
    c->eval_epochs = !o->eval_final;
    /* BatchNorm cannot normalize a single sample (PyTorch refuses it too):
     * its output would be beta whatever the input. */
    if (c->bs == 1)
        return pn_fail(err, PN_ERR_USAGE, "--bs 1 gives BatchNorm a single pair per batch, "
                       "which it cannot normalize; use --bs 2 or more");
    if (c->n_pairs % c->bs == 1)
        return pn_fail(err, PN_ERR_USAGE, "--bs %zu leaves a last batch of one pair (of %zu), "
                       "which BatchNorm cannot normalize; choose another batch size", c->bs,
                       c->n_pairs);
    if (!(c->mopts.dropout < 1.0f)) /* 0.99999999 is < 1 as a double, 1 as a float */
        return pn_fail(err, PN_ERR_USAGE, "--dropout %.9g rounds to 1 (drop everything); use "
                       "a value below 0.9999999", o->dropout);
    if (c->optimizer != PN_OPT_SGD && c->momentum != 0.0)
        return pn_fail(err, PN_ERR_USAGE, "--momentum is for --optimizer sgd; %s for %s keeps "
                       "its own moments (drop --momentum)", pn_optimizer_name(c->optimizer),
                       m->name);
    return PN_OK;
}
