/* The SVG primitives the figures (src/report/fig_*.c) share: the rounds of
 * a model as a group, a frame and its axes with "nice" ticks, text and
 * lines, and the figure's root element and title. Coordinates are in
 * viewBox units; text uses a generic sans-serif font so the files render
 * anywhere. */
#ifndef PAIRNET_SVG_H
#define PAIRNET_SVG_H

#include <stddef.h>

#include "pairnet/base/error.h"
#include "pairnet/base/buf.h"
#include "pairnet/train/record.h"

#define PN_SVG_PM "\xc2\xb1"  /* plus-minus sign, UTF-8 */
#define PN_SVG_DOT "\xc2\xb7" /* middle dot, UTF-8 */

enum { PN_FIG_W = 760, PN_FIG_H = 470 }; /* every figure's size */

/* The k-th colour of Okabe & Ito's colour-blind-safe palette (for things
 * that are not models: the paired effects). */
const char *pn_svg_color(size_t k);
/* The colour of a model, the same in every figure and page (a table in
 * svg.c; black for a name outside it). */
const char *pn_svg_model_color(const char *model);
/* How a pn_decide rule answers a pair, in words for a figure. */
const char *pn_svg_decide_words(int decide);

/* The rounds of one model: [start, end). The rounds of a model are
 * contiguous. */
typedef struct pn_group {
    size_t start, end;
} pn_group;
/* Splits r[0..n) into groups of one model each (g has room for n); returns
 * their count. */
size_t pn_svg_groups(const pn_round_rec *r, size_t n, pn_group *g);
size_t pn_svg_max_group(const pn_group *g, size_t n_groups); /* rounds of the largest */
size_t pn_svg_count_diverged(const pn_round_rec *r, size_t n);

typedef struct pn_frame {
    double x, y, w, h; /* the plot area */
} pn_frame;

typedef struct pn_axis {
    double lo, hi, step; /* data range mapped onto the frame; tick spacing */
    int decimals;        /* digits after the point in tick labels */
} pn_axis;

/* An axis over [lo, hi] with about `target` ticks, min_step apart at least.
 * expand widens the range to whole steps (the y axes: the ticks then frame
 * the data); otherwise the range is kept and the ticks fall inside it. A
 * degenerate range gets a unit either side. */
pn_axis pn_axis_make(double lo, double hi, size_t target, double min_step, int expand);
/* The tick values of a, at most cap; returns their count. */
size_t pn_axis_ticks(const pn_axis *a, double *t, size_t cap);
double pn_map_x(const pn_frame *f, const pn_axis *a, double v);
double pn_map_y(const pn_frame *f, const pn_axis *a, double v);

/* text is XML-escaped; attrs (or NULL) is copied into the element as is. */
void pn_svg_text(pn_buf *b, double x, double y, const char *attrs, const char *text);
void pn_svg_line(pn_buf *b, double x1, double y1, double x2, double y2, const char *attrs);

/* The root element with a white background (the file may be viewed on a
 * dark page), an accessible <title>, and the visible title and subtitle
 * (subtitle may be NULL or empty). */
void pn_svg_open(pn_buf *b, const char *title, const char *subtitle);
/* The same for a figure of w x h (Table I's heatmaps grow with the grid). */
void pn_svg_open_size(pn_buf *b, int w, int h, const char *title, const char *subtitle);
/* Closes the root element and writes b to dir/name (pn_buf_save: b is freed). */
int pn_svg_save(pn_buf *b, const char *dir, const char *name, pn_err *err);

/* Horizontal grid lines, tick labels and the rotated axis title. */
void pn_svg_y_axis(pn_buf *b, const pn_frame *f, const pn_axis *a, const char *label);
/* The same with the title at x = title_x (a panel that is not at the left). */
void pn_svg_y_axis_at(pn_buf *b, const pn_frame *f, const pn_axis *a, const char *label,
                      double title_x);
/* The bottom axis line; numeric ticks and a title when a is given. */
void pn_svg_x_axis(pn_buf *b, const pn_frame *f, const pn_axis *a, const char *label);
/* A message in the middle of an empty frame, instead of a blank plot. */
void pn_svg_no_data(pn_buf *b, const pn_frame *f, const char *msg);

#endif
