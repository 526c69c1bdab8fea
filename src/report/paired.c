/* Paired t-test and exact Wilcoxon signed-rank test, libm only.
 *
 * Student t's CDF goes through the regularized incomplete beta function,
 * evaluated by its continued fraction (modified Lentz); the quantile inverts
 * the CDF by bisection, which cannot fail to converge on a monotone function
 * and costs nothing at the sizes used here. The signed-rank distribution is
 * counted exactly by dynamic programming over the doubled ranks, which are
 * integers even with ties (a mid-rank is a multiple of 1/2). */
#include "pairnet/report/paired.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Continued fraction of I_x(a, b), for x < (a + 1) / (a + b + 2). */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < tiny)
        d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 500; m++) {
        const double m2 = 2.0 * m;
        double num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + num * d;
        d = fabs(d) < tiny ? 1.0 / tiny : 1.0 / d;
        c = 1.0 + num / c;
        if (fabs(c) < tiny)
            c = tiny;
        h *= d * c;
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + num * d;
        d = fabs(d) < tiny ? 1.0 / tiny : 1.0 / d;
        c = 1.0 + num / c;
        if (fabs(c) < tiny)
            c = tiny;
        const double step = d * c;
        h *= step;
        if (fabs(step - 1.0) < 1e-15)
            break;
    }
    return h;
}

/* Regularized incomplete beta I_x(a, b), 0 <= x <= 1. */
static double inc_beta(double a, double b, double x)
{
    if (x <= 0.0)
        return 0.0;
    if (x >= 1.0)
        return 1.0;
    const double front =
        exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    /* the fraction converges fast on this side; use the symmetry on the other */
    if (x < (a + 1.0) / (a + b + 2.0))
        return front * beta_cf(a, b, x) / a;
    return 1.0 - front * beta_cf(b, a, 1.0 - x) / b;
}

double pn_t_cdf(double t, double df)
{
    if (isnan(t) || !(df > 0.0))
        return NAN;
    if (isinf(t))
        return t > 0 ? 1.0 : 0.0;
    /* P(|T| > |t|) = I_{df/(df+t^2)}(df/2, 1/2) */
    const double tail = 0.5 * inc_beta(0.5 * df, 0.5, df / (df + t * t));
    return t > 0 ? 1.0 - tail : tail;
}

double pn_t_quantile(double p, double df)
{
    if (!(p > 0.0 && p < 1.0) || !(df > 0.0))
        return NAN;
    if (p == 0.5)
        return 0.0;
    if (p < 0.5)
        return -pn_t_quantile(1.0 - p, df);
    double lo = 0.0, hi = 1.0;
    while (pn_t_cdf(hi, df) < p && hi < 1e300)
        hi *= 2.0;
    for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
        const double mid = 0.5 * (lo + hi);
        if (pn_t_cdf(mid, df) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* One step of Holm's procedure: a p-value and its place in the family. */
typedef struct holm_item {
    double p;
    size_t at;
} holm_item;

/* p ascending, ties by place, so the result never depends on qsort's order */
static int by_p(const void *x, const void *y)
{
    const holm_item *a = x, *b = y;
    return a->p < b->p ? -1 : a->p > b->p ? 1 : (a->at > b->at) - (a->at < b->at);
}

int pn_holm(const double *p, size_t n, double *adj)
{
    holm_item *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(p[i]))
            v[m++] = (holm_item){p[i], i};
    qsort(v, m, sizeof *v, by_p);
    for (size_t i = 0; i < n; i++)
        if (isnan(p[i]))
            adj[i] = NAN;
    double run = 0.0; /* the running maximum keeps the adjusted p monotone */
    for (size_t k = 0; k < m; k++) {
        double q = (double)(m - k) * v[k].p;
        q = q < 1.0 ? q : 1.0;
        run = q > run ? q : run;
        adj[v[k].at] = run; /* p[v[k].at] is no longer read: adj may be p */
    }
    free(v);
    return 0;
}

static int by_abs(const void *x, const void *y)
{
    const double a = fabs(*(const double *)x), b = fabs(*(const double *)y);
    return (a > b) - (a < b);
}

double pn_signed_rank_p(const double *d, size_t n, double *w_plus)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    unsigned *r2 = malloc((n ? n : 1) * sizeof *r2); /* doubled mid-ranks */
    if (!v || !r2) {
        free(v);
        free(r2);
        return NAN;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(d[i]) > PN_PAIRED_TIE)
            v[m++] = d[i];
    qsort(v, m, sizeof *v, by_abs);
    /* ranks 1..m; a run of equal |d| at ranks i+1..j shares (i+1+j)/2, doubled i+1+j */
    unsigned total2 = 0, wp2 = 0;
    for (size_t i = 0; i < m;) {
        size_t j = i + 1;
        while (j < m && fabs(v[j]) - fabs(v[i]) <= PN_PAIRED_TIE)
            j++;
        for (size_t k = i; k < j; k++) {
            r2[k] = (unsigned)(i + 1 + j);
            total2 += r2[k];
            if (v[k] > 0)
                wp2 += r2[k];
        }
        i = j;
    }
    if (w_plus)
        *w_plus = 0.5 * wp2;
    if (m == 0) {
        free(v);
        free(r2);
        return 1.0;
    }
    /* prob[s]: P(doubled W+ = s) when each rank's sign is a fair coin */
    double *prob = calloc(total2 + 1, sizeof *prob);
    if (!prob) {
        free(v);
        free(r2);
        return NAN;
    }
    prob[0] = 1.0;
    unsigned reach = 0;
    for (size_t k = 0; k < m; k++) {
        reach += r2[k];
        for (unsigned s = reach + 1; s-- > 0;) {
            const double with = s >= r2[k] ? prob[s - r2[k]] : 0.0;
            prob[s] = 0.5 * (prob[s] + with);
        }
    }
    double lower = 0.0, upper = 0.0; /* P(W+ <= w), P(W+ >= w) */
    for (unsigned s = 0; s <= total2; s++) {
        if (s <= wp2)
            lower += prob[s];
        if (s >= wp2)
            upper += prob[s];
    }
    free(prob);
    free(v);
    free(r2);
    const double p = 2.0 * (lower < upper ? lower : upper);
    return p < 1.0 ? p : 1.0;
}

int pn_paired_compare(const double *a, const double *b, size_t n, pn_paired *r)
{
    memset(r, 0, sizeof *r);
    if (n == 0)
        return -1;
    double *d = malloc(n * sizeof *d);
    if (!d)
        return -1;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        d[i] = a[i] - b[i];
        sum += d[i];
        if (d[i] > PN_PAIRED_TIE)
            r->n_a++;
        else if (d[i] < -PN_PAIRED_TIE)
            r->n_b++;
        else
            r->n_tie++;
    }
    r->n = n;
    r->mean = sum / (double)n;
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (d[i] - r->mean) * (d[i] - r->mean);
    r->sd = n > 1 ? sqrt(ss / (double)(n - 1)) : NAN;
    r->ci_lo = r->ci_hi = r->t = r->p_t = NAN;
    if (n > 1) {
        const double se = r->sd / sqrt((double)n), q = pn_t_quantile(0.975, (double)(n - 1));
        r->ci_lo = r->mean - q * se;
        r->ci_hi = r->mean + q * se;
        if (se > 0.0) {
            r->t = r->mean / se;
            r->p_t = 2.0 * pn_t_cdf(-fabs(r->t), (double)(n - 1));
        }
    }
    r->p_wilcoxon = pn_signed_rank_p(d, n, &r->w_plus);
    free(d);
    return isnan(r->p_wilcoxon) ? -1 : 0;
}
