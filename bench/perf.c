/* `make perf`: training speed per model against the machine's measured FMA
 * peak, and where the time goes, layer by layer. A benchmark, not a test:
 * it prints figures and judges nothing. Inputs are random (speed does not
 * depend on pixel values), so it runs without MNIST.
 *
 *   build/perf [threads] [epochs] [model]   (defaults: online CPUs, 7, all)
 *
 * PAIRNET_KERNEL=avx512|avx2|scalar times another kernel set. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pairnet/graph/graph.h"
#include "pairnet/models/models.h"
#include "pairnet/ops/optim.h"
#include "peak.h"
#include "pairnet/base/pool.h"
#include "pairnet/train/train.h"
#include "pairnet/base/clock.h"
#include "pairnet/ops/kset.h"
#include "pairnet/report/provenance.h"
#include "pairnet/app/cli.h"

#define PAIRS 1000

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One training epoch over the PAIRS random pairs p: the same work as
 * pn_train_round minus shuffling, augmentation and evaluation (a batch
 * taken from the pairs, then pn_train_step). */
static double epoch(pn_graph *g, pn_optim *opt, const pn_pairs *p, pn_batch *b)
{
    const size_t bs = b->cap;
    const double t0 = pn_now();
    for (size_t at = 0; at < PAIRS; at += bs) {
        const size_t n = PAIRS - at < bs ? PAIRS - at : bs;
        float loss;
        pn_batch_slice(b, p, at, n);
        pn_train_step(g, b, opt, 0.01f, &loss, NULL);
    }
    return pn_now() - t0;
}

/* Evaluating EVAL_PAIRS pairs, as a round does after each epoch (the
 * 1000 training and the 1000 test pairs): forward passes in evaluation
 * mode at the graph's batch size. */
#define EVAL_PAIRS 2000
static double evaluation(pn_graph *g, const pn_pairs *p, pn_batch *b)
{
    const size_t bs = b->cap;
    const double t0 = pn_now();
    /* the PAIRS random pairs over again; a batch never runs past their end */
    for (size_t done = 0, n; done < EVAL_PAIRS; done += n) {
        const size_t from = done % PAIRS;
        n = bs < PAIRS - from ? bs : PAIRS - from;
        n = n < EVAL_PAIRS - done ? n : EVAL_PAIRS - done;
        pn_batch_slice(b, p, from, n);
        pn_bind_batch(g, b, NULL);
        pn_graph_forward(g, n, 0);
    }
    return pn_now() - t0;
}

/* PAIRS pairs of random pixels and labels (speed depends on neither). */
static int random_pairs(pn_pairs *p, pn_rng *r)
{
    if (pn_pairs_alloc(p, PAIRS) != 0)
        return -1;
    for (size_t i = 0; i < PAIRS * 2 * PN_PIXELS; i++)
        p->x[i] = pn_rng_sym(r, 1.7f);
    for (size_t k = 0; k < PAIRS; k++) {
        p->digit[2 * k] = (uint8_t)(k % 10);
        p->digit[2 * k + 1] = (uint8_t)(k * 7 % 10);
        p->target[k] = p->digit[2 * k] <= p->digit[2 * k + 1];
        p->index[2 * k] = p->index[2 * k + 1] = 0;
    }
    return 0;
}

static void profile(pn_graph *g, size_t epochs, double wall)
{
    double total = 0.0, fwd = 0.0;
    for (size_t i = 0; i < 2 * g->n_nodes; i++) {
        total += g->prof[i];
        fwd += i % 2 ? 0.0 : g->prof[i];
    }
    printf("    %-4s %-18s %-16s %9s %9s %6s\n", "node", "op", "rows x shape", "fwd ms",
           "bwd ms", "share");
    for (size_t i = 0; i < g->n_nodes; i++) {
        const pn_node *n = &g->nodes[i];
        const double f = g->prof[2 * i], b = g->prof[2 * i + 1];
        const char *op = pn_op_name(n->op);
        if (f + b < 1e-3 * total)
            continue;
        char shape[32];
        snprintf(shape, sizeof shape, "%zux%zux%zux%zu", n->rmul, n->c, n->h, n->w);
        printf("    %-4zu %-18s %-16s %9.2f %9.2f %5.1f%%\n", i, op, shape,
               1e3 * f / (double)epochs, 1e3 * b / (double)epochs, 100 * (f + b) / total);
    }
    const double e = (double)epochs;
    printf("    nodes: %.2f ms forward + %.2f ms backward; outside them (input copy, optimizer, "
           "waiting on the pool): %.2f ms; epoch %.2f ms\n", 1e3 * fwd / e,
           1e3 * (total - fwd) / e, 1e3 * (wall - total) / e, 1e3 * wall / e);
}

/* A model's network at its batch size with a plain SGD optimizer and a
 * batch: what both passes below time. */
typedef struct bench_net {
    pn_graph *g;
    pn_optim opt;
    pn_batch b;
} bench_net;

static int bench_net_make(bench_net *n, const pn_model_info *m, pn_pool *pool, pn_rng *r)
{
    memset(n, 0, sizeof *n);
    pn_model_opts o = {.aux_weight = 1.0f};
    pn_err err;
    n->g = pn_model_build(m, &o, m->bs, pool, &err);
    if (!n->g) {
        fprintf(stderr, "perf: %s\n", err.msg);
        return -1;
    }
    if (pn_optim_init(&n->opt, PN_OPT_SGD, n->g->n_params, 0, 0) != 0 ||
        pn_batch_alloc(&n->b, m->bs) != 0) {
        fprintf(stderr, "perf: out of memory\n");
        return -1;
    }
    pn_graph_init_params(n->g, r);
    return 0;
}

static void bench_net_free(bench_net *n)
{
    pn_graph_free(n->g);
    pn_optim_free(&n->opt);
    pn_batch_free(&n->b);
}

/* The median of `epochs` runs of f (at most 64). */
static double median_of(size_t epochs, double (*f)(bench_net *, const pn_pairs *), bench_net *n,
                        const pn_pairs *p)
{
    double t[64];
    const size_t k = epochs < 64 ? epochs : 64;
    for (size_t e = 0; e < k; e++)
        t[e] = f(n, p);
    qsort(t, k, sizeof *t, cmp_double);
    return t[k / 2];
}

static double train_epoch(bench_net *n, const pn_pairs *p) { return epoch(n->g, &n->opt, p, &n->b); }
static double eval_pass(bench_net *n, const pn_pairs *p) { return evaluation(n->g, p, &n->b); }

/* One row of the table: s/epoch (median after a warm-up epoch), its rate
 * against the peak, and the evaluation's cost. */
static int time_model(const pn_model_info *m, pn_pool *pool, pn_rng *r, const pn_pairs *p,
                      size_t epochs, double peak)
{
    bench_net n;
    if (bench_net_make(&n, m, pool, r) != 0)
        return -1;
    train_epoch(&n, p);
    const double med = median_of(epochs, train_epoch, &n, p);
    const double ev = median_of(epochs, eval_pass, &n, p);
    /* training = forward + input gradient + weight gradient: 3x the
     * forward multiply-adds, 2 flops each */
    const double flops = 3.0 * 2.0 * pn_graph_forward_macs(n.g) * PAIRS;
    printf("%-10s %4zu %10.4f %10.0f %9.1f %7.1f%% %10.4f %8.2f\n", m->name, m->bs, med,
           PAIRS / med, flops / med * 1e-9, 100 * flops / med * 1e-9 / peak, ev, ev / med);
    bench_net_free(&n);
    return 0;
}

/* The per-layer profile of one model: the mean of `epochs` epochs after a
 * warm-up one. */
static int profile_model(const pn_model_info *m, pn_pool *pool, pn_rng *r, const pn_pairs *p,
                         size_t epochs)
{
    bench_net n;
    if (bench_net_make(&n, m, pool, r) != 0)
        return -1;
    n.g->prof = calloc(2 * n.g->n_nodes, sizeof *n.g->prof);
    if (!n.g->prof) {
        bench_net_free(&n);
        return -1;
    }
    train_epoch(&n, p);
    memset(n.g->prof, 0, 2 * n.g->n_nodes * sizeof *n.g->prof);
    double wall = 0.0;
    for (size_t e = 0; e < epochs; e++)
        wall += train_epoch(&n, p);
    printf("\n  %s (batch %zu)\n", m->name, m->bs);
    profile(n.g, epochs, wall);
    free(n.g->prof);
    n.g->prof = NULL;
    bench_net_free(&n);
    return 0;
}

static void print_header(size_t threads, size_t epochs, double peak1, double peakT)
{
    pn_run_info info;
    pn_run_info_fill(&info);
    /* the family and model tell Zen 4 from Zen 5, which share a name */
    printf("machine: %s (%s family %s, model %s), %zu CPUs online\n", info.cpu,
           info.cpu_vendor[0] ? info.cpu_vendor : "vendor unknown",
           info.cpu_family[0] ? info.cpu_family : "unknown",
           info.cpu_model[0] ? info.cpu_model : "unknown", info.cores);
    printf("kernel: %s\n", pn_kset_name());
    printf("FMA peak: %.1f GFLOP/s on 1 thread, %.1f GFLOP/s on %zu threads\n", peak1, peakT,
           threads);
    printf("training epoch = %d pairs, forward + backward + SGD, median of %zu after 1 "
           "warm-up, %zu thread%s\n", PAIRS, epochs, threads, threads > 1 ? "s" : "");
    printf("s/eval = evaluating %d pairs (a round's after each epoch: its training and test "
           "pairs) at the same batch; eval/ep = s/eval / s/epoch\n\n", EVAL_PAIRS);
    printf("%-10s %4s %10s %10s %9s %8s %10s %8s\n", "model", "bs", "s/epoch", "pairs/s",
           "GFLOP/s", "% peak", "s/eval", "eval/ep");
}

int main(int argc, char **argv)
{
    pn_err kerr = {0, ""};
    if (pn_kset_env_check(&kerr) != PN_OK) {
        fprintf(stderr, "perf: %s\n", kerr.msg);
        return kerr.code;
    }
    const long threads_in = argc > 1 ? atol(argv[1]) : (long)pn_cpu_count();
    const long epochs_in = argc > 2 ? atol(argv[2]) : 7;
    const char *only = argc > 3 ? argv[3] : NULL;
    if (threads_in < 1 || threads_in > PN_MAX_THREADS || epochs_in < 1 || argc > 4) {
        fprintf(stderr, "usage: perf [threads 1..%d] [epochs >= 1] [model]\n", PN_MAX_THREADS);
        return 2;
    }
    if (only && !pn_model_find(only)) {
        fprintf(stderr, "perf: no model '%s' (models: %s)\n", only, pn_model_names());
        return 2;
    }
    const size_t threads = (size_t)threads_in, epochs = (size_t)epochs_in;
    const double peak1 = pn_fma_peak_gflops(1), peakT = pn_fma_peak_gflops(threads);
    print_header(threads, epochs, peak1, peakT);
    pn_pool *pool = threads > 1 ? pn_pool_new(threads) : NULL;
    pn_pairs p;
    pn_rng r;
    pn_rng_seed(&r, 1, 0);
    if (random_pairs(&p, &r) != 0) {
        fprintf(stderr, "perf: out of memory\n");
        return 1;
    }
    size_t nm;
    const pn_model_info *models = pn_model_list(&nm);
    int rc = 0;
    for (size_t m = 0; m < nm && rc == 0; m++)
        if (!only || !strcmp(only, models[m].name))
            rc = time_model(&models[m], pool, &r, &p, epochs, peakT);
    if (rc == 0)
        printf("\nper-layer time of one epoch (median-free: mean of %zu epochs)\n", epochs);
    for (size_t m = 0; m < nm && rc == 0; m++)
        if (!only || !strcmp(only, models[m].name))
            rc = profile_model(&models[m], pool, &r, &p, epochs);
    pn_pairs_free(&p);
    pn_pool_free(pool);
    return rc ? 1 : 0;
}
