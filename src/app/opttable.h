/* The application's option table and command list, private to src/app:
 * parsing (main.c) and --help (help.c) both read them, so every option is
 * declared once (options_table.c; the training options come from the
 * table of models/train_cfg.h). */
#ifndef PAIRNET_APP_OPTTABLE_H
#define PAIRNET_APP_OPTTABLE_H

#include <stddef.h>
#include <stdio.h>

#include "pairnet/app/cli.h"

#define PAIRNET_VERSION "0.1.0"
#define NBSP "\001" /* a space --help does not wrap at */

enum {
    C_TRAIN = PN_CMD_TRAIN,
    C_BENCH = PN_CMD_BENCH,
    C_EVAL = PN_CMD_EVAL,
    C_PREDICT = PN_CMD_PREDICT,
    C_COMPARE = PN_CMD_COMPARE,
    C_MODELS = PN_CMD_MODELS,
    C_TABLE1 = PN_CMD_TABLE1
};
/* K_FLAG: an int field, 1 for --name and 0 for --no-name. K_SWITCH: the
 * same with no --no-name (--list, --tsv: asking for a thing, not a setting). K_TRAIN: a row
 * of the training options' table (models/train_cfg.h), parsed into
 * pn_cli_opts.train and marked in train_set; a flag when it has no metavar. */
enum kind { K_SIZE, K_U64, K_STR, K_FLAG, K_SWITCH, K_MODEL, K_MODELS, K_TRAIN };
/* Where the default that --help shows comes from: the help text itself,
 * every model's default configuration (a training option), or the
 * application's own. */
enum dflt { D_TEXT, D_TRAIN, D_MODEL, D_MODELS, D_ROUNDS, D_THREADS, D_OUT };

typedef struct optdef {
    const char *name; /* NULL: a training option the command line does not set */
    const char *metavar; /* the value's name in --help; NULL for a flag */
    enum kind kind;
    size_t off; /* into pn_cli_opts; K_TRAIN: the pn_topt_id */
    double min, max;
    unsigned cmds;
    const char *help;
    enum dflt dflt;
} optdef;

/* Option d is a flag with a --no- form. */
static inline int pn_opt_negatable(const optdef *d) { return !d->metavar && d->kind != K_SWITCH; }

/* Option d is one of cmd's. */
static inline int pn_opt_of(const optdef *d, unsigned cmd) { return d->name && (d->cmds & cmd); }

typedef struct pn_cmd_def {
    const char *name;
    unsigned cmd;
    const char *synopsis, *about;
} pn_cmd_def;

/* An exit status: --help lists the brief words, the man page the meaning. */
typedef struct pn_exit_def {
    int code;
    const char *brief, *meaning;
} pn_exit_def;

extern const pn_exit_def pn_exit_codes[];
extern const size_t pn_n_exit_codes;
extern const optdef pn_opts[];
extern const size_t pn_n_opts;
extern const pn_cmd_def pn_commands[];
extern const size_t pn_n_commands;
#define opts pn_opts
#define N_OPTS pn_n_opts
#define commands pn_commands
#define N_COMMANDS pn_n_commands

/* --help (help.c) */
const char *pn_command_name(unsigned cmd);
void pn_short_usage(FILE *f);
void pn_general_help(FILE *f);
void pn_command_help(FILE *f, unsigned cmd);
/* Option d of command cmd as --help shows it: its left column ("--lr RATE",
 * "--[no-]aug-swap") and its text with the default appended (NBSP where
 * the text must not break). */
void pn_opt_describe(const optdef *d, unsigned cmd, char *left, size_t lcap, char *text,
                     size_t tcap);
/* The manual page, troff (man.c): `pairnet --man`, installed by make install. */
void pn_man_page(FILE *f);

#endif
