/* What a command line asks for: the application's option defaults, and the
 * training configuration (the model's defaults, models/train_cfg.c, with
 * every option given copied over) with the checks that need several options
 * or the model. */
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
static const char *const out_files[] = {"table2.md", "table2.csv", "table2.json", "runs.csv",
                                        "fig4.svg", "curves.svg", "digits.svg", "effects.svg",
                                        "index.html", "rounds.pnr", "rounds.lock"};

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

/* --head prob is best's only; --tta takes the views it knows. */
static int check_model(const pn_train_cfg *c, const pn_cli_opts *o, const pn_model_info *m,
                       pn_err *err)
{
    if ((o->train_set & PN_TOPT_BIT(PN_TOPT_HEAD)) && strcmp(m->name, "best") != 0)
        return pn_fail(err, PN_ERR_USAGE, "--head is for model best (its softmax outputs)");
    if (c->tta > 1 && c->tta != 5 && c->tta != 9)
        return pn_fail(err, PN_ERR_USAGE, "--tta %zu: 1 (none), 5 (centre and 1-pixel "
                       "shifts) or 9 (all 3x3 shifts)", c->tta);
    if (c->optimizer != PN_OPT_SGD && c->momentum != 0.0)
        return pn_fail(err, PN_ERR_USAGE, "--momentum is for --optimizer sgd; %s for %s keeps "
                       "its own moments (drop --momentum)", pn_optimizer_name(c->optimizer),
                       m->name);
    return PN_OK;
}

/* BatchNorm cannot normalize a single sample (PyTorch refuses it too): its
 * output would be beta whatever the input. */
static int check_batches(const pn_train_cfg *c, pn_err *err)
{
    if (c->bs == 1)
        return pn_fail(err, PN_ERR_USAGE, "--bs 1 gives BatchNorm a single pair per batch, "
                       "which it cannot normalize; use --bs 2 or more");
    if (c->n_pairs % c->bs == 1)
        return pn_fail(err, PN_ERR_USAGE, "--bs %zu leaves a last batch of one pair (of %zu), "
                       "which BatchNorm cannot normalize; choose another batch size", c->bs,
                       c->n_pairs);
    return PN_OK;
}

int pn_train_cfg_from_opts(pn_train_cfg *c, const pn_cli_opts *o, const pn_model_info *m,
                           pn_err *err)
{
    pn_train_cfg_default(c, m);
    pn_topt_copy(c, &o->train, o->train_set);
    int rc = check_seeds(o, err);
    if (rc == PN_OK)
        rc = check_paths(o, err);
    if (rc == PN_OK)
        rc = check_model(c, o, m, err);
    if (rc == PN_OK)
        rc = check_batches(c, err);
    return rc;
}
