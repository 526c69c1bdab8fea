/* pairnet table1: Table I from grids of scripts/grid.sh (the script runs
 * the cells; the binary gathers, chooses, tabulates and draws).
 *
 *   pairnet table1 --validation VDIR --test TDIR --out DIR [--command TEXT]
 *   pairnet table1 --grid DIR --md FILE
 *
 * The first writes the study's DIR/table1.md, table1.csv, table1.json and
 * the heatmaps (chosen on validation, reported on test); the second one grid's table
 * (the best cell of each model and every model's grid) into FILE. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pairnet/app/cli.h"
#include "pairnet/base/buf.h"
#include "pairnet/base/file.h"
#include "pairnet/report/escape.h"
#include "pairnet/report/provenance.h"
#include "pairnet/report/table1.h"

/* A folder argument without its trailing slashes ("/" stays), in buf. */
static const char *trim_dir(char *buf, size_t cap, const char *d)
{
    snprintf(buf, cap, "%s", d);
    for (size_t n = strlen(buf); n > 1 && buf[n - 1] == '/'; n--)
        buf[n - 1] = '\0';
    return buf;
}

/* The seconds since the validation grid started (grid.sh's OUT/start
 * holds its clock), NAN when either grid has none. */
static double since_start(const char *vdir, const char *tdir)
{
    double start = NAN;
    const char *dirs[2] = {tdir, vdir};
    for (int i = 0; i < 2; i++) {
        char path[4096];
        size_t len;
        pn_err ignore = {0};
        if (pn_path_join(path, sizeof path, dirs[i], "start", NULL) != PN_OK)
            return NAN;
        char *text = pn_read_file(path, "start", 64, &len, NULL, &ignore);
        if (!text || !len) {
            free(text);
            return NAN;
        }
        start = strtod(text, NULL);
        free(text);
    }
    return difftime(time(NULL), (time_t)start);
}

static int study(const char *vdir, const char *tdir, const char *out, const char *command,
                 pn_err *err)
{
    pn_t1 t = {0};
    int rc = pn_t1_read_grid(&t, vdir, PN_T1_VALIDATION, err);
    if (rc == PN_OK)
        rc = pn_t1_read_grid(&t, tdir, PN_T1_TEST, err);
    if (rc == PN_OK && mkdir(out, 0777) != 0 && errno != EEXIST)
        rc = pn_fail(err, PN_ERR_RUNTIME, "cannot make the folder %s: %s; make its parent "
                     "first", out, strerror(errno));
    if (rc == PN_OK) {
        pn_t1_finish(&t);
        pn_run_info info = {0};
        pn_run_info_fill(&info);
        /* the data of the grid, as make table1 passes it (PAIRNET_DATA) */
        pn_run_info_mnist(&info, NULL, pn_mnist_dir(NULL));
        snprintf(info.command, sizeof info.command, "%s", command);
        info.wall_seconds = since_start(vdir, tdir);
        rc = pn_t1_write_study(&t, out, &info, err);
    }
    if (rc == PN_OK)
        fprintf(stderr, "pairnet table1: wrote %s/table1.md, table1.csv, table1.json, "
                "heatmap-validation.svg, heatmap-test.svg\n", out);
    pn_t1_free(&t);
    return rc;
}

static int single(const char *grid, const char *md, pn_err *err)
{
    pn_t1 t = {.dup_warn = 1};
    int rc = pn_t1_read_grid(&t, grid, PN_T1_VALIDATION, err);
    if (rc == PN_OK) {
        pn_buf b = {0};
        pn_t1_finish(&t);
        pn_t1_single_md(&b, &t, grid);
        rc = pn_buf_write_atomic(md, &b, err);
        pn_buf_free(&b);
    }
    if (rc == PN_OK)
        fprintf(stderr, "pairnet table1: wrote %s from %zu cells\n", md, t.n_cells);
    pn_t1_free(&t);
    return rc;
}

int pn_cmd_table1(const pn_cli_opts *o, pn_err *err)
{
    char d1[4096], d2[4096], d3[4096];
    if (o->grid)
        return single(trim_dir(d1, sizeof d1, o->grid), o->md, err);
    return study(trim_dir(d1, sizeof d1, o->validation), trim_dir(d2, sizeof d2, o->test),
                 trim_dir(d3, sizeof d3, o->out), o->t1_command ? o->t1_command : o->command,
                 err);
}
