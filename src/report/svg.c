/* The figures, as hand-written SVG: the study's Figure 4 (a box plot of
 * the final test accuracy of every round, per model), the learning curves
 * (mean test accuracy per epoch with a +-1 std band) and the digit-level
 * bars (the tower's digit accuracy, its predicted digits compared, the
 * head). They share the frame/axis/tick helpers below. Coordinates are in viewBox units; the
 * text uses a generic sans-serif font so the files render anywhere. */
#include "pairnet/report/results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PM "\xc2\xb1"   /* ± */
#define DOT "\xc2\xb7"  /* · */

/* Okabe & Ito's palette, distinguishable with every common form of colour
 * blindness; the same model gets the same colour in both figures. The
 * yellow is last because it is faint on white. */
static const char *const palette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                      "#CC79A7", "#56B4E9", "#000000", "#F0E442"};

static const char *model_color(size_t i) { return palette[i % (sizeof palette / sizeof *palette)]; }

/* ---- models: the rounds of one model are contiguous ----------------------- */

typedef struct group {
    size_t start, end; /* rounds [start, end) */
} group;

static size_t find_groups(const pn_round_rec *r, size_t n, group *g)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && strncmp(r[j].model, r[i].model, sizeof r[i].model) == 0)
            j++;
        g[k++] = (group){i, j};
        i = j;
    }
    return k;
}

static size_t max_group_size(const group *g, size_t n_groups)
{
    size_t m = 0;
    for (size_t k = 0; k < n_groups; k++)
        if (g[k].end - g[k].start > m)
            m = g[k].end - g[k].start;
    return m;
}

static size_t count_diverged(const pn_round_rec *r, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += r[i].diverged != 0;
    return d;
}

/* ---- frame, axes and ticks -------------------------------------------- */

typedef struct frame {
    double x, y, w, h; /* the plot area */
} frame;

typedef struct axis {
    double lo, hi, step; /* data range mapped onto the frame; tick spacing */
    int decimals;        /* digits after the point in tick labels */
} axis;

/* 1, 2, 2.5 or 5 times a power of ten: a step that gives about `target`
 * ticks and labels a reader can add up. */
static double nice_step(double span, size_t target)
{
    double raw = span / (double)target;
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    double m = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 2.5 ? 2.5 : f <= 5.0 ? 5.0 : 10.0;
    return m * mag;
}

static int step_decimals(double step)
{
    for (int d = 0; d < 6; d++) {
        double v = step * pow(10.0, d);
        if (fabs(v - round(v)) < 1e-6 * v)
            return d;
    }
    return 6;
}

/* An axis over [lo, hi]. expand widens the range to whole steps (the y
 * axes: the ticks then frame the data); otherwise the range is kept and the
 * ticks fall inside it. A degenerate range gets a unit either side. */
static axis axis_make(double lo, double hi, size_t target, double min_step, int expand)
{
    if (!(hi > lo)) {
        lo -= 1.0;
        hi += 1.0;
    }
    axis a;
    a.step = nice_step(hi - lo, target);
    if (a.step < min_step)
        a.step = min_step;
    a.lo = expand ? floor(lo / a.step + 1e-9) * a.step : lo;
    a.hi = expand ? ceil(hi / a.step - 1e-9) * a.step : hi;
    a.decimals = step_decimals(a.step);
    return a;
}

static size_t axis_ticks(const axis *a, double *t, size_t cap)
{
    size_t n = 0;
    for (double k = ceil(a->lo / a->step - 1e-9); n < cap; k++) {
        double v = k * a->step;
        if (v > a->hi + 1e-9 * a->step)
            break;
        t[n++] = fabs(v) < 1e-12 ? 0.0 : v; /* never print "-0" */
    }
    return n;
}

static double map_x(const frame *f, const axis *a, double v)
{
    return f->x + (v - a->lo) / (a->hi - a->lo) * f->w;
}

static double map_y(const frame *f, const axis *a, double v)
{
    return f->y + f->h - (v - a->lo) / (a->hi - a->lo) * f->h;
}

/* ---- SVG primitives ---------------------------------------------------- */

static void svg_text(pn_buf *b, double x, double y, const char *attrs, const char *text)
{
    pn_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\"%s%s>", x, y, attrs ? " " : "", attrs ? attrs : "");
    pn_buf_escape_xml(b, text);
    pn_buf_printf(b, "</text>\n");
}

static void svg_line(pn_buf *b, double x1, double y1, double x2, double y2, const char *attrs)
{
    pn_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" %s/>\n", x1, y1, x2, y2,
                  attrs);
}

enum { FIG_W = 760, FIG_H = 470 };

/* The root element with a white background (the file may be viewed on a
 * dark page), an accessible <title>, and the visible title and subtitle. */
static void svg_open(pn_buf *b, const char *title, const char *subtitle)
{
    pn_buf_printf(b,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                  "height=\"%d\" font-family=\"sans-serif\" font-size=\"13\" fill=\"#222\" "
                  "role=\"img\">\n<title>",
                  FIG_W, FIG_H, FIG_W, FIG_H);
    pn_buf_escape_xml(b, title);
    pn_buf_printf(b, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", FIG_W, FIG_H);
    svg_text(b, FIG_W / 2.0, 28, "text-anchor=\"middle\" font-size=\"17\" font-weight=\"bold\"",
             title);
    if (subtitle && *subtitle)
        svg_text(b, FIG_W / 2.0, 47, "text-anchor=\"middle\" font-size=\"12\" fill=\"#555\"",
                 subtitle);
}

static int svg_close_and_save(pn_buf *b, const char *dir, const char *name, pn_err *err)
{
    pn_buf_printf(b, "</svg>\n");
    char path[4096];
    int rc;
    int len = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (len < 0 || (size_t)len >= sizeof path)
        rc = pn_fail(err, PN_ERR_RUNTIME, "path too long: '%s/%s'", dir, name);
    else
        rc = pn_buf_write_atomic(path, b, err);
    pn_buf_free(b);
    return rc;
}

/* Horizontal grid lines, tick labels and the rotated axis title. */
static void draw_y_axis(pn_buf *b, const frame *f, const axis *a, const char *label)
{
    double t[64];
    size_t n = axis_ticks(a, t, 64);
    char num[32], attrs[96];
    for (size_t i = 0; i < n; i++) {
        double y = map_y(f, a, t[i]);
        svg_line(b, f->x, y, f->x + f->w, y, "stroke=\"#e3e3e3\"");
        snprintf(num, sizeof num, "%.*f", a->decimals, t[i]);
        svg_text(b, f->x - 8, y + 4, "text-anchor=\"end\" font-size=\"12\" fill=\"#444\"", num);
    }
    snprintf(attrs, sizeof attrs, "text-anchor=\"middle\" transform=\"rotate(-90 %.1f %.1f)\"", 20.0,
             f->y + f->h / 2);
    svg_text(b, 20, f->y + f->h / 2, attrs, label);
    svg_line(b, f->x, f->y, f->x, f->y + f->h, "stroke=\"#888\"");
}

/* The bottom axis line; numeric ticks and a title when a is given. */
static void draw_x_axis(pn_buf *b, const frame *f, const axis *a, const char *label)
{
    double bottom = f->y + f->h;
    svg_line(b, f->x, bottom, f->x + f->w, bottom, "stroke=\"#888\"");
    if (!a)
        return;
    double t[64];
    size_t n = axis_ticks(a, t, 64);
    char num[32];
    for (size_t i = 0; i < n; i++) {
        double x = map_x(f, a, t[i]);
        svg_line(b, x, bottom, x, bottom + 5, "stroke=\"#888\"");
        snprintf(num, sizeof num, "%.*f", a->decimals, t[i]);
        svg_text(b, x, bottom + 20, "text-anchor=\"middle\" font-size=\"12\" fill=\"#444\"", num);
    }
    svg_text(b, f->x + f->w / 2, bottom + 42, "text-anchor=\"middle\"", label);
}

/* A message in the middle of an empty frame, instead of a blank plot. */
static void draw_no_data(pn_buf *b, const frame *f, const char *msg)
{
    svg_text(b, f->x + f->w / 2, f->y + f->h / 2,
             "text-anchor=\"middle\" font-size=\"15\" fill=\"#888\"", msg);
}

/* ---- Figure 4: box plot -------------------------------------------------- */

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
static size_t finished_test_pct(const pn_round_rec *r, group g, double *out)
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

static void draw_box(pn_buf *b, const frame *f, const axis *a, double cx, double half,
                     const char *color, const double *v, size_t n, const box_stats *s)
{
    double cap = half * 0.45;
    char attrs[160];
    /* Whiskers behind the box. */
    svg_line(b, cx, map_y(f, a, s->whisker_hi), cx, map_y(f, a, s->q3), "stroke=\"#555\"");
    svg_line(b, cx, map_y(f, a, s->q1), cx, map_y(f, a, s->whisker_lo), "stroke=\"#555\"");
    svg_line(b, cx - cap, map_y(f, a, s->whisker_hi), cx + cap, map_y(f, a, s->whisker_hi),
             "stroke=\"#555\"");
    svg_line(b, cx - cap, map_y(f, a, s->whisker_lo), cx + cap, map_y(f, a, s->whisker_lo),
             "stroke=\"#555\"");
    double top = map_y(f, a, s->q3), height = map_y(f, a, s->q1) - top;
    pn_buf_printf(b,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                  "fill-opacity=\"0.22\" stroke=\"%s\" stroke-width=\"1.5\"/>\n",
                  cx - half, top, 2 * half, height, color, color);
    /* Every round as a dot; hollow beyond the whiskers (an outlier). */
    for (size_t i = 0; i < n; i++) {
        int outlier = v[i] < s->whisker_lo || v[i] > s->whisker_hi;
        pn_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" ",
                      cx + jitter(i) * 1.5 * half, map_y(f, a, v[i]));
        if (outlier)
            pn_buf_printf(b, "fill=\"#fff\" stroke=\"%s\" stroke-width=\"1.6\"/>\n", color);
        else
            pn_buf_printf(b, "fill=\"%s\" fill-opacity=\"0.75\" stroke=\"#fff\" "
                             "stroke-width=\"0.6\"/>\n", color);
    }
    snprintf(attrs, sizeof attrs, "stroke=\"#222\" stroke-width=\"2.5\"");
    svg_line(b, cx - half, map_y(f, a, s->median), cx + half, map_y(f, a, s->median), attrs);
    double my = map_y(f, a, s->mean);
    pn_buf_printf(b,
                  "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"#fff\" "
                  "stroke=\"#222\" stroke-width=\"1.3\"/>\n",
                  cx, my - 5, cx + 5, my, cx, my + 5, cx - 5, my);
}

/* The y range of all finished rounds, padded so no dot sits on the frame. */
static axis fig4_axis(const pn_round_rec *r, size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (r[i].diverged || !isfinite(r[i].test_acc))
            continue;
        lo = fmin(lo, 100.0 * r[i].test_acc);
        hi = fmax(hi, 100.0 * r[i].test_acc);
    }
    if (!(hi >= lo))
        return axis_make(0, 100, 5, 0, 1);
    double pad = 0.04 * (hi - lo);
    return axis_make(fmax(0.0, lo - pad), fmin(100.0, hi + pad), 6, 0, 1);
}

static void fig4_body(pn_buf *b, const pn_round_rec *r, const group *g, size_t n_groups,
                      const axis *a, double *vals, double *scratch)
{
    const frame f = {70, 62, 670, 318};
    draw_y_axis(b, &f, a, "test accuracy (%)");
    draw_x_axis(b, &f, NULL, NULL);
    double slot = f.w / (double)(n_groups ? n_groups : 1);
    double half = fmin(slot * 0.22, 42.0);
    size_t total = 0;
    for (size_t k = 0; k < n_groups; k++) {
        double cx = f.x + ((double)k + 0.5) * slot;
        size_t n = finished_test_pct(r, g[k], vals);
        total += n;
        char label[64];
        svg_text(b, cx, f.y + f.h + 22, "text-anchor=\"middle\" font-size=\"14\"",
                 r[g[k].start].model);
        snprintf(label, sizeof label, "n = %zu", n);
        svg_text(b, cx, f.y + f.h + 39, "text-anchor=\"middle\" font-size=\"11\" fill=\"#666\"",
                 label);
        if (n == 0) {
            svg_text(b, cx, f.y + f.h / 2, "text-anchor=\"middle\" fill=\"#888\"",
                     "all rounds diverged");
            continue;
        }
        box_stats s = box_of(vals, n, scratch);
        draw_box(b, &f, a, cx, half, model_color(k), vals, n, &s);
    }
    if (total == 0)
        draw_no_data(b, &f, "no finished rounds to plot");
    svg_text(b, FIG_W / 2.0, FIG_H - 14, "text-anchor=\"middle\" font-size=\"11\" fill=\"#666\"",
             "box: quartiles " DOT " bar: median " DOT " diamond: mean " DOT
             " whiskers: furthest round within 1.5 IQR " DOT " dots: rounds (hollow: outliers)");
}

int pn_write_fig4_svg(const char *dir, const pn_round_rec *r, size_t n_rounds, pn_err *err)
{
    size_t cap = n_rounds ? n_rounds : 1;
    group *g = malloc(cap * sizeof *g);
    double *vals = malloc(2 * cap * sizeof *vals);
    if (!g || !vals) {
        free(g);
        free(vals);
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory drawing fig4.svg");
    }
    size_t n_groups = find_groups(r, n_rounds, g);
    char title[96], subtitle[96] = "";
    snprintf(title, sizeof title, "Test accuracy over %zu rounds", max_group_size(g, n_groups));
    size_t d = count_diverged(r, n_rounds);
    if (d)
        snprintf(subtitle, sizeof subtitle, "%zu diverged round%s excluded", d, d == 1 ? "" : "s");

    pn_buf b = {0};
    svg_open(&b, title, subtitle);
    axis a = fig4_axis(r, n_rounds);
    fig4_body(&b, r, g, n_groups, &a, vals, vals + cap);
    free(g);
    free(vals);
    return svg_close_and_save(&b, dir, "fig4.svg", err);
}

/* ---- learning curves ----------------------------------------------------- */

/* Mean and std (percent) of the test accuracy after each epoch over the
 * finished rounds of one model; NaN where no round was evaluated. */
typedef struct curve {
    size_t n;          /* epochs */
    size_t points;     /* epochs with a mean */
    double *mean, *std;
} curve;

static size_t group_epochs(const pn_round_rec *r, group g)
{
    size_t e = 0;
    for (size_t i = g.start; i < g.end; i++)
        if (!r[i].diverged && r[i].n_epochs > e)
            e = r[i].n_epochs;
    return e;
}

static int curve_of(const pn_round_rec *r, group g, curve *c)
{
    c->n = group_epochs(r, g);
    c->points = 0;
    c->mean = malloc((2 * c->n + 1) * sizeof *c->mean);
    double *acc = malloc((g.end - g.start) * sizeof *acc);
    if (!c->mean || !acc) {
        free(c->mean);
        free(acc);
        c->mean = NULL;
        return 0;
    }
    c->std = c->mean + c->n;
    for (size_t e = 0; e < c->n; e++) {
        size_t k = 0;
        for (size_t i = g.start; i < g.end; i++)
            if (!r[i].diverged && e < r[i].n_epochs && isfinite(r[i].epochs[e].test_acc))
                acc[k++] = 100.0 * r[i].epochs[e].test_acc;
        pn_mean_std(acc, k, &c->mean[e], &c->std[e]);
        c->points += k > 0;
    }
    free(acc);
    return 1;
}

/* A run of consecutive epochs with a mean, [*from, *to); 0 when none left. */
static int next_segment(const curve *c, size_t *from, size_t *to)
{
    size_t i = *to;
    while (i < c->n && isnan(c->mean[i]))
        i++;
    if (i >= c->n)
        return 0;
    size_t j = i;
    while (j < c->n && !isnan(c->mean[j]))
        j++;
    *from = i;
    *to = j;
    return 1;
}

/* Epoch e (0-based) is plotted at x = e + 1. */
static void draw_band(pn_buf *b, const frame *f, const axis *ax, const axis *ay, const curve *c,
                      const char *color)
{
    size_t from = 0, to = 0;
    while (next_segment(c, &from, &to)) {
        if (to - from < 2)
            continue; /* a lone point gets an error bar instead */
        pn_buf_printf(b, "<polygon fill=\"%s\" fill-opacity=\"0.15\" stroke=\"none\" points=\"", color);
        for (size_t e = from; e < to; e++)
            pn_buf_printf(b, "%.1f,%.1f ", map_x(f, ax, (double)e + 1),
                          map_y(f, ay, fmin(100.0, c->mean[e] + c->std[e])));
        for (size_t e = to; e-- > from;)
            pn_buf_printf(b, "%.1f,%.1f ", map_x(f, ax, (double)e + 1),
                          map_y(f, ay, fmax(0.0, c->mean[e] - c->std[e])));
        pn_buf_printf(b, "\"/>\n");
    }
}

static void draw_curve(pn_buf *b, const frame *f, const axis *ax, const axis *ay, const curve *c,
                       const char *color)
{
    size_t from = 0, to = 0;
    char attrs[96];
    snprintf(attrs, sizeof attrs, "stroke=\"%s\" stroke-width=\"1.5\"", color);
    while (next_segment(c, &from, &to)) {
        if (to - from == 1) {
            double x = map_x(f, ax, (double)from + 1);
            svg_line(b, x, map_y(f, ay, fmin(100.0, c->mean[from] + c->std[from])), x,
                     map_y(f, ay, fmax(0.0, c->mean[from] - c->std[from])), attrs);
            pn_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n", x,
                          map_y(f, ay, c->mean[from]), color);
            continue;
        }
        pn_buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.2\" "
                         "stroke-linejoin=\"round\" points=\"", color);
        for (size_t e = from; e < to; e++)
            pn_buf_printf(b, "%.1f,%.1f ", map_x(f, ax, (double)e + 1), map_y(f, ay, c->mean[e]));
        pn_buf_printf(b, "\"/>\n");
    }
}

/* Axes over every curve, bands included. */
static void curves_axes(const curve *c, size_t n, axis *ax, axis *ay)
{
    double lo = INFINITY, hi = -INFINITY;
    size_t epochs = 1;
    for (size_t k = 0; k < n; k++) {
        for (size_t e = 0; e < c[k].n; e++) {
            if (isnan(c[k].mean[e]))
                continue;
            lo = fmin(lo, c[k].mean[e] - c[k].std[e]);
            hi = fmax(hi, c[k].mean[e] + c[k].std[e]);
            if (e + 1 > epochs)
                epochs = e + 1;
        }
    }
    *ay = hi >= lo ? axis_make(fmax(0.0, lo), fmin(100.0, hi), 6, 0, 1) : axis_make(0, 100, 5, 0, 1);
    /* A little room right of the last epoch keeps its dots off the frame. */
    *ax = axis_make(0, (double)epochs + fmax(1.0, (double)epochs / 30), 8, 1.0, 0);
}

static void draw_legend(pn_buf *b, const frame *f, const pn_round_rec *r, const group *g,
                        const curve *c, size_t n)
{
    double x = f->x + f->w + 22, y = f->y + 8;
    char attrs[96];
    for (size_t k = 0; k < n; k++, y += 24) {
        int has = c[k].points > 0;
        const char *color = has ? model_color(k) : "#aaa";
        pn_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"26\" height=\"12\" fill=\"%s\" "
                         "fill-opacity=\"0.15\"/>\n", x, y - 6, color);
        /* A model without data gets a dashed grey entry rather than none. */
        snprintf(attrs, sizeof attrs, "stroke=\"%s\" stroke-width=\"2.2\"%s", color,
                 has ? "" : " stroke-dasharray=\"4 3\"");
        svg_line(b, x, y, x + 26, y, attrs);
        svg_text(b, x + 34, y + 4.5, has ? NULL : "fill=\"#999\"", r[g[k].start].model);
    }
}

/* Under the plot, the models whose curve has exactly `points` points
 * (0: nothing to draw, 1: a lone point, not a curve), so a model never
 * goes missing silently. Returns 1 if a line was written. */
static int note_models(pn_buf *b, const pn_round_rec *r, const group *g, const curve *c, size_t n,
                       size_t points, const char *prefix, double y)
{
    pn_buf msg = {0};
    for (size_t k = 0; k < n; k++)
        if (c[k].points == points)
            pn_buf_printf(&msg, "%s%s", msg.len ? ", " : prefix, r[g[k].start].model);
    int wrote = msg.len && !msg.failed;
    if (wrote)
        svg_text(b, FIG_W / 2.0, y, "text-anchor=\"middle\" font-size=\"12\" fill=\"#a33\"",
                 msg.data);
    pn_buf_free(&msg);
    return wrote;
}

static void curves_body(pn_buf *b, const pn_round_rec *r, const group *g, const curve *c,
                        size_t n)
{
    const frame f = {70, 62, 530, 318};
    axis ax, ay;
    curves_axes(c, n, &ax, &ay);
    draw_y_axis(b, &f, &ay, "test accuracy (%)");
    draw_x_axis(b, &f, &ax, "epoch");
    size_t with_points = 0;
    for (size_t k = 0; k < n; k++)
        with_points += c[k].points > 0;
    if (!with_points)
        draw_no_data(b, &f, "no per-epoch test accuracy was recorded");
    /* All bands first, so that no band veils another model's line. */
    for (size_t k = 0; k < n; k++)
        draw_band(b, &f, &ax, &ay, &c[k], model_color(k));
    for (size_t k = 0; k < n; k++)
        draw_curve(b, &f, &ax, &ay, &c[k], model_color(k));
    draw_legend(b, &f, r, g, c, n);
    int lines = note_models(b, r, g, c, n, 0, "no per-epoch test accuracy recorded for: ",
                            FIG_H - 30);
    note_models(b, r, g, c, n, 1, "one evaluated epoch only (no curve) for: ",
                lines ? FIG_H - 12 : FIG_H - 30);
}

int pn_write_curves_svg(const char *dir, const pn_round_rec *r, size_t n_rounds, pn_err *err)
{
    size_t cap = n_rounds ? n_rounds : 1;
    group *g = malloc(cap * sizeof *g);
    curve *c = calloc(cap, sizeof *c);
    int ok = g && c;
    size_t n_groups = ok ? find_groups(r, n_rounds, g) : 0;
    for (size_t k = 0; ok && k < n_groups; k++)
        ok = curve_of(r, g[k], &c[k]);

    int rc = 0;
    if (ok) {
        char subtitle[96];
        snprintf(subtitle, sizeof subtitle,
                 "line: mean over rounds " DOT " band: " PM "1 standard deviation " DOT
                 " up to %zu rounds per model", max_group_size(g, n_groups));
        pn_buf b = {0};
        svg_open(&b, "Mean test accuracy per epoch", subtitle);
        curves_body(&b, r, g, c, n_groups);
        rc = svg_close_and_save(&b, dir, "curves.svg", err);
    } else
        rc = pn_fail(err, PN_ERR_RUNTIME, "out of memory drawing curves.svg");
    for (size_t k = 0; c && k < n_groups; k++)
        free(c[k].mean);
    free(c);
    free(g);
    return rc;
}

/* ---- digits: the tower's digits, compared, and the head --------------------- */

/* Three bars per model with digit logits: what its digit tower knows (test
 * images classified right), what comparing the two predicted digits gives
 * on the test pairs, and what the learned head gives (Table II's test
 * accuracy). Bars start at zero: a tower never taught digits (cnn_ws) sits
 * near chance, and a truncated axis would hide that. */
enum { DIG_BARS = 3 };
static const char *const dig_label[DIG_BARS] = {"tower: digit accuracy",
                                                "pairs: predicted digits compared",
                                                "pairs: learned head"};
static const char *const dig_color[DIG_BARS] = {"#009E73", "#E69F00", "#0072B2"};

typedef struct dig_stats {
    size_t n;        /* finished rounds with digit accuracies */
    size_t finished; /* finished rounds */
    double mean[DIG_BARS], std[DIG_BARS]; /* percent */
} dig_stats;

/* scratch holds DIG_BARS * (g.end - g.start) doubles. */
static dig_stats digits_of(const pn_round_rec *r, group g, double *scratch)
{
    dig_stats s;
    memset(&s, 0, sizeof s);
    const size_t cap = g.end - g.start;
    for (size_t i = g.start; i < g.end; i++) {
        if (r[i].diverged)
            continue;
        s.finished++;
        const double v[DIG_BARS] = {r[i].digit_acc, r[i].argmax_acc, r[i].test_acc};
        if (!isfinite(v[0]) || !isfinite(v[1]) || !isfinite(v[2]))
            continue;
        for (size_t k = 0; k < DIG_BARS; k++)
            scratch[k * cap + s.n] = 100.0 * v[k];
        s.n++;
    }
    for (size_t k = 0; k < DIG_BARS; k++)
        pn_mean_std(scratch + k * cap, s.n, &s.mean[k], &s.std[k]);
    return s;
}

/* The legend as one centred row above the plot; text widths are estimated
 * (12 px sans-serif averages about 6 px a character). */
static void digits_legend(pn_buf *b, double y)
{
    double w[DIG_BARS], total = 0;
    for (size_t k = 0; k < DIG_BARS; k++) {
        w[k] = 20.0 + 6.2 * (double)strlen(dig_label[k]);
        total += w[k] + (k ? 24.0 : 0.0);
    }
    double x = (FIG_W - total) / 2;
    for (size_t k = 0; k < DIG_BARS; k++) {
        pn_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"11\" fill=\"%s\" "
                         "fill-opacity=\"0.85\"/>\n", x, y - 9, dig_color[k]);
        svg_text(b, x + 20, y, "font-size=\"12\"", dig_label[k]);
        x += w[k] + 24.0;
    }
}

static void draw_bar(pn_buf *b, const frame *f, const axis *a, double cx, double w, double mean,
                     double std, const char *color, int label)
{
    const double top = map_y(f, a, mean), base = map_y(f, a, 0.0);
    pn_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                     "fill-opacity=\"0.85\"/>\n", cx - w / 2, top, w, base - top, color);
    const double hi = map_y(f, a, fmin(100.0, mean + std)), lo = map_y(f, a, fmax(0.0, mean - std));
    const double cap = w * 0.3;
    if (std > 0) {
        svg_line(b, cx, hi, cx, lo, "stroke=\"#222\" stroke-width=\"1.3\"");
        svg_line(b, cx - cap, hi, cx + cap, hi, "stroke=\"#222\" stroke-width=\"1.3\"");
        svg_line(b, cx - cap, lo, cx + cap, lo, "stroke=\"#222\" stroke-width=\"1.3\"");
    }
    if (label) {
        char num[32];
        snprintf(num, sizeof num, "%.1f", mean);
        svg_text(b, cx, fmin(hi, top) - 5, "text-anchor=\"middle\" font-size=\"11\" fill=\"#333\"",
                 num);
    }
}

/* Names the models that are not drawn, with why, under the plot. */
static void digits_notes(pn_buf *b, const pn_round_rec *r, const group *g, const dig_stats *s,
                         size_t n_groups)
{
    pn_buf none = {0}, diverged = {0};
    for (size_t k = 0; k < n_groups; k++) {
        if (s[k].n)
            continue;
        pn_buf *to = s[k].finished ? &none : &diverged;
        pn_buf_printf(to, "%s%s", to->len ? ", " : "", r[g[k].start].model);
    }
    double y = FIG_H - 14;
    if (diverged.len && !diverged.failed) {
        pn_buf_printf(&diverged, " (all rounds diverged)");
        svg_text(b, FIG_W / 2.0, y, "text-anchor=\"middle\" font-size=\"12\" fill=\"#a33\"",
                 diverged.data);
        y -= 18;
    }
    if (none.len && !none.failed) {
        pn_buf_printf(&none, " (no digit logits)");
        pn_buf msg = {0};
        pn_buf_printf(&msg, "not shown: %s", none.data);
        if (!msg.failed)
            svg_text(b, FIG_W / 2.0, y, "text-anchor=\"middle\" font-size=\"12\" fill=\"#666\"",
                     msg.data);
        pn_buf_free(&msg);
    }
    pn_buf_free(&none);
    pn_buf_free(&diverged);
}

static void digits_body(pn_buf *b, const pn_round_rec *r, const group *g, const dig_stats *s,
                        size_t n_groups)
{
    const frame f = {70, 90, 670, 290};
    const axis a = axis_make(0, 100, 5, 0, 1);
    digits_legend(b, 66);
    draw_y_axis(b, &f, &a, "test accuracy (%)");
    draw_x_axis(b, &f, NULL, NULL);
    size_t shown = 0;
    for (size_t k = 0; k < n_groups; k++)
        shown += s[k].n > 0;
    if (!shown)
        draw_no_data(b, &f, "no model with digit logits to plot");
    const double slot = f.w / (double)(shown ? shown : 1);
    const double w = fmin(slot * 0.8 / DIG_BARS, 44.0), gap = fmin(4.0, w * 0.15);
    const int labels = w >= 22.0; /* room for "99.9" over a bar */
    size_t j = 0;
    for (size_t k = 0; k < n_groups; k++) {
        if (!s[k].n)
            continue;
        const double cx = f.x + ((double)j++ + 0.5) * slot;
        for (size_t m = 0; m < DIG_BARS; m++) {
            const double bx = cx + ((double)m - (DIG_BARS - 1) / 2.0) * (w + gap);
            draw_bar(b, &f, &a, bx, w, s[k].mean[m], s[k].std[m], dig_color[m], labels);
        }
        char label[64];
        svg_text(b, cx, f.y + f.h + 22, "text-anchor=\"middle\" font-size=\"14\"",
                 r[g[k].start].model);
        snprintf(label, sizeof label, "n = %zu", s[k].n);
        svg_text(b, cx, f.y + f.h + 39, "text-anchor=\"middle\" font-size=\"11\" fill=\"#666\"",
                 label);
    }
    digits_notes(b, r, g, s, n_groups);
}

int pn_write_digits_svg(const char *dir, const pn_round_rec *r, size_t n_rounds, pn_err *err)
{
    size_t cap = n_rounds ? n_rounds : 1;
    group *g = malloc(cap * sizeof *g);
    dig_stats *s = malloc(cap * sizeof *s);
    double *scratch = malloc(DIG_BARS * cap * sizeof *scratch);
    if (!g || !s || !scratch) {
        free(g);
        free(s);
        free(scratch);
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory drawing digits.svg");
    }
    size_t n_groups = find_groups(r, n_rounds, g), most = 0;
    for (size_t k = 0; k < n_groups; k++) {
        s[k] = digits_of(r, g[k], scratch);
        if (s[k].n > most)
            most = s[k].n;
    }
    char subtitle[128];
    snprintf(subtitle, sizeof subtitle,
             "bars: mean over the finished rounds (up to %zu per model) " DOT " whiskers: " PM
             "1 standard deviation", most);
    pn_buf b = {0};
    svg_open(&b, "The digit tower and the head on the test set", subtitle);
    digits_body(&b, r, g, s, n_groups);
    free(g);
    free(s);
    free(scratch);
    return svg_close_and_save(&b, dir, "digits.svg", err);
}
