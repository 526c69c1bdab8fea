/* A trained model as a safetensors file (model_safetensors.h): which
 * tensors a model has (from its builder's graph and its layer names), the
 * metadata, and both directions. */
#include "pairnet/train/model_safetensors.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/base/crc32.h"
#include "pairnet/base/file.h"
#include "pairnet/base/parse.h"
#include "pairnet/base/safetensors.h"

/* Where a tensor's values live in a network. */
enum { SRC_PARAMS, SRC_STATE, SRC_STEPS };

#define NAME_CAP 64

/* One tensor of one network: its name, dtype and shape, and where its
 * values are (an offset into the graph's params or state). */
typedef struct spec {
    char name[NAME_CAP];
    pn_st_dtype dtype;
    size_t ndim;
    uint64_t shape[4];
    int src;
    size_t off, count;
} spec;

typedef struct spec_list {
    spec *s;
    size_t n, cap;
    size_t n_params, n_state; /* what the specs cover */
} spec_list;

static int add(spec_list *l, const char *layer, const char *what, pn_st_dtype dt, size_t ndim,
               const uint64_t *shape, int src, size_t off)
{
    if (l->n == l->cap) {
        const size_t cap = l->cap ? 2 * l->cap : 32;
        spec *s = realloc(l->s, cap * sizeof *s);
        if (!s)
            return -1;
        l->s = s;
        l->cap = cap;
    }
    spec *t = &l->s[l->n++];
    snprintf(t->name, NAME_CAP, "%s.%s", layer, what);
    t->dtype = dt;
    t->ndim = ndim;
    t->count = 1;
    for (size_t d = 0; d < ndim; d++)
        t->count *= (size_t)(t->shape[d] = shape[d]);
    t->src = src;
    t->off = off;
    if (src == SRC_PARAMS)
        l->n_params += t->count;
    else if (src == SRC_STATE)
        l->n_state += t->count;
    return 0;
}

/* The kind a layer name says ("tower.conv2" -> "conv"): its last
 * component without the digits. */
static int kind_is(const char *layer, const char *kind)
{
    const char *dot = strrchr(layer, '.');
    const char *last = dot ? dot + 1 : layer;
    return strncmp(last, kind, strlen(kind)) == 0;
}

/* The tensors of node n, named layer. 0, -1 out of memory, -2 when the
 * name's kind is not the node's op. */
static int node_specs(spec_list *l, const pn_node *n, const char *layer)
{
    int rc = 0;
    if (n->op == PN_OP_CONV2D || n->op == PN_OP_LINEAR) {
        const int conv = n->op == PN_OP_CONV2D;
        if (!kind_is(layer, conv ? "conv" : "fc"))
            return -2;
        const uint64_t w4[4] = {n->p.conv.cout, n->p.conv.cin, n->p.conv.k, n->p.conv.k};
        const uint64_t w2[2] = {n->p.linear.out_f, n->p.linear.in_f};
        const uint64_t out = conv ? w4[0] : w2[0];
        rc |= add(l, layer, "weight", PN_ST_F32, conv ? 4 : 2, conv ? w4 : w2, SRC_PARAMS,
                  n->w_off);
        rc |= add(l, layer, "bias", PN_ST_F32, 1, &out, SRC_PARAMS, n->b_off);
        return rc;
    }
    if (n->op != PN_OP_BATCHNORM && n->op != PN_OP_BATCHNORM2D)
        return -2;
    if (!kind_is(layer, "bn"))
        return -2;
    const uint64_t c = n->c;
    rc |= add(l, layer, "weight", PN_ST_F32, 1, &c, SRC_PARAMS, n->w_off);
    rc |= add(l, layer, "bias", PN_ST_F32, 1, &c, SRC_PARAMS, n->b_off);
    rc |= add(l, layer, "running_mean", PN_ST_F32, 1, &c, SRC_STATE, n->s_off);
    rc |= add(l, layer, "running_var", PN_ST_F32, 1, &c, SRC_STATE, n->s_off + n->c);
    rc |= add(l, layer, "num_batches_tracked", PN_ST_I64, 0, NULL, SRC_STEPS, 0);
    return rc;
}

/* The tensors of one network of model m, in node order (the order of the
 * flat parameter array), from its builder's graph before fusion, where
 * every layer is still its own node. */
static int network_specs(const pn_model_info *m, const pn_model_opts *o, spec_list *l,
                         pn_err *err)
{
    memset(l, 0, sizeof *l);
    size_t n_names;
    const char *const *names = pn_model_layers(m, o, &n_names);
    pn_graph *g = pn_graph_new();
    if (g)
        m->build(g, o);
    int rc = !g || g->failed ? -1 : 0;
    size_t layer = 0;
    for (size_t i = 0; rc == 0 && i < g->n_nodes; i++) {
        const pn_node *n = &g->nodes[i];
        if (n->w_off == PN_NONE && n->s_off == PN_NONE)
            continue;
        rc = layer < n_names ? node_specs(l, n, names[layer++]) : -2;
    }
    if (rc == 0 && (layer != n_names || l->n_params != g->n_params || l->n_state != g->n_state))
        rc = -2;
    pn_graph_free(g);
    if (rc == 0)
        return PN_OK;
    free(l->s);
    memset(l, 0, sizeof *l);
    return rc == -1 ? pn_fail(err, PN_ERR_RUNTIME, "out of memory listing the tensors of %s",
                              m->name)
                    : pn_fail(err, PN_ERR_RUNTIME, "model %s: its layer names do not match "
                              "the layers its builder adds (a bug: fix pn_layers_* in "
                              "src/models/)", m->name);
}

/* The tensor name of spec s of member mi of k. */
static void member_name(char *out, size_t cap, const spec *s, size_t mi, size_t k)
{
    if (k > 1)
        snprintf(out, cap, "members.%zu.%s", mi, s->name);
    else
        snprintf(out, cap, "%s", s->name);
}

int pn_st_model_names(const pn_model_info *m, const pn_model_opts *o, size_t k, char *out,
                      size_t cap, pn_err *err)
{
    spec_list l;
    int rc = network_specs(m, o, &l, err);
    if (rc != PN_OK)
        return rc;
    size_t used = 0;
    out[0] = '\0';
    for (size_t mi = 0; mi < k; mi++)
        for (size_t i = 0; i < l.n && used < cap; i++) {
            char name[NAME_CAP + 32];
            member_name(name, sizeof name, &l.s[i], mi, k);
            const int w = snprintf(out + used, cap - used, "%s\n", name);
            used += w > 0 ? (size_t)w : 0;
        }
    free(l.s);
    return used < cap ? PN_OK : pn_fail(err, PN_ERR_RUNTIME, "tensor names: buffer too small");
}

/* ---- writing ---- */

enum { META_MAX = PN_N_TOPTS + 12, META_VAL = 48 };

typedef struct meta_out {
    pn_st_meta m[META_MAX];
    char val[META_MAX][META_VAL];
    size_t n;
} meta_out;

static void meta_add(meta_out *mo, const char *key, const char *fmt, ...) PN_PRINTF(3, 4);

static void meta_add(meta_out *mo, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(mo->val[mo->n], META_VAL, fmt, ap);
    va_end(ap);
    mo->m[mo->n] = (pn_st_meta){key, mo->val[mo->n]};
    mo->n++;
}

/* The placeholder the checksum is written over once the data is laid out
 * (the same length, so no offset moves). */
#define CHECKSUM_ZERO "crc32:00000000"

/* Option id of c as metadata: a choice by its name, a float as %.9g, any
 * other number as %.17g (each reads back to the same bits), and 0 where it
 * stands for another value (tta, ensemble, width) as that value. */
static void option_text(const pn_train_cfg *c, pn_topt_id id, char *out, size_t cap)
{
    const pn_train_opt *d = &pn_train_opts[id];
    double v = pn_topt_get(c, id);
    if (v == 0.0 && d->zero != 0.0)
        v = d->zero;
    if (d->kind == PN_TOPT_C)
        snprintf(out, cap, "%s", d->names((int)v));
    else
        snprintf(out, cap, d->kind == PN_TOPT_F ? "%.9g" : "%.17g", v);
}

static void metadata(meta_out *mo, const pn_train_cfg *cfg, size_t k, uint64_t seed,
                     double train_acc, double test_acc)
{
    mo->n = 0;
    meta_add(mo, "format", "%s", PN_ST_FORMAT);
    meta_add(mo, "model", "%s", cfg->model->name);
    meta_add(mo, "seed", "%llu", (unsigned long long)seed);
    /* every training option by its round-store key, so that the file says
     * how it was made and eval rebuilds the networks as they were */
    pn_train_cfg c = *cfg;
    c.ensemble = k;
    for (int id = 0; id < PN_N_TOPTS; id++) {
        char v[META_VAL];
        option_text(&c, (pn_topt_id)id, v, sizeof v);
        meta_add(mo, pn_train_opts[id].key, "%s", v);
    }
    meta_add(mo, "protocol_version", "%d", PN_PROTOCOL_VERSION);
    meta_add(mo, "numeric_version", "%d", PN_NUMERIC_VERSION);
    if (!isnan(train_acc))
        meta_add(mo, "train_acc", "%.17g", train_acc);
    if (!isnan(test_acc))
        meta_add(mo, "test_acc", "%.17g", test_acc);
    meta_add(mo, "checksum", "%s", CHECKSUM_ZERO);
}

/* Writes the data section's CRC-32 over the placeholder in the header. */
static int put_checksum(uint8_t *buf, size_t len, pn_err *err)
{
    uint64_t hn = 0;
    for (int b = 7; b >= 0; b--)
        hn = hn << 8 | buf[b];
    static const char key[] = "\"checksum\":\"" CHECKSUM_ZERO "\"";
    const size_t kl = sizeof key - 1;
    char *h = (char *)buf + 8;
    for (size_t at = 0; at + kl <= hn; at++)
        if (memcmp(h + at, key, kl) == 0) {
            char hex[9];
            snprintf(hex, sizeof hex, "%08x", pn_crc32(0, buf + 8 + hn, len - 8 - (size_t)hn));
            memcpy(h + at + kl - 9, hex, 8);
            return PN_OK;
        }
    return pn_fail(err, PN_ERR_RUNTIME, "safetensors writer: no checksum placeholder (a bug)");
}

int pn_st_model_encode(pn_graph *const *gs, size_t k, const pn_train_cfg *cfg, uint64_t seed,
                       double train_acc, double test_acc, uint8_t **out, size_t *out_len,
                       pn_err *err)
{
    *out = NULL;
    *out_len = 0;
    spec_list l;
    int rc = network_specs(cfg->model, &cfg->mopts, &l, err);
    if (rc != PN_OK)
        return rc;
    /* PyTorch counts the training batches a BatchNorm saw */
    const int64_t steps = (int64_t)(cfg->epochs * ((cfg->n_pairs + cfg->bs - 1) / cfg->bs));
    pn_st_tensor *t = calloc(k * l.n + 1, sizeof *t);
    char (*names)[NAME_CAP + 32] = calloc(k * l.n + 1, sizeof *names);
    if (!t || !names)
        rc = pn_fail(err, PN_ERR_RUNTIME, "out of memory writing a model file");
    for (size_t mi = 0; rc == PN_OK && mi < k; mi++) {
        if (gs[mi]->n_params != l.n_params || gs[mi]->n_state != l.n_state) {
            rc = pn_fail(err, PN_ERR_RUNTIME, "member %zu is not a %s network (a bug)", mi,
                         cfg->model->name);
            break;
        }
        for (size_t i = 0; i < l.n; i++) {
            const spec *s = &l.s[i];
            pn_st_tensor *o = &t[mi * l.n + i];
            member_name(names[mi * l.n + i], sizeof names[0], s, mi, k);
            *o = (pn_st_tensor){.name = names[mi * l.n + i], .dtype = s->dtype,
                                .ndim = s->ndim, .nbytes = s->count * pn_st_dtype_size(s->dtype)};
            memcpy(o->shape, s->shape, sizeof s->shape);
            o->data = s->src == SRC_PARAMS  ? (const void *)(gs[mi]->params + s->off)
                      : s->src == SRC_STATE ? (const void *)(gs[mi]->state + s->off)
                                            : (const void *)&steps;
        }
    }
    meta_out mo;
    metadata(&mo, cfg, k, seed, train_acc, test_acc);
    if (rc == PN_OK)
        rc = pn_st_encode(t, k * l.n, mo.m, mo.n, out, out_len, err);
    if (rc == PN_OK && (rc = put_checksum(*out, *out_len, err)) != PN_OK) {
        free(*out);
        *out = NULL;
        *out_len = 0;
    }
    free(names);
    free(t);
    free(l.s);
    return rc;
}

int pn_st_model_save(const char *path, pn_graph *const *gs, size_t k, const pn_train_cfg *cfg,
                     uint64_t seed, double train_acc, double test_acc, pn_err *err)
{
    uint8_t *buf;
    size_t len;
    int rc = pn_st_model_encode(gs, k, cfg, seed, train_acc, test_acc, &buf, &len, err);
    if (rc == PN_OK)
        rc = pn_write_atomic(path, buf, len, err);
    free(buf);
    return rc;
}

/* ---- reading ---- */

/* What a refusal of the metadata adds. */
#define REMAKE "(the file was not written by this pairnet's train --save, or was edited)"

/* The metadata value of key, required. */
static int meta_str(const pn_st_file *f, const char *key, const char *name, const char **out,
                    pn_err *err)
{
    *out = pn_st_meta_get(f, key);
    if (!*out)
        return pn_fail(err, PN_ERR_DATA, "%s: __metadata__ has no '%s' " REMAKE, name, key);
    return PN_OK;
}

/* The options eval needs to rebuild the networks and answer as the round
 * did: a file without one is refused; any other missing option keeps its
 * default (a file written before the option existed). */
static int needed(pn_topt_id id)
{
    return id == PN_TOPT_BS || id == PN_TOPT_N_PAIRS || id == PN_TOPT_WIDTH ||
           id == PN_TOPT_HEAD || id == PN_TOPT_ENSEMBLE || id == PN_TOPT_TTA ||
           id == PN_TOPT_DECIDE || id == PN_TOPT_DROPOUT;
}

/* The model, the round's options and seed from the metadata into lm. */
static int read_meta(const pn_st_file *f, const char *name, pn_loaded_model *lm, pn_err *err)
{
    const char *fmt = pn_st_meta_get(f, "format"), *model, *seed;
    if (!fmt || strcmp(fmt, PN_ST_FORMAT) != 0)
        return pn_fail(err, PN_ERR_DATA, "%s: not a pairnet model file (__metadata__ format is "
                       "'%.40s', expected '%s'; write one with pairnet train --save "
                       "FILE.safetensors)", name, fmt ? fmt : "missing", PN_ST_FORMAT);
    int rc = meta_str(f, "model", name, &model, err);
    if (rc != PN_OK)
        return rc;
    const pn_model_info *m = pn_model_find(model);
    if (!m)
        return pn_fail(err, PN_ERR_DATA, "%s: model '%.40s' is not one this pairnet has "
                       "(models: %s)", name, model, pn_model_names());
    if ((rc = meta_str(f, "seed", name, &seed, err)) == PN_OK &&
        pn_parse_u64("seed", seed, &lm->seed, err) != PN_OK)
        rc = pn_fail(err, PN_ERR_DATA, "%s: __metadata__ seed '%.40s' is not an unsigned "
                     "integer " REMAKE, name, seed);
    pn_train_cfg_default(&lm->cfg, m);
    for (int id = 0; rc == PN_OK && id < PN_N_TOPTS; id++) {
        const char *key = pn_train_opts[id].key, *v = pn_st_meta_get(f, key);
        if (!v && needed((pn_topt_id)id))
            rc = meta_str(f, key, name, &v, err);
        else if (v && pn_topt_parse(&lm->cfg, (pn_topt_id)id, v, err) != PN_OK)
            rc = pn_fail(err, PN_ERR_DATA, "%s: __metadata__ %s '%.40s' is not a value of that "
                         "option " REMAKE, name, key, v);
    }
    if (rc != PN_OK)
        return rc;
    const pn_train_cfg *c = &lm->cfg;
    if ((c->tta != 1 && c->tta != 5 && c->tta != 9) || c->bs < 2 || c->n_pairs % c->bs == 1)
        return pn_fail(err, PN_ERR_DATA, "%s: __metadata__ tta %zu or batch %zu (of %zu pairs) "
                       "is one training cannot have " REMAKE, name, c->tta, c->bs, c->n_pairs);
    lm->k = c->ensemble;
    return PN_OK;
}

static int check_sum(const pn_st_file *f, const char *name, pn_err *err)
{
    const char *v;
    int rc = meta_str(f, "checksum", name, &v, err);
    if (rc != PN_OK)
        return rc;
    char want[16];
    snprintf(want, sizeof want, "crc32:%08x", pn_crc32(0, f->data, f->data_len));
    if (strcmp(v, want) != 0)
        return pn_fail(err, PN_ERR_DATA, "%s: the tensors' checksum is %s, the metadata says "
                       "'%.40s': the file is corrupt (copy or write it again)", name, want, v);
    return PN_OK;
}

/* "F32 [32, 1, 3, 3]" */
static void shape_str(char *out, size_t cap, pn_st_dtype dt, const uint64_t *shape, size_t nd)
{
    size_t used = (size_t)snprintf(out, cap, "%s [", pn_st_dtype_name(dt));
    for (size_t d = 0; d < nd && used < cap; d++)
        used += (size_t)snprintf(out + used, cap - used, "%s%llu", d ? ", " : "",
                                 (unsigned long long)shape[d]);
    if (used < cap)
        snprintf(out + used, cap - used, "]");
}

/* Fills member mi's network g from the file's tensors l (named for k);
 * g NULL: only checks them (before any network is built, so that a file
 * that names a large ensemble of wide towers must hold their weights
 * before they take any memory). */
static int fill_member(const pn_st_file *f, const spec_list *l, size_t mi, size_t k,
                       pn_graph *g, const char *model, const char *name, pn_err *err)
{
    for (size_t i = 0; i < l->n; i++) {
        const spec *s = &l->s[i];
        char tn[NAME_CAP + 32];
        member_name(tn, sizeof tn, s, mi, k);
        const pn_st_tensor *t = pn_st_find(f, tn);
        if (!t)
            return pn_fail(err, PN_ERR_DATA, "%s: tensor '%s' is missing: model %s with %zu "
                           "member%s has it " REMAKE, name, tn, model, k, k == 1 ? "" : "s");
        int same = t->dtype == s->dtype && t->ndim == s->ndim;
        for (size_t d = 0; same && d < s->ndim; d++)
            same = t->shape[d] == s->shape[d];
        if (!same) {
            char got[96], want[96];
            shape_str(got, sizeof got, t->dtype, t->shape, t->ndim);
            shape_str(want, sizeof want, s->dtype, s->shape, s->ndim);
            return pn_fail(err, PN_ERR_DATA, "%s: tensor '%s' is %s, model %s has it %s (a "
                           "file for other options?) " REMAKE, name, tn, got, model, want);
        }
        if (s->src == SRC_STEPS) {
            if (pn_st_get_i64(t, 0) < 0)
                return pn_fail(err, PN_ERR_DATA, "%s: tensor '%s' is negative " REMAKE, name,
                               tn);
            continue;
        }
        float *dst = !g ? NULL : (s->src == SRC_PARAMS ? g->params : g->state) + s->off;
        for (size_t j = 0; j < s->count; j++) {
            const float v = pn_st_get_f32(t, j);
            if (!isfinite(v))
                return pn_fail(err, PN_ERR_DATA, "%s: tensor '%s' holds %s at %zu: the model "
                               "diverged before it was saved; retrain it (a lower --lr?)", name,
                               tn, isnan(v) ? "NaN" : "an infinity", j);
            if (dst)
                dst[j] = v;
        }
    }
    return PN_OK;
}

/* A tensor of f that the model does not have (f holds k * l->n tensors
 * exactly when it has none, every expected one being found). */
static int no_extra(const pn_st_file *f, const spec_list *l, size_t k, const char *model,
                    const char *name, pn_err *err)
{
    if (f->n == k * l->n)
        return PN_OK;
    for (size_t i = 0; i < f->n; i++) {
        int known = 0;
        for (size_t mi = 0; mi < k && !known; mi++)
            for (size_t j = 0; j < l->n && !known; j++) {
                char tn[NAME_CAP + 32];
                member_name(tn, sizeof tn, &l->s[j], mi, k);
                known = strcmp(tn, f->t[i].name) == 0;
            }
        if (!known)
            return pn_fail(err, PN_ERR_DATA, "%s: tensor '%.80s' is not part of model %s (a file "
                           "for another model or options?) " REMAKE, name, f->t[i].name, model);
    }
    return PN_OK;
}

int pn_st_model_parse(const uint8_t *buf, size_t len, const char *name, pn_loaded_model *lm,
                      pn_err *err)
{
    memset(lm, 0, sizeof *lm);
    pn_st_file f;
    int rc = pn_st_parse(buf, len, name, &f, err);
    if (rc != PN_OK)
        return rc;
    spec_list l = {0};
    rc = read_meta(&f, name, lm, err);
    if (rc == PN_OK)
        rc = check_sum(&f, name, err);
    if (rc == PN_OK)
        rc = network_specs(lm->cfg.model, &lm->cfg.mopts, &l, err);
    for (size_t mi = 0; rc == PN_OK && mi < lm->k; mi++)
        rc = fill_member(&f, &l, mi, lm->k, NULL, lm->cfg.model->name, name, err);
    if (rc == PN_OK)
        rc = no_extra(&f, &l, lm->k, lm->cfg.model->name, name, err);
    if (rc == PN_OK && !(lm->g = calloc(lm->k, sizeof *lm->g)))
        rc = pn_fail(err, PN_ERR_RUNTIME, "%s: out of memory", name);
    for (size_t mi = 0; rc == PN_OK && mi < lm->k; mi++) {
        lm->g[mi] = pn_model_build(lm->cfg.model, &lm->cfg.mopts, lm->cfg.bs, NULL, err);
        rc = lm->g[mi] ? fill_member(&f, &l, mi, lm->k, lm->g[mi], lm->cfg.model->name, name, err)
                       : err ? err->code : PN_ERR_RUNTIME;
    }
    free(l.s);
    pn_st_free(&f);
    if (rc != PN_OK)
        pn_loaded_model_free(lm);
    return rc;
}

void pn_loaded_model_free(pn_loaded_model *lm)
{
    for (size_t mi = 0; lm->g && mi < lm->k; mi++)
        pn_graph_free(lm->g[mi]);
    free(lm->g);
    memset(lm, 0, sizeof *lm);
}
