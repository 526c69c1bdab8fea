/* `pairnet eval --load FILE`: redraws the checkpoint's round and evaluates
 * the saved weights on its pairs. */
#include <stdio.h>
#include <string.h>

#include "pairnet/train/checkpoint.h"
#include "pairnet/app/cli.h"
#include "pairnet/train/train.h"

static int restore(pn_graph **out, const pn_checkpoint *ck, const char *path, pn_err *err)
{
    const pn_model_info *m = pn_model_find(ck->model);
    if (!m)
        return pn_fail(err, PN_ERR_DATA, "%s: checkpoint is for model '%s', which this pairnet "
                       "does not have (models: %s)", path, ck->model, pn_model_names());
    if (ck->batch < 1 || ck->batch > PN_MAX_BATCH || ck->n_pairs < 1 || ck->n_pairs > 5000)
        return pn_fail(err, PN_ERR_DATA, "%s: checkpoint batch size %llu or pair count %llu is "
                       "out of range", path, (unsigned long long)ck->batch,
                       (unsigned long long)ck->n_pairs);
    pn_model_opts mo = {.aux_weight = ck->aux_weight};
    pn_graph *g = pn_model_build(m, &mo, (size_t)ck->batch, NULL, err);
    if (!g)
        return err->code;
    if (g->n_params != ck->n_params || g->n_state != ck->n_state) {
        size_t np = g->n_params, ns = g->n_state;
        pn_graph_free(g);
        return pn_fail(err, PN_ERR_DATA, "%s: checkpoint holds %llu parameters and %llu running "
                       "statistics, model %s has %zu and %zu (a file from another version?)",
                       path, (unsigned long long)ck->n_params, (unsigned long long)ck->n_state,
                       ck->model, np, ns);
    }
    memcpy(g->params, ck->params, g->n_params * sizeof(float));
    memcpy(g->state, ck->state, g->n_state * sizeof(float));
    *out = g;
    return PN_OK;
}

int pn_cmd_eval(const pn_cli_opts *o, pn_err *err)
{
    pn_checkpoint ck;
    int rc = pn_checkpoint_load(o->load, &ck, err);
    if (rc != PN_OK)
        return rc;
    pn_graph *g = NULL;
    rc = restore(&g, &ck, o->load, err);
    const uint64_t seed = o->seed_set ? o->seed : ck.seed;
    pn_mnist data;
    if (rc == PN_OK)
        rc = pn_mnist_load(pn_mnist_dir(o->data), &data, err);
    if (rc == PN_OK) {
        pn_round_data d;
        rc = pn_round_data_make(&data, (size_t)ck.n_pairs, seed, &d, err);
        if (rc == PN_OK) {
            const double tr = 100.0 * pn_evaluate(g, &d.train), te = 100.0 * pn_evaluate(g, &d.test);
            /* another seed's pairs are not the ones it trained on: no "train acc" */
            if (seed == ck.seed)
                printf("model %s, seed %llu: train acc %.2f%%, test acc %.2f%%\n", ck.model,
                       (unsigned long long)seed, tr, te);
            else
                printf("model %s (trained on seed %llu), seed %llu's pairs, none of them trained "
                       "on: pairs from MNIST's training set %.2f%%, test pairs %.2f%%\n", ck.model,
                       (unsigned long long)ck.seed, (unsigned long long)seed, tr, te);
            pn_round_data_free(&d);
        }
        pn_mnist_free(&data);
    }
    pn_graph_free(g);
    pn_checkpoint_free(&ck);
    return rc;
}
