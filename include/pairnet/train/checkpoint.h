/* Trained models on disk: the .pn checkpoints of earlier versions, which
 * pairnet still reads (pn_model_file_load tells them from the safetensors
 * model files that train --save writes now, model_safetensors.h), and the
 * encoder that wrote them (for tests and the fuzzer's round trip).
 * Little-endian, in this order:
 *   "PNCK" | u32 version (1) | char model[32] | f32 aux_weight | u64 seed |
 *   u64 n_pairs | u64 batch | u64 n_params | u64 n_state |
 *   f32 params[n_params] | f32 state[n_state] (BN running mean/var) |
 *   u32 CRC-32 of every byte before it
 * The seed and pair count let `pairnet eval` redraw the round's test pairs,
 * and the batch size lets it evaluate in the same batches as training did,
 * so the accuracy it prints is bit-for-bit the one training printed. */
#ifndef PAIRNET_CHECKPOINT_H
#define PAIRNET_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"
#include "pairnet/graph/graph.h"
#include "pairnet/train/model_safetensors.h"
#include "pairnet/train/train.h"

#define PN_CKPT_MAGIC "PNCK"
#define PN_CKPT_VERSION 1u

typedef struct pn_checkpoint {
    char model[32];
    float aux_weight;
    uint64_t seed, n_pairs, batch;
    uint64_t n_params, n_state;
    float *params, *state; /* malloc'ed */
} pn_checkpoint;

/* The bytes of a checkpoint of g, in a malloc'ed *out of *out_len bytes. */
int pn_checkpoint_encode(const pn_graph *g, const char *model, const pn_train_cfg *cfg,
                         uint64_t seed, uint8_t **out, size_t *out_len, pn_err *err);
/* pn_checkpoint_encode, written atomically (pn_write_atomic). */
int pn_checkpoint_save(const char *path, const pn_graph *g, const char *model,
                       const pn_train_cfg *cfg, uint64_t seed, pn_err *err);
/* Whether `train --save path` can write there, checked before training:
 * not a directory, in an existing directory this process may write to.
 * Fails with PN_ERR_USAGE and a message that starts with "--save". */
int pn_checkpoint_check_path(const char *path, pn_err *err);
/* Parses and verifies a checkpoint held in memory (name for messages);
 * refuses a weight or BatchNorm statistic that is not finite. */
int pn_checkpoint_parse(const uint8_t *buf, size_t len, const char *name, pn_checkpoint *ck,
                        pn_err *err);
int pn_checkpoint_load(const char *path, pn_checkpoint *ck, pn_err *err);
/* What `pairnet eval --load` reads: a safetensors model file
 * (model_safetensors.h) or a .pn checkpoint (told apart by the magic),
 * its networks built and filled. */
int pn_model_file_load(const char *path, pn_loaded_model *lm, pn_err *err);
void pn_checkpoint_free(pn_checkpoint *ck);

#endif
