/* The study's claims as paired effects (src/report/effects.c): for each
 * comparison below whose two models are both in a benchmark, the test
 * accuracy of A minus B over the seeds both finished, with its 95% interval,
 * paired t and exact Wilcoxon p-values (include/pairnet/report/paired.h,
 * docs/statistics.md). In table2.md and index.html, and drawn in effects.svg. */
#ifndef PAIRNET_EFFECTS_H
#define PAIRNET_EFFECTS_H

#include <stddef.h>

#include "pairnet/base/error.h"
#include "pairnet/base/buf.h"
#include "pairnet/report/paired.h"
#include "pairnet/train/record.h"

typedef struct pn_effect {
    const char *what;  /* "weight sharing", ... */
    const char *a, *b; /* models: the effect is a - b */
    pn_paired r;       /* in percentage points */
    /* r.p_t and r.p_wilcoxon Holm-adjusted over the family of effects they
     * were reported with (pn_effects_holm); NaN where the raw p is NaN */
    double p_t_holm, p_wilcoxon_holm;
} pn_effect;

enum { PN_MAX_EFFECTS = 8 };

/* Every comparison of the list whose models both have rounds among r[0..n)
 * (the rounds of a model contiguous); diverged rounds leave their seed out.
 * Returns the count (at most PN_MAX_EFFECTS), or 0 on out of memory. */
size_t pn_effects(const pn_round_rec *r, size_t n, pn_effect *out);

/* Fills p_t_holm and p_wilcoxon_holm of e[0..n): each test's p-values
 * adjusted as one family (pn_holm), since a table reports its effects
 * together. pn_effects calls it. Returns 0, or -1 out of memory. */
int pn_effects_holm(pn_effect *e, size_t n);

/* "0.0012", "< 0.0001" or "—" (NaN): a p-value as every table prints it. */
void pn_p_text(char *out, size_t cap, double p);
/* "[-0.12, +0.34]" or "—": a 95% interval as every table prints it. */
void pn_ci_text(char *out, size_t cap, const pn_paired *r);
/* The table of the effects alone (header, rule, one row each), as the
 * Markdown section shows it; also `pairnet compare`'s output. */
void pn_effects_table(pn_buf *b, const pn_effect *e, size_t n);
/* The Markdown section (a heading, a sentence, the table); nothing if n == 0. */
void pn_effects_markdown(pn_buf *b, const pn_effect *e, size_t n);
/* effects.svg in dir: a forest plot of the effects and their intervals.
 * Writes nothing (and returns 0) if n == 0. */
int pn_write_effects_svg(const char *dir, const pn_effect *e, size_t n, pn_err *err);

/* The statistics of effect e as keys of the JSON object j has open (n,
 * mean ... p_wilcoxon_holm, n_a_better, n_b_better, n_tie: docs/formats.md),
 * for table2.json and `pairnet compare --format json` alike. */
struct pn_json;
void pn_effect_json_stats(struct pn_json *j, const pn_effect *e);

#endif
