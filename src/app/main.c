/* Command-line parsing only: every option is declared once in the table
 * below, which drives both parsing and --help; the work is in the cmd_*.c files beside it. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/models/models.h"
#include "pairnet/base/parse.h"
#include "pairnet/base/pool.h"
#include "pairnet/app/run.h"

#define PAIRNET_VERSION "0.1.0"

enum { C_TRAIN = 1, C_BENCH = 2, C_EVAL = 4 };
enum kind { K_DOUBLE, K_SIZE, K_U64, K_STR, K_FLAG, K_MODEL, K_MODELS };

typedef struct optdef {
    const char *name;
    enum kind kind;
    size_t off; /* into pn_cli_opts */
    double min, max;
    int open; /* 1: min excluded, 2: max excluded */
    unsigned cmds;
    const char *help;
} optdef;

#define OFF(f) offsetof(pn_cli_opts, f)
static const optdef opts[] = {
    {"--model", K_MODEL, OFF(models), 0, 0, 0, C_TRAIN, "model to train (required): mlp cnn cnn_ws cnn_al cnn_ws_al best"},
    {"--models", K_MODELS, OFF(models), 0, 0, 0, C_BENCH, "comma-separated models (default: the study's five, not best)"},
    {"--lr", K_DOUBLE, OFF(lr), 0, 1000, 1, C_TRAIN | C_BENCH, "learning rate in (0, 1000] (default: the model's)"},
    {"--bs", K_SIZE, OFF(bs), 1, 1000, 0, C_TRAIN | C_BENCH, "batch size 1..1000 (default: the model's)"},
    {"--epochs", K_SIZE, OFF(epochs), 1, 100000, 0, C_TRAIN | C_BENCH, "epochs per round (45; best: its preset)"},
    {"--rounds", K_SIZE, OFF(rounds), 1, 100000, 0, C_TRAIN | C_BENCH, "rounds, seeds seed..seed+rounds-1 (train 1, bench 15)"},
    {"--seed", K_U64, OFF(seed), 0, 0, 0, C_TRAIN | C_BENCH | C_EVAL, "first seed (0); eval: the checkpoint's"},
    {"--aux-weight", K_DOUBLE, OFF(aux_weight), 0, 1000, 0, C_TRAIN | C_BENCH, "weight w of the auxiliary losses (1.0)"},
    {"--optimizer", K_STR, OFF(optimizer), 0, 0, 0, C_TRAIN | C_BENCH, "sgd, adam or adamw (sgd; best: its preset)"},
    {"--momentum", K_DOUBLE, OFF(momentum), 0, 1, 2, C_TRAIN | C_BENCH, "SGD momentum in [0, 1) (0)"},
    {"--weight-decay", K_DOUBLE, OFF(weight_decay), 0, 1, 0, C_TRAIN | C_BENCH, "weight decay in [0, 1]: L2 for sgd/adam, decoupled for adamw (0)"},
    {"--dropout", K_DOUBLE, OFF(dropout), 0, 1, 2, C_TRAIN | C_BENCH, "drop probability in [0, 1) after hidden FC layers (0)"},
    {"--aug-swap", K_SIZE, OFF(aug_swap), 0, 1, 0, C_TRAIN | C_BENCH, "1: swap a pair's images at random each epoch (0)"},
    {"--aug-repair", K_SIZE, OFF(aug_repair), 0, 1, 0, C_TRAIN | C_BENCH, "1: pair the training digits anew each epoch (0)"},
    {"--aug-shift", K_SIZE, OFF(aug_shift), 0, 4, 0, C_TRAIN | C_BENCH, "shift each image by up to N pixels, 0..4 (0)"},
    {"--lr-step", K_SIZE, OFF(lr_step), 0, 100000, 0, C_TRAIN | C_BENCH, "epochs between lr decays, 0 = none (15; best: its preset)"},
    {"--lr-gamma", K_DOUBLE, OFF(lr_gamma), 0, 1, 1, C_TRAIN | C_BENCH, "lr decay factor in (0, 1] (0.5)"},
    {"--threads", K_SIZE, OFF(threads), 1, 256, 0, C_TRAIN, "threads for one training run (online CPUs)"},
    {"--jobs", K_SIZE, OFF(threads), 1, 256, 0, C_BENCH, "rounds run in parallel (online CPUs)"},
    {"--eval-final", K_FLAG, OFF(eval_final), 0, 0, 0, C_TRAIN | C_BENCH, "evaluate only after the last epoch"},
    {"--data", K_STR, OFF(data), 0, 0, 0, C_TRAIN | C_BENCH | C_EVAL, "MNIST directory (else $PAIRNET_DATA, else data/mnist)"},
    {"--out", K_STR, OFF(out), 0, 0, 0, C_BENCH, "results directory (results)"},
    {"--save", K_STR, OFF(save), 0, 0, 0, C_TRAIN, "write the trained model to FILE (last round)"},
    {"--load", K_STR, OFF(load), 0, 0, 0, C_EVAL, "checkpoint to evaluate (required)"},
};

static void usage(FILE *f, unsigned cmd)
{
    fprintf(f, "pairnet %s: is the first of two MNIST digits <= the second?\n\n"
               "usage: pairnet train --model M [options]   train and evaluate R rounds\n"
               "       pairnet bench [options]             the study's Table II into results/\n"
               "       pairnet eval --load FILE [options]  evaluate a saved model\n"
               "       pairnet models                      list the models\n"
               "       pairnet --help | --version\n", PAIRNET_VERSION);
    static const char *names[] = {"train", "bench", "eval"};
    for (unsigned c = 0; c < 3; c++) {
        if (cmd && !(cmd & (1u << c)))
            continue;
        fprintf(f, "\n%s options:\n", names[c]);
        for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
            if (opts[i].cmds & (1u << c))
                fprintf(f, "  %-15s %s\n", opts[i].name, opts[i].help);
    }
    fprintf(f, "\nexit status: 0 ok, 1 runtime failure, 2 usage error, 3 bad data or "
               "checkpoint, 4 a round diverged, 130 interrupted\n");
}

static int parse_models(pn_cli_opts *o, const char *list, pn_err *err)
{
    static char buf[256];
    if (strlen(list) >= sizeof buf)
        return pn_fail(err, PN_ERR_USAGE, "--models: list too long");
    strcpy(buf, list);
    o->n_models = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (!pn_model_find(tok))
            return pn_fail(err, PN_ERR_USAGE, "unknown model '%s' (models: %s)", tok,
                           pn_model_names());
        for (size_t i = 0; i < o->n_models; i++)
            if (strcmp(o->models[i], tok) == 0)
                return pn_fail(err, PN_ERR_USAGE, "--models: '%s' given twice", tok);
        if (o->n_models == PN_MAX_MODELS)
            return pn_fail(err, PN_ERR_USAGE, "--models: at most %d models", PN_MAX_MODELS);
        o->models[o->n_models++] = tok;
    }
    if (o->n_models == 0)
        return pn_fail(err, PN_ERR_USAGE, "--models needs at least one of: %s", pn_model_names());
    return PN_OK;
}

static int set_option(pn_cli_opts *o, const optdef *d, const char *v, pn_err *err)
{
    char *base = (char *)o + d->off;
    switch (d->kind) {
    case K_DOUBLE: {
        double x;
        int rc = pn_parse_double(d->name, v, d->min, d->max, d->open & 1, &x, err);
        if (rc == PN_OK && (d->open & 2) && x >= d->max)
            rc = pn_fail(err, PN_ERR_USAGE, "%s: %s is out of range, expected [%g, %g)",
                         d->name, v, d->min, d->max);
        if (rc == PN_OK)
            memcpy(base, &x, sizeof x);
        return rc;
    }
    case K_SIZE: {
        size_t x;
        int rc = pn_parse_size(d->name, v, (size_t)d->min, (size_t)d->max, &x, err);
        if (rc == PN_OK)
            memcpy(base, &x, sizeof x);
        return rc;
    }
    case K_U64: {
        uint64_t x;
        int rc = pn_parse_u64(d->name, v, &x, err);
        if (rc == PN_OK) {
            memcpy(base, &x, sizeof x);
            o->seed_set = 1;
        }
        return rc;
    }
    case K_STR:
        if (!*v)
            return pn_fail(err, PN_ERR_USAGE, "%s needs a non-empty value", d->name);
        memcpy(base, &v, sizeof v);
        return PN_OK;
    case K_MODEL:
        if (!pn_model_find(v))
            return pn_fail(err, PN_ERR_USAGE, "unknown model '%s' (models: %s)", v,
                           pn_model_names());
        o->models[0] = v;
        o->n_models = 1;
        return PN_OK;
    case K_MODELS:
        return parse_models(o, v, err);
    case K_FLAG:
        break;
    }
    return PN_OK;
}

static int parse_args(pn_cli_opts *o, unsigned cmd, int argc, char **argv, pn_err *err)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const optdef *d = NULL;
        for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++)
            if (strcmp(opts[k].name, a) == 0 && (opts[k].cmds & cmd))
                d = &opts[k];
        if (!d) {
            char list[512] = "";
            size_t len = 0;
            for (size_t k = 0; k < sizeof opts / sizeof opts[0] && len < sizeof list; k++)
                if (opts[k].cmds & cmd)
                    len += (size_t)snprintf(list + len, sizeof list - len, " %s", opts[k].name);
            return pn_fail(err, PN_ERR_USAGE, "unknown option '%s' for %s (options:%s)", a,
                           argv[1], list);
        }
        if (d->kind == K_FLAG) {
            int one = 1;
            memcpy((char *)o + d->off, &one, sizeof one);
            continue;
        }
        if (i + 1 >= argc)
            return pn_fail(err, PN_ERR_USAGE, "%s needs a value", a);
        int rc = set_option(o, d, argv[++i], err);
        if (rc)
            return rc;
    }
    return PN_OK;
}

/* Checks that need several options at once. */
static int check_combination(const pn_cli_opts *o, unsigned cmd, pn_err *err)
{
    if (cmd == C_TRAIN && o->n_models == 0)
        return pn_fail(err, PN_ERR_USAGE, "train needs --model (one of: %s)", pn_model_names());
    if (cmd == C_EVAL && !o->load)
        return pn_fail(err, PN_ERR_USAGE, "eval needs --load FILE (written by train --save)");
    /* BatchNorm cannot normalize a single sample (PyTorch refuses it too):
     * its output would be beta whatever the input. */
    if (o->bs == 1)
        return pn_fail(err, PN_ERR_USAGE, "--bs 1 gives BatchNorm a single pair per batch, "
                       "which it cannot normalize; use --bs 2 or more");
    if (o->bs && 1000 % o->bs == 1)
        return pn_fail(err, PN_ERR_USAGE, "--bs %zu leaves a last batch of one pair, which "
                       "BatchNorm cannot normalize; choose another batch size", o->bs);
    return PN_OK;
}

static void record_command(pn_cli_opts *o, int argc, char **argv)
{
    size_t len = 0;
    for (int i = 0; i < argc && len + 1 < sizeof o->command; i++) {
        int n = snprintf(o->command + len, sizeof o->command - len, "%s%s", i ? " " : "",
                         i == 0 ? "pairnet" : argv[i]);
        if (n < 0)
            break;
        len += (size_t)n;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr, 0);
        return PN_ERR_USAGE;
    }
    const char *c = argv[1];
    if (!strcmp(c, "--help") || !strcmp(c, "-h") || !strcmp(c, "help")) {
        usage(stdout, 0);
        return 0;
    }
    if (!strcmp(c, "--version")) {
        printf("pairnet %s\n", PAIRNET_VERSION);
        return 0;
    }
    if (!strcmp(c, "models"))
        return pn_cmd_models();
    unsigned cmd = !strcmp(c, "train") ? C_TRAIN : !strcmp(c, "bench") ? C_BENCH
                 : !strcmp(c, "eval")  ? C_EVAL : 0;
    if (!cmd) {
        fprintf(stderr, "pairnet: unknown command '%s' (commands: train, bench, eval, models; "
                        "see pairnet --help)\n", c);
        return PN_ERR_USAGE;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout, cmd);
            return 0;
        }
    pn_cli_opts o;
    pn_err err = {0, ""};
    pn_cli_defaults(&o);
    o.threads = cmd == C_EVAL ? 1 : pn_cpu_count();
    if (cmd == C_BENCH)
        o.rounds = 15;
    record_command(&o, argc, argv);
    int rc = parse_args(&o, cmd, argc, argv, &err);
    if (rc == PN_OK)
        rc = check_combination(&o, cmd, &err);
    if (rc == PN_OK)
        rc = cmd == C_TRAIN ? pn_cmd_train(&o, &err)
           : cmd == C_BENCH ? pn_cmd_bench(&o, &err)
                            : pn_cmd_eval(&o, &err);
    if (rc != PN_OK)
        fprintf(stderr, "pairnet %s: %s\n", c, err.msg[0] ? err.msg : "failed");
    return rc;
}
