/* One round through the library on real MNIST pairs: training learns, is
 * deterministic per seed and for any thread count, reports divergence and
 * stops on its flag; best's options each take effect; the round record
 * agrees with a separate evaluation; a checkpoint is its encoding. */
#define _DEFAULT_SOURCE /* realpath */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <stdatomic.h>
#include <unistd.h>

#include "pairnet/base/pool.h"
#include "pairnet/train/checkpoint.h"
#include "pairnet/train/train.h"

static pn_mnist m;
static int state; /* 0 untried, 1 loaded, 2 failed */

static pn_mnist *mnist(void)
{
    if (state == 0) {
        const char *dir = t_data_dir();
        pn_err err;
        state = 2;
        if (dir) {
            int rc = pn_mnist_load(dir, &m, &err);
            CHECK_MSG(rc == PN_OK, "%s", err.msg);
            state = rc == PN_OK ? 1 : 2;
        }
    }
    return state == 1 ? &m : NULL;
}

static int train_on(const char *model, size_t epochs, double lr, uint64_t seed, pn_pool *pool,
                    pn_round_rec *rec, pn_err *err)
{
    pn_train_cfg cfg;
    pn_round_data d;
    pn_train_cfg_default(&cfg, pn_model_find(model));
    cfg.epochs = epochs;
    if (lr > 0)
        cfg.lr = lr;
    int rc = pn_round_data_make(mnist(), cfg.n_pairs, seed, &d, err);
    if (rc != PN_OK)
        return rc;
    rc = pn_train_round(&d, &cfg, seed, pool, NULL, rec, err);
    pn_round_data_free(&d);
    return rc;
}

static int train(const char *model, size_t epochs, double lr, uint64_t seed, pn_round_rec *rec,
                 pn_err *err)
{
    return train_on(model, epochs, lr, seed, NULL, rec, err);
}

/* Threads split GEMM tiles, channels and planes, never a sum: the same bits
 * come out of one thread and of three. */
static void train_same_bits_for_any_threads(void)
{
    if (!mnist())
        return;
    pn_pool *pool = pn_pool_new(3);
    CHECK(pool != NULL);
    pn_round_rec a, b;
    pn_err err;
    CHECK(train_on("cnn_ws_al", 2, 0, 1, NULL, &a, &err) == PN_OK);
    CHECK(train_on("cnn_ws_al", 2, 0, 1, pool, &b, &err) == PN_OK);
    CHECK_MSG(a.epochs[1].loss == b.epochs[1].loss && a.test_acc == b.test_acc &&
                  a.train_acc == b.train_acc,
              "1 thread: loss %.9g test %.4f; 3 threads: loss %.9g test %.4f", a.epochs[1].loss,
              a.test_acc, b.epochs[1].loss, b.test_acc);
    pn_round_rec_free(&a);
    pn_round_rec_free(&b);
    pn_pool_free(pool);
}

static void e2e_cnn_ws_al_learns(void)
{
    if (!mnist())
        return;
    pn_round_rec rec;
    pn_err err;
    int rc = train("cnn_ws_al", 5, 0, 0, &rec, &err);
    CHECK_MSG(rc == PN_OK, "%s", err.msg);
    /* chance is 0.55 (P(d1 <= d2)) */
    CHECK_MSG(rec.test_acc > 0.75, "test accuracy %.4f after 5 epochs", rec.test_acc);
    CHECK(rec.n_epochs == 5 && rec.epochs[4].loss < rec.epochs[0].loss);
    pn_round_rec_free(&rec);
}

static void train_is_deterministic_per_seed(void)
{
    if (!mnist())
        return;
    pn_round_rec a, b, c;
    pn_err err;
    CHECK(train("mlp", 2, 0, 3, &a, &err) == PN_OK);
    CHECK(train("mlp", 2, 0, 3, &b, &err) == PN_OK);
    CHECK(train("mlp", 2, 0, 4, &c, &err) == PN_OK);
    CHECK(a.epochs[1].loss == b.epochs[1].loss && a.test_acc == b.test_acc);
    CHECK(a.epochs[1].loss != c.epochs[1].loss);
    pn_round_rec_free(&a);
    pn_round_rec_free(&b);
    pn_round_rec_free(&c);
}

static void train_reports_divergence(void)
{
    if (!mnist())
        return;
    pn_round_rec rec;
    pn_err err;
    int rc = train("cnn_ws", 3, 10.0, 0, &rec, &err);
    CHECK_MSG(rc == PN_ERR_DIVERGED, "lr 10 gave status %d", rc);
    CHECK(rec.diverged == 1);
    CHECK_MSG(strstr(err.msg, "epoch") && strstr(err.msg, "batch"), "message: %s", err.msg);
    pn_round_rec_free(&rec);
}

/* ---- best: Adam, dropout and every augmentation ---- */

/* best's preset trained on the round of seed with cfg changed by edit
 * (pairs: 0 for the standard 1000). */
static int train_best(size_t epochs, size_t pairs, uint64_t seed, pn_pool *pool,
                      void (*edit)(pn_train_cfg *), pn_round_rec *rec, pn_err *err)
{
    pn_train_cfg cfg;
    pn_round_data d;
    pn_train_cfg_default(&cfg, pn_model_find("best"));
    cfg.epochs = epochs;
    if (pairs)
        cfg.n_pairs = pairs;
    if (edit)
        edit(&cfg);
    int rc = pn_round_data_make(mnist(), cfg.n_pairs, seed, &d, err);
    if (rc != PN_OK)
        return rc;
    rc = pn_train_round(&d, &cfg, seed, pool, NULL, rec, err);
    pn_round_data_free(&d);
    return rc;
}

/* The dropout masks are a function of (seed, step, node, element) and the
 * augmentation draws from its own stream in the training thread: one thread
 * and two give the same bits, epoch by epoch. */
static void train_best_same_bits_for_1_and_2_threads(void)
{
    if (!mnist())
        return;
    pn_pool *pool = pn_pool_new(2);
    CHECK(pool != NULL);
    pn_round_rec a, b;
    pn_err err;
    pn_train_cfg cfg;
    pn_train_cfg_default(&cfg, pn_model_find("best"));
    CHECK_MSG(cfg.optimizer == PN_OPT_ADAM && cfg.mopts.dropout > 0.0f && cfg.aug_swap &&
                  cfg.aug_repair && cfg.aug_shift > 0,
              "best's preset lacks Adam, dropout or an augmentation");
    int ra = train_best(2, 0, 2, NULL, NULL, &a, &err);
    CHECK_MSG(ra == PN_OK, "1 thread: %s", err.msg);
    int rb = train_best(2, 0, 2, pool, NULL, &b, &err);
    CHECK_MSG(rb == PN_OK, "2 threads: %s", err.msg);
    if (ra == PN_OK && rb == PN_OK) {
        for (size_t e = 0; e < 2; e++)
            CHECK_MSG(a.epochs[e].loss == b.epochs[e].loss &&
                          a.epochs[e].test_acc == b.epochs[e].test_acc &&
                          a.epochs[e].train_acc == b.epochs[e].train_acc,
                      "epoch %zu: 1 thread loss %.9g test %.4f; 2 threads loss %.9g test %.4f",
                      e + 1, a.epochs[e].loss, a.epochs[e].test_acc, b.epochs[e].loss,
                      b.epochs[e].test_acc);
        CHECK(a.digit_acc == b.digit_acc && a.argmax_acc == b.argmax_acc);
        /* learns: the tower classifies most test digits after 2 epochs (the
         * head may still be near chance then) */
        CHECK_MSG(a.digit_acc > 0.6 && a.argmax_acc > 0.6, "digit acc %.4f, argmax acc %.4f",
                  a.digit_acc, a.argmax_acc);
    }
    pn_round_rec_free(&a);
    pn_round_rec_free(&b);
    pn_pool_free(pool);
}

static void no_dropout(pn_train_cfg *c) { c->mopts.dropout = 0.0f; }
static void no_swap(pn_train_cfg *c) { c->aug_swap = 0; }
static void no_repair(pn_train_cfg *c) { c->aug_repair = 0; }
static void no_shift(pn_train_cfg *c) { c->aug_shift = 0; }
static void use_sgd(pn_train_cfg *c) { c->optimizer = PN_OPT_SGD; }
static void adam_wd(pn_train_cfg *c) { c->weight_decay = 0.1; }
static void adamw_wd(pn_train_cfg *c)
{
    c->optimizer = PN_OPT_ADAMW;
    c->weight_decay = 0.1;
}

/* Each ingredient of the preset changes the first epoch (of 300 pairs, to be
 * quick): a setting that were silently ignored would leave the loss of that
 * epoch as it was. */
static void train_best_each_option_takes_effect(void)
{
    if (!mnist())
        return;
    static const struct { const char *name; void (*edit)(pn_train_cfg *); } v[] = {
        {"no dropout", no_dropout}, {"no swap", no_swap},   {"no re-pairing", no_repair},
        {"no shift", no_shift},     {"sgd", use_sgd},       {"adam wd 0.1", adam_wd},
        {"adamw wd 0.1", adamw_wd}};
    double loss[8];
    pn_round_rec rec;
    pn_err err;
    int rc = train_best(1, 300, 6, NULL, NULL, &rec, &err);
    CHECK_MSG(rc == PN_OK, "%s", err.msg);
    if (rc != PN_OK)
        return;
    loss[0] = rec.epochs[0].loss;
    pn_round_rec_free(&rec);
    for (size_t i = 0; i < 7; i++) {
        rc = train_best(1, 300, 6, NULL, v[i].edit, &rec, &err);
        CHECK_MSG(rc == PN_OK, "%s: %s", v[i].name, err.msg);
        loss[i + 1] = rc == PN_OK ? rec.epochs[0].loss : NAN;
        pn_round_rec_free(&rec);
        CHECK_MSG(loss[i + 1] != loss[0], "%s: same first-epoch loss %.9g as the preset",
                  v[i].name, loss[0]);
    }
    /* AdamW's decoupled decay is not Adam's L2 */
    CHECK_MSG(loss[6] != loss[7], "adam and adamw with weight decay 0.1: same loss %.9g",
              loss[6]);
}

/* pn_evaluate_digits against a pair-by-pair evaluation (batch 1) of the
 * same graph, with labels set so that the right answers are known: image j
 * is labelled with its predicted class unless j % 3 == 0, and pair k's
 * target agrees with the predicted comparison unless k % 4 == 1. 21 pairs
 * through a graph of batch 8 leave a last batch of 5. */
static void evaluate_digits_by_pair(const char *model)
{
    enum { NP = 21 };
    pn_model_opts o = {.aux_weight = 1.0f};
    pn_err err;
    pn_graph *g = pn_model_build(pn_model_find(model), &o, 8, NULL, &err);
    pn_pairs p;
    CHECK_MSG(g != NULL, "%s: %s", model, err.msg);
    if (!g)
        return;
    const float *dv = pn_graph_output(g, PN_OUT_DIGITS, NULL, NULL);
    CHECK(dv != NULL);
    if (pn_pairs_alloc(&p, NP) != 0 || !dv) {
        pn_graph_free(g);
        return;
    }
    pn_rng r;
    pn_rng_seed(&r, 17, 0);
    pn_graph_init_params(g, &r);
    /* no biases: the predicted classes then vary from image to image */
    for (size_t i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].b_off != PN_NONE)
            memset(g->params + g->nodes[i].b_off, 0, g->nodes[i].c * sizeof(float));
    for (size_t i = 0; i < NP * 2 * PN_PIXELS; i++)
        p.x[i] = pn_rng_sym(&r, 2.0f);
    size_t right_digits = 0, right_pairs = 0;
    for (size_t k = 0; k < NP; k++) {
        memcpy(pn_graph_input(g, PN_IN_PAIRS), p.x + k * 2 * PN_PIXELS, 2 * PN_PIXELS * sizeof(float));
        pn_graph_forward(g, 1, 0);
        uint8_t pred[2];
        for (int s = 0; s < 2; s++) { /* batch 1: rows 0 and 1, or the two halves of row 0 */
            const float *l = dv + 10 * s;
            uint8_t best = 0;
            for (uint8_t c = 1; c < 10; c++)
                if (l[c] > l[best])
                    best = c;
            pred[s] = best;
            const size_t j = 2 * k + (size_t)s;
            p.digit[j] = j % 3 ? best : (uint8_t)((best + 1) % 10);
            right_digits += j % 3 != 0;
        }
        p.target[k] = (uint8_t)((pred[0] <= pred[1]) ^ (k % 4 == 1));
        right_pairs += k % 4 != 1;
    }
    double da = -1.0, aa = -1.0;
    pn_evaluate_digits(g, &p, &da, &aa);
    CHECK_MSG(da == (double)right_digits / (2.0 * NP) && aa == (double)right_pairs / NP,
              "%s: digit acc %.4f (want %.4f), argmax acc %.4f (want %.4f)", model, da,
              (double)right_digits / (2.0 * NP), aa, (double)right_pairs / NP);
    pn_pairs_free(&p);
    pn_graph_free(g);
}

static void evaluate_digits_matches_pairwise(void)
{
    evaluate_digits_by_pair("cnn_ws_al"); /* [2B,10] digit logits */
    evaluate_digits_by_pair("cnn_al");    /* [B,20] */
    evaluate_digits_by_pair("best");
    /* no digit logits: NaN */
    pn_model_opts o = {.aux_weight = 1.0f};
    pn_err err;
    pn_graph *g = pn_model_build(pn_model_find("mlp"), &o, 4, NULL, &err);
    pn_pairs p;
    if (g && pn_pairs_alloc(&p, 2) == 0) {
        memset(p.x, 0, 2 * 2 * PN_PIXELS * sizeof(float));
        memset(p.digit, 0, 4);
        memset(p.target, 1, 2);
        double da = 0.0, aa = 0.0;
        pn_evaluate_digits(g, &p, &da, &aa);
        CHECK(isnan(da) && isnan(aa));
        pn_pairs_free(&p);
    }
    CHECK(g != NULL);
    pn_graph_free(g);
}


/* The round's record is what evaluating the trained graph gives: the last
 * epoch's one pass over the test pairs yields the head's accuracy and the
 * digit accuracies both, with the numbers of separate evaluations. With
 * evaluation only at the end, the earlier epochs have none. */
static void round_record_matches_evaluation(void)
{
    if (!mnist())
        return;
    static const char *models[] = {"cnn_ws_al", "mlp"};
    for (size_t k = 0; k < 2; k++) {
        pn_train_cfg cfg;
        pn_round_data d;
        pn_err err;
        pn_train_cfg_default(&cfg, pn_model_find(models[k]));
        cfg.epochs = 2;
        cfg.eval_epochs = 0;
        if (pn_round_data_make(mnist(), cfg.n_pairs, 3, &d, &err) != PN_OK) {
            CHECK_MSG(0, "%s", err.msg);
            return;
        }
        pn_graph *g = NULL;
        pn_round_hooks hooks = {NULL, NULL, NULL, &g};
        pn_round_rec rec;
        int rc = pn_train_round(&d, &cfg, 3, NULL, &hooks, &rec, &err);
        CHECK_MSG(rc == PN_OK && g != NULL, "%s: %s", models[k], err.msg);
        if (rc == PN_OK && g) {
            CHECK(rec.n_epochs == 2 && isnan(rec.epochs[0].test_acc) &&
                  isnan(rec.epochs[0].train_acc));
            CHECK(rec.epochs[1].test_acc == rec.test_acc && rec.epochs[1].train_acc == rec.train_acc);
            const double train_acc = pn_evaluate(g, &d.train), test_acc = pn_evaluate(g, &d.test);
            double da, aa;
            pn_evaluate_digits(g, &d.test, &da, &aa);
            CHECK_MSG(rec.train_acc == train_acc && rec.test_acc == test_acc,
                      "%s: record train %.17g test %.17g, evaluation %.17g %.17g", models[k],
                      rec.train_acc, rec.test_acc, train_acc, test_acc);
            if (k == 0)
                CHECK_MSG(rec.digit_acc == da && rec.argmax_acc == aa && !isnan(da),
                          "%s: record digits %.17g argmax %.17g, evaluation %.17g %.17g",
                          models[k], rec.digit_acc, rec.argmax_acc, da, aa);
            else
                CHECK(isnan(rec.digit_acc) && isnan(rec.argmax_acc) && isnan(da));
        }
        pn_graph_free(g);
        pn_round_rec_free(&rec);
        pn_round_data_free(&d);
    }
}

/* A stop flag already set ends the round before its first batch: an
 * interruption, not a result, and no graph handed out. */
static void round_stops_on_flag(void)
{
    if (!mnist())
        return;
    pn_train_cfg cfg;
    pn_round_data d;
    pn_err err;
    pn_train_cfg_default(&cfg, pn_model_find("mlp"));
    if (pn_round_data_make(mnist(), cfg.n_pairs, 0, &d, &err) != PN_OK) {
        CHECK_MSG(0, "%s", err.msg);
        return;
    }
    atomic_int stop;
    atomic_init(&stop, 1);
    pn_graph *g = NULL;
    pn_round_hooks hooks = {NULL, NULL, &stop, &g};
    pn_round_rec rec;
    int rc = pn_train_round(&d, &cfg, 0, NULL, &hooks, &rec, &err);
    CHECK_MSG(rc == PN_ERR_INTERRUPTED && err.code == rc, "rc %d: %s", rc, err.msg);
    CHECK(g == NULL && rec.n_epochs == 0);
    pn_graph_free(g);
    pn_round_rec_free(&rec);
    pn_round_data_free(&d);
}

/* pn_checkpoint_save writes exactly the bytes of pn_checkpoint_encode (what
 * the fuzzer checks), and they parse back to the graph's values. */
static void checkpoint_save_is_encode(void)
{
    pn_train_cfg cfg;
    pn_train_cfg_default(&cfg, pn_model_find("cnn_ws_al"));
    pn_err err = {0, ""};
    pn_graph *g = pn_model_build(cfg.model, &cfg.mopts, 4, NULL, &err);
    CHECK_MSG(g != NULL, "%s", err.msg);
    if (!g)
        return;
    pn_rng r;
    pn_rng_seed(&r, 9, 0);
    pn_graph_init_params(g, &r);
    for (size_t i = 0; i < g->n_state; i++)
        g->state[i] = (float)i * 0.25f;
    uint8_t *bytes = NULL;
    size_t len = 0;
    CHECK(pn_checkpoint_encode(g, "cnn_ws_al", &cfg, 42, &bytes, &len, &err) == PN_OK);
    char path[600];
    snprintf(path, sizeof path, "%s/encode.ckpt", t_tmp_dir());
    CHECK_MSG(pn_checkpoint_save(path, g, "cnn_ws_al", &cfg, 42, &err) == PN_OK, "%s", err.msg);
    FILE *f = fopen(path, "rb");
    uint8_t *file = malloc(len + 1);
    size_t got = f && file ? fread(file, 1, len + 1, f) : 0;
    if (f)
        fclose(f);
    CHECK_MSG(bytes && got == len && memcmp(file, bytes, len) == 0,
              "the file (%zu bytes) is not the encoding (%zu bytes)", got, len);
    pn_checkpoint ck;
    CHECK(bytes && pn_checkpoint_parse(bytes, len, "encoded", &ck, &err) == PN_OK);
    if (bytes && err.code == 0) {
        CHECK(strcmp(ck.model, "cnn_ws_al") == 0 && ck.seed == 42 && ck.n_pairs == PN_PAIRS &&
              ck.batch == cfg.bs && ck.n_params == g->n_params && ck.n_state == g->n_state);
        CHECK(memcmp(ck.params, g->params, g->n_params * sizeof(float)) == 0);
        CHECK(memcmp(ck.state, g->state, g->n_state * sizeof(float)) == 0);
        pn_checkpoint_free(&ck);
    }
    free(file);
    free(bytes);
    pn_graph_free(g);
}

void suite_round(void)
{
    RUN(e2e_cnn_ws_al_learns);
    RUN(train_is_deterministic_per_seed);
    RUN(train_same_bits_for_any_threads);
    RUN(train_reports_divergence);
    RUN(train_best_same_bits_for_1_and_2_threads);
    RUN(train_best_each_option_takes_effect);
    RUN(evaluate_digits_matches_pairwise);
    RUN(round_record_matches_evaluation);
    RUN(round_stops_on_flag);
    RUN(checkpoint_save_is_encode);
    if (state == 1)
        pn_mnist_free(&m);
    state = 0;
}
