/* pairnet table1: Table I from grids of scripts/grid.sh (the script runs
 * the cells; the binary gathers, chooses, tabulates and draws).
 *
 *   pairnet table1 --validation VDIR --test TDIR --out DIR [--command TEXT]
 *   pairnet table1 --grid DIR --md FILE
 *
 * The first writes the study's DIR/table1.md, table1.csv and the heatmaps
 * (chosen on validation, reported on test); the second one grid's table
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

typedef struct t1_args {
    const char *validation, *test, *out, *command, *grid, *md;
} t1_args;

static const char *const t1_usage =
    "usage: pairnet table1 --validation VDIR --test TDIR --out DIR [--command TEXT]\n"
    "       pairnet table1 --grid DIR --md FILE\n"
    "VDIR and TDIR: two grids of scripts/grid.sh over the same cells (validation seeds, test\n"
    "seeds); writes DIR/table1.md, table1.csv, heatmap-validation.svg, heatmap-test.svg.\n"
    "--command: the command recorded as the provenance (default: this one).\n"
    "--grid: one grid's Table I (the best cell per model, every model's grid) into FILE.\n";

/* A folder argument without its trailing slashes ("/" stays). */
static const char *trim_dir(char *d)
{
    for (size_t n = strlen(d); n > 1 && d[n - 1] == '/'; n--)
        d[n - 1] = '\0';
    return d;
}

static int parse(int argc, char **argv, t1_args *a, pn_err *err)
{
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        const char **slot = !strcmp(o, "--validation") ? &a->validation
                          : !strcmp(o, "--test")       ? &a->test
                          : !strcmp(o, "--out")        ? &a->out
                          : !strcmp(o, "--command")    ? &a->command
                          : !strcmp(o, "--grid")       ? &a->grid
                          : !strcmp(o, "--md")         ? &a->md
                                                       : NULL;
        char shown[256];
        if (!slot)
            return pn_fail(err, PN_ERR_USAGE, "unknown argument '%s' (see pairnet table1 --help)",
                           pn_term_str(shown, sizeof shown, o));
        if (i + 1 == argc)
            return pn_fail(err, PN_ERR_USAGE, "%s needs a value (see pairnet table1 --help)", o);
        *slot = strcmp(o, "--command") && strcmp(o, "--md") ? trim_dir(argv[++i]) : argv[++i];
    }
    const int study = a->validation || a->test || a->out, single = a->grid || a->md;
    if (study == single || (study && !(a->validation && a->test && a->out)) ||
        (single && !(a->grid && a->md)) || (single && a->command))
        return pn_fail(err, PN_ERR_USAGE, "give --validation, --test and --out, or --grid and "
                       "--md (see pairnet table1 --help)");
    return PN_OK;
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

static int study(const t1_args *a, const char *command, pn_err *err)
{
    pn_t1 t = {0};
    int rc = pn_t1_read_grid(&t, a->validation, PN_T1_VALIDATION, err);
    if (rc == PN_OK)
        rc = pn_t1_read_grid(&t, a->test, PN_T1_TEST, err);
    if (rc == PN_OK && mkdir(a->out, 0777) != 0 && errno != EEXIST)
        rc = pn_fail(err, PN_ERR_RUNTIME, "cannot make the folder %s: %s; make its parent "
                     "first", a->out, strerror(errno));
    if (rc == PN_OK) {
        pn_t1_finish(&t);
        pn_run_info info = {0};
        pn_run_info_fill(&info);
        snprintf(info.command, sizeof info.command, "%s", a->command ? a->command : command);
        info.wall_seconds = since_start(a->validation, a->test);
        rc = pn_t1_write_study(&t, a->out, &info, err);
    }
    if (rc == PN_OK)
        fprintf(stderr, "pairnet table1: wrote %s/table1.md, table1.csv, heatmap-validation.svg, "
                "heatmap-test.svg\n", a->out);
    pn_t1_free(&t);
    return rc;
}

static int single(const t1_args *a, pn_err *err)
{
    pn_t1 t = {.dup_warn = 1};
    int rc = pn_t1_read_grid(&t, a->grid, PN_T1_VALIDATION, err);
    if (rc == PN_OK) {
        pn_buf b = {0};
        pn_t1_finish(&t);
        pn_t1_single_md(&b, &t, a->grid);
        rc = pn_buf_write_atomic(a->md, &b, err);
        pn_buf_free(&b);
    }
    if (rc == PN_OK)
        fprintf(stderr, "pairnet table1: wrote %s from %zu cells\n", a->md, t.n_cells);
    pn_t1_free(&t);
    return rc;
}

int pn_cmd_table1(int argc, char **argv)
{
    t1_args a = {0};
    pn_err err = {0, ""};
    char command[1024];
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(t1_usage, stdout);
        return 0;
    }
    pn_shell_command(command, sizeof command, "pairnet", argv, (size_t)argc);
    int rc = parse(argc - 1, argv + 1, &a, &err);
    if (rc == PN_OK)
        rc = a.grid ? single(&a, &err) : study(&a, command, &err);
    if (rc != PN_OK)
        fprintf(stderr, "pairnet table1: %s\n", err.msg);
    return rc;
}
