/* Paired effects of the study's design choices (include/pairnet/report/effects.h). */
#include "pairnet/report/effects.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/base/file.h"
#include "pairnet/models/models.h"
#include "pairnet/report/escape.h"
#include "pairnet/report/json.h"
#include "pairnet/report/svg.h"

/* The models by their place in the registry, which holds the one list of
 * names (models.h): the study's five in the study's order, then best
 * (tests/test_table1.c pins that order through `pairnet models`). */
enum { MLP, CNN, CNN_WS, CNN_AL, CNN_WS_AL, BEST };

/* The comparisons, in the order the study's argument runs: each design
 * choice alone, together, each given the other, the convolution itself,
 * and what the best model adds. */
static const struct {
    const char *what;
    size_t a, b;
} list[] = {
    {"weight sharing", CNN_WS, CNN},
    {"auxiliary losses", CNN_AL, CNN},
    {"both", CNN_WS_AL, CNN},
    {"weight sharing, given auxiliary losses", CNN_WS_AL, CNN_AL},
    {"auxiliary losses, given weight sharing", CNN_WS_AL, CNN_WS},
    {"convolution (cnn over mlp)", CNN, MLP},
    {"the best model's recipe", BEST, CNN_WS_AL},
};

/* The registry's name of model k, or NULL past its end. */
static const char *model_name(size_t k)
{
    size_t n;
    const pn_model_info *m = pn_model_list(&n);
    return k < n ? m[k].name : NULL;
}

/* The rounds of model m: [*start, *end); 0 if absent. */
static int find_model(const pn_round_rec *r, size_t n, const char *m, size_t *start, size_t *end)
{
    size_t i = 0;
    while (i < n && strcmp(r[i].model, m) != 0)
        i++;
    if (i == n)
        return 0;
    *start = i;
    while (i < n && strcmp(r[i].model, m) == 0)
        i++;
    *end = i;
    return 1;
}

size_t pn_effects(const pn_round_rec *r, size_t n, pn_effect *out)
{
    double *a = malloc((n ? n : 1) * sizeof *a), *b = malloc((n ? n : 1) * sizeof *b);
    size_t count = 0;
    for (size_t k = 0; a && b && k < sizeof list / sizeof list[0]; k++) {
        size_t a0, a1, b0, b1;
        const char *ma = model_name(list[k].a), *mb = model_name(list[k].b);
        if (!ma || !mb || !find_model(r, n, ma, &a0, &a1) || !find_model(r, n, mb, &b0, &b1))
            continue;
        size_t m = 0; /* the seeds both finished, in A's order */
        for (size_t i = a0; i < a1; i++) {
            if (r[i].diverged)
                continue;
            for (size_t j = b0; j < b1; j++)
                if (r[j].seed == r[i].seed && !r[j].diverged) {
                    a[m] = 100.0 * r[i].test_acc;
                    b[m] = 100.0 * r[j].test_acc;
                    m++;
                    break;
                }
        }
        if (m == 0)
            continue;
        pn_effect *e = &out[count];
        e->what = list[k].what;
        e->a = ma;
        e->b = mb;
        if (pn_paired_compare(a, b, m, &e->r) != 0)
            break;
        count++;
    }
    if (!a || !b || pn_effects_holm(out, count) != 0)
        count = 0;
    free(a);
    free(b);
    return count;
}

int pn_effects_holm(pn_effect *e, size_t n)
{
    double *pt = calloc(n ? n : 1, sizeof *pt), *pw = calloc(n ? n : 1, sizeof *pw);
    int rc = pt && pw ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        pt[i] = e[i].r.p_t;
        pw[i] = e[i].r.p_wilcoxon;
    }
    /* two families: the t-tests, and the Wilcoxon tests of the same effects */
    if (rc == 0 && (pn_holm(pt, n, pt) != 0 || pn_holm(pw, n, pw) != 0))
        rc = -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        e[i].p_t_holm = pt[i];
        e[i].p_wilcoxon_holm = pw[i];
    }
    free(pt);
    free(pw);
    return rc;
}

void pn_p_text(char *out, size_t cap, double p)
{
    if (isnan(p))
        snprintf(out, cap, "—");
    else if (p < 0.0001)
        snprintf(out, cap, "< 0.0001");
    else
        snprintf(out, cap, "%.4f", p);
}

void pn_ci_text(char *out, size_t cap, const pn_paired *r)
{
    if (isnan(r->ci_lo))
        snprintf(out, cap, "—");
    else
        snprintf(out, cap, "[%+.2f, %+.2f]", r->ci_lo, r->ci_hi);
}

void pn_effects_table(pn_buf *b, const pn_effect *e, size_t n)
{
    pn_buf_printf(b, "| effect | A − B | seeds | mean (points) | 95%% CI | paired t p | "
                     "Holm t p | Wilcoxon p | Holm Wilcoxon p | seeds A / B / tie |\n"
                     "|:---|:---|---:|---:|:---:|---:|---:|---:|---:|:---:|\n");
    for (size_t i = 0; i < n; i++) {
        const pn_paired *r = &e[i].r;
        char ci[64], pt[32], pth[32], pw[32], pwh[32];
        pn_ci_text(ci, sizeof ci, r);
        pn_p_text(pt, sizeof pt, r->p_t);
        pn_p_text(pth, sizeof pth, e[i].p_t_holm);
        pn_p_text(pw, sizeof pw, r->p_wilcoxon);
        pn_p_text(pwh, sizeof pwh, e[i].p_wilcoxon_holm);
        /* the names are pairnet's own in table2.md, a user's folder in
         * compare: escaped, as every text in a Markdown cell is (pn_esc_md) */
        pn_buf_printf(b, "| ");
        pn_esc_md(b, e[i].what);
        pn_buf_printf(b, " | ");
        pn_esc_md(b, e[i].a);
        pn_buf_printf(b, " − ");
        pn_esc_md(b, e[i].b);
        pn_buf_printf(b, " | %zu | %+.2f | %s | %s | %s | %s | %s | %zu / %zu / %zu |\n", r->n,
                      r->mean, ci, pt, pth, pw, pwh, r->n_a, r->n_b, r->n_tie);
    }
}

void pn_effects_markdown(pn_buf *b, const pn_effect *e, size_t n)
{
    if (n == 0)
        return;
    pn_buf_printf(b, "\n## Paired effects\n\n"
                     "Test accuracy of A minus that of B, in percentage points, over the seeds "
                     "both finished: rounds with the same seed see the same training and test "
                     "pairs, so each seed's difference is paired. 95%% confidence interval from "
                     "Student t with n-1 degrees of freedom; two-sided p-values of the paired "
                     "t-test and of the exact Wilcoxon signed-rank test (zero differences "
                     "dropped, ties at mid-ranks), each beside its Holm adjustment over the "
                     "%zu effect%s of this table, which are tested together (definitions in "
                     "docs/statistics.md).\n\n", n, n == 1 ? "" : "s");
    pn_effects_table(b, e, n);
}

int pn_write_effects_svg(const char *dir, const pn_effect *e, size_t n, pn_err *err)
{
    if (n == 0) { /* a folder re-benched with fewer models: no stale figure */
        char path[4096];
        if (pn_path_join(path, sizeof path, dir, "effects.svg", NULL) == PN_OK &&
            remove(path) != 0 && errno != ENOENT)
            return pn_fail(err, PN_ERR_RUNTIME, "cannot remove the stale %s: %s (remove it by hand)",
                           path, strerror(errno));
        return PN_OK;
    }
    pn_buf b = {0};
    pn_svg_open(&b, "Paired effects on test accuracy",
                "mean difference over common seeds, points, with its 95% interval");
    double lo = 0.0, hi = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double l = isnan(e[i].r.ci_lo) ? e[i].r.mean : e[i].r.ci_lo;
        const double h = isnan(e[i].r.ci_hi) ? e[i].r.mean : e[i].r.ci_hi;
        lo = l < lo ? l : lo;
        hi = h > hi ? h : hi;
    }
    const pn_frame f = {300.0, 80.0, PN_FIG_W - 330.0, PN_FIG_H - 150.0};
    const pn_axis ax = pn_axis_make(lo, hi, 6, 0.1, 1);
    double t[32];
    const size_t nt = pn_axis_ticks(&ax, t, 32);
    for (size_t i = 0; i < nt; i++) { /* vertical grid */
        const double x = pn_map_x(&f, &ax, t[i]);
        pn_svg_line(&b, x, f.y, x, f.y + f.h, "stroke=\"#e5e5e5\"");
    }
    pn_svg_x_axis(&b, &f, &ax, "difference in test accuracy (percentage points)");
    const double x0 = pn_map_x(&f, &ax, 0.0);
    pn_svg_line(&b, x0, f.y, x0, f.y + f.h, "stroke=\"#555\" stroke-dasharray=\"4 3\"");
    const double row = f.h / (double)n;
    for (size_t i = 0; i < n; i++) {
        const pn_paired *r = &e[i].r;
        const double y = f.y + row * ((double)i + 0.5);
        char label[160], value[96];
        snprintf(label, sizeof label, "%s", e[i].what);
        pn_svg_text(&b, f.x - 10, y - 2, "text-anchor=\"end\" font-size=\"12\"", label);
        snprintf(label, sizeof label, "%s − %s, %zu seeds", e[i].a, e[i].b, r->n);
        pn_svg_text(&b, f.x - 10, y + 12, "text-anchor=\"end\" font-size=\"10\" fill=\"#666\"",
                    label);
        const char *color = "#333"; /* not a model: no model's colour */
        char attrs[96];
        snprintf(attrs, sizeof attrs, "stroke=\"%s\" stroke-width=\"2\"", color);
        if (!isnan(r->ci_lo)) {
            const double xl = pn_map_x(&f, &ax, r->ci_lo), xh = pn_map_x(&f, &ax, r->ci_hi);
            pn_svg_line(&b, xl, y, xh, y, attrs);
            pn_svg_line(&b, xl, y - 5, xl, y + 5, attrs);
            pn_svg_line(&b, xh, y - 5, xh, y + 5, attrs);
        }
        const double xm = pn_map_x(&f, &ax, r->mean);
        pn_buf_printf(&b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\"/>\n", xm, y,
                      color);
        snprintf(value, sizeof value, "%+.2f", r->mean);
        pn_svg_text(&b, xm, y - 9, "text-anchor=\"middle\" font-size=\"11\"", value);
    }
    return pn_svg_save(&b, dir, "effects.svg", err);
}

void pn_effect_json_stats(pn_json *j, const pn_effect *e)
{
    const pn_paired *r = &e->r;
    pn_json_key(j, "n");
    pn_json_uint(j, r->n);
    const char *keys[] = {"mean", "sd",       "ci_lo",      "ci_hi",           "t",
                          "p_t",  "p_t_holm", "w_plus",     "p_wilcoxon", "p_wilcoxon_holm"};
    const double v[] = {r->mean, r->sd,         r->ci_lo,  r->ci_hi,      r->t,
                        r->p_t,  e->p_t_holm,   r->w_plus, r->p_wilcoxon, e->p_wilcoxon_holm};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        pn_json_key(j, keys[k]);
        pn_json_num(j, v[k]);
    }
    const char *counts[] = {"n_a_better", "n_b_better", "n_tie"};
    const size_t c[] = {r->n_a, r->n_b, r->n_tie};
    for (size_t k = 0; k < 3; k++) {
        pn_json_key(j, counts[k]);
        pn_json_uint(j, c[k]);
    }
}
