/* `pairnet train`: R rounds of one model, a line per epoch, mean and sample
 * std at the end. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/app/cli.h"
#include "pairnet/base/pool.h"
#include "pairnet/data/data.h"
#include "pairnet/report/escape.h"
#include "pairnet/report/stats.h"
#include "pairnet/train/checkpoint.h"
#include "pairnet/train/model_safetensors.h"
#include "pairnet/train/train.h"

static void print_epoch(void *ctx, const pn_round_rec *r, const pn_epoch_rec *e)
{
    (void)ctx;
    (void)r;
    if (isnan(e->test_acc))
        printf("%5zu  %8.4f  %7s  %7s  %8.5f  %6.2f\n", e->epoch, e->loss, "-", "-", e->lr,
               e->seconds);
    else
        printf("%5zu  %8.4f  %7.2f  %7.2f  %8.5f  %6.2f\n", e->epoch, e->loss,
               100.0 * e->train_acc, 100.0 * e->test_acc, e->lr, e->seconds);
    fflush(stdout);
}

/* The run's header: the model and its size, the configuration's summary
 * (models/train_cfg.c derives it from the option table), data and threads. */
static int print_header(const pn_train_cfg *cfg, const char *dir, size_t threads, pn_err *err)
{
    pn_model_size size;
    int rc = pn_model_measure(cfg->model, &cfg->mopts, &size, err);
    if (rc != PN_OK)
        return rc;
    char study[512], extras[512];
    pn_train_cfg_study_text(cfg, NULL, 1, study, sizeof study);
    printf("model %s: %zu trainable parameters; %s; data %s; %zu thread%s\n", cfg->model->name,
           size.params, study, dir, threads, threads == 1 ? "" : "s");
    pn_train_cfg_extras(cfg, extras, sizeof extras);
    if (extras[0])
        printf("  beyond the study: %s\n", extras);
    return PN_OK;
}

/* Round r's accuracies (and its digits', for a model with digit outputs),
 * in percent as in every table. */
static void print_result(size_t r, uint64_t seed, const pn_round_rec *rec)
{
    printf("round %zu seed %llu: train acc %.2f%%, test acc %.2f%%, %.1f s\n", r,
           (unsigned long long)seed, 100.0 * rec->train_acc, 100.0 * rec->test_acc,
           rec->seconds);
    if (!isnan(rec->digit_acc))
        printf("  test digits: tower accuracy %.2f%%; comparing the predicted digits %.2f%% (the "
               "head: %.2f%%); P(d1 <= d2) %.2f%%\n", 100.0 * rec->digit_acc,
               100.0 * rec->argmax_acc, 100.0 * rec->head_acc, 100.0 * rec->prob_acc);
}

/* Whether --save names a .pn file: the format of earlier versions, still
 * written for such a name (one network answered by its head) so that the
 * scripts and corpora made for it keep working; every other name gets a
 * safetensors model file. */
static int saves_pn(const char *path)
{
    const size_t n = strlen(path);
    return n >= 3 && strcmp(path + n - 3, ".pn") == 0;
}

/* A .pn file holds one network of the standard architecture, which eval
 * answers with its head. */
static int check_pn(const pn_train_cfg *c, pn_err *err)
{
    if (c->ensemble > 1 || c->tta > 1 || c->decide != PN_DECIDE_HEAD || c->mopts.width > 1 ||
        c->mopts.prob_head)
        return pn_fail(err, PN_ERR_USAGE, "--save FILE.pn keeps one network answered by its "
                       "head: name the file FILE.safetensors (any model), or add --ensemble 1 "
                       "--tta 1 --decide head (and no --width, --head prob)");
    return PN_OK;
}

/* The last round's networks: a safetensors model file (every model,
 * ensembles included, under the names PyTorch gives the layers, with what
 * the round was), or the .pn of earlier versions for a name ending .pn. */
static int save_round(const char *path, pn_graph *const *gs, const pn_train_cfg *cfg,
                      uint64_t seed, const pn_round_rec *rec, size_t r, pn_err *err)
{
    const size_t k = cfg->ensemble > 1 ? cfg->ensemble : 1;
    int rc = saves_pn(path)
                 ? pn_checkpoint_save(path, gs[0], cfg->model->name, cfg, seed, err)
                 : pn_st_model_save(path, gs, k, cfg, seed, rec->train_acc, rec->test_acc, err);
    if (rc == PN_OK) {
        char shown[8192]; /* the path as the terminal shows it (pn_esc_term) */
        printf("saved %s (round %zu, seed %llu)\n", pn_term_str(shown, sizeof shown, path), r,
               (unsigned long long)seed);
    }
    return rc;
}

int pn_cmd_train(const pn_cli_opts *o, pn_err *err)
{
    const pn_model_info *m = pn_model_find(o->models[0]);
    pn_train_cfg cfg;
    int rc = pn_train_cfg_from_opts(&cfg, o, m, err);
    if (rc != PN_OK)
        return rc;
    /* a --save that cannot be written is found now, not after training */
    if (o->save && (rc = pn_checkpoint_check_path(o->save, err)) != PN_OK)
        return rc;
    if (o->save && saves_pn(o->save) && (rc = check_pn(&cfg, err)) != PN_OK)
        return rc;
    const char *dir = pn_mnist_dir(o->data);
    pn_mnist data;
    rc = pn_mnist_load(dir, &data, err);
    if (rc != PN_OK)
        return rc;
    rc = pn_install_sigint(err);
    if (rc != PN_OK) {
        pn_mnist_free(&data);
        return rc;
    }
    pn_pool *pool = NULL;
    if (o->threads > 1 && (rc = pn_pool_create(o->threads, &pool, err)) != PN_OK) {
        pn_mnist_free(&data);
        return rc;
    }
    double *train_acc = calloc(o->rounds, sizeof *train_acc);
    double *test_acc = calloc(o->rounds, sizeof *test_acc);
    size_t done = 0;
    const size_t n_members = cfg.ensemble > 1 ? cfg.ensemble : 1;
    pn_graph **gs = calloc(n_members, sizeof *gs); /* the members, kept for --save */
    if (!train_acc || !test_acc || !gs)
        rc = pn_fail(err, PN_ERR_RUNTIME, "out of memory for %zu rounds", o->rounds);
    for (size_t r = 0; r < o->rounds && rc == PN_OK; r++) {
        const uint64_t seed = o->seed + r;
        pn_round_data d;
        rc = pn_round_data_make(&data, cfg.n_pairs, seed, &d, err);
        if (rc != PN_OK)
            break;
        pn_round_rec rec;
        pn_round_hooks hooks = {print_epoch, NULL, &pn_interrupted, o->save ? gs : NULL};
        if (r == 0 && (rc = print_header(&cfg, dir, pn_pool_size(pool), err)) != PN_OK) {
            pn_round_data_free(&d);
            break;
        }
        /* rounds counted from 0, as runs.csv counts them */
        printf("round %zu of 0..%zu  seed %llu  (pixel mean %.4f, std %.4f)\n", r,
               o->rounds - 1, (unsigned long long)seed, d.mean, d.std);
        printf("%5s  %8s  %7s  %7s  %8s  %6s\n", "epoch", "loss", "train %", "test %", "lr", "s");
        rc = pn_train_round(&d, &cfg, seed, pool, &hooks, &rec, err);
        if (rc == PN_OK) {
            print_result(r, seed, &rec);
            train_acc[done] = rec.train_acc;
            test_acc[done] = rec.test_acc;
            done++;
            if (o->save)
                rc = save_round(o->save, gs, &cfg, seed, &rec, r, err);
        }
        for (size_t k = 0; k < n_members; k++) {
            pn_graph_free(gs[k]);
            gs[k] = NULL;
        }
        pn_round_rec_free(&rec);
        pn_round_data_free(&d);
    }
    if (rc == PN_ERR_INTERRUPTED)
        pn_fail(err, rc, "%s in round %zu; %zu finished round%s reported above", pn_stop_word(),
                done, done, done == 1 ? "" : "s");
    if (done > 1) {
        double mtr, str, mte, ste;
        pn_mean_std(train_acc, done, &mtr, &str);
        pn_mean_std(test_acc, done, &mte, &ste);
        printf("%s over %zu rounds: train acc %.2f +- %.2f%%, test acc %.2f +- %.2f%%\n",
               m->name, done, 100.0 * mtr, 100.0 * str, 100.0 * mte, 100.0 * ste);
    }
    free(gs);
    free(train_acc);
    free(test_acc);
    pn_pool_free(pool);
    pn_mnist_free(&data);
    return rc;
}
