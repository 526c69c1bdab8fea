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
