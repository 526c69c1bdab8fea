/* The round: its data, its members (one network, or an ensemble), the
 * epoch x member x step loop around pn_train_step (src/train/step.c),
 * evaluation after the epochs (src/train/evaluate.c), and the records. */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/train/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/base/clock.h"
#include "pairnet/graph/ema.h"
#include "train_impl.h"

int pn_round_data_make(const pn_mnist *m, size_t n_pairs, uint64_t seed, pn_round_data *d,
                       pn_err *err)
{
    pn_rng rng;
    memset(d, 0, sizeof *d);
    pn_rng_seed(&rng, seed, PN_STREAM_DATA);
    int rc = pn_pairs_draw(&m->train, n_pairs, &rng, &d->train, err);
    if (rc == PN_OK)
        rc = pn_pairs_draw(&m->test, n_pairs, &rng, &d->test, err);
    if (rc != PN_OK) {
        pn_round_data_free(d);
        return rc;
    }
    pn_pairs_stats(&d->train, &d->mean, &d->std);
    pn_pairs_standardize(&d->train, d->mean, d->std);
    pn_pairs_standardize(&d->test, d->mean, d->std);
    return PN_OK;
}

void pn_round_data_free(pn_round_data *d)
{
    pn_pairs_free(&d->train);
    pn_pairs_free(&d->test);
}

/* The training pairs of one epoch: the round's pairs, or a fresh pairing of
 * its digits, with images swapped at random. */
static const pn_pairs *epoch_pairs(const pn_train_cfg *cfg, const pn_pairs *train, pn_pairs *ep,
                                   size_t *perm, pn_rng *rng)
{
    if (!cfg->aug_repair && !cfg->aug_swap)
        return train;
    if (cfg->aug_repair)
        pn_pairs_repair(ep, train, perm, rng);
    else
        pn_pairs_copy(ep, train);
    if (cfg->aug_swap)
        pn_pairs_swap(ep, rng);
    return ep;
}

static int all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* Member m of an ensemble draws from the round's streams moved by m times
 * this (the streams of one member stay below it), so member 0 is the round
 * without an ensemble. */
#define MEMBER_STREAM_SPACING 16
/* Dropout keys: the seed times the 64-bit golden ratio (a Weyl sequence)
 * plus the step, xor-ed with the member's key, m times another odd constant
 * (0 for member 0), so that no two members or steps share a mask. */
#define DROPOUT_SEED_MUL 0x9e3779b97f4a7c15ULL
#define MEMBER_KEY_MUL 0xa24baed4963ee407ULL

/* One network of a round: member 0 uses the round's streams, so a round
 * of one member is what it always was; member m > 0 its own. */
typedef struct member {
    pn_graph *g;
    pn_optim opt;
    pn_ema ema;
    pn_rng init, shuf, aug;
    pn_pairs ep;    /* this epoch's pairs when augmented */
    pn_batch batch; /* the pairs of one step */
    size_t *order, *perm;
    uint64_t key; /* xor-ed into the dropout keys */
} member;

static uint64_t member_stream(uint64_t stream, size_t m)
{
    return stream + MEMBER_STREAM_SPACING * (uint64_t)m;
}

/* Builds member m's network and state: fresh weights from its own init
 * stream, the identity order. */
static int member_init(member *me, size_t m, const pn_train_cfg *cfg, size_t N, uint64_t seed,
                       struct pn_pool *pool, pn_err *err)
{
    const int augment = cfg->aug_repair || cfg->aug_swap;
    me->order = malloc(N * sizeof *me->order);
    me->perm = malloc(2 * N * sizeof *me->perm);
    me->g = pn_model_build(cfg->model, &cfg->mopts, cfg->bs, pool, err);
    if (!me->g)
        return err ? err->code : PN_ERR_RUNTIME;
    if (!me->order || !me->perm || (augment && pn_pairs_alloc(&me->ep, N) != 0) ||
        pn_batch_alloc(&me->batch, cfg->bs) != 0 ||
        pn_optim_init(&me->opt, cfg->optimizer, me->g->n_params, (float)cfg->momentum,
                      (float)cfg->weight_decay) != 0)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory setting up a round");
    pn_rng_seed(&me->init, seed, member_stream(PN_STREAM_INIT, m));
    pn_rng_seed(&me->shuf, seed, member_stream(PN_STREAM_SHUFFLE, m));
    pn_rng_seed(&me->aug, seed, member_stream(PN_STREAM_AUX, m));
    me->key = (uint64_t)m * MEMBER_KEY_MUL;
    pn_graph_init_params(me->g, &me->init);
    if (cfg->ema > 0.0 && pn_ema_init(&me->ema, me->g, cfg->ema) != 0)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory setting up a round");
    for (size_t i = 0; i < N; i++)
        me->order[i] = i;
    return PN_OK;
}

/* Frees member me; its graph goes to *keep instead if keep is set (with
 * the weights the round evaluated: the average's with --ema). */
static void member_free(member *me, const pn_train_cfg *cfg, pn_graph **keep)
{
    pn_optim_free(&me->opt);
    pn_pairs_free(&me->ep);
    pn_batch_free(&me->batch);
    free(me->order);
    free(me->perm);
    if (keep) {
        if (cfg->ema > 0.0)
            pn_ema_swap(&me->ema, me->g);
        *keep = me->g;
    } else {
        pn_graph_free(me->g);
    }
    pn_ema_free(&me->ema);
}

/* What one epoch of the round loop shares between its members. */
typedef struct epoch_ctx {
    const pn_round_data *d;
    const pn_train_cfg *cfg;
    const pn_round_hooks *hooks;
    uint64_t seed;
    size_t e;       /* 0-based */
    double lr;
    float fill;     /* the background of a moved image: a standardized 0 pixel */
    double loss_sum; /* loss times pairs, over the epoch's steps of every member */
    pn_round_rec *out;
} epoch_ctx;

/* The batch of pairs order[at..at+n) of tp, augmented as cfg says (the
 * shift, then the warp, from the member's augmentation stream). */
static void next_batch(member *me, const epoch_ctx *c, const pn_pairs *tp, size_t at, size_t n)
{
    pn_batch_take(&me->batch, tp, me->order + at, n);
    if (c->cfg->aug_shift)
        pn_batch_shift_random(&me->batch, c->cfg->aug_shift, c->fill, &me->aug);
    if (pn_warp_active(&c->cfg->warp))
        pn_batch_warp(&me->batch, &c->cfg->warp, c->fill, &me->aug);
}

static int diverged(epoch_ctx *c, pn_err *err, const char *what, double loss, size_t b)
{
    c->out->diverged = 1;
    /* said in words: printf's "-nan" reads as a number */
    if (b)
        return pn_fail(err, PN_ERR_DIVERGED, "%s seed %llu diverged: the loss is %s in epoch "
                       "%zu, batch %zu (lower --lr, now %g)", c->cfg->model->name,
                       (unsigned long long)c->seed, isnan(loss) ? "not a number" : "infinite",
                       c->e + 1, b, c->lr);
    return pn_fail(err, PN_ERR_DIVERGED, "%s seed %llu diverged: %s after epoch %zu (lower "
                   "--lr, now %g)", c->cfg->model->name, (unsigned long long)c->seed, what,
                   c->e + 1, c->lr);
}

/* One epoch of member me: its steps over a fresh order of the epoch's
 * pairs, each with a fresh dropout key from *step on. */
static int member_epoch(member *me, epoch_ctx *c, uint64_t *step, pn_err *err)
{
    const pn_train_cfg *cfg = c->cfg;
    const size_t N = c->d->train.n, bs = cfg->bs;
    const pn_pairs *tp = epoch_pairs(cfg, &c->d->train, &me->ep, me->perm, &me->aug);
    pn_rng_shuffle(&me->shuf, me->order, N, N);
    for (size_t at = 0, b = 0; at < N; at += bs, b++) {
        if (c->hooks->stop && atomic_load(c->hooks->stop))
            return pn_fail(err, PN_ERR_INTERRUPTED, "interrupted in epoch %zu", c->e + 1);
        const size_t n = N - at < bs ? N - at : bs;
        next_batch(me, c, tp, at, n);
        /* a fresh dropout mask every step, a pure function of seed and step */
        me->g->noise_key = (c->seed * DROPOUT_SEED_MUL + (*step)++) ^ me->key;
        float loss;
        const int rc = pn_train_step(me->g, &me->batch, &me->opt, (float)c->lr, &loss, err);
        if (rc != PN_OK)
            return rc;
        if (!isfinite(loss))
            return diverged(c, err, "loss", (double)loss, b + 1);
        c->loss_sum += (double)loss * (double)n;
        if (cfg->ema > 0.0)
            pn_ema_update(&me->ema, me->g);
    }
    if (!all_finite(me->g->params, me->g->n_params))
        return diverged(c, err, "non-finite weights", 0.0, 0);
    return PN_OK;
}

/* Evaluates every member (their averages with --ema) on p. */
static void eval_members(member *ms, pn_graph **gs, size_t k, const pn_train_cfg *cfg,
                         float fill, const pn_pairs *p, pn_eval_acc *out)
{
    for (size_t m = 0; m < k; m++) {
        gs[m] = ms[m].g;
        if (cfg->ema > 0.0)
            pn_ema_swap(&ms[m].ema, ms[m].g);
    }
    pn_eval_graphs(gs, k, cfg->tta > 1 ? cfg->tta : 1, fill, p, out);
    for (size_t m = 0; m < k && cfg->ema > 0.0; m++)
        pn_ema_swap(&ms[m].ema, ms[m].g);
}

/* The record of epoch e: its loss, and its accuracies when it is evaluated
 * (every epoch with eval_epochs, else the last); the last also the round's. */
static void record_epoch(epoch_ctx *c, member *ms, pn_graph **gs, size_t K, double t_start)
{
    const pn_train_cfg *cfg = c->cfg;
    pn_round_rec *out = c->out;
    pn_epoch_rec *er = &out->epochs[c->e];
    er->epoch = c->e + 1;
    er->lr = c->lr;
    er->loss = c->loss_sum / (double)(c->d->train.n * K);
    er->train_acc = er->test_acc = NAN;
    const int last = c->e + 1 == cfg->epochs;
    if (cfg->eval_epochs || last) {
        pn_eval_acc tr, te;
        eval_members(ms, gs, K, cfg, c->fill, &c->d->train, &tr);
        er->train_acc = pn_eval_decided(&tr, cfg->decide);
        /* one pass over the test pairs gives every rule's accuracy */
        eval_members(ms, gs, K, cfg, c->fill, &c->d->test, &te);
        er->test_acc = pn_eval_decided(&te, cfg->decide);
        if (last) {
            out->digit_acc = te.digit;
            out->argmax_acc = te.argmax;
            out->prob_acc = te.prob;
            out->head_acc = te.head;
        }
    }
    er->seconds = pn_now() - t_start;
    out->n_epochs = c->e + 1;
    if (last) {
        out->train_acc = er->train_acc;
        out->test_acc = er->test_acc;
    }
}

/* The epochs of the round: every member trains one epoch, then the
 * ensemble is evaluated and the epoch recorded. */
static int run_epochs(epoch_ctx *c, member *ms, pn_graph **gs, size_t K, pn_err *err)
{
    uint64_t step = 0;
    for (size_t e = 0; e < c->cfg->epochs; e++) {
        const double te = pn_now();
        c->e = e;
        c->lr = pn_train_lr(c->cfg, e);
        c->loss_sum = 0.0;
        uint64_t mstep = step;
        for (size_t m = 0; m < K; m++) {
            mstep = step; /* every member the same steps, told apart by its key */
            const int rc = member_epoch(&ms[m], c, &mstep, err);
            if (rc != PN_OK)
                return rc;
        }
        step = mstep;
        record_epoch(c, ms, gs, K, te);
        if (c->hooks->on_epoch)
            c->hooks->on_epoch(c->hooks->ctx, c->out, &c->out->epochs[e]);
    }
    return PN_OK;
}

static void rec_start(pn_round_rec *out, const pn_train_cfg *cfg, uint64_t seed)
{
    memset(out, 0, sizeof *out);
    snprintf(out->model, sizeof out->model, "%s", cfg->model->name);
    out->seed = seed;
    out->train_acc = out->test_acc = out->digit_acc = out->argmax_acc = NAN;
    out->prob_acc = out->head_acc = NAN;
}

int pn_train_round(const pn_round_data *d, const pn_train_cfg *cfg, uint64_t seed,
                   struct pn_pool *pool, const pn_round_hooks *hooks, pn_round_rec *out,
                   pn_err *err)
{
    static const pn_round_hooks no_hooks = {0};
    if (!hooks)
        hooks = &no_hooks;
    rec_start(out, cfg, seed);
    const double t0 = pn_now();
    const size_t K = cfg->ensemble > 1 ? cfg->ensemble : 1;
    member *ms = calloc(K, sizeof *ms);
    pn_graph **gs = calloc(K, sizeof *gs);
    out->epochs = calloc(cfg->epochs, sizeof *out->epochs);
    int rc = PN_OK;
    if (!ms || !gs || !out->epochs)
        rc = pn_fail(err, PN_ERR_RUNTIME, "out of memory setting up a round");
    for (size_t m = 0; m < K && rc == PN_OK; m++)
        rc = member_init(&ms[m], m, cfg, d->train.n, seed, pool, err);
    if (rc == PN_OK) {
        epoch_ctx c = {.d = d, .cfg = cfg, .hooks = hooks, .seed = seed, .out = out};
        c.fill = d->std > 0.0 ? (float)(-d->mean / d->std) : 0.0f;
        rc = run_epochs(&c, ms, gs, K, err);
    }
    out->seconds = pn_now() - t0;
    for (size_t m = 0; ms && m < K; m++)
        member_free(&ms[m], cfg, hooks->keep && rc == PN_OK ? &hooks->keep[m] : NULL);
    free(ms);
    free(gs);
    return rc;
}
