/* The commands behind the CLI. src/app/main.c only parses arguments into a
 * pn_cli_opts and calls one of these; each returns an exit status (pn_status)
 * and leaves a one-line message in err when it fails. */
#ifndef PAIRNET_RUN_H
#define PAIRNET_RUN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"

#define PN_MAX_MODELS 8
#define PN_UNSET ((size_t)-1)

typedef struct pn_cli_opts {
    const char *models[PN_MAX_MODELS]; /* train/eval: models[0] */
    size_t n_models;
    /* Training options: 0 (lr, bs), NAN (other doubles), PN_UNSET (other
     * counts) or NULL mean "the model's default". */
    double lr;
    size_t bs;
    size_t epochs;
    size_t rounds;
    uint64_t seed;
    int seed_set;   /* eval: --seed given (else the checkpoint's) */
    double aux_weight, momentum, weight_decay, lr_gamma, dropout;
    size_t lr_step, aug_swap, aug_repair, aug_shift;
    const char *optimizer;
    size_t threads; /* train: GEMM threads; bench: parallel rounds (jobs) */
    int eval_final; /* evaluate only after the last epoch */
    const char *data;
    const char *out;  /* bench: results directory */
    const char *save; /* train: checkpoint file */
    const char *load; /* eval: checkpoint file */
    char command[1024];
} pn_cli_opts;

void pn_cli_defaults(pn_cli_opts *o);

struct pn_train_cfg;
struct pn_model_info;
/* The training configuration a command line asks for, for model m: the
 * model's defaults overridden by every option given. Fails (usage) on a
 * combination that would silently do nothing, e.g. momentum with Adam. */
int pn_train_cfg_from_opts(struct pn_train_cfg *c, const pn_cli_opts *o,
                           const struct pn_model_info *m, pn_err *err);

/* Set by the SIGINT handler that the commands install. */
extern volatile sig_atomic_t pn_interrupted;
void pn_install_sigint(void);

int pn_cmd_train(const pn_cli_opts *o, pn_err *err);
int pn_cmd_bench(const pn_cli_opts *o, pn_err *err);
int pn_cmd_eval(const pn_cli_opts *o, pn_err *err);
int pn_cmd_models(void);

#endif
