/* index.html: one self-contained page with Table II, Table I when the
 * grid search made it (from its data, table1.csv), the figures inlined and
 * the provenance. */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/report/results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pairnet/base/file.h"
#include "pairnet/base/buf.h"
#include "pairnet/models/models.h"
#include "pairnet/report/escape.h"
#include "pairnet/report/fig_network.h"
#include "pairnet/report/markdown.h"
#include "pairnet/report/provenance.h"
#include "pairnet/report/table1.h"

static const char *const html_css =
    "body{font-family:sans-serif;color:#222;max-width:1100px;margin:2em auto;padding:0 1em;"
    "line-height:1.45}\n"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd}\n"
    /* a table wider than the page scrolls by itself; the page does not */
    "table{border-collapse:collapse;margin:.8em 0;font-size:.95em;display:block;"
    "max-width:100%;overflow-x:auto}\n"
    "th,td{padding:.3em .55em;text-align:right;white-space:nowrap;border-bottom:1px solid #e4e4e4}\n"
    "th{border-bottom:2px solid #999;background:#f6f6f6;white-space:normal;vertical-align:bottom;"
    "min-width:4em}\n" /* long headers take two or three lines, not five */
    "th:first-child,td:first-child{text-align:left}\n"
    "tbody tr:nth-child(even) td{background:#fafafa}\n"
    "pre{background:#f4f4f4;padding:.6em .8em;overflow-x:auto;white-space:pre-wrap}\n"
    "figure{margin:1em 0}svg{max-width:100%;height:auto}\n"
    "figcaption,.note{color:#555;font-size:.9em}\n"
    "dt{font-weight:bold;float:left;clear:left;width:9em}dd{margin-left:9.5em}\n";

/* Bounds on what the page reads back: pairnet's figures are tens of
 * kilobytes and a grid's table1.md a few; anything far larger is not theirs. */
enum { FIGURE_MAX = 4 << 20, TABLE1_MAX = 1 << 20, TABLE1_LINE_MAX = 16 << 10 };

/* A figure name the page may inline: a plain file name in the folder itself
 * ending in .svg (no '/', no leading dot, so no "..", and nothing to hide
 * in: no control character or backslash). */
static int figure_name_ok(const char *name)
{
    const size_t n = strlen(name);
    if (n < 5 || n > 255 || name[0] == '.' || strcmp(name + n - 4, ".svg") != 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
            return 0;
    return 1;
}

/* Whether w[0..n) is one of the NULL-terminated words. */
static int word_in(const char *w, size_t n, const char *const *words)
{
    for (; *words; words++)
        if (strlen(*words) == n && strncmp(w, *words, n) == 0)
            return 1;
    return 0;
}

/* Whether svg holds only the elements and attributes pairnet's figures are
 * made of (src/report/svg.c, fig_*.c, effects.c): no script, event handler,
 * link, style or foreign content, so inlining it cannot run or load
 * anything, whoever wrote the file. */
static int svg_is_plain(const char *svg)
{
    static const char *const elems[] = {"svg", "title", "rect", "text", "line", "circle",
                                        "polyline", "polygon", NULL};
    static const char *const attrs[] = {
        "xmlns", "viewBox", "width", "height", "font-family", "font-size", "font-weight", "fill",
        "fill-opacity", "role", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "points",
        "stroke", "stroke-width", "stroke-dasharray", "stroke-linejoin", "text-anchor",
        "transform", NULL};
    const char *p = svg;
    while ((p = strchr(p, '<')) != NULL) {
        p += 1 + (p[1] == '/');
        size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
        if (!word_in(p, n, elems))
            return 0;
        for (p += n;;) {
            p += strspn(p, " \t\n");
            if (*p == '>' || (p[0] == '/' && p[1] == '>'))
                break;
            n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
            if (!n || !word_in(p, n, attrs) || p[n] != '=' || p[n + 1] != '"')
                return 0;
            p += n + 2;
            n = strcspn(p, "\"<");
            if (p[n] != '"')
                return 0;
            p += n + 1;
        }
    }
    return 1;
}

/* A note in place of a figure, its name and reason escaped. */
static void figure_note(pn_buf *b, const char *name, const char *why)
{
    pn_buf_printf(b, "<p class=\"note\">(");
    pn_esc_html(b, name);
    pn_buf_printf(b, " ");
    pn_esc_html(b, why);
    pn_buf_printf(b, ")</p>\n");
}

/* The SVG text of dir/name, or NULL with a note written for the reader. */
static char *read_figure(pn_buf *b, const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    if (!figure_name_ok(name)) {
        figure_note(b, name, "is not a figure of this folder: not inlined");
        return NULL;
    }
    if (pn_path_join(path, sizeof path, dir, name, NULL) != PN_OK ||
        lstat(path, &st) != 0) {
        figure_note(b, name, "was not written");
        return NULL;
    }
    if (S_ISLNK(st.st_mode)) { /* pairnet writes files, never links */
        figure_note(b, name, "is a symbolic link, not a figure pairnet wrote: not inlined");
        return NULL;
    }
    pn_err err = {0};
    size_t len;
    char *svg = pn_read_file(path, "figure", FIGURE_MAX, &len, NULL, &err);
    if (!svg) {
        char why[PN_ERR_MSG + 16];
        snprintf(why, sizeof why, "not shown: %s", err.msg);
        figure_note(b, name, why);
    } else if (strlen(svg) != len || !strstr(svg, "<svg") || !svg_is_plain(strstr(svg, "<svg"))) {
        figure_note(b, name, "holds more than pairnet's figures do: not inlined");
        free(svg);
        svg = NULL;
    }
    return svg;
}

/* An SVG file of dir, inlined (an <img> would need a second file, and a
 * data: URI would hide the text from search). */
static void html_figure(pn_buf *b, const char *dir, const char *name, const char *caption)
{
    pn_buf_printf(b, "<figure>\n");
    char *svg = read_figure(b, dir, name);
    if (svg)
        pn_buf_printf(b, "%s", strstr(svg, "<svg")); /* skips an XML declaration, if any */
    pn_buf_printf(b, "<figcaption>%s</figcaption>\n</figure>\n", caption);
    free(svg);
}

typedef struct figure_dir {
    const char *dir;
} figure_dir;

/* An image line of a Markdown file: its SVG inlined from the file's folder. */
static void inline_image(pn_buf *b, const char *src, void *ctx)
{
    const figure_dir *fd = ctx;
    html_figure(b, fd->dir, src, "");
}

/* table1.md of folder dir, or NULL: *missing when there is none, else a
 * note on the page says why it is not shown (too large, not a regular
 * file, a NUL byte or an over-long line: not a table a script wrote). */
static char *read_table1(pn_buf *b, const char *dir, int *missing)
{
    char path[4096];
    pn_err err = {0};
    size_t len;
    *missing = 1;
    if (pn_path_join(path, sizeof path, dir, "table1.md", NULL) != PN_OK)
        return NULL;
    char *md = pn_read_file(path, "table1", TABLE1_MAX, &len, missing, &err);
    const char *why = md ? NULL : *missing ? "" : err.msg;
    for (const char *line = md; md && !why && line < md + len;) {
        const char *nl = memchr(line, '\n', (size_t)(md + len - line));
        const size_t n = nl ? (size_t)(nl - line) : (size_t)(md + len - line);
        if (n > TABLE1_LINE_MAX)
            why = "table1.md has a line too long for a table a script wrote: not shown";
        line += n + 1;
    }
    if (md && !why && strlen(md) != len)
        why = "table1.md holds a NUL byte: not shown";
    if (why && *why) {
        pn_buf_printf(b, "<h2>Table I: grid search</h2>\n<p class=\"note\">");
        pn_esc_html(b, why);
        pn_buf_printf(b, "</p>\n");
    }
    if (why) {
        free(md);
        md = NULL;
    }
    return md;
}

/* A heatmap of Table I, inlined from the table1 folder (ctx). */
static void table1_figure(pn_buf *b, const char *name, void *ctx)
{
    html_figure(b, ctx, name,
                !strcmp(name, "heatmap-test.svg")
                    ? "The test rounds' grid: the solid outline is the cell they would pick, "
                      "the dashed one the study's."
                    : "The validation rounds' grid: the solid outline is the chosen cell, "
                      "the dashed one the study's.");
}

/* The study's Table I from its data, sub/table1.csv (make table1), when
 * there is one: 1 when the section was written (or a note says why not). */
static int html_table1_data(pn_buf *b, const char *sub)
{
    char path[4096];
    struct stat st;
    if (pn_path_join(path, sizeof path, sub, "table1.csv", NULL) != PN_OK ||
        lstat(path, &st) != 0)
        return 0;
    pn_t1 t = {0};
    pn_err err = {0};
    if (pn_t1_read_study_csv(&t, path, &err) == PN_OK) {
        pn_t1_study_html(b, &t, table1_figure, (void *)sub);
    } else {
        pn_buf_printf(b, "<h2>Table I: grid search</h2>\n<p class=\"note\">table1.csv not "
                         "shown: ");
        pn_esc_html(b, err.msg[0] ? err.msg : "it cannot be read");
        pn_buf_printf(b, "</p>\n");
    }
    pn_t1_free(&t);
    return 1;
}

/* Table I: the study's from dir/table1/table1.csv (make table1); else a
 * table1.md of dir/table1/ or dir/ (a grid of scripts/grid.sh), with the
 * figures it names inlined; left out if none. The Markdown's text is
 * rendered escaped (pn_md_to_html): nothing in it is markup. */
static void html_table1(pn_buf *b, const char *dir)
{
    char sub[4096];
    int missing = 1;
    char *md = NULL;
    figure_dir fd = {sub};
    struct stat st;
    if (pn_path_join(sub, sizeof sub, dir, "table1", NULL) == PN_OK && stat(sub, &st) == 0 &&
        S_ISDIR(st.st_mode)) {
        if (html_table1_data(b, sub))
            return;
        md = read_table1(b, sub, &missing);
    }
    if (!md && missing) {
        snprintf(sub, sizeof sub, "%s", dir);
        md = read_table1(b, dir, &missing);
    }
    if (!md)
        return; /* no grid search was run (or a note says why it is not shown) */
    if (md[0] != '#') /* a grid's table1.md has its own title */
        pn_buf_printf(b, "<h2>Table I: grid search</h2>\n");
    pn_md_to_html(b, md, inline_image, &fd);
    free(md);
}

/* The networks of the models the bench ran (the study's Figs. 1-3), drawn
 * here from their builders: nothing to read back, so nothing to vet. */
static void html_networks(pn_buf *b, const pn_model_summary *s, size_t n_models)
{
    pn_buf_printf(b, "<h2>Networks</h2>\n<p class=\"note\">Each model's network as its "
                     "builder makes it, with the default options of its preset; every box a "
                     "layer, its output shape for one pair and its parameters.</p>\n");
    for (size_t k = 0; k < n_models; k++) {
        const pn_model_info *m = pn_model_find(s[k].model);
        pn_buf fig = {0};
        pn_err err = {0};
        pn_buf_printf(b, "<figure>\n");
        if (!m || pn_network_svg_preset(&fig, m, &err) != PN_OK || fig.failed) {
            figure_note(b, s[k].model, m ? "could not be drawn" : "is not a model of this build");
        } else {
            pn_buf_printf(&fig, "</svg>\n");
            pn_buf_printf(b, "%s", fig.data);
        }
        pn_buf_free(&fig);
        pn_buf_printf(b, "</figure>\n");
    }
}

int pn_write_index_html(const char *dir, const pn_model_summary *s, size_t n_models,
                        const pn_effect *e, size_t n_effects, const pn_run_info *info,
                        pn_err *err)
{
    pn_buf b = {0};
    pn_buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "<title>pairnet results</title>\n<style>\n%s</style>\n</head>\n<body>\n",
                  html_css);
    pn_buf_printf(&b, "<h1>pairnet: compare two digits</h1>\n<p class=\"note\">");
    pn_esc_html(&b, info->date);
    pn_buf_printf(&b, " &middot; revision ");
    pn_esc_html(&b, info->revision);
    pn_buf_printf(&b, "</p>\n<h2>Table II: accuracy of each model</h2>\n");
    pn_table2_html(&b, s, n_models);
    if (n_effects) {
        pn_buf md = {0};
        pn_effects_markdown(&md, e, n_effects);
        pn_md_to_html(&b, md.failed ? "" : md.data, NULL, NULL);
        pn_buf_free(&md);
        html_figure(&b, dir, "effects.svg",
                    "Paired effects: the mean per-seed difference of test accuracy, with its "
                    "95% confidence interval; the dashed line is no effect.");
    }
    const int digits = pn_summaries_have_digits(s, n_models);
    pn_buf_printf(&b, "<h2>Figures</h2>\n");
    html_figure(&b, dir, "fig4.svg",
                "Figure 4 of the study: the final test accuracy of every round, per model "
                "(diverged rounds left out).");
    html_figure(&b, dir, "curves.svg",
                "Learning curves: mean test accuracy after each epoch, with a band of "
                "&plusmn;1 standard deviation over the rounds.");
    if (digits)
        html_figure(&b, dir, "digits.svg",
                    "The digit tower at the end of training, per model with digit logits "
                    "(mean over the rounds, whiskers &plusmn;1 standard deviation): the test "
                    "images whose digit it classifies right, the test pairs answered right by "
                    "comparing its two predicted digits, and by the learned head (Table II's "
                    "test accuracy).");
    html_networks(&b, s, n_models);
    html_table1(&b, dir);
    pn_provenance_html(&b, info);
    pn_buf_printf(&b, "</body>\n</html>\n");
    return pn_buf_save(dir, "index.html", &b, err);
}
