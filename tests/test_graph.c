/* Gradient checks of every op through small graphs: parameters and inputs
 * against central differences. */
#include "test.h"

#include <stdlib.h>

#include "gradcheck.h"
#include "pairnet/graph/graph.h"

typedef void (*build_fn)(pn_graph *g);

/* Builds with build (which sets g->output), adds CE on the target, checks. */
static void check_graph(build_fn build, size_t batch, size_t max_params, size_t max_inputs)
{
    pn_graph *g = pn_graph_new();
    CHECK(g != NULL);
    if (!g)
        return;
    build(g);
    if (g->loss == PN_NONE)
        g->loss = pn_cross_entropy(g, g->output, PN_LABEL_TARGET);
    g->input_grad = 1;
    pn_err err;
    int rc = pn_graph_finalize(g, batch, NULL, &err);
    CHECK_MSG(rc == PN_OK, "finalize: %s", err.msg);
    if (rc == PN_OK) {
        pn_rng r;
        pn_rng_seed(&r, 11, 0);
        pn_graph_init_params(g, &r);
        /* BN gamma/beta away from 1/0 so their gradients are exercised fully */
        for (size_t i = 0; i < g->n_params; i++)
            g->params[i] += pn_rng_sym(&r, 0.2f);
        gc_random_batch(g, batch, 5);
        gc_result res = gc_check(g, batch, max_params, max_inputs);
        CHECK_MSG(res.bad == 0, "%zu of %zu gradients wrong (worst %.2f tolerances)", res.bad,
                  res.checked, res.worst);
        CHECK_MSG(res.checked >= 10, "only %zu gradients checked", res.checked);
        CHECK_MSG(res.skipped * 4 <= res.checked, "%zu kinks skipped, %zu checked",
                  res.skipped, res.checked);
    }
    pn_graph_free(g);
}

static void b_linear(pn_graph *g) { g->output = pn_linear(g, pn_input(g, 2, 3, 3), 2); }

static void b_conv(pn_graph *g)
{
    size_t x = pn_conv2d(g, pn_input(g, 2, 6, 6), 3, 3);
    g->output = pn_linear(g, x, 2);
}

static void b_bn2d(pn_graph *g)
{
    size_t x = pn_batchnorm(g, pn_conv2d(g, pn_input(g, 2, 5, 5), 3, 3));
    g->output = pn_linear(g, x, 2);
}

static void b_bn1d(pn_graph *g)
{
    size_t x = pn_batchnorm(g, pn_linear(g, pn_input(g, 2, 3, 3), 5));
    g->output = pn_linear(g, x, 2);
}

static void b_relu_pool(pn_graph *g)
{
    size_t x = pn_maxpool2(g, pn_relu(g, pn_conv2d(g, pn_input(g, 2, 7, 7), 3, 2)));
    g->output = pn_linear(g, x, 2);
}

/* Two conv -> BN -> ReLU -> pool blocks, which finalize fuses: the first
 * reads the NCHW input (whose gradient is checked), the second reads the
 * first's batch-inner output and feeds a linear layer NCHW. side 8, k 2:
 * odd 7x7 first output; side 10, k 3: the models' 3x3 kernels, even
 * outputs. */
static size_t conv_blocks_of(pn_graph *g, size_t side, size_t k)
{
    size_t x = pn_input(g, 2, side, side);
    x = pn_maxpool2(g, pn_relu(g, pn_batchnorm(g, pn_conv2d(g, x, 3, k))));
    x = pn_maxpool2(g, pn_relu(g, pn_batchnorm(g, pn_conv2d(g, x, 4, k))));
    return pn_linear(g, x, 2);
}

static size_t conv_blocks(pn_graph *g) { return conv_blocks_of(g, 8, 2); }
static void b_conv_blocks(pn_graph *g) { g->output = conv_blocks(g); }
static void b_conv_blocks3(pn_graph *g) { g->output = conv_blocks_of(g, 10, 3); }

static void b_select_concat(pn_graph *g)
{
    size_t x = pn_input(g, 2, 3, 3);
    size_t a = pn_linear(g, pn_select(g, x, 0), 3), b = pn_linear(g, pn_select(g, x, 1), 4);
    g->output = pn_linear(g, pn_concat(g, a, b), 2);
}

/* A shared layer over both images (unstack/restack), plus a weighted aux
 * loss on its 2B rows: the shared weights receive both images' gradients. */
static void b_shared_aux(pn_graph *g)
{
    size_t x = pn_input(g, 2, 3, 3);
    size_t t = pn_linear(g, pn_relu(g, pn_batchnorm(g, pn_linear(g, pn_unstack(g, x), 6))), 10);
    g->output = pn_linear(g, pn_restack(g, t), 2);
    size_t l[2] = {pn_cross_entropy(g, g->output, PN_LABEL_TARGET),
                   pn_cross_entropy(g, t, PN_LABEL_DIGITS)};
    float w[2] = {1.0f, 0.7f};
    g->loss = pn_loss_sum(g, 2, l, w);
}

static void b_two_aux(pn_graph *g)
{
    size_t x = pn_input(g, 2, 3, 3);
    size_t a = pn_linear(g, pn_select(g, x, 0), 10), b = pn_linear(g, pn_select(g, x, 1), 10);
    g->output = pn_linear(g, pn_concat(g, a, b), 2);
    size_t l[3] = {pn_cross_entropy(g, g->output, PN_LABEL_TARGET),
                   pn_cross_entropy(g, a, PN_LABEL_DIGIT1),
                   pn_cross_entropy(g, b, PN_LABEL_DIGIT2)};
    float w[3] = {1.0f, 0.5f, 2.0f};
    g->loss = pn_loss_sum(g, 3, l, w);
}

/* softmax between two linears, as best's head reads the tower: a wrong
 * Jacobian (e.g. dropping the -<dy,y> term) breaks every input gradient */
static void b_softmax(pn_graph *g)
{
    size_t x = pn_softmax(g, pn_linear(g, pn_input(g, 2, 3, 3), 5));
    g->output = pn_linear(g, x, 2);
}

static void grad_linear(void) { check_graph(b_linear, 4, 0, 0); }
static void grad_softmax(void) { check_graph(b_softmax, 4, 0, 0); }
static void grad_conv2d(void) { check_graph(b_conv, 3, 0, 0); }
static void grad_batchnorm2d_train(void) { check_graph(b_bn2d, 3, 0, 0); }
static void grad_batchnorm1d_train(void) { check_graph(b_bn1d, 6, 0, 0); }
static void grad_relu_maxpool(void) { check_graph(b_relu_pool, 3, 0, 0); }
static void grad_fused_conv_blocks(void)
{
    check_graph(b_conv_blocks, 3, 0, 0);
    check_graph(b_conv_blocks3, 3, 0, 0);
}
static void grad_select_concat(void) { check_graph(b_select_concat, 4, 0, 0); }
static void grad_shared_unstack_aux(void) { check_graph(b_shared_aux, 4, 0, 0); }
static void grad_two_towers_aux(void) { check_graph(b_two_aux, 4, 0, 0); }

/* The fused conv blocks compute what the same nodes run one by one do:
 * loss, output, every parameter gradient, the input gradient, the running
 * statistics and the evaluation output, to float rounding. */
static void fused_match_unfused(size_t side, size_t k)
{
    pn_graph *g[2];
    const size_t B = 5;
    for (int f = 0; f < 2; f++) {
        g[f] = pn_graph_new();
        g[f]->no_fuse = f;
        g[f]->output = conv_blocks_of(g[f], side, k);
        g[f]->loss = pn_cross_entropy(g[f], g[f]->output, PN_LABEL_TARGET);
        g[f]->input_grad = 1;
        pn_err err;
        CHECK(pn_graph_finalize(g[f], B, NULL, &err) == PN_OK);
        pn_rng r;
        pn_rng_seed(&r, 5, 0);
        pn_graph_init_params(g[f], &r);
        for (size_t i = 0; i < g[f]->n_params; i++)
            g[f]->params[i] += pn_rng_sym(&r, 0.2f);
        gc_random_batch(g[f], B, 7);
    }
    CHECK(g[0]->nodes[1].fused && !g[1]->nodes[1].fused);
    float loss[2];
    for (int f = 0; f < 2; f++) {
        pn_graph_zero_grads(g[f]);
        loss[f] = pn_graph_forward(g[f], B, 1);
        pn_graph_backward(g[f]);
    }
    CHECK_NEAR(loss[0], loss[1], 1e-5);
    for (size_t i = 0; i < 2 * B; i++)
        CHECK_NEAR(pn_graph_output(g[0])[i], pn_graph_output(g[1])[i], 1e-4);
    for (size_t i = 0; i < g[0]->n_params; i++)
        CHECK_NEAR(g[0]->grads[i], g[1]->grads[i], 1e-4);
    for (size_t i = 0; i < g[0]->n_state; i++)
        CHECK_NEAR(g[0]->state[i], g[1]->state[i], 1e-5);
    const pn_node *in0 = &g[0]->nodes[g[0]->input], *in1 = &g[1]->nodes[g[1]->input];
    for (size_t i = 0; i < B * 2 * side * side; i++)
        CHECK_NEAR(in0->grad[i], in1->grad[i], 1e-4);
    for (int f = 0; f < 2; f++)
        pn_graph_forward(g[f], B, 0);
    for (size_t i = 0; i < 2 * B; i++)
        CHECK_NEAR(pn_graph_output(g[0])[i], pn_graph_output(g[1])[i], 1e-4);
    pn_graph_free(g[0]);
    pn_graph_free(g[1]);
}

static void fused_blocks_match_unfused(void)
{
    fused_match_unfused(8, 2);
    fused_match_unfused(10, 3);
}

/* A builder error (conv larger than its input) is reported by finalize. */
static void graph_refuses_bad_shapes(void)
{
    pn_graph *g = pn_graph_new();
    size_t x = pn_conv2d(g, pn_input(g, 1, 2, 2), 4, 3);
    g->output = pn_linear(g, x, 2);
    g->loss = pn_cross_entropy(g, g->output, PN_LABEL_TARGET);
    pn_err err;
    CHECK(pn_graph_finalize(g, 4, NULL, &err) != PN_OK);
    pn_graph_free(g);
}

/* Evaluation runs only what the output needs and uses running statistics:
 * a batch of one gives the same prediction as that pair inside a batch. */
static void eval_is_per_sample(void)
{
    pn_graph *g = pn_graph_new();
    size_t x = pn_batchnorm(g, pn_linear(g, pn_input(g, 2, 3, 3), 5));
    g->output = pn_linear(g, pn_relu(g, x), 2);
    g->loss = pn_cross_entropy(g, g->output, PN_LABEL_TARGET);
    pn_err err;
    CHECK(pn_graph_finalize(g, 8, NULL, &err) == PN_OK);
    pn_rng r;
    pn_rng_seed(&r, 3, 0);
    pn_graph_init_params(g, &r);
    gc_random_batch(g, 8, 9);
    pn_graph_forward(g, 8, 1); /* moves the running statistics */
    pn_graph_forward(g, 8, 0);
    float third[2] = {pn_graph_output(g)[4], pn_graph_output(g)[5]};
    float *in = pn_graph_input(g);
    for (size_t i = 0; i < 18; i++)
        in[i] = in[2 * 18 + i];
    pn_graph_forward(g, 1, 0);
    CHECK(pn_graph_output(g)[0] == third[0] && pn_graph_output(g)[1] == third[1]);
    pn_graph_free(g);
}

void suite_graph(void)
{
    RUN(grad_linear);
    RUN(grad_softmax);
    RUN(grad_conv2d);
    RUN(grad_batchnorm2d_train);
    RUN(grad_batchnorm1d_train);
    RUN(grad_relu_maxpool);
    RUN(grad_fused_conv_blocks);
    RUN(fused_blocks_match_unfused);
    RUN(grad_select_concat);
    RUN(grad_shared_unstack_aux);
    RUN(grad_two_towers_aux);
    RUN(graph_refuses_bad_shapes);
    RUN(eval_is_per_sample);
}
