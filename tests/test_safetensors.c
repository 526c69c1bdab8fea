/* Safetensors: the strict JSON reader, the container (round trip and every
 * refusal), pairnet models in it (PyTorch names, round trip of every model
 * and of an ensemble, every refusal of the model layer), the .pn files of
 * earlier versions still loading, and a saved round evaluating to the
 * accuracy training printed. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/base/crc32.h"
#include "pairnet/base/file.h"
#include "pairnet/base/json_read.h"
#include "pairnet/base/safetensors.h"
#include "pairnet/train/checkpoint.h"
#include "pairnet/train/model_safetensors.h"
#include "pairnet/train/predict.h"
#include "pairnet/train/train.h"

/* ---- JSON ---- */

static void json_reads_strict_json(void)
{
    static const char doc[] = " {\"a\": [1, -2.5e+3, 0], \"b\": {\"c\": \"x\\u00e9\\ud83d\\ude00"
                              "\\n\\\"\"}, \"d\": true, \"e\": null, \"f\": false} ";
    pn_json_doc d;
    pn_err err = {0, ""};
    CHECK_MSG(pn_json_parse(doc, sizeof doc - 1, "doc", &d, &err) == PN_OK, "%s", err.msg);
    if (err.code)
        return;
    CHECK(d.v[0].type == PN_JSON_OBJECT && d.v[0].n == 5);
    const size_t a = pn_json_member(&d, 0, "a"), b = pn_json_member(&d, 0, "b");
    CHECK(a != (size_t)-1 && d.v[a].type == PN_JSON_ARRAY && d.v[a].n == 3);
    uint64_t v = 0;
    CHECK(pn_json_u64(&d.v[a + 1], &v) == 0 && v == 1);
    CHECK(pn_json_u64(&d.v[a + 2], &v) != 0); /* -2.5e+3: not a plain unsigned integer */
    CHECK(strcmp(d.v[a + 2].str, "-2.5e+3") == 0);
    const size_t c = pn_json_member(&d, b, "c");
    CHECK(c != (size_t)-1 && strcmp(d.v[c].str, "x\xc3\xa9\xf0\x9f\x98\x80\n\"") == 0);
    CHECK(d.v[pn_json_member(&d, 0, "d")].type == PN_JSON_TRUE);
    CHECK(d.v[pn_json_member(&d, 0, "f")].type == PN_JSON_FALSE);
    CHECK(pn_json_member(&d, 0, "zz") == (size_t)-1);
    pn_json_free(&d);
}

static void json_refuses_what_is_not_json(void)
{
    char deep[200] = "";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    static const char *const bad[] = {
        "",  "{", "{\"a\":1,}", "[1,]", "{\"a\":1 \"b\":2}", "{\"a\":1,\"a\":2}", "01", "+1",
        "1.", "1e", "-", "NaN", "Infinity", "\"abc", "\"a\tb\"", "\"\\x\"", "\"\\ud800\"",
        "\"\\udc00\"", "\"\\u12\"", "\"\xff\"", "\"\xc0\x80\"", "\"\xed\xa0\x80\"", "{} x",
        "tru", "nul", "{1:2}", "{\"k\\u0000\":1}", "[1 2]", NULL};
    for (int i = 0; bad[i] || i == 0; i++) {
        const char *s = bad[i] ? bad[i] : deep;
        pn_json_doc d;
        pn_err err = {0, ""};
        const int rc = pn_json_parse(s, strlen(s), "bad.json", &d, &err);
        CHECK_MSG(rc == PN_ERR_DATA && strstr(err.msg, "bad.json") && !strchr(err.msg, '\n'),
                  "'%s' was not refused cleanly (rc %d: %s)", s, rc, err.msg);
        CHECK(d.v == NULL && d.text == NULL);
        if (!bad[i])
            break;
    }
    pn_json_doc d;
    pn_err err = {0, ""};
    CHECK(pn_json_parse(deep, strlen(deep), "deep", &d, &err) == PN_ERR_DATA &&
          strstr(err.msg, "nested too deep"));
}

/* ---- the container ---- */

static void container_round_trip(void)
{
    const float w[6] = {1.5f, -2.0f, 0.0f, 3.25f, -0.0f, 1e-30f};
    const int64_t steps = 123456789012345LL;
    const uint8_t u[3] = {0, 200, 7};
    const pn_st_tensor t[] = {{"layer.weight", PN_ST_F32, 2, {2, 3}, w, 24},
                              {"n \"quoted\"\\", PN_ST_I64, 0, {0}, &steps, 8},
                              {"empty", PN_ST_F32, 2, {0, 5}, w, 0},
                              {"bytes", PN_ST_U8, 1, {3}, u, 3}};
    const pn_st_meta meta[] = {{"key", "value with \"quotes\", \\ and \n a newline"},
                               {"model", "mlp"}};
    uint8_t *buf = NULL;
    size_t len = 0;
    pn_err err = {0, ""};
    CHECK_MSG(pn_st_encode(t, 4, meta, 2, &buf, &len, &err) == PN_OK, "%s", err.msg);
    if (!buf)
        return;
    uint64_t hn = 0;
    for (int b = 7; b >= 0; b--)
        hn = hn << 8 | buf[b];
    CHECK((8 + hn) % 8 == 0 && buf[8] == '{' && len == 8 + hn + 24 + 8 + 0 + 3);
    pn_st_file f;
    CHECK_MSG(pn_st_parse(buf, len, "rt", &f, &err) == PN_OK, "%s", err.msg);
    if (err.code == 0) {
        CHECK(f.n == 4 && f.n_meta == 2);
        for (size_t i = 0; i < 4; i++) {
            const pn_st_tensor *g = pn_st_find(&f, t[i].name);
            CHECK_MSG(g && g->dtype == t[i].dtype && g->ndim == t[i].ndim &&
                          g->nbytes == t[i].nbytes &&
                          (!g->nbytes || memcmp(g->data, t[i].data, g->nbytes) == 0),
                      "tensor %s differs", t[i].name);
        }
        CHECK(pn_st_get_i64(pn_st_find(&f, t[1].name), 0) == steps);
        CHECK(pn_st_get_f32(pn_st_find(&f, "layer.weight"), 3) == 3.25f);
        CHECK(strcmp(pn_st_meta_get(&f, "key"), meta[0].val) == 0);
        CHECK(pn_st_meta_get(&f, "nope") == NULL);
        pn_st_free(&f);
    }
    free(buf);
}

/* A file of header h (padded to 8 with spaces) and n_data bytes of data
 * into out; its length. */
static size_t make_file(uint8_t *out, size_t cap, const char *h, size_t n_data)
{
    size_t hn = strlen(h);
    while ((8 + hn) % 8)
        hn++;
    if (8 + hn + n_data > cap)
        return 0;
    for (int b = 0; b < 8; b++)
        out[b] = (uint8_t)((uint64_t)hn >> (8 * b));
    memset(out + 8, ' ', hn);
    memcpy(out + 8, h, strlen(h));
    memset(out + 8 + hn, 0, n_data);
    return 8 + hn + n_data;
}

static void expect_refused(const uint8_t *buf, size_t len, const char *what, const char *needle)
{
    pn_st_file f;
    pn_err err = {0, ""};
    const int rc = pn_st_parse(buf, len, "bad.safetensors", &f, &err);
    CHECK_MSG(rc == PN_ERR_DATA && strstr(err.msg, needle) && !strchr(err.msg, '\n') &&
                  strstr(err.msg, "bad.safetensors"),
              "%s: rc %d, message '%s' (wanted '%s')", what, rc, err.msg, needle);
    CHECK(f.t == NULL && f.meta == NULL);
    if (rc == PN_OK)
        pn_st_free(&f);
}

#define E(name, dt, shape, a, b) \
    "\"" name "\":{\"dtype\":\"" dt "\",\"shape\":" shape ",\"data_offsets\":[" #a "," #b "]}"

static void container_refusals(void)
{
    static uint8_t buf[4096];
    static const struct {
        const char *what, *header;
        size_t data;
        const char *needle;
    } cases[] = {
        {"good", "{" E("a", "F32", "[2]", 0, 8) "," E("b", "U8", "[3]", 8, 11) "}", 11, NULL},
        {"bad JSON", "{\"a\":{\"dtype\":\"F32\",}}", 0, "invalid JSON"},
        {"duplicate tensor", "{" E("a", "F32", "[1]", 0, 4) "," E("a", "F32", "[1]", 4, 8) "}",
         8, "appears twice"},
        {"not an object", "{\"a\":[1]}", 0, "exactly dtype, shape and data_offsets"},
        {"extra field", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],"
                        "\"x\":1}}", 4, "exactly dtype"},
        {"missing field", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "exactly dtype"},
        {"unknown dtype", "{" E("a", "F33", "[1]", 0, 4) "}", 4, "unknown dtype"},
        {"float shape", "{" E("a", "F32", "[1.0]", 0, 4) "}", 4, "shape must be"},
        {"negative shape", "{" E("a", "F32", "[-1]", 0, 4) "}", 4, "shape must be"},
        {"too many dims", "{" E("a", "F32", "[1,1,1,1,1,1,1,1,1]", 0, 4) "}", 4,
         "shape must be"},
        {"shape vs offsets", "{" E("a", "F32", "[2]", 0, 4) "}", 4, "do not fill"},
        {"reversed offsets", "{" E("a", "F32", "[0]", 4, 0) "}", 4, "reversed"},
        {"three offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,4]}}",
         4, "two non-negative"},
        {"overlap", "{" E("a", "F32", "[2]", 0, 8) "," E("b", "F32", "[1]", 4, 8) "}", 8,
         "overlap"},
        {"hole", "{" E("a", "F32", "[1]", 0, 4) "," E("b", "F32", "[1]", 8, 12) "}", 12, "hole"},
        {"not from 0", "{" E("a", "F32", "[1]", 4, 8) "}", 8, "hole"},
        {"trailing bytes", "{" E("a", "F32", "[1]", 0, 4) "}", 5, "trailing bytes"},
        {"truncated data", "{" E("a", "F32", "[2]", 0, 8) "}", 4, "truncated"},
        {"metadata not strings", "{\"__metadata__\":{\"a\":1}}", 0, "not a string"},
        {"metadata not an object", "{\"__metadata__\":\"x\"}", 0, "object of strings"},
        {"header is an array", "[]", 0, "start with '{'"},
        {"leading space", " {}", 0, "start with '{'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const size_t len = make_file(buf, sizeof buf, cases[i].header, cases[i].data);
        CHECK(len > 0);
        if (!cases[i].needle) {
            pn_st_file f;
            pn_err err = {0, ""};
            CHECK_MSG(pn_st_parse(buf, len, "good", &f, &err) == PN_OK, "%s", err.msg);
            if (err.code == 0)
                pn_st_free(&f);
            continue;
        }
        expect_refused(buf, len, cases[i].what, cases[i].needle);
    }
    /* the length field itself */
    expect_refused(buf, 7, "7 bytes", "too short");
    uint8_t big[16] = {0};
    const uint64_t over = PN_ST_MAX_HEADER + 1;
    for (int b = 0; b < 8; b++)
        big[b] = (uint8_t)(over >> (8 * b));
    expect_refused(big, sizeof big, "header over 100 MB", "over the format's limit");
    big[0] = 9, big[1] = big[2] = big[3] = 0;
    expect_refused(big, sizeof big, "header past the end", "past the end");
}

/* ---- pairnet models ---- */

/* A graph of model cfg->model with distinct, deterministic values. */
static pn_graph *filled(const pn_train_cfg *cfg, float base)
{
    pn_err err = {0, ""};
    pn_graph *g = pn_model_build(cfg->model, &cfg->mopts, cfg->bs, NULL, &err);
    CHECK_MSG(g != NULL, "%s", err.msg);
    for (size_t i = 0; g && i < g->n_params; i++)
        g->params[i] = base + (float)i * 1e-3f;
    for (size_t i = 0; g && i < g->n_state; i++)
        g->state[i] = 0.5f + (float)i * 0.25f;
    return g;
}

static void layer_names_are_pytorch_names(void)
{
    char names[8192];
    pn_err err = {0, ""};
    pn_train_cfg cfg;
    pn_train_cfg_default(&cfg, pn_model_find("cnn_ws_al"));
    CHECK_MSG(pn_st_model_names(cfg.model, &cfg.mopts, 1, names, sizeof names, &err) == PN_OK,
              "%s", err.msg);
    const char *want = "tower.conv1.weight\ntower.conv1.bias\ntower.bn1.weight\n"
                       "tower.bn1.bias\ntower.bn1.running_mean\ntower.bn1.running_var\n"
                       "tower.bn1.num_batches_tracked\ntower.conv2.weight\n";
    CHECK_MSG(strncmp(names, want, strlen(want)) == 0, "cnn_ws_al names:\n%s", names);
    CHECK(strstr(names, "\nhead.fc2.bias\n") != NULL);
    pn_train_cfg_default(&cfg, pn_model_find("cnn_al"));
    CHECK(pn_st_model_names(cfg.model, &cfg.mopts, 2, names, sizeof names, &err) == PN_OK);
    CHECK(strncmp(names, "members.0.tower1.conv1.weight\n", 30) == 0);
    CHECK(strstr(names, "\nmembers.1.tower2.bn3.running_var\n") != NULL);
    pn_train_cfg_default(&cfg, pn_model_find("best"));
    cfg.mopts.prob_head = 1;
    CHECK(pn_st_model_names(cfg.model, &cfg.mopts, 1, names, sizeof names, &err) == PN_OK);
    CHECK(strstr(names, "head.") == NULL && strstr(names, "tower.fc2.bias") != NULL);
    /* every model: the names cover every parameter and statistic (or the
     * call fails), with the kinds the graph has */
    size_t n;
    const pn_model_info *ms = pn_model_list(&n);
    for (size_t i = 0; i < n; i++) {
        pn_train_cfg_default(&cfg, &ms[i]);
        CHECK_MSG(pn_st_model_names(&ms[i], &cfg.mopts, 1, names, sizeof names, &err) == PN_OK,
                  "%s: %s", ms[i].name, err.msg);
    }
}

/* Encodes k members of cfg's model, parses them back, compares. */
static void round_trip_model(pn_train_cfg *cfg, size_t k)
{
    pn_graph *gs[3] = {NULL, NULL, NULL};
    for (size_t m = 0; m < k; m++)
        gs[m] = filled(cfg, 0.1f * (float)(m + 1));
    uint8_t *buf = NULL;
    size_t len = 0;
    pn_err err = {0, ""};
    cfg->ensemble = k;
    CHECK_MSG(pn_st_model_encode(gs, k, cfg, 77, 0.75, 0.625, &buf, &len, &err) == PN_OK,
              "%s: %s", cfg->model->name, err.msg);
    pn_loaded_model lm;
    CHECK_MSG(buf && pn_st_model_parse(buf, len, "rt", &lm, &err) == PN_OK, "%s: %s",
              cfg->model->name, err.msg);
    if (buf && err.code == 0) {
        CHECK(lm.cfg.model == cfg->model && lm.seed == 77 && lm.k == k);
        CHECK(lm.cfg.bs == cfg->bs && lm.cfg.n_pairs == cfg->n_pairs && lm.cfg.tta == cfg->tta);
        CHECK(lm.cfg.decide == cfg->decide && lm.cfg.mopts.prob_head == cfg->mopts.prob_head);
        CHECK(lm.cfg.mopts.width == (cfg->mopts.width > 1 ? cfg->mopts.width : 1));
        CHECK(memcmp(&lm.cfg.mopts.aux_weight, &cfg->mopts.aux_weight, sizeof(float)) == 0);
        CHECK(lm.cfg.lr == cfg->lr && lm.cfg.ema == cfg->ema && lm.cfg.epochs == cfg->epochs);
        for (size_t m = 0; m < k; m++) {
            CHECK_MSG(memcmp(lm.g[m]->params, gs[m]->params,
                             gs[m]->n_params * sizeof(float)) == 0 &&
                          memcmp(lm.g[m]->state, gs[m]->state,
                                 gs[m]->n_state * sizeof(float)) == 0,
                      "%s member %zu: values differ after the round trip", cfg->model->name, m);
        }
        pn_loaded_model_free(&lm);
    }
    free(buf);
    for (size_t m = 0; m < k; m++)
        pn_graph_free(gs[m]);
}

static void every_model_round_trips(void)
{
    size_t n;
    const pn_model_info *ms = pn_model_list(&n);
    pn_train_cfg cfg;
    for (size_t i = 0; i < n; i++) {
        pn_train_cfg_default(&cfg, &ms[i]);
        round_trip_model(&cfg, 1);
    }
    /* best as its preset trains it: three members, five views, prob */
    pn_train_cfg_default(&cfg, pn_model_find("best"));
    CHECK(cfg.ensemble == 3 && cfg.tta == 5 && cfg.decide == PN_DECIDE_PROB && cfg.ema > 0);
    round_trip_model(&cfg, 3);
    cfg.mopts.prob_head = 1;
    cfg.mopts.width = 2;
    round_trip_model(&cfg, 2);
    /* a written file is exactly its encoding */
    pn_train_cfg_default(&cfg, pn_model_find("mlp"));
    pn_graph *g = filled(&cfg, 0.5f);
    char path[600];
    snprintf(path, sizeof path, "%s/m.safetensors", t_tmp_dir());
    pn_err err = {0, ""};
    uint8_t *buf = NULL;
    size_t len = 0, got = 0;
    CHECK(g && pn_st_model_save(path, &g, 1, &cfg, 3, NAN, NAN, &err) == PN_OK);
    CHECK(g && pn_st_model_encode(&g, 1, &cfg, 3, NAN, NAN, &buf, &len, &err) == PN_OK);
    char *file = pn_read_file(path, "model", 1 << 24, &got, NULL, &err);
    CHECK(file && buf && got == len && memcmp(file, buf, len) == 0);
    free(file);
    free(buf);
    pn_graph_free(g);
}

/* The valid mlp file's container, for the refusals to edit. */
typedef struct edit {
    pn_st_tensor t[64];
    size_t n;
    pn_st_meta meta[64];
    size_t n_meta;
    float nan_copy[256];
} edit;

/* Re-encodes e with a correct checksum (unless keep_sum) and parses it as
 * a model; expects a refusal mentioning needle. */
static void expect_model_refused(edit *e, const char *what, const char *needle, int keep_sum)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    pn_err err = {0, ""};
    CHECK_MSG(pn_st_encode(e->t, e->n, e->meta, e->n_meta, &buf, &len, &err) == PN_OK, "%s",
              err.msg);
    if (!buf)
        return;
    uint64_t hn = 0;
    for (int b = 7; b >= 0; b--)
        hn = hn << 8 | buf[b];
    char *at = NULL;
    for (size_t i = 8; !keep_sum && i + 14 < 8 + hn; i++)
        if (memcmp(buf + i, "crc32:", 6) == 0)
            at = (char *)buf + i + 6;
    if (at) {
        char hex[9];
        snprintf(hex, sizeof hex, "%08x", pn_crc32(0, buf + 8 + hn, len - 8 - (size_t)hn));
        memcpy(at, hex, 8);
    }
    pn_loaded_model lm;
    const int rc = pn_st_model_parse(buf, len, "bad.safetensors", &lm, &err);
    CHECK_MSG(rc == PN_ERR_DATA && strstr(err.msg, needle) && !strchr(err.msg, '\n'),
              "%s: rc %d, '%s' (wanted '%s')", what, rc, err.msg, needle);
    CHECK(lm.g == NULL);
    if (rc == PN_OK)
        pn_loaded_model_free(&lm);
    free(buf);
}

static void set_meta(edit *e, const char *key, const char *val)
{
    for (size_t i = 0; i < e->n_meta; i++)
        if (strcmp(e->meta[i].key, key) == 0) {
            if (val)
                e->meta[i].val = val;
            else
                e->meta[i] = e->meta[--e->n_meta];
            return;
        }
}

static void model_refusals(void)
{
    pn_train_cfg cfg;
    pn_train_cfg_default(&cfg, pn_model_find("mlp"));
    pn_graph *g = filled(&cfg, 0.25f);
    uint8_t *buf = NULL;
    size_t len = 0;
    pn_err err = {0, ""};
    CHECK(g && pn_st_model_encode(&g, 1, &cfg, 5, NAN, NAN, &buf, &len, &err) == PN_OK);
    pn_graph_free(g);
    pn_st_file f;
    if (!buf || pn_st_parse(buf, len, "good", &f, &err) != PN_OK) {
        CHECK_MSG(0, "%s", err.msg);
        free(buf);
        return;
    }
    static edit e0, e;
    e0.n = f.n;
    memcpy(e0.t, f.t, f.n * sizeof *f.t);
    e0.n_meta = f.n_meta;
    memcpy(e0.meta, f.meta, f.n_meta * sizeof *f.meta);
    /* the unedited copy is accepted: the refusals below are the edits' */
    e = e0;
    uint8_t *again = NULL;
    size_t again_len = 0;
    CHECK(pn_st_encode(e.t, e.n, e.meta, e.n_meta, &again, &again_len, &err) == PN_OK &&
          again_len == len && memcmp(again, buf, len) == 0);
    free(again);

    e = e0;
    set_meta(&e, "checksum", "crc32:12345678");
    expect_model_refused(&e, "bad checksum", "checksum", 1);
    e = e0;
    e.t[3] = e.t[--e.n];
    expect_model_refused(&e, "a missing tensor", "is missing", 0);
    e = e0;
    e.t[e.n] = e.t[0];
    e.t[e.n++].name = "fc9.weight";
    expect_model_refused(&e, "an extra tensor", "'fc9.weight' is not part of model mlp", 0);
    e = e0;
    e.t[0].shape[0] = 128, e.t[0].nbytes /= 2;
    expect_model_refused(&e, "a wrong shape", "F32 [128, 392], model mlp has it F32 [256, 392]",
                         0);
    e = e0;
    e.t[1].dtype = PN_ST_I32;
    expect_model_refused(&e, "a wrong dtype", "is I32 [256]", 0);
    e = e0;
    memcpy(e.nan_copy, e.t[1].data, 256 * sizeof(float));
    e.nan_copy[17] = NAN;
    e.t[1].data = e.nan_copy;
    expect_model_refused(&e, "a NaN weight", "NaN at 17", 0);
    e.nan_copy[17] = -INFINITY;
    expect_model_refused(&e, "an infinite weight", "an infinity at 17", 0);
    e = e0;
    set_meta(&e, "format", "something-else");
    expect_model_refused(&e, "another format", "not a pairnet model file", 0);
    e = e0;
    set_meta(&e, "model", "resnet");
    expect_model_refused(&e, "an unknown model", "'resnet' is not one", 0);
    e = e0;
    set_meta(&e, "bs", NULL);
    expect_model_refused(&e, "no batch size", "has no 'bs'", 0);
    e = e0;
    set_meta(&e, "tta", "7");
    expect_model_refused(&e, "tta 7", "tta 7", 0);
    e = e0;
    set_meta(&e, "model", "cnn");
    expect_model_refused(&e, "another model's tensors", "'conv1.weight' is missing", 0);
    e = e0;
    set_meta(&e, "decide", "vote");
    expect_model_refused(&e, "an unknown rule", "decide 'vote'", 0);
    e = e0;
    const int64_t neg = -1;
    e.t[6].data = &neg; /* bn1.num_batches_tracked */
    expect_model_refused(&e, "negative num_batches_tracked", "negative", 0);
    pn_st_free(&f);
    free(buf);
}

/* An old .pn checkpoint still loads through the one entry eval uses. */
static void pn_checkpoints_still_load(void)
{
    pn_train_cfg cfg;
    pn_train_cfg_default(&cfg, pn_model_find("cnn"));
    pn_graph *g = filled(&cfg, 0.125f);
    char path[600];
    snprintf(path, sizeof path, "%s/old.pn", t_tmp_dir());
    pn_err err = {0, ""};
    CHECK(g && pn_checkpoint_save(path, g, "cnn", &cfg, 9, &err) == PN_OK);
    pn_loaded_model lm;
    CHECK_MSG(pn_model_file_load(path, &lm, &err) == PN_OK, "%s", err.msg);
    if (err.code == 0) {
        CHECK(lm.k == 1 && lm.seed == 9 && lm.cfg.bs == cfg.bs && lm.cfg.tta == 1 &&
              lm.cfg.decide == PN_DECIDE_HEAD);
        CHECK(memcmp(lm.g[0]->params, g->params, g->n_params * sizeof(float)) == 0);
        pn_loaded_model_free(&lm);
    }
    pn_graph_free(g);
}

/* predict reads a safetensors file as it reads the same network's .pn: the
 * same answer, bit for bit; and an ensemble with its members and rule. */
static void predict_reads_safetensors(void)
{
    pn_train_cfg cfg;
    pn_train_cfg_default(&cfg, pn_model_find("cnn_ws_al"));
    pn_graph *g = filled(&cfg, 0.01f);
    char pn[600], st[600];
    snprintf(pn, sizeof pn, "%s/p.pn", t_tmp_dir());
    snprintf(st, sizeof st, "%s/p.safetensors", t_tmp_dir());
    pn_err err = {0, ""};
    CHECK(g && pn_checkpoint_save(pn, g, "cnn_ws_al", &cfg, 2, &err) == PN_OK);
    CHECK(g && pn_st_model_save(st, &g, 1, &cfg, 2, NAN, NAN, &err) == PN_OK);
    uint16_t a[PN_PIXELS], b[PN_PIXELS];
    for (size_t i = 0; i < PN_PIXELS; i++) {
        a[i] = (uint16_t)(i * 5 % 1021);
        b[i] = (uint16_t)(i * 7 % 1021);
    }
    pn_loaded_model p1, p2;
    pn_prediction r1, r2;
    CHECK_MSG(pn_model_file_load(pn, &p1, &err) == PN_OK, "%s", err.msg);
    CHECK_MSG(pn_model_file_load(st, &p2, &err) == PN_OK, "%s", err.msg);
    if (err.code == 0) {
        CHECK(pn_predict_pair(&p1, a, b, 30.0, 80.0, &r1, &err) == PN_OK);
        CHECK(pn_predict_pair(&p2, a, b, 30.0, 80.0, &r2, &err) == PN_OK);
        CHECK(p2.k == 1 && p2.seed == 2 && r1.p_le == r2.p_le && r1.answer == r2.answer &&
              memcmp(r1.prob, r2.prob, sizeof r1.prob) == 0);
        pn_loaded_model_free(&p1);
        pn_loaded_model_free(&p2);
    }
    pn_graph_free(g);
    pn_train_cfg_default(&cfg, pn_model_find("best"));
    pn_graph *gs[3] = {filled(&cfg, 0.01f), filled(&cfg, 0.02f), filled(&cfg, 0.03f)};
    CHECK(gs[2] && pn_st_model_save(st, gs, 3, &cfg, 2, NAN, NAN, &err) == PN_OK);
    CHECK_MSG(pn_model_file_load(st, &p2, &err) == PN_OK, "%s", err.msg);
    if (err.code == 0) {
        CHECK(p2.k == 3 && p2.cfg.decide == PN_DECIDE_PROB);
        CHECK(pn_predict_pair(&p2, a, b, 30.0, 80.0, &r2, &err) == PN_OK && r2.has_digits &&
              r2.p_le >= 0.0f && r2.p_le <= 1.0f);
        pn_loaded_model_free(&p2);
    }
    for (int i = 0; i < 3; i++)
        pn_graph_free(gs[i]);
}

/* A round trained, saved and loaded evaluates to the accuracy the round
 * reported, bit for bit, pair by pair too: one network, and best's
 * ensemble with its moving averages, views and rule. */
static void saved_round_evaluates_as_trained(void)
{
    const char *dir = t_data_dir();
    if (!dir)
        return;
    pn_mnist m;
    pn_err err = {0, ""};
    if (pn_mnist_load(dir, &m, &err) != PN_OK) {
        CHECK_MSG(0, "%s", err.msg);
        return;
    }
    static const char *const models[] = {"cnn_ws_al", "best"};
    for (int i = 0; i < 2; i++) {
        pn_train_cfg cfg;
        pn_train_cfg_default(&cfg, pn_model_find(models[i]));
        cfg.epochs = 1;
        cfg.n_pairs = 200;
        if (i == 1)
            cfg.ensemble = 2;
        pn_round_data d;
        CHECK(pn_round_data_make(&m, cfg.n_pairs, 4, &d, &err) == PN_OK);
        pn_graph *gs[2] = {NULL, NULL};
        pn_round_hooks hooks = {.keep = gs};
        pn_round_rec rec;
        CHECK_MSG(pn_train_round(&d, &cfg, 4, NULL, &hooks, &rec, &err) == PN_OK, "%s", err.msg);
        uint8_t *buf = NULL;
        size_t len = 0;
        pn_loaded_model lm;
        CHECK(pn_st_model_encode(gs, i ? 2 : 1, &cfg, 4, rec.train_acc, rec.test_acc, &buf,
                                 &len, &err) == PN_OK);
        CHECK_MSG(buf && pn_st_model_parse(buf, len, "saved", &lm, &err) == PN_OK, "%s",
                  err.msg);
        if (buf && err.code == 0) {
            const float fill = (float)(-d.mean / d.std);
            const double te = pn_evaluate_ensemble(lm.g, lm.k, lm.cfg.tta, lm.cfg.decide, fill,
                                                   &d.test);
            CHECK_MSG(te == rec.test_acc, "%s: saved model %.17g, training printed %.17g",
                      models[i], te, rec.test_acc);
            uint8_t ans[200];
            float margin[200];
            size_t right = 0;
            CHECK(pn_eval_answers(lm.g, lm.k, lm.cfg.tta, lm.cfg.decide, fill, &d.test, ans,
                                  margin) == 0);
            for (size_t p = 0; p < d.test.n; p++) {
                right += ans[p] == d.test.target[p];
                CHECK((margin[p] > 0) == (ans[p] == 1) || margin[p] == 0);
            }
            CHECK_MSG((double)right / (double)d.test.n == rec.test_acc,
                      "%s: the answers give %zu right of %zu, training %.4f", models[i], right,
                      d.test.n, rec.test_acc);
            pn_loaded_model_free(&lm);
        }
        free(buf);
        pn_graph_free(gs[0]);
        pn_graph_free(gs[1]);
        pn_round_rec_free(&rec);
        pn_round_data_free(&d);
    }
    pn_mnist_free(&m);
}

/* bench --save-models DIR through the binary: one file per round computed
 * (MODEL-seedSEED.safetensors), each of which `eval` answers with the test
 * accuracy runs.csv recorded for its round; a rerun that takes every round
 * from the store computes nothing and so saves nothing. */
static void bench_save_models_eval_as_recorded(void)
{
    const char *bin = getenv("PAIRNET_BIN"), *data = t_data_dir();
    if (!data)
        return;
    if (!bin || !*bin) {
        t_skip("PAIRNET_BIN is not set: run through make test");
        return;
    }
    const char *t = t_tmp_dir();
    char cmd[8192], path[4096], out[4096];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/sm' && '%s' bench --models mlp,cnn_ws_al --rounds 2 "
             "--epochs 1 --seed 3 --save-models '%s/sm/models' --out '%s/sm/out' --data '%s' "
             ">/dev/null 2>&1", t, bin, t, t, data);
    CHECK(t_sh(cmd) == 0);
    static char runs[1 << 16];
    snprintf(path, sizeof path, "%s/sm/out/runs.csv", t);
    t_read_file(path, runs, sizeof runs);
    static const char *const models[] = {"mlp", "cnn_ws_al"};
    for (int m = 0; m < 2; m++)
        for (int seed = 3; seed <= 4; seed++) {
            snprintf(cmd, sizeof cmd, "'%s' eval --load '%s/sm/models/%s-seed%d.safetensors' "
                     "--data '%s' >'%s/sm/eval.txt' 2>&1", bin, t, models[m], seed, data, t);
            CHECK_MSG(t_sh(cmd) == 0, "eval of %s seed %d failed", models[m], seed);
            snprintf(path, sizeof path, "%s/sm/eval.txt", t);
            t_read_file(path, out, sizeof out);
            /* runs.csv: model,round,seed,epoch,lr,loss,train_acc,test_acc,... */
            char row[64], want[64] = "";
            snprintf(row, sizeof row, "\n%s,%d,%d,1,", models[m], seed - 3, seed);
            const char *r = strstr(runs, row);
            double test = NAN;
            if (r && sscanf(r + strlen(row), "%*[^,],%*[^,],%*[^,],%lf", &test) == 1)
                snprintf(want, sizeof want, "test acc %.2f%%", 100.0 * test);
            CHECK_MSG(want[0] && strstr(out, want), "%s seed %d: eval said '%s', runs.csv %s",
                      models[m], seed, out, want[0] ? want : "has no such row");
        }
    snprintf(cmd, sizeof cmd, "rm -rf '%s/sm/models' && '%s' bench --models mlp,cnn_ws_al "
             "--rounds 2 --epochs 1 --seed 3 --save-models '%s/sm/models' --out '%s/sm/out' "
             "--data '%s' >/dev/null 2>&1 && test -z \"$(ls -A '%s/sm/models')\"", t, bin, t, t,
             data, t);
    CHECK_MSG(t_sh(cmd) == 0, "a bench that computed nothing saved something (or failed)");
}

void suite_safetensors(void)
{
    RUN(json_reads_strict_json);
    RUN(json_refuses_what_is_not_json);
    RUN(container_round_trip);
    RUN(container_refusals);
    RUN(layer_names_are_pytorch_names);
    RUN(every_model_round_trips);
    RUN(model_refusals);
    RUN(pn_checkpoints_still_load);
    RUN(predict_reads_safetensors);
    RUN(saved_round_evaluates_as_trained);
    RUN(bench_save_models_eval_as_recorded);
}
