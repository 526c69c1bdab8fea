/* Table I's heatmaps: per model, its grid of mean test accuracies (rows
 * learning rate, columns batch size), coloured from light to dark blue over
 * that model's own range; the set's chosen cell outlined in orange, the
 * study's cell dashed. Three models a row. */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/report/table1.h"

#include <stdio.h>

#include "pairnet/models/models.h"
#include "pairnet/report/svg.h"

enum { CELL_W = 58, CELL_H = 26, PER_ROW = 3, TOP = 110 };

/* The colour of v in [lo, hi]: from near white (247,251,255) to dark
 * blue (8,69,148); *t receives v's place in the range (1 when flat). */
static void colour(char *out, size_t cap, double v, double lo, double hi, double *t)
{
    *t = hi > lo ? (v - lo) / (hi - lo) : 1;
    snprintf(out, cap, "#%02x%02x%02x", (int)(247 - *t * (247 - 8)), (int)(251 - *t * (251 - 69)),
             (int)(255 - *t * (255 - 148)));
}

/* The range of model m's means in set. */
static void range(const pn_t1 *t, int set, size_t m, double *lo, double *hi)
{
    *lo = 2;
    *hi = -1;
    for (size_t a = 0; a < t->n_lrs; a++)
        for (size_t j = 0; j < t->n_bss; j++) {
            const pn_t1_cell *c = pn_t1_find(t, set, m, a, j);
            if (pn_t1_has_mean(c)) {
                *lo = c->test_mean < *lo ? c->test_mean : *lo;
                *hi = c->test_mean > *hi ? c->test_mean : *hi;
            }
        }
}

/* One cell at (x, y): its colour and figure, then the outlines. */
static void cell(pn_buf *b, const pn_t1_cell *c, double x, double y, double lo, double hi,
                 int chosen, int study)
{
    char fill[16] = "#dddddd", attrs[96], label[32] = "\xe2\x80\x94";
    const char *tc = "#555";
    double pos;
    if (pn_t1_has_mean(c)) {
        colour(fill, sizeof fill, c->test_mean, lo, hi, &pos);
        tc = pos > 0.55 ? "white" : "black";
        snprintf(label, sizeof label, "%.2f", 100 * c->test_mean);
    } else if (c && c->diverged > 0) {
        snprintf(label, sizeof label, "div.");
    }
    pn_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"%s\" "
                  "stroke=\"white\"/>\n", x, y, CELL_W, CELL_H, fill);
    snprintf(attrs, sizeof attrs, "font-size=\"11\" text-anchor=\"middle\" fill=\"%s\"", tc);
    pn_svg_text(b, x + CELL_W / 2.0, y + CELL_H / 2.0 + 4, attrs, label);
    if (chosen)
        pn_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"none\" "
                      "stroke=\"#D55E00\" stroke-width=\"3\"/>\n", x + 1.5, y + 1.5, CELL_W - 3,
                      CELL_H - 3);
    if (study)
        pn_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"none\" "
                      "stroke=\"black\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\n", x + 4,
                      y + 4, CELL_W - 8, CELL_H - 8);
}

/* Model m's panel with its top-left cell at (x0, y0). */
static void panel(pn_buf *b, const pn_t1 *t, int set, size_t m, double x0, double y0)
{
    char text[64];
    double lo, hi;
    range(t, set, m, &lo, &hi);
    const pn_t1_cell *best = pn_t1_best(t, set, m);
    const pn_model_info *s = pn_t1_study_model(t->models[m]);
    pn_svg_text(b, x0, y0 - 22, "font-size=\"14\" font-weight=\"bold\"", t->models[m]);
    for (size_t j = 0; j < t->n_bss; j++) {
        snprintf(text, sizeof text, "bs %zu", t->bss[j]);
        pn_svg_text(b, x0 + (j + 0.5) * CELL_W, y0 - 5, "font-size=\"11\" text-anchor=\"middle\"",
                    text);
    }
    for (size_t a = 0; a < t->n_lrs; a++) {
        const double y = y0 + (double)a * CELL_H;
        snprintf(text, sizeof text, "lr %g", t->lrs[a]);
        pn_svg_text(b, x0 - 6, y + CELL_H / 2.0 + 4, "font-size=\"11\" text-anchor=\"end\"", text);
        for (size_t j = 0; j < t->n_bss; j++) {
            const pn_t1_cell *c = pn_t1_find(t, set, m, a, j);
            cell(b, c, x0 + (double)j * CELL_W, y, lo, hi, c && c == best,
                 s && s->lr == t->lrs[a] && s->bs == t->bss[j]);
        }
    }
}

void pn_t1_heatmap_svg(pn_buf *b, const pn_t1 *t, int set)
{
    const int pw = 70 + (int)t->n_bss * CELL_W, band = 60 + (int)t->n_lrs * CELL_H;
    const int rows = t->n_models > PER_ROW ? (int)((t->n_models + PER_ROW - 1) / PER_ROW) : 1;
    const int w = 40 + PER_ROW * pw, h = TOP + rows * band + 10;
    pn_svg_open_size(b, w, h, set ? "Table I grid, test rounds" : "Table I grid, validation rounds",
                     "mean test accuracy (%) of each cell, colour scaled per model");
    pn_svg_text(b, w / 2.0, 64, "font-size=\"12\" fill=\"#555\" text-anchor=\"middle\"",
                set ? "solid outline: the cell the test rounds would pick; dashed: the study's "
                      "choice"
                    : "solid outline: the cell chosen on validation; dashed: the study's choice");
    for (size_t m = 0; m < t->n_models; m++)
        panel(b, t, set, m, 30 + (double)(m % PER_ROW) * pw + 60,
              TOP + (double)(m / PER_ROW) * band);
}
