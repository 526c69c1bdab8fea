#include "gradcheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/base/rng.h"
#include "pairnet/train/train.h"

size_t gc_logits(const pn_graph *g)
{
    for (size_t o = 0; o < g->n_outputs; o++)
        if (strcmp(g->outputs[o].name, PN_OUT_LOGITS) == 0)
            return g->outputs[o].node;
    return PN_NONE;
}

void gc_random_batch(pn_graph *g, size_t batch, unsigned seed)
{
    pn_rng r;
    pn_rng_seed(&r, seed, 99);
    const pn_node *in = &g->nodes[g->inputs[0].node];
    float *x = in->val; /* any shape: the test graphs' inputs are not pairs */
    for (size_t i = 0; i < batch * in->c * in->h * in->w; i++)
        x[i] = pn_rng_sym(&r, 1.7f);
    pn_batch b;
    if (pn_batch_alloc(&b, batch) != 0)
        return;
    b.n = batch;
    for (size_t i = 0; i < batch; i++) {
        uint8_t d1 = (uint8_t)pn_rng_below(&r, 10), d2 = (uint8_t)pn_rng_below(&r, 10);
        b.target[i] = d1 <= d2;
        b.digits[i] = d1;
        b.digits[batch + i] = d2;
    }
    pn_bind_targets(g, &b, NULL);
    pn_batch_free(&b);
}

static double loss_at(pn_graph *g, size_t batch, float *v, float value)
{
    const float keep = *v;
    *v = value;
    const double l = pn_graph_forward(g, batch, 1);
    *v = keep;
    return l;
}

static void check_one(pn_graph *g, size_t batch, float *v, double analytic, gc_result *res)
{
    const double abs_tol = 2e-3, rel_tol = 3e-2;
    const float x = *v, h = 2e-3f;
    const double up = loss_at(g, batch, v, x + h), mid = loss_at(g, batch, v, x);
    const double down = loss_at(g, batch, v, x - h);
    const double numeric = (up - down) / (2.0 * h);
    /* On a ReLU or max-pool kink within h the one-sided slopes disagree:
     * such a coordinate has no derivative to compare against. */
    if (fabs((up - mid) / h - (mid - down) / h) > abs_tol + rel_tol * fabs(numeric)) {
        res->skipped++;
        return;
    }
    const double err = fabs(numeric - analytic) / (abs_tol + rel_tol * fabs(analytic));
    res->checked++;
    if (err > res->worst) {
        res->worst = err;
        res->worst_numeric = numeric;
        res->worst_analytic = analytic;
    }
    if (err > 1.0)
        res->bad++; /* reported by the caller's CHECK, only when the test fails */
}

gc_result gc_check(pn_graph *g, size_t batch, size_t max_params, size_t max_inputs)
{
    gc_result res = {0};
    pn_graph_zero_grads(g);
    pn_graph_forward(g, batch, 1);
    pn_graph_backward(g);
    /* copy the analytic gradients: the forwards below overwrite node buffers */
    const size_t np = g->n_params;
    const pn_node *in = &g->nodes[g->inputs[0].node];
    const size_t ni = g->input_grad ? batch * in->c * in->h * in->w : 0;
    double *pg = calloc(np + ni + 1, sizeof *pg);
    if (!pg) {
        res.bad = 1;
        return res;
    }
    for (size_t i = 0; i < np; i++)
        pg[i] = g->grads[i];
    for (size_t i = 0; i < ni; i++)
        pg[np + i] = in->grad[i];
    const size_t sp = max_params && np > max_params ? np / max_params : 1;
    for (size_t i = 0; i < np; i += sp)
        check_one(g, batch, &g->params[i], pg[i], &res);
    const size_t si = max_inputs && ni > max_inputs ? ni / max_inputs : 1;
    for (size_t i = 0; i < ni; i += si)
        check_one(g, batch, &in->val[i], pg[np + i], &res);
    free(pg);
    return res;
}
