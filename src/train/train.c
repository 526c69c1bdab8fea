#define _POSIX_C_SOURCE 200809L
#include "pairnet/train/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pairnet/graph/optim.h"
#include "pairnet/base/clock.h"

void pn_train_cfg_default(pn_train_cfg *c, const pn_model_info *m)
{
    const pn_preset *p = pn_model_preset(m);
    memset(c, 0, sizeof *c);
    c->model = m;
    c->lr = m->lr;
    c->bs = m->bs;
    c->n_pairs = PN_PAIRS;
    c->eval_epochs = 1;
    c->optimizer = p->optimizer;
    c->epochs = p->epochs;
    c->lr_step = p->lr_step;
    c->lr_gamma = p->lr_gamma;
    c->weight_decay = p->weight_decay;
    c->momentum = p->momentum;
    c->mopts.aux_weight = p->aux_weight;
    c->mopts.dropout = p->dropout;
    c->aug_swap = p->aug_swap;
    c->aug_repair = p->aug_repair;
    c->aug_shift = p->aug_shift;
}

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

/* One evaluation pass over p in batches. Counts the pairs the head gets
 * right into *head; with digits (g->digits set), the images the tower
 * classifies right and the pairs that comparing its two classes gets right. */
static void eval_pass(pn_graph *g, const pn_pairs *p, size_t *head, size_t *digits,
                      size_t *compared)
{
    const pn_node *dn = g->digits != PN_NONE ? &g->nodes[g->digits] : NULL;
    size_t idx[256];
    const size_t step = g->max_batch < 256 ? g->max_batch : 256;
    *head = *digits = *compared = 0;
    for (size_t at = 0; at < p->n; at += step) {
        const size_t n = p->n - at < step ? p->n - at : step;
        for (size_t i = 0; i < n; i++)
            idx[i] = at + i;
        load_batch(g, p, idx, n);
        pn_graph_forward(g, n, 0);
        const float *out = pn_graph_output(g);
        for (size_t i = 0; i < n; i++) {
            const size_t k = at + i;
            *head += (out[2 * i + 1] > out[2 * i]) == (p->target[k] != 0);
            if (!dn)
                continue;
            /* [2B,10]: image 1 in row i, image 2 in row B+i; [B,20]: both in row i */
            const float *l1 = dn->rmul == 2 ? dn->val + 10 * i : dn->val + 20 * i;
            const float *l2 = dn->rmul == 2 ? dn->val + 10 * (n + i) : l1 + 10;
            const size_t c1 = argmax10(l1), c2 = argmax10(l2);
            *digits += (c1 == p->digit[2 * k]) + (c2 == p->digit[2 * k + 1]);
            *compared += (c1 <= c2) == (p->target[k] != 0);
        }
    }
}

/* The accuracies of one pass over p: the head's, and (NaN without digit
 * logits) the tower's digit accuracy and that of comparing its digits. */
static void eval_accuracies(pn_graph *g, const pn_pairs *p, double *head_acc,
                            double *digit_acc, double *argmax_acc)
{
    size_t head, digits, compared;
    eval_pass(g, p, &head, &digits, &compared);
    *head_acc = (double)head / (double)p->n;
    *digit_acc = *argmax_acc = NAN;
    if (g->digits != PN_NONE) {
        *digit_acc = (double)digits / (double)(2 * p->n);
        *argmax_acc = (double)compared / (double)p->n;
    }
}

double pn_evaluate(pn_graph *g, const pn_pairs *p)
{
    double head, digit, argmax;
    eval_accuracies(g, p, &head, &digit, &argmax);
    return head;
}

void pn_evaluate_digits(pn_graph *g, const pn_pairs *p, double *digit_acc, double *argmax_acc)
{
    *digit_acc = *argmax_acc = NAN;
    if (g->digits == PN_NONE)
        return;
    double head;
    eval_accuracies(g, p, &head, digit_acc, argmax_acc);
}

static int all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
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
    const double t0 = pn_now();
    const size_t N = d->train.n, bs = cfg->bs;
    pn_optim opt;
    memset(&opt, 0, sizeof opt);
    pn_pairs ep;
    memset(&ep, 0, sizeof ep);
    const int augment = cfg->aug_repair || cfg->aug_swap;
    size_t *order = malloc(N * sizeof *order), *perm = malloc(2 * N * sizeof *perm);
    out->epochs = calloc(cfg->epochs, sizeof *out->epochs);
    pn_graph *g = pn_model_build(cfg->model, &cfg->mopts, bs, pool, err);
    int rc = PN_OK;
    if (!g)
        rc = err ? err->code : PN_ERR_RUNTIME;
    else if (!order || !perm || !out->epochs || (augment && pn_pairs_alloc(&ep, N) != 0) ||
             pn_optim_init(&opt, cfg->optimizer, g->n_params, (float)cfg->momentum,
                           (float)cfg->weight_decay) != 0)
        rc = pn_fail(err, PN_ERR_RUNTIME, "out of memory setting up a round");
    if (rc != PN_OK)
        goto done;

    pn_rng init, shuf, aug;
    pn_rng_seed(&init, seed, PN_STREAM_INIT);
    pn_rng_seed(&shuf, seed, PN_STREAM_SHUFFLE);
    pn_rng_seed(&aug, seed, PN_STREAM_AUX);
    const float fill = d->std > 0.0 ? (float)(-d->mean / d->std) : 0.0f;
    uint64_t step = 0;
    pn_graph_init_params(g, &init);
    for (size_t i = 0; i < N; i++)
        order[i] = i;

    for (size_t e = 0; e < cfg->epochs && rc == PN_OK; e++) {
        const double te = pn_now();
        const double lr = pn_lr_at(cfg->lr, e, cfg->lr_step, cfg->lr_gamma);
        double loss_sum = 0.0;
        const pn_pairs *tp = epoch_pairs(cfg, &d->train, &ep, perm, &aug);
        pn_rng_shuffle(&shuf, order, N, N);
        for (size_t at = 0, b = 0; at < N; at += bs, b++) {
            if (hooks->stop && atomic_load(hooks->stop)) {
                rc = pn_fail(err, PN_ERR_INTERRUPTED, "interrupted in epoch %zu", e + 1);
                break;
            }
            const size_t n = N - at < bs ? N - at : bs;
            load_batch(g, tp, order + at, n);
            if (cfg->aug_shift)
                shift_batch(g, n, cfg->aug_shift, fill, &aug);
            /* a fresh dropout mask every step, a pure function of seed and step */
            g->noise_key = seed * 0x9e3779b97f4a7c15ULL + step++;
            pn_graph_zero_grads(g);
            const float loss = pn_graph_forward(g, n, 1);
            if (!isfinite(loss)) {
                out->diverged = 1;
                rc = pn_fail(err, PN_ERR_DIVERGED,
                             "%s seed %llu diverged: loss is %g in epoch %zu, batch %zu (lower "
                             "--lr, now %g)", cfg->model->name, (unsigned long long)seed,
                             (double)loss, e + 1, b + 1, lr);
                break;
            }
            loss_sum += (double)loss * (double)n;
            pn_graph_backward(g);
            pn_optim_step(&opt, g->params, g->grads, (float)lr);
        }
        if (rc == PN_OK && !all_finite(g->params, g->n_params)) {
            out->diverged = 1;
            rc = pn_fail(err, PN_ERR_DIVERGED, "%s seed %llu diverged: non-finite weights after "
                         "epoch %zu (lower --lr, now %g)", cfg->model->name,
                         (unsigned long long)seed, e + 1, lr);
        }
        if (rc != PN_OK)
            break;
        pn_epoch_rec *er = &out->epochs[e];
        er->epoch = e + 1;
        er->lr = lr;
        er->loss = loss_sum / (double)N;
        er->train_acc = er->test_acc = NAN;
        const int last = e + 1 == cfg->epochs;
        if (cfg->eval_epochs || last) {
            er->train_acc = pn_evaluate(g, &d->train);
            /* one pass over the test pairs gives the head's accuracy and,
             * kept after the last epoch, the digit accuracies */
            double digit, argmax;
            eval_accuracies(g, &d->test, &er->test_acc, &digit, &argmax);
            if (last) {
                out->digit_acc = digit;
                out->argmax_acc = argmax;
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
    pn_optim_free(&opt);
    pn_pairs_free(&ep);
    free(order);
    free(perm);
    if (hooks->keep && rc == PN_OK)
        *hooks->keep = g;
    else
        pn_graph_free(g);
    return rc;
}
