/* The round store's keys, built from a round's configuration (the listing
 * of what a store holds, bench --list, is store_list.c). */
#include "pairnet/report/store.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/train/train.h"

/* ---- keys ---- */

/* ";name=v" with the fewest digits that read back to v exactly: the key
 * tells 0.1 from 0.1000000001 and still reads 0.05 as "0.05" (and 10 as
 * "10", not "1e+01": whole numbers are printed whole). */
static void key_double(pn_buf *b, const char *name, double v)
{
    char s[40];
    for (int p = 1; p <= 17; p++) {
        if (v == floor(v) && fabs(v) < 1e15)
            snprintf(s, sizeof s, "%.0f", v);
        else
            snprintf(s, sizeof s, "%.*g", p, v);
        if (strtod(s, NULL) == v)
            break;
    }
    pn_buf_printf(b, ";%s=%s", name, s);
}

static void key_float(pn_buf *b, const char *name, float v)
{
    char s[40];
    for (int p = 1; p <= 9; p++) {
        if (v == floorf(v) && fabsf(v) < 1e7f) {
            snprintf(s, sizeof s, "%.0f", (double)v);
            break;
        }
        snprintf(s, sizeof s, "%.*g", p, (double)v);
        if ((float)strtod(s, NULL) == v)
            break;
    }
    pn_buf_printf(b, ";%s=%s", name, s);
}

int pn_store_key_of(const pn_train_cfg *c, char **key, pn_err *err)
{
    *key = NULL;
    pn_buf b = {0};
    pn_buf_printf(&b, "model=%s;epochs=%zu", c->model->name, c->epochs);
    key_double(&b, "lr", c->lr);
    pn_buf_printf(&b, ";bs=%zu;opt=%s", c->bs, pn_optimizer_name(c->optimizer));
    key_double(&b, "momentum", c->momentum);
    key_double(&b, "weight_decay", c->weight_decay);
    pn_buf_printf(&b, ";lr_step=%zu", c->lr_step);
    key_double(&b, "lr_gamma", c->lr_gamma);
    key_float(&b, "aux_weight", c->mopts.aux_weight);
    key_float(&b, "dropout", c->mopts.dropout);
    pn_buf_printf(&b, ";aug_swap=%d;aug_repair=%d;aug_shift=%zu;eval=%s;pairs=%zu",
                  c->aug_swap, c->aug_repair, c->aug_shift, c->eval_epochs ? "epoch" : "final",
                  c->n_pairs);
    /* beyond the study: only when one of them is on, so that the keys of
     * the study's configurations read as they always did */
    const pn_warp_cfg *w = &c->warp;
    if (pn_warp_active(w) || c->ema > 0 || c->tta > 1 || c->ensemble > 1 ||
        c->mopts.width > 1 || c->mopts.prob_head || c->decide != PN_DECIDE_HEAD || c->lr_cosine) {
        key_float(&b, "rotate", w->rotate);
        key_float(&b, "scale", w->scale);
        key_float(&b, "shear", w->shear);
        key_float(&b, "translate", w->translate);
        key_float(&b, "elastic", w->elastic);
        key_float(&b, "elastic_sigma", w->elastic_sigma);
        key_double(&b, "ema", c->ema);
        pn_buf_printf(&b, ";tta=%zu;ensemble=%zu;width=%zu;head=%s;decide=%s;lr_cosine=%d",
                      c->tta > 1 ? c->tta : 1, c->ensemble > 1 ? c->ensemble : 1,
                      c->mopts.width > 1 ? c->mopts.width : 1,
                      c->mopts.prob_head ? "prob" : "learned", pn_decide_name(c->decide),
                      c->lr_cosine ? 1 : 0);
    }
    pn_buf_printf(&b, "%s", PN_STORE_KEY_VERSIONS);
    if (b.failed || !b.data) {
        pn_buf_free(&b);
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory building a round store key");
    }
    *key = b.data;
    return PN_OK;
}
