/* `pairnet bench`: R rounds of every model, the rounds spread over --jobs
 * threads (rounds are independent and each is a pure function of its seed,
 * so the tables do not depend on the thread count), each finished round
 * journaled at once, and the tables and figures written at the end. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pairnet/app/cli.h"
#include "pairnet/base/clock.h"
#include "pairnet/base/file.h"
#include "pairnet/report/buf.h"
#include "pairnet/report/journal.h"
#include "pairnet/report/progress.h"
#include "pairnet/report/results.h"
#include "pairnet/train/train.h"

typedef struct bench {
    const pn_cli_opts *o;
    pn_mnist data;
    size_t n_models, rounds;
    pn_train_cfg cfg[PN_MAX_MODELS];
    pn_round_rec *recs; /* [n_models * rounds], model-major */
    int *have;          /* [n_models * rounds] */
    size_t next;        /* next slot to consider, in the order below */
    size_t order[PN_MAX_MODELS]; /* models, costliest first */
    pthread_mutex_t mu;
    FILE *journal;
    pn_progress prog;
    int rc;     /* first failure other than divergence */
    pn_err err;
} bench;

typedef struct worker_ctx {
    bench *b;
    size_t model;
} worker_ctx;

static void on_epoch(void *ctx, const pn_round_rec *r, const pn_epoch_rec *e)
{
    worker_ctx *w = ctx;
    (void)r;
    pthread_mutex_lock(&w->b->mu);
    pn_progress_epoch(&w->b->prog, w->model, e->epoch);
    pthread_mutex_unlock(&w->b->mu);
}

/* Takes the next unfinished (model, round) slot, or returns 0. */
static int take(bench *b, size_t *slot)
{
    int got = 0;
    pthread_mutex_lock(&b->mu);
    while (b->rc == PN_OK && !atomic_load(&pn_interrupted) &&
           b->next < b->n_models * b->rounds) {
        const size_t i = b->next++;
        const size_t s = b->order[i / b->rounds] * b->rounds + i % b->rounds;
        if (!b->have[s]) {
            *slot = s;
            got = 1;
            break;
        }
    }
    pthread_mutex_unlock(&b->mu);
    return got;
}

static void run_slot(bench *b, size_t slot)
{
    const size_t m = slot / b->rounds, r = slot % b->rounds;
    const uint64_t seed = b->o->seed + r;
    pn_err err = {0, ""};
    pn_round_data d;
    pn_round_rec rec;
    memset(&rec, 0, sizeof rec);
    worker_ctx wc = {b, m};
    pn_round_hooks hooks = {on_epoch, &wc, &pn_interrupted, NULL};
    int rc = pn_round_data_make(&b->data, b->cfg[m].n_pairs, seed, &d, &err);
    if (rc == PN_OK) {
        rc = pn_train_round(&d, &b->cfg[m], seed, NULL, &hooks, &rec, &err);
        rec.round = r;
        pn_round_data_free(&d);
    }
    pthread_mutex_lock(&b->mu);
    if (rc == PN_OK || rc == PN_ERR_DIVERGED) {
        int jr = pn_journal_append(b->journal, &rec, &err);
        if (jr != PN_OK && b->rc == PN_OK) {
            b->rc = jr;
            b->err = err;
        }
        if (rc == PN_ERR_DIVERGED)
            fprintf(stderr, "pairnet bench: %s\n", err.msg);
        b->recs[slot] = rec;
        b->have[slot] = 1;
        pn_progress_round(&b->prog, m, &rec);
    } else {
        if (rc != PN_ERR_INTERRUPTED && b->rc == PN_OK) {
            b->rc = rc;
            b->err = err;
        }
        pn_round_rec_free(&rec); /* an interrupted round is lost, by design */
    }
    pthread_mutex_unlock(&b->mu);
}

static void *worker(void *arg)
{
    bench *b = arg;
    size_t slot;
    while (take(b, &slot))
        run_slot(b, slot);
    return NULL;
}

static int mkdir_p(const char *path, pn_err *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return pn_fail(err, PN_ERR_USAGE, "--out: path too long");
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return pn_fail(err, PN_ERR_RUNTIME, "cannot create directory %s: %s", buf,
                               strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return pn_fail(err, PN_ERR_RUNTIME, "--out %s is not a directory", path);
    return PN_OK;
}

/* Everything that changes a result goes into the journal's configuration,
 * built whole (a truncated one could match another benchmark's journal) in
 * *out (malloc'ed). */
static int config_string(const bench *b, char **out, pn_err *err)
{
    pn_buf buf = {0};
    for (size_t i = 0; i < b->n_models; i++) {
        const pn_train_cfg *c = &b->cfg[i];
        pn_buf_printf(&buf, "%s%s(lr=%g,bs=%zu,aux=%g,mom=%g,wd=%g,step=%zu,gamma=%g,"
                            "epochs=%zu,opt=%s,drop=%g,aug=%d%d%zu)",
                      i ? "," : "", c->model->name, c->lr, c->bs, (double)c->mopts.aux_weight,
                      c->momentum, c->weight_decay, c->lr_step, c->lr_gamma, c->epochs,
                      pn_optimizer_name(c->optimizer), (double)c->mopts.dropout, c->aug_swap,
                      c->aug_repair, c->aug_shift);
    }
    pn_buf_printf(&buf, ";rounds=%zu;seed=%llu;pairs=%zu;eval=%s", b->rounds,
                  (unsigned long long)b->o->seed, b->cfg[0].n_pairs,
                  b->cfg[0].eval_epochs ? "epoch" : "final");
    if (buf.failed) {
        pn_buf_free(&buf);
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory building the bench configuration");
    }
    *out = buf.data;
    return PN_OK;
}

static int write_results(bench *b, const char *dir, double wall, pn_err *err)
{
    pn_model_summary sum[PN_MAX_MODELS];
    for (size_t m = 0; m < b->n_models; m++) {
        pn_summarize(b->recs + m * b->rounds, b->rounds, &sum[m]);
        snprintf(sum[m].model, sizeof sum[m].model, "%s", b->cfg[m].model->name);
        pn_model_size size;
        if (pn_model_measure(b->cfg[m].model, &b->cfg[m].mopts, &size, err) != PN_OK)
            return err->code;
        sum[m].params = size.params;
        sum[m].lr = b->cfg[m].lr;
        sum[m].bs = b->cfg[m].bs;
        sum[m].epochs = b->cfg[m].epochs;
    }
    pn_run_info info;
    memset(&info, 0, sizeof info);
    pn_run_info_fill(&info);
    snprintf(info.command, sizeof info.command, "%s", b->o->command);
    info.wall_seconds = wall;
    const size_t n = b->n_models * b->rounds;
    int rc = pn_write_table2(dir, sum, b->n_models, &info, err);
    if (rc == PN_OK)
        rc = pn_write_runs_csv(dir, b->recs, n, err);
    if (rc == PN_OK)
        rc = pn_write_fig4_svg(dir, b->recs, n, err);
    if (rc == PN_OK)
        rc = pn_write_curves_svg(dir, b->recs, n, err);
    if (rc == PN_OK)
        rc = pn_write_digits_svg(dir, b->recs, n, err);
    if (rc == PN_OK)
        rc = pn_write_index_html(dir, sum, b->n_models, &info, err);
    if (rc != PN_OK)
        return rc;
    printf("\n%-10s %10s %8s %5s  %-17s %-17s %s\n", "model", "params", "lr", "bs",
           "train acc (%)", "test acc (%)", "s/round");
    for (size_t m = 0; m < b->n_models; m++)
        printf("%-10s %10zu %8g %5zu  %6.2f +- %-6.2f  %6.2f +- %-6.2f  %.1f%s\n", sum[m].model,
               sum[m].params, sum[m].lr, sum[m].bs, 100 * sum[m].train_mean,
               100 * sum[m].train_std, 100 * sum[m].test_mean, 100 * sum[m].test_std,
               sum[m].sec_per_round, sum[m].diverged ? "  (some rounds diverged)" : "");
    printf("\nwrote %s/table2.md, table2.csv, runs.csv, fig4.svg, curves.svg, digits.svg, "
           "index.html (%.0f s)\n", dir, wall);
    return PN_OK;
}

static void bench_free(bench *b)
{
    if (b->recs)
        for (size_t i = 0; i < b->n_models * b->rounds; i++)
            if (b->have[i])
                pn_round_rec_free(&b->recs[i]);
    free(b->recs);
    free(b->have);
    if (b->journal)
        fclose(b->journal);
    pn_mnist_free(&b->data);
    pn_progress_free(&b->prog);
    pthread_mutex_destroy(&b->mu);
}

/* Puts the journal's rounds into their slots; rounds of models or seeds
 * outside this configuration cannot be there (the config string matched). */
static void adopt(bench *b, pn_round_rec *old, size_t n_old)
{
    for (size_t i = 0; i < n_old; i++) {
        size_t m = 0;
        while (m < b->n_models && strcmp(b->cfg[m].model->name, old[i].model) != 0)
            m++;
        const size_t slot = m * b->rounds + old[i].round;
        if (m < b->n_models && old[i].round < b->rounds && !b->have[slot]) {
            b->recs[slot] = old[i];
            b->have[slot] = 1;
            old[i].epochs = NULL; /* moved */
        }
    }
    pn_journal_free(old, n_old);
}

int pn_cmd_bench(const pn_cli_opts *o, pn_err *err)
{
    bench b;
    memset(&b, 0, sizeof b);
    pthread_mutex_init(&b.mu, NULL);
    b.o = o;
    b.rounds = o->rounds;
    size_t n_all;
    const pn_model_info *all = pn_model_list(&n_all);
    b.n_models = o->n_models ? o->n_models : pn_study_model_count();
    const char *names[PN_MAX_MODELS];
    for (size_t m = 0; m < b.n_models; m++) {
        names[m] = o->n_models ? o->models[m] : all[m].name;
        const pn_model_info *mi = pn_model_find(names[m]);
        int rc = pn_train_cfg_from_opts(&b.cfg[m], o, mi, err);
        if (rc != PN_OK) {
            pthread_mutex_destroy(&b.mu);
            return rc;
        }
    }
    const char *dir = o->out ? o->out : PN_DEFAULT_OUT;
    char path[4096];
    int rc = mkdir_p(dir, err);
    const size_t n = b.n_models * b.rounds;
    b.recs = calloc(n, sizeof *b.recs);
    b.have = calloc(n, sizeof *b.have);
    if (rc == PN_OK && (!b.recs || !b.have))
        rc = pn_fail(err, PN_ERR_RUNTIME, "out of memory for %zu rounds", n);
    if (rc == PN_OK)
        rc = pn_mnist_load(pn_mnist_dir(o->data), &b.data, err);
    if (rc == PN_OK) {
        pn_round_rec *old;
        size_t n_old;
        char *config = NULL;
        rc = config_string(&b, &config, err);
        if (rc == PN_OK)
            rc = pn_path_join(path, sizeof path, dir, "journal.csv", err);
        if (rc == PN_OK)
            rc = pn_journal_open(path, config, &old, &n_old, &b.journal, err);
        if (rc == PN_OK)
            adopt(&b, old, n_old);
        free(config);
    }
    if (rc != PN_OK) {
        bench_free(&b);
        return rc;
    }
    size_t done[PN_MAX_MODELS] = {0};
    for (size_t i = 0; i < n; i++)
        done[i / b.rounds] += (size_t)b.have[i];
    double cost[PN_MAX_MODELS];
    for (size_t m = 0; m < b.n_models; m++) {
        pn_model_size size;
        if (pn_model_measure(b.cfg[m].model, &b.cfg[m].mopts, &size, err) != PN_OK) {
            bench_free(&b);
            return err->code;
        }
        cost[m] = size.macs; /* rough: memory-bound layers are left out */
    }
    size_t epochs[PN_MAX_MODELS];
    for (size_t m = 0; m < b.n_models; m++) {
        epochs[m] = b.cfg[m].epochs;
        cost[m] *= (double)epochs[m];
    }
    /* Longest rounds first, so that the last ones, which may leave a core
     * idle at the end, are short. */
    for (size_t m = 0; m < b.n_models; m++) {
        size_t at = m;
        while (at > 0 && cost[b.order[at - 1]] < cost[m]) {
            b.order[at] = b.order[at - 1];
            at--;
        }
        b.order[at] = m;
    }
    /* this thread is one of the jobs */
    const size_t jobs = o->threads ? o->threads : 1;
    pthread_t *th = calloc(jobs, sizeof *th);
    rc = th ? PN_OK : pn_fail(err, PN_ERR_RUNTIME, "out of memory for %zu jobs", jobs);
    if (rc == PN_OK)
        rc = pn_progress_init(&b.prog, stderr, b.n_models, names, cost, b.rounds, epochs, done,
                              err);
    if (rc == PN_OK)
        rc = pn_install_sigint(err);
    if (rc != PN_OK) {
        free(th);
        bench_free(&b);
        return rc;
    }
    const double t0 = pn_now();
    size_t started = 0;
    for (; started + 1 < jobs; started++)
        if (pthread_create(&th[started], NULL, worker, &b) != 0)
            break;
    worker(&b);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
    pn_progress_end(&b.prog);
    const double wall = pn_now() - t0;
    size_t finished = 0, diverged = 0;
    for (size_t i = 0; i < n; i++) {
        finished += (size_t)b.have[i];
        diverged += b.have[i] && b.recs[i].diverged;
    }
    if (b.rc != PN_OK) {
        *err = b.err;
        rc = b.rc;
    } else if (finished < n) {
        rc = pn_fail(err, PN_ERR_INTERRUPTED, "interrupted: %zu of %zu rounds are finished and "
                     "saved in %s; run the same command again to continue", finished, n, path);
    } else {
        rc = write_results(&b, dir, wall, err);
        if (rc == PN_OK && diverged)
            rc = pn_fail(err, PN_ERR_DIVERGED, "%zu of %zu rounds diverged; they are counted "
                         "apart in %s/table2.md, not averaged", diverged, n, dir);
    }
    bench_free(&b);
    return rc;
}
