/* The SVG primitives of the figures (include/pairnet/report/svg.h). */
#include "pairnet/report/svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pairnet/models/models.h"
#include "pairnet/report/escape.h"

/* Okabe & Ito's palette, distinguishable with every common form of colour
 * blindness; the same model gets the same colour in both figures. The
 * yellow is last because it is faint on white. */
static const char *const palette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                      "#CC79A7", "#56B4E9", "#000000", "#F0E442"};

const char *pn_svg_color(size_t i) { return palette[i % (sizeof palette / sizeof *palette)]; }

/* The one table of model colours: every figure and page draws a model in
 * its colour, whichever models a run holds and in whatever order. */
static const struct {
    const char *model, *color;
} model_colors[] = {{"mlp", "#E69F00"},    {"cnn", "#56B4E9"},       {"cnn_ws", "#009E73"},
                    {"cnn_al", "#CC79A7"}, {"cnn_ws_al", "#0072B2"}, {"best", "#D55E00"}};

const char *pn_svg_model_color(const char *model)
{
    for (size_t i = 0; i < sizeof model_colors / sizeof *model_colors; i++)
        if (strcmp(model, model_colors[i].model) == 0)
            return model_colors[i].color;
    /* a name outside the table (a store's odd record): black, the palette's
     * one colour no model of the table has */
    return "#000000";
}

const char *pn_svg_decide_words(int decide)
{
    return decide == PN_DECIDE_PROB     ? "P(d1 \xe2\x89\xa4 d2) of the digit softmaxes"
           : decide == PN_DECIDE_ARGMAX ? "comparing the predicted digits"
                                        : "the learned head";
}

/* ---- models: the rounds of one model are contiguous ----------------------- */

size_t pn_svg_groups(const pn_round_rec *r, size_t n, pn_group *g)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && strncmp(r[j].model, r[i].model, sizeof r[i].model) == 0)
            j++;
        g[k++] = (pn_group){i, j};
        i = j;
    }
    return k;
}

size_t pn_svg_max_group(const pn_group *g, size_t n_groups)
{
    size_t m = 0;
    for (size_t k = 0; k < n_groups; k++)
        if (g[k].end - g[k].start > m)
            m = g[k].end - g[k].start;
    return m;
}

size_t pn_svg_count_diverged(const pn_round_rec *r, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += r[i].diverged != 0;
    return d;
}

/* ---- frame, axes and ticks -------------------------------------------- */

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
pn_axis pn_axis_make(double lo, double hi, size_t target, double min_step, int expand)
{
    if (!(hi > lo)) {
        lo -= 1.0;
        hi += 1.0;
    }
    pn_axis a;
    a.step = nice_step(hi - lo, target);
    if (a.step < min_step)
        a.step = min_step;
    a.lo = expand ? floor(lo / a.step + 1e-9) * a.step : lo;
    a.hi = expand ? ceil(hi / a.step - 1e-9) * a.step : hi;
    a.decimals = step_decimals(a.step);
    return a;
}

size_t pn_axis_ticks(const pn_axis *a, double *t, size_t cap)
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

double pn_map_x(const pn_frame *f, const pn_axis *a, double v)
{
    return f->x + (v - a->lo) / (a->hi - a->lo) * f->w;
}

double pn_map_y(const pn_frame *f, const pn_axis *a, double v)
{
    return f->y + f->h - (v - a->lo) / (a->hi - a->lo) * f->h;
}

/* ---- SVG primitives ---------------------------------------------------- */

void pn_svg_text(pn_buf *b, double x, double y, const char *attrs, const char *text)
{
    pn_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\"%s%s>", x, y, attrs ? " " : "",
                  attrs ? attrs : "");
    pn_esc_html(b, text);
    pn_buf_printf(b, "</text>\n");
}

void pn_svg_line(pn_buf *b, double x1, double y1, double x2, double y2, const char *attrs)
{
    pn_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" %s/>\n", x1, y1, x2, y2,
                  attrs);
}

/* The root element with a white background (the file may be viewed on a
 * dark page), an accessible <title>, and the visible title and subtitle. */
void pn_svg_open_size(pn_buf *b, int w, int h, const char *title, const char *subtitle)
{
    pn_buf_printf(b,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                  "height=\"%d\" font-family=\"sans-serif\" font-size=\"13\" fill=\"#222\" "
                  "role=\"img\">\n<title>",
                  w, h, w, h);
    pn_esc_html(b, title);
    pn_buf_printf(b, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", w, h);
    pn_svg_text(b, w / 2.0, 28, "text-anchor=\"middle\" font-size=\"17\" font-weight=\"bold\"",
                title);
    if (subtitle && *subtitle)
        pn_svg_text(b, w / 2.0, 47, "text-anchor=\"middle\" font-size=\"12\" fill=\"#555\"",
                    subtitle);
}

void pn_svg_open(pn_buf *b, const char *title, const char *subtitle)
{
    pn_svg_open_size(b, PN_FIG_W, PN_FIG_H, title, subtitle);
}

int pn_svg_save(pn_buf *b, const char *dir, const char *name, pn_err *err)
{
    pn_buf_printf(b, "</svg>\n");
    return pn_buf_save(dir, name, b, err);
}

/* Horizontal grid lines, tick labels and the rotated axis title. */
void pn_svg_y_axis(pn_buf *b, const pn_frame *f, const pn_axis *a, const char *label)
{
    pn_svg_y_axis_at(b, f, a, label, 20.0);
}

void pn_svg_y_axis_at(pn_buf *b, const pn_frame *f, const pn_axis *a, const char *label,
                      double title_x)
{
    double t[64];
    size_t n = pn_axis_ticks(a, t, 64);
    char num[32], attrs[96];
    for (size_t i = 0; i < n; i++) {
        double y = pn_map_y(f, a, t[i]);
        pn_svg_line(b, f->x, y, f->x + f->w, y, "stroke=\"#e3e3e3\"");
        snprintf(num, sizeof num, "%.*f", a->decimals, t[i]);
        pn_svg_text(b, f->x - 8, y + 4, "text-anchor=\"end\" font-size=\"12\" fill=\"#444\"", num);
    }
    snprintf(attrs, sizeof attrs, "text-anchor=\"middle\" transform=\"rotate(-90 %.1f %.1f)\"",
             title_x, f->y + f->h / 2);
    pn_svg_text(b, title_x, f->y + f->h / 2, attrs, label);
    pn_svg_line(b, f->x, f->y, f->x, f->y + f->h, "stroke=\"#888\"");
}

/* The bottom axis line; numeric ticks and a title when a is given. */
void pn_svg_x_axis(pn_buf *b, const pn_frame *f, const pn_axis *a, const char *label)
{
    double bottom = f->y + f->h;
    pn_svg_line(b, f->x, bottom, f->x + f->w, bottom, "stroke=\"#888\"");
    if (!a)
        return;
    double t[64];
    size_t n = pn_axis_ticks(a, t, 64);
    char num[32];
    for (size_t i = 0; i < n; i++) {
        double x = pn_map_x(f, a, t[i]);
        pn_svg_line(b, x, bottom, x, bottom + 5, "stroke=\"#888\"");
        snprintf(num, sizeof num, "%.*f", a->decimals, t[i]);
        pn_svg_text(b, x, bottom + 20, "text-anchor=\"middle\" font-size=\"12\" fill=\"#444\"",
                    num);
    }
    pn_svg_text(b, f->x + f->w / 2, bottom + 42, "text-anchor=\"middle\"", label);
}

/* A message in the middle of an empty frame, instead of a blank plot. */
void pn_svg_no_data(pn_buf *b, const pn_frame *f, const char *msg)
{
    pn_svg_text(b, f->x + f->w / 2, f->y + f->h / 2,
             "text-anchor=\"middle\" font-size=\"15\" fill=\"#888\"", msg);
}
