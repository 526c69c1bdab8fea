/* The ingredients beyond the study (issue 16): the probabilistic
 * comparison P(d1 <= d2) (its op against a brute-force sum and central
 * differences), the affine/elastic warp of single digits, the moving
 * average of the weights, and a round with all of them (deterministic per
 * seed, for any thread count; each takes effect). */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "gradcheck.h"
#include "pairnet/base/pool.h"
#include "pairnet/data/augment.h"
#include "pairnet/data/mnist.h"
#include "pairnet/data/warp.h"
#include "pairnet/graph/ema.h"
#include "pairnet/graph/graph.h"
#include "pairnet/models/models.h"
#include "pairnet/ops/kernels.h"
#include "pairnet/train/train.h"

/* ---- P(d1 <= d2) ---- */

static void rand_dist(float *p, pn_rng *r)
{
    float s = 0.0f;
    for (int i = 0; i < 10; i++)
        s += p[i] = pn_rng_float(r) + 0.01f;
    for (int i = 0; i < 10; i++)
        p[i] /= s;
}

static void prob_le_is_the_double_sum(void)
{
    pn_rng r;
    pn_rng_seed(&r, 3, 9);
    for (int t = 0; t < 50; t++) {
        float in[20], out[2];
        rand_dist(in, &r);
        rand_dist(in + 10, &r);
        double want = 0.0;
        for (int i = 0; i < 10; i++)
            for (int j = i; j < 10; j++)
                want += (double)in[i] * in[10 + j];
        CHECK_NEAR(pn_prob_le_of(in, in + 10), want, 1e-6);
        pn_prob_le_forward(out, in, 1);
        CHECK_NEAR(expf(out[1]), want, 1e-5);
        CHECK_NEAR(expf(out[0]) + expf(out[1]), 1.0, 1e-5);
    }
    /* one-hot digits: P is the comparison itself, clamped off 0 and 1 */
    for (int a = 0; a < 10; a++)
        for (int b = 0; b < 10; b++) {
            float in[20] = {0}, out[2];
            in[a] = 1.0f;
            in[10 + b] = 1.0f;
            pn_prob_le_forward(out, in, 1);
            CHECK_MSG((out[1] > out[0]) == (a <= b) && isfinite(out[0]) && isfinite(out[1]),
                      "digits %d, %d: log(1-P) %g, log P %g", a, b, (double)out[0],
                      (double)out[1]);
        }
}

/* The shared "tower" (a linear layer) -> softmax per image -> restack ->
 * P(d1 <= d2) as the head, plus the auxiliary digit loss: what best builds
 * with --head prob. */
static void grad_prob_le_head(void)
{
    pn_graph *g = pn_graph_new();
    CHECK(g != NULL);
    if (!g)
        return;
    size_t x = pn_input(g, PN_IN_PAIRS, 2, 3, 3);
    size_t t = pn_linear(g, pn_unstack(g, x), 10);
    pn_output(g, PN_OUT_LOGITS, pn_prob_le(g, pn_restack(g, pn_softmax(g, t))));
    size_t l[2] = {pn_cross_entropy(g, gc_logits(g), pn_target(g, PN_TARGET_PAIR, 1)),
                   pn_cross_entropy(g, t, pn_target(g, PN_TARGET_DIGITS, 2))};
    float w[2] = {1.0f, 0.5f};
    g->loss = pn_loss_sum(g, 2, l, w);
    g->input_grad = 1;
    pn_err err;
    int rc = pn_graph_finalize(g, 5, NULL, &err);
    CHECK_MSG(rc == PN_OK, "finalize: %s", err.msg);
    if (rc == PN_OK) {
        pn_rng r;
        pn_rng_seed(&r, 11, 0);
        pn_graph_init_params(g, &r);
        for (size_t i = 0; i < g->n_params; i++)
            g->params[i] *= 3.0f; /* confident enough that P moves far from 1/2 */
        gc_random_batch(g, 5, 7);
        gc_result res = gc_check(g, 5, 0, 0);
        CHECK_MSG(res.bad == 0, "%zu of %zu gradients wrong (worst %.2f tolerances: numeric "
                  "%.6g, analytic %.6g)", res.bad, res.checked, res.worst, res.worst_numeric,
                  res.worst_analytic);
        CHECK_MSG(res.checked >= 50, "only %zu gradients checked", res.checked);
    }
    pn_graph_free(g);
}

/* The op refuses anything but two 10-class distributions per pair. */
static void prob_le_refuses_other_shapes(void)
{
    pn_graph *g = pn_graph_new();
    CHECK(g != NULL);
    if (!g)
        return;
    size_t x = pn_input(g, PN_IN_PAIRS, 2, 3, 3);
    CHECK(pn_prob_le(g, pn_linear(g, x, 19)) == PN_NONE);
    pn_graph_free(g);
    g = pn_graph_new();
    x = pn_input(g, PN_IN_PAIRS, 2, 3, 3);
    CHECK(pn_prob_le(g, pn_linear(g, pn_unstack(g, x), 20)) == PN_NONE); /* 2 rows a pair */
    pn_graph_free(g);
}

/* ---- the warp ---- */

static void test_image(float *img)
{
    for (int y = 0; y < PN_SIDE; y++)
        for (int x = 0; x < PN_SIDE; x++)
            img[y * PN_SIDE + x] = (float)((x * 7 + y * 3) % 11) - 2.0f;
}

static void affine_identity_and_integer_moves(void)
{
    float in[PN_PIXELS], out[PN_PIXELS], ref[PN_PIXELS];
    test_image(in);
    const float id[4] = {1, 0, 0, 1};
    pn_image_affine(out, in, id, 0.0f, 0.0f, NULL, NULL, -9.0f);
    CHECK(memcmp(out, in, sizeof in) == 0);
    /* sampling at x - 1 moves the image right by one: pn_image_shift(dx = 1) */
    pn_image_affine(out, in, id, -1.0f, 2.0f, NULL, NULL, -9.0f);
    pn_image_shift(ref, in, 1, -2, -9.0f);
    CHECK(memcmp(out, ref, sizeof in) == 0);
    /* a half-pixel move is the mean of the two neighbours */
    pn_image_affine(out, in, id, 0.5f, 0.0f, NULL, NULL, -9.0f);
    CHECK_NEAR(out[3 * PN_SIDE + 4], 0.5 * (in[3 * PN_SIDE + 4] + in[3 * PN_SIDE + 5]), 1e-6);
    CHECK_NEAR(out[3 * PN_SIDE + 13], 0.5 * (in[3 * PN_SIDE + 13] - 9.0f), 1e-6);
    /* a quarter turn about the centre permutes the pixels: out(x, y) = in(c - (y - c), c + (x - c)) */
    const float rot[4] = {0, -1, 1, 0};
    pn_image_affine(out, in, rot, 0.0f, 0.0f, NULL, NULL, -9.0f);
    for (int y = 0; y < PN_SIDE; y++)
        for (int x = 0; x < PN_SIDE; x++)
            CHECK_NEAR(out[y * PN_SIDE + x], in[x * PN_SIDE + (PN_SIDE - 1 - y)], 1e-5);
    /* a constant displacement field is a translation */
    float fx[PN_PIXELS], fy[PN_PIXELS];
    for (int i = 0; i < PN_PIXELS; i++) {
        fx[i] = -1.0f;
        fy[i] = 2.0f;
    }
    pn_image_affine(out, in, id, 0.0f, 0.0f, fx, fy, -9.0f);
    CHECK(memcmp(out, ref, sizeof in) == 0);
}

static void field_smooth_keeps_constants_and_mean(void)
{
    float f[PN_PIXELS];
    for (int i = 0; i < PN_PIXELS; i++)
        f[i] = 0.75f;
    pn_field_smooth(f, 2.0f);
    for (int i = 0; i < PN_PIXELS; i++)
        CHECK_NEAR(f[i], 0.75, 1e-6);
    /* white noise comes out much smoother: neighbours nearly equal */
    pn_rng r;
    pn_rng_seed(&r, 5, 5);
    double d_raw = 0.0, d_s = 0.0;
    for (int i = 0; i < PN_PIXELS; i++)
        f[i] = pn_rng_sym(&r, 1.0f);
    for (int i = 0; i + 1 < PN_PIXELS; i++)
        d_raw += fabs(f[i + 1] - f[i]);
    pn_field_smooth(f, 2.0f);
    for (int i = 0; i + 1 < PN_PIXELS; i++)
        d_s += fabs(f[i + 1] - f[i]);
    CHECK_MSG(d_s < 0.2 * d_raw, "smoothed variation %g vs raw %g", d_s, d_raw);
}

static void warp_is_deterministic_and_bounded(void)
{
    float in[PN_PIXELS], a[PN_PIXELS], b[PN_PIXELS];
    test_image(in);
    const pn_warp_cfg none = {0};
    CHECK(!pn_warp_active(&none));
    pn_rng r1, r2;
    pn_rng_seed(&r1, 1, 4);
    r2 = r1;
    pn_image_warp(a, in, &none, -9.0f, &r1);
    CHECK(memcmp(a, in, sizeof in) == 0);
    CHECK(memcmp(&r1, &r2, sizeof r1) == 0); /* nothing drawn */
    const pn_warp_cfg c = {12.0f, 0.1f, 10.0f, 1.0f, 8.0f, 2.0f};
    CHECK(pn_warp_active(&c));
    pn_image_warp(a, in, &c, -9.0f, &r1);
    pn_image_warp(b, in, &c, -9.0f, &r2);
    CHECK(memcmp(a, b, sizeof a) == 0); /* same draws, same image */
    pn_image_warp(b, in, &c, -9.0f, &r2);
    CHECK(memcmp(a, b, sizeof a) != 0); /* the next draw differs */
    /* bilinear: never outside the range of the input and the fill */
    for (int i = 0; i < PN_PIXELS; i++)
        CHECK(a[i] >= -9.0f - 1e-5f && a[i] <= 8.0f + 1e-5f);
    /* each part alone changes the image */
    const pn_warp_cfg parts[5] = {{.rotate = 10}, {.scale = 0.1f}, {.shear = 10},
                                  {.translate = 1}, {.elastic = 8}};
    for (int k = 0; k < 5; k++) {
        CHECK(pn_warp_active(&parts[k]));
        pn_image_warp(a, in, &parts[k], -9.0f, &r1);
        CHECK_MSG(memcmp(a, in, sizeof a) != 0, "part %d changed nothing", k);
    }
}

/* ---- the moving average ---- */

static void ema_averages_and_swaps(void)
{
    pn_graph *g = pn_graph_new();
    CHECK(g != NULL);
    if (!g)
        return;
    size_t x = pn_input(g, PN_IN_PAIRS, 2, 3, 3);
    pn_output(g, PN_OUT_LOGITS, pn_linear(g, pn_batchnorm(g, pn_linear(g, x, 4)), 2));
    g->loss = pn_cross_entropy(g, gc_logits(g), pn_target(g, PN_TARGET_PAIR, 1));
    pn_err err;
    CHECK(pn_graph_finalize(g, 4, NULL, &err) == PN_OK);
    pn_rng r;
    pn_rng_seed(&r, 2, 2);
    pn_graph_init_params(g, &r);
    CHECK(g->n_state > 0);
    pn_ema e;
    CHECK(pn_ema_init(&e, g, 0.5) == 0);
    const float p0 = g->params[0], s0 = g->state[0];
    /* step 0: d = min(0.5, 1/10) = 0.1: avg = 0.1 p0 + 0.9 p */
    g->params[0] = p0 + 1.0f;
    g->state[0] = s0 + 2.0f;
    pn_ema_update(&e, g);
    CHECK_NEAR(e.params[0], p0 + 0.9, 1e-6);
    CHECK_NEAR(e.state[0], s0 + 1.8, 1e-6);
    /* many steps later d = 0.5 */
    e.steps = 1000;
    const float a1 = e.params[0];
    g->params[0] = a1 + 4.0f;
    pn_ema_update(&e, g);
    CHECK_NEAR(e.params[0], a1 + 2.0, 1e-6);
    const float live = g->params[0], avg = e.params[0];
    pn_ema_swap(&e, g);
    CHECK(g->params[0] == avg && e.params[0] == live && e.swapped);
    pn_ema_swap(&e, g);
    CHECK(g->params[0] == live && e.params[0] == avg && !e.swapped);
    pn_ema_free(&e);
    pn_graph_free(g);
}

/* ---- models and options ---- */

static void width_and_prob_head_build(void)
{
    const pn_model_info *m = pn_model_find("best");
    pn_model_opts o = {.aux_weight = 2.0f, .dropout = 0.5f};
    pn_model_size s1, s2, sp;
    pn_err err;
    CHECK(pn_model_measure(m, &o, &s1, &err) == PN_OK);
    CHECK(s1.params == 75120); /* the specification's tower and head */
    o.width = 2;
    CHECK(pn_model_measure(m, &o, &s2, &err) == PN_OK);
    /* conv 1->64 (576+64), BN 128, conv 64->128 (73728+128), BN 256, fc 512->400
     * (204800+400), BN 800, fc 400->10 (4010), head 20->100->2 (2100+202) */
    CHECK_MSG(s2.params == 640 + 128 + 73856 + 256 + 205200 + 800 + 4010 + 2302,
              "width 2: %zu parameters", s2.params);
    o.width = 1;
    o.prob_head = 1;
    CHECK(pn_model_measure(m, &o, &sp, &err) == PN_OK);
    CHECK_MSG(sp.params == 75120 - 2302, "prob head: %zu parameters", sp.params);
}

/* The options through the binary (PAIRNET_BIN): each new one parses, the
 * run header is printed; a bad value is a usage error (status 2). */
static int cli(const char *args)
{
    const char *b = getenv("PAIRNET_BIN");
    const char *d = t_data_dir();
    if (!b || !*b || !d)
        return -1;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' train --model best --data '%s' --epochs 1 --bs 500 %s "
             ">/dev/null 2>&1 </dev/null", b, d, args);
    int st = system(cmd);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void options_parse_and_refuse(void)
{
    if (!getenv("PAIRNET_BIN") || !t_data_dir()) {
        t_skip("needs PAIRNET_BIN and the MNIST data");
        return;
    }
    CHECK(cli("--aug-rotate 12 --aug-scale 0.1 --aug-shear 10 --aug-translate 1 "
              "--aug-elastic 8 --aug-elastic-sigma 2 --ema 0.9 --tta 5 --ensemble 2 "
              "--width 1 --lr-cosine --decide prob --head prob") == 0);
    CHECK(cli("--decide vote") == 2);
    CHECK(cli("--tta 3") == 2);
    CHECK(cli("--head mlp") == 2);
    CHECK(cli("--ema 1") == 2);
    CHECK(cli("--width 0") == 2);
    /* --head is for best */
    const char *b = getenv("PAIRNET_BIN");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' train --model cnn_ws --data '%s' --epochs 1 --head prob "
             ">/dev/null 2>&1 </dev/null", b, t_data_dir());
    int st = system(cmd);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 2);
}

static void cosine_schedule(void)
{
    pn_train_cfg c;
    pn_train_cfg_default(&c, pn_model_find("cnn_ws_al"));
    /* the study's models: none of it */
    CHECK(c.lr_cosine == 0 && c.ema == 0.0 && c.tta <= 1 && c.ensemble <= 1 &&
          c.decide == PN_DECIDE_HEAD && !pn_warp_active(&c.warp));
    c.lr = 0.002;
    c.epochs = 10;
    c.lr_cosine = 1;
    CHECK_NEAR(pn_train_lr(&c, 0), 0.002, 1e-12);
    CHECK_NEAR(pn_train_lr(&c, 5), 0.001, 1e-12);
    CHECK(pn_train_lr(&c, 9) < 0.0001);
    c.lr_cosine = 0;
    c.lr_step = 3;
    c.lr_gamma = 0.5;
    CHECK_NEAR(pn_train_lr(&c, 3), 0.001, 1e-12);
    CHECK_NEAR(pn_train_lr(&c, 2), 0.002, 1e-12);
}

/* ---- a round with every ingredient ---- */

static pn_mnist mn;
static int mn_state;

static pn_mnist *mnist(void)
{
    if (mn_state == 0) {
        const char *dir = t_data_dir();
        pn_err err;
        mn_state = 2;
        if (dir) {
            int rc = pn_mnist_load(dir, &mn, &err);
            CHECK_MSG(rc == PN_OK, "%s", err.msg);
            mn_state = rc == PN_OK ? 1 : 2;
        }
    }
    return mn_state == 1 ? &mn : NULL;
}

static void all_on(pn_train_cfg *c)
{
    c->warp = (pn_warp_cfg){12.0f, 0.1f, 10.0f, 0.5f, 8.0f, 2.0f};
    c->ema = 0.99;
    c->tta = 5;
    c->ensemble = 2;
    c->lr_cosine = 1;
    c->decide = PN_DECIDE_HEAD;
}

static int round_of(void (*edit)(pn_train_cfg *), void (*edit2)(pn_train_cfg *), pn_pool *pool,
                    pn_round_rec *rec)
{
    pn_train_cfg cfg;
    pn_round_data d;
    pn_err err;
    pn_train_cfg_default(&cfg, pn_model_find("best"));
    cfg.epochs = 2;
    cfg.n_pairs = 300;
    if (edit)
        edit(&cfg);
    if (edit2)
        edit2(&cfg);
    int rc = pn_round_data_make(mnist(), cfg.n_pairs, 4242, &d, &err);
    if (rc == PN_OK)
        rc = pn_train_round(&d, &cfg, 4242, pool, NULL, rec, &err);
    CHECK_MSG(rc == PN_OK, "%s", err.msg);
    pn_round_data_free(&d);
    return rc;
}

static int same_round(const pn_round_rec *a, const pn_round_rec *b)
{
    for (size_t e = 0; e < a->n_epochs; e++)
        if (a->epochs[e].loss != b->epochs[e].loss ||
            a->epochs[e].test_acc != b->epochs[e].test_acc ||
            a->epochs[e].train_acc != b->epochs[e].train_acc)
            return 0;
    return a->n_epochs == b->n_epochs && a->digit_acc == b->digit_acc &&
           a->prob_acc == b->prob_acc && a->argmax_acc == b->argmax_acc;
}

static void round_all_on_same_bits_any_threads(void)
{
    if (!mnist())
        return;
    pn_pool *pool = pn_pool_new(2);
    pn_round_rec a, b;
    int ra = round_of(all_on, NULL, NULL, &a), rb = round_of(all_on, NULL, pool, &b);
    if (ra == PN_OK && rb == PN_OK) {
        CHECK_MSG(same_round(&a, &b), "1 thread loss %.9g test %.4f; 2 threads %.9g %.4f",
                  a.epochs[1].loss, a.test_acc, b.epochs[1].loss, b.test_acc);
        CHECK_MSG(a.digit_acc > 0.4 && a.prob_acc > 0.55, "digits %.4f, prob %.4f", a.digit_acc,
                  a.prob_acc);
        CHECK(a.head_acc == a.test_acc); /* decide: head */
    }
    pn_round_rec_free(&a);
    pn_round_rec_free(&b);
    pn_pool_free(pool);
}

static void no_ema(pn_train_cfg *c) { c->ema = 0.0; }
static void no_tta(pn_train_cfg *c) { c->tta = 1; }
static void one_member(pn_train_cfg *c) { c->ensemble = 1; }
static void no_cosine(pn_train_cfg *c) { c->lr_cosine = 0; }
static void no_warp(pn_train_cfg *c) { c->warp = (pn_warp_cfg){0}; }
static void no_elastic(pn_train_cfg *c) { c->warp.elastic = 0.0f; }
static void prob_head(pn_train_cfg *c) { c->mopts.prob_head = 1; }
static void decide_prob(pn_train_cfg *c) { c->decide = PN_DECIDE_PROB; }

/* Removing any one ingredient changes the round: none is silently ignored. */
static void round_each_ingredient_takes_effect(void)
{
    if (!mnist())
        return;
    static const struct { const char *name; void (*edit)(pn_train_cfg *); } v[] = {
        {"no ema", no_ema},         {"no tta", no_tta},   {"one member", one_member},
        {"no cosine", no_cosine},   {"no warp", no_warp}, {"no elastic", no_elastic},
        {"prob head", prob_head}};
    pn_round_rec ref, rec;
    if (round_of(all_on, NULL, NULL, &ref) != PN_OK)
        return;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        if (round_of(all_on, v[i].edit, NULL, &rec) != PN_OK)
            continue;
        CHECK_MSG(!same_round(&ref, &rec), "%s: the same round as with it", v[i].name);
        pn_round_rec_free(&rec);
    }
    /* the decision rule changes what is reported, not the training */
    if (round_of(all_on, decide_prob, NULL, &rec) == PN_OK) {
        CHECK(rec.epochs[1].loss == ref.epochs[1].loss);
        CHECK(rec.test_acc == ref.prob_acc && rec.head_acc == ref.head_acc);
        pn_round_rec_free(&rec);
    }
    pn_round_rec_free(&ref);
}

void suite_best(void)
{
    RUN(prob_le_is_the_double_sum);
    RUN(grad_prob_le_head);
    RUN(prob_le_refuses_other_shapes);
    RUN(affine_identity_and_integer_moves);
    RUN(field_smooth_keeps_constants_and_mean);
    RUN(warp_is_deterministic_and_bounded);
    RUN(ema_averages_and_swaps);
    RUN(width_and_prob_head_build);
    RUN(options_parse_and_refuse);
    RUN(cosine_schedule);
    RUN(round_all_on_same_bits_any_threads);
    RUN(round_each_ingredient_takes_effect);
    if (mn_state == 1)
        pn_mnist_free(&mn);
}
