/* libFuzzer harness for the safetensors readers: the container
 * (pn_st_parse, with the strict JSON reader under it) and the model layer
 * above it (pn_st_model_parse: metadata, checksum, names, shapes, values).
 * Any input must be refused or parsed, never crash. Besides the sanitizers
 * it checks:
 *   - the error contract: a refusal returns PN_ERR_DATA (or PN_ERR_RUNTIME),
 *     sets err.code to it, writes one line and leaves nothing behind;
 *   - a parsed container describes the input: its tensors tile the data
 *     section, each inside the input;
 *   - the round trip: pn_st_encode of what was parsed (tensors in offset
 *     order, metadata in header order) parses to the same names, dtypes,
 *     shapes, bytes and metadata, with a header padded to 8 bytes;
 *   - a parsed model re-encodes (pn_st_model_encode) to a file that parses
 *     to the same configuration and the same values, bit for bit.
 * Every input that has a "checksum" metadata value is parsed a second time
 * with the checksum made right, so that mutations reach past it.
 *
 * Built (with the library compiled for fuzzing) and run by
 * `make fuzz-safetensors` (mk/fuzz.mk). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/base/crc32.h"
#include "pairnet/base/safetensors.h"
#include "pairnet/train/model_safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
    if (!cond)
        abort();
}

static void check_error(int rc, const pn_err *err)
{
    require(rc == PN_ERR_DATA || rc == PN_ERR_RUNTIME);
    require(err->code == rc && err->msg[0] != '\0' && strchr(err->msg, '\n') == NULL);
}

static void same_files(const pn_st_file *a, const pn_st_file *b)
{
    require(a->n == b->n && a->n_meta == b->n_meta && a->data_len == b->data_len);
    for (size_t i = 0; i < a->n; i++) {
        const pn_st_tensor *x = &a->t[i], *y = pn_st_find(b, x->name);
        require(y != NULL && x->dtype == y->dtype && x->ndim == y->ndim);
        require(x->nbytes == y->nbytes && memcmp(x->shape, y->shape, x->ndim * 8) == 0);
        require(x->nbytes == 0 || memcmp(x->data, y->data, x->nbytes) == 0);
    }
    for (size_t i = 0; i < a->n_meta; i++)
        require(strcmp(a->meta[i].key, b->meta[i].key) == 0 &&
                strcmp(a->meta[i].val, b->meta[i].val) == 0);
}

static void container(const uint8_t *buf, size_t size)
{
    pn_st_file f;
    pn_err err = {0, ""};
    const int rc = pn_st_parse(buf, size, "fuzz.safetensors", &f, &err);
    if (rc != PN_OK) {
        check_error(rc, &err);
        require(f.t == NULL && f.meta == NULL && f.doc.v == NULL);
        return;
    }
    size_t at = 0;
    for (size_t i = 0; i < f.n; i++) {
        require((const uint8_t *)f.t[i].data == f.data + at);
        at += f.t[i].nbytes;
    }
    require(at == f.data_len && f.data + f.data_len == buf + size);
    /* the tensors hold little-endian bytes: on this little-endian host
     * they are their own host-order values for the writer */
    uint8_t *out = NULL;
    size_t len = 0;
    if (pn_st_encode(f.t, f.n, f.meta, f.n_meta, &out, &len, &err) == PN_OK) {
        uint64_t hn = 0;
        for (int b = 7; b >= 0; b--)
            hn = hn << 8 | out[b];
        require((8 + hn) % 8 == 0);
        pn_st_file g;
        require(pn_st_parse(out, len, "fuzz-rt", &g, &err) == PN_OK);
        same_files(&f, &g);
        pn_st_free(&g);
        free(out);
    } else {
        /* the writer refuses only a tensor named "__metadata__"-like
         * reserved names, which the reader cannot produce */
        require(0);
    }
    pn_st_free(&f);
}

static void model(const uint8_t *buf, size_t size)
{
    pn_loaded_model lm;
    pn_err err = {0, ""};
    const int rc = pn_st_model_parse(buf, size, "fuzz.safetensors", &lm, &err);
    if (rc != PN_OK) {
        check_error(rc, &err);
        require(lm.g == NULL);
        return;
    }
    uint8_t *out = NULL;
    size_t len = 0;
    require(pn_st_model_encode(lm.g, lm.k, &lm.cfg, lm.seed, 0.5, 0.5, &out, &len, &err) ==
            PN_OK);
    pn_loaded_model again;
    require(pn_st_model_parse(out, len, "fuzz-rt", &again, &err) == PN_OK);
    require(again.k == lm.k && again.seed == lm.seed && again.cfg.model == lm.cfg.model);
    require(again.cfg.bs == lm.cfg.bs && again.cfg.tta == lm.cfg.tta);
    for (size_t m = 0; m < lm.k; m++) {
        require(memcmp(again.g[m]->params, lm.g[m]->params, lm.g[m]->n_params * 4) == 0);
        require(memcmp(again.g[m]->state, lm.g[m]->state, lm.g[m]->n_state * 4) == 0);
    }
    pn_loaded_model_free(&again);
    pn_loaded_model_free(&lm);
    free(out);
}

/* The input with its "crc32:XXXXXXXX" made the CRC of its data section,
 * when it has one and a header length that fits. 1 if it changed. */
static int fix_checksum(uint8_t *buf, size_t size)
{
    if (size < 8)
        return 0;
    uint64_t hn = 0;
    for (int b = 7; b >= 0; b--)
        hn = hn << 8 | buf[b];
    if (hn > size - 8)
        return 0;
    static const char key[] = "\"checksum\":\"crc32:";
    for (size_t at = 8; at + sizeof key - 1 + 8 <= 8 + hn; at++)
        if (memcmp(buf + at, key, sizeof key - 1) == 0) {
            char hex[9];
            snprintf(hex, sizeof hex, "%08x", pn_crc32(0, buf + 8 + hn, size - 8 - (size_t)hn));
            memcpy(buf + at + sizeof key - 1, hex, 8);
            return 1;
        }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    require(buf != NULL);
    if (size)
        memcpy(buf, data, size);
    container(buf, size);
    model(buf, size);
    if (fix_checksum(buf, size))
        model(buf, size);
    free(buf);
    return 0;
}
