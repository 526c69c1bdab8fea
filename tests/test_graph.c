/* Gradient checks of every op through small graphs: parameters and inputs
 * against central differences. */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "oracle.h"
#include "pairnet/graph/graph.h"
#include "pairnet/ops/kset.h"

typedef void (*build_fn)(pn_graph *g);

/* Finalizes g for batch, then gives it seeded parameters (BN gamma/beta
 * moved off 1/0 so that their gradients are exercised fully) and a random
 * batch. */
static int finalize_seeded(pn_graph *g, size_t batch, uint64_t seed, unsigned batch_seed)
{
    pn_err err;
    const int rc = pn_graph_finalize(g, batch, NULL, &err);
    CHECK_MSG(rc == PN_OK, "finalize: %s", err.msg);
    if (rc != PN_OK)
        return rc;
    pn_rng r;
    pn_rng_seed(&r, seed, 0);
    pn_graph_init_params(g, &r);
    for (size_t i = 0; i < g->n_params; i++)
        g->params[i] += pn_rng_sym(&r, 0.2f);
    gc_random_batch(g, batch, batch_seed);
    return PN_OK;
}

/* Builds with build (which names the logits), adds CE on the target, checks. */
static void check_graph(build_fn build, size_t batch, size_t max_params, size_t max_inputs)
{
    pn_graph *g = pn_graph_new();
    CHECK(g != NULL);
    if (!g)
        return;
    build(g);
    if (g->loss == PN_NONE)
        g->loss = pn_cross_entropy(g, gc_logits(g), pn_target(g, PN_TARGET_PAIR, 1));
    g->input_grad = 1;
    if (finalize_seeded(g, batch, 11, 5) == PN_OK) {
        gc_result res = gc_check(g, batch, max_params, max_inputs);
        CHECK_MSG(res.bad == 0, "%zu of %zu gradients wrong (worst %.2f tolerances: numeric "
                  "%.6g, analytic %.6g)", res.bad, res.checked, res.worst, res.worst_numeric,
                  res.worst_analytic);
        CHECK_MSG(res.checked >= 10, "only %zu gradients checked", res.checked);
        CHECK_MSG(res.skipped * 4 <= res.checked, "%zu kinks skipped, %zu checked",
                  res.skipped, res.checked);
    }
    pn_graph_free(g);
}

static void b_linear(pn_graph *g) { pn_output(g, PN_OUT_LOGITS, pn_linear(g, pn_input(g, PN_IN_PAIRS, 2, 3, 3), 2)); }

static void b_bn1d(pn_graph *g)
{
    size_t x = pn_batchnorm(g, pn_linear(g, pn_input(g, PN_IN_PAIRS, 2, 3, 3), 5));
    pn_output(g, PN_OUT_LOGITS, pn_linear(g, x, 2));
}

/* Two conv -> BN -> ReLU -> pool blocks, which finalize fuses: the first
 * reads the NCHW input (whose gradient is checked), the second reads the
 * first's batch-inner output and feeds a linear layer NCHW. side 8, k 2:
 * odd 7x7 first output; side 10, k 3: the models' 3x3 kernels, even
 * outputs. */
static size_t conv_blocks_of(pn_graph *g, size_t side, size_t k)
{
    size_t x = pn_input(g, PN_IN_PAIRS, 2, side, side);
    x = pn_maxpool2(g, pn_relu(g, pn_batchnorm(g, pn_conv2d(g, x, 3, k))));
    x = pn_maxpool2(g, pn_relu(g, pn_batchnorm(g, pn_conv2d(g, x, 4, k))));
    return pn_linear(g, x, 2);
}

static size_t conv_blocks(pn_graph *g) { return conv_blocks_of(g, 8, 2); }
static void b_conv_blocks(pn_graph *g) { pn_output(g, PN_OUT_LOGITS, conv_blocks(g)); }
static void b_conv_blocks3(pn_graph *g) { pn_output(g, PN_OUT_LOGITS, conv_blocks_of(g, 10, 3)); }

static void b_select_concat(pn_graph *g)
{
    size_t x = pn_input(g, PN_IN_PAIRS, 2, 3, 3);
    size_t a = pn_linear(g, pn_select(g, x, 0), 3), b = pn_linear(g, pn_select(g, x, 1), 4);
    pn_output(g, PN_OUT_LOGITS, pn_linear(g, pn_concat(g, a, b), 2));
}

/* A shared layer over both images (unstack/restack), plus a weighted aux
 * loss on its 2B rows: the shared weights receive both images' gradients. */
static void b_shared_aux(pn_graph *g)
{
    size_t x = pn_input(g, PN_IN_PAIRS, 2, 3, 3);
    size_t t = pn_linear(g, pn_relu(g, pn_batchnorm(g, pn_linear(g, pn_unstack(g, x), 6))), 10);
    pn_output(g, PN_OUT_LOGITS, pn_linear(g, pn_restack(g, t), 2));
    size_t l[2] = {pn_cross_entropy(g, gc_logits(g), pn_target(g, PN_TARGET_PAIR, 1)),
                   pn_cross_entropy(g, t, pn_target(g, PN_TARGET_DIGITS, 2))};
    float w[2] = {1.0f, 0.7f};
    g->loss = pn_loss_sum(g, 2, l, w);
}

static void b_two_aux(pn_graph *g)
{
    size_t x = pn_input(g, PN_IN_PAIRS, 2, 3, 3);
    size_t a = pn_linear(g, pn_select(g, x, 0), 10), b = pn_linear(g, pn_select(g, x, 1), 10);
    pn_output(g, PN_OUT_LOGITS, pn_linear(g, pn_concat(g, a, b), 2));
    size_t l[3] = {pn_cross_entropy(g, gc_logits(g), pn_target(g, PN_TARGET_PAIR, 1)),
                   pn_cross_entropy(g, a, pn_target(g, PN_TARGET_DIGIT1, 1)),
                   pn_cross_entropy(g, b, pn_target(g, PN_TARGET_DIGIT2, 1))};
    float w[3] = {1.0f, 0.5f, 2.0f};
    g->loss = pn_loss_sum(g, 3, l, w);
}

/* softmax between two linears, as best's head reads the tower: a wrong
 * Jacobian (e.g. dropping the -<dy,y> term) breaks every input gradient */
static void b_softmax(pn_graph *g)
{
    size_t x = pn_softmax(g, pn_linear(g, pn_input(g, PN_IN_PAIRS, 2, 3, 3), 5));
    pn_output(g, PN_OUT_LOGITS, pn_linear(g, x, 2));
}

/* every loss label-smoothed (three different eps): the gradient of
 * -sum q log p is p - q, not p - onehot */
static void b_smoothed(pn_graph *g)
{
    b_two_aux(g);
    const float eps[3] = {0.1f, 0.3f, 0.6f};
    for (size_t i = 0, k = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == PN_OP_CROSS_ENTROPY)
            g->nodes[i].p.ce.smoothing = eps[k++ % 3];
}

static void grad_linear(void) { check_graph(b_linear, 4, 0, 0); }
static void grad_softmax(void) { check_graph(b_softmax, 4, 0, 0); }
static void grad_batchnorm1d_train(void) { check_graph(b_bn1d, 6, 0, 0); }
static void grad_fused_conv_blocks(void)
{
    check_graph(b_conv_blocks, 3, 0, 0);
    check_graph(b_conv_blocks3, 3, 0, 0);
}
static void grad_select_concat(void) { check_graph(b_select_concat, 4, 0, 0); }
static void grad_shared_unstack_aux(void) { check_graph(b_shared_aux, 4, 0, 0); }
static void grad_two_towers_aux(void) { check_graph(b_two_aux, 4, 0, 0); }
static void grad_label_smoothing(void) { check_graph(b_smoothed, 4, 0, 0); }

/* The conv blocks of conv_blocks_of() run one op at a time with the
 * oracles (tests/oracle.c) and the library's linear and cross-entropy:
 * loss, output [B, 2], parameter gradients (into grads, zeroed first),
 * input gradient (into din) and the running statistics (state, updated).
 * Offsets are read from g: the conv nodes keep theirs, the pools carry
 * their BatchNorm's after fusion. */
typedef struct ref_layer {
    size_t C, H, W, F, OH, OW, conv, pool;
    float *x, *col, *ycn, *y, *xhat, *istd, *z, *a, *arg, *p, *dcol;
} ref_layer;

static float *zalloc(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

static float ref_conv_blocks(const pn_graph *g, size_t B, size_t side, size_t k, int training,
                             float *out, float *grads, float *state, float *din)
{
    const float *P = g->params;
    const pn_bn_cfg cfg = g->bn;
    ref_layer L[2];
    size_t C = 2, H = side, W = side;
    const float *x = pn_graph_input((pn_graph *)g, PN_IN_PAIRS);
    for (int l = 0; l < 2; l++) {
        ref_layer *r = &L[l];
        r->conv = l ? 5 : 1;
        r->pool = r->conv + 3;
        r->C = C, r->H = H, r->W = W, r->F = g->nodes[r->conv].c;
        r->OH = H - k + 1, r->OW = W - k + 1;
        const size_t K = C * k * k, N = B * r->OH * r->OW, ny = r->F * N, np = ny / 4 + ny;
        const pn_node *cn = &g->nodes[r->conv], *pn = &g->nodes[r->pool];
        r->x = (float *)x;
        r->col = zalloc(K * N), r->ycn = zalloc(ny), r->y = zalloc(ny), r->xhat = zalloc(ny);
        r->istd = zalloc(r->F), r->z = zalloc(ny), r->a = zalloc(ny), r->arg = zalloc(np);
        r->p = zalloc(np), r->dcol = zalloc(K * N);
        oracle_conv2d_forward(r->y, r->col, r->ycn, x, P + cn->w_off, P + cn->b_off, B, C, H, W,
                              r->F, k);
        float *st = state + pn->s_off;
        if (training)
            oracle_bn_forward_train(r->z, r->xhat, r->istd, st, st + r->F, r->y, P + pn->w_off,
                                    P + pn->b_off, B, r->F, r->OH * r->OW, cfg);
        else
            oracle_bn_forward_eval(r->z, r->y, P + pn->w_off, P + pn->b_off, st, st + r->F, B,
                                   r->F, r->OH * r->OW, cfg);
        pn_relu_forward(r->a, r->z, ny);
        oracle_maxpool2_forward(r->p, r->arg, r->a, B, r->F, r->OH, r->OW);
        x = r->p;
        C = r->F, H = r->OH / 2, W = r->OW / 2;
    }
    const pn_node *lin = &g->nodes[9];
    const size_t I = C * H * W;
    pn_linear_forward(NULL, out, x, P + lin->w_off, P + lin->b_off, B, I, 2);
    float prob[2 * 16], dlogits[2 * 16] = {0};
    const uint8_t *labels = pn_graph_target((pn_graph *)g, PN_TARGET_PAIR);
    const float loss = pn_cross_entropy_forward(prob, out, labels, B, 2, 0.0f);
    if (training) {
        pn_cross_entropy_backward(dlogits, prob, labels, 1.0f, B, 2, 0.0f);
        float *dp = zalloc(B * I);
        pn_linear_backward(NULL, dp, grads + lin->w_off, grads + lin->b_off, dlogits, x,
                           P + lin->w_off, B, I, 2);
        for (int l = 1; l >= 0; l--) {
            ref_layer *r = &L[l];
            const size_t ny = B * r->F * r->OH * r->OW;
            const pn_node *cn = &g->nodes[r->conv], *pn = &g->nodes[r->pool];
            float *da = zalloc(ny), *dz = zalloc(ny), *dy = zalloc(ny);
            oracle_maxpool2_backward(da, dp, r->arg, B, r->F, r->OH, r->OW);
            pn_relu_backward(dz, da, r->a, ny);
            oracle_bn_backward(dy, grads + pn->w_off, grads + pn->b_off, dz, r->xhat, r->istd,
                               P + pn->w_off, B, r->F, r->OH * r->OW);
            free(dp);
            dp = l ? zalloc(B * r->C * r->H * r->W) : din;
            oracle_conv2d_backward(dp, grads + cn->w_off, grads + cn->b_off, r->dcol, r->ycn, dy,
                                   r->col, P + cn->w_off, B, r->C, r->H, r->W, r->F, k);
            free(da), free(dz), free(dy);
        }
    }
    for (int l = 0; l < 2; l++) {
        ref_layer *r = &L[l];
        free(r->col), free(r->ycn), free(r->y), free(r->xhat), free(r->istd), free(r->z);
        free(r->a), free(r->arg), free(r->p), free(r->dcol);
    }
    return loss;
}

/* The fused conv blocks compute what the oracles compute op by op: loss,
 * output, every parameter gradient, the input gradient, the running
 * statistics and the evaluation output, to float rounding. */
static void fused_match_unfused(size_t side, size_t k)
{
    const size_t B = 5;
    pn_graph *g = pn_graph_new();
    pn_output(g, PN_OUT_LOGITS, conv_blocks_of(g, side, k));
    g->loss = pn_cross_entropy(g, gc_logits(g), pn_target(g, PN_TARGET_PAIR, 1));
    g->input_grad = 1;
    CHECK(finalize_seeded(g, B, 5, 7) == PN_OK);
    CHECK(g->nodes[1].op == PN_OP_CONV2D_BATCH_INNER && g->nodes[4].op == PN_OP_BN_RELU_POOL &&
          g->nodes[2].op == PN_OP_ABSORBED && g->nodes[3].op == PN_OP_ABSORBED);
    CHECK(g->nodes[4].p.bn_relu_pool.out_batch_inner && g->nodes[5].p.conv.in_batch_inner &&
          !g->nodes[1].p.conv.in_batch_inner && !g->nodes[8].p.bn_relu_pool.out_batch_inner);
    float *grads = zalloc(g->n_params), *state = zalloc(g->n_state);
    float *din = zalloc(B * 2 * side * side), out[2 * 5];
    memcpy(state, g->state, g->n_state * sizeof(float));
    const float want_loss = ref_conv_blocks(g, B, side, k, 1, out, grads, state, din);
    pn_graph_zero_grads(g);
    const float loss = pn_graph_forward(g, B, 1);
    pn_graph_backward(g);
    CHECK_NEAR(loss, want_loss, 1e-5);
    for (size_t i = 0; i < 2 * B; i++)
        CHECK_NEAR(pn_graph_output(g, PN_OUT_LOGITS, NULL, NULL)[i], out[i], 1e-4);
    for (size_t i = 0; i < g->n_params; i++)
        CHECK_NEAR(g->grads[i], grads[i], 1e-4);
    for (size_t i = 0; i < g->n_state; i++)
        CHECK_NEAR(g->state[i], state[i], 1e-5);
    const pn_node *in = &g->nodes[g->inputs[0].node];
    for (size_t i = 0; i < B * 2 * side * side; i++)
        CHECK_NEAR(in->grad[i], din[i], 1e-4);
    ref_conv_blocks(g, B, side, k, 0, out, grads, state, din);
    pn_graph_forward(g, B, 0);
    for (size_t i = 0; i < 2 * B; i++)
        CHECK_NEAR(pn_graph_output(g, PN_OUT_LOGITS, NULL, NULL)[i], out[i], 1e-4);
    free(grads), free(state), free(din);
    pn_graph_free(g);
}

static void fused_blocks_match_unfused(void)
{
    fused_match_unfused(8, 2);
    fused_match_unfused(10, 3);
}

/* A builder error (conv larger than its input) is reported by finalize. */
/* A first conv whose input needs no gradient is computed by its block
 * (src/ops/bnpool_conv.c): the same bits as the conv op, which runs when
 * the input needs a gradient. One training step and one evaluation of
 * conv_blocks_of() with each, on every kernel set: loss, logits, every
 * parameter gradient and the running statistics, bit for bit. Shapes: a
 * 10 x 10 output over 37 rows (3700 positions: groups across rows and
 * across the pairs of rows, two K chunks of 2048, a partial last group),
 * 12 x 12 (5328 positions, no partial group), both with 18 weights, and
 * 8 x 8 over 3 rows with 8 weights. */
static pn_graph *first_conv_graph(size_t side, size_t k, size_t B, int input_grad)
{
    pn_graph *g = pn_graph_new();
    pn_output(g, PN_OUT_LOGITS, conv_blocks_of(g, side, k));
    g->loss = pn_cross_entropy(g, gc_logits(g), pn_target(g, PN_TARGET_PAIR, 1));
    g->input_grad = input_grad;
    finalize_seeded(g, B, 5, 7);
    pn_graph_zero_grads(g);
    return g;
}

static int same_floats(const float *a, const float *b, size_t n)
{
    return !memcmp(a, b, n * sizeof *a);
}

static void first_conv_case(size_t side, size_t k, size_t B)
{
    pn_graph *g[2] = {first_conv_graph(side, k, B, 1), first_conv_graph(side, k, B, 0)};
    CHECK(!g[0]->nodes[1].p.conv.by_pool && !g[0]->nodes[4].p.bn_relu_pool.conv_k);
    CHECK(g[1]->nodes[1].p.conv.by_pool && g[1]->nodes[4].p.bn_relu_pool.conv_k == k &&
          !g[1]->nodes[5].p.conv.by_pool);
    float loss[2], logits[2][2 * 64], eval[2][2 * 64];
    for (int i = 0; i < 2; i++) {
        loss[i] = pn_graph_forward(g[i], B, 1);
        memcpy(logits[i], pn_graph_output(g[i], PN_OUT_LOGITS, NULL, NULL), 2 * B * sizeof(float));
        pn_graph_backward(g[i]);
        pn_graph_forward(g[i], B, 0);
        memcpy(eval[i], pn_graph_output(g[i], PN_OUT_LOGITS, NULL, NULL), 2 * B * sizeof(float));
    }
    CHECK_MSG(same_floats(&loss[0], &loss[1], 1) && same_floats(logits[0], logits[1], 2 * B) &&
                  same_floats(eval[0], eval[1], 2 * B),
              "%s, side %zu k %zu B %zu: loss %a vs %a, or the logits differ", pn_kset_name(),
              side, k, B, loss[0], loss[1]);
    size_t differ = 0;
    for (size_t i = 0; i < g[0]->n_params; i++)
        differ += !same_floats(&g[0]->grads[i], &g[1]->grads[i], 1);
    CHECK_MSG(differ == 0, "%s, side %zu k %zu B %zu: %zu of %zu gradients differ",
              pn_kset_name(), side, k, B, differ, g[0]->n_params);
    CHECK(same_floats(g[0]->state, g[1]->state, g[0]->n_state));
    pn_graph_free(g[0]);
    pn_graph_free(g[1]);
}

static void first_conv_in_block_same_bits(void)
{
    const char *names[4], *was = pn_kset_name();
    const size_t n = pn_kset_list(names, 4);
    for (size_t s = 0; s < n && s < 4; s++) {
        pn_kset_use(names[s]);
        first_conv_case(12, 3, 37);
        first_conv_case(14, 3, 37);
        first_conv_case(9, 2, 3);
    }
    pn_kset_use(was);
}

static void graph_refuses_bad_shapes(void)
{
    pn_graph *g = pn_graph_new();
    size_t x = pn_conv2d(g, pn_input(g, PN_IN_PAIRS, 1, 2, 2), 4, 3);
    pn_output(g, PN_OUT_LOGITS, pn_linear(g, x, 2));
    g->loss = pn_cross_entropy(g, gc_logits(g), pn_target(g, PN_TARGET_PAIR, 1));
    pn_err err;
    CHECK(pn_graph_finalize(g, 4, NULL, &err) != PN_OK);
    pn_graph_free(g);
}

/* conv, 2d BatchNorm and max-pool run only fused: a conv read by a linear
 * layer, or a block whose ReLU has a second reader, is refused by finalize
 * with a message naming the op. */
static void graph_refuses_unfused_conv(void)
{
    for (int v = 0; v < 2; v++) {
        pn_graph *g = pn_graph_new();
        size_t x = pn_conv2d(g, pn_input(g, PN_IN_PAIRS, 2, 6, 6), 3, 3);
        if (v) {
            size_t relu = pn_relu(g, pn_batchnorm(g, x));
            x = pn_concat(g, pn_maxpool2(g, relu), relu);
        }
        pn_output(g, PN_OUT_LOGITS, pn_linear(g, x, 2));
        g->loss = pn_cross_entropy(g, gc_logits(g), pn_target(g, PN_TARGET_PAIR, 1));
        pn_err err;
        CHECK(pn_graph_finalize(g, 4, NULL, &err) != PN_OK);
        CHECK_MSG(strstr(err.msg, "conv2d (node 1)") != NULL, "message: %s", err.msg);
        pn_graph_free(g);
    }
}

/* Evaluation runs only what the output needs and uses running statistics:
 * a batch of one gives the same prediction as that pair inside a batch. */
static void eval_is_per_sample(void)
{
    pn_graph *g = pn_graph_new();
    size_t x = pn_batchnorm(g, pn_linear(g, pn_input(g, PN_IN_PAIRS, 2, 3, 3), 5));
    pn_output(g, PN_OUT_LOGITS, pn_linear(g, pn_relu(g, x), 2));
    g->loss = pn_cross_entropy(g, gc_logits(g), pn_target(g, PN_TARGET_PAIR, 1));
    pn_err err;
    CHECK(pn_graph_finalize(g, 8, NULL, &err) == PN_OK);
    pn_rng r;
    pn_rng_seed(&r, 3, 0);
    pn_graph_init_params(g, &r);
    gc_random_batch(g, 8, 9);
    pn_graph_forward(g, 8, 1); /* moves the running statistics */
    pn_graph_forward(g, 8, 0);
    float third[2] = {pn_graph_output(g, PN_OUT_LOGITS, NULL, NULL)[4], pn_graph_output(g, PN_OUT_LOGITS, NULL, NULL)[5]};
    float *in = pn_graph_input(g, PN_IN_PAIRS);
    for (size_t i = 0; i < 18; i++)
        in[i] = in[2 * 18 + i];
    pn_graph_forward(g, 1, 0);
    CHECK(pn_graph_output(g, PN_OUT_LOGITS, NULL, NULL)[0] == third[0] && pn_graph_output(g, PN_OUT_LOGITS, NULL, NULL)[1] == third[1]);
    pn_graph_free(g);
}

/* Names: a target declared twice with the same rows per example is one
 * array, with other rows refused; a name is taken once per kind; outputs
 * report their shape; binding copies and checks the size of an example. */
static void graph_binds_by_name(void)
{
    pn_graph *g = pn_graph_new();
    const size_t x = pn_input(g, "in", 1, 2, 3);
    const size_t t = pn_target(g, "y", 1);
    CHECK(pn_target(g, "y", 1) == t && pn_target(g, "z", 2) == t + 1);
    const size_t h = pn_output(g, "h", pn_linear(g, x, 4));
    g->loss = pn_cross_entropy(g, pn_output(g, "out", pn_linear(g, h, 3)), t);
    pn_err err = {0};
    CHECK(pn_graph_finalize(g, 2, NULL, &err) == PN_OK);
    CHECK(strcmp(pn_graph_name(g, PN_PORT_TARGET, 1), "z") == 0 &&
          pn_graph_name(g, PN_PORT_TARGET, 2) == NULL &&
          strcmp(pn_graph_name(g, PN_PORT_OUTPUT, 0), "h") == 0);
    const float in[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    const uint8_t y[2] = {2, 0};
    CHECK(pn_graph_set_input(g, "in", in, 2, 6) == 0 && pn_graph_input(g, "in")[11] == 12.0f);
    CHECK(pn_graph_set_input(g, "in", in, 2, 5) != 0 && pn_graph_set_input(g, "x", in, 2, 6) != 0);
    CHECK(pn_graph_set_input(g, "in", in, 3, 6) != 0); /* beyond max_batch */
    CHECK(pn_graph_set_target(g, "y", y, 2, 1) == 0 && pn_graph_target(g, "y")[0] == 2);
    CHECK(pn_graph_set_target(g, "y", y, 2, 2) != 0 && pn_graph_target(g, "w") == NULL);
    size_t rmul = 0, cols = 0;
    CHECK(pn_graph_output(g, "h", &rmul, &cols) != NULL && rmul == 1 && cols == 4);
    CHECK(pn_graph_output(g, "logits", NULL, NULL) == NULL);
    pn_graph_free(g);
    /* the same input name twice, or a target with other rows: refused */
    g = pn_graph_new();
    pn_input(g, "in", 1, 1, 1);
    pn_input(g, "in", 1, 1, 1);
    CHECK(g->failed);
    pn_graph_free(g);
    g = pn_graph_new();
    pn_target(g, "y", 1);
    pn_target(g, "y", 2);
    CHECK(g->failed);
    pn_graph_free(g);
}

void suite_graph(void)
{
    RUN(grad_linear);
    RUN(grad_softmax);
    RUN(grad_batchnorm1d_train);
    RUN(grad_fused_conv_blocks);
    RUN(fused_blocks_match_unfused);
    RUN(first_conv_in_block_same_bits);
    RUN(grad_select_concat);
    RUN(grad_shared_unstack_aux);
    RUN(grad_two_towers_aux);
    RUN(grad_label_smoothing);
    RUN(graph_refuses_bad_shapes);
    RUN(graph_refuses_unfused_conv);
    RUN(eval_is_per_sample);
    RUN(graph_binds_by_name);
}
