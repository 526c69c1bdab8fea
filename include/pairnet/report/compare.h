/* `pairnet compare`: the paired effect of a change, between two bench
 * folders (src/report/compare.c). Each folder's runs.csv gives, per model
 * and seed, the final test accuracy of a round (the row of its last
 * epoch; a round whose last loss is not finite, or that has no test
 * accuracy, diverged). A comparison pairs model ma of folder A with model
 * mb of folder B over the seeds both finished, with the statistics of
 * table2.md's paired effects (pn_paired, Holm over the comparisons made
 * together); the seeds only one side holds, or that diverged, are left out
 * and listed. */
#ifndef PAIRNET_COMPARE_H
#define PAIRNET_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/buf.h"
#include "pairnet/base/error.h"
#include "pairnet/report/effects.h"

/* One finished or diverged round of a folder. */
typedef struct pn_seed_acc {
    char model[32];
    uint64_t seed;
    double test_acc; /* fraction; NaN if diverged */
} pn_seed_acc;

typedef struct pn_bench_runs {
    const char *dir;
    pn_seed_acc *v;
    size_t n;
} pn_bench_runs;

/* Reads dir/runs.csv. A missing file or folder, or a damaged row, is an
 * error (PN_ERR_DATA) naming it. */
int pn_bench_runs_read(const char *dir, pn_bench_runs *out, pn_err *err);
/* The rounds of dir's round store (dir/rounds.pnr) whose key holds every
 * FIELD=VALUE of fields ("lr=0.1,epochs=1", compared as the key writes
 * them): two configurations of one store compared with each other. A seed
 * of one model under two keys that both match is refused (ambiguous: the
 * message names both keys), and so is a selection that matches nothing. */
int pn_bench_runs_from_store(const char *dir, const char *fields, pn_bench_runs *out,
                             pn_err *err);
void pn_bench_runs_free(pn_bench_runs *r);
/* Whether r->v[i] is the first round of its model in r. */
int pn_bench_runs_first_of_model(const pn_bench_runs *r, size_t i);
/* Whether the folder has rounds of model m. */
int pn_bench_runs_has(const pn_bench_runs *r, const char *m);
/* The models of r, comma-separated in order of first appearance, into out[cap]. */
void pn_bench_runs_models(const pn_bench_runs *r, char *out, size_t cap);

typedef struct pn_comparison {
    pn_effect e; /* e.a, e.b: the models; e.what: the comparison's label */
    char what[96];
    const char *dir_a, *dir_b;
    /* the seeds left out, as ranges ("3-4, 9"), and how many */
    char only_a[128], only_b[128], diverged[128];
    size_t n_only_a, n_only_b, n_diverged;
} pn_comparison;

/* Model ma of a against model mb of b. Fails (PN_ERR_DATA) when they have
 * no finished seed in common, naming both sides' seeds. */
int pn_compare(const pn_bench_runs *a, const char *ma, const pn_bench_runs *b, const char *mb,
               pn_comparison *out, pn_err *err);
/* Holm over the comparisons c[0..n) (they are reported together). */
int pn_compare_holm(pn_comparison *c, size_t n);

/* For a person: which folders, the seeds left out, the table of effects. */
void pn_compare_text(pn_buf *b, const pn_comparison *c, size_t n);
/* The same as one JSON document: {"comparisons": [...]} with every number
 * of the table unrounded and the seeds left out. */
void pn_compare_json(pn_buf *b, const pn_comparison *c, size_t n);
/* One tab-separated line per comparison under a header, the cells as the
 * table prints them (for scripts that put them into a Markdown table). */
void pn_compare_tsv(pn_buf *b, const pn_comparison *c, size_t n);

#endif
