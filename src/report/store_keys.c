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

/* ";name=value" of option id, in the form its kind keeps. */
static void key_option(pn_buf *b, const pn_train_cfg *c, pn_topt_id id)
{
    const pn_train_opt *d = &pn_train_opts[id];
    const double v = pn_topt_get(c, id);
    switch (d->kind) {
    case PN_TOPT_D: key_double(b, d->key, v); break;
    case PN_TOPT_F: key_float(b, d->key, (float)v); break;
    case PN_TOPT_Z: /* 0 where it stands for the default (tta 0: one view) as that */
        pn_buf_printf(b, ";%s=%zu", d->key, (size_t)(v == 0.0 && d->zero ? d->zero : v));
        break;
    case PN_TOPT_B:
    case PN_TOPT_C:
        if (d->names)
            pn_buf_printf(b, ";%s=%s", d->key, d->names((int)v) ? d->names((int)v) : "?");
        else
            pn_buf_printf(b, ";%s=%d", d->key, v != 0.0);
        break;
    }
}

/* The table's options in its order: the study's always; those beyond it
 * only when one of them is on, so that the keys of the study's
 * configurations read as they always did; those added later only when not
 * at their default, so that no earlier key changes. */
int pn_store_key_of(const pn_train_cfg *c, char **key, pn_err *err)
{
    *key = NULL;
    pn_buf b = {0};
    pn_buf_printf(&b, "model=%s", c->model->name);
    int beyond = 0;
    for (int id = 0; id < PN_N_TOPTS; id++)
        beyond |= (pn_train_opts[id].group & PN_TOPT_BEYOND) && pn_topt_on(c, (pn_topt_id)id);
    for (int id = 0; id < PN_N_TOPTS; id++) {
        const unsigned g = pn_train_opts[id].group;
        if ((g & PN_TOPT_BEYOND) ? beyond
            : (g & PN_TOPT_LATER) ? pn_topt_on(c, (pn_topt_id)id) : 1)
            key_option(&b, c, (pn_topt_id)id);
    }
    pn_buf_printf(&b, "%s", PN_STORE_KEY_VERSIONS);
    if (b.failed || !b.data) {
        pn_buf_free(&b);
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory building a round store key");
    }
    *key = b.data;
    return PN_OK;
}
