/* Inverted dropout (src/ops/dropout.c, PN_OP_DROPOUT):
 * the op against its definition (kept fraction 1-p within a binomial bound,
 * kept values scaled by 1/(1-p), the mask a pure function of the key), the
 * graph node against central differences and against a gradient computed
 * by hand from the mask, evaluation as the identity, and the builder's
 * handling of p. */
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "pairnet/graph/graph.h"
#include "pairnet/ops/kernels.h"
#include "pairnet/base/rng.h"

enum { BIG = 100000 };

static float *falloc(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

/* ------------------------------------------------------------------ op */

/* Over 100k elements the kept count is Binomial(n, 1-p): within 5 standard
 * deviations of n(1-p) (a false alarm has probability < 1e-6). Every kept
 * value is in / (1-p), every dropped one exactly 0, and the mask says which. */
static void dropout_op_kept_fraction_and_scale(void)
{
    float *in = falloc(BIG), *out = falloc(BIG), *mask = falloc(BIG);
    CHECK(in && out && mask);
    if (!in || !out || !mask)
        goto done;
    pn_rng r;
    pn_rng_seed(&r, 21, 0);
    for (size_t i = 0; i < BIG; i++) /* nonzero inputs: a zero output means dropped */
        in[i] = (pn_rng_u64(&r) >> 63 ? 1.0f : -1.0f) * (0.5f + pn_rng_float(&r));
    static const float ps[] = {0.05f, 0.25f, 0.3f, 0.5f, 0.9f};
    for (size_t c = 0; c < sizeof ps / sizeof ps[0]; c++) {
        const double p = ps[c], want = BIG * (1.0 - p), sd = sqrt(BIG * p * (1.0 - p));
        pn_dropout_forward(out, mask, in, BIG, ps[c], 0x1234 + c);
        size_t kept = 0, bad_scale = 0, bad_drop = 0, bad_mask = 0, both = 0;
        for (size_t i = 0; i < BIG; i++) {
            const int k = out[i] != 0.0f;
            kept += (size_t)k;
            if (k) {
                const double ref = (double)in[i] / (1.0 - p);
                bad_scale += fabs((double)out[i] - ref) > 1e-6 * fabs(ref);
                bad_mask += fabs((double)mask[i] - 1.0 / (1.0 - p)) > 1e-6 / (1.0 - p);
            } else {
                bad_drop += mask[i] != 0.0f;
            }
            if (i + 1 < BIG)
                both += k && in[i + 1] * mask[i + 1] != 0.0f;
        }
        CHECK_MSG(fabs((double)kept - want) <= 5.0 * sd,
                  "p %g: kept %zu of %d, want %.0f +- %.0f (5 sd)", p, kept, BIG, want, 5 * sd);
        CHECK_MSG(bad_scale == 0 && bad_drop == 0 && bad_mask == 0,
                  "p %g: %zu kept values not in/(1-p), %zu dropped with a nonzero mask, %zu mask "
                  "values not 1/(1-p)", p, bad_scale, bad_drop, bad_mask);
        /* neighbours are independent: both kept about n (1-p)^2 times */
        const double want2 = (BIG - 1) * (1.0 - p) * (1.0 - p);
        const double sd2 = sqrt(want2) * 2.0; /* a loose bound on the dependent-sum sd */
        CHECK_MSG(fabs((double)both - want2) <= 5.0 * sd2,
                  "p %g: neighbours both kept %zu times, want about %.0f", p, both, want2);
    }
done:
    free(in);
    free(out);
    free(mask);
}

/* p = 0 keeps everything unchanged (scale 1). */
static void dropout_op_p0_is_identity(void)
{
    float in[64], out[64], mask[64];
    for (int i = 0; i < 64; i++)
        in[i] = (float)i - 31.5f;
    pn_dropout_forward(out, mask, in, 64, 0.0f, 99);
    CHECK(memcmp(out, in, sizeof in) == 0);
    for (int i = 0; i < 64; i++)
        CHECK_MSG(mask[i] == 1.0f, "mask[%d] = %g", i, (double)mask[i]);
}

/* The mask is a pure function of (key, index): the same key gives the same
 * mask (whatever the input values, and for a prefix of the array); another
 * key gives an independent mask, which differs from the first in about
 * 2p(1-p) of the places. */
static void dropout_op_mask_is_function_of_key(void)
{
    const float p = 0.4f;
    float *in = falloc(BIG), *in2 = falloc(BIG), *out = falloc(BIG);
    float *m1 = falloc(BIG), *m2 = falloc(BIG), *m3 = falloc(BIG);
    CHECK(in && in2 && out && m1 && m2 && m3);
    if (!in || !in2 || !out || !m1 || !m2 || !m3)
        goto done;
    for (size_t i = 0; i < BIG; i++) {
        in[i] = 1.0f;
        in2[i] = (float)(i % 7) - 3.0f;
    }
    pn_dropout_forward(out, m1, in, BIG, p, 42);
    pn_dropout_forward(out, m2, in2, BIG, p, 42);
    CHECK_MSG(memcmp(m1, m2, BIG * sizeof *m1) == 0, "key 42 gave two different masks");
    pn_dropout_forward(out, m3, in, 1000, p, 42); /* a prefix: same first 1000 */
    CHECK(memcmp(m1, m3, 1000 * sizeof *m1) == 0);
    static const uint64_t other[] = {43, 42ULL ^ (1ULL << 63), 42ULL << 1, 0};
    for (size_t k = 0; k < sizeof other / sizeof other[0]; k++) {
        pn_dropout_forward(out, m2, in, BIG, p, other[k]);
        size_t differ = 0;
        for (size_t i = 0; i < BIG; i++)
            differ += (m1[i] == 0.0f) != (m2[i] == 0.0f);
        const double q = 2.0 * p * (1.0 - p), want = BIG * q, sd = sqrt(BIG * q * (1.0 - q));
        CHECK_MSG(fabs((double)differ - want) <= 5.0 * sd,
                  "key 42 vs %llu: masks differ in %zu places, want %.0f +- %.0f",
                  (unsigned long long)other[k], differ, want, 5 * sd);
    }
done:
    free(in);
    free(in2);
    free(out);
    free(m1);
    free(m2);
    free(m3);
}

/* Backward is din += dout * mask: it accumulates into din, and a dropped
 * element passes no gradient. Hand values. */
static void dropout_op_backward_by_hand(void)
{
    const float mask[5] = {2.0f, 0.0f, 2.0f, 0.0f, 2.0f};
    const float dout[5] = {1.0f, -3.0f, 0.25f, 7.0f, -0.5f};
    float din[5] = {10.0f, 20.0f, 30.0f, 40.0f, 50.0f};
    pn_dropout_backward(din, dout, mask, 5);
    const float want[5] = {12.0f, 20.0f, 30.5f, 40.0f, 49.0f};
    for (int i = 0; i < 5; i++)
        CHECK_MSG(din[i] == want[i], "din[%d] = %g, want %g", i, (double)din[i],
                  (double)want[i]);
}

/* --------------------------------------------------------------- graph */

/* input [B,2,3,3] -> linear 8 -> relu -> dropout(p) -> linear 2 -> CE.
 * Returns the dropout node's id via *drop (PN_NONE if p == 0). */
static pn_graph *small_graph(float p, size_t batch, size_t *drop)
{
    pn_graph *g = pn_graph_new();
    if (!g)
        return NULL;
    size_t h = pn_relu(g, pn_linear(g, pn_input(g, PN_IN_PAIRS, 2, 3, 3), 8));
    size_t d = pn_dropout(g, h, p);
    *drop = d == h ? PN_NONE : d;
    pn_output(g, PN_OUT_LOGITS, pn_linear(g, d, 2));
    g->loss = pn_cross_entropy(g, gc_logits(g), pn_target(g, PN_TARGET_PAIR, 1));
    g->input_grad = 1;
    pn_err err;
    int rc = pn_graph_finalize(g, batch, NULL, &err);
    CHECK_MSG(rc == PN_OK, "finalize: %s", err.msg);
    if (rc != PN_OK) {
        pn_graph_free(g);
        return NULL;
    }
    pn_rng r;
    pn_rng_seed(&r, 11, 0);
    pn_graph_init_params(g, &r);
    gc_random_batch(g, batch, 5);
    return g;
}

/* Central differences of the loss through the dropout node with a fixed
 * key: the mask is the same at every forward, so the loss is one
 * differentiable function (away from the ReLU's kinks). */
static void dropout_graph_gradcheck(void)
{
    static const uint64_t keys[] = {7, 0xdeadbeefcafef00dULL};
    for (size_t k = 0; k < 2; k++) {
        size_t drop;
        pn_graph *g = small_graph(0.3f, 4, &drop);
        CHECK(g != NULL && drop != PN_NONE);
        if (!g)
            return;
        g->noise_key = keys[k];
        gc_result res = gc_check(g, 4, 0, 0);
        CHECK_MSG(res.bad == 0, "key %zu: %zu of %zu gradients wrong (worst %.2f tolerances)", k,
                  res.bad, res.checked, res.worst);
        CHECK_MSG(res.checked >= 50, "only %zu gradients checked", res.checked);
        CHECK_MSG(res.skipped * 4 <= res.checked, "%zu kinks skipped, %zu checked", res.skipped,
                  res.checked);
        /* the check is not vacuous: some units dropped, some kept */
        const pn_node *n = &g->nodes[drop];
        size_t zeros = 0;
        for (size_t i = 0; i < 4 * 8; i++)
            zeros += n->buf[0][i] == 0.0f;
        CHECK_MSG(zeros > 0 && zeros < 32, "%zu of 32 units dropped", zeros);
        pn_graph_free(g);
    }
}

/* The gradient that reaches the ReLU is the dropout node's incoming
 * gradient times the mask, element by element -- and the ReLU's own input
 * gradient then vanishes wherever the unit was dropped. A backward that
 * ignored the mask (din += dout) fails both checks: the test requires
 * dropped units that do receive a nonzero gradient from above. */
static void dropout_graph_backward_uses_mask(void)
{
    const size_t B = 6;
    size_t drop;
    pn_graph *g = small_graph(0.5f, B, &drop);
    CHECK(g != NULL && drop != PN_NONE);
    if (!g)
        return;
    g->noise_key = 12345;
    pn_graph_zero_grads(g);
    pn_graph_forward(g, B, 1);
    pn_graph_backward(g);
    const pn_node *d = &g->nodes[drop], *relu = &g->nodes[d->in[0]];
    size_t bad = 0, dropped_with_grad = 0, kept_with_grad = 0;
    const double scale = 1.0 / (1.0 - 0.5);
    for (size_t i = 0; i < B * 8; i++) {
        const float m = d->buf[0][i];
        /* forward: out = in * mask, mask in {0, 2} */
        bad += d->val[i] != relu->val[i] * m;
        bad += m != 0.0f && m != (float)scale;
        /* backward by hand: relu->grad = dout * mask */
        const double want = (double)d->grad[i] * m;
        bad += fabs((double)relu->grad[i] - want) > 1e-7 * (1.0 + fabs(want));
        if (m == 0.0f && d->grad[i] != 0.0f) {
            dropped_with_grad++;
            bad += relu->grad[i] != 0.0f;
        }
        kept_with_grad += m != 0.0f && d->grad[i] != 0.0f && relu->val[i] > 0.0f;
    }
    CHECK_MSG(bad == 0, "%zu mismatches between the dropout node and the hand computation", bad);
    CHECK_MSG(dropped_with_grad >= 5 && kept_with_grad >= 5,
              "mask barely exercised: %zu dropped and %zu kept units with a gradient",
              dropped_with_grad, kept_with_grad);
    pn_graph_free(g);
}

/* Evaluation is the identity: the same prediction as the graph without the
 * dropout node (same parameters: dropout has none, so initialization draws
 * the same numbers), whatever the key. Training is not the identity. */
static void dropout_graph_eval_is_identity(void)
{
    const size_t B = 5;
    size_t d0, d1;
    pn_graph *plain = small_graph(0.0f, B, &d0), *g = small_graph(0.6f, B, &d1);
    CHECK(plain && g && d0 == PN_NONE && d1 != PN_NONE);
    if (!plain || !g)
        goto done;
    CHECK(g->n_params == plain->n_params &&
          memcmp(g->params, plain->params, g->n_params * sizeof(float)) == 0);
    pn_graph_forward(plain, B, 0);
    const float *want = pn_graph_output(plain, PN_OUT_LOGITS, NULL, NULL);
    for (uint64_t key = 0; key < 3; key++) {
        g->noise_key = key * 0x9e3779b97f4a7c15ULL;
        pn_graph_forward(g, B, 0);
        CHECK_MSG(memcmp(pn_graph_output(g, PN_OUT_LOGITS, NULL, NULL), want, 2 * B * sizeof(float)) == 0,
                  "key %llu: evaluation differs from the graph without dropout",
                  (unsigned long long)key);
        CHECK(memcmp(g->nodes[d1].val, g->nodes[g->nodes[d1].in[0]].val,
                     B * 8 * sizeof(float)) == 0);
    }
    /* training mode drops units: the output moves */
    pn_graph_forward(g, B, 1);
    pn_graph_forward(plain, B, 1);
    CHECK(memcmp(pn_graph_output(g, PN_OUT_LOGITS, NULL, NULL), pn_graph_output(plain, PN_OUT_LOGITS, NULL, NULL), 2 * B * sizeof(float)) != 0);
done:
    pn_graph_free(plain);
    pn_graph_free(g);
}

/* One key, one mask: repeated training forwards agree bit for bit; another
 * key gives another mask. Two dropout nodes of one graph under one key get
 * different masks (the node's index is mixed into the key). */
static void dropout_graph_key_determines_mask(void)
{
    const size_t B = 8;
    size_t drop;
    pn_graph *g = small_graph(0.5f, B, &drop);
    CHECK(g != NULL && drop != PN_NONE);
    if (!g)
        return;
    float m1[64], m2[64];
    g->noise_key = 1000;
    pn_graph_forward(g, B, 1);
    memcpy(m1, g->nodes[drop].buf[0], sizeof m1);
    const float out1 = pn_graph_output(g, PN_OUT_LOGITS, NULL, NULL)[3];
    g->noise_key = 1001;
    pn_graph_forward(g, B, 1);
    memcpy(m2, g->nodes[drop].buf[0], sizeof m2);
    CHECK_MSG(memcmp(m1, m2, sizeof m1) != 0, "keys 1000 and 1001 gave the same mask");
    g->noise_key = 1000;
    pn_graph_forward(g, B, 1);
    CHECK_MSG(memcmp(m1, g->nodes[drop].buf[0], sizeof m1) == 0, "key 1000 twice: two masks");
    CHECK(pn_graph_output(g, PN_OUT_LOGITS, NULL, NULL)[3] == out1);
    pn_graph_free(g);

    /* two sibling dropout nodes over the same 2x9 input under one key */
    g = pn_graph_new();
    CHECK(g != NULL);
    if (!g)
        return;
    size_t x = pn_input(g, PN_IN_PAIRS, 2, 3, 3);
    size_t a = pn_dropout(g, x, 0.5f), b = pn_dropout(g, x, 0.5f);
    pn_output(g, PN_OUT_LOGITS, pn_linear(g, pn_concat(g, a, b), 2));
    g->loss = pn_cross_entropy(g, gc_logits(g), pn_target(g, PN_TARGET_PAIR, 1));
    pn_err err;
    CHECK(pn_graph_finalize(g, B, NULL, &err) == PN_OK);
    if (g->arena) {
        pn_rng r;
        pn_rng_seed(&r, 1, 0);
        pn_graph_init_params(g, &r);
        gc_random_batch(g, B, 3);
        g->noise_key = 77;
        pn_graph_forward(g, B, 1);
        size_t differ = 0;
        for (size_t i = 0; i < B * 18; i++)
            differ += (g->nodes[a].buf[0][i] == 0.0f) != (g->nodes[b].buf[0][i] == 0.0f);
        /* independent masks differ in about half of 144 places */
        CHECK_MSG(differ >= 40, "two dropout nodes share their mask (%zu of 144 differ)", differ);
    }
    pn_graph_free(g);
}

/* p == 0 adds no node and returns its input. */
static void dropout_p0_returns_input(void)
{
    pn_graph *g = pn_graph_new();
    CHECK(g != NULL);
    if (!g)
        return;
    size_t x = pn_relu(g, pn_input(g, PN_IN_PAIRS, 2, 3, 3));
    const size_t before = g->n_nodes;
    CHECK(pn_dropout(g, x, 0.0f) == x);
    CHECK(g->n_nodes == before);
    size_t d = pn_dropout(g, x, 0.1f); /* a positive p does add one */
    CHECK(d == before && g->n_nodes == before + 1 && g->nodes[d].op == PN_OP_DROPOUT);
    pn_output(g, PN_OUT_LOGITS, pn_linear(g, x, 2));
    g->loss = pn_cross_entropy(g, gc_logits(g), pn_target(g, PN_TARGET_PAIR, 1));
    pn_err err;
    CHECK(pn_graph_finalize(g, 4, NULL, &err) == PN_OK);
    pn_graph_free(g);
}

/* p outside [0, 1) (and NaN) poisons the graph: finalize refuses it. */
static void dropout_bad_p_fails_finalize(void)
{
    const float bad[] = {1.0f, -0.1f, 1.5f, -1e-9f, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pn_graph *g = pn_graph_new();
        CHECK(g != NULL);
        if (!g)
            return;
        size_t x = pn_input(g, PN_IN_PAIRS, 2, 3, 3);
        size_t d = pn_dropout(g, x, bad[i]);
        CHECK_MSG(d == PN_NONE && g->failed, "p %g accepted by the builder", (double)bad[i]);
        pn_output(g, PN_OUT_LOGITS, pn_linear(g, d, 2));
        g->loss = pn_cross_entropy(g, gc_logits(g), pn_target(g, PN_TARGET_PAIR, 1));
        pn_err err;
        CHECK_MSG(pn_graph_finalize(g, 4, NULL, &err) != PN_OK, "p %g: finalize succeeded",
                  (double)bad[i]);
        pn_graph_free(g);
    }
    /* the largest float below 1 is still a drop probability */
    pn_graph *g = pn_graph_new();
    CHECK(g != NULL);
    if (!g)
        return;
    size_t x = pn_input(g, PN_IN_PAIRS, 2, 3, 3);
    pn_output(g, PN_OUT_LOGITS, pn_linear(g, pn_dropout(g, x, nextafterf(1.0f, 0.0f)), 2));
    g->loss = pn_cross_entropy(g, gc_logits(g), pn_target(g, PN_TARGET_PAIR, 1));
    pn_err err;
    CHECK(pn_graph_finalize(g, 4, NULL, &err) == PN_OK);
    pn_graph_free(g);
}

void suite_dropout(void)
{
    RUN(dropout_op_kept_fraction_and_scale);
    RUN(dropout_op_p0_is_identity);
    RUN(dropout_op_mask_is_function_of_key);
    RUN(dropout_op_backward_by_hand);
    RUN(dropout_graph_gradcheck);
    RUN(dropout_graph_backward_uses_mask);
    RUN(dropout_graph_eval_is_identity);
    RUN(dropout_graph_key_determines_mask);
    RUN(dropout_p0_returns_input);
    RUN(dropout_bad_p_fails_finalize);
}
