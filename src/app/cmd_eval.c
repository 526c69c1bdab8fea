/* `pairnet eval --load FILE`: redraws the round of a saved model (a
 * safetensors model file, or a .pn checkpoint of an earlier version) and
 * evaluates its networks on the round's pairs as the round did (members,
 * views, decision rule); --export writes the test pairs and the answers
 * for a check in another framework (examples/numpy_forward.py). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/app/cli.h"
#include "pairnet/base/file.h"
#include "pairnet/base/safetensors.h"
#include "pairnet/train/checkpoint.h"
#include "pairnet/train/train.h"

/* The value of the "format" metadata key of an --export file. */
#define ANSWERS_FORMAT "pairnet-answers-1"

/* The test pairs p as the networks saw them (standardized, before any
 * view's shift), their labels, and answer/margin (pn_eval_answers), as a
 * safetensors file at path. */
static int export_answers(const char *path, const pn_loaded_model *lm, uint64_t seed,
                          float fill, const pn_pairs *p, double test_acc, pn_err *err)
{
    uint8_t *answer = malloc(p->n + 1);
    float *margin = malloc((p->n + 1) * sizeof *margin);
    int rc = PN_OK;
    if (!answer || !margin ||
        pn_eval_answers(lm->g, lm->k, lm->cfg.tta, lm->cfg.decide, fill, p, answer, margin))
        rc = pn_fail(err, PN_ERR_RUNTIME, "out of memory evaluating the pairs for --export");
    const uint64_t n = p->n;
    const pn_st_tensor t[] = {
        {"images", PN_ST_F32, 4, {n, 2, PN_SIDE, PN_SIDE}, p->x, n * 2 * PN_PIXELS * 4},
        {"target", PN_ST_U8, 1, {n}, p->target, n},
        {"digits", PN_ST_U8, 2, {n, 2}, p->digit, 2 * n},
        {"answer", PN_ST_U8, 1, {n}, answer, n},
        {"margin", PN_ST_F32, 1, {n}, margin, 4 * n},
    };
    char vals[6][48];
    snprintf(vals[0], sizeof vals[0], "%llu", (unsigned long long)seed);
    snprintf(vals[1], sizeof vals[1], "%.9g", (double)fill);
    snprintf(vals[2], sizeof vals[2], "%.17g", test_acc);
    snprintf(vals[3], sizeof vals[3], "%zu", lm->cfg.tta);
    snprintf(vals[4], sizeof vals[4], "%zu", lm->k);
    const pn_st_meta meta[] = {{"format", ANSWERS_FORMAT}, {"model", lm->cfg.model->name},
                               {"seed", vals[0]}, {"fill", vals[1]}, {"test_acc", vals[2]},
                               {"tta", vals[3]}, {"ensemble", vals[4]},
                               {"decide", pn_decide_name(lm->cfg.decide)}};
    uint8_t *buf = NULL;
    size_t len = 0;
    if (rc == PN_OK)
        rc = pn_st_encode(t, sizeof t / sizeof t[0], meta, sizeof meta / sizeof meta[0], &buf,
                          &len, err);
    if (rc == PN_OK)
        rc = pn_write_atomic(path, buf, len, err);
    free(buf);
    free(answer);
    free(margin);
    return rc;
}

int pn_cmd_eval(const pn_cli_opts *o, pn_err *err)
{
    /* a --export that cannot be written is found before the work */
    int rc = o->export_answers ? pn_write_path_check(o->export_answers, "--export", err) : PN_OK;
    if (rc != PN_OK)
        return rc;
    pn_loaded_model lm;
    rc = pn_model_file_load(o->load, &lm, err);
    if (rc != PN_OK)
        return rc;
    const uint64_t seed = o->seed_set ? o->seed : lm.seed;
    pn_mnist data;
    rc = pn_mnist_load(pn_mnist_dir(o->data), &data, err);
    if (rc == PN_OK) {
        pn_round_data d;
        rc = pn_round_data_make(&data, lm.cfg.n_pairs, seed, &d, err);
        if (rc == PN_OK) {
            /* moved pixels of a view get the standardized 0, as in training */
            const float fill = d.std > 0.0 ? (float)(-d.mean / d.std) : 0.0f;
            const double tr = pn_evaluate_ensemble(lm.g, lm.k, lm.cfg.tta, lm.cfg.decide, fill,
                                                   &d.train);
            const double te = pn_evaluate_ensemble(lm.g, lm.k, lm.cfg.tta, lm.cfg.decide, fill,
                                                   &d.test);
            /* another seed's pairs are not the ones it trained on: no "train acc" */
            if (seed == lm.seed)
                printf("model %s, seed %llu: train acc %.2f%%, test acc %.2f%%\n",
                       lm.cfg.model->name, (unsigned long long)seed, 100.0 * tr, 100.0 * te);
            else
                printf("model %s (trained on seed %llu), seed %llu's pairs, none of them trained "
                       "on: pairs from MNIST's training set %.2f%%, test pairs %.2f%%\n",
                       lm.cfg.model->name, (unsigned long long)lm.seed,
                       (unsigned long long)seed, 100.0 * tr, 100.0 * te);
            if (o->export_answers)
                rc = export_answers(o->export_answers, &lm, seed, fill, &d.test, te, err);
            pn_round_data_free(&d);
        }
        pn_mnist_free(&data);
    }
    pn_loaded_model_free(&lm);
    return rc;
}
