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
} pn_effect;

enum { PN_MAX_EFFECTS = 8 };

/* Every comparison of the list whose models both have rounds among r[0..n)
 * (the rounds of a model contiguous); diverged rounds leave their seed out.
 * Returns the count (at most PN_MAX_EFFECTS), or 0 on out of memory. */
size_t pn_effects(const pn_round_rec *r, size_t n, pn_effect *out);

/* The Markdown section (a heading, a sentence, the table); nothing if n == 0. */
void pn_effects_markdown(pn_buf *b, const pn_effect *e, size_t n);
/* effects.svg in dir: a forest plot of the effects and their intervals.
 * Writes nothing (and returns 0) if n == 0. */
int pn_write_effects_svg(const char *dir, const pn_effect *e, size_t n, pn_err *err);

#endif
