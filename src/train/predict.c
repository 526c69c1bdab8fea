/* `predict`'s core: the checkpoint's graph, and one pair through it. */
#include "pairnet/train/predict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/data/pairs.h"
#include "pairnet/models/models.h"
#include "pairnet/ops/kernels.h"
#include "pairnet/train/train.h"

#define N_CLASSES 10

int pn_checkpoint_graph(const pn_checkpoint *ck, size_t batch, const char *path, pn_graph **out,
                        pn_err *err)
{
    *out = NULL;
    const pn_model_info *m = pn_model_find(ck->model);
    if (!m)
        return pn_fail(err, PN_ERR_DATA, "%s: checkpoint is for model '%s', which this pairnet "
                       "does not have (models: %s)", path, ck->model, pn_model_names());
    if (batch == 0)
        batch = (size_t)ck->batch;
    if (batch < 1 || batch > PN_MAX_BATCH)
        return pn_fail(err, PN_ERR_DATA, "%s: checkpoint batch size %zu is out of range", path,
                       batch);
    pn_model_opts mo = {.aux_weight = ck->aux_weight};
    pn_graph *g = pn_model_build(m, &mo, batch, NULL, err);
    if (!g)
        return err->code;
    if (g->n_params != ck->n_params || g->n_state != ck->n_state) {
        const size_t np = g->n_params, ns = g->n_state;
        pn_graph_free(g);
        return pn_fail(err, PN_ERR_DATA, "%s: checkpoint holds %llu parameters and %llu running "
                       "statistics, model %s has %zu and %zu (a file from another version?)",
                       path, (unsigned long long)ck->n_params, (unsigned long long)ck->n_state,
                       ck->model, np, ns);
    }
    memcpy(g->params, ck->params, g->n_params * sizeof(float));
    memcpy(g->state, ck->state, g->n_state * sizeof(float));
    *out = g;
    return PN_OK;
}

/* Adds the two images' digit probabilities of g's last forward (batch 1:
 * [2, 10] or [1, 20] logits, softmaxed by the op's own kernel) to
 * prob; 0 if g has no digit logits. */
static int add_digits(const pn_graph *g, float prob[2][N_CLASSES])
{
    size_t rmul = 0, cols = 0;
    const float *d = pn_graph_output(g, PN_OUT_DIGITS, &rmul, &cols);
    if (!d || !((rmul == 2 && cols == N_CLASSES) || (rmul == 1 && cols == 2 * N_CLASSES)))
        return 0;
    for (int k = 0; k < 2; k++) {
        float pr[N_CLASSES];
        pn_softmax_forward(pr, d + N_CLASSES * k, 1, N_CLASSES);
        for (int c = 0; c < N_CLASSES; c++)
            prob[k][c] += pr[c];
    }
    return 1;
}

/* Runs every network on the standardized pair x, averaging into out the
 * head's P(A <= B) and the digit probabilities. */
static int run_members(const pn_loaded_model *p, const float *x, pn_prediction *out, pn_err *err)
{
    float head_le = 0.0f;
    for (size_t i = 0; i < p->k; i++) {
        pn_graph *g = p->g[i];
        float *in = pn_graph_input(g, PN_IN_PAIRS);
        if (!in || !pn_graph_output(g, PN_OUT_LOGITS, NULL, NULL))
            return pn_fail(err, PN_ERR_DATA, "model %s has no '%s' input or '%s' output",
                           p->cfg.model->name, PN_IN_PAIRS, PN_OUT_LOGITS);
        memcpy(in, x, 2 * PN_PIXELS * sizeof *in);
        pn_graph_forward(g, 1, 0);
        float head[2];
        pn_softmax_forward(head, pn_graph_output(g, PN_OUT_LOGITS, NULL, NULL), 1, 2);
        head_le += head[1]; /* the head's second answer is d1 <= d2 */
        out->has_digits = add_digits(g, out->prob);
    }
    const float inv = 1.0f / (float)p->k;
    out->p_le = head_le * inv;
    for (int k = 0; out->has_digits && k < 2; k++) {
        for (int c = 0; c < N_CLASSES; c++)
            out->prob[k][c] *= inv;
        for (int c = 1; c < N_CLASSES; c++)
            if (out->prob[k][c] > out->prob[k][out->digit[k]])
                out->digit[k] = c;
    }
    return PN_OK;
}

int pn_predict_pair(const pn_loaded_model *p, const uint16_t *a, const uint16_t *b, double mean,
                    double std, pn_prediction *out, pn_err *err)
{
    memset(out, 0, sizeof *out);
    pn_pairs x;
    if (pn_pairs_alloc(&x, 1) != 0)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory for one pair");
    pn_pairs_set_image(&x, 0, a);
    pn_pairs_set_image(&x, 1, b);
    pn_pairs_standardize(&x, mean, std);
    const int rc = run_members(p, x.x, out, err);
    pn_pairs_free(&x);
    if (rc != PN_OK)
        return rc;
    if (out->has_digits && p->cfg.decide == PN_DECIDE_PROB)
        out->p_le = pn_prob_le_of(out->prob[0], out->prob[1]);
    out->answer = out->p_le >= 0.5f;
    return PN_OK;
}
