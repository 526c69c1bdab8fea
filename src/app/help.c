/* --help: the commands, and one command's options with their metavars and
 * defaults (the models' presets from the registry, the application's own
 * from cli.h), wrapped to the terminal's customary 79 columns. */
#include "opttable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/models/models.h"
#include "pairnet/train/train.h"

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

const char *pn_command_name(unsigned cmd)
{
    for (size_t c = 0; c < N_COMMANDS; c++)
        if (commands[c].cmd == cmd)
            return commands[c].name;
    return "?";
}

/* The few lines of `pairnet` without arguments (and of --help's top). */
void pn_short_usage(FILE *f)
{
    for (size_t c = 0; c < N_COMMANDS; c++)
        fprintf(f, "%s pairnet %-29s %s\n", c ? "      " : "usage:", commands[c].synopsis,
                commands[c].about);
    fprintf(f, "       pairnet --help | --version\n"
               "Run 'pairnet COMMAND --help' for the options of a command.\n");
}

void pn_general_help(FILE *f)
{
    fprintf(f, "pairnet %s: is the first of two MNIST digits <= the second?\n\n",
            PAIRNET_VERSION);
    pn_short_usage(f);
    fprintf(f, "\nexit status: 0 ok, 1 runtime failure or write error, 2 usage error,\n"
               "3 bad data or checkpoint, 4 a round diverged, 130 interrupted\n");
}

/* `pairnet CMD --help`: that command's options only. */
void pn_command_help(FILE *f, unsigned cmd)
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

