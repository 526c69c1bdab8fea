/* The application's option table and command list, private to src/app:
 * parsing (main.c) and --help (help.c) both read them, so every option is
 * declared once (options_table.c). */
#ifndef PAIRNET_APP_OPTTABLE_H
#define PAIRNET_APP_OPTTABLE_H

#include <stddef.h>
#include <stdio.h>

#include "pairnet/app/cli.h"

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

typedef struct pn_cmd_def {
    const char *name;
    unsigned cmd;
    const char *synopsis, *about;
} pn_cmd_def;

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

#endif
