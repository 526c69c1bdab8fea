/* Paired statistics (src/report/paired.c) against published values of
 * Student t (the tables of any statistics text; the figures here to 9 digits
 * as scipy.stats 1.x gives them), closed forms for 1 and 2 degrees of
 * freedom, and brute-force enumeration of every sign pattern for the exact
 * signed-rank test. */
#include "test.h"

#include "pairnet/base/rng.h"
#include "pairnet/report/paired.h"

#include <math.h>
#include <stdlib.h>

static void t_quantiles_match_published_values(void)
{
    CHECK_NEAR(pn_t_quantile(0.975, 14), 2.144786688, 1e-8);
    CHECK_NEAR(pn_t_quantile(0.975, 1), 12.706204736, 1e-7);
    CHECK_NEAR(pn_t_quantile(0.995, 10), 3.169272673, 1e-8);
    CHECK_NEAR(pn_t_quantile(0.95, 30), 1.697260887, 1e-8);
    CHECK_NEAR(pn_t_quantile(0.999, 3), 10.214531852, 1e-7);
    CHECK_NEAR(pn_t_quantile(0.025, 14), -2.144786688, 1e-8);
    CHECK(pn_t_quantile(0.5, 5) == 0.0);
    CHECK(isnan(pn_t_quantile(0.0, 5)) && isnan(pn_t_quantile(1.0, 5)));
    CHECK(isnan(pn_t_quantile(0.9, 0.0)));
}

static void t_cdf_closed_forms_and_published_values(void)
{
    const double pi = 3.14159265358979323846;
    for (double t = -30.0; t <= 30.0; t += 0.37) {
        CHECK_NEAR(pn_t_cdf(t, 1), 0.5 + atan(t) / pi, 1e-12);                 /* Cauchy */
        CHECK_NEAR(pn_t_cdf(t, 2), 0.5 + t / (2.0 * sqrt(2.0 + t * t)), 1e-12);
    }
    CHECK_NEAR(pn_t_cdf(-2.5, 7), 0.020496109, 1e-9);
    CHECK_NEAR(pn_t_cdf(1.3, 3.5), 0.863702292, 1e-9);
    CHECK(pn_t_cdf(0.0, 9) == 0.5);
    CHECK(pn_t_cdf(INFINITY, 4) == 1.0 && pn_t_cdf(-INFINITY, 4) == 0.0);
    for (double p = 0.01; p < 1.0; p += 0.07)
        CHECK_NEAR(pn_t_cdf(pn_t_quantile(p, 6), 6), p, 1e-11);
}

/* P-value of the signed-rank test by trying all 2^m sign patterns. */
static double brute_signed_rank(const double *d, size_t n)
{
    double v[20];
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(d[i]) > PN_PAIRED_TIE)
            v[m++] = d[i];
    if (m == 0)
        return 1.0;
    double rank[20], wp = 0.0;
    for (size_t i = 0; i < m; i++) { /* mid-rank: 1 + #smaller + #equal-others / 2 */
        double less = 0, same = 0;
        for (size_t j = 0; j < m; j++) {
            if (fabs(v[j]) < fabs(v[i]) - PN_PAIRED_TIE)
                less++;
            else if (j != i && fabs(fabs(v[j]) - fabs(v[i])) <= PN_PAIRED_TIE)
                same++;
        }
        rank[i] = 1.0 + less + 0.5 * same;
        if (v[i] > 0)
            wp += rank[i];
    }
    double lo = 0, up = 0;
    for (unsigned long s = 0; s < (1ul << m); s++) {
        double w = 0.0;
        for (size_t i = 0; i < m; i++)
            if (s >> i & 1u)
                w += rank[i];
        lo += w <= wp + 1e-9;
        up += w >= wp - 1e-9;
    }
    const double p = 2.0 * (lo < up ? lo : up) / (double)(1ul << m);
    return p < 1.0 ? p : 1.0;
}

static void signed_rank_equals_brute_force(void)
{
    pn_rng rng;
    pn_rng_seed(&rng, 42, 0);
    for (int trial = 0; trial < 300; trial++) {
        const size_t n = 1 + (size_t)pn_rng_below(&rng, 14);
        double d[15];
        for (size_t i = 0; i < n; i++) /* small integers: many ties and zeros */
            d[i] = 0.001 * ((double)pn_rng_below(&rng, 9) - 3.0);
        double wp;
        const double p = pn_signed_rank_p(d, n, &wp);
        CHECK_NEAR(p, brute_signed_rank(d, n), 1e-12);
        CHECK(p > 0.0 && p <= 1.0);
    }
}

static void signed_rank_published_values(void)
{
    /* all ten positive: W+ = 55, P = 2 / 2^10; W- <= 8 at n = 10 is 25 / 1024 */
    double d[10];
    for (int i = 0; i < 10; i++)
        d[i] = i + 1;
    double wp;
    CHECK_NEAR(pn_signed_rank_p(d, 10, &wp), 2.0 / 1024.0, 1e-15);
    CHECK(wp == 55.0);
    d[0] = -1.0; /* ranks 1, 2 and 5 negative: W- = 8 */
    d[1] = -2.0;
    d[4] = -5.0;
    CHECK_NEAR(pn_signed_rank_p(d, 10, &wp), 2.0 * 25.0 / 1024.0, 1e-15);
    double zeros[4] = {0, 0, 0, 0};
    CHECK(pn_signed_rank_p(zeros, 4, &wp) == 1.0 && wp == 0.0);
}

static void paired_compare_known_example(void)
{
    const double a[5] = {1, 2, 3, 4, 5}, b[5] = {0, 0, 0, 0, 0};
    pn_paired r;
    CHECK(pn_paired_compare(a, b, 5, &r) == 0);
    CHECK(r.n == 5 && r.n_a == 5 && r.n_b == 0 && r.n_tie == 0);
    CHECK_NEAR(r.mean, 3.0, 1e-15);
    CHECK_NEAR(r.t, 4.242640687, 1e-9);
    CHECK_NEAR(r.p_t, 0.013235600, 1e-9);
    CHECK_NEAR(r.ci_lo, 3.0 - 2.776445105 * sqrt(2.5 / 5.0), 1e-8);
    CHECK_NEAR(r.ci_hi, 3.0 + 2.776445105 * sqrt(2.5 / 5.0), 1e-8);
    CHECK_NEAR(r.p_wilcoxon, 2.0 / 32.0, 1e-15);

    /* accuracies of 15 seeds: d has a zero and ties (scipy: t 3.36256, p 0.0046464) */
    const double d[15] = {0.012, -0.003, 0.021, 0.008, 0.008, -0.005, 0.015, 0.0,
                          0.011, 0.004,  0.008, -0.003, 0.019, 0.006, 0.002};
    double x[15], y[15];
    for (int i = 0; i < 15; i++) {
        y[i] = 0.85 + 0.001 * i;
        x[i] = y[i] + d[i];
    }
    CHECK(pn_paired_compare(x, y, 15, &r) == 0);
    CHECK(r.n_a == 11 && r.n_b == 3 && r.n_tie == 1);
    CHECK_NEAR(r.t, 3.362557137, 1e-6);
    CHECK_NEAR(r.p_t, 0.004646419, 1e-7);
    CHECK(r.w_plus == 95.0);
    CHECK_NEAR(r.p_wilcoxon, 0.0047607421875, 1e-12); /* 78 / 16384, by enumeration */
    CHECK(r.ci_lo > 0.0 && r.ci_lo < r.mean && r.mean < r.ci_hi);

    /* one seed: no spread, no interval, no t */
    CHECK(pn_paired_compare(x, y, 1, &r) == 0);
    CHECK(isnan(r.sd) && isnan(r.ci_lo) && isnan(r.p_t));
    CHECK(pn_paired_compare(x, y, 0, &r) == -1);
}

/* Holm's step-down adjustment against hand-computed values: the smallest
 * p times m, the next times m - 1, ..., made monotone by the running
 * maximum and capped at 1; a NaN (no test) stays NaN and is not counted. */
static void holm_matches_hand_computed_values(void)
{
    double p[3] = {0.01, 0.04, 0.03}, adj[3];
    CHECK(pn_holm(p, 3, adj) == 0);
    /* 0.01*3 = 0.03; 0.03*2 = 0.06; 0.04*1 = 0.04 -> max(0.06, 0.04) = 0.06 */
    CHECK_NEAR(adj[0], 0.03, 1e-15);
    CHECK_NEAR(adj[1], 0.06, 1e-15);
    CHECK_NEAR(adj[2], 0.06, 1e-15);
    double q[4] = {0.02, NAN, 0.04, 0.5}, qa[4];
    CHECK(pn_holm(q, 4, qa) == 0);
    CHECK_NEAR(qa[0], 0.06, 1e-15); /* m = 3, not 4 */
    CHECK(isnan(qa[1]));
    CHECK_NEAR(qa[2], 0.08, 1e-15);
    CHECK_NEAR(qa[3], 0.5, 1e-15);
    double r[2] = {0.6, 0.7};
    CHECK(pn_holm(r, 2, r) == 0 && r[0] == 1.0 && r[1] == 1.0); /* in place, capped */
    double one = 0.0123;
    CHECK(pn_holm(&one, 1, &one) == 0 && one == 0.0123); /* one test: unchanged */
    CHECK(pn_holm(NULL, 0, NULL) == 0);
    /* random families: never below the raw p, and in the raw p's order */
    pn_rng g;
    pn_rng_seed(&g, 42, 1);
    for (int trial = 0; trial < 200; trial++) {
        double x[9], y[9];
        const size_t n = 1 + (size_t)pn_rng_below(&g, 9);
        for (size_t i = 0; i < n; i++) /* ties too: 1/1000 steps */
            x[i] = (double)pn_rng_below(&g, 1001) / 1000.0 * (double)pn_rng_below(&g, 1001) / 1000.0;
        CHECK(pn_holm(x, n, y) == 0);
        for (size_t i = 0; i < n; i++) {
            CHECK(y[i] >= x[i] && y[i] <= 1.0 && y[i] <= n * x[i] + 1e-15);
            for (size_t j = 0; j < n; j++)
                if (x[i] <= x[j])
                    CHECK(y[i] <= y[j]);
        }
    }
}

void suite_paired(void)
{
    RUN(holm_matches_hand_computed_values);
    RUN(t_quantiles_match_published_values);
    RUN(t_cdf_closed_forms_and_published_values);
    RUN(signed_rank_equals_brute_force);
    RUN(signed_rank_published_values);
    RUN(paired_compare_known_example);
}
