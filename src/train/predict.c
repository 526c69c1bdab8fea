/* `predict`'s core: the checkpoint's graph, and one pair through it. */
#include "pairnet/train/predict.h"

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

/* The two images' digit probabilities from g's last forward (batch 1):
 * [2, 10] or [1, 20] logits, softmaxed by the op's own kernel. */
static int read_digits(const pn_graph *g, pn_prediction *out)
{
    size_t rmul = 0, cols = 0;
    const float *d = pn_graph_output(g, PN_OUT_DIGITS, &rmul, &cols);
    if (!d || !((rmul == 2 && cols == N_CLASSES) || (rmul == 1 && cols == 2 * N_CLASSES)))
        return 0;
    for (int k = 0; k < 2; k++) {
        pn_softmax_forward(out->prob[k], d + N_CLASSES * k, 1, N_CLASSES);
        int best = 0;
        for (int c = 1; c < N_CLASSES; c++)
            if (out->prob[k][c] > out->prob[k][best])
                best = c;
        out->digit[k] = best;
    }
    return 1;
}

int pn_predict_pair(pn_graph *g, const char *model, const uint16_t *a, const uint16_t *b,
                    double mean, double std, pn_prediction *out, pn_err *err)
{
    memset(out, 0, sizeof *out);
    float *in = pn_graph_input(g, PN_IN_PAIRS);
    if (!in || !pn_graph_output(g, PN_OUT_LOGITS, NULL, NULL))
        return pn_fail(err, PN_ERR_DATA, "model %s has no '%s' input or '%s' output", model,
                       PN_IN_PAIRS, PN_OUT_LOGITS);
    pn_pairs p;
    if (pn_pairs_alloc(&p, 1) != 0)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory for one pair");
    pn_pairs_set_image(&p, 0, a);
    pn_pairs_set_image(&p, 1, b);
    pn_pairs_standardize(&p, mean, std);
    memcpy(in, p.x, 2 * PN_PIXELS * sizeof *in);
    pn_pairs_free(&p);
    pn_graph_forward(g, 1, 0);
    float head[2];
    pn_softmax_forward(head, pn_graph_output(g, PN_OUT_LOGITS, NULL, NULL), 1, 2);
    out->p_le = head[1]; /* the head's second answer is d1 <= d2 */
    out->has_digits = read_digits(g, out);
    const pn_model_info *m = pn_model_find(model);
    pn_train_cfg cfg;
    if (m)
        pn_train_cfg_default(&cfg, m);
    if (out->has_digits && m && cfg.decide == PN_DECIDE_PROB)
        out->p_le = pn_prob_le_of(out->prob[0], out->prob[1]);
    out->answer = out->p_le >= 0.5f;
    return PN_OK;
}
