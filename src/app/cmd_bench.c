/* `pairnet bench`: R rounds of every model, the rounds spread over --jobs
 * threads (rounds are independent and each is a pure function of its seed,
 * so the tables do not depend on the thread count), and the tables and
 * figures written at the end.
 *
 * Every finished round goes at once into the round store of --out
 * (report/store.h) under the key of its configuration, and every round
 * already there is taken from it instead of being trained again: a bench
 * that was interrupted, or asked for more rounds or another model than an
 * earlier one, trains only what is missing; other configurations share the
 * folder, and the tables show only the one asked for. The store's lock
 * makes a second bench on the same folder wait and then find the rounds
 * done. Without --out, a fresh folder runs/<UTC date-time>-<models>. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pairnet/app/cli.h"
#include "pairnet/base/clock.h"
#include "pairnet/base/file.h"
#include "pairnet/base/buf.h"
#include "pairnet/report/escape.h"
#include "pairnet/report/progress.h"
#include "pairnet/report/results.h"
#include "pairnet/report/store.h"
#include "pairnet/report/summary_term.h"

/* Room for a path shown escaped (\xNN is 4 bytes a byte; longer is cut). */
#define PN_TERM_PATH 8192
#include "pairnet/train/model_safetensors.h"
#include "pairnet/train/train.h"

typedef struct bench {
    const pn_cli_opts *o;
    pn_mnist data;
    size_t n_models, rounds;
    pn_train_cfg cfg[PN_MAX_MODELS];
    char *key[PN_MAX_MODELS]; /* the store key of each model's rounds */
    pn_round_rec *recs; /* [n_models * rounds], model-major */
    int *have;          /* [n_models * rounds]: 1 from the store, 2 computed now */
    size_t next;        /* next slot to consider, in the order below */
    size_t order[PN_MAX_MODELS]; /* models, costliest first */
    pthread_mutex_t mu;
    pn_store *store;
    pn_progress prog;
    int rc;     /* first failure other than divergence */
    pn_err err;
    atomic_int *stop; /* non-zero: take no more rounds (a signal's number) */
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
    while (b->rc == PN_OK && !atomic_load(b->stop) &&
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

/* --save-models DIR: the networks of a round computed now, as
 * DIR/<model>-seed<seed>.safetensors (rounds read from the store keep no
 * weights). */
static int save_models(const bench *b, size_t m, uint64_t seed, pn_graph *const *gs,
                       const pn_round_rec *rec, pn_err *err)
{
    char name[128], path[8192];
    snprintf(name, sizeof name, "%s-seed%llu.safetensors", b->cfg[m].model->name,
             (unsigned long long)seed);
    int rc = pn_path_join(path, sizeof path, b->o->save_models, name, err);
    const size_t k = b->cfg[m].ensemble > 1 ? b->cfg[m].ensemble : 1;
    return rc != PN_OK ? rc
                       : pn_st_model_save(path, gs, k, &b->cfg[m], seed, rec->train_acc,
                                          rec->test_acc, err);
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
    const size_t k = b->cfg[m].ensemble > 1 ? b->cfg[m].ensemble : 1;
    pn_graph **keep = b->o->save_models ? calloc(k, sizeof *keep) : NULL;
    pn_round_hooks hooks = {on_epoch, &wc, b->stop, keep};
    int rc = b->o->save_models && !keep ? pn_fail(&err, PN_ERR_RUNTIME, "out of memory")
                                        : pn_round_data_make(&b->data, b->cfg[m].n_pairs, seed,
                                                             &d, &err);
    if (rc == PN_OK) {
        rc = pn_train_round(&d, &b->cfg[m], seed, NULL, &hooks, &rec, &err);
        rec.round = r;
        pn_round_data_free(&d);
    }
    pn_err save_err = {0, ""};
    const int saved = rc == PN_OK && keep ? save_models(b, m, seed, keep, &rec, &save_err)
                                          : PN_OK;
    for (size_t i = 0; keep && i < k; i++)
        pn_graph_free(keep[i]);
    free(keep);
    pthread_mutex_lock(&b->mu);
    if (rc == PN_OK || rc == PN_ERR_DIVERGED) {
        if (rc == PN_ERR_DIVERGED)
            fprintf(stderr, "pairnet bench: %s\n", err.msg);
        int sr = pn_store_add(b->store, b->key[m], &rec, &err);
        if (sr != PN_OK && b->rc == PN_OK) {
            b->rc = sr;
            b->err = err;
        }
        if (saved != PN_OK && b->rc == PN_OK) {
            b->rc = saved;
            b->err = save_err;
        }
        b->recs[slot] = rec;
        b->have[slot] = 2;
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
                return pn_fail(err, PN_ERR_RUNTIME, "cannot create directory %s: %s (choose "
                               "another --out)", buf, strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return pn_fail(err, PN_ERR_USAGE, "--out %s is not a directory (choose another --out)",
                       path);
    return PN_OK;
}

/* The store key of every model's rounds (store.h: everything that changes
 * their numbers, the seed apart). */
static int make_keys(bench *b, pn_err *err)
{
    for (size_t m = 0; m < b->n_models; m++) {
        int rc = pn_store_key_of(&b->cfg[m], &b->key[m], err);
        if (rc != PN_OK)
            return rc;
    }
    return PN_OK;
}

static int write_results(bench *b, const char *dir, double wall, pn_err *err)
{
    const size_t n = b->n_models * b->rounds;
    size_t now = 0;
    double summed = 0.0;
    for (size_t i = 0; i < n; i++) {
        now += b->have[i] == 2;
        if (b->have[i])
            summed += b->recs[i].seconds;
    }
    pn_model_summary sum[PN_MAX_MODELS];
    for (size_t m = 0; m < b->n_models; m++) {
        pn_summarize(b->recs + m * b->rounds, b->rounds, &sum[m]);
        snprintf(sum[m].model, sizeof sum[m].model, "%s", b->cfg[m].model->name);
        pn_model_size size;
        if (pn_model_measure(b->cfg[m].model, &b->cfg[m].mopts, &size, err) != PN_OK)
            return err->code;
        sum[m].params = size.params;
        sum[m].networks = b->cfg[m].ensemble;
        sum[m].lr = b->cfg[m].lr;
        sum[m].bs = b->cfg[m].bs;
        sum[m].epochs = b->cfg[m].epochs;
    }
    pn_run_info info;
    memset(&info, 0, sizeof info);
    pn_run_info_fill(&info);
    pn_run_info_mnist(&info, &b->data, pn_mnist_dir(b->o->data));
    snprintf(info.command, sizeof info.command, "%s", b->o->command);
    info.wall_seconds = wall;
    info.rounds_total = n;
    info.rounds_now = now;
    info.round_seconds = summed;
    pn_effect effects[PN_MAX_EFFECTS];
    const size_t n_effects = pn_effects(b->recs, n, effects);
    int rc = pn_write_table2(dir, sum, b->n_models, effects, n_effects, &info, err);
    const pn_table2 t2 = {b->cfg, sum, b->n_models, b->recs, n, effects, n_effects, &info};
    if (rc == PN_OK)
        rc = pn_write_table2_json(dir, &t2, err);
    if (rc == PN_OK)
        rc = pn_write_runs_csv(dir, b->recs, n, err);
    if (rc == PN_OK)
        rc = pn_write_fig4_svg(dir, b->recs, n, err);
    if (rc == PN_OK)
        rc = pn_write_curves_svg(dir, b->recs, n, err);
    if (rc == PN_OK)
        rc = pn_write_digits_svg(dir, b->recs, n, err);
    if (rc == PN_OK)
        rc = pn_write_effects_svg(dir, effects, n_effects, err);
    if (rc == PN_OK)
        rc = pn_write_index_html(dir, sum, b->n_models, effects, n_effects, &info, err);
    if (rc != PN_OK)
        return rc;
    pn_summary_print(stdout, sum, b->n_models, pn_term_width(stdout));
    /* paths are the user's: shown escaped, never as control bytes */
    char t[PN_TERM_PATH];
    printf("\nrounds computed in this run: %zu of %zu", now, n);
    if (now < n)
        printf(" (the others from %s)", pn_term_str(t, sizeof t, pn_store_path(b->store)));
    printf("\nwrote %s/table2.md, table2.csv, table2.json, runs.csv, fig4.svg, curves.svg, "
           "digits.svg, %sindex.html (%.0f s)\n", pn_term_str(t, sizeof t, dir),
           n_effects ? "effects.svg, " : "", wall);
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
    for (size_t m = 0; m < b->n_models; m++)
        free(b->key[m]);
    pn_store_close(b->store); /* releases the folder's lock */
    pn_mnist_free(&b->data);
    pn_progress_free(&b->prog);
    pthread_mutex_destroy(&b->mu);
}

/* Puts the stored rounds of this configuration into their slots (a deep
 * copy: the store keeps its own). */
static int adopt(bench *b, pn_err *err)
{
    for (size_t m = 0; m < b->n_models; m++)
        for (size_t r = 0; r < b->rounds; r++) {
            const uint64_t seed = b->o->seed + r;
            const pn_round_rec *st = pn_store_find(b->store, b->key[m], seed);
            if (!st)
                continue;
            if (strcmp(st->model, b->cfg[m].model->name) != 0)
                return pn_fail(err, PN_ERR_DATA, "%s: the round of seed %llu under the key of "
                               "%s names model %s: the store was edited; delete that line to "
                               "recompute the round", pn_store_path(b->store),
                               (unsigned long long)seed, b->cfg[m].model->name, st->model);
            pn_round_rec *dst = &b->recs[m * b->rounds + r];
            if (pn_round_rec_copy(dst, st) != 0)
                return pn_fail(err, PN_ERR_RUNTIME, "out of memory for the stored rounds");
            dst->round = r;
            b->have[m * b->rounds + r] = 1;
        }
    return PN_OK;
}

/* bench --list: what the store in --out holds; no data, no lock. */
static int list_store(const pn_cli_opts *o, pn_err *err)
{
    if (!o->out)
        return pn_fail(err, PN_ERR_USAGE, "bench --list needs --out DIR, the folder whose "
                       "round store to list");
    struct stat st;
    if (stat(o->out, &st) != 0)
        return pn_fail(err, PN_ERR_USAGE, "--out %s: %s (bench --list lists an existing "
                       "folder's rounds)", o->out, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return pn_fail(err, PN_ERR_USAGE, "--out %s is not a directory", o->out);
    pn_store *s;
    int rc = pn_store_read(o->out, &s, err);
    if (rc != PN_OK)
        return rc;
    pn_buf b = {0};
    if (pn_store_describe(s, &b) != PN_OK) {
        pn_buf_free(&b);
        pn_store_close(s);
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory listing %s", o->out);
    }
    char t[PN_TERM_PATH];
    if (pn_store_count(s) == 0)
        printf("%s holds no rounds\n", pn_term_str(t, sizeof t, pn_store_path(s)));
    else
        fputs(b.data, stdout);
    pn_buf_free(&b);
    pn_store_close(s);
    return PN_OK;
}

/* A fresh folder runs/<UTC date-time>-<models> (-2, -3... if a bench of
 * the same second took the name), into dir. */
static int fresh_run_dir(const bench *b, const char *const *names, char *dir, size_t cap,
                         pn_err *err)
{
    int rc = mkdir_p(PN_RUNS_DIR, err);
    if (rc != PN_OK)
        return rc;
    char stamp[32] = "unknown";
    const time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    pn_buf base = {0};
    pn_buf_printf(&base, "%s/%s-", PN_RUNS_DIR, stamp);
    for (size_t m = 0; m < b->n_models; m++)
        pn_buf_printf(&base, "%s%s", m ? "," : "", names[m]);
    if (base.failed) {
        pn_buf_free(&base);
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory");
    }
    for (unsigned k = 1; k < 1000; k++) {
        int len = k == 1 ? snprintf(dir, cap, "%s", base.data)
                         : snprintf(dir, cap, "%s-%u", base.data, k);
        if (len < 0 || (size_t)len >= cap)
            break;
        if (mkdir(dir, 0777) == 0) {
            pn_buf_free(&base);
            return PN_OK;
        }
        if (errno != EEXIST) {
            rc = pn_fail(err, PN_ERR_RUNTIME, "cannot create directory %s: %s (pass --out DIR)",
                         dir, strerror(errno));
            pn_buf_free(&base);
            return rc;
        }
    }
    rc = pn_fail(err, PN_ERR_RUNTIME, "cannot find a fresh folder name for %s (pass --out DIR)",
                 base.data);
    pn_buf_free(&base);
    return rc;
}

/* The configuration of every model asked for, the slots of their rounds
 * and their store keys; names[m] the models' names. */
static int bench_setup(bench *b, const pn_cli_opts *o, const char **names, pn_err *err)
{
    b->o = o;
    b->rounds = o->rounds;
    b->stop = &pn_interrupted; /* the signal handlers' flag (signals.c) */
    size_t n_all;
    const pn_model_info *all = pn_model_list(&n_all);
    b->n_models = o->n_models ? o->n_models : pn_study_model_count();
    for (size_t m = 0; m < b->n_models; m++) {
        names[m] = o->n_models ? o->models[m] : all[m].name;
        const pn_model_info *mi = pn_model_find(names[m]);
        int rc = pn_train_cfg_from_opts(&b->cfg[m], o, mi, err);
        if (rc != PN_OK)
            return rc;
    }
    if (o->save_models) {
        int rc = mkdir_p(o->save_models, err);
        if (rc != PN_OK)
            return rc;
    }
    const size_t n = b->n_models * b->rounds;
    b->recs = calloc(n, sizeof *b->recs);
    b->have = calloc(n, sizeof *b->have);
    if (!b->recs || !b->have)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory for %zu rounds", n);
    return make_keys(b, err);
}

/* A store that is still empty beside the journal.csv of an older pairnet:
 * say that its rounds are not read. */
static void note_old_journal(const bench *b, const char *dir)
{
    char old[4096];
    if (pn_store_count(b->store) != 0 ||
        pn_path_join(old, sizeof old, dir, "journal.csv", NULL) != PN_OK || access(old, F_OK) != 0)
        return;
    char t[PN_TERM_PATH], u[PN_TERM_PATH];
    fprintf(stderr, "pairnet bench: note: %s is the journal of an older pairnet and is not "
                    "read; its rounds are computed again into %s\n",
            pn_term_str(t, sizeof t, old), pn_term_str(u, sizeof u, pn_store_path(b->store)));
}

/* The folder (--out, or a fresh one in fresh[cap]) into *dir, its store
 * opened and the rounds it holds adopted; *have_data when the data had to
 * be loaded first. */
static int bench_open(bench *b, const char **names, char *fresh, size_t cap, const char **dir,
                      int *have_data, pn_err *err)
{
    const pn_cli_opts *o = b->o;
    /* Ctrl-C also ends the wait for another bench's lock */
    int rc = pn_install_sigint(err);
    *dir = o->out;
    if (rc == PN_OK && !*dir) {
        /* a fresh folder needs every round: load the data before making it,
         * so that a bench without data leaves no empty folder behind */
        rc = pn_mnist_load(pn_mnist_dir(o->data), &b->data, err);
        *have_data = rc == PN_OK;
        if (rc == PN_OK)
            rc = fresh_run_dir(b, names, fresh, cap, err);
        if (rc == PN_OK) {
            *dir = fresh;
            printf("results in %s\n", *dir);
            fflush(stdout);
        }
    } else if (rc == PN_OK) {
        rc = mkdir_p(*dir, err);
    }
    if (rc == PN_OK)
        rc = pn_store_open(*dir, b->stop, &b->store, err);
    if (rc == PN_OK)
        rc = adopt(b, err);
    if (rc == PN_OK)
        note_old_journal(b, *dir);
    return rc;
}

/* The rounds each model has (done) and the number missing; the data
 * loaded when any is missing. */
static int bench_need(bench *b, int have_data, size_t *done, size_t *missing, pn_err *err)
{
    const size_t n = b->n_models * b->rounds;
    *missing = 0;
    for (size_t i = 0; i < n; i++) {
        done[i / b->rounds] += b->have[i] != 0;
        *missing += !b->have[i];
    }
    if (*missing && !have_data)
        return pn_mnist_load(pn_mnist_dir(b->o->data), &b->data, err);
    return PN_OK;
}

/* Each model's epochs and rough cost of a round (multiply-adds times
 * epochs), and the order the rounds are taken in: longest first, so that
 * the last ones, which may leave a core idle at the end, are short. */
static int bench_plan(bench *b, double *cost, size_t *epochs, pn_err *err)
{
    for (size_t m = 0; m < b->n_models; m++) {
        pn_model_size size;
        if (pn_model_measure(b->cfg[m].model, &b->cfg[m].mopts, &size, err) != PN_OK)
            return err->code;
        epochs[m] = b->cfg[m].epochs;
        cost[m] = size.macs * (double)epochs[m]; /* rough: memory-bound layers are left out */
    }
    for (size_t m = 0; m < b->n_models; m++) {
        size_t at = m;
        while (at > 0 && cost[b->order[at - 1]] < cost[m]) {
            b->order[at] = b->order[at - 1];
            at--;
        }
        b->order[at] = m;
    }
    return PN_OK;
}

/* The missing rounds on --jobs threads (this one among them), with the
 * progress display; *wall the seconds it took. */
static int bench_run(bench *b, const char **names, const double *cost, const size_t *epochs,
                     const size_t *done, size_t missing, double *wall, pn_err *err)
{
    const size_t jobs = b->o->threads ? b->o->threads : 1;
    pthread_t *th = calloc(jobs, sizeof *th);
    int rc = th ? PN_OK : pn_fail(err, PN_ERR_RUNTIME, "out of memory for %zu jobs", jobs);
    if (rc == PN_OK)
        rc = pn_progress_init(&b->prog, stderr, b->n_models, names, cost, b->rounds, epochs,
                              done, err);
    if (rc != PN_OK) {
        free(th);
        return rc;
    }
    const double t0 = pn_now();
    size_t started = 0;
    if (missing) {
        for (; started + 1 < jobs && started + 1 < missing; started++)
            if (pthread_create(&th[started], NULL, worker, b) != 0)
                break;
        worker(b);
    }
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
    pn_progress_end(&b->prog);
    *wall = pn_now() - t0;
    return PN_OK;
}

/* The outcome: the first failure of a round, an interruption (what is
 * saved and how to go on), or the tables and figures. */
static int bench_finish(bench *b, const char *dir, double wall, pn_err *err)
{
    const size_t n = b->n_models * b->rounds;
    size_t finished = 0, diverged = 0;
    for (size_t i = 0; i < n; i++) {
        finished += b->have[i] != 0;
        diverged += b->have[i] && b->recs[i].diverged;
    }
    if (b->rc != PN_OK) {
        *err = b->err;
        return b->rc;
    }
    const pn_cli_opts *o = b->o;
    if (finished < n)
        return pn_fail(err, PN_ERR_INTERRUPTED, "%s: %zu of %zu rounds are finished and saved "
                       "in %s; run the same command%s%s again to continue", pn_stop_word(),
                       finished, n, pn_store_path(b->store), o->out ? "" : " with --out ",
                       o->out ? "" : dir);
    int rc = write_results(b, dir, wall, err);
    if (rc == PN_OK && diverged)
        rc = pn_fail(err, PN_ERR_DIVERGED, "%zu of %zu rounds diverged; they are counted "
                     "apart in %s/table2.md, not averaged", diverged, n, dir);
    return rc;
}

int pn_cmd_bench(const pn_cli_opts *o, pn_err *err)
{
    if (o->list)
        return list_store(o, err);
    bench b;
    memset(&b, 0, sizeof b);
    pthread_mutex_init(&b.mu, NULL);
    const char *names[PN_MAX_MODELS], *dir = NULL;
    char fresh[4096];
    int have_data = 0;
    size_t done[PN_MAX_MODELS] = {0}, missing = 0, epochs[PN_MAX_MODELS];
    double cost[PN_MAX_MODELS], wall = 0.0;
    int rc = bench_setup(&b, o, names, err);
    if (rc == PN_OK)
        rc = bench_open(&b, names, fresh, sizeof fresh, &dir, &have_data, err);
    if (rc == PN_OK)
        rc = bench_need(&b, have_data, done, &missing, err);
    if (rc == PN_OK)
        rc = bench_plan(&b, cost, epochs, err);
    if (rc == PN_OK)
        rc = bench_run(&b, names, cost, epochs, done, missing, &wall, err);
    if (rc == PN_OK)
        rc = bench_finish(&b, dir, wall, err);
    bench_free(&b);
    return rc;
}
