/* `pairnet compare A B`: the paired effect of a change between two bench
 * folders, with the statistics of table2.md's paired effects
 * (report/compare.h); more folders before B are each compared with B, and
 * Holm runs over every comparison printed together. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/app/cli.h"
#include "pairnet/base/buf.h"
#include "pairnet/report/compare.h"
#include "pairnet/report/escape.h"

/* The pairs of models to compare between a and b, into ma[], mb[]: the
 * --models rule, else every model of a that b holds too. Returns the count,
 * or -1 with err set. */
static int model_pairs(const pn_cli_opts *o, const pn_bench_runs *a, const pn_bench_runs *b,
                       const char **ma, const char **mb, pn_err *err)
{
    char has[512];
    if (o->n_models > 2)
        return -pn_fail(err, PN_ERR_USAGE, "--models takes one model or two (A's,B's), not %zu",
                        o->n_models);
    if (o->n_models) {
        ma[0] = o->models[0];
        mb[0] = o->models[o->n_models - 1];
        const pn_bench_runs *side[2] = {a, b};
        const char *m[2] = {ma[0], mb[0]};
        for (int k = 0; k < 2; k++)
            if (!pn_bench_runs_has(side[k], m[k])) {
                pn_bench_runs_models(side[k], has, sizeof has);
                return -pn_fail(err, PN_ERR_DATA, "%s has no rounds of %s (it holds: %s); "
                                "name its model in --models", side[k]->dir, m[k], has);
            }
        return 1;
    }
    if (strcmp(a->dir, b->dir) == 0 && !o->key_a && !o->key_b)
        return -pn_fail(err, PN_ERR_USAGE, "A and B are the same folder %s: name the two models "
                        "to compare with --models A_MODEL,B_MODEL", a->dir);
    int n = 0;
    for (size_t i = 0; i < a->n && n < PN_MAX_MODELS; i++)
        if (pn_bench_runs_first_of_model(a, i) &&
            pn_bench_runs_has(b, a->v[i].model)) {
            ma[n] = mb[n] = a->v[i].model;
            n++;
        }
    if (n == 0) {
        char hb[512];
        pn_bench_runs_models(a, has, sizeof has);
        pn_bench_runs_models(b, hb, sizeof hb);
        return -pn_fail(err, PN_ERR_USAGE, "%s holds %s and %s holds %s: no model in common; "
                        "say which to pair with --models A_MODEL,B_MODEL", a->dir, has, b->dir,
                        hb);
    }
    return n;
}

/* Every comparison of the command line into *out (malloc'ed), *n of them. */
static int compare_all(const pn_cli_opts *o, const pn_bench_runs *runs, pn_comparison **out,
                       size_t *n, pn_err *err)
{
    const size_t nd = o->n_dirs, ref = nd - 1;
    pn_comparison *c = calloc(ref * PN_MAX_MODELS, sizeof *c);
    if (!c)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory comparing");
    *out = c;
    *n = 0;
    for (size_t i = 0; i < ref; i++) {
        const char *ma[PN_MAX_MODELS], *mb[PN_MAX_MODELS];
        const int k = model_pairs(o, &runs[i], &runs[ref], ma, mb, err);
        if (k < 0)
            return -k;
        for (int m = 0; m < k; m++) {
            const int rc = pn_compare(&runs[i], ma[m], &runs[ref], mb[m], &c[*n], err);
            if (rc != PN_OK)
                return rc;
            if (o->key_a || o->key_b) /* the configurations are what differs */
                snprintf(c[*n].what, sizeof c[*n].what, "%s vs %s",
                         o->key_a ? o->key_a : "runs.csv", o->key_b ? o->key_b : "runs.csv");
            ++*n;
        }
    }
    if (pn_compare_holm(c, *n) != 0)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory comparing");
    return PN_OK;
}

static int print_buf(pn_buf *b, pn_err *err)
{
    if (b->failed)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory printing the comparison");
    if (b->len)
        fwrite(b->data, 1, b->len, stdout);
    return PN_OK;
}

/* Standard output in --format, and --json's file. */
static int write_out(const pn_cli_opts *o, const pn_comparison *c, size_t n, pn_err *err)
{
    const char *f = o->format ? o->format : "text";
    pn_buf b = {0};
    if (!strcmp(f, "text"))
        pn_compare_text(&b, c, n);
    else if (!strcmp(f, "json"))
        pn_compare_json(&b, c, n);
    else
        pn_compare_tsv(&b, c, n);
    int rc = print_buf(&b, err);
    pn_buf_free(&b);
    if (rc == PN_OK && o->json) {
        pn_compare_json(&b, c, n);
        rc = b.failed ? pn_fail(err, PN_ERR_RUNTIME, "out of memory writing %s", o->json)
                      : pn_buf_write_atomic(o->json, &b, err);
        pn_buf_free(&b);
    }
    return rc;
}

int pn_cmd_compare(const pn_cli_opts *o, pn_err *err)
{
    if (o->n_dirs < 2)
        return pn_fail(err, PN_ERR_USAGE, "compare needs two bench folders: pairnet compare A B "
                       "(the effect is A minus B)");
    if (o->format && strcmp(o->format, "text") && strcmp(o->format, "json") &&
        strcmp(o->format, "tsv")) {
        char shown[128];
        return pn_fail(err, PN_ERR_USAGE, "--format '%s': use text, json or tsv",
                       pn_term_str(shown, sizeof shown, o->format));
    }
    pn_bench_runs runs[PN_MAX_COMPARE];
    memset(runs, 0, sizeof runs);
    int rc = PN_OK;
    for (size_t i = 0; rc == PN_OK && i < o->n_dirs; i++) {
        const char *key = i + 1 < o->n_dirs ? o->key_a : o->key_b;
        rc = key ? pn_bench_runs_from_store(o->dirs[i], key, &runs[i], err)
                 : pn_bench_runs_read(o->dirs[i], &runs[i], err);
    }
    pn_comparison *c = NULL;
    size_t n = 0;
    if (rc == PN_OK)
        rc = compare_all(o, runs, &c, &n, err);
    if (rc == PN_OK)
        rc = write_out(o, c, n, err);
    free(c);
    for (size_t i = 0; i < o->n_dirs; i++)
        pn_bench_runs_free(&runs[i]);
    return rc;
}
