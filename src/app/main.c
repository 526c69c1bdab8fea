/* Command-line parsing only: every option is declared once in the table
 * below, which drives parsing, --help (whose defaults come from where they
 * are kept: the models' presets in the registry, cli.h) and the "did you
 * mean" of an unknown option; the work is in the cmd_*.c files beside it.
 * GNU habits: `--opt value` and `--opt=value`, flags `--x` / `--no-x`,
 * `pairnet CMD --help` for one command's options, --version / -V. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/app/cli.h"
#include "pairnet/base/parse.h"
#include "pairnet/models/models.h"
#include "pairnet/ops/kernel.h"
#include "pairnet/report/provenance.h"
#include "pairnet/train/train.h"

#define PAIRNET_VERSION "0.1.0"
#define NBSP "\001" /* a space --help does not wrap at */

enum { C_TRAIN = PN_CMD_TRAIN, C_BENCH = PN_CMD_BENCH, C_EVAL = PN_CMD_EVAL };
/* K_FLAG: an int field, 1 for --name and 0 for --no-name. */
enum kind { K_DOUBLE, K_SIZE, K_U64, K_STR, K_FLAG, K_MODEL, K_MODELS };
/* Where the default that --help shows comes from: the help text itself, a
 * field of the models' presets (the registry), or the application's own. */
enum dflt {
    D_TEXT, D_EPOCHS, D_LR_STEP, D_LR_GAMMA, D_WEIGHT_DECAY, D_MOMENTUM, D_AUX_WEIGHT,
    D_DROPOUT, D_AUG_SWAP, D_AUG_REPAIR, D_AUG_SHIFT, D_OPTIMIZER, D_MODEL, D_MODELS,
    D_ROUNDS, D_THREADS, D_OUT, D_BS, D_LR, D_AUG_ROTATE, D_AUG_SCALE, D_AUG_SHEAR,
    D_AUG_TRANSLATE, D_AUG_ELASTIC, D_AUG_ELASTIC_SIGMA, D_EMA, D_TTA, D_ENSEMBLE, D_WIDTH,
    D_DECIDE, D_LR_COSINE
};

typedef struct optdef {
    const char *name;
    const char *metavar; /* the value's name in --help; NULL for a flag */
    enum kind kind;
    size_t off; /* into pn_cli_opts */
    double min, max;
    int open; /* 1: min excluded, 2: max excluded */
    unsigned cmds;
    const char *help;
    enum dflt dflt;
} optdef;

#define OFF(f) offsetof(pn_cli_opts, f)
#define TB (C_TRAIN | C_BENCH)
static const optdef opts[] = {
    {"--model", "NAME", K_MODEL, OFF(models), 0, 0, 0, C_TRAIN, "the model to train (required), one of:", D_MODEL},
    {"--models", "LIST", K_MODELS, OFF(models), 0, 0, 0, C_BENCH, "comma-separated models", D_MODELS},
    {"--lr", "RATE", K_DOUBLE, OFF(lr), 0, 1000, 1, TB, "learning rate in (0, 1000]", D_LR},
    {"--bs", "N", K_SIZE, OFF(bs), 1, PN_MAX_BATCH, 0, TB, "batch size", D_BS},
    {"--epochs", "N", K_SIZE, OFF(epochs), 1, 100000, 0, TB, "epochs per round", D_EPOCHS},
    {"--rounds", "N", K_SIZE, OFF(rounds), 1, 100000, 0, TB, "rounds, with seeds SEED..SEED+N-1", D_ROUNDS},
    {"--seed", "SEED", K_U64, OFF(seed), 0, 0, 0, TB, "seed of the first round (default: 0)", D_TEXT},
    {"--seed", "SEED", K_U64, OFF(seed), 0, 0, 0, C_EVAL, "seed of the pairs to evaluate on (default: the checkpoint's)", D_TEXT},
    {"--aux-weight", "W", K_DOUBLE, OFF(aux_weight), 0, 1000, 0, TB, "weight of the auxiliary digit losses, 0..1000", D_AUX_WEIGHT},
    {"--optimizer", "NAME", K_STR, OFF(optimizer), 0, 0, 0, TB, "sgd, adam or adamw", D_OPTIMIZER},
    {"--momentum", "M", K_DOUBLE, OFF(momentum), 0, 1, 2, TB, "SGD momentum in [0, 1)", D_MOMENTUM},
    {"--weight-decay", "WD", K_DOUBLE, OFF(weight_decay), 0, 1, 0, TB, "weight decay in [0, 1]: L2 for sgd and adam, decoupled for adamw", D_WEIGHT_DECAY},
    {"--dropout", "P", K_DOUBLE, OFF(dropout), 0, 1, 2, TB, "drop probability in [0, 1) after the hidden FC layers", D_DROPOUT},
    {"--aug-swap", NULL, K_FLAG, OFF(aug_swap), 0, 0, 0, TB, "swap the two images of a pair at random each epoch", D_AUG_SWAP},
    {"--aug-repair", NULL, K_FLAG, OFF(aug_repair), 0, 0, 0, TB, "pair the training digits anew each epoch", D_AUG_REPAIR},
    {"--aug-shift", "PIXELS", K_SIZE, OFF(aug_shift), 0, 4, 0, TB, "shift each image by up to PIXELS, 0..4", D_AUG_SHIFT},
    {"--aug-rotate", "DEG", K_DOUBLE, OFF(aug_rotate), 0, 90, 0, TB, "warp: rotate each training image by up to DEG degrees", D_AUG_ROTATE},
    {"--aug-scale", "F", K_DOUBLE, OFF(aug_scale), 0, 0.5, 0, TB, "warp: scale each training image by 1 +- up to F", D_AUG_SCALE},
    {"--aug-shear", "DEG", K_DOUBLE, OFF(aug_shear), 0, 45, 0, TB, "warp: shear each training image by up to DEG degrees", D_AUG_SHEAR},
    {"--aug-translate", "PX", K_DOUBLE, OFF(aug_translate), 0, 4, 0, TB, "warp: move each training image by up to PX pixels, sub-pixel", D_AUG_TRANSLATE},
    {"--aug-elastic", "ALPHA", K_DOUBLE, OFF(aug_elastic), 0, 100, 0, TB, "warp: elastic distortion of strength ALPHA px, 0 = none (8 at 14 px ~ Simard's 34 at 28 px)", D_AUG_ELASTIC},
    {"--aug-elastic-sigma", "PX", K_DOUBLE, OFF(aug_elastic_sigma), 0, 14, 1, TB, "warp: smoothing sigma of the elastic field in pixels", D_AUG_ELASTIC_SIGMA},
    {"--ema", "DECAY", K_DOUBLE, OFF(ema), 0, 1, 2, TB, "evaluate a moving average of the weights with this decay in [0, 1), 0 = off", D_EMA},
    {"--tta", "VIEWS", K_SIZE, OFF(tta), 1, PN_MAX_TTA, 0, TB, "test-time augmentation: average 1, 5 or 9 shifted views (as many evaluations)", D_TTA},
    {"--ensemble", "K", K_SIZE, OFF(ensemble), 1, 16, 0, TB, "train K networks per round and average them (K times the cost)", D_ENSEMBLE},
    {"--width", "N", K_SIZE, OFF(width), 1, 8, 0, TB, "digit towers with N times the channels and hidden units", D_WIDTH},
    {"--decide", "RULE", K_STR, OFF(decide), 0, 0, 0, TB, "answer a pair by: head, argmax (compare the digits) or prob (P(d1<=d2) >= 1/2)", D_DECIDE},
    {"--head", "KIND", K_STR, OFF(head), 0, 0, 0, TB, "best's head: learned, or prob (P(d1<=d2) of the digit softmaxes, no weights) (default: learned)", D_TEXT},
    {"--lr-cosine", NULL, K_FLAG, OFF(lr_cosine), 0, 0, 0, TB, "cosine learning-rate schedule instead of the step decay", D_LR_COSINE},
    {"--lr-step", "N", K_SIZE, OFF(lr_step), 0, 100000, 0, TB, "epochs between lr decays, 0 = none", D_LR_STEP},
    {"--lr-gamma", "G", K_DOUBLE, OFF(lr_gamma), 0, 1, 1, TB, "lr decay factor in (0, 1]", D_LR_GAMMA},
    {"--threads", "N", K_SIZE, OFF(threads), 1, PN_MAX_THREADS, 0, C_TRAIN, "threads for one training run", D_THREADS},
    {"--jobs", "N", K_SIZE, OFF(threads), 1, PN_MAX_THREADS, 0, C_BENCH, "rounds run in parallel", D_THREADS},
    {"--eval-final", NULL, K_FLAG, OFF(eval_final), 0, 0, 0, TB, "evaluate the test pairs only after the last epoch, not after every one (default: off)", D_TEXT},
    {"--data", "DIR", K_STR, OFF(data), 0, 0, 0, C_TRAIN | C_BENCH | C_EVAL, "MNIST directory (default: $PAIRNET_DATA, else data/mnist)", D_TEXT},
    {"--out", "DIR", K_STR, OFF(out), 0, 0, 0, C_BENCH, "results directory and round store", D_OUT},
    {"--list", NULL, K_FLAG, OFF(list), 0, 0, 0, C_BENCH, "print what the round store in --out holds, and exit", D_TEXT},
    {"--save", "FILE", K_STR, OFF(save), 0, 0, 0, C_TRAIN, "write the trained model of the last round to FILE (default: none)", D_TEXT},
    {"--load", "FILE", K_STR, OFF(load), 0, 0, 0, C_EVAL, "the checkpoint to evaluate, written by train --save (required)", D_TEXT},
};
#define N_OPTS (sizeof opts / sizeof opts[0])

static const struct {
    const char *name;
    unsigned cmd;
    const char *synopsis, *about;
} commands[] = {
    {"train", C_TRAIN, "train --model NAME [options]", "train R rounds of one model"},
    {"bench", C_BENCH, "bench [options]", "rounds of several models: tables and figures into --out"},
    {"eval", C_EVAL, "eval --load FILE [options]", "evaluate a saved model"},
    {"models", 0, "models", "list the models and their presets"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* ---- help ------------------------------------------------------------------ */

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
    case D_AUG_SWAP: snprintf(out, cap, "%s", p->aug_swap ? "on" : "off"); break;
    case D_AUG_REPAIR: snprintf(out, cap, "%s", p->aug_repair ? "on" : "off"); break;
    case D_AUG_SHIFT: snprintf(out, cap, "%zu", p->aug_shift); break;
    case D_OPTIMIZER: snprintf(out, cap, "%s", pn_optimizer_name(p->optimizer)); break;
    case D_AUG_ROTATE: snprintf(out, cap, "%g", (double)p->warp.rotate); break;
    case D_AUG_SCALE: snprintf(out, cap, "%g", (double)p->warp.scale); break;
    case D_AUG_SHEAR: snprintf(out, cap, "%g", (double)p->warp.shear); break;
    case D_AUG_TRANSLATE: snprintf(out, cap, "%g", (double)p->warp.translate); break;
    case D_AUG_ELASTIC: snprintf(out, cap, "%g", (double)p->warp.elastic); break;
    case D_AUG_ELASTIC_SIGMA:
        snprintf(out, cap, "%g", p->warp.elastic_sigma > 0 ? (double)p->warp.elastic_sigma : 2.0);
        break;
    case D_EMA: snprintf(out, cap, "%g", p->ema); break;
    case D_TTA: snprintf(out, cap, "%zu", p->tta ? p->tta : 1); break;
    case D_ENSEMBLE: snprintf(out, cap, "%zu", p->ensemble ? p->ensemble : 1); break;
    case D_WIDTH: snprintf(out, cap, "%zu", p->width ? p->width : 1); break;
    case D_DECIDE: snprintf(out, cap, "%s", pn_decide_name(p->decide)); break;
    case D_LR_COSINE: snprintf(out, cap, "%s", p->lr_cosine ? "on" : "off"); break;
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

/* The default of option d for command cmd as --help shows it (with its
 * leading space), from where it is kept. */
static void default_text(const optdef *d, unsigned cmd, char *out, size_t cap)
{
    size_t n;
    const pn_model_info *m = pn_model_list(&n);
    char names[256];
    size_t len = 0;
    out[0] = '\0';
    switch (d->dflt) {
    case D_TEXT: return;
    case D_MODEL:
        model_names(names, sizeof names, 0, n, ", ");
        snprintf(out, cap, " %s", names);
        return;
    case D_MODELS:
        model_names(names, sizeof names, 0, pn_study_model_count(), ",");
        snprintf(out, cap, " (default: the study's, %s)", names);
        return;
    case D_ROUNDS:
        snprintf(out, cap, " (default:" NBSP "%d)", cmd == C_BENCH ? PN_BENCH_ROUNDS : PN_TRAIN_ROUNDS);
        return;
    case D_THREADS: snprintf(out, cap, " (default: the online CPUs, at most %d)", PN_MAX_THREADS); return;
    case D_OUT: snprintf(out, cap, " (default: %s)", PN_DEFAULT_OUT); return;
    case D_LR:
    case D_BS:
        /* every model has its own */
        if (d->dflt == D_BS)
            len = (size_t)snprintf(out, cap, ", 2..%d", PN_MAX_BATCH);
        len += (size_t)snprintf(out + len, cap - len, " (default: the model's:");
        for (size_t i = 0; i < n && len < cap; i++)
            if (d->dflt == D_LR)
                len += (size_t)snprintf(out + len, cap - len, "%s %s" NBSP "%g", i ? "," : "", m[i].name, m[i].lr);
            else
                len += (size_t)snprintf(out + len, cap - len, "%s %s" NBSP "%zu", i ? "," : "", m[i].name, m[i].bs);
        if (len < cap)
            snprintf(out + len, cap - len, ")");
        return;
    default: break;
    }
    /* A preset field: the value of the models without a preset of their own
     * (the specification's), then every model whose preset differs. */
    char base[64] = "", v[64];
    for (size_t i = 0; i < n; i++)
        if (!m[i].preset) {
            preset_value(pn_model_preset(&m[i]), d->dflt, base, sizeof base);
            break;
        }
    len = (size_t)snprintf(out, cap, " (default:" NBSP "%s", base);
    for (size_t i = 0; i < n && len < cap; i++) {
        if (!m[i].preset)
            continue;
        preset_value(m[i].preset, d->dflt, v, sizeof v);
        if (strcmp(v, base) != 0)
            len += (size_t)snprintf(out + len, cap - len, "; %s:" NBSP "%s", m[i].name, v);
    }
    if (len < cap)
        snprintf(out + len, cap - len, ")");
}

/* The option's left column: "--lr RATE", "--[no-]aug-swap". */
static void left_column(const optdef *d, char *out, size_t cap)
{
    if (d->kind == K_FLAG)
        snprintf(out, cap, "--[no-]%s", d->name + 2);
    else
        snprintf(out, cap, "%s %s", d->name, d->metavar);
}

/* "  left  text", text wrapped at 79 columns under itself; NBSP is a space
 * where the text must not break ("best: 100"). */
static void help_entry(FILE *f, const char *left, int col, const char *text)
{
    const int width = 79;
    fprintf(f, "  %-*s  ", col, left);
    int at = col + 4;
    const char *s = text;
    while (*s) {
        while (*s == ' ')
            s++;
        const size_t w = strcspn(s, " ");
        if (!w)
            break;
        if (at > col + 4 && at + 1 + (int)w > width) {
            fprintf(f, "\n%*s", col + 4, "");
            at = col + 4;
        } else if (at > col + 4) {
            fputc(' ', f);
            at++;
        }
        for (size_t k = 0; k < w; k++)
            fputc(s[k] == NBSP[0] ? ' ' : s[k], f);
        at += (int)w;
        s += w;
    }
    fputc('\n', f);
}

static const char *command_name(unsigned cmd)
{
    for (size_t c = 0; c < N_COMMANDS; c++)
        if (commands[c].cmd == cmd)
            return commands[c].name;
    return "?";
}

/* The few lines of `pairnet` without arguments (and of --help's top). */
static void short_usage(FILE *f)
{
    for (size_t c = 0; c < N_COMMANDS; c++)
        fprintf(f, "%s pairnet %-29s %s\n", c ? "      " : "usage:", commands[c].synopsis,
                commands[c].about);
    fprintf(f, "       pairnet --help | --version\n"
               "Run 'pairnet COMMAND --help' for the options of a command.\n");
}

static void general_help(FILE *f)
{
    fprintf(f, "pairnet %s: is the first of two MNIST digits <= the second?\n\n",
            PAIRNET_VERSION);
    short_usage(f);
    fprintf(f, "\nexit status: 0 ok, 1 runtime failure or write error, 2 usage error,\n"
               "3 bad data or checkpoint, 4 a round diverged, 130 interrupted\n");
}

/* `pairnet CMD --help`: that command's options only. */
static void command_help(FILE *f, unsigned cmd)
{
    for (size_t c = 0; c < N_COMMANDS; c++)
        if (commands[c].cmd == cmd)
            fprintf(f, "usage: pairnet %s\n%c%s.\n", commands[c].synopsis,
                    commands[c].about[0] - 'a' + 'A', commands[c].about + 1);
    if (!cmd) {
        fprintf(f, "\noptions:\n");
        help_entry(f, "-h, --help", 10, "show this help and exit");
        return;
    }
    int col = 10;
    for (size_t i = 0; i < N_OPTS; i++)
        if (opts[i].cmds & cmd) {
            char left[64];
            left_column(&opts[i], left, sizeof left);
            if ((int)strlen(left) > col)
                col = (int)strlen(left);
        }
    fprintf(f, "\noptions (--opt VALUE or --opt=VALUE):\n");
    for (size_t i = 0; i < N_OPTS; i++)
        if (opts[i].cmds & cmd) {
            char left[64], dflt[512], text[1024];
            left_column(&opts[i], left, sizeof left);
            default_text(&opts[i], cmd, dflt, sizeof dflt);
            snprintf(text, sizeof text, "%s%s", opts[i].help, dflt);
            help_entry(f, left, col, text);
        }
    help_entry(f, "-h, --help", col, "show this help and exit");
}

/* ---- parsing --------------------------------------------------------------- */

/* Levenshtein distance of a and b (short strings: option and command names). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return (size_t)-1;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            const size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Near enough to suggest: a typo, not another word. */
static int near(size_t d, const char *cand) { return d <= 2 || 3 * d <= strlen(cand); }

/* The option name of cmd nearest to a (--no-x forms and --help included),
 * into out; "" if none is near. */
static void nearest_option(const char *a, unsigned cmd, char *out, size_t cap)
{
    size_t best = (size_t)-1;
    out[0] = '\0';
    char cand[64];
    for (size_t i = 0; i <= N_OPTS; i++) {
        for (int neg = 0; neg < 2; neg++) {
            if (i == N_OPTS)
                snprintf(cand, sizeof cand, "%s", neg ? "-h" : "--help");
            else if (!(opts[i].cmds & cmd) || (neg && opts[i].kind != K_FLAG))
                continue;
            else
                snprintf(cand, sizeof cand, "%s%s", neg ? "--no-" : "", opts[i].name + (neg ? 2 : 0));
            const size_t d = edit_distance(a, cand);
            if (d < best && near(d, cand)) {
                best = d;
                snprintf(out, cap, "%s", cand);
            }
        }
    }
}

/* "unknown option" with the fix: the nearest option of this command, or
 * the commands the option belongs to, or where the list is. */
static int unknown_option(const char *a, unsigned cmd, pn_err *err)
{
    const char *name = command_name(cmd);
    char guess[64];
    size_t alen = strcspn(a, "=");
    char bare[128];
    snprintf(bare, sizeof bare, "%.*s", (int)(alen < 127 ? alen : 127), a);
    nearest_option(bare, cmd, guess, sizeof guess);
    if (guess[0])
        return pn_fail(err, PN_ERR_USAGE, "unknown option %s; did you mean %s?", bare, guess);
    unsigned others = 0;
    for (size_t i = 0; i < N_OPTS; i++)
        if (strcmp(opts[i].name, bare) == 0)
            others |= opts[i].cmds;
    if (others) {
        char where[64] = "";
        for (size_t c = 0, len = 0; c < N_COMMANDS; c++)
            if (others & commands[c].cmd)
                len += (size_t)snprintf(where + len, sizeof where - len, "%s%s",
                                        len ? " and " : "", commands[c].name);
        return pn_fail(err, PN_ERR_USAGE, "unknown option %s: it is an option of %s, not of "
                       "%s (see pairnet %s --help)", bare, where, name, name);
    }
    return pn_fail(err, PN_ERR_USAGE, "unknown option %s (pairnet %s --help lists its options)",
                   bare, name);
}

static int parse_models(pn_cli_opts *o, const char *list, pn_err *err)
{
    static char buf[256];
    if (strlen(list) >= sizeof buf)
        return pn_fail(err, PN_ERR_USAGE, "--models: list too long (at most %d models)",
                       PN_MAX_MODELS);
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

/* The option of cmd that a (a "--name" or "--name=value", or "--no-name"
 * for a flag) names, or NULL; *neg is set for the --no- form. */
static const optdef *find_option(const char *a, unsigned cmd, int *neg)
{
    const size_t len = strcspn(a, "=");
    *neg = 0;
    for (size_t k = 0; k < N_OPTS; k++) {
        if (!(opts[k].cmds & cmd))
            continue;
        if (strlen(opts[k].name) == len && strncmp(opts[k].name, a, len) == 0)
            return &opts[k];
        if (opts[k].kind == K_FLAG && len == strlen(opts[k].name) + 3 &&
            strncmp(a, "--no-", 5) == 0 && strncmp(a + 5, opts[k].name + 2, len - 5) == 0) {
            *neg = 1;
            return &opts[k];
        }
    }
    return NULL;
}

static int is_help(const char *a) { return !strcmp(a, "--help") || !strcmp(a, "-h"); }

/* argv[from..] asks for help (before any "--"), skipping option values. */
static int wants_help(unsigned cmd, int from, int argc, char **argv)
{
    for (int i = from; i < argc; i++) {
        if (is_help(argv[i]))
            return 1;
        if (!strcmp(argv[i], "--"))
            return 0;
        int neg;
        const optdef *d = find_option(argv[i], cmd, &neg);
        if (d && d->kind != K_FLAG && !strchr(argv[i], '=') && i + 1 < argc &&
            !is_help(argv[i + 1]))
            i++; /* its value (but `--lr --help` asks for help) */
    }
    return 0;
}

static int parse_args(pn_cli_opts *o, unsigned cmd, int argc, char **argv, pn_err *err)
{
    const char *prev_flag = NULL; /* the flag just before, for a stray value's hint */
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            if (i + 1 < argc)
                return pn_fail(err, PN_ERR_USAGE, "unexpected argument '%s' after --: pairnet "
                               "%s takes options only", argv[i + 1], command_name(cmd));
            break;
        }
        if (a[0] != '-' || !a[1]) {
            if (prev_flag)
                return pn_fail(err, PN_ERR_USAGE, "unexpected argument '%s': %s takes no "
                               "value (%s turns it on, --no-%s off)", a, prev_flag, prev_flag,
                               prev_flag + 2);
            return pn_fail(err, PN_ERR_USAGE, "unexpected argument '%s' (options are --name "
                           "VALUE or --name=VALUE; see pairnet %s --help)", a,
                           command_name(cmd));
        }
        int neg;
        const optdef *d = find_option(a, cmd, &neg);
        if (!d)
            return unknown_option(a, cmd, err);
        const char *eq = strchr(a, '=');
        prev_flag = NULL;
        if (d->kind == K_FLAG) {
            if (eq)
                return pn_fail(err, PN_ERR_USAGE, "%.*s takes no value (%s turns it on, --no-%s "
                               "off)", (int)(eq - a), a, d->name, d->name + 2);
            const int on = !neg;
            memcpy((char *)o + d->off, &on, sizeof on);
            prev_flag = neg ? NULL : d->name;
            continue;
        }
        if (neg) /* not reached: --no- exists for flags only */
            return unknown_option(a, cmd, err);
        const char *v;
        if (eq) {
            v = eq + 1;
        } else {
            int vneg;
            if (i + 1 >= argc || (argv[i + 1][0] == '-' && argv[i + 1][1] == '-' &&
                                  find_option(argv[i + 1], cmd, &vneg)))
                return pn_fail(err, PN_ERR_USAGE, "%s needs a value: %s %s", d->name, d->name,
                               d->metavar);
            v = argv[++i];
        }
        int rc = set_option(o, d, v, err);
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
        return pn_fail(err, PN_ERR_USAGE, "train needs --model NAME (one of: %s)",
                       pn_model_names());
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

/* A first argument that is no command. */
static int unknown_command(const char *c)
{
    if (c[0] == '-') {
        fprintf(stderr, "pairnet: %s is not a command: options go after the command, as in "
                "'pairnet train %s ...' (see pairnet --help)\n", c, c);
        return PN_ERR_USAGE;
    }
    size_t best = (size_t)-1, at = 0;
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const size_t d = edit_distance(c, commands[i].name);
        if (d < best) {
            best = d;
            at = i;
        }
    }
    if (near(best, commands[at].name))
        fprintf(stderr, "pairnet: unknown command '%s'; did you mean '%s'? (commands: train, "
                "bench, eval, models)\n", c, commands[at].name);
    else
        fprintf(stderr, "pairnet: unknown command '%s' (commands: train, bench, eval, models; "
                "see pairnet --help)\n", c);
    return PN_ERR_USAGE;
}

static int run(int argc, char **argv)
{
    if (argc < 2) {
        short_usage(stderr);
        return PN_ERR_USAGE;
    }
    const char *c = argv[1];
    if (is_help(c)) {
        general_help(stdout);
        return 0;
    }
    if (!strcmp(c, "--version") || !strcmp(c, "-V")) {
        printf("pairnet %s (%s), kernel %s\n", PAIRNET_VERSION, pn_revision(), pn_kernel_name());
        return 0;
    }
    size_t ci = 0;
    while (ci < N_COMMANDS && strcmp(commands[ci].name, c) != 0)
        ci++;
    if (!strcmp(c, "help")) { /* pairnet help [COMMAND] */
        if (argc == 2) {
            general_help(stdout);
            return 0;
        }
        for (ci = 0; ci < N_COMMANDS && strcmp(commands[ci].name, argv[2]) != 0;)
            ci++;
        if (ci == N_COMMANDS)
            return unknown_command(argv[2]);
        command_help(stdout, commands[ci].cmd);
        return 0;
    }
    if (ci == N_COMMANDS)
        return unknown_command(c);
    const unsigned cmd = commands[ci].cmd;
    if (wants_help(cmd, 2, argc, argv)) {
        command_help(stdout, cmd);
        return 0;
    }
    pn_err err = {0, ""};
    int rc;
    if (!cmd) { /* models: no options */
        rc = argc > 2 ? pn_fail(&err, PN_ERR_USAGE, "%s '%s': models takes no options (see "
                                "pairnet models --help)", argv[2][0] == '-' ? "unknown option"
                                : "unexpected argument", argv[2])
                      : pn_cmd_models();
    } else {
        static pn_cli_opts o; /* large (the command line): static, not on the stack */
        pn_cli_defaults(&o, (pn_command)cmd);
        record_command(&o, argc, argv);
        rc = parse_args(&o, cmd, argc, argv, &err);
        if (rc == PN_OK)
            rc = check_combination(&o, cmd, &err);
        if (rc == PN_OK)
            rc = cmd == C_TRAIN ? pn_cmd_train(&o, &err)
               : cmd == C_BENCH ? pn_cmd_bench(&o, &err)
                                : pn_cmd_eval(&o, &err);
    }
    if (rc != PN_OK && err.msg[0])
        fprintf(stderr, "pairnet %s: %s\n", c, err.msg);
    else if (rc != PN_OK && cmd)
        fprintf(stderr, "pairnet %s: failed\n", c);
    return rc;
}

int main(int argc, char **argv)
{
    pn_stdio_init();
    return pn_stdio_finish(run(argc, argv));
}
