/* `pairnet train`: R rounds of one model, a line per epoch, mean and sample
 * std at the end. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/train/checkpoint.h"
#include "pairnet/data/data.h"
#include "pairnet/base/pool.h"
#include "pairnet/report/results.h"
#include "pairnet/app/run.h"
#include "pairnet/train/train.h"

volatile sig_atomic_t pn_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    pn_interrupted = 1;
}

void pn_install_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void pn_cli_defaults(pn_cli_opts *o)
{
    memset(o, 0, sizeof *o);
    o->rounds = 1;
    o->aux_weight = o->momentum = o->weight_decay = o->lr_gamma = o->dropout = NAN;
    o->epochs = o->lr_step = o->aug_swap = o->aug_repair = o->aug_shift = PN_UNSET;
}

static void print_epoch(void *ctx, const pn_round_rec *r, const pn_epoch_rec *e)
{
    (void)ctx;
    (void)r;
    if (isnan(e->test_acc))
        printf("%5zu  %8.4f  %7s  %7s  %8.5f  %6.2f\n", e->epoch, e->loss, "-", "-", e->lr,
               e->seconds);
    else
        printf("%5zu  %8.4f  %7.4f  %7.4f  %8.5f  %6.2f\n", e->epoch, e->loss, e->train_acc,
               e->test_acc, e->lr, e->seconds);
    fflush(stdout);
}

int pn_train_cfg_from_opts(pn_train_cfg *c, const pn_cli_opts *o, const pn_model_info *m,
                           pn_err *err)
{
    pn_train_cfg_default(c, m);
    if (o->lr > 0)
        c->lr = o->lr;
    if (o->bs > 0)
        c->bs = o->bs;
    if (o->optimizer && pn_optimizer_parse(o->optimizer, &c->optimizer) != 0)
        return pn_fail(err, PN_ERR_USAGE, "--optimizer: unknown '%s' (sgd, adam, adamw)",
                       o->optimizer);
#define SET_IF(field, value, unset) \
    if (!(unset))                   \
        field = value
    SET_IF(c->mopts.aux_weight, (float)o->aux_weight, isnan(o->aux_weight));
    SET_IF(c->mopts.dropout, (float)o->dropout, isnan(o->dropout));
    SET_IF(c->momentum, o->momentum, isnan(o->momentum));
    SET_IF(c->weight_decay, o->weight_decay, isnan(o->weight_decay));
    SET_IF(c->lr_gamma, o->lr_gamma, isnan(o->lr_gamma));
    SET_IF(c->epochs, o->epochs, o->epochs == PN_UNSET);
    SET_IF(c->lr_step, o->lr_step, o->lr_step == PN_UNSET);
    SET_IF(c->aug_swap, o->aug_swap != 0, o->aug_swap == PN_UNSET);
    SET_IF(c->aug_repair, o->aug_repair != 0, o->aug_repair == PN_UNSET);
    SET_IF(c->aug_shift, o->aug_shift, o->aug_shift == PN_UNSET);
#undef SET_IF
    c->eval_epochs = !o->eval_final;
    if (!(c->mopts.dropout < 1.0f)) /* 0.99999999 is < 1 as a double, 1 as a float */
        return pn_fail(err, PN_ERR_USAGE, "--dropout %.9g rounds to 1 (drop everything); use "
                       "a value below 0.9999999", o->dropout);
    if (c->optimizer != PN_OPT_SGD && c->momentum != 0.0)
        return pn_fail(err, PN_ERR_USAGE, "--momentum is for --optimizer sgd; %s for %s keeps "
                       "its own moments (drop --momentum)", pn_optimizer_name(c->optimizer),
                       m->name);
    return PN_OK;
}

int pn_cmd_train(const pn_cli_opts *o, pn_err *err)
{
    const pn_model_info *m = pn_model_find(o->models[0]);
    pn_train_cfg cfg;
    int rc = pn_train_cfg_from_opts(&cfg, o, m, err);
    if (rc != PN_OK)
        return rc;
    const char *dir = pn_mnist_dir(o->data);
    pn_mnist data;
    rc = pn_mnist_load(dir, &data, err);
    if (rc != PN_OK)
        return rc;
    pn_pool *pool = o->threads > 1 ? pn_pool_new(o->threads) : NULL;
    pn_install_sigint();
    double *train_acc = calloc(o->rounds, sizeof *train_acc);
    double *test_acc = calloc(o->rounds, sizeof *test_acc);
    size_t done = 0;
    if (!train_acc || !test_acc)
        rc = pn_fail(err, PN_ERR_RUNTIME, "out of memory for %zu rounds", o->rounds);
    for (size_t r = 0; r < o->rounds && rc == PN_OK; r++) {
        const uint64_t seed = o->seed + r;
        pn_round_data d;
        rc = pn_round_data_make(&data, cfg.n_pairs, seed, &d, err);
        if (rc != PN_OK)
            break;
        pn_round_rec rec;
        pn_graph *g = NULL;
        pn_round_hooks hooks = {print_epoch, NULL, &pn_interrupted, o->save ? &g : NULL};
        if (r == 0) {
            pn_graph *probe = pn_model_build(m, &cfg.mopts, 1, NULL, err);
            if (!probe) {
                rc = err->code;
                pn_round_data_free(&d);
                break;
            }
            char aux[32] = "", drop[32] = "", aug[96] = "";
            if (m->has_aux)
                snprintf(aux, sizeof aux, ", aux weight %g", (double)cfg.mopts.aux_weight);
            if (cfg.mopts.dropout > 0.0f)
                snprintf(drop, sizeof drop, ", dropout %g", (double)cfg.mopts.dropout);
            if (cfg.aug_swap || cfg.aug_repair || cfg.aug_shift)
                snprintf(aug, sizeof aug, "; augmentation:%s%s shift %zu",
                         cfg.aug_swap ? " swap" : "", cfg.aug_repair ? " re-pair" : "",
                         cfg.aug_shift);
            printf("model %s: %zu trainable parameters; %s, lr %g, batch %zu, %zu epochs, "
                   "lr x%g every %zu, momentum %g, weight decay %g%s%s%s; data %s; %zu "
                   "thread%s\n",
                   m->name, probe->n_params, pn_optimizer_name(cfg.optimizer), cfg.lr, cfg.bs,
                   cfg.epochs, cfg.lr_gamma, cfg.lr_step, cfg.momentum, cfg.weight_decay, aux,
                   drop, aug, dir, pn_pool_size(pool), pn_pool_size(pool) == 1 ? "" : "s");
            pn_graph_free(probe);
        }
        printf("round %zu/%zu  seed %llu  (pixel mean %.4f, std %.4f)\n", r + 1, o->rounds,
               (unsigned long long)seed, d.mean, d.std);
        printf("%5s  %8s  %7s  %7s  %8s  %6s\n", "epoch", "loss", "train", "test", "lr", "s");
        rc = pn_train_round(&d, &cfg, seed, pool, &hooks, &rec, err);
        if (rc == PN_OK) {
            printf("round %zu seed %llu: train acc %.4f, test acc %.4f, %.1f s\n", r + 1,
                   (unsigned long long)seed, rec.train_acc, rec.test_acc, rec.seconds);
            if (!isnan(rec.digit_acc))
                printf("  test digits: tower accuracy %.4f; comparing the predicted digits "
                       "%.4f (the head: %.4f)\n", rec.digit_acc, rec.argmax_acc, rec.test_acc);
            train_acc[done] = rec.train_acc;
            test_acc[done] = rec.test_acc;
            done++;
            if (o->save)
                rc = pn_checkpoint_save(o->save, g, m->name, &cfg, seed, err);
        }
        pn_graph_free(g);
        pn_round_rec_free(&rec);
        pn_round_data_free(&d);
    }
    if (rc == PN_ERR_INTERRUPTED)
        pn_fail(err, rc, "interrupted in round %zu; %zu finished round%s reported above", done + 1,
                done, done == 1 ? "" : "s");
    if (done > 1) {
        double mtr, str, mte, ste;
        pn_mean_std(train_acc, done, &mtr, &str);
        pn_mean_std(test_acc, done, &mte, &ste);
        printf("%s over %zu rounds: train acc %.4f +- %.4f, test acc %.4f +- %.4f\n", m->name,
               done, mtr, str, mte, ste);
    }
    free(train_acc);
    free(test_acc);
    pn_pool_free(pool);
    pn_mnist_free(&data);
    return rc;
}
