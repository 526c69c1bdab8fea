/* `pairnet train`: R rounds of one model, a line per epoch, mean and sample
 * std at the end. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/checkpoint.h"
#include "pairnet/data.h"
#include "pairnet/pool.h"
#include "pairnet/results.h"
#include "pairnet/run.h"
#include "pairnet/train.h"

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
    o->epochs = 45;
    o->rounds = 1;
    o->aux_weight = 1.0;
    o->lr_step = 15;
    o->lr_gamma = 0.5;
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

void pn_train_cfg_from_opts(pn_train_cfg *c, const pn_cli_opts *o, const pn_model_info *m)
{
    pn_train_cfg_default(c, m);
    c->mopts.aux_weight = (float)o->aux_weight;
    if (o->lr > 0)
        c->lr = o->lr;
    if (o->bs > 0)
        c->bs = o->bs;
    c->epochs = o->epochs;
    c->momentum = o->momentum;
    c->weight_decay = o->weight_decay;
    c->lr_step = o->lr_step;
    c->lr_gamma = o->lr_gamma;
    c->eval_epochs = !o->eval_final;
}

int pn_cmd_train(const pn_cli_opts *o, pn_err *err)
{
    const pn_model_info *m = pn_model_find(o->models[0]);
    pn_train_cfg cfg;
    pn_train_cfg_from_opts(&cfg, o, m);
    const char *dir = pn_mnist_dir(o->data);
    pn_mnist data;
    int rc = pn_mnist_load(dir, &data, err);
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
            printf("model %s: %zu trainable parameters; lr %g, batch %zu, %zu epochs, "
                   "lr x%g every %zu, momentum %g, weight decay %g%s; data %s; %zu thread%s\n",
                   m->name, probe->n_params, cfg.lr, cfg.bs, cfg.epochs, cfg.lr_gamma,
                   cfg.lr_step, cfg.momentum, cfg.weight_decay,
                   m->has_aux ? (o->aux_weight == 1.0 ? ", aux weight 1" : ", aux weight set")
                              : "",
                   dir, pn_pool_size(pool), pn_pool_size(pool) == 1 ? "" : "s");
            pn_graph_free(probe);
        }
        printf("round %zu/%zu  seed %llu  (pixel mean %.4f, std %.4f)\n", r + 1, o->rounds,
               (unsigned long long)seed, d.mean, d.std);
        printf("%5s  %8s  %7s  %7s  %8s  %6s\n", "epoch", "loss", "train", "test", "lr", "s");
        rc = pn_train_round(&d, &cfg, seed, pool, &hooks, &rec, err);
        if (rc == PN_OK) {
            printf("round %zu seed %llu: train acc %.4f, test acc %.4f, %.1f s\n", r + 1,
                   (unsigned long long)seed, rec.train_acc, rec.test_acc, rec.seconds);
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
