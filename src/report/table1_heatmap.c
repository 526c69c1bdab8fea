/* Table I's heatmaps: per model, its grid of mean test accuracies (rows
 * learning rate, columns batch size), coloured by how far each cell is
 * below that model's best cell (viridis: yellow at the optimum, dark purple
 * WINDOW points below and further), so the colour shows where the optimum
 * is and how sharp it is; the set's chosen cell outlined, the study's cell
 * dashed. Three models a row; the key (colour bar and outlines) takes the
 * first free slot, or a row of its own. */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/report/table1.h"

#include <stdio.h>

#include "pairnet/models/models.h"
#include "pairnet/report/svg.h"

enum { CELL_W = 58, CELL_H = 26, PER_ROW = 3, TOP = 84, KEY_H = 96 };

/* Points below a model's best cell that the colour scale spans; a cell 2
 * points down is then 40% along it, a clearly other colour. */
#define WINDOW 5.0

/* viridis sampled at 9 even points (viridisLite::viridis(9), the R
 * package's generator of matplotlib's map); colours in between are
 * interpolated linearly, which stays perceptually even at this spacing. */
static const unsigned char viridis9[9][3] = {
    {0x44, 0x01, 0x54}, {0x47, 0x2d, 0x7b}, {0x3b, 0x52, 0x8b}, {0x2c, 0x72, 0x8e}, {0x21, 0x90, 0x8c},
    {0x27, 0xad, 0x81}, {0x5d, 0xc8, 0x63}, {0xaa, 0xdc, 0x32}, {0xfd, 0xe7, 0x25}};

/* The colour of t in [0, 1] (clamped): 0 dark purple, 1 yellow. */
void pn_t1_viridis(double t, char out[8])
{
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    const double x = t * 8;
    const int i = x >= 8 ? 7 : (int)x;
    const double f = x - i;
    int c[3];
    for (int k = 0; k < 3; k++)
        c[k] = (int)(viridis9[i][k] + f * (viridis9[i + 1][k] - viridis9[i][k]) + 0.5);
    snprintf(out, 8, "#%02x%02x%02x", c[0] & 0xff, c[1] & 0xff, c[2] & 0xff);
}

/* v's place on the scale of a model whose best mean is best (fractions):
 * 1 at the best, 0 WINDOW points below it and further. */
static double scale_pos(double v, double best) { return 1.0 - 100.0 * (best - v) / WINDOW; }

void pn_t1_heat_colour(double v, double best, char out[8]) { pn_t1_viridis(scale_pos(v, best), out); }

/* The highest mean of model m's cells in set (the top of its scale). */
static double top_mean(const pn_t1 *t, int set, size_t m)
{
    double hi = -1;
    for (size_t a = 0; a < t->n_lrs; a++)
        for (size_t j = 0; j < t->n_bss; j++) {
            const pn_t1_cell *c = pn_t1_find(t, set, m, a, j);
            if (pn_t1_has_mean(c) && c->test_mean > hi)
                hi = c->test_mean;
        }
    return hi;
}

/* One cell at (x, y): its colour and figure, then the outlines. */
static void cell(pn_buf *b, const pn_t1_cell *c, double x, double y, double best, int chosen,
                 int study)
{
    char fill[16] = "#dddddd", attrs[96], label[32] = "\xe2\x80\x94";
    const char *tc = "#555";
    if (pn_t1_has_mean(c)) {
        const double pos = scale_pos(c->test_mean, best);
        pn_t1_heat_colour(c->test_mean, best, fill);
        tc = pos < 0.6 ? "white" : "black"; /* viridis is dark below about 0.6 */
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
    if (study) /* dashes over white: seen on the dark cells too */
        for (int k = 0; k < 2; k++)
            pn_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" "
                          "fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s/>\n", x + 4, y + 4,
                          CELL_W - 8, CELL_H - 8, k ? "black" : "white", k ? "1.5" : "3",
                          k ? " stroke-dasharray=\"4 3\"" : "");
}

/* Model m's panel with its top-left cell at (x0, y0). */
static void panel(pn_buf *b, const pn_t1 *t, int set, size_t m, double x0, double y0)
{
    char text[64];
    const double best_mean = top_mean(t, set, m);
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
            cell(b, c, x0 + (double)j * CELL_W, y, best_mean, c && c == best,
                 s && s->lr == t->lrs[a] && s->bs == t->bss[j]);
        }
    }
}

/* The key at (x, y), w wide: the colour bar with its scale in points
 * below the model's best, and what the two outlines mean. */
static void key(pn_buf *b, int set, double x, double y, double w)
{
    enum { STEPS = 40 };
    const double bw = w - 40, step = bw / STEPS;
    pn_svg_text(b, x, y, "font-size=\"12\" font-weight=\"bold\"",
                "points below the model's best cell");
    for (int i = 0; i < STEPS; i++) { /* left: WINDOW below, right: the best */
        char fill[8];
        pn_t1_viridis((i + 0.5) / STEPS, fill);
        pn_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"14\" "
                         "fill=\"%s\"/>\n", x + i * step, y + 8, step + 0.3, fill);
    }
    for (int p = 0; p <= (int)WINDOW; p++) {
        char num[16];
        const double tx = x + bw - p * bw / WINDOW;
        snprintf(num, sizeof num, p == (int)WINDOW ? "%d+" : "%d", p);
        pn_svg_line(b, tx, y + 22, tx, y + 26, "stroke=\"#444\"");
        pn_svg_text(b, tx, y + 37, "font-size=\"11\" text-anchor=\"middle\"", num);
    }
    pn_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"14\" fill=\"none\" "
                     "stroke=\"#D55E00\" stroke-width=\"3\"/>\n", x, y + 48);
    pn_svg_text(b, x + 30, y + 59, "font-size=\"11\"",
                set ? "the cell the test rounds would pick" : "the cell chosen on validation");
    pn_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"14\" fill=\"none\" "
                     "stroke=\"black\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\n", x,
                  y + 70);
    pn_svg_text(b, x + 30, y + 81, "font-size=\"11\"", "the study's choice");
}

void pn_t1_heatmap_svg(pn_buf *b, const pn_t1 *t, int set)
{
    const int pw = 70 + (int)t->n_bss * CELL_W, grid_h = (int)t->n_lrs * CELL_H;
    const int band = (grid_h > KEY_H - 20 ? grid_h : KEY_H - 20) + 48;
    /* the key takes the slot after the last model, a row of its own when
     * the last row is full */
    const size_t slots = t->n_models + 1;
    const int cols = slots < PER_ROW ? (int)slots : PER_ROW;
    const int rows = (int)((slots + PER_ROW - 1) / PER_ROW);
    const int w = 40 + cols * (pw > 240 ? pw : 240), h = TOP + rows * band;
    const int slot_w = pw > 240 ? pw : 240;
    pn_svg_open_size(b, w < 420 ? 420 : w, h,
                     set ? "Table I grid, test rounds" : "Table I grid, validation rounds",
                     "mean test accuracy (%) of each cell; colour: how far below the model's "
                     "best cell");
    for (size_t m = 0; m < t->n_models; m++)
        panel(b, t, set, m, 30 + (double)(m % PER_ROW) * slot_w + 60,
              TOP + 24 + (double)(m / PER_ROW) * band);
    const size_t k = t->n_models;
    key(b, set, 30 + (double)(k % PER_ROW) * slot_w + 20, TOP + 8 + (double)(k / PER_ROW) * band,
        slot_w - 30);
}
