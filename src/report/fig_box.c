/* fig4.svg, the study's Figure 4: a box plot of the final test accuracy of
 * every round, per model, with every round as a dot, and the study's own
 * mean beside it where the study reports one. */
#include "pairnet/report/results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/models/models.h"
#include "pairnet/report/svg.h"

typedef struct box_stats {
    double q1, median, q3, mean;
    double whisker_lo, whisker_hi; /* furthest data within 1.5 IQR of the box */
} box_stats;

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Linear interpolation between order statistics (numpy's default). */
static double quantile(const double *sorted, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t i = (size_t)h;
    if (i + 1 >= n)
        return sorted[n - 1];
    return sorted[i] + (h - (double)i) * (sorted[i + 1] - sorted[i]);
}

/* Statistics of v[0..n), n > 0; sorted is scratch of size n. */
static box_stats box_of(const double *v, size_t n, double *sorted)
{
    box_stats s;
    double unused;
    memcpy(sorted, v, n * sizeof *v);
    qsort(sorted, n, sizeof *sorted, cmp_double);
    s.q1 = quantile(sorted, n, 0.25);
    s.median = quantile(sorted, n, 0.5);
    s.q3 = quantile(sorted, n, 0.75);
    pn_mean_std(v, n, &s.mean, &unused);
    double reach = 1.5 * (s.q3 - s.q1);
    s.whisker_lo = s.q1;
    s.whisker_hi = s.q3;
    for (size_t i = 0; i < n; i++) {
        if (sorted[i] >= s.q1 - reach && sorted[i] < s.whisker_lo)
            s.whisker_lo = sorted[i];
        if (sorted[i] <= s.q3 + reach && sorted[i] > s.whisker_hi)
            s.whisker_hi = sorted[i];
    }
    return s;
}

/* Final test accuracies (percent) of the finished rounds of one model. */
static size_t finished_test_pct(const pn_round_rec *r, pn_group g, double *out)
{
    size_t k = 0;
    for (size_t i = g.start; i < g.end; i++)
        if (!r[i].diverged && isfinite(r[i].test_acc))
            out[k++] = 100.0 * r[i].test_acc;
    return k;
}

/* Deterministic jitter in [-0.5, 0.5): the golden-ratio sequence spreads
 * any number of dots evenly, and the file is the same on every run. */
static double jitter(size_t i) { return fmod(0.5 + (double)i * 0.6180339887498949, 1.0) - 0.5; }

static void draw_box(pn_buf *b, const pn_frame *f, const pn_axis *a, double cx, double half,
                     const char *color, const double *v, size_t n, const box_stats *s)
{
    double cap = half * 0.45;
    char attrs[160];
    /* Whiskers behind the box. */
    pn_svg_line(b, cx, pn_map_y(f, a, s->whisker_hi), cx, pn_map_y(f, a, s->q3), "stroke=\"#555\"");
    pn_svg_line(b, cx, pn_map_y(f, a, s->q1), cx, pn_map_y(f, a, s->whisker_lo), "stroke=\"#555\"");
    pn_svg_line(b, cx - cap, pn_map_y(f, a, s->whisker_hi), cx + cap, pn_map_y(f, a, s->whisker_hi),
             "stroke=\"#555\"");
    pn_svg_line(b, cx - cap, pn_map_y(f, a, s->whisker_lo), cx + cap, pn_map_y(f, a, s->whisker_lo),
             "stroke=\"#555\"");
    double top = pn_map_y(f, a, s->q3), height = pn_map_y(f, a, s->q1) - top;
    pn_buf_printf(b,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                  "fill-opacity=\"0.22\" stroke=\"%s\" stroke-width=\"1.5\"/>\n",
                  cx - half, top, 2 * half, height, color, color);
    /* Every round as a dot; hollow beyond the whiskers (an outlier). */
    for (size_t i = 0; i < n; i++) {
        int outlier = v[i] < s->whisker_lo || v[i] > s->whisker_hi;
        pn_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" ",
                      cx + jitter(i) * 1.5 * half, pn_map_y(f, a, v[i]));
        if (outlier)
            pn_buf_printf(b, "fill=\"#fff\" stroke=\"%s\" stroke-width=\"1.6\"/>\n", color);
        else
            pn_buf_printf(b, "fill=\"%s\" fill-opacity=\"0.75\" stroke=\"#fff\" "
                             "stroke-width=\"0.6\"/>\n", color);
    }
    snprintf(attrs, sizeof attrs, "stroke=\"#222\" stroke-width=\"2.5\"");
    pn_svg_line(b, cx - half, pn_map_y(f, a, s->median), cx + half, pn_map_y(f, a, s->median),
                attrs);
    double my = pn_map_y(f, a, s->mean);
    pn_buf_printf(b,
                  "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"#fff\" "
                  "stroke=\"#222\" stroke-width=\"1.3\"/>\n",
                  cx, my - 5, cx + 5, my, cx, my + 5, cx - 5, my);
}

/* The study's Table II test accuracy of a model (%), or NaN. */
static double study_test(const char *model)
{
    const pn_model_info *m = pn_model_find(model);
    return m ? m->study_test : NAN;
}

/* The y range of all finished rounds and the study's means, padded so no
 * dot sits on the frame. */
static pn_axis fig4_axis(const pn_round_rec *r, size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (r[i].diverged || !isfinite(r[i].test_acc))
            continue;
        lo = fmin(lo, 100.0 * r[i].test_acc);
        hi = fmax(hi, 100.0 * r[i].test_acc);
        const double st = study_test(r[i].model);
        if (isfinite(st)) {
            lo = fmin(lo, st);
            hi = fmax(hi, st);
        }
    }
    if (!(hi >= lo))
        return pn_axis_make(0, 100, 5, 0, 1);
    double pad = 0.04 * (hi - lo);
    return pn_axis_make(fmax(0.0, lo - pad), fmin(100.0, hi + pad), 6, 0, 1);
}

static void fig4_body(pn_buf *b, const pn_round_rec *r, const pn_group *g, size_t n_groups,
                      const pn_axis *a, double *vals, double *scratch)
{
    const pn_frame f = {70, 62, 670, 318};
    pn_svg_y_axis(b, &f, a, "test accuracy (%)");
    pn_svg_x_axis(b, &f, NULL, NULL);
    double slot = f.w / (double)(n_groups ? n_groups : 1);
    double half = fmin(slot * 0.22, 42.0);
    size_t total = 0, studies = 0, finished_any = 0;
    for (size_t k = 0; k < n_groups; k++)
        finished_any += finished_test_pct(r, g[k], vals);
    for (size_t k = 0; k < n_groups; k++) {
        double cx = f.x + ((double)k + 0.5) * slot;
        size_t n = finished_test_pct(r, g[k], vals);
        total += n;
        char label[64];
        pn_svg_text(b, cx, f.y + f.h + 22, "text-anchor=\"middle\" font-size=\"14\"",
                 r[g[k].start].model);
        snprintf(label, sizeof label, "n = %zu", n);
        pn_svg_text(b, cx, f.y + f.h + 39, "text-anchor=\"middle\" font-size=\"11\" fill=\"#666\"",
                 label);
        if (n == 0) { /* one message for the frame when no model has a round */
            if (finished_any)
                pn_svg_text(b, cx, f.y + f.h / 2, "text-anchor=\"middle\" font-size=\"12\" "
                            "fill=\"#a33\"", "all diverged");
            continue;
        }
        box_stats s = box_of(vals, n, scratch);
        draw_box(b, &f, a, cx, half, pn_svg_model_color(r[g[k].start].model), vals, n, &s);
        const double st = study_test(r[g[k].start].model);
        if (isfinite(st)) { /* the study's mean: a cross right of the box */
            const double sx = cx + half + 12, sy = pn_map_y(&f, a, st);
            pn_svg_line(b, sx - 5, sy - 5, sx + 5, sy + 5, "stroke=\"#222\" stroke-width=\"2\"");
            pn_svg_line(b, sx - 5, sy + 5, sx + 5, sy - 5, "stroke=\"#222\" stroke-width=\"2\"");
            studies++;
        }
    }
    if (total == 0)
        pn_svg_no_data(b, &f, n_groups ? "every round diverged: nothing to plot"
                                       : "no rounds to plot");
    pn_svg_text(
        b, PN_FIG_W / 2.0, PN_FIG_H - (studies ? 28 : 14),
        "text-anchor=\"middle\" font-size=\"11\" fill=\"#666\"",
        "box: quartiles " PN_SVG_DOT " bar: median " PN_SVG_DOT " diamond: mean " PN_SVG_DOT
        " whiskers: furthest round within 1.5 IQR " PN_SVG_DOT " dots: rounds (hollow: outliers)");
    if (studies)
        pn_svg_text(b, PN_FIG_W / 2.0, PN_FIG_H - 12,
                    "text-anchor=\"middle\" font-size=\"11\" fill=\"#666\"",
                    "cross: the study's mean test accuracy (its Table II)");
}

int pn_write_fig4_svg(const char *dir, const pn_round_rec *r, size_t n_rounds, pn_err *err)
{
    size_t cap = n_rounds ? n_rounds : 1;
    pn_group *g = malloc(cap * sizeof *g);
    double *vals = malloc(2 * cap * sizeof *vals);
    if (!g || !vals) {
        free(g);
        free(vals);
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory drawing fig4.svg");
    }
    size_t n_groups = pn_svg_groups(r, n_rounds, g);
    char title[96], subtitle[96] = "";
    snprintf(title, sizeof title, "Test accuracy over %zu rounds", pn_svg_max_group(g, n_groups));
    size_t d = pn_svg_count_diverged(r, n_rounds);
    if (d)
        snprintf(subtitle, sizeof subtitle, "%zu diverged round%s excluded", d, d == 1 ? "" : "s");

    pn_buf b = {0};
    pn_svg_open(&b, title, subtitle);
    pn_axis a = fig4_axis(r, n_rounds);
    fig4_body(&b, r, g, n_groups, &a, vals, vals + cap);
    free(g);
    free(vals);
    return pn_svg_save(&b, dir, "fig4.svg", err);
}
