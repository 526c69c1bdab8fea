/* index.html: one self-contained page with Table II, Table I when the
 * grid search wrote it, the figures inlined and the provenance. */
#include "pairnet/report/results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/base/file.h"
#include "pairnet/report/buf.h"
#include "pairnet/report/markdown.h"
#include "pairnet/report/provenance.h"

/* Whole file, NUL-terminated, or NULL (errno says why). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    pn_buf b = {0};
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        pn_buf_printf(&b, "%.*s", (int)got, chunk);
    int bad = ferror(f) || b.failed;
    fclose(f);
    if (bad) {
        pn_buf_free(&b);
        return NULL;
    }
    if (!b.data) /* empty file */
        return calloc(1, 1);
    return b.data;
}

static const char *const html_css =
    "body{font-family:sans-serif;color:#222;max-width:1000px;margin:2em auto;padding:0 1em;"
    "line-height:1.45}\n"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd}\n"
    "table{border-collapse:collapse;margin:.8em 0;font-size:.95em}\n"
    "th,td{padding:.3em .8em;text-align:right;white-space:nowrap;border-bottom:1px solid #e4e4e4}\n"
    "th{border-bottom:2px solid #999;background:#f6f6f6;white-space:normal;vertical-align:bottom}\n"
    "th:first-child,td:first-child{text-align:left}\n"
    "tbody tr:nth-child(even) td{background:#fafafa}\n"
    "pre{background:#f4f4f4;padding:.6em .8em;overflow-x:auto;white-space:pre-wrap}\n"
    "figure{margin:1em 0}svg{max-width:100%;height:auto}\n"
    "figcaption,.note{color:#555;font-size:.9em}\n"
    "dt{font-weight:bold;float:left;clear:left;width:9em}dd{margin-left:9.5em}\n";

/* An SVG file of dir, inlined (an <img> would need a second file, and a
 * data: URI would hide the text from search). */
static void html_figure(pn_buf *b, const char *dir, const char *name, const char *caption)
{
    char path[4096];
    char *svg = NULL;
    if (!pn_path_join(path, sizeof path, dir, name, NULL))
        svg = slurp(path);
    pn_buf_printf(b, "<figure>\n");
    const char *start = svg ? strstr(svg, "<svg") : NULL;
    if (start)
        pn_buf_printf(b, "%s", start); /* skips an XML declaration, if any */
    else
        pn_buf_printf(b, "<p class=\"note\">(%s was not written)</p>\n", name);
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

/* Table I: dir/table1/table1.md (make table1) or dir/table1.md (a grid of
 * scripts/grid.sh), with the figures it names inlined; left out if neither. */
static void html_table1(pn_buf *b, const char *dir)
{
    char sub[4096], path[4096];
    char *md = NULL;
    figure_dir fd = {sub};
    if (!pn_path_join(sub, sizeof sub, dir, "table1", NULL) &&
        !pn_path_join(path, sizeof path, sub, "table1.md", NULL))
        md = slurp(path);
    if (!md) {
        snprintf(sub, sizeof sub, "%s", dir);
        if (pn_path_join(path, sizeof path, dir, "table1.md", NULL))
            return;
        md = slurp(path);
    }
    if (!md)
        return; /* no grid search was run: the section is left out */
    if (md[0] != '#') /* the scripts write their own title */
        pn_buf_printf(b, "<h2>Table I: grid search</h2>\n");
    pn_md_to_html(b, md, inline_image, &fd);
    free(md);
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
    pn_buf_escape_xml(&b, info->date);
    pn_buf_printf(&b, " &middot; revision ");
    pn_buf_escape_xml(&b, info->revision);
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
    html_table1(&b, dir);
    pn_provenance_html(&b, info);
    pn_buf_printf(&b, "</body>\n</html>\n");
    return pn_buf_save(dir, "index.html", &b, err);
}
