/* Table I of the study: the grid search over learning rate x batch size,
 * gathered from the cells of one or two grids laid out by scripts/grid.sh
 * (DIR/<model>/lr<X>_bs<Y>/table2.csv, one bench per cell) and written as
 * Markdown, CSV and heatmaps (src/report/table1*.c). Two forms: one grid
 * (the best cell of each model and every model's grid), or the study's
 * honest choice from a validation grid and a test grid. */
#ifndef PAIRNET_TABLE1_H
#define PAIRNET_TABLE1_H

#include <stddef.h>

#include "pairnet/base/buf.h"
#include "pairnet/base/error.h"
#include "pairnet/report/provenance.h"

struct pn_model_info;

enum { PN_T1_VALIDATION = 0, PN_T1_TEST = 1, PN_T1_SETS = 2 };
enum { PN_T1_MAX_AXIS = 64, PN_T1_MAX_MODELS = 64, PN_T1_NAME = 64, PN_T1_FIELD = 32 };

/* One cell of one grid: a row of its table2.csv. The figures the tables
 * print as they were read are kept as text (test_mean, diverged). */
typedef struct pn_t1_cell {
    int set;                 /* PN_T1_VALIDATION (or the only grid) or PN_T1_TEST */
    size_t model, lr, bs;    /* indices into the grid's models, lrs, bss */
    long epochs, rounds, diverged;
    char diverged_text[PN_T1_FIELD];
    char mean_text[PN_T1_FIELD], std_text[PN_T1_FIELD]; /* test accuracy */
    int mean_empty;          /* test_mean was empty (no round finished) */
    double test_mean, test_std, train_mean, train_std; /* fractions */
} pn_t1_cell;

typedef struct pn_t1 {
    pn_t1_cell *cells;
    size_t n_cells, cap, per_set[PN_T1_SETS];
    /* models in table order: the study's (the registry's order), then the
     * others as found; learning rates and batch sizes ascending */
    char models[PN_T1_MAX_MODELS][PN_T1_NAME];
    size_t n_models;
    double lrs[PN_T1_MAX_AXIS];
    size_t bss[PN_T1_MAX_AXIS], n_lrs, n_bss;
    char seeds[PN_T1_SETS][48]; /* "1000..1014" from the grid's cells.txt, or "?" */
    int dup_warn;               /* say on stderr when a cell is read twice (one grid) */
} pn_t1;

/* Reads every DIR/<model>/<cell>/table2.csv of grid dir as set (in the
 * order of their paths, as the shell's glob lists them); a cell read
 * twice keeps the later row. Fails when dir holds no cell. */
int pn_t1_read_grid(pn_t1 *t, const char *dir, int set, pn_err *err);
/* Puts the models in table order and sorts the axes; after reading. */
void pn_t1_finish(pn_t1 *t);
void pn_t1_free(pn_t1 *t);

/* The cell (set, model m, lr index a, bs index b), or NULL. */
const pn_t1_cell *pn_t1_find(const pn_t1 *t, int set, size_t m, size_t a, size_t b);
/* Whether c has a mean test accuracy: some round of it finished. */
int pn_t1_has_mean(const pn_t1_cell *c);
/* The cell with the highest mean test accuracy of model m in set (ties:
 * the smaller lr, then the smaller batch size), or NULL. */
const pn_t1_cell *pn_t1_best(const pn_t1 *t, int set, size_t m);

/* The registry's entry of the study model named name (the study's lr, bs
 * and Table II figure), or NULL for a model beyond the study. */
const struct pn_model_info *pn_t1_study_model(const char *name);

/* One grid's Table I (scripts/grid.sh's table1.md); src is the grid
 * folder as the user named it. */
/* The heading (hashes, then model m's name) and the header and rule of
 * its grid table: a column per batch size. */
void pn_t1_grid_head(pn_buf *b, const pn_t1 *t, const char *hashes, size_t m);
void pn_t1_single_md(pn_buf *b, const pn_t1 *t, const char *src);
/* The study's Table I: table1.md (with info's provenance) and table1.csv. */
void pn_t1_study_md(pn_buf *b, const pn_t1 *t, const pn_run_info *info);
void pn_t1_study_csv(pn_buf *b, const pn_t1 *t);
/* table1.json (src/report/table1_json.c; its schema in docs/formats.md):
 * the same cells, choices and info's provenance for a script. */
#define PN_TABLE1_SCHEMA "pairnet.table1/1"
void pn_t1_study_json(pn_buf *b, const pn_t1 *t, const pn_run_info *info);
/* The heatmap of one set: every model's grid, coloured per model, the
 * chosen cell outlined, the study's cell dashed (src/report/table1_heatmap.c). */
void pn_t1_heatmap_svg(pn_buf *b, const pn_t1 *t, int set);
/* The heatmaps' colour of t in [0, 1] (clamped; 0 dark purple, 1 yellow:
 * viridis) as "#rrggbb" into out. */
void pn_t1_viridis(double t, char out[8]);
/* The colour of a cell of mean v (a fraction) in the grid of a model whose
 * best cell's mean is best: yellow at the best, dark purple 5 points below
 * and further. */
void pn_t1_heat_colour(double v, double best, char out[8]);

/* The study's choice table, row of model m, as text (the model's name
 * apart): chosen on validation (lr / bs, its validation and its test
 * figure), chosen on test (lr / bs, figure), the study's (lr / bs, its
 * Table II figure, pairnet's figure of that cell); "—" where there is none. */
enum { PN_T1_CHOICE_COLS = 8, PN_T1_OWN_COLS = 5 };
typedef char pn_t1_text[64];
void pn_t1_choice_cells(const pn_t1 *t, size_t m, pn_t1_text cell[PN_T1_CHOICE_COLS]);
/* "R rounds of E epochs per cell", or that they differ between cells. */
void pn_t1_protocol_text(pn_buf *b, const pn_t1 *t);
/* 1 if every cell ran the study's protocol (PN_STUDY_ROUNDS rounds of the
 * default 45 epochs): only then do the choice table's last three columns
 * (PN_T1_OWN_COLS on) set pairnet's figures beside the study's. */
int pn_t1_study_protocol(const pn_t1 *t);
/* The note that says why a grid off the study's protocol has no study
 * columns (Markdown and HTML alike: no markup in it). */
void pn_t1_no_study_note(pn_buf *b, const pn_t1 *t);
/* The study's Table I for index.html: the choice table and the heatmaps
 * (figure(b, name, ctx) inlines one; the page checks what it inlines). */
void pn_t1_study_html(pn_buf *b, const pn_t1 *t,
                      void (*figure)(pn_buf *b, const char *name, void *ctx), void *ctx);
/* Reads a table1.csv the study's form wrote back into t (the figures the
 * page shows come from this data, not from the Markdown). */
int pn_t1_read_study_csv(pn_t1 *t, const char *path, pn_err *err);

/* Writes OUT/table1.md, table1.csv, table1.json, heatmap-validation.svg and
 * heatmap-test.svg of the study's form. */
int pn_t1_write_study(const pn_t1 *t, const char *out, const pn_run_info *info, pn_err *err);

#endif
