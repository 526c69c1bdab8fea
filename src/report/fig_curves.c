/* curves.svg: the learning curves, three panels side by side: the mean
 * training loss, train accuracy and test accuracy after each epoch per
 * model, each with a band of +-1 standard deviation over the rounds. */
#include "pairnet/report/results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/report/svg.h"

/* What a panel plots per epoch. */
enum { Q_LOSS, Q_TRAIN, Q_TEST, N_Q };
static const char *const q_label[N_Q] = {"training loss", "train accuracy (%)",
                                         "test accuracy (%)"};

static double epoch_value(const pn_epoch_rec *e, int q)
{
    return q == Q_LOSS ? e->loss : 100.0 * (q == Q_TRAIN ? e->train_acc : e->test_acc);
}

/* Mean and std of one quantity after each epoch over the finished rounds
 * of one model; NaN where no round has it. */
typedef struct curve {
    size_t n;          /* epochs */
    size_t points;     /* epochs with a mean */
    double *mean, *std;
} curve;

static size_t group_epochs(const pn_round_rec *r, pn_group g)
{
    size_t e = 0;
    for (size_t i = g.start; i < g.end; i++)
        if (!r[i].diverged && r[i].n_epochs > e)
            e = r[i].n_epochs;
    return e;
}

static int curve_of(const pn_round_rec *r, pn_group g, int q, curve *c)
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
            if (!r[i].diverged && e < r[i].n_epochs && isfinite(epoch_value(&r[i].epochs[e], q)))
                acc[k++] = epoch_value(&r[i].epochs[e], q);
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
static void draw_band(pn_buf *b, const pn_frame *f, const pn_axis *ax, const pn_axis *ay,
                      const curve *c, const char *color)
{
    size_t from = 0, to = 0;
    while (next_segment(c, &from, &to)) {
        if (to - from < 2)
            continue; /* a lone point gets an error bar instead */
        pn_buf_printf(b, "<polygon fill=\"%s\" fill-opacity=\"0.15\" stroke=\"none\" points=\"",
                      color);
        for (size_t e = from; e < to; e++)
            pn_buf_printf(b, "%.1f,%.1f ", pn_map_x(f, ax, (double)e + 1),
                          pn_map_y(f, ay, fmin(ay->hi, c->mean[e] + c->std[e])));
        for (size_t e = to; e-- > from;)
            pn_buf_printf(b, "%.1f,%.1f ", pn_map_x(f, ax, (double)e + 1),
                          pn_map_y(f, ay, fmax(ay->lo, c->mean[e] - c->std[e])));
        pn_buf_printf(b, "\"/>\n");
    }
}

static void draw_curve(pn_buf *b, const pn_frame *f, const pn_axis *ax, const pn_axis *ay,
                       const curve *c, const char *color)
{
    size_t from = 0, to = 0;
    char attrs[96];
    snprintf(attrs, sizeof attrs, "stroke=\"%s\" stroke-width=\"1.5\"", color);
    while (next_segment(c, &from, &to)) {
        if (to - from == 1) {
            double x = pn_map_x(f, ax, (double)from + 1);
            pn_svg_line(b, x, pn_map_y(f, ay, fmin(ay->hi, c->mean[from] + c->std[from])), x,
                     pn_map_y(f, ay, fmax(ay->lo, c->mean[from] - c->std[from])), attrs);
            pn_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n", x,
                          pn_map_y(f, ay, c->mean[from]), color);
            continue;
        }
        pn_buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.2\" "
                         "stroke-linejoin=\"round\" points=\"", color);
        for (size_t e = from; e < to; e++)
            pn_buf_printf(b, "%.1f,%.1f ", pn_map_x(f, ax, (double)e + 1),
                          pn_map_y(f, ay, c->mean[e]));
        pn_buf_printf(b, "\"/>\n");
    }
}

/* The y axis of one panel over every curve, bands included: accuracies
 * within [0, 100], a loss from 0. */
static pn_axis y_axis_of(const curve *c, size_t n, int q)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < n; k++)
        for (size_t e = 0; e < c[k].n; e++)
            if (!isnan(c[k].mean[e])) {
                lo = fmin(lo, c[k].mean[e] - c[k].std[e]);
                hi = fmax(hi, c[k].mean[e] + c[k].std[e]);
            }
    if (!(hi >= lo))
        return q == Q_LOSS ? pn_axis_make(0, 1, 4, 0, 1) : pn_axis_make(0, 100, 5, 0, 1);
    if (q == Q_LOSS)
        return pn_axis_make(fmax(0.0, lo), hi, 5, 0, 1);
    return pn_axis_make(fmax(0.0, lo), fmin(100.0, hi), 5, 0, 1);
}

/* The x axis: every epoch any round ran (a diverged round's too, so the
 * axis says how long the rounds were meant to be), with a little room
 * right of the last one that keeps its dots off the frame. */
static pn_axis x_axis_of(const pn_round_rec *r, size_t n_rounds)
{
    size_t epochs = 1;
    for (size_t i = 0; i < n_rounds; i++)
        if (r[i].n_epochs > epochs)
            epochs = r[i].n_epochs;
    /* every epoch a tick up to 10 of them; then about 10 ticks */
    return pn_axis_make(0, (double)epochs + fmax(0.5, (double)epochs / 30),
                        (epochs < 10 ? epochs : 10) + 1, 1.0, 0);
}

enum { CURVES_W = 1000, CURVES_H = 392, PANEL_W = 250, PANEL_GAP = 80, NOTE_H = 16 };

/* The legend as one centred row under the panels, each model in its
 * colour; a model without data gets a dashed grey entry rather than none. */
static void draw_legend(pn_buf *b, const pn_round_rec *r, const pn_group *g, const curve *c,
                        size_t n, double y)
{
    double total = 0;
    for (size_t k = 0; k < n; k++)
        total += 60.0 + 7.0 * (double)strlen(r[g[k].start].model);
    double x = (CURVES_W - total) / 2;
    char attrs[96];
    for (size_t k = 0; k < n; k++) {
        const int has = c[k].points > 0;
        const char *color = has ? pn_svg_model_color(r[g[k].start].model) : "#aaa";
        pn_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"26\" height=\"12\" fill=\"%s\" "
                         "fill-opacity=\"0.15\"/>\n", x, y - 6, color);
        snprintf(attrs, sizeof attrs, "stroke=\"%s\" stroke-width=\"2.2\"%s", color,
                 has ? "" : " stroke-dasharray=\"4 3\"");
        pn_svg_line(b, x, y, x + 26, y, attrs);
        pn_svg_text(b, x + 32, y + 4.5, has ? NULL : "fill=\"#999\"", r[g[k].start].model);
        x += 60.0 + 7.0 * (double)strlen(r[g[k].start].model);
    }
}

/* Why a model's test curve is missing: every round diverged (no finished
 * round, so no epochs), none of its epochs evaluated, or one only (a lone
 * point, not a curve); NOTE_DRAWN: it has a curve. */
enum { NOTE_DIVERGED, NOTE_NONE, NOTE_LONE, N_NOTES, NOTE_DRAWN = N_NOTES };
static const char *const note_prefix[N_NOTES] = {
    "every round diverged for: ", "no per-epoch test accuracy recorded for: ",
    "one evaluated epoch only (no curve) for: "};

static int note_kind(const curve *c)
{
    return c->n == 0 ? NOTE_DIVERGED : c->points == 0 ? NOTE_NONE
           : c->points == 1 ? NOTE_LONE : NOTE_DRAWN;
}

/* Under the plot, the models of one kind of note, so a model never goes
 * missing silently. Returns 1 if a line was written. */
static int note_models(pn_buf *b, const pn_round_rec *r, const pn_group *g, const curve *c,
                       size_t n, int kind, double y)
{
    const char *prefix = note_prefix[kind];
    pn_buf msg = {0};
    for (size_t k = 0; k < n; k++)
        if (note_kind(&c[k]) == kind)
            pn_buf_printf(&msg, "%s%s", msg.len ? ", " : prefix, r[g[k].start].model);
    int wrote = msg.len && !msg.failed;
    if (wrote)
        pn_svg_text(b, CURVES_W / 2.0, y, "text-anchor=\"middle\" font-size=\"12\" fill=\"#a33\"",
                    msg.data);
    pn_buf_free(&msg);
    return wrote;
}

/* One panel: quantity q of every model; c[k] is model k's curve of q. */
static void panel(pn_buf *b, const pn_frame *f, const pn_axis *ax, int q, const pn_round_rec *r,
                  const pn_group *g, const curve *c, size_t n)
{
    const pn_axis ay = y_axis_of(c, n, q);
    size_t with_points = 0;
    for (size_t k = 0; k < n; k++)
        with_points += c[k].points > 0;
    pn_svg_y_axis_at(b, f, &ay, q_label[q], f->x - 48);
    /* no epoch of any model: an empty frame, no epoch ticks to mislead */
    pn_svg_x_axis(b, f, with_points ? ax : NULL, "epoch");
    if (!with_points)
        pn_svg_no_data(b, f, "nothing recorded");
    /* All bands first, so that no band veils another model's line. */
    for (size_t k = 0; k < n; k++)
        draw_band(b, f, ax, &ay, &c[k], pn_svg_model_color(r[g[k].start].model));
    for (size_t k = 0; k < n; k++)
        draw_curve(b, f, ax, &ay, &c[k], pn_svg_model_color(r[g[k].start].model));
}

/* c holds N_Q curves per model: c[q * n + k]. */
static void curves_body(pn_buf *b, const pn_round_rec *r, size_t n_rounds, const pn_group *g,
                        const curve *c, size_t n)
{
    const pn_axis ax = x_axis_of(r, n_rounds);
    for (int q = 0; q < N_Q; q++) {
        const pn_frame f = {70 + q * (PANEL_W + PANEL_GAP), 66, PANEL_W, 250};
        panel(b, &f, &ax, q, r, g, c + (size_t)q * n, n);
    }
    draw_legend(b, r, g, c + (size_t)Q_TEST * n, n, 370);
    const curve *test = c + (size_t)Q_TEST * n;
    int lines = 0;
    for (int kind = 0; kind < N_NOTES; kind++)
        lines += note_models(b, r, g, test, n, kind, CURVES_H + 4 + lines * NOTE_H);
}

/* The lines of notes under the legend (note_models): one per kind of
 * model without a curve. */
static int note_lines(const curve *test, size_t n)
{
    int seen[N_NOTES + 1] = {0}, lines = 0;
    for (size_t k = 0; k < n; k++)
        seen[note_kind(&test[k])] = 1;
    for (int kind = 0; kind < N_NOTES; kind++)
        lines += seen[kind];
    return lines;
}

int pn_write_curves_svg(const char *dir, const pn_round_rec *r, size_t n_rounds, pn_err *err)
{
    size_t cap = n_rounds ? n_rounds : 1;
    pn_group *g = malloc(cap * sizeof *g);
    curve *c = calloc(N_Q * cap, sizeof *c);
    int ok = g && c;
    size_t n_groups = ok ? pn_svg_groups(r, n_rounds, g) : 0;
    for (int q = 0; ok && q < N_Q; q++)
        for (size_t k = 0; ok && k < n_groups; k++)
            ok = curve_of(r, g[k], q, &c[(size_t)q * n_groups + k]);

    int rc = 0;
    if (ok) {
        char subtitle[128];
        snprintf(subtitle, sizeof subtitle,
                 "line: mean over rounds " PN_SVG_DOT " band: " PN_SVG_PM
                 "1 standard deviation " PN_SVG_DOT " up to %zu rounds per model "
                 PN_SVG_DOT " diverged rounds left out",
                 pn_svg_max_group(g, n_groups));
        pn_buf b = {0};
        pn_svg_open_size(&b, CURVES_W,
                         CURVES_H + NOTE_H * note_lines(c + (size_t)Q_TEST * n_groups, n_groups),
                         "Learning curves: loss, train and test accuracy", subtitle);
        curves_body(&b, r, n_rounds, g, c, n_groups);
        rc = pn_svg_save(&b, dir, "curves.svg", err);
    } else
        rc = pn_fail(err, PN_ERR_RUNTIME, "out of memory drawing curves.svg");
    for (size_t k = 0; c && k < N_Q * n_groups; k++)
        free(c[k].mean);
    free(c);
    free(g);
    return rc;
}
