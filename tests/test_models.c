#include "test.h"

#include <string.h>

#include "gradcheck.h"
#include "pairnet/models/models.h"

static pn_graph *build(const char *name, size_t batch)
{
    pn_model_opts o = {.aux_weight = 1.0f};
    pn_err err;
    const pn_model_info *m = pn_model_find(name);
    CHECK_MSG(m != NULL, "model %s missing", name);
    if (!m)
        return NULL;
    pn_graph *g = pn_model_build(m, &o, batch, NULL, &err);
    CHECK_MSG(g != NULL, "%s: %s", name, err.msg);
    return g;
}

/* The counts the specification's layer sizes imply (and PyTorch prints). */
static void models_parameter_counts(void)
{
    static const struct { const char *name; size_t params; } want[] = {
        {"mlp", 134530}, {"cnn", 71498}, {"cnn_ws", 75120}, {"cnn_al", 147938},
        {"cnn_ws_al", 75120}};
    for (size_t i = 0; i < 5; i++) {
        pn_graph *g = build(want[i].name, 2);
        if (!g)
            continue;
        CHECK_MSG(g->n_params == want[i].params, "%s has %zu parameters, want %zu",
                  want[i].name, g->n_params, want[i].params);
        pn_graph_free(g);
    }
}

/* pn_model_measure reads the sizes from the builder alone: the same
 * parameter and state counts as the finalized graph, and MACs that the
 * fusion at finalize does not change; cnn's by hand: conv 2->32 3x3 on
 * 12x12, conv 32->64 3x3 on 4x4, 256->200, 200->2. */
static void models_measure_without_finalize(void)
{
    size_t n;
    const pn_model_info *m = pn_model_list(&n);
    pn_model_opts o = {.aux_weight = 1.0f};
    for (size_t i = 0; i < n; i++) {
        pn_model_size sz = {0, 0, 0.0};
        pn_err err;
        CHECK(pn_model_measure(&m[i], &o, &sz, &err) == PN_OK);
        pn_graph *g = build(m[i].name, 2);
        if (!g)
            continue;
        CHECK_MSG(sz.params == g->n_params && sz.state == g->n_state, "%s: %zu/%zu params",
                  m[i].name, sz.params, g->n_params);
        CHECK_MSG(sz.macs == pn_graph_forward_macs(g) && sz.macs > 0, "%s: macs %g vs %g",
                  m[i].name, sz.macs, pn_graph_forward_macs(g));
        pn_graph_free(g);
    }
    pn_model_size cnn;
    pn_err err;
    CHECK(pn_model_measure(pn_model_find("cnn"), &o, &cnn, &err) == PN_OK);
    CHECK(cnn.macs == 18.0 * 32 * 144 + 288.0 * 64 * 16 + 256.0 * 200 + 200.0 * 2);
}

static void models_registry(void)
{
    size_t n;
    const pn_model_info *m = pn_model_list(&n);
    CHECK(n == 6 && pn_study_model_count() == 5);
    CHECK(m[5].preset != NULL && m[0].preset == NULL);
    CHECK(pn_model_find("nope") == NULL);
    CHECK(strcmp(pn_model_find("cnn_ws_al")->name, "cnn_ws_al") == 0);
    CHECK(pn_model_find("cnn_ws_al")->bs == 100 && pn_model_find("cnn")->lr == 0.01);
    for (size_t i = 0; i < n; i++)
        CHECK(strstr(pn_model_names(), m[i].name) != NULL);
    CHECK(strcmp(pn_model_names(), "mlp, cnn, cnn_ws, cnn_al, cnn_ws_al, best") == 0);
}

/* The shared tower's BatchNorm sees all 2B images: its running mean moves
 * by the mean over both images of every pair. */
static void shared_tower_batchnorm_spans_both_images(void)
{
    pn_graph *g = build("cnn_ws", 3);
    if (!g)
        return;
    size_t bn = PN_NONE;
    for (size_t i = 0; i < g->n_nodes && bn == PN_NONE; i++)
        if (g->nodes[i].op == PN_OP_BATCHNORM)
            bn = i;
    CHECK(bn != PN_NONE && g->nodes[bn].rmul == 2);
    pn_graph_free(g);
}

/* The loss the optimizer sees is the specification's:
 *   CE(out, target) + w * (CE(T(img1), class1) + CE(T(img2), class2)),
 * recomputed here from the tower logits with the op itself. */
static void aux_loss_definition(const char *name, float w)
{
    pn_model_opts o = {.aux_weight = w};
    pn_err err;
    const size_t B = 4;
    pn_graph *g = pn_model_build(pn_model_find(name), &o, B, NULL, &err);
    CHECK(g != NULL);
    if (!g)
        return;
    pn_rng r;
    pn_rng_seed(&r, 8, 0);
    pn_graph_init_params(g, &r);
    gc_random_batch(g, B, 2);
    const float loss = pn_graph_forward(g, B, 1);
    /* the tower logits and their labels: 10-wide nodes feeding a cross-entropy */
    const float *t1 = NULL, *t2 = NULL;
    const uint8_t *y1 = NULL, *y2 = NULL;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const pn_node *n = &g->nodes[i];
        if (n->op == PN_OP_CROSS_ENTROPY && g->nodes[n->in[0]].c == 10) {
            const pn_node *t = &g->nodes[n->in[0]];
            const char *tn = g->targets[n->p.ce.labels].name;
            uint8_t *y = pn_graph_target(g, tn);
            if (strcmp(tn, PN_TARGET_DIGITS) == 0) { /* [2B,10]: first images then second */
                t1 = t->val;
                t2 = t->val + B * 10;
                y1 = y;
                y2 = y + B;
            } else if (strcmp(tn, PN_TARGET_DIGIT1) == 0) {
                t1 = t->val;
                y1 = y;
            } else {
                t2 = t->val;
                y2 = y;
            }
        }
    }
    CHECK(t1 && t2 && y1 && y2);
    if (!t1 || !t2 || !y1 || !y2) {
        pn_graph_free(g);
        return;
    }
    float prob[4 * 10], pout[4 * 2];
    const float ce1 = pn_cross_entropy_forward(prob, t1, y1, B, 10, 0.0f);
    const float ce2 = pn_cross_entropy_forward(prob, t2, y2, B, 10, 0.0f);
    const float ce = pn_cross_entropy_forward(pout, pn_graph_output(g, PN_OUT_LOGITS, NULL, NULL),
                                              pn_graph_target(g, PN_TARGET_PAIR), B, 2, 0.0f);
    CHECK_NEAR(loss, ce + w * (ce1 + ce2), 1e-5 * (1 + loss));
    pn_graph_free(g);
}

static void loss_cnn_ws_al_is_ce_plus_w_aux(void) { aux_loss_definition("cnn_ws_al", 0.7f); }
static void loss_cnn_al_is_ce_plus_w_aux(void) { aux_loss_definition("cnn_al", 1.3f); }

static void check_model(const char *name, size_t batch)
{
    pn_graph *g = build(name, batch);
    if (!g)
        return;
    pn_rng r;
    pn_rng_seed(&r, 21, 0);
    pn_graph_init_params(g, &r);
    gc_random_batch(g, batch, 4);
    gc_result res = gc_check(g, batch, 150, 0);
    /* A whole network is full of ReLU/max-pool kinks and BatchNorm over a
     * batch of 3 is strongly curved, so a few coordinates disagree with any
     * single step h (they converge as h shrinks, below float precision).
     * A wrong gradient formula breaks far more than 1 in 25; the per-op
     * checks in test_graph.c allow none. */
    CHECK_MSG(res.bad * 25 <= res.checked, "%s: %zu of %zu gradients wrong (worst %.2f tolerances: "
              "numeric %.6g, analytic %.6g)", name, res.bad, res.checked, res.worst,
              res.worst_numeric, res.worst_analytic);
    CHECK_MSG(res.checked >= 100, "%s: only %zu checked (%zu skipped)", name, res.checked,
              res.skipped);
    pn_graph_free(g);
}

static void grad_model_mlp(void) { check_model("mlp", 4); }
static void grad_model_cnn(void) { check_model("cnn", 3); }
static void grad_model_cnn_ws(void) { check_model("cnn_ws", 3); }
static void grad_model_cnn_al(void) { check_model("cnn_al", 3); }
static void grad_model_cnn_ws_al(void) { check_model("cnn_ws_al", 3); }

void suite_models(void)
{
    RUN(models_parameter_counts);
    RUN(models_registry);
    RUN(models_measure_without_finalize);
    RUN(shared_tower_batchnorm_spans_both_images);
    RUN(loss_cnn_ws_al_is_ce_plus_w_aux);
    RUN(loss_cnn_al_is_ce_plus_w_aux);
    RUN(grad_model_mlp);
    RUN(grad_model_cnn);
    RUN(grad_model_cnn_ws);
    RUN(grad_model_cnn_al);
    RUN(grad_model_cnn_ws_al);
}
