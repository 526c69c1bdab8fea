#define _POSIX_C_SOURCE 200809L
#include "pairnet/train/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pairnet/graph/ema.h"
#include "pairnet/ops/optim.h"
#include "pairnet/data/warp.h"
#include "pairnet/ops/kernels.h"
#include "pairnet/base/clock.h"

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

void pn_round_rec_free(pn_round_rec *r)
{
    free(r->epochs);
    r->epochs = NULL;
    r->n_epochs = 0;
}

/* Copies pairs order[0..n) of p into the graph's input and label buffers. */
static void load_batch(pn_graph *g, const pn_pairs *p, const size_t *order, size_t n)
{
    float *x = pn_graph_input(g);
    const size_t S = 2 * PN_PIXELS;
    for (size_t i = 0; i < n; i++) {
        const size_t k = order[i];
        memcpy(x + i * S, p->x + k * S, S * sizeof *x);
        pn_graph_set_label(g, n, i, p->target[k], p->digit[2 * k], p->digit[2 * k + 1]);
    }
}

/* Moves every image of the loaded batch by up to `shift` pixels each way;
 * the uncovered border gets the background (a standardized 0 pixel). */
static void shift_batch(pn_graph *g, size_t n, size_t shift, float fill, pn_rng *rng)
{
    float *x = pn_graph_input(g), tmp[PN_PIXELS];
    const uint64_t span = 2 * shift + 1;
    for (size_t i = 0; i < 2 * n; i++) {
        const int dx = (int)pn_rng_below(rng, span) - (int)shift;
        const int dy = (int)pn_rng_below(rng, span) - (int)shift;
        if (dx == 0 && dy == 0)
            continue;
        memcpy(tmp, x + i * PN_PIXELS, sizeof tmp);
        pn_image_shift(x + i * PN_PIXELS, tmp, dx, dy, fill);
    }
}

/* The training pairs of one epoch: the round's pairs, or a fresh pairing of
 * its digits, with images swapped at random. */
static const pn_pairs *epoch_pairs(const pn_train_cfg *cfg, const pn_pairs *train, pn_pairs *ep,
                                   size_t *perm, pn_rng *rng)
{
    if (!cfg->aug_repair && !cfg->aug_swap)
        return train;
    if (cfg->aug_repair) {
        pn_pairs_repair(ep, train, perm, rng);
    } else {
        memcpy(ep->x, train->x, train->n * 2 * PN_PIXELS * sizeof *ep->x);
        memcpy(ep->digit, train->digit, 2 * train->n);
        memcpy(ep->target, train->target, train->n);
        memcpy(ep->index, train->index, 2 * train->n * sizeof *ep->index);
    }
    if (cfg->aug_swap)
        pn_pairs_swap(ep, rng);
    return ep;
}

static size_t argmax10(const float *v)
{
    size_t best = 0;
    for (size_t k = 1; k < 10; k++)
        if (v[k] > v[best])
            best = k;
    return best;
}

/* The fixed views of test-time augmentation: the image itself, then moved by
 * one pixel (the four neighbours, then the diagonals). */
static const int tta_shift[PN_MAX_TTA][2] = {{0, 0},  {1, 0},  {-1, 0}, {0, 1},  {0, -1},
                                             {1, 1},  {1, -1}, {-1, 1}, {-1, -1}};

/* The accuracies of one evaluation: the head's, the tower's digits', of
 * comparing the predicted digits and of P(d1 <= d2) >= 1/2. */
typedef struct eval_acc {
    double head, digit, argmax, prob;
} eval_acc;

/* Evaluates the k graphs gs (equal architectures) over p, each on `views`
 * views of every image, averaging their probabilities (with a single graph
 * and view, the raw outputs: exactly the argmax of the logits). acc:
 * scratch of 22 p->n floats. fill: the background of a shifted image. */
static void eval_set(pn_graph *const *gs, size_t k, size_t views, float fill, const pn_pairs *p,
                     float *acc, eval_acc *out)
{
    pn_graph *g0 = gs[0];
    const int has_digits = g0->digits != PN_NONE;
    const int raw = k * views == 1;
    size_t idx[256];
    const size_t step = g0->max_batch < 256 ? g0->max_batch : 256;
    memset(acc, 0, 22 * p->n * sizeof *acc);
    for (size_t m = 0; m < k; m++) {
        pn_graph *g = gs[m];
        const pn_node *dn = has_digits ? &g->nodes[g->digits] : NULL;
        for (size_t at = 0; at < p->n; at += step) {
            const size_t n = p->n - at < step ? p->n - at : step;
            for (size_t i = 0; i < n; i++)
                idx[i] = at + i;
            for (size_t v = 0; v < views; v++) {
                load_batch(g, p, idx, n);
                const int dx = tta_shift[v][0], dy = tta_shift[v][1];
                if (dx || dy) {
                    float *x = pn_graph_input(g), tmp[PN_PIXELS];
                    for (size_t i = 0; i < 2 * n; i++) {
                        memcpy(tmp, x + i * PN_PIXELS, sizeof tmp);
                        pn_image_shift(x + i * PN_PIXELS, tmp, dx, dy, fill);
                    }
                }
                pn_graph_forward(g, n, 0);
                const float *o = pn_graph_output(g);
                for (size_t i = 0; i < n; i++) {
                    float *a = acc + 22 * (at + i), pr[10];
                    if (raw) {
                        a[0] = o[2 * i];
                        a[1] = o[2 * i + 1];
                    } else {
                        pn_softmax_forward(pr, o + 2 * i, 1, 2);
                        a[0] += pr[0];
                        a[1] += pr[1];
                    }
                    if (!dn)
                        continue;
                    /* [2B,10]: image 1 in row i, image 2 in row B+i; [B,20]: both in row i */
                    const float *l1 = dn->rmul == 2 ? dn->val + 10 * i : dn->val + 20 * i;
                    const float *l2 = dn->rmul == 2 ? dn->val + 10 * (n + i) : l1 + 10;
                    for (int s = 0; s < 2; s++) {
                        const float *l = s ? l2 : l1;
                        float *d = a + 2 + 10 * s;
                        if (raw) {
                            memcpy(d, l, 10 * sizeof *d);
                            continue;
                        }
                        pn_softmax_forward(pr, l, 1, 10);
                        for (int c = 0; c < 10; c++)
                            d[c] += pr[c];
                    }
                }
            }
        }
    }
    size_t head = 0, digits = 0, compared = 0, prob = 0;
    const float inv = 1.0f / (float)(k * views);
    for (size_t i = 0; i < p->n; i++) {
        float *a = acc + 22 * i;
        const int t = p->target[i] != 0;
        head += (a[1] > a[0]) == t;
        if (!has_digits)
            continue;
        const size_t c1 = argmax10(a + 2), c2 = argmax10(a + 12);
        digits += (c1 == p->digit[2 * i]) + (c2 == p->digit[2 * i + 1]);
        compared += (c1 <= c2) == t;
        float p1[10], p2[10];
        if (raw) {
            pn_softmax_forward(p1, a + 2, 1, 10);
            pn_softmax_forward(p2, a + 12, 1, 10);
        } else {
            for (int c = 0; c < 10; c++) {
                p1[c] = a[2 + c] * inv;
                p2[c] = a[12 + c] * inv;
            }
        }
        prob += (pn_prob_le_of(p1, p2) >= 0.5f) == t;
    }
    const double np = (double)p->n;
    out->head = (double)head / np;
    out->digit = out->argmax = out->prob = NAN;
    if (has_digits) {
        out->digit = (double)digits / (2.0 * np);
        out->argmax = (double)compared / np;
        out->prob = (double)prob / np;
    }
}

/* The accuracy the decision rule d reports (the head's without digits). */
static double decided(const eval_acc *a, int d)
{
    if (d == PN_DECIDE_ARGMAX && !isnan(a->argmax))
        return a->argmax;
    if (d == PN_DECIDE_PROB && !isnan(a->prob))
        return a->prob;
    return a->head;
}

static void eval_one(pn_graph *g, const pn_pairs *p, eval_acc *out)
{
    float *acc = malloc(22 * (p->n ? p->n : 1) * sizeof *acc);
    if (!acc) {
        out->head = out->digit = out->argmax = out->prob = NAN;
        return;
    }
    eval_set(&g, 1, 1, 0.0f, p, acc, out);
    free(acc);
}

double pn_evaluate(pn_graph *g, const pn_pairs *p)
{
    eval_acc a;
    eval_one(g, p, &a);
    return a.head;
}

void pn_evaluate_digits(pn_graph *g, const pn_pairs *p, double *digit_acc, double *argmax_acc)
{
    *digit_acc = *argmax_acc = NAN;
    if (g->digits == PN_NONE)
        return;
    eval_acc a;
    eval_one(g, p, &a);
    *digit_acc = a.digit;
    *argmax_acc = a.argmax;
}

static int all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* One network of a round: member 0 uses the round's streams, so a round
 * of one member is what it always was; member m > 0 its own. */
typedef struct member {
    pn_graph *g;
    pn_optim opt;
    pn_ema ema;
    pn_rng init, shuf, aug;
    pn_pairs ep;
    size_t *order, *perm;
    uint64_t key; /* xor-ed into the dropout keys */
} member;

static uint64_t member_stream(uint64_t stream, size_t m) { return stream + 16 * (uint64_t)m; }

/* Warps every image of the loaded batch (cfg->warp). */
static void warp_batch(pn_graph *g, size_t n, const pn_warp_cfg *w, float fill, pn_rng *rng)
{
    float *x = pn_graph_input(g), tmp[PN_PIXELS];
    for (size_t i = 0; i < 2 * n; i++) {
        memcpy(tmp, x + i * PN_PIXELS, sizeof tmp);
        pn_image_warp(x + i * PN_PIXELS, tmp, w, fill, rng);
    }
}

/* Evaluates every member (their averages with --ema) on p. */
static void eval_members(member *ms, pn_graph **gs, size_t k, const pn_train_cfg *cfg,
                         float fill, const pn_pairs *p, float *acc, eval_acc *out)
{
    for (size_t m = 0; m < k; m++) {
        gs[m] = ms[m].g;
        if (cfg->ema > 0.0)
            pn_ema_swap(&ms[m].ema, ms[m].g);
    }
    eval_set(gs, k, cfg->tta > 1 ? cfg->tta : 1, fill, p, acc, out);
    for (size_t m = 0; m < k && cfg->ema > 0.0; m++)
        pn_ema_swap(&ms[m].ema, ms[m].g);
}

int pn_train_round(const pn_round_data *d, const pn_train_cfg *cfg, uint64_t seed,
                   struct pn_pool *pool, const pn_round_hooks *hooks, pn_round_rec *out,
                   pn_err *err)
{
    static const pn_round_hooks no_hooks = {0};
    if (!hooks)
        hooks = &no_hooks;
    memset(out, 0, sizeof *out);
    snprintf(out->model, sizeof out->model, "%s", cfg->model->name);
    out->seed = seed;
    out->train_acc = out->test_acc = out->digit_acc = out->argmax_acc = NAN;
    out->prob_acc = out->head_acc = NAN;
    const double t0 = pn_now();
    const size_t N = d->train.n, bs = cfg->bs;
    const size_t K = cfg->ensemble > 1 ? cfg->ensemble : 1;
    const int augment = cfg->aug_repair || cfg->aug_swap;
    const int warp = pn_warp_active(&cfg->warp);
    const size_t n_eval = d->train.n > d->test.n ? d->train.n : d->test.n;
    member *ms = calloc(K, sizeof *ms);
    pn_graph **gs = calloc(K, sizeof *gs);
    float *acc = malloc(22 * (n_eval ? n_eval : 1) * sizeof *acc);
    out->epochs = calloc(cfg->epochs, sizeof *out->epochs);
    int rc = PN_OK;
    if (!ms || !gs || !acc || !out->epochs)
        rc = pn_fail(err, PN_ERR_RUNTIME, "out of memory setting up a round");
    for (size_t m = 0; m < K && rc == PN_OK; m++) {
        member *me = &ms[m];
        me->order = malloc(N * sizeof *me->order);
        me->perm = malloc(2 * N * sizeof *me->perm);
        me->g = pn_model_build(cfg->model, &cfg->mopts, bs, pool, err);
        if (!me->g)
            rc = err ? err->code : PN_ERR_RUNTIME;
        else if (!me->order || !me->perm || (augment && pn_pairs_alloc(&me->ep, N) != 0) ||
                 pn_optim_init(&me->opt, cfg->optimizer, me->g->n_params, (float)cfg->momentum,
                               (float)cfg->weight_decay) != 0)
            rc = pn_fail(err, PN_ERR_RUNTIME, "out of memory setting up a round");
        if (rc != PN_OK)
            break;
        pn_rng_seed(&me->init, seed, member_stream(PN_STREAM_INIT, m));
        pn_rng_seed(&me->shuf, seed, member_stream(PN_STREAM_SHUFFLE, m));
        pn_rng_seed(&me->aug, seed, member_stream(PN_STREAM_AUX, m));
        me->key = (uint64_t)m * 0xa24baed4963ee407ULL;
        pn_graph_init_params(me->g, &me->init);
        if (cfg->ema > 0.0 && pn_ema_init(&me->ema, me->g, cfg->ema) != 0)
            rc = pn_fail(err, PN_ERR_RUNTIME, "out of memory setting up a round");
        for (size_t i = 0; i < N; i++)
            me->order[i] = i;
    }
    if (rc != PN_OK)
        goto done;

    const float fill = d->std > 0.0 ? (float)(-d->mean / d->std) : 0.0f;
    uint64_t step = 0;
    for (size_t e = 0; e < cfg->epochs && rc == PN_OK; e++) {
        const double te = pn_now();
        const double lr = pn_train_lr(cfg, e);
        double loss_sum = 0.0;
        for (size_t m = 0; m < K && rc == PN_OK; m++) {
            member *me = &ms[m];
            pn_graph *g = me->g;
            uint64_t mstep = step;
            const pn_pairs *tp = epoch_pairs(cfg, &d->train, &me->ep, me->perm, &me->aug);
            pn_rng_shuffle(&me->shuf, me->order, N, N);
            for (size_t at = 0, b = 0; at < N; at += bs, b++) {
                if (hooks->stop && atomic_load(hooks->stop)) {
                    rc = pn_fail(err, PN_ERR_INTERRUPTED, "interrupted in epoch %zu", e + 1);
                    break;
                }
                const size_t n = N - at < bs ? N - at : bs;
                load_batch(g, tp, me->order + at, n);
                if (cfg->aug_shift)
                    shift_batch(g, n, cfg->aug_shift, fill, &me->aug);
                if (warp)
                    warp_batch(g, n, &cfg->warp, fill, &me->aug);
                /* a fresh dropout mask every step, a pure function of seed and step */
                g->noise_key = (seed * 0x9e3779b97f4a7c15ULL + mstep++) ^ me->key;
                pn_graph_zero_grads(g);
                const float loss = pn_graph_forward(g, n, 1);
                if (!isfinite(loss)) {
                    out->diverged = 1;
                    rc = pn_fail(err, PN_ERR_DIVERGED,
                                 "%s seed %llu diverged: loss is %g in epoch %zu, batch %zu "
                                 "(lower --lr, now %g)", cfg->model->name,
                                 (unsigned long long)seed, (double)loss, e + 1, b + 1, lr);
                    break;
                }
                loss_sum += (double)loss * (double)n;
                pn_graph_backward(g);
                pn_optim_step(&me->opt, g->params, g->grads, (float)lr);
                if (cfg->ema > 0.0)
                    pn_ema_update(&me->ema, g);
            }
            if (rc == PN_OK && !all_finite(g->params, g->n_params)) {
                out->diverged = 1;
                rc = pn_fail(err, PN_ERR_DIVERGED, "%s seed %llu diverged: non-finite weights "
                             "after epoch %zu (lower --lr, now %g)", cfg->model->name,
                             (unsigned long long)seed, e + 1, lr);
            }
            if (m + 1 == K)
                step = mstep;
        }
        if (rc != PN_OK)
            break;
        pn_epoch_rec *er = &out->epochs[e];
        er->epoch = e + 1;
        er->lr = lr;
        er->loss = loss_sum / (double)(N * K);
        er->train_acc = er->test_acc = NAN;
        const int last = e + 1 == cfg->epochs;
        if (cfg->eval_epochs || last) {
            eval_acc tr, te_acc;
            eval_members(ms, gs, K, cfg, fill, &d->train, acc, &tr);
            er->train_acc = decided(&tr, cfg->decide);
            /* one pass over the test pairs gives every rule's accuracy */
            eval_members(ms, gs, K, cfg, fill, &d->test, acc, &te_acc);
            er->test_acc = decided(&te_acc, cfg->decide);
            if (last) {
                out->digit_acc = te_acc.digit;
                out->argmax_acc = te_acc.argmax;
                out->prob_acc = te_acc.prob;
                out->head_acc = te_acc.head;
            }
        }
        er->seconds = pn_now() - te;
        out->n_epochs = e + 1;
        if (last) {
            out->train_acc = er->train_acc;
            out->test_acc = er->test_acc;
        }
        if (hooks->on_epoch)
            hooks->on_epoch(hooks->ctx, out, er);
    }
done:
    out->seconds = pn_now() - t0;
    for (size_t m = 0; ms && m < K; m++) {
        member *me = &ms[m];
        pn_optim_free(&me->opt);
        pn_pairs_free(&me->ep);
        free(me->order);
        free(me->perm);
        if (m == 0 && hooks->keep && rc == PN_OK) {
            /* the weights the round evaluated (of the first member) */
            if (cfg->ema > 0.0)
                pn_ema_swap(&me->ema, me->g);
            *hooks->keep = me->g;
        } else {
            pn_graph_free(me->g);
        }
        pn_ema_free(&me->ema);
    }
    free(ms);
    free(gs);
    free(acc);
    return rc;
}
