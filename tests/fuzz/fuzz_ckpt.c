/* libFuzzer harness for the checkpoint parser (pn_checkpoint_parse). Any
 * input must be refused or parsed, never crash. Besides the sanitizers it
 * checks:
 *   - the error contract: a refusal returns PN_ERR_DATA (or PN_ERR_RUNTIME),
 *     sets err.code to it, writes a message and leaves no arrays behind;
 *   - a parsed checkpoint describes exactly the input: header + 4 bytes per
 *     value + CRC, a terminated model name;
 *   - the round trip: pn_checkpoint_encode (the bytes pn_checkpoint_save
 *     writes) of what was parsed gives the input back byte for byte (except
 *     bytes after the model name's NUL, which the writer zeroes, and so the
 *     CRC), and those bytes parse to the same values.
 * Every input is parsed twice: as it is, and with its last 4 bytes replaced
 * by the CRC-32 of the rest, so that mutations reach past the CRC check.
 *
 * The round trip stays in memory, so nothing touches the disk; the rest of
 * checkpoint.c (and src/base/file.c, which pn_checkpoint_save uses) is
 * linked as it is.
 *
 * Built and run by `make fuzz-ckpt` (mk/fuzz.mk). */
#include <stdlib.h>
#include <string.h>

#include "pairnet/base/crc32.h"
#include "pairnet/train/checkpoint.h"

#define HEADER 84 /* "PNCK", version, model[32], aux, seed, pairs, batch, counts */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() is what libFuzzer reports as a crash, with the input saved. */
static void require(int cond)
{
    if (!cond)
        abort();
}

static void check_failure(int rc, const pn_err *err, const pn_checkpoint *ck)
{
    require(rc == PN_ERR_DATA || rc == PN_ERR_RUNTIME);
    require(err->code == rc);
    require(err->msg[0] != '\0' && strlen(err->msg) < sizeof err->msg);
    require(ck->params == NULL && ck->state == NULL);
}

static int same_bits(const float *a, const float *b, size_t n)
{
    return n == 0 || memcmp(a, b, n * sizeof *a) == 0;
}

/* Saves ck and compares the bytes with the input it was parsed from. */
static void round_trip(const uint8_t *data, size_t size, const pn_checkpoint *ck)
{
    pn_graph g;
    pn_train_cfg cfg;
    pn_err err = {0, ""};
    memset(&g, 0, sizeof g);
    memset(&cfg, 0, sizeof cfg);
    g.n_params = (size_t)ck->n_params;
    g.n_state = (size_t)ck->n_state;
    g.params = ck->params;
    g.state = ck->state;
    memcpy(&cfg.mopts.aux_weight, &ck->aux_weight, sizeof(float));
    cfg.n_pairs = (size_t)ck->n_pairs;
    cfg.bs = (size_t)ck->batch;
    uint8_t *saved = NULL;
    size_t saved_len = 0;
    require(pn_checkpoint_encode(&g, ck->model, &cfg, ck->seed, &saved, &saved_len, &err) == 0);
    require(saved != NULL && saved_len == size);

    /* the input with the model name normalized the way the writer does it */
    uint8_t *want = malloc(size);
    require(want != NULL);
    memcpy(want, data, size);
    const size_t name_len = strlen(ck->model);
    require(name_len < 32 && memcmp(want + 8, ck->model, name_len) == 0);
    memset(want + 8 + name_len, 0, 32 - name_len);
    const int name_was_clean = memcmp(want, data, size) == 0;
    require(memcmp(saved, want, size - 4) == 0);
    if (name_was_clean)
        require(memcmp(saved + size - 4, data + size - 4, 4) == 0);
    free(want);

    /* and what was written parses to the same checkpoint */
    pn_checkpoint again;
    require(pn_checkpoint_parse(saved, saved_len, "fuzz-saved.ckpt", &again, &err) == 0);
    require(strcmp(again.model, ck->model) == 0);
    require(memcmp(&again.aux_weight, &ck->aux_weight, sizeof(float)) == 0);
    require(again.seed == ck->seed && again.n_pairs == ck->n_pairs && again.batch == ck->batch);
    require(again.n_params == ck->n_params && again.n_state == ck->n_state);
    require(same_bits(again.params, ck->params, (size_t)ck->n_params));
    require(same_bits(again.state, ck->state, (size_t)ck->n_state));
    pn_checkpoint_free(&again);
    require(again.params == NULL && again.state == NULL);
    free(saved);
}

/* Parses size bytes of buf (a heap block of exactly that size, so ASan sees
 * any read past the end) and checks the outcome. */
static void check_parse(const uint8_t *buf, size_t size)
{
    pn_checkpoint ck;
    pn_err err = {0, ""};
    int rc = pn_checkpoint_parse(buf, size, "fuzz.ckpt", &ck, &err);
    if (rc != 0) {
        check_failure(rc, &err, &ck);
        return;
    }
    require(size >= HEADER + 4 && memcmp(buf, PN_CKPT_MAGIC, 4) == 0);
    require(ck.n_params <= size / 4 && ck.n_state <= size / 4);
    require(HEADER + 4 * (ck.n_params + ck.n_state) + 4 == size);
    require(memchr(ck.model, 0, sizeof ck.model) != NULL);
    require(ck.params != NULL && ck.state != NULL);
    round_trip(buf, size, &ck);
    pn_checkpoint_free(&ck);
    require(ck.params == NULL && ck.state == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = calloc(size ? size : 1, 1);
    require(buf != NULL);
    if (size)
        memcpy(buf, data, size);
    check_parse(buf, size);
    /* Again with the CRC made valid: mutations almost never keep it right,
     * and the checks behind it (name, counts, allocation, round trip) are
     * what is worth reaching. */
    if (size >= HEADER + 4) {
        const uint32_t crc = pn_crc32(0, buf, size - 4);
        for (int i = 0; i < 4; i++)
            buf[size - 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
        check_parse(buf, size);
    }
    free(buf);
    return 0;
}
