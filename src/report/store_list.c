/* The listing of what a round store holds (bench --list): one line per
 * key, the model first, the rounds and their seeds as ranges. */
#include "pairnet/report/store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/report/escape.h"

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
