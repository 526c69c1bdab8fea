/* The application: src/app/main.c parses the command line into a
 * pn_cli_opts and calls one of the commands; each returns an exit status
 * (pn_status) and leaves a one-line message in err when it fails. */
#ifndef PAIRNET_CLI_H
#define PAIRNET_CLI_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"
#include "pairnet/models/models.h"
#include "pairnet/models/train_cfg.h"

#define PN_MAX_MODELS 8     /* models in one bench */
#define PN_MAX_THREADS 256  /* --threads, --jobs; their default (online CPUs) is clamped to it */
#define PN_TRAIN_ROUNDS 1   /* default --rounds of train */
#define PN_BENCH_ROUNDS PN_STUDY_ROUNDS /* default --rounds of bench (the study's) */
/* bench without --out writes a fresh folder PN_RUNS_DIR/<UTC date-time>-<models>
 * (git-ignored); only the full make targets pass --out results. */
#define PN_RUNS_DIR "runs"
#define PN_DEFAULT_OUT PN_RUNS_DIR "/<UTC date-time>-<models>, a fresh folder" /* for --help */

typedef enum pn_command {
    PN_CMD_TRAIN = 1,
    PN_CMD_BENCH = 2,
    PN_CMD_EVAL = 4,
    PN_CMD_PREDICT = 8,
    PN_CMD_COMPARE = 16,
    PN_CMD_MODELS = 32,
    PN_CMD_TABLE1 = 64
} pn_command;

#define PN_MAX_COMPARE 32 /* folders of one `pairnet compare` */

typedef struct pn_cli_opts {
    const char *models[PN_MAX_MODELS]; /* train/eval: models[0] */
    size_t n_models;
    /* The training options given (models/train_cfg.h's table): their values
     * in train, bit PN_TOPT_<ID> of train_set for each one given; the
     * others keep the model's defaults. */
    pn_train_cfg train;
    pn_topt_mask train_set;
    size_t rounds;
    uint64_t seed;
    int seed_set;   /* eval: --seed given (else the checkpoint's) */
    size_t threads; /* train: GEMM threads; bench: parallel rounds (jobs) */
    int list;       /* bench: print what the round store in --out holds, and exit */
    const char *data;
    const char *out;  /* bench: results directory */
    const char *save; /* train: model file (safetensors; FILE.pn: the old .pn) */
    const char *save_models; /* bench: directory for every computed round's networks */
    const char *load; /* eval, predict: model file (safetensors, or a .pn checkpoint) */
    const char *export_answers; /* eval: file for the test pairs and their answers */
    const char *show; /* predict: directory for what the network saw */
    const char *images[2]; /* predict: the two pictures A and B */
    /* models: one of the registry's forms for scripts (or none: the table) */
    int names, study, tsv;
    const char *svg; /* models: write the network figures to this folder */
    /* table1: the two grids and the output folder (--out), or one grid and
     * its Markdown file; the command the provenance records */
    const char *validation, *test, *grid, *md, *t1_command;
    size_t n_images;
    /* compare: the folders (each before the last against the last), the
     * JSON file (--json) and the output format (--format) */
    const char *dirs[PN_MAX_COMPARE];
    size_t n_dirs;
    const char *json, *format;
    const char *key_a, *key_b; /* compare: rounds from the store, by key fields */
    char command[1024]; /* the command line, for the provenance */
} pn_cli_opts;

/* Every option unset, and the command's own defaults (rounds, threads). */
void pn_cli_defaults(pn_cli_opts *o, pn_command cmd);

/* The training configuration a command line asks for, for model m: the
 * model's defaults overridden by every option given (train_cfg.c). Fails
 * (usage) on a combination that would silently do nothing, e.g. momentum
 * with Adam, or that BatchNorm cannot train (a batch of one pair). */
int pn_train_cfg_from_opts(pn_train_cfg *c, const pn_cli_opts *o, const pn_model_info *m,
                           pn_err *err);

/* 0, or the signal (SIGINT, SIGTERM, SIGHUP) that asked to stop, set by the
 * handler; read by the training threads. Lock-free, so the handler may
 * store to it (src/app/signals.c). */
extern atomic_int pn_interrupted;
/* Installs that handler for SIGINT, SIGTERM and SIGHUP (SIGHUP stays
 * ignored under nohup). */
int pn_install_sigint(pn_err *err);
/* First thing in main: SIGXFSZ ignored, so that a file size limit is a
 * write error (EFBIG) reported like any other. */
void pn_signals_init(void);
/* The exit status of a command that returned rc: PN_EXIT_HANGUP (129, as
 * 128 + SIGHUP) instead of PN_ERR_INTERRUPTED when SIGHUP stopped it;
 * SIGINT and SIGTERM keep 130. */
#define PN_EXIT_HANGUP 129
int pn_interrupt_status(int rc);
/* "interrupted", or what SIGHUP means, to begin a message with. */
const char *pn_stop_word(void);

int pn_cmd_train(const pn_cli_opts *o, pn_err *err);
int pn_cmd_bench(const pn_cli_opts *o, pn_err *err);
int pn_cmd_eval(const pn_cli_opts *o, pn_err *err);
/* `pairnet predict --load FILE A B`: the model on two digit pictures (PGM
 * or PNG) of the user's own (src/app/cmd_predict.c). */
int pn_cmd_predict(const pn_cli_opts *o, pn_err *err);
/* `pairnet compare A... B`: the paired effects of each A against B
 * (src/app/cmd_compare.c). */
int pn_cmd_compare(const pn_cli_opts *o, pn_err *err);
/* `pairnet models`: the table, or with --names, --study or --tsv the
 * registry for scripts, or with --svg DIR the network figures. */
int pn_cmd_models(const pn_cli_opts *o, pn_err *err);
/* `pairnet table1 ...`: Table I from grid folders (src/app/cmd_table1.c). */
int pn_cmd_table1(const pn_cli_opts *o, pn_err *err);

/* Standard streams as coreutils keeps them (src/app/output.c). Call
 * pn_stdio_init first thing in main: it reopens a closed fd 0, 1 or 2 on
 * /dev/null (opened the wrong way round, so that writing to a closed stdout
 * still fails, but no checkpoint or journal opened later can become fd 1)
 * and makes stdout line-buffered. pn_stdio_finish(rc) flushes and checks
 * stdout and stderr: after a write error (EPIPE, ENOSPC, EBADF, ...) it
 * prints "pairnet: write error: <reason>" on stderr and returns 1 (or rc,
 * when the command had already failed); otherwise rc. */
void pn_stdio_init(void);
int pn_stdio_finish(int rc);

#endif
