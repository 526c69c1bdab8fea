/* Command-line parsing only: every option is declared once in the table
 * below, which drives both parsing and --help (whose defaults come from
 * where they are kept: the models' presets in the registry, cli.h); the
 * work is in the cmd_*.c files beside it. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/app/cli.h"
#include "pairnet/base/parse.h"
#include "pairnet/models/models.h"
#include "pairnet/train/train.h"

#define PAIRNET_VERSION "0.1.0"

enum { C_TRAIN = PN_CMD_TRAIN, C_BENCH = PN_CMD_BENCH, C_EVAL = PN_CMD_EVAL };
enum kind { K_DOUBLE, K_SIZE, K_U64, K_STR, K_FLAG, K_MODEL, K_MODELS };
/* Where the default that --help shows comes from: the help text itself, a
 * field of the models' presets (the registry), or the application's own. */
enum dflt {
    D_TEXT, D_EPOCHS, D_LR_STEP, D_LR_GAMMA, D_WEIGHT_DECAY, D_MOMENTUM, D_AUX_WEIGHT,
    D_DROPOUT, D_AUG_SWAP, D_AUG_REPAIR, D_AUG_SHIFT, D_OPTIMIZER, D_MODEL, D_MODELS,
    D_ROUNDS, D_THREADS, D_OUT, D_BS
};

typedef struct optdef {
    const char *name;
    enum kind kind;
    size_t off; /* into pn_cli_opts */
    double min, max;
    int open; /* 1: min excluded, 2: max excluded */
    unsigned cmds;
    const char *help;
    enum dflt dflt;
} optdef;

#define OFF(f) offsetof(pn_cli_opts, f)
static const optdef opts[] = {
    {"--model", K_MODEL, OFF(models), 0, 0, 0, C_TRAIN, "model to train (required):", D_MODEL},
    {"--models", K_MODELS, OFF(models), 0, 0, 0, C_BENCH, "comma-separated models", D_MODELS},
    {"--lr", K_DOUBLE, OFF(lr), 0, 1000, 1, C_TRAIN | C_BENCH, "learning rate in (0, 1000] (default: the model's, see pairnet models)", D_TEXT},
    {"--bs", K_SIZE, OFF(bs), 1, PN_MAX_BATCH, 0, C_TRAIN | C_BENCH, "batch size", D_BS},
    {"--epochs", K_SIZE, OFF(epochs), 1, 100000, 0, C_TRAIN | C_BENCH, "epochs per round", D_EPOCHS},
    {"--rounds", K_SIZE, OFF(rounds), 1, 100000, 0, C_TRAIN | C_BENCH, "rounds, seeds seed..seed+rounds-1", D_ROUNDS},
    {"--seed", K_U64, OFF(seed), 0, 0, 0, C_TRAIN | C_BENCH | C_EVAL, "first seed (0); eval: the checkpoint's", D_TEXT},
    {"--aux-weight", K_DOUBLE, OFF(aux_weight), 0, 1000, 0, C_TRAIN | C_BENCH, "weight w of the auxiliary losses", D_AUX_WEIGHT},
    {"--optimizer", K_STR, OFF(optimizer), 0, 0, 0, C_TRAIN | C_BENCH, "sgd, adam or adamw", D_OPTIMIZER},
    {"--momentum", K_DOUBLE, OFF(momentum), 0, 1, 2, C_TRAIN | C_BENCH, "SGD momentum in [0, 1)", D_MOMENTUM},
    {"--weight-decay", K_DOUBLE, OFF(weight_decay), 0, 1, 0, C_TRAIN | C_BENCH, "weight decay in [0, 1]: L2 for sgd/adam, decoupled for adamw", D_WEIGHT_DECAY},
    {"--dropout", K_DOUBLE, OFF(dropout), 0, 1, 2, C_TRAIN | C_BENCH, "drop probability in [0, 1) after hidden FC layers", D_DROPOUT},
    {"--aug-swap", K_SIZE, OFF(aug_swap), 0, 1, 0, C_TRAIN | C_BENCH, "1: swap a pair's images at random each epoch", D_AUG_SWAP},
    {"--aug-repair", K_SIZE, OFF(aug_repair), 0, 1, 0, C_TRAIN | C_BENCH, "1: pair the training digits anew each epoch", D_AUG_REPAIR},
    {"--aug-shift", K_SIZE, OFF(aug_shift), 0, 4, 0, C_TRAIN | C_BENCH, "shift each image by up to N pixels, 0..4", D_AUG_SHIFT},
    {"--aug-rotate", K_DOUBLE, OFF(aug_rotate), 0, 90, 0, C_TRAIN | C_BENCH, "warp: rotate each training image by up to DEG degrees (default: the preset's)", D_TEXT},
    {"--aug-scale", K_DOUBLE, OFF(aug_scale), 0, 0.5, 0, C_TRAIN | C_BENCH, "warp: scale each training image by 1 +- up to F (default: the preset's)", D_TEXT},
    {"--aug-shear", K_DOUBLE, OFF(aug_shear), 0, 45, 0, C_TRAIN | C_BENCH, "warp: shear each training image by up to DEG degrees (default: the preset's)", D_TEXT},
    {"--aug-translate", K_DOUBLE, OFF(aug_translate), 0, 4, 0, C_TRAIN | C_BENCH, "warp: move each training image by up to PX pixels, sub-pixel (default: the preset's)", D_TEXT},
    {"--aug-elastic", K_DOUBLE, OFF(aug_elastic), 0, 100, 0, C_TRAIN | C_BENCH, "warp: elastic distortion of strength ALPHA px, 0 = none (8 ~ Simard's 34 at 28 px)", D_TEXT},
    {"--aug-elastic-sigma", K_DOUBLE, OFF(aug_elastic_sigma), 0, 14, 1, C_TRAIN | C_BENCH, "warp: smoothing sigma of the elastic field in px (default 2)", D_TEXT},
    {"--ema", K_DOUBLE, OFF(ema), 0, 1, 2, C_TRAIN | C_BENCH, "evaluate a moving average of the weights with this decay in [0, 1), 0 = off", D_TEXT},
    {"--tta", K_SIZE, OFF(tta), 1, PN_MAX_TTA, 0, C_TRAIN | C_BENCH, "test-time augmentation: average 1, 5 or 9 shifted views (costs as many evaluations)", D_TEXT},
    {"--ensemble", K_SIZE, OFF(ensemble), 1, 16, 0, C_TRAIN | C_BENCH, "train K networks per round and average them (K times the cost)", D_TEXT},
    {"--width", K_SIZE, OFF(width), 1, 8, 0, C_TRAIN | C_BENCH, "digit towers with N times the channels and hidden units", D_TEXT},
    {"--decide", K_STR, OFF(decide), 0, 0, 0, C_TRAIN | C_BENCH, "answer a pair by: head, argmax (compare the digits) or prob (P(d1<=d2) >= 1/2)", D_TEXT},
    {"--head", K_STR, OFF(head), 0, 0, 0, C_TRAIN | C_BENCH, "best's head: learned, or prob (P(d1<=d2) of the digit softmaxes, no weights)", D_TEXT},
    {"--lr-cosine", K_SIZE, OFF(lr_cosine), 0, 1, 0, C_TRAIN | C_BENCH, "1: cosine learning-rate schedule instead of the step decay", D_TEXT},
    {"--lr-step", K_SIZE, OFF(lr_step), 0, 100000, 0, C_TRAIN | C_BENCH, "epochs between lr decays, 0 = none", D_LR_STEP},
    {"--lr-gamma", K_DOUBLE, OFF(lr_gamma), 0, 1, 1, C_TRAIN | C_BENCH, "lr decay factor in (0, 1]", D_LR_GAMMA},
    {"--threads", K_SIZE, OFF(threads), 1, PN_MAX_THREADS, 0, C_TRAIN, "threads for one training run", D_THREADS},
    {"--jobs", K_SIZE, OFF(threads), 1, PN_MAX_THREADS, 0, C_BENCH, "rounds run in parallel", D_THREADS},
    {"--eval-final", K_FLAG, OFF(eval_final), 0, 0, 0, C_TRAIN | C_BENCH, "evaluate only after the last epoch", D_TEXT},
    {"--data", K_STR, OFF(data), 0, 0, 0, C_TRAIN | C_BENCH | C_EVAL, "MNIST directory (else $PAIRNET_DATA, else data/mnist)", D_TEXT},
    {"--out", K_STR, OFF(out), 0, 0, 0, C_BENCH, "results directory", D_OUT},
    {"--save", K_STR, OFF(save), 0, 0, 0, C_TRAIN, "write the trained model to FILE (last round)", D_TEXT},
    {"--load", K_STR, OFF(load), 0, 0, 0, C_EVAL, "checkpoint to evaluate (required)", D_TEXT},
};

/* One preset field as text. */
static void preset_value(const pn_preset *p, enum dflt d, char *out, size_t cap)
{
    switch (d) {
    case D_EPOCHS: snprintf(out, cap, "%zu", p->epochs); break;
    case D_LR_STEP: snprintf(out, cap, "%zu", p->lr_step); break;
    case D_LR_GAMMA: snprintf(out, cap, "%g", p->lr_gamma); break;
    case D_WEIGHT_DECAY: snprintf(out, cap, "%g", p->weight_decay); break;
    case D_MOMENTUM: snprintf(out, cap, "%g", p->momentum); break;
    case D_AUX_WEIGHT: snprintf(out, cap, "%g", (double)p->aux_weight); break;
    case D_DROPOUT: snprintf(out, cap, "%g", (double)p->dropout); break;
    case D_AUG_SWAP: snprintf(out, cap, "%d", p->aug_swap); break;
    case D_AUG_REPAIR: snprintf(out, cap, "%d", p->aug_repair); break;
    case D_AUG_SHIFT: snprintf(out, cap, "%zu", p->aug_shift); break;
    case D_OPTIMIZER: snprintf(out, cap, "%s", pn_optimizer_name(p->optimizer)); break;
    default: snprintf(out, cap, "?"); break;
    }
}

/* The names of models [from, to) of the registry, sep between them. */
static void model_names(char *out, size_t cap, size_t from, size_t to, const char *sep)
{
    size_t n, len = 0;
    const pn_model_info *m = pn_model_list(&n);
    out[0] = '\0';
    for (size_t i = from; i < to && i < n && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i > from ? sep : "", m[i].name);
}

/* The default of option d as --help shows it, from where it is kept. */
static void default_text(const optdef *d, char *out, size_t cap)
{
    size_t n;
    const pn_model_info *m = pn_model_list(&n);
    char names[256];
    out[0] = '\0';
    switch (d->dflt) {
    case D_TEXT: return;
    case D_MODEL:
        model_names(names, sizeof names, 0, n, " ");
        snprintf(out, cap, " %s", names);
        return;
    case D_MODELS:
        model_names(names, sizeof names, 0, pn_study_model_count(), ",");
        snprintf(out, cap, " (default: the study's, %s)", names);
        return;
    case D_ROUNDS:
        snprintf(out, cap, " (train %d, bench %d)", PN_TRAIN_ROUNDS, PN_BENCH_ROUNDS);
        return;
    case D_THREADS: snprintf(out, cap, " (online CPUs, at most %d)", PN_MAX_THREADS); return;
    case D_OUT: snprintf(out, cap, " (%s)", PN_DEFAULT_OUT); return;
    case D_BS:
        snprintf(out, cap, " 1..%d (default: the model's, see pairnet models)", PN_MAX_BATCH);
        return;
    default: break;
    }
    /* A preset field: the value of the models without a preset of their own
     * (the specification's), then every model whose preset differs. */
    char base[64] = "", v[64];
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        if (!m[i].preset) {
            preset_value(pn_model_preset(&m[i]), d->dflt, base, sizeof base);
            break;
        }
    len = (size_t)snprintf(out, cap, " (%s", base);
    for (size_t i = 0; i < n && len < cap; i++) {
        if (!m[i].preset)
            continue;
        preset_value(m[i].preset, d->dflt, v, sizeof v);
        if (strcmp(v, base) != 0)
            len += (size_t)snprintf(out + len, cap - len, "; %s: %s", m[i].name, v);
    }
    if (len < cap)
        snprintf(out + len, cap - len, ")");
}

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
            if (opts[i].cmds & (1u << c)) {
                char dflt[256];
                default_text(&opts[i], dflt, sizeof dflt);
                fprintf(f, "  %-15s %s%s\n", opts[i].name, opts[i].help, dflt);
            }
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

/* Checks that need several options at once (those that need the model's
 * configuration too are pn_train_cfg_from_opts's). */
static int check_combination(const pn_cli_opts *o, unsigned cmd, pn_err *err)
{
    if (cmd == C_TRAIN && o->n_models == 0)
        return pn_fail(err, PN_ERR_USAGE, "train needs --model (one of: %s)", pn_model_names());
    if (cmd == C_EVAL && !o->load)
        return pn_fail(err, PN_ERR_USAGE, "eval needs --load FILE (written by train --save)");
    return PN_OK;
}

/* The command line for the provenance; one too long to keep ends in "..."
 * rather than being cut off silently. */
static void record_command(pn_cli_opts *o, int argc, char **argv)
{
    const size_t cap = sizeof o->command;
    size_t len = 0;
    for (int i = 0; i < argc; i++) {
        int n = snprintf(o->command + len, cap - len, "%s%s", i ? " " : "",
                         i == 0 ? "pairnet" : argv[i]);
        if (n < 0 || (size_t)n >= cap - len) {
            memcpy(o->command + cap - 4, "...", 4);
            return;
        }
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
    pn_cli_defaults(&o, (pn_command)cmd);
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
