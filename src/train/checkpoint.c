#define _POSIX_C_SOURCE 200809L
#include "pairnet/train/checkpoint.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pairnet/base/crc32.h"
#include "pairnet/base/file.h"

/* The header's fields, at these byte offsets (little-endian), then the
 * parameters and the state as float32, then a CRC-32 of everything before
 * it. The one place the layout is written: encode and parse both use it. */
enum {
    OFF_MAGIC = 0,       /* PN_CKPT_MAGIC, 4 bytes */
    OFF_VERSION = 4,     /* u32 */
    OFF_MODEL = 8,       /* NUL-terminated name */
    MODEL_BYTES = 32,
    OFF_AUX_WEIGHT = 40, /* float32 */
    OFF_SEED = 44,       /* u64 */
    OFF_PAIRS = 52,      /* u64 */
    OFF_BATCH = 60,      /* u64 */
    OFF_N_PARAMS = 68,   /* u64 */
    OFF_N_STATE = 76,    /* u64 */
    HEADER_BYTES = 84
};
_Static_assert(OFF_MODEL + MODEL_BYTES == OFF_AUX_WEIGHT && OFF_N_STATE + 8 == HEADER_BYTES &&
                   sizeof ((pn_checkpoint *)0)->model == MODEL_BYTES,
               "the checkpoint header's fields follow each other; the name fits pn_checkpoint");

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p) { return get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }

static void put_f32s(uint8_t *p, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        put_u32(p + 4 * i, u);
    }
}

static void get_f32s(float *x, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u = get_u32(p + 4 * i);
        memcpy(&x[i], &u, 4);
    }
}

int pn_checkpoint_encode(const pn_graph *g, const char *model, const pn_train_cfg *cfg,
                         uint64_t seed, uint8_t **out, size_t *out_len, pn_err *err)
{
    *out = NULL;
    *out_len = 0;
    const size_t len = HEADER_BYTES + 4 * (g->n_params + g->n_state) + 4;
    uint8_t *buf = calloc(1, len), *p = buf;
    if (!buf)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory encoding a %s checkpoint", model);
    memcpy(p + OFF_MAGIC, PN_CKPT_MAGIC, 4);
    put_u32(p + OFF_VERSION, PN_CKPT_VERSION);
    snprintf((char *)p + OFF_MODEL, MODEL_BYTES, "%s", model);
    uint32_t aw;
    memcpy(&aw, &cfg->mopts.aux_weight, 4);
    put_u32(p + OFF_AUX_WEIGHT, aw);
    put_u64(p + OFF_SEED, seed);
    put_u64(p + OFF_PAIRS, cfg->n_pairs);
    put_u64(p + OFF_BATCH, cfg->bs);
    put_u64(p + OFF_N_PARAMS, g->n_params);
    put_u64(p + OFF_N_STATE, g->n_state);
    p += HEADER_BYTES;
    put_f32s(p, g->params, g->n_params);
    p += 4 * g->n_params;
    put_f32s(p, g->state, g->n_state);
    p += 4 * g->n_state;
    put_u32(p, pn_crc32(0, buf, (size_t)(p - buf)));
    *out = buf;
    *out_len = len;
    return PN_OK;
}

int pn_checkpoint_save(const char *path, const pn_graph *g, const char *model,
                       const pn_train_cfg *cfg, uint64_t seed, pn_err *err)
{
    uint8_t *buf;
    size_t len;
    int rc = pn_checkpoint_encode(g, model, cfg, seed, &buf, &len, err);
    if (rc == PN_OK)
        rc = pn_write_atomic(path, buf, len, err);
    free(buf);
    return rc;
}

int pn_checkpoint_parse(const uint8_t *buf, size_t len, const char *name, pn_checkpoint *ck,
                        pn_err *err)
{
    memset(ck, 0, sizeof *ck);
    if (len < HEADER_BYTES + 4 || memcmp(buf + OFF_MAGIC, PN_CKPT_MAGIC, 4) != 0)
        return pn_fail(err, PN_ERR_DATA, "%s: not a pairnet checkpoint (bad magic or too short; "
                       "write one with pairnet train --save FILE)", name);
    const uint32_t version = get_u32(buf + OFF_VERSION);
    if (version != PN_CKPT_VERSION)
        return pn_fail(err, PN_ERR_DATA, "%s: checkpoint format version %u, this pairnet reads "
                       "version %u (retrain with this version)", name, version, PN_CKPT_VERSION);
    const uint64_t np = get_u64(buf + OFF_N_PARAMS), ns = get_u64(buf + OFF_N_STATE);
    /* the counts must describe exactly the bytes present: no overflow, no
     * allocation larger than the file */
    const uint64_t body = len - HEADER_BYTES - 4;
    if (np > body / 4 || ns > body / 4 || 4 * (np + ns) != body)
        return pn_fail(err, PN_ERR_DATA, "%s: truncated or padded checkpoint (header says %llu "
                       "values, file holds %llu bytes of them)", name,
                       (unsigned long long)(np + ns), (unsigned long long)body);
    const uint32_t want = get_u32(buf + len - 4), got = pn_crc32(0, buf, len - 4);
    if (want != got)
        return pn_fail(err, PN_ERR_DATA, "%s: checkpoint is corrupt (CRC-32 %08x, expected "
                       "%08x)", name, got, want);
    memcpy(ck->model, buf + OFF_MODEL, MODEL_BYTES);
    if (memchr(ck->model, 0, MODEL_BYTES) == NULL)
        return pn_fail(err, PN_ERR_DATA, "%s: checkpoint model name is not terminated", name);
    uint32_t aw = get_u32(buf + OFF_AUX_WEIGHT);
    memcpy(&ck->aux_weight, &aw, 4);
    ck->seed = get_u64(buf + OFF_SEED);
    ck->n_pairs = get_u64(buf + OFF_PAIRS);
    ck->batch = get_u64(buf + OFF_BATCH);
    ck->n_params = np;
    ck->n_state = ns;
    ck->params = malloc(4 * np + 4);
    ck->state = malloc(4 * ns + 4);
    if (!ck->params || !ck->state) {
        pn_checkpoint_free(ck);
        return pn_fail(err, PN_ERR_RUNTIME, "%s: out of memory", name);
    }
    get_f32s(ck->params, buf + HEADER_BYTES, np);
    get_f32s(ck->state, buf + HEADER_BYTES + 4 * np, ns);
    /* A valid CRC over a NaN weight is a model that diverged (or a file
     * written by something else): it would evaluate to chance, silently. */
    for (uint64_t i = 0; i < np + ns; i++) {
        const float v = i < np ? ck->params[i] : ck->state[i - np];
        if (!isfinite(v)) {
            pn_checkpoint_free(ck);
            return pn_fail(err, PN_ERR_DATA, "%s: %s %llu of %llu is %s, not finite: the model "
                           "diverged before it was saved; retrain it (a lower --lr?)", name,
                           i < np ? "weight" : "BatchNorm running statistic",
                           (unsigned long long)(i < np ? i : i - np),
                           (unsigned long long)(i < np ? np : ns), isnan(v) ? "NaN" : "infinite");
        }
    }
    return PN_OK;
}

int pn_checkpoint_check_path(const char *path, pn_err *err)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return pn_fail(err, PN_ERR_USAGE, "--save %s: is a directory; name a file, e.g. "
                           "--save %s/model.safetensors", path, path);
        if (!S_ISREG(st.st_mode))
            return pn_fail(err, PN_ERR_USAGE, "--save %s: not a regular file (a device or a "
                           "pipe?); name a file to write the checkpoint to", path);
    } else if (errno != ENOENT) {
        return pn_fail(err, PN_ERR_USAGE, "--save %s: %s (name a file in a directory you can "
                       "write to)", path, strerror(errno));
    }
    /* the directory the file goes into: everything up to the last '/' */
    const char *slash = strrchr(path, '/');
    const size_t dlen = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(dlen + 1);
    if (!dir)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory checking --save %s", path);
    memcpy(dir, !slash ? "." : path, dlen);
    dir[dlen] = '\0';
    int rc = PN_OK;
    if (stat(dir, &st) != 0)
        rc = errno == ENOENT
                 ? pn_fail(err, PN_ERR_USAGE, "--save %s: directory %s does not exist (create it "
                           "first: mkdir -p %s)", path, dir, dir)
                 : pn_fail(err, PN_ERR_USAGE, "--save %s: directory %s: %s", path, dir,
                           strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        rc = pn_fail(err, PN_ERR_USAGE, "--save %s: %s is not a directory", path, dir);
    else if (access(dir, W_OK | X_OK) != 0)
        rc = pn_fail(err, PN_ERR_USAGE, "--save %s: cannot write into directory %s: %s (choose "
                     "a directory you can write to)", path, dir, strerror(errno));
    free(dir);
    return rc;
}

/* What eval --load reads at most: the largest model a .pn checkpoint can
 * hold (one network of the standard width; cnn_al, 148k parameters plus its
 * BatchNorm statistics, some 0.6 MB) a hundred times over; a safetensors
 * file may hold a header of up to 100 MB (the format's limit) and an
 * ensemble of wide towers besides. */
#define CKPT_MAX_BYTES ((size_t)64 << 20)
#define MODEL_FILE_MAX_BYTES ((size_t)256 << 20)

int pn_checkpoint_load(const char *path, pn_checkpoint *ck, pn_err *err)
{
    memset(ck, 0, sizeof *ck);
    size_t len = 0;
    int missing = 0;
    uint8_t *buf = (uint8_t *)pn_read_file(path, "checkpoint", CKPT_MAX_BYTES, &len, &missing,
                                           err);
    if (!buf)
        return missing ? pn_fail(err, PN_ERR_DATA, "%s: %s (write one with pairnet train "
                                 "--save FILE)", path, strerror(ENOENT))
                       : err->code;
    int rc = pn_checkpoint_parse(buf, len, path, ck, err);
    free(buf);
    return rc;
}

void pn_checkpoint_free(pn_checkpoint *ck)
{
    free(ck->params);
    free(ck->state);
    ck->params = ck->state = NULL;
}

/* A .pn checkpoint as a loaded model: one network answered by its head. */
static int from_checkpoint(const pn_checkpoint *ck, const char *path, pn_loaded_model *lm,
                           pn_err *err)
{
    const pn_model_info *m = pn_model_find(ck->model);
    if (!m)
        return pn_fail(err, PN_ERR_DATA, "%s: checkpoint is for model '%s', which this pairnet "
                       "does not have (models: %s)", path, ck->model, pn_model_names());
    if (ck->batch < 1 || ck->batch > PN_MAX_BATCH || ck->n_pairs < 1 || ck->n_pairs > 5000)
        return pn_fail(err, PN_ERR_DATA, "%s: checkpoint batch size %llu or pair count %llu is "
                       "out of range", path, (unsigned long long)ck->batch,
                       (unsigned long long)ck->n_pairs);
    pn_train_cfg_default(&lm->cfg, m);
    lm->cfg.mopts.aux_weight = ck->aux_weight;
    lm->cfg.bs = (size_t)ck->batch;
    lm->cfg.n_pairs = (size_t)ck->n_pairs;
    lm->cfg.tta = lm->cfg.ensemble = lm->cfg.mopts.width = 1;
    lm->cfg.decide = PN_DECIDE_HEAD;
    lm->cfg.mopts.prob_head = 0;
    lm->seed = ck->seed;
    lm->k = 1;
    lm->g = calloc(1, sizeof *lm->g);
    if (!lm->g)
        return pn_fail(err, PN_ERR_RUNTIME, "%s: out of memory", path);
    pn_graph *g = lm->g[0] = pn_model_build(m, &lm->cfg.mopts, lm->cfg.bs, NULL, err);
    if (!g)
        return err ? err->code : PN_ERR_RUNTIME;
    if (g->n_params != ck->n_params || g->n_state != ck->n_state)
        return pn_fail(err, PN_ERR_DATA, "%s: checkpoint holds %llu parameters and %llu running "
                       "statistics, model %s has %zu and %zu (a file from another version?)",
                       path, (unsigned long long)ck->n_params, (unsigned long long)ck->n_state,
                       ck->model, g->n_params, g->n_state);
    memcpy(g->params, ck->params, g->n_params * sizeof(float));
    memcpy(g->state, ck->state, g->n_state * sizeof(float));
    return PN_OK;
}

/* The start of a safetensors file: a header length that fits the file,
 * then '{'. */
static int looks_safetensors(const uint8_t *buf, size_t len)
{
    if (len < 10)
        return 0;
    uint64_t n = 0;
    for (int b = 7; b >= 0; b--)
        n = n << 8 | buf[b];
    return n >= 2 && n <= len - 8 && buf[8] == '{';
}

int pn_model_file_load(const char *path, pn_loaded_model *lm, pn_err *err)
{
    memset(lm, 0, sizeof *lm);
    size_t len = 0;
    int missing = 0;
    uint8_t *buf = (uint8_t *)pn_read_file(path, "model file", MODEL_FILE_MAX_BYTES, &len,
                                           &missing, err);
    if (!buf)
        return missing ? pn_fail(err, PN_ERR_DATA, "%s: %s (write one with pairnet train "
                                 "--save FILE)", path, strerror(ENOENT))
                       : err->code;
    int rc;
    /* a .pn checkpoint starts with its magic; a safetensors file with its
     * header's length, whose 8 bytes can never spell "PNCK" and a header
     * under 100 MB */
    if (!(len >= 4 && memcmp(buf, PN_CKPT_MAGIC, 4) == 0) && !looks_safetensors(buf, len)) {
        rc = pn_fail(err, PN_ERR_DATA, "%s: not a pairnet checkpoint or safetensors model file "
                     "(bad magic, or too short) (write one with pairnet train --save FILE)",
                     path);
    } else if (memcmp(buf, PN_CKPT_MAGIC, 4) == 0) {
        pn_checkpoint ck;
        rc = pn_checkpoint_parse(buf, len, path, &ck, err);
        if (rc == PN_OK)
            rc = from_checkpoint(&ck, path, lm, err);
        pn_checkpoint_free(&ck);
    } else {
        rc = pn_st_model_parse(buf, len, path, lm, err);
    }
    free(buf);
    if (rc != PN_OK)
        pn_loaded_model_free(lm);
    return rc;
}
