/* The round store's keys, built from a round's configuration, and the
 * listing of what a store holds (bench --list). */
#include "pairnet/report/store.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/report/escape.h"
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

/* ---- listing ---- */

static int cmp_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* "0-14", "0-2,5,7-9": sorted seeds, runs of consecutive ones as ranges. */
static void put_seed_ranges(pn_buf *b, uint64_t *seed, size_t n)
{
    qsort(seed, n, sizeof *seed, cmp_u64);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && seed[j + 1] == seed[j] + 1)
            j++;
        pn_buf_printf(b, "%s%llu", i ? "," : "", (unsigned long long)seed[i]);
        if (j > i)
            pn_buf_printf(b, "-%llu", (unsigned long long)seed[j]);
        i = j + 1;
    }
}

/* s[0..n) with every ';' as a space, for a terminal (pn_esc_term: a key
 * read from a store file may hold anything), padded to width. */
static void put_key_part(pn_buf *out, const char *s, size_t n, size_t width)
{
    char *t = malloc(n + 1);
    if (!t) {
        out->failed = 1;
        return;
    }
    for (size_t i = 0; i < n; i++)
        t[i] = s[i] == ';' ? ' ' : s[i];
    t[n] = '\0';
    const size_t before = out->len;
    pn_esc_term(out, t);
    for (size_t w = out->len - before; w < width; w++)
        pn_buf_printf(out, " ");
    free(t);
}

int pn_store_describe(const pn_store *s, pn_buf *out)
{
    uint64_t *seed = malloc((pn_store_count(s) + 1) * sizeof *seed);
    char *seen = calloc(pn_store_count(s) + 1, 1);
    if (!seed || !seen) {
        free(seed);
        free(seen);
        return PN_ERR_RUNTIME;
    }
    const char *current = PN_STORE_KEY_VERSIONS;
    for (size_t i = 0; i < pn_store_count(s); i++) {
        if (seen[i])
            continue;
        const char *key = pn_store_key(s, i);
        size_t n = 0, diverged = 0;
        for (size_t j = i; j < pn_store_count(s); j++)
            if (!seen[j] && strcmp(pn_store_key(s, j), key) == 0) {
                seen[j] = 1;
                seed[n++] = pn_store_round(s, j)->seed;
                diverged += (size_t)pn_store_round(s, j)->diverged;
            }
        /* the model, then the other fields of the key, space-separated */
        const char *rest = key;
        if (strncmp(key, "model=", 6) == 0) {
            const size_t len = strcspn(key + 6, ";");
            put_key_part(out, key + 6, len, 10);
            rest = key + 6 + len + (key[6 + len] == ';');
        } else {
            const char *model = pn_store_round(s, i)->model;
            put_key_part(out, model, strlen(model), 10);
        }
        pn_buf_printf(out, " ");
        put_key_part(out, rest, strlen(rest), 0);
        pn_buf_printf(out, "  %zu round%s", n, n == 1 ? "" : "s");
        if (diverged)
            pn_buf_printf(out, " (%zu diverged)", diverged);
        pn_buf_printf(out, ", seed%s ", n == 1 ? "" : "s");
        put_seed_ranges(out, seed, n);
        const size_t kl = strlen(key), cl = strlen(current);
        if (kl < cl || strcmp(key + kl - cl, current) != 0)
            pn_buf_printf(out, "  (another protocol or numeric version than this pairnet's: "
                               "not reused)");
        pn_buf_printf(out, "\n");
    }
    free(seed);
    free(seen);
    return out->failed ? PN_ERR_RUNTIME : PN_OK;
}
