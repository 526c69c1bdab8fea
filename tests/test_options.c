/* The table of training options: the round store keys it derives must be
 * the keys of the code before it, byte for byte (committed stores are
 * reused only then), for every model's defaults and for configurations
 * with options set. The literal keys below were captured from that code. */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/graph/graph.h"
#include "pairnet/models/models.h"
#include "pairnet/report/store.h"
#include "pairnet/train/train.h"

static void lr_big(pn_train_cfg *c) { c->lr = 0.1; }
static void lr_odd(pn_train_cfg *c) { c->lr = 0.1000000001; }
static void eval_final(pn_train_cfg *c) { c->eval_epochs = 0; }
static void study_opts(pn_train_cfg *c)
{
    c->momentum = 0.9;
    c->mopts.dropout = 0.25f;
    c->aug_swap = 1;
    c->aug_shift = 2;
    c->optimizer = PN_OPT_ADAMW;
}
static void cosine(pn_train_cfg *c) { c->lr_cosine = 1; }
static void elastic(pn_train_cfg *c) { c->warp.elastic = 8.0f; }
static void ema_width(pn_train_cfg *c)
{
    c->ema = 0.99;
    c->mopts.width = 2;
    c->decide = PN_DECIDE_ARGMAX;
}
/* the old key ignored the sigma without an elastic warp */
static void sigma_alone(pn_train_cfg *c) { c->warp.elastic_sigma = 3.0f; }
static void best_plain(pn_train_cfg *c)
{
    c->ensemble = 1;
    c->tta = 1;
    c->mopts.prob_head = 1;
    c->warp.elastic_sigma = 3.5f;
}

static const struct {
    const char *model;
    void (*edit)(pn_train_cfg *);
    const char *key;
} cases[] = {
    {"mlp", NULL,
     "model=mlp;epochs=45;lr=0.01;bs=100;opt=sgd;momentum=0;weight_decay=0"
     ";lr_step=15;lr_gamma=0.5;aux_weight=1;dropout=0;aug_swap=0"
     ";aug_repair=0;aug_shift=0;eval=epoch;pairs=1000;protocol=1;numeric=1"},
    {"cnn", NULL,
     "model=cnn;epochs=45;lr=0.01;bs=50;opt=sgd;momentum=0;weight_decay=0"
     ";lr_step=15;lr_gamma=0.5;aux_weight=1;dropout=0;aug_swap=0"
     ";aug_repair=0;aug_shift=0;eval=epoch;pairs=1000;protocol=1;numeric=1"},
    {"cnn_ws", NULL,
     "model=cnn_ws;epochs=45;lr=0.05;bs=50;opt=sgd;momentum=0;weight_decay=0"
     ";lr_step=15;lr_gamma=0.5;aux_weight=1;dropout=0;aug_swap=0"
     ";aug_repair=0;aug_shift=0;eval=epoch;pairs=1000;protocol=1;numeric=1"},
    {"cnn_al", NULL,
     "model=cnn_al;epochs=45;lr=0.05;bs=50;opt=sgd;momentum=0;weight_decay=0"
     ";lr_step=15;lr_gamma=0.5;aux_weight=1;dropout=0;aug_swap=0"
     ";aug_repair=0;aug_shift=0;eval=epoch;pairs=1000;protocol=1;numeric=1"},
    {"cnn_ws_al", NULL,
     "model=cnn_ws_al;epochs=45;lr=0.05;bs=100;opt=sgd;momentum=0"
     ";weight_decay=0;lr_step=15;lr_gamma=0.5;aux_weight=1;dropout=0"
     ";aug_swap=0;aug_repair=0;aug_shift=0;eval=epoch;pairs=1000;protocol=1"
     ";numeric=1"},
    {"best", NULL,
     "model=best;epochs=100;lr=0.001;bs=50;opt=adam;momentum=0"
     ";weight_decay=0;lr_step=25;lr_gamma=0.5;aux_weight=2;dropout=0.5"
     ";aug_swap=1;aug_repair=1;aug_shift=1;eval=epoch;pairs=1000;rotate=12"
     ";scale=0.1;shear=10;translate=0;elastic=0;elastic_sigma=0;ema=0.999"
     ";tta=5;ensemble=3;width=1;head=learned;decide=prob;lr_cosine=0"
     ";protocol=1;numeric=1"},
    {"cnn", sigma_alone,
     "model=cnn;epochs=45;lr=0.01;bs=50;opt=sgd;momentum=0;weight_decay=0"
     ";lr_step=15;lr_gamma=0.5;aux_weight=1;dropout=0;aug_swap=0"
     ";aug_repair=0;aug_shift=0;eval=epoch;pairs=1000;protocol=1;numeric=1"},
    {"cnn", lr_big,
     "model=cnn;epochs=45;lr=0.1;bs=50;opt=sgd;momentum=0;weight_decay=0"
     ";lr_step=15;lr_gamma=0.5;aux_weight=1;dropout=0;aug_swap=0"
     ";aug_repair=0;aug_shift=0;eval=epoch;pairs=1000;protocol=1;numeric=1"},
    {"cnn", lr_odd,
     "model=cnn;epochs=45;lr=0.1000000001;bs=50;opt=sgd;momentum=0"
     ";weight_decay=0;lr_step=15;lr_gamma=0.5;aux_weight=1;dropout=0"
     ";aug_swap=0;aug_repair=0;aug_shift=0;eval=epoch;pairs=1000;protocol=1"
     ";numeric=1"},
    {"cnn", eval_final,
     "model=cnn;epochs=45;lr=0.01;bs=50;opt=sgd;momentum=0;weight_decay=0"
     ";lr_step=15;lr_gamma=0.5;aux_weight=1;dropout=0;aug_swap=0"
     ";aug_repair=0;aug_shift=0;eval=final;pairs=1000;protocol=1;numeric=1"},
    {"cnn_ws_al", study_opts,
     "model=cnn_ws_al;epochs=45;lr=0.05;bs=100;opt=adamw;momentum=0.9"
     ";weight_decay=0;lr_step=15;lr_gamma=0.5;aux_weight=1;dropout=0.25"
     ";aug_swap=1;aug_repair=0;aug_shift=2;eval=epoch;pairs=1000;protocol=1"
     ";numeric=1"},
    {"mlp", cosine,
     "model=mlp;epochs=45;lr=0.01;bs=100;opt=sgd;momentum=0;weight_decay=0"
     ";lr_step=15;lr_gamma=0.5;aux_weight=1;dropout=0;aug_swap=0"
     ";aug_repair=0;aug_shift=0;eval=epoch;pairs=1000;rotate=0;scale=0"
     ";shear=0;translate=0;elastic=0;elastic_sigma=0;ema=0;tta=1;ensemble=1"
     ";width=1;head=learned;decide=head;lr_cosine=1;protocol=1;numeric=1"},
    {"cnn", elastic,
     "model=cnn;epochs=45;lr=0.01;bs=50;opt=sgd;momentum=0;weight_decay=0"
     ";lr_step=15;lr_gamma=0.5;aux_weight=1;dropout=0;aug_swap=0"
     ";aug_repair=0;aug_shift=0;eval=epoch;pairs=1000;rotate=0;scale=0"
     ";shear=0;translate=0;elastic=8;elastic_sigma=0;ema=0;tta=1;ensemble=1"
     ";width=1;head=learned;decide=head;lr_cosine=0;protocol=1;numeric=1"},
    {"cnn_al", ema_width,
     "model=cnn_al;epochs=45;lr=0.05;bs=50;opt=sgd;momentum=0;weight_decay=0"
     ";lr_step=15;lr_gamma=0.5;aux_weight=1;dropout=0;aug_swap=0"
     ";aug_repair=0;aug_shift=0;eval=epoch;pairs=1000;rotate=0;scale=0"
     ";shear=0;translate=0;elastic=0;elastic_sigma=0;ema=0.99;tta=1"
     ";ensemble=1;width=2;head=learned;decide=argmax;lr_cosine=0;protocol=1"
     ";numeric=1"},
    {"best", best_plain,
     "model=best;epochs=100;lr=0.001;bs=50;opt=adam;momentum=0"
     ";weight_decay=0;lr_step=25;lr_gamma=0.5;aux_weight=2;dropout=0.5"
     ";aug_swap=1;aug_repair=1;aug_shift=1;eval=epoch;pairs=1000;rotate=12"
     ";scale=0.1;shear=10;translate=0;elastic=0;elastic_sigma=3.5;ema=0.999"
     ";tta=1;ensemble=1;width=1;head=prob;decide=prob;lr_cosine=0;protocol=1"
     ";numeric=1"},
    {"best", eval_final,
     "model=best;epochs=100;lr=0.001;bs=50;opt=adam;momentum=0"
     ";weight_decay=0;lr_step=25;lr_gamma=0.5;aux_weight=2;dropout=0.5"
     ";aug_swap=1;aug_repair=1;aug_shift=1;eval=final;pairs=1000;rotate=12"
     ";scale=0.1;shear=10;translate=0;elastic=0;elastic_sigma=0;ema=0.999"
     ";tta=5;ensemble=3;width=1;head=learned;decide=prob;lr_cosine=0"
     ";protocol=1;numeric=1"},
    {"best", study_opts,
     "model=best;epochs=100;lr=0.001;bs=50;opt=adamw;momentum=0.9"
     ";weight_decay=0;lr_step=25;lr_gamma=0.5;aux_weight=2;dropout=0.25"
     ";aug_swap=1;aug_repair=1;aug_shift=2;eval=epoch;pairs=1000;rotate=12"
     ";scale=0.1;shear=10;translate=0;elastic=0;elastic_sigma=0;ema=0.999"
     ";tta=5;ensemble=3;width=1;head=learned;decide=prob;lr_cosine=0"
     ";protocol=1;numeric=1"},
};

static void options_store_keys_unchanged(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pn_train_cfg c;
        pn_train_cfg_default(&c, pn_model_find(cases[i].model));
        if (cases[i].edit)
            cases[i].edit(&c);
        char *key = NULL;
        pn_err err = {0, ""};
        CHECK_MSG(pn_store_key_of(&c, &key, &err) == PN_OK && key, "%s", err.msg);
        CHECK_MSG(key && strcmp(key, cases[i].key) == 0, "case %zu (%s): key\n  %s\nwant\n  %s",
                  i, cases[i].model, key ? key : "(none)", cases[i].key);
        free(key);
    }
}

/* The run summary and `pairnet models` say what the table's rows say: the
 * study's settings (a flag when on), best's as what its preset changes, and
 * what goes beyond the study only when on. */
static void options_summary_from_table(void)
{
    pn_model_info plain = *pn_model_find("best");
    plain.preset = NULL;
    pn_train_cfg best, spec;
    pn_train_cfg_default(&best, pn_model_find("best"));
    pn_train_cfg_default(&spec, &plain);
    char text[512];
    pn_train_cfg_study_text(&spec, NULL, 1, text, sizeof text);
    CHECK_MSG(strncmp(text, "45 epochs, lr 0.001, batch 50, sgd, momentum 0, ", 48) == 0 &&
                  !strstr(text, "swap") && strstr(text, ", lr decay x0.5, "), "%s", text);
    pn_train_cfg_study_text(&best, &spec, 0, text, sizeof text);
    CHECK_MSG(strcmp(text, "100 epochs, adam, lr decay every 25 epochs, aux weight 2, dropout "
                           "0.5, swap, re-pair, shift 1 px") == 0, "%s", text);
    pn_train_cfg_extras(&spec, text, sizeof text);
    CHECK_MSG(text[0] == '\0', "%s", text);
    spec.warp.elastic_sigma = 3.0f; /* acts only with an elastic warp */
    spec.eval_epochs = 0;
    pn_train_cfg_extras(&spec, text, sizeof text);
    CHECK_MSG(text[0] == '\0', "%s", text);
    pn_train_cfg_study_text(&spec, NULL, 0, text, sizeof text);
    CHECK_MSG(strstr(text, ", test evaluated after the last epoch only, ") &&
                  !strstr(text, "lr 0.001"), "%s", text);
    spec.warp.elastic = 8.0f;
    spec.tta = 0; /* 0 views is one, as 1 */
    pn_train_cfg_extras(&spec, text, sizeof text);
    CHECK_MSG(strcmp(text, "elastic alpha 8, sigma 3") == 0, "%s", text);
    pn_train_cfg_extras(&best, text, sizeof text);
    CHECK_MSG(strcmp(text, "rotate 12 deg, scale 0.1, shear 10 deg, weights averaged (ema "
                           "0.999), tta 5 views, ensemble of 3, decide prob") == 0, "%s", text);
}

/* --label-smoothing reaches every cross-entropy loss of the model (the head's
 * and the two auxiliary digit losses of cnn_al), and the store key only when
 * on: at 0 the key is the one above. */
static void options_label_smoothing_every_loss_and_key(void)
{
    pn_train_cfg c;
    pn_train_cfg_default(&c, pn_model_find("cnn_al"));
    c.mopts.label_smoothing = 0.1f;
    pn_err err = {0, ""};
    pn_graph *g = pn_model_build(c.model, &c.mopts, 4, NULL, &err);
    CHECK_MSG(g != NULL, "%s", err.msg);
    size_t losses = 0, smoothed = 0;
    for (size_t i = 0; g && i < g->n_nodes; i++)
        if (g->nodes[i].op == PN_OP_CROSS_ENTROPY) {
            losses++;
            smoothed += g->nodes[i].p.ce.smoothing == 0.1f;
        }
    CHECK_MSG(losses == 3 && smoothed == 3, "%zu of %zu losses smoothed", smoothed, losses);
    pn_graph_free(g);
    char *key = NULL;
    CHECK(pn_store_key_of(&c, &key, &err) == PN_OK && key);
    CHECK_MSG(key && strstr(key, ";pairs=1000;label_smoothing=0.1;protocol=1;"), "%s",
              key ? key : "");
    free(key);
    c.mopts.label_smoothing = 0.0f;
    CHECK(pn_store_key_of(&c, &key, &err) == PN_OK && key);
    CHECK_MSG(key && !strstr(key, "smoothing"), "%s", key ? key : "");
    free(key);
}

/* `pairnet train ARGS` into out/err files of the scratch folder; its exit
 * status, and its stdout and stderr in the buffers. */
static int train(const char *args, char *out, size_t out_cap, char *err, size_t err_cap)
{
    char cmd[2048], fo[512], fe[512];
    snprintf(fo, sizeof fo, "%s/options.out", t_tmp_dir());
    snprintf(fe, sizeof fe, "%s/options.err", t_tmp_dir());
    snprintf(cmd, sizeof cmd, "'%s' train %s >'%s' 2>'%s' </dev/null", getenv("PAIRNET_BIN"),
             args, fo, fe);
    const int st = t_sh(cmd);
    t_read_file(fo, out, out_cap);
    t_read_file(fe, err, err_cap);
    return st;
}

/* The last epoch's loss in train's output (the line after the epoch header). */
static double last_loss(const char *out)
{
    const char *at = strstr(out, "\n    1  ");
    return at ? strtod(at + 8, NULL) : -1.0;
}

/* Through the binary: --label-smoothing parses, is refused outside [0, 1)
 * naming itself and the range, shows in --help and the run summary, changes
 * the loss, and at 0 trains the same bits as without it. */
static void options_label_smoothing_cli(void)
{
    const char *bin = getenv("PAIRNET_BIN"), *data = t_data_dir();
    if (!bin || !*bin) {
        t_skip("needs PAIRNET_BIN (run through make test)");
        return;
    }
    static char out[65536], err[4096];
    static const char *bad[] = {"1", "-0.1", "1.5", "x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char args[256];
        snprintf(args, sizeof args, "--model mlp --label-smoothing %s --data /nonexistent", bad[i]);
        const int st = train(args, out, sizeof out, err, sizeof err);
        CHECK_MSG(st == 2 && strstr(err, "--label-smoothing") &&
                      strchr(err, '\n') == err + strlen(err) - 1 &&
                      (strcmp(bad[i], "x") == 0 || strstr(err, "[0, 1)")),
                  "--label-smoothing %s: exit %d, %s", bad[i], st, err);
    }
    train("--help", out, sizeof out, err, sizeof err);
    CHECK_MSG(strstr(out, "--label-smoothing EPS") && strstr(out, "(default: 0)"), "%s", out);
    if (!data)
        return;
    double loss[3];
    static const char *eps[] = {"", "--label-smoothing 0", "--label-smoothing 0.1"};
    for (size_t i = 0; i < 3; i++) {
        char args[512];
        snprintf(args, sizeof args, "--model mlp --epochs 1 --eval-final --data '%s' %s", data,
                 eps[i]);
        CHECK_MSG(train(args, out, sizeof out, err, sizeof err) == 0, "%s: %s", args, err);
        loss[i] = last_loss(out);
        if (i == 2)
            CHECK_MSG(strstr(out, "beyond the study: label smoothing 0.1"), "%s", out);
    }
    CHECK_MSG(loss[0] > 0 && loss[0] == loss[1] && loss[2] != loss[0],
              "loss %.9g without, %.9g at 0, %.9g at 0.1", loss[0], loss[1], loss[2]);
}

void suite_options(void)
{
    RUN(options_store_keys_unchanged);
    RUN(options_summary_from_table);
    RUN(options_label_smoothing_every_loss_and_key);
    RUN(options_label_smoothing_cli);
}
