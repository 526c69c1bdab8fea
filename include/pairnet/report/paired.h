/* Paired comparison of two models over the seeds both ran (src/report/paired.c).
 *
 * Rounds of different models with the same seed see the same training and
 * test pairs, so the per-seed difference of their test accuracies removes
 * the spread that comes from the draw of the pairs: a paired test is far
 * sharper than comparing two means. Definitions (docs/statistics.md):
 *   d_i = a_i - b_i over the n common seeds;
 *   mean and sample sd (n-1) of d; 95% CI mean +- t(0.975, n-1) sd / sqrt(n);
 *   paired t-test: t = mean / (sd / sqrt(n)), two-sided p from Student t
 *   with n-1 degrees of freedom;
 *   exact Wilcoxon signed-rank test: zero differences dropped (Wilcoxon's
 *   convention), tied |d| given their average rank, the two-sided p from the
 *   exact distribution of W+ under random signs given those ranks. */
#ifndef PAIRNET_PAIRED_H
#define PAIRNET_PAIRED_H

#include <stddef.h>

typedef struct pn_paired {
    size_t n;              /* common seeds */
    double mean, sd;       /* of d = a - b */
    double ci_lo, ci_hi;   /* 95% confidence interval of the mean difference */
    double t, p_t;         /* paired t statistic and its two-sided p (NaN if n < 2
                            * or sd = 0) */
    double w_plus;         /* sum of the ranks of the positive differences */
    double p_wilcoxon;     /* exact two-sided p (1 when every d is 0) */
    size_t n_a, n_b, n_tie; /* seeds where a is better, b is better, equal */
} pn_paired;

/* |x - y| below this counts as equal (accuracies are multiples of 1/1000,
 * and their differences carry rounding in the last bits of a double). */
#define PN_PAIRED_TIE 1e-9

/* Fills *r from a[i], b[i], i < n. Returns 0, or -1 if n == 0 or out of memory. */
int pn_paired_compare(const double *a, const double *b, size_t n, pn_paired *r);

/* Holm's step-down adjustment of the p-values p[0..n) of one family of
 * tests, into adj[0..n) (adj may be p): sorted ascending, the k-th smallest
 * (k from 0) becomes max over j <= k of min(1, (m - j) p_(j)), m the number
 * of p-values that are not NaN; a NaN (no test) stays NaN and counts for
 * nothing. Controls the family-wise error rate (docs/statistics.md).
 * Returns 0, or -1 out of memory (adj then untouched). */
int pn_holm(const double *p, size_t n, double *adj);

/* Student t with df > 0 degrees of freedom: P(T <= t). */
double pn_t_cdf(double t, double df);
/* The p-quantile (0 < p < 1) of Student t with df degrees of freedom. */
double pn_t_quantile(double p, double df);
/* Exact two-sided signed-rank p-value of the differences d[0..n) (zeros
 * dropped, ties at mid-ranks); *w_plus gets W+. Returns NaN if out of memory. */
double pn_signed_rank_p(const double *d, size_t n, double *w_plus);

#endif
