/* The paired effect of a change between two bench folders
 * (include/pairnet/report/compare.h). */
#include "pairnet/report/compare.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/base/file.h"
#include "pairnet/base/parse.h"
#include "pairnet/report/escape.h"
#include "pairnet/report/json.h"
#include "pairnet/report/store.h"

/* runs.csv is at most a few MB (one line per epoch of every round). */
#define RUNS_MAX ((size_t)256 << 20)

/* The columns compare reads, found by name in the header so that columns
 * added later shift nothing. */
enum { COL_MODEL, COL_ROUND, COL_SEED, COL_LOSS, COL_TEST, N_COLS };
static const char *const col_name[N_COLS] = {"model", "round", "seed", "loss", "test_acc"};

/* Splits line (modified in place) at commas into f[0..max); returns the count. */
static size_t split(char *line, char **f, size_t max)
{
    size_t n = 0;
    for (char *s = line;; s++) {
        if (n < max)
            f[n] = s;
        n++;
        s = strchr(s, ',');
        if (!s)
            return n;
        *s = '\0';
    }
}

static int header_columns(char *line, size_t *at, const char *path, pn_err *err)
{
    char *f[64];
    const size_t n = split(line, f, 64);
    for (size_t c = 0; c < N_COLS; c++) {
        at[c] = (size_t)-1;
        for (size_t i = 0; i < n && i < 64; i++)
            if (strcmp(f[i], col_name[c]) == 0)
                at[c] = i;
        if (at[c] == (size_t)-1)
            return pn_fail(err, PN_ERR_DATA, "%s has no column '%s': not a runs.csv of "
                           "pairnet bench (or of a pairnet older than this one)", path,
                           col_name[c]);
    }
    return PN_OK;
}

/* One row into the round it ends (a round's rows are contiguous and its
 * last row is its last epoch): *rec, and whether it starts a new round. */
static int read_row(char *line, const size_t *at, pn_seed_acc *rec, uint64_t *round,
                    const char *path, size_t lineno, pn_err *err)
{
    char *f[64];
    const size_t n = split(line, f, 64);
    pn_err e2;
    uint64_t r;
    char *end;
    for (size_t c = 0; c < N_COLS; c++)
        if (at[c] >= n || at[c] >= 64)
            return pn_fail(err, PN_ERR_DATA, "%s, line %zu: too few columns (the file is "
                           "damaged; run the bench again)", path, lineno);
    const double loss = strtod(f[at[COL_LOSS]], &end);
    const char *acc = f[at[COL_TEST]];
    if (strlen(f[at[COL_MODEL]]) >= sizeof rec->model ||
        pn_parse_u64("seed", f[at[COL_SEED]], &rec->seed, &e2) != PN_OK ||
        pn_parse_u64("round", f[at[COL_ROUND]], &r, &e2) != PN_OK || *end != '\0')
        return pn_fail(err, PN_ERR_DATA, "%s, line %zu: not a row of runs.csv (model, round, "
                       "seed or loss unreadable; run the bench again)", path, lineno);
    snprintf(rec->model, sizeof rec->model, "%s", f[at[COL_MODEL]]);
    rec->test_acc = NAN;
    if (*acc) {
        rec->test_acc = strtod(acc, &end);
        if (*end != '\0' || !(rec->test_acc >= 0.0 && rec->test_acc <= 1.0))
            return pn_fail(err, PN_ERR_DATA, "%s, line %zu: test_acc '%s' is no accuracy in "
                           "[0, 1] (run the bench again)", path, lineno, acc);
    }
    if (!isfinite(loss)) /* diverged: never compared */
        rec->test_acc = NAN;
    *round = r;
    return PN_OK;
}

static int parse_runs(char *text, const char *path, pn_bench_runs *out, pn_err *err)
{
    size_t lines = 0, at[N_COLS];
    for (const char *s = text; *s; s++)
        lines += *s == '\n';
    out->v = calloc(lines + 1, sizeof *out->v);
    if (!out->v)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory reading %s", path);
    char *line = text, *next;
    uint64_t last_round = 0;
    for (size_t lineno = 1; *line; line = next, lineno++) {
        next = strchr(line, '\n');
        next = next ? (*next = '\0', next + 1) : line + strlen(line);
        int rc;
        if (lineno == 1) {
            rc = header_columns(line, at, path, err);
        } else {
            pn_seed_acc rec;
            uint64_t round = 0;
            rc = read_row(line, at, &rec, &round, path, lineno, err);
            /* a new round starts at a new (model, round); else this row is a later epoch */
            if (rc == PN_OK && (out->n == 0 || round != last_round ||
                                strcmp(out->v[out->n - 1].model, rec.model) != 0))
                out->n++;
            if (rc == PN_OK)
                out->v[out->n - 1] = rec;
            last_round = round;
        }
        if (rc != PN_OK)
            return rc;
    }
    if (lines == 0)
        return pn_fail(err, PN_ERR_DATA, "%s is empty (run the bench again)", path);
    return PN_OK;
}

int pn_bench_runs_read(const char *dir, pn_bench_runs *out, pn_err *err)
{
    memset(out, 0, sizeof *out);
    out->dir = dir;
    char path[4096];
    if (pn_path_join(path, sizeof path, dir, "runs.csv", err) != PN_OK)
        return err->code;
    size_t len;
    int missing = 0;
    char *text = pn_read_file(path, "runs.csv", RUNS_MAX, &len, &missing, err);
    if (!text && missing)
        return pn_fail(err, PN_ERR_DATA, "%s has no runs.csv: not a folder written by pairnet "
                       "bench (name a bench's --out folder)", dir);
    if (!text)
        return err->code;
    if (strlen(text) != len) {
        free(text);
        return pn_fail(err, PN_ERR_DATA, "%s holds a NUL byte: it is damaged (run the bench "
                       "again)", path);
    }
    const int rc = parse_runs(text, path, out, err);
    free(text);
    if (rc != PN_OK)
        pn_bench_runs_free(out);
    return rc;
}

/* Whether key (";"-separated FIELD=VALUE) holds every FIELD=VALUE of the
 * comma-separated fields. */
static int key_matches(const char *key, const char *fields)
{
    for (const char *f = fields; *f;) {
        const size_t n = strcspn(f, ",");
        int found = 0;
        for (const char *k = key; *k && !found;) {
            const size_t m = strcspn(k, ";");
            found = m == n && strncmp(k, f, n) == 0;
            k += m + (k[m] == ';');
        }
        if (n && !found)
            return 0;
        f += n + (f[n] == ',');
    }
    return 1;
}

/* The rounds of s that match fields into out->v (out->v has room for all). */
static int select_rounds(const pn_store *s, const char *fields, pn_bench_runs *out, pn_err *err)
{
    const char **key_of = calloc(pn_store_count(s) + 1, sizeof *key_of);
    if (!key_of)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory reading %s", pn_store_path(s));
    int rc = PN_OK;
    for (size_t i = 0; rc == PN_OK && i < pn_store_count(s); i++) {
        const pn_round_rec *r = pn_store_round(s, i);
        const char *key = pn_store_key(s, i);
        if (!key_matches(key, fields))
            continue;
        for (size_t j = 0; j < out->n && rc == PN_OK; j++) /* one configuration a model */
            if (strcmp(out->v[j].model, r->model) == 0 && strcmp(key_of[j], key) != 0)
                rc = pn_fail(err, PN_ERR_USAGE, "'%s' matches two configurations of %s in %s "
                             "(%s and %s): add the fields that tell them apart", fields,
                             r->model, pn_store_path(s), key_of[j], key);
        pn_seed_acc *v = &out->v[out->n];
        snprintf(v->model, sizeof v->model, "%s", r->model);
        v->seed = r->seed;
        v->test_acc = r->diverged ? NAN : r->test_acc;
        key_of[out->n++] = key;
    }
    free(key_of);
    return rc;
}

int pn_bench_runs_from_store(const char *dir, const char *fields, pn_bench_runs *out,
                             pn_err *err)
{
    memset(out, 0, sizeof *out);
    out->dir = dir;
    pn_store *s;
    int rc = pn_store_read(dir, &s, err);
    if (rc != PN_OK)
        return rc;
    out->v = calloc(pn_store_count(s) + 1, sizeof *out->v);
    rc = out->v ? select_rounds(s, fields, out, err)
                : pn_fail(err, PN_ERR_RUNTIME, "out of memory reading %s", pn_store_path(s));
    if (rc == PN_OK && out->n == 0)
        rc = pn_fail(err, PN_ERR_DATA, "no round of %s has a key with %s (pairnet bench --list "
                     "--out %s shows what it holds)", pn_store_path(s), fields, dir);
    pn_store_close(s);
    if (rc != PN_OK)
        pn_bench_runs_free(out);
    return rc;
}

void pn_bench_runs_free(pn_bench_runs *r)
{
    free(r->v);
    r->v = NULL;
    r->n = 0;
}

int pn_bench_runs_first_of_model(const pn_bench_runs *r, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(r->v[j].model, r->v[i].model) == 0)
            return 0;
    return 1;
}

int pn_bench_runs_has(const pn_bench_runs *r, const char *m)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].model, m) == 0)
            return 1;
    return 0;
}

void pn_bench_runs_models(const pn_bench_runs *r, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->n && len < cap; i++)
        if (pn_bench_runs_first_of_model(r, i))
            len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? "," : "", r->v[i].model);
}

/* ---- the comparison ------------------------------------------------------ */

static int by_seed(const void *x, const void *y)
{
    const uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* The seeds s[0..n) sorted, as ranges: "0-2, 7"; "..." ends a list that
 * does not fit. */
static void seed_ranges(uint64_t *s, size_t n, char *out, size_t cap)
{
    qsort(s, n, sizeof *s, by_seed);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && s[j + 1] == s[j] + 1)
            j++;
        char one[64];
        if (j == i)
            snprintf(one, sizeof one, "%s%" PRIu64, len ? ", " : "", s[i]);
        else
            snprintf(one, sizeof one, "%s%" PRIu64 "-%" PRIu64, len ? ", " : "", s[i], s[j]);
        if (len + strlen(one) + 6 > cap) {
            snprintf(out + len, cap - len, "%s...", len ? ", " : "");
            return;
        }
        len += (size_t)snprintf(out + len, cap - len, "%s", one);
        i = j + 1;
    }
}

/* The round of model m with seed s in r, or NULL. */
static const pn_seed_acc *find_round(const pn_bench_runs *r, const char *m, uint64_t s)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].seed == s && strcmp(r->v[i].model, m) == 0)
            return &r->v[i];
    return NULL;
}

/* The last path component of dir, for a comparison's label. */
static const char *base_name(const char *dir, size_t *len)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    size_t i = n;
    while (i > 0 && dir[i - 1] != '/')
        i--;
    *len = n - i;
    return dir + i;
}

static void label(pn_comparison *c, const char *ma, const char *mb)
{
    size_t la, lb;
    const char *a = base_name(c->dir_a, &la), *b = base_name(c->dir_b, &lb);
    if (strcmp(c->dir_a, c->dir_b) == 0)
        snprintf(c->what, sizeof c->what, "%s vs %s", ma, mb);
    else
        snprintf(c->what, sizeof c->what, "%.*s vs %.*s", (int)(la < 40 ? la : 40), a,
                 (int)(lb < 40 ? lb : 40), b);
}

/* Sorts every round of a (model ma) and b (model mb) into the pairs both
 * finished (x, y, in a's order) and the seeds left out. */
static size_t pair_up(const pn_bench_runs *a, const char *ma, const pn_bench_runs *b,
                      const char *mb, double *x, double *y, uint64_t *oa, uint64_t *ob,
                      uint64_t *dv, pn_comparison *c)
{
    size_t m = 0;
    for (size_t i = 0; i < a->n; i++) {
        const pn_seed_acc *ra = &a->v[i];
        if (strcmp(ra->model, ma) != 0 || find_round(a, ma, ra->seed) != ra)
            continue; /* another model, or a seed seen before */
        const pn_seed_acc *rb = find_round(b, mb, ra->seed);
        if (!rb)
            oa[c->n_only_a++] = ra->seed;
        else if (isnan(ra->test_acc) || isnan(rb->test_acc))
            dv[c->n_diverged++] = ra->seed;
        else {
            x[m] = 100.0 * ra->test_acc;
            y[m] = 100.0 * rb->test_acc;
            m++;
        }
    }
    for (size_t j = 0; j < b->n; j++)
        if (strcmp(b->v[j].model, mb) == 0 && find_round(b, mb, b->v[j].seed) == &b->v[j] &&
            !find_round(a, ma, b->v[j].seed))
            ob[c->n_only_b++] = b->v[j].seed;
    return m;
}

int pn_compare(const pn_bench_runs *a, const char *ma, const pn_bench_runs *b, const char *mb,
               pn_comparison *c, pn_err *err)
{
    memset(c, 0, sizeof *c);
    c->dir_a = a->dir;
    c->dir_b = b->dir;
    const size_t cap = (a->n > b->n ? a->n : b->n) + 1;
    double *x = malloc(cap * sizeof *x), *y = malloc(cap * sizeof *y);
    uint64_t *oa = malloc(cap * sizeof *oa), *ob = malloc(cap * sizeof *ob),
             *dv = malloc(cap * sizeof *dv);
    int rc = x && y && oa && ob && dv ? PN_OK
                                      : pn_fail(err, PN_ERR_RUNTIME, "out of memory comparing");
    if (rc == PN_OK) {
        const size_t m = pair_up(a, ma, b, mb, x, y, oa, ob, dv, c);
        seed_ranges(oa, c->n_only_a, c->only_a, sizeof c->only_a);
        seed_ranges(ob, c->n_only_b, c->only_b, sizeof c->only_b);
        seed_ranges(dv, c->n_diverged, c->diverged, sizeof c->diverged);
        label(c, ma, mb);
        c->e.what = c->what;
        c->e.a = ma;
        c->e.b = mb;
        if (m == 0)
            rc = pn_fail(err, PN_ERR_DATA, "%s (%s) and %s (%s) have no finished seed in "
                         "common (only in A: %s; only in B: %s; diverged: %s): run both with "
                         "the same --seed and --rounds", a->dir, ma, b->dir, mb,
                         c->n_only_a ? c->only_a : "none", c->n_only_b ? c->only_b : "none",
                         c->n_diverged ? c->diverged : "none");
        else if (pn_paired_compare(x, y, m, &c->e.r) != 0)
            rc = pn_fail(err, PN_ERR_RUNTIME, "out of memory comparing");
        c->e.p_t_holm = c->e.r.p_t;
        c->e.p_wilcoxon_holm = c->e.r.p_wilcoxon;
    }
    free(x);
    free(y);
    free(oa);
    free(ob);
    free(dv);
    return rc;
}

int pn_compare_holm(pn_comparison *c, size_t n)
{
    pn_effect *e = malloc((n ? n : 1) * sizeof *e);
    if (!e)
        return -1;
    for (size_t i = 0; i < n; i++)
        e[i] = c[i].e;
    const int rc = pn_effects_holm(e, n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        c[i].e = e[i];
    free(e);
    return rc;
}

/* ---- output ------------------------------------------------------------------ */

/* "; seeds 3-4 only in A" and the like, for the seeds c left out. */
static void left_out_text(pn_buf *b, const pn_comparison *c)
{
    const struct {
        size_t n;
        const char *seeds, *why;
    } part[] = {{c->n_only_a, c->only_a, "only in A"},
                {c->n_only_b, c->only_b, "only in B"},
                {c->n_diverged, c->diverged, "diverged on a side"}};
    int any = 0;
    for (size_t k = 0; k < sizeof part / sizeof part[0]; k++) {
        if (!part[k].n)
            continue;
        pn_buf_printf(b, "%s%s %s %s", any ? "; " : "  left out: ", part[k].n > 1 ? "seeds" :
                      "seed", part[k].seeds, part[k].why);
        any = 1;
    }
    pn_buf_printf(b, any ? "\n" : "  left out: none\n");
}

void pn_compare_text(pn_buf *b, const pn_comparison *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        pn_buf_printf(b, "%s%s, %s − %s:\n  A = ", i ? "\n" : "", c[i].what, c[i].e.a, c[i].e.b);
        pn_esc_term(b, c[i].dir_a);
        pn_buf_printf(b, " (%s)\n  B = ", c[i].e.a);
        pn_esc_term(b, c[i].dir_b);
        pn_buf_printf(b, " (%s)\n  %zu seeds both finished\n", c[i].e.b, c[i].e.r.n);
        left_out_text(b, &c[i]);
    }
    pn_buf_printf(b, "\nTest accuracy of A minus that of B, in percentage points, over the "
                     "seeds both finished (the statistics of table2.md's paired effects, "
                     "docs/statistics.md); Holm over the %zu comparison%s made here.\n\n", n,
                  n == 1 ? "" : "s");
    pn_effect *e = malloc((n ? n : 1) * sizeof *e);
    if (!e) {
        b->failed = 1;
        return;
    }
    for (size_t i = 0; i < n; i++)
        e[i] = c[i].e;
    pn_effects_table(b, e, n);
    free(e);
}

static void json_seeds(pn_json *j, const char *key, size_t n, const char *seeds)
{
    pn_json_key(j, key);
    pn_json_open(j, '{');
    pn_json_key(j, "count");
    pn_json_uint(j, n);
    pn_json_key(j, "seeds");
    pn_json_str(j, n ? seeds : "");
    pn_json_close(j);
}

static void json_side(pn_json *j, const char *key, const char *dir, const char *model)
{
    pn_json_key(j, key);
    pn_json_open(j, '{');
    pn_json_key(j, "dir");
    pn_json_str(j, dir);
    pn_json_key(j, "model");
    pn_json_str(j, model);
    pn_json_close(j);
}

static void json_one(pn_json *j, const pn_comparison *c)
{
    pn_json_open(j, '{');
    pn_json_key(j, "label");
    pn_json_str(j, c->what);
    json_side(j, "a", c->dir_a, c->e.a);
    json_side(j, "b", c->dir_b, c->e.b);
    pn_effect_json_stats(j, &c->e);
    pn_json_key(j, "left_out");
    pn_json_open(j, '{');
    json_seeds(j, "only_a", c->n_only_a, c->only_a);
    json_seeds(j, "only_b", c->n_only_b, c->only_b);
    json_seeds(j, "diverged", c->n_diverged, c->diverged);
    pn_json_close(j);
    pn_json_close(j);
}

void pn_compare_json(pn_buf *b, const pn_comparison *c, size_t n)
{
    pn_json j = pn_json_on(b);
    pn_json_open(&j, '{');
    pn_json_key(&j, "effect");
    pn_json_str(&j, "test accuracy of A minus that of B, percentage points, over the seeds "
                    "both finished; p-values two-sided, Holm over the comparisons listed");
    pn_json_key(&j, "comparisons");
    pn_json_open(&j, '[');
    for (size_t i = 0; i < n; i++)
        json_one(&j, &c[i]);
    pn_json_close(&j);
    pn_json_close(&j);
}

void pn_compare_tsv(pn_buf *b, const pn_comparison *c, size_t n)
{
    pn_buf_printf(b, "a\tb\tseeds\tmean\tci95\tp_t\tp_t_holm\tp_wilcoxon\tp_wilcoxon_holm\t"
                     "a_b_tie\n");
    for (size_t i = 0; i < n; i++) {
        const pn_paired *r = &c[i].e.r;
        char ci[64], pt[32], pth[32], pw[32], pwh[32];
        pn_ci_text(ci, sizeof ci, r);
        pn_p_text(pt, sizeof pt, r->p_t);
        pn_p_text(pth, sizeof pth, c[i].e.p_t_holm);
        pn_p_text(pw, sizeof pw, r->p_wilcoxon);
        pn_p_text(pwh, sizeof pwh, c[i].e.p_wilcoxon_holm);
        pn_esc_term(b, c[i].dir_a); /* no tab or newline can split the line */
        pn_buf_printf(b, "\t");
        pn_esc_term(b, c[i].dir_b);
        pn_buf_printf(b, "\t%zu\t%+.2f\t%s\t%s\t%s\t%s\t%s\t%zu / %zu / %zu\n", r->n, r->mean, ci,
                      pt, pth, pw, pwh, r->n_a, r->n_b, r->n_tie);
    }
}
