/* Reading a grid of scripts/grid.sh for Table I: every cell's table2.csv
 * (columns found by name, so a column added later shifts nothing) and the
 * seeds its cells ran with (the grid's cells.txt). */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/report/table1.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pairnet/base/file.h"
#include "pairnet/models/models.h"
#include "pairnet/report/escape.h"

/* Bounds on what is read: a cell's table2.csv holds one row. */
enum { T1_CSV_MAX = 1 << 20, T1_CELLS_TXT_MAX = 16 << 20, T1_MAX_PATHS = 1 << 16 };

/* Returns the index of v in list[0..*n), appending it when absent (0 when full). */
static size_t lr_index(pn_t1 *t, double v)
{
    for (size_t i = 0; i < t->n_lrs; i++)
        if (t->lrs[i] == v)
            return i;
    if (t->n_lrs == PN_T1_MAX_AXIS)
        return (size_t)-1;
    t->lrs[t->n_lrs] = v;
    return t->n_lrs++;
}

static size_t bs_index(pn_t1 *t, size_t v)
{
    for (size_t i = 0; i < t->n_bss; i++)
        if (t->bss[i] == v)
            return i;
    if (t->n_bss == PN_T1_MAX_AXIS)
        return (size_t)-1;
    t->bss[t->n_bss] = v;
    return t->n_bss++;
}

static size_t model_index(pn_t1 *t, const char *name)
{
    for (size_t i = 0; i < t->n_models; i++)
        if (!strcmp(t->models[i], name))
            return i;
    if (t->n_models == PN_T1_MAX_MODELS)
        return (size_t)-1;
    snprintf(t->models[t->n_models], PN_T1_NAME, "%s", name);
    return t->n_models++;
}

/* The columns a cell needs, by name. */
enum { C_MODEL, C_LR, C_BS, C_EPOCHS, C_ROUNDS, C_DIV, C_TRM, C_TRS, C_TM, C_TS, C_SET, C_N };
static const char *const col_name[C_N] = {"model",      "lr",        "bs",        "epochs",
                                          "rounds",     "diverged",  "train_mean", "train_std",
                                          "test_mean",  "test_std",  "set"};
/* The columns each file must have: a cell's table2.csv, Table I's table1.csv. */
#define NEED_TABLE2 (((1u << C_N) - 1) & ~(1u << C_SET))
#define NEED_TABLE1 (((1u << C_N) - 1) & ~(1u << C_TRM) & ~(1u << C_TRS))

/* Splits a CSV line into fields in place (RFC 4180: a quoted field may hold
 * commas, "" is a quote; pn_esc_csv writes model names so); returns the
 * number of fields. */
static size_t split_fields(char *line, char **f, size_t cap)
{
    size_t n = 0;
    char *r = line, *w = line;
    for (;;) {
        char *start = w;
        if (*r == '"') {
            for (r++; *r && !(r[0] == '"' && r[1] != '"'); r++)
                *w++ = *r == '"' ? *++r : *r;
            r += *r == '"';
        }
        while (*r && *r != ',')
            *w++ = *r++;
        const int more = *r == ',';
        *w++ = '\0';
        r += more;
        if (n < cap)
            f[n] = start;
        n++;
        if (!more)
            return n;
    }
}

static void copy_field(char *dst, const char *src) { snprintf(dst, PN_T1_FIELD, "%s", src); }

/* The fields of a cell, as read (a column a file does not have: ""). */
typedef struct cell_fields {
    const char *model, *lr, *bs, *epochs, *rounds, *diverged, *train_mean, *train_std,
        *test_mean, *test_std;
} cell_fields;

/* A cell of set from its fields; a cell read twice keeps the later. */
static int add_cell(pn_t1 *t, int set, const cell_fields *f, const char *path, pn_err *err)
{
    pn_t1_cell c = {.set = set};
    c.model = model_index(t, f->model);
    c.lr = lr_index(t, strtod(f->lr, NULL));
    c.bs = bs_index(t, (size_t)strtod(f->bs, NULL));
    if (c.model == (size_t)-1 || c.lr == (size_t)-1 || c.bs == (size_t)-1)
        return pn_fail(err, PN_ERR_DATA, "%s: more than %d models, learning rates or batch "
                       "sizes in the grids; split them", path, PN_T1_MAX_AXIS);
    c.epochs = strtol(f->epochs, NULL, 10);
    c.rounds = strtol(f->rounds, NULL, 10);
    c.diverged = strtol(f->diverged, NULL, 10);
    copy_field(c.diverged_text, f->diverged);
    copy_field(c.mean_text, f->test_mean);
    copy_field(c.std_text, f->test_std);
    c.mean_empty = f->test_mean[0] == '\0';
    c.test_mean = strtod(f->test_mean, NULL);
    c.test_std = strtod(f->test_std, NULL);
    c.train_mean = strtod(f->train_mean, NULL);
    c.train_std = strtod(f->train_std, NULL);
    for (size_t i = 0; i < t->n_cells; i++) {
        pn_t1_cell *o = &t->cells[i];
        if (o->set == set && o->model == c.model && o->lr == c.lr && o->bs == c.bs) {
            if (t->dup_warn)
                fprintf(stderr, "pairnet table1: %s: cell %s lr=%g bs=%zu seen twice, keeping "
                        "this one\n", path, t->models[c.model], t->lrs[c.lr], t->bss[c.bs]);
            *o = c;
            t->per_set[set]++;
            return PN_OK;
        }
    }
    if (t->n_cells == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        pn_t1_cell *p = realloc(t->cells, cap * sizeof *p);
        if (!p)
            return pn_fail(err, PN_ERR_RUNTIME, "out of memory reading %s", path);
        t->cells = p;
        t->cap = cap;
    }
    t->cells[t->n_cells++] = c;
    t->per_set[set]++;
    return PN_OK;
}

/* Field c of a row, "" when the file has no such column. */
static const char *field(char **f, size_t nf, const int *col, int c)
{
    return col[c] >= 0 && (size_t)col[c] < nf ? f[col[c]] : "";
}

/* A row of table2.csv as a cell of set; col maps the names to fields. */
static int add_row(pn_t1 *t, int set, char **f, size_t nf, const int *col, const char *path,
                   pn_err *err)
{
    for (size_t c = 0; c < C_N; c++)
        if (col[c] >= 0 && (size_t)col[c] >= nf)
            return pn_fail(err, PN_ERR_DATA, "%s: a row has fewer fields than the header; "
                           "rerun that grid cell's bench", path);
    const cell_fields cf = {field(f, nf, col, C_MODEL),  field(f, nf, col, C_LR),
                            field(f, nf, col, C_BS),     field(f, nf, col, C_EPOCHS),
                            field(f, nf, col, C_ROUNDS), field(f, nf, col, C_DIV),
                            field(f, nf, col, C_TRM),    field(f, nf, col, C_TRS),
                            field(f, nf, col, C_TM),     field(f, nf, col, C_TS)};
    return add_cell(t, set, &cf, path, err);
}

/* The header's columns into col; every one in need must be there. */
static int read_header(char *line, int *col, unsigned need, const char *path, pn_err *err)
{
    char *f[256];
    size_t nf = split_fields(line, f, 256);
    for (size_t c = 0; c < C_N; c++) {
        col[c] = -1;
        for (size_t i = 0; i < nf && i < 256; i++)
            if (!strcmp(f[i], col_name[c]))
                col[c] = (int)i;
        if (col[c] < 0 && (need >> c & 1))
            return pn_fail(err, PN_ERR_DATA, "%s: no column '%s' in the header; is it a "
                           "%s?", path, col_name[c], need == NEED_TABLE2
                           ? "table2.csv of pairnet bench" : "table1.csv of pairnet table1");
    }
    return PN_OK;
}

/* The set of a table1.csv row. */
static int set_of(const char *name, const char *path, int *set, pn_err *err)
{
    *set = !strcmp(name, "test") ? PN_T1_TEST : PN_T1_VALIDATION;
    if (strcmp(name, "test") && strcmp(name, "validation"))
        return pn_fail(err, PN_ERR_DATA, "%s: set '%s' is neither validation nor test; "
                       "rerun pairnet table1", path, name);
    return PN_OK;
}

/* The rows of a CSV file as cells: of set, or (set < 0) of the set its
 * "set" column names. */
static int read_csv(pn_t1 *t, const char *path, int set, unsigned need, pn_err *err)
{
    size_t len;
    char *text = pn_read_file(path, need == NEED_TABLE2 ? "table2.csv" : "table1.csv",
                              T1_CSV_MAX, &len, NULL, err);
    if (!text)
        return err->code ? err->code : PN_ERR_DATA;
    int col[C_N], rc = PN_OK, header = 1;
    for (char *line = text; rc == PN_OK && line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *f[256];
        if (header) {
            rc = read_header(line, col, need, path, err);
            header = 0;
        } else if (strchr(line, ',')) { /* more than one field */
            char row[4096];
            snprintf(row, sizeof row, "%s", line);
            size_t nf = split_fields(row, f, 256);
            int s = set;
            if (set < 0)
                rc = set_of(field(f, nf < 256 ? nf : 256, col, C_SET), path, &s, err);
            if (rc == PN_OK)
                rc = add_row(t, s, f, nf < 256 ? nf : 256, col, path, err);
        }
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in folder dir, not starting with '.' (what a shell glob * lists). */
static void list_into(const char *dir, char ***paths, size_t *n, size_t *cap, int want_csv)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && *n < T1_MAX_PATHS) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096];
        struct stat st;
        if (snprintf(p, sizeof p, want_csv ? "%s/%s/table2.csv" : "%s/%s", dir, e->d_name) >=
                (int)sizeof p || stat(p, &st) != 0 || (!want_csv && !S_ISDIR(st.st_mode)))
            continue;
        if (*n == *cap) {
            size_t nc = *cap ? 2 * *cap : 64;
            char **q = realloc(*paths, nc * sizeof *q);
            if (!q)
                break;
            *paths = q;
            *cap = nc;
        }
        if (((*paths)[*n] = strdup(p)) != NULL)
            (*n)++;
    }
    closedir(d);
}

/* The first "OPT <digits>" in text, or -1 (grep -o's first match). */
static long long first_number_after(const char *text, const char *opt)
{
    for (const char *p = text; (p = strstr(p, opt)) != NULL; p += strlen(opt)) {
        const char *q = p + strlen(opt);
        if (*q >= '0' && *q <= '9')
            return strtoll(q, NULL, 10);
    }
    return -1;
}

/* The seeds of the grid, from the commands grid.sh wrote for its cells. */
static void read_seeds(pn_t1 *t, const char *dir, int set)
{
    char path[4096];
    size_t len;
    pn_err ignore = {0};
    snprintf(t->seeds[set], sizeof t->seeds[set], "?");
    if (pn_path_join(path, sizeof path, dir, "cells.txt", NULL) != PN_OK)
        return;
    char *text = pn_read_file(path, "cells.txt", T1_CELLS_TXT_MAX, &len, NULL, &ignore);
    if (!text)
        return;
    long long s = first_number_after(text, "--seed "), r = first_number_after(text, "--rounds ");
    if (s >= 0 && r >= 0)
        snprintf(t->seeds[set], sizeof t->seeds[set], "%lld..%lld", s, s + r - 1);
    free(text);
}

int pn_t1_read_grid(pn_t1 *t, const char *dir, int set, pn_err *err)
{
    char **models = NULL, **cells = NULL;
    size_t nm = 0, cm = 0, nc = 0, cc = 0;
    list_into(dir, &models, &nm, &cm, 0);
    for (size_t i = 0; i < nm; i++)
        list_into(models[i], &cells, &nc, &cc, 1);
    if (nc)
        qsort(cells, nc, sizeof *cells, cmp_str);
    int rc = PN_OK;
    for (size_t i = 0; i < nc && rc == PN_OK; i++)
        rc = read_csv(t, cells[i], set, NEED_TABLE2, err);
    for (size_t i = 0; i < nm; i++)
        free(models[i]);
    for (size_t i = 0; i < nc; i++)
        free(cells[i]);
    free(models);
    free(cells);
    if (rc == PN_OK && nc == 0)
        rc = pn_fail(err, PN_ERR_DATA, "no grid cell in '%s' (expected DIR/<model>/lr<X>_bs<Y>/"
                     "table2.csv; run scripts/grid.sh first)", dir);
    if (rc == PN_OK)
        read_seeds(t, dir, set);
    return rc;
}

int pn_t1_read_study_csv(pn_t1 *t, const char *path, pn_err *err)
{
    int rc = read_csv(t, path, -1, NEED_TABLE1, err);
    if (rc == PN_OK)
        pn_t1_finish(t);
    return rc;
}
