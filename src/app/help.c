/* --help: the commands, and one command's options with their metavars and
 * defaults (a training option's from every model's default configuration,
 * the application's own from cli.h), wrapped to the terminal's customary 79 columns. */
#include "opttable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/models/models.h"
#include "pairnet/train/train.h"

/* ---- help ------------------------------------------------------------------ */

/* The names of models [from, to) of the registry, sep between them. */
static void model_names(char *out, size_t cap, size_t from, size_t to, const char *sep)
{
    size_t n, len = 0;
    const pn_model_info *m = pn_model_list(&n);
    out[0] = '\0';
    for (size_t i = from; i < to && i < n && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i > from ? sep : "", m[i].name);
}

/* A training option's default from every model's default configuration:
 * "(default: V; best: W)" when the study's models share V (each model
 * that differs named after it), else every model's own. */
static void train_default(pn_topt_id id, char *out, size_t cap)
{
    size_t n;
    const pn_model_info *m = pn_model_list(&n);
    char v[PN_MAX_MODELS][64];
    size_t len = 0, study = pn_study_model_count(), shared = 1;
    for (size_t i = 0; i < n && i < PN_MAX_MODELS; i++) {
        pn_train_cfg c;
        pn_train_cfg_default(&c, &m[i]);
        pn_topt_text(&c, id, v[i], sizeof v[i]);
        shared &= i >= study || strcmp(v[i], v[0]) == 0;
    }
    if (shared)
        len = (size_t)snprintf(out, cap, " (default:" NBSP "%s", v[0]);
    else
        len = (size_t)snprintf(out, cap, " (default: the model's:");
    for (size_t i = 0; i < n && i < PN_MAX_MODELS && len < cap; i++)
        if (!shared)
            len += (size_t)snprintf(out + len, cap - len, "%s %s" NBSP "%s", i ? "," : "",
                                    m[i].name, v[i]);
        else if (strcmp(v[i], v[0]) != 0)
            len += (size_t)snprintf(out + len, cap - len, "; %s:" NBSP "%s", m[i].name, v[i]);
    if (len < cap)
        snprintf(out + len, cap - len, ")");
}

/* The default of option d for command cmd as --help shows it (with its
 * leading space), from where it is kept. */
static void default_text(const optdef *d, unsigned cmd, char *out, size_t cap)
{
    size_t n;
    pn_model_list(&n);
    char names[256];
    out[0] = '\0';
    switch (d->dflt) {
    case D_TEXT: return;
    case D_TRAIN: train_default((pn_topt_id)d->off, out, cap); return;
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
    }
}

/* The option's left column: "--lr RATE", "--[no-]aug-swap". */
static void left_column(const optdef *d, char *out, size_t cap)
{
    if (pn_opt_negatable(d))
        snprintf(out, cap, "--[no-]%s", d->name + 2);
    else if (!d->metavar)
        snprintf(out, cap, "%s", d->name);
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
    fprintf(f, "       pairnet --help | --version | --man\n"
               "Run 'pairnet COMMAND --help' for the options of a command.\n");
}

void pn_general_help(FILE *f)
{
    fprintf(f, "pairnet %s: is the first of two MNIST digits <= the second?\n\n",
            PAIRNET_VERSION);
    pn_short_usage(f);
    char text[512];
    size_t len = 0;
    for (size_t i = 0; i < pn_n_exit_codes && len < sizeof text; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%d" NBSP "%s", i ? ", " : "",
                                pn_exit_codes[i].code, pn_exit_codes[i].brief);
    fputc('\n', f);
    help_entry(f, "exit status:", 12, text);
}

/* `pairnet CMD --help`: that command's options only. */
void pn_command_help(FILE *f, unsigned cmd)
{
    for (size_t c = 0; c < N_COMMANDS; c++)
        if (commands[c].cmd == cmd)
            fprintf(f, "usage: pairnet %s\n%c%s.\n", commands[c].synopsis,
                    commands[c].about[0] - 'a' + 'A', commands[c].about + 1);
    int col = 10;
    for (size_t i = 0; i < N_OPTS; i++)
        if (pn_opt_of(&opts[i], cmd)) {
            char left[64];
            left_column(&opts[i], left, sizeof left);
            if ((int)strlen(left) > col)
                col = (int)strlen(left);
        }
    fprintf(f, "\noptions (--opt VALUE or --opt=VALUE):\n");
    for (size_t i = 0; i < N_OPTS; i++)
        if (pn_opt_of(&opts[i], cmd)) {
            char left[64], text[1024];
            pn_opt_describe(&opts[i], cmd, left, sizeof left, text, sizeof text);
            help_entry(f, left, col, text);
        }
    help_entry(f, "-h, --help", col, "show this help and exit");
}


void pn_opt_describe(const optdef *d, unsigned cmd, char *left, size_t lcap, char *text,
                     size_t tcap)
{
    char dflt[512];
    left_column(d, left, lcap);
    default_text(d, cmd, dflt, sizeof dflt);
    snprintf(text, tcap, "%s%s", d->help, dflt);
}
