/* Command-line parsing only: every option is declared once in the table of
 * options_table.c, which drives parsing, --help (help.c) and the "did you
 * mean" of an unknown option; the work is in the cmd_*.c files beside it.
 * GNU habits: `--opt value` and `--opt=value`, flags `--x` / `--no-x`,
 * `pairnet CMD --help` for one command's options, --version / -V. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opttable.h"

#include "pairnet/app/cli.h"
#include "pairnet/base/parse.h"
#include "pairnet/models/models.h"
#include "pairnet/ops/kset.h"
#include "pairnet/report/escape.h"
#include "pairnet/report/provenance.h"
#include "pairnet/train/train.h"

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
            else if (!pn_opt_of(&opts[i], cmd) || (neg && !pn_opt_negatable(&opts[i])))
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

/* A short option -x (pairnet has none but -h): the long options of cmd
 * that begin with x, as "--model or --momentum", into out; "" if none.
 * Edit distance would pick -h, one letter away from any -x. */
static void short_option_guess(const char *a, unsigned cmd, char *out, size_t cap)
{
    size_t len = 0, found = 0;
    out[0] = '\0';
    for (size_t i = 0; i < N_OPTS && found < 2; i++)
        if (pn_opt_of(&opts[i], cmd) && opts[i].name[2] == a[1] && len < cap)
            len += (size_t)snprintf(out + len, cap - len, "%s%s", found++ ? " or " : "",
                                    opts[i].name);
}

/* "unknown option" with the fix: the nearest option of this command, or
 * the commands the option belongs to, or where the list is. */
static int unknown_option(const char *a, unsigned cmd, pn_err *err)
{
    const char *name = pn_command_name(cmd);
    char guess[64];
    size_t alen = strcspn(a, "=");
    char bare[128];
    snprintf(bare, sizeof bare, "%.*s", (int)(alen < 127 ? alen : 127), a);
    if (bare[0] == '-' && bare[1] && bare[1] != '-' && !bare[2])
        short_option_guess(bare, cmd, guess, sizeof guess);
    else
        nearest_option(bare, cmd, guess, sizeof guess);
    if (guess[0])
        return pn_fail(err, PN_ERR_USAGE, "unknown option %s; did you mean %s?", bare, guess);
    unsigned others = 0;
    for (size_t i = 0; i < N_OPTS; i++)
        if (opts[i].name && strcmp(opts[i].name, bare) == 0)
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
    case K_TRAIN: {
        int rc = pn_topt_parse(&o->train, (pn_topt_id)d->off, v, err);
        if (rc == PN_OK)
            o->train_set |= PN_TOPT_BIT(d->off);
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
    case K_SWITCH:
        break;
    }
    return PN_OK;
}

/* --name (on) or --no-name of a flag; a training flag's field is 0 for
 * --name when its row says NEG (--eval-final clears eval_epochs). */
static void set_flag(pn_cli_opts *o, const optdef *d, int on)
{
    if (d->kind == K_TRAIN) {
        const int neg = (pn_train_opts[d->off].group & PN_TOPT_NEG) != 0;
        pn_topt_set(&o->train, (pn_topt_id)d->off, on != neg);
        o->train_set |= PN_TOPT_BIT(d->off);
    } else {
        memcpy((char *)o + d->off, &on, sizeof on);
    }
}

/* The option of cmd that a (a "--name" or "--name=value", or "--no-name"
 * for a flag) names, or NULL; *neg is set for the --no- form. */
static const optdef *find_option(const char *a, unsigned cmd, int *neg)
{
    const size_t len = strcspn(a, "=");
    *neg = 0;
    for (size_t k = 0; k < N_OPTS; k++) {
        if (!pn_opt_of(&opts[k], cmd))
            continue;
        if (strlen(opts[k].name) == len && strncmp(opts[k].name, a, len) == 0)
            return &opts[k];
        if (pn_opt_negatable(&opts[k]) && len == strlen(opts[k].name) + 3 &&
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
        if (d && d->metavar && !strchr(argv[i], '=') && i + 1 < argc &&
            !is_help(argv[i + 1]))
            i++; /* its value (but `--lr --help` asks for help) */
    }
    return 0;
}

/* predict's pictures, A then B: the arguments that are no option. */
static int add_image(pn_cli_opts *o, const char *a, pn_err *err)
{
    if (o->n_images == 2)
        return pn_fail(err, PN_ERR_USAGE, "unexpected argument '%s': predict takes two pictures, "
                       "A and B (already '%s' and '%s')", a, o->images[0], o->images[1]);
    o->images[o->n_images++] = a;
    return PN_OK;
}

/* A folder of compare's command line. */
static int add_dir(pn_cli_opts *o, const char *a, pn_err *err)
{
    if (o->n_dirs == PN_MAX_COMPARE)
        return pn_fail(err, PN_ERR_USAGE, "compare takes at most %d folders", PN_MAX_COMPARE);
    o->dirs[o->n_dirs++] = a;
    return PN_OK;
}

static int parse_args(pn_cli_opts *o, unsigned cmd, int argc, char **argv, pn_err *err)
{
    const char *prev_flag = NULL; /* the flag just before, for a stray value's hint */
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--") && cmd == C_PREDICT) { /* the rest are pictures, even "-x.png" */
            for (i++; i < argc; i++)
                if (add_image(o, argv[i], err) != PN_OK)
                    return err->code;
            break;
        }
        if (!strcmp(a, "--") && cmd == C_COMPARE) { /* the rest are folders, even "-x" */
            for (i++; i < argc; i++)
                if (add_dir(o, argv[i], err) != PN_OK)
                    return err->code;
            break;
        }
        if (!strcmp(a, "--")) {
            if (i + 1 < argc)
                return pn_fail(err, PN_ERR_USAGE, "unexpected argument '%s' after --: pairnet "
                               "%s takes options only", argv[i + 1], pn_command_name(cmd));
            break;
        }
        if ((a[0] != '-' || !a[1]) && cmd == C_PREDICT && !prev_flag) {
            if (add_image(o, a, err) != PN_OK)
                return err->code;
            continue;
        }
        if ((a[0] != '-' || !a[1]) && cmd == C_COMPARE && !prev_flag) {
            if (add_dir(o, a, err) != PN_OK)
                return err->code;
            continue;
        }
        if (a[0] != '-' || !a[1]) {
            if (prev_flag)
                return pn_fail(err, PN_ERR_USAGE, "unexpected argument '%s': %s takes no "
                               "value (%s turns it on, --no-%s off)", a, prev_flag, prev_flag,
                               prev_flag + 2);
            return pn_fail(err, PN_ERR_USAGE, "unexpected argument '%s' (options are --name "
                           "VALUE or --name=VALUE; see pairnet %s --help)", a,
                           pn_command_name(cmd));
        }
        int neg;
        const optdef *d = find_option(a, cmd, &neg);
        if (!d)
            return unknown_option(a, cmd, err);
        const char *eq = strchr(a, '=');
        prev_flag = NULL;
        if (!d->metavar) {
            if (eq && !pn_opt_negatable(d))
                return pn_fail(err, PN_ERR_USAGE, "%.*s takes no value", (int)(eq - a), a);
            if (eq)
                return pn_fail(err, PN_ERR_USAGE, "%.*s takes no value (%s turns it on, --no-%s "
                               "off)", (int)(eq - a), a, d->name, d->name + 2);
            set_flag(o, d, !neg);
            prev_flag = neg || !pn_opt_negatable(d) ? NULL : d->name;
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
    if (cmd == C_MODELS && o->names + o->study + o->tsv + (o->svg != NULL) > 1)
        return pn_fail(err, PN_ERR_USAGE, "models takes one of --names, --study, --tsv and "
                       "--svg DIR at a time");
    if (cmd == C_TABLE1) {
        const int two = o->validation || o->test || o->out, one = o->grid || o->md;
        if (two == one || (two && !(o->validation && o->test && o->out)) ||
            (one && !(o->grid && o->md)) || (one && o->t1_command))
            return pn_fail(err, PN_ERR_USAGE, "table1 needs --validation, --test and --out "
                           "(the study's Table I), or --grid and --md (one grid's)");
    }
    if (cmd == C_PREDICT && (!o->load || o->n_images != 2))
        return pn_fail(err, PN_ERR_USAGE, "predict needs --load FILE (written by train --save) "
                       "and two digit pictures: pairnet predict --load FILE A.png B.png");
    return PN_OK;
}

/* The command line for the provenance, shell-quoted so that pasting it
 * reruns exactly this argv (pn_shell_command); one too long to keep says
 * that it was shortened, never cut inside a word's quoting or a character. */
static void record_command(pn_cli_opts *o, int argc, char **argv)
{
    pn_shell_command(o->command, sizeof o->command, "pairnet", argv + 1,
                     argc > 1 ? (size_t)argc - 1 : 0);
}

/* A first argument that is no command. */
static int unknown_command(const char *arg)
{
    char c[256]; /* the user's text, shown escaped (pn_esc_term) */
    pn_term_str(c, sizeof c, arg);
    if (c[0] == '-') {
        /* a slip of one of pairnet's own options first: --verison is
         * --version, not an option of train */
        static const char *const own[] = {"--version", "--help"};
        for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
            if (near(edit_distance(arg, own[i]), own[i])) {
                fprintf(stderr, "pairnet: unknown option %s; did you mean %s?\n", c, own[i]);
                return PN_ERR_USAGE;
            }
        fprintf(stderr, "pairnet: %s is not a command: options go after the command, as in "
                "'pairnet train %s ...' (see pairnet --help)\n", c, c);
        return PN_ERR_USAGE;
    }
    size_t best = (size_t)-1, at = 0;
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const size_t d = edit_distance(arg, commands[i].name);
        if (d < best) {
            best = d;
            at = i;
        }
    }
    char names[256] = ""; /* from the command table, which a new command joins */
    for (size_t i = 0, len = 0; i < N_COMMANDS && len < sizeof names; i++)
        len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                                commands[i].name);
    if (near(best, commands[at].name))
        fprintf(stderr, "pairnet: unknown command '%s'; did you mean '%s'? (commands: %s)\n", c,
                commands[at].name, names);
    else
        fprintf(stderr, "pairnet: unknown command '%s' (commands: %s; see pairnet --help)\n", c,
                names);
    return PN_ERR_USAGE;
}

static int run(int argc, char **argv)
{
    if (argc < 2) {
        pn_short_usage(stderr);
        return PN_ERR_USAGE;
    }
    const char *c = argv[1];
    if (is_help(c)) {
        pn_general_help(stdout);
        return 0;
    }
    if (!strcmp(c, "--man") && argc == 2) {
        pn_man_page(stdout);
        return 0;
    }
    if (!strcmp(c, "--version") || !strcmp(c, "-V")) {
        printf("pairnet %s (%s), kernel %s\n", PAIRNET_VERSION, pn_revision(), pn_kset_name());
        return 0;
    }
    size_t ci = 0;
    while (ci < N_COMMANDS && strcmp(commands[ci].name, c) != 0)
        ci++;
    if (!strcmp(c, "help")) { /* pairnet help [COMMAND] */
        if (argc == 2) {
            pn_general_help(stdout);
            return 0;
        }
        for (ci = 0; ci < N_COMMANDS && strcmp(commands[ci].name, argv[2]) != 0;)
            ci++;
        if (ci == N_COMMANDS)
            return unknown_command(argv[2]);
        pn_command_help(stdout, commands[ci].cmd);
        return 0;
    }
    if (ci == N_COMMANDS)
        return unknown_command(c);
    const unsigned cmd = commands[ci].cmd;
    if (wants_help(cmd, 2, argc, argv)) {
        pn_command_help(stdout, cmd);
        return 0;
    }
    pn_err err = {0, ""};
    int rc;
    static pn_cli_opts o; /* large (the command line): static, not on the stack */
    pn_cli_defaults(&o, (pn_command)cmd);
    record_command(&o, argc, argv);
    rc = parse_args(&o, cmd, argc, argv, &err);
    if (rc == PN_OK)
        rc = check_combination(&o, cmd, &err);
    if (rc == PN_OK)
        rc = cmd == C_TRAIN   ? pn_cmd_train(&o, &err)
           : cmd == C_BENCH   ? pn_cmd_bench(&o, &err)
           : cmd == C_EVAL    ? pn_cmd_eval(&o, &err)
           : cmd == C_COMPARE ? pn_cmd_compare(&o, &err)
           : cmd == C_MODELS  ? pn_cmd_models(&o, &err)
           : cmd == C_TABLE1  ? pn_cmd_table1(&o, &err)
                              : pn_cmd_predict(&o, &err);
    if (rc != PN_OK && err.msg[0])
        fprintf(stderr, "pairnet %s: %s\n", c, err.msg);
    else if (rc != PN_OK)
        fprintf(stderr, "pairnet %s: failed\n", c);
    return rc;
}

int main(int argc, char **argv)
{
    pn_stdio_init();
    pn_err err = {0, ""};
    if (pn_kset_env_check(&err) != PN_OK) {
        fprintf(stderr, "pairnet: %s\n", err.msg);
        return pn_stdio_finish(err.code);
    }
    pn_signals_init();
    return pn_stdio_finish(pn_interrupt_status(run(argc, argv)));
}
