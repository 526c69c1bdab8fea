/* A trained model as a safetensors file (the container: base/safetensors.h)
 * with PyTorch's names and layouts, so that PyTorch modules written from
 * docs/spec.md (examples/pytorch_models.py) load it with
 * load_state_dict(strict=True) and NumPy can run it
 * (examples/numpy_forward.py). docs/formats.md is the reference; in short:
 *
 *   <layer>.weight, <layer>.bias   F32, Conv2d [out, in, kh, kw], Linear
 *                                  [out, in], BatchNorm [C] (gamma, beta)
 *   <bn>.running_mean, .running_var F32 [C]
 *   <bn>.num_batches_tracked       I64 [] (the optimizer steps of the round)
 *
 * with the layer names of the models layer (pn_model_layers), under
 * "members.<m>." for each member of an ensemble (more than one network);
 * the weights are the ones the round evaluated (their moving average with
 * ema). __metadata__ holds format = PN_ST_FORMAT, model, seed, every
 * training option under its round-store key (train_cfg.h: pairs, bs,
 * width, head, ensemble, tta, decide, ... so that `pairnet eval` redraws
 * the round and rebuilds and answers with the networks as the round did),
 * the protocol and numeric versions, the round's train_acc and test_acc,
 * and checksum = "crc32:<8 hex>" of the data section (every tensor's
 * bytes). */
#ifndef PAIRNET_MODEL_SAFETENSORS_H
#define PAIRNET_MODEL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"
#include "pairnet/graph/graph.h"
#include "pairnet/train/train.h"

/* The value of the "format" metadata key of a pairnet model file. */
#define PN_ST_FORMAT "pairnet-model-1"

/* A trained model, read back: the round's configuration (its model,
 * options, batch and pair count, ensemble, tta and decision rule), its
 * seed, and its networks built (for batches up to cfg.bs) and filled. */
typedef struct pn_loaded_model {
    pn_train_cfg cfg;
    uint64_t seed;
    size_t k;     /* networks (ensemble members) */
    pn_graph **g; /* [k] */
} pn_loaded_model;
void pn_loaded_model_free(pn_loaded_model *lm);

/* The bytes of the model file of the k members gs (finalized graphs of
 * cfg's model, all with cfg->mopts) of round seed, whose accuracies were
 * train_acc and test_acc (NaN: not known), in a malloc'ed *out. */
int pn_st_model_encode(pn_graph *const *gs, size_t k, const pn_train_cfg *cfg, uint64_t seed,
                       double train_acc, double test_acc, uint8_t **out, size_t *out_len,
                       pn_err *err);
/* pn_st_model_encode written atomically to path (pn_write_atomic). */
int pn_st_model_save(const char *path, pn_graph *const *gs, size_t k, const pn_train_cfg *cfg,
                     uint64_t seed, double train_acc, double test_acc, pn_err *err);
/* Parses a model file held in memory (name for messages) and builds its
 * networks. Besides the container's rules (base/safetensors.h) it refuses,
 * one line each: metadata missing or out of range, a checksum that does not
 * match, a tensor missing, extra, of another dtype or shape than the model
 * has, and a weight or statistic that is not finite. */
int pn_st_model_parse(const uint8_t *buf, size_t len, const char *name, pn_loaded_model *lm,
                      pn_err *err);

/* Names of every tensor of model m with opts o and k members, in file
 * order, one per line into out[cap] (for tests and docs). */
int pn_st_model_names(const pn_model_info *m, const pn_model_opts *o, size_t k, char *out,
                      size_t cap, pn_err *err);

#endif
