/* digits.svg: per model with digit logits, bars of the tower's digit
 * accuracy, of comparing its predicted digits and of the learned head. */
#include "pairnet/report/results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/models/models.h"
#include "pairnet/models/train_cfg.h"
#include "pairnet/report/svg.h"

/* Three bars per model with digit logits: what its digit tower knows (test
 * images classified right), what comparing the two predicted digits gives
 * on the test pairs, and the model's own answer (Table II's test
 * accuracy), which is its learned head's unless its preset decides by
 * another rule (best: P(d1 <= d2)); the rule is written under its name. Bars start at zero: a tower never taught digits (cnn_ws) sits
 * near chance, and a truncated axis would hide that. */
enum { DIG_BARS = 3 };
static const char *const dig_label[DIG_BARS] = {"tower: digit accuracy",
                                                "pairs: predicted digits compared",
                                                "pairs: its answer (Table II)"};
static const char *const dig_color[DIG_BARS] = {"#009E73", "#E69F00", "#0072B2"};

typedef struct dig_stats {
    size_t n;        /* finished rounds with digit accuracies */
    size_t finished; /* finished rounds */
    double mean[DIG_BARS], std[DIG_BARS]; /* percent */
} dig_stats;

/* scratch holds DIG_BARS * (g.end - g.start) doubles. */
static dig_stats digits_of(const pn_round_rec *r, pn_group g, double *scratch)
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
    double x = (PN_FIG_W - total) / 2;
    for (size_t k = 0; k < DIG_BARS; k++) {
        pn_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"11\" fill=\"%s\" "
                         "fill-opacity=\"0.85\"/>\n", x, y - 9, dig_color[k]);
        pn_svg_text(b, x + 20, y, "font-size=\"12\"", dig_label[k]);
        x += w[k] + 24.0;
    }
}

static void draw_bar(pn_buf *b, const pn_frame *f, const pn_axis *a, double cx, double w,
                     double mean, double std, const char *color, int label)
{
    const double top = pn_map_y(f, a, mean), base = pn_map_y(f, a, 0.0);
    pn_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                     "fill-opacity=\"0.85\"/>\n", cx - w / 2, top, w, base - top, color);
    const double hi = pn_map_y(f, a, fmin(100.0, mean + std)),
                 lo = pn_map_y(f, a, fmax(0.0, mean - std));
    const double cap = w * 0.3;
    if (std > 0) {
        pn_svg_line(b, cx, hi, cx, lo, "stroke=\"#222\" stroke-width=\"1.3\"");
        pn_svg_line(b, cx - cap, hi, cx + cap, hi, "stroke=\"#222\" stroke-width=\"1.3\"");
        pn_svg_line(b, cx - cap, lo, cx + cap, lo, "stroke=\"#222\" stroke-width=\"1.3\"");
    }
    if (label) {
        char num[32];
        snprintf(num, sizeof num, "%.1f", mean);
        pn_svg_text(b, cx, fmin(hi, top) - 5,
                    "text-anchor=\"middle\" font-size=\"11\" fill=\"#333\"", num);
    }
}

/* "answers by: ..." for a model: its preset's decision rule (what bench
 * trains it with by default; the round record does not keep the rule). */
static const char *answer_rule(const char *model)
{
    const pn_model_info *m = pn_model_find(model);
    pn_train_cfg c;
    if (m)
        pn_train_cfg_default(&c, m);
    const int d = m ? c.decide : PN_DECIDE_HEAD;
    return d == PN_DECIDE_PROB     ? "answers by P(d1 \xe2\x89\xa4 d2)"
           : d == PN_DECIDE_ARGMAX ? "answers by its argmax digits"
                                   : "answers by its head";
}

/* Names the models that are not drawn, with why, under the plot. */
static void digits_notes(pn_buf *b, const pn_round_rec *r, const pn_group *g, const dig_stats *s,
                         size_t n_groups)
{
    pn_buf none = {0}, diverged = {0};
    for (size_t k = 0; k < n_groups; k++) {
        if (s[k].n)
            continue;
        pn_buf *to = s[k].finished ? &none : &diverged;
        pn_buf_printf(to, "%s%s", to->len ? ", " : "", r[g[k].start].model);
    }
    double y = PN_FIG_H - 14;
    if (diverged.len && !diverged.failed) {
        pn_buf_printf(&diverged, " (all rounds diverged)");
        pn_svg_text(b, PN_FIG_W / 2.0, y, "text-anchor=\"middle\" font-size=\"12\" fill=\"#a33\"",
                 diverged.data);
        y -= 18;
    }
    if (none.len && !none.failed) {
        pn_buf_printf(&none, " (no digit logits)");
        pn_buf msg = {0};
        pn_buf_printf(&msg, "not shown: %s", none.data);
        if (!msg.failed)
            pn_svg_text(b, PN_FIG_W / 2.0, y,
                        "text-anchor=\"middle\" font-size=\"12\" fill=\"#666\"", msg.data);
        pn_buf_free(&msg);
    }
    pn_buf_free(&none);
    pn_buf_free(&diverged);
}

static void digits_body(pn_buf *b, const pn_round_rec *r, const pn_group *g, const dig_stats *s,
                        size_t n_groups)
{
    const pn_frame f = {70, 90, 670, 280};
    const pn_axis a = pn_axis_make(0, 100, 5, 0, 1);
    digits_legend(b, 66);
    pn_svg_y_axis(b, &f, &a, "test accuracy (%)");
    pn_svg_x_axis(b, &f, NULL, NULL);
    size_t shown = 0;
    for (size_t k = 0; k < n_groups; k++)
        shown += s[k].n > 0;
    if (!shown)
        pn_svg_no_data(b, &f, "no model with digit logits to plot");
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
        pn_svg_text(b, cx, f.y + f.h + 22, "text-anchor=\"middle\" font-size=\"14\"",
                 r[g[k].start].model);
        snprintf(label, sizeof label, "n = %zu", s[k].n);
        pn_svg_text(b, cx, f.y + f.h + 37, "text-anchor=\"middle\" font-size=\"11\" fill=\"#666\"",
                 label);
        pn_svg_text(b, cx, f.y + f.h + 52, "text-anchor=\"middle\" font-size=\"10.5\" "
                    "fill=\"#666\"", answer_rule(r[g[k].start].model));
    }
    digits_notes(b, r, g, s, n_groups);
}

int pn_write_digits_svg(const char *dir, const pn_round_rec *r, size_t n_rounds, pn_err *err)
{
    size_t cap = n_rounds ? n_rounds : 1;
    pn_group *g = malloc(cap * sizeof *g);
    dig_stats *s = malloc(cap * sizeof *s);
    double *scratch = malloc(DIG_BARS * cap * sizeof *scratch);
    if (!g || !s || !scratch) {
        free(g);
        free(s);
        free(scratch);
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory drawing digits.svg");
    }
    size_t n_groups = pn_svg_groups(r, n_rounds, g), most = 0;
    for (size_t k = 0; k < n_groups; k++) {
        s[k] = digits_of(r, g[k], scratch);
        if (s[k].n > most)
            most = s[k].n;
    }
    char subtitle[128];
    snprintf(subtitle, sizeof subtitle,
             "bars: mean over the finished rounds (up to %zu per model) " PN_SVG_DOT
             " whiskers: " PN_SVG_PM "1 standard deviation",
             most);
    pn_buf b = {0};
    pn_svg_open(&b, "The digit tower and the head on the test set", subtitle);
    digits_body(&b, r, g, s, n_groups);
    free(g);
    free(s);
    free(scratch);
    return pn_svg_save(&b, dir, "digits.svg", err);
}
