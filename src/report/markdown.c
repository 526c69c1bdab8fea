/* A small Markdown to HTML converter, enough for the table1.md files the
 * scripts write and the effects section: headings, pipe tables, fenced code,
 * paragraphs, lines that are an image, and inline **bold**, `code` and
 * backslash escapes. */
#include "pairnet/report/markdown.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Inline Markdown: escaping, **bold**, `code` and backslash escapes; enough
 * for table1.md, which scripts/table1.sh writes. */
static void md_inline(pn_buf *b, const char *s, size_t n)
{
    int bold = 0, code = 0;
    for (size_t i = 0; i < n; i++) {
        char ch[2] = {s[i], '\0'};
        if (s[i] == '\\' && i + 1 < n && strchr("\\`*_|#-", s[i + 1])) {
            ch[0] = s[++i];
            pn_buf_escape_xml(b, ch);
        } else if (!code && s[i] == '*' && i + 1 < n && s[i + 1] == '*') {
            pn_buf_printf(b, bold ? "</strong>" : "<strong>");
            bold = !bold;
            i++;
        } else if (s[i] == '`') {
            pn_buf_printf(b, code ? "</code>" : "<code>");
            code = !code;
        } else
            pn_buf_escape_xml(b, ch);
    }
    if (bold)
        pn_buf_printf(b, "</strong>");
    if (code)
        pn_buf_printf(b, "</code>");
}

static int md_is_separator(const char *line, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr("|-: \t", line[i]))
            return 0;
    return 1;
}

/* One "| a | b |" line as a table row of th (header) or td cells. */
static void md_table_row(pn_buf *b, const char *line, size_t n, int header)
{
    const char *tag = header ? "th" : "td";
    size_t i = line[0] == '|' ? 1 : 0;
    pn_buf_printf(b, "<tr>");
    while (i < n) {
        size_t j = i;
        while (j < n && !(line[j] == '|' && (j == 0 || line[j - 1] != '\\')))
            j++;
        if (j == n && j - i == strspn(line + i, " \t"))
            break; /* nothing after the closing bar */
        size_t a = i, z = j;
        while (a < z && (line[a] == ' ' || line[a] == '\t'))
            a++;
        while (z > a && (line[z - 1] == ' ' || line[z - 1] == '\t'))
            z--;
        pn_buf_printf(b, "<%s>", tag);
        md_inline(b, line + a, z - a);
        pn_buf_printf(b, "</%s>", tag);
        i = j + 1;
    }
    pn_buf_printf(b, "</tr>\n");
}

enum md_block { MD_NONE, MD_PARA, MD_TABLE, MD_CODE };

static void md_close(pn_buf *b, enum md_block *blk)
{
    static const char *const close[] = {"", "</p>\n", "</tbody></table>\n", "</code></pre>\n"};
    pn_buf_printf(b, "%s", close[*blk]);
    *blk = MD_NONE;
}

/* A line that is only an image, ![alt](src): the span of src, or 0. */
static size_t md_image(const char *line, size_t n, const char **src)
{
    if (n < 5 || line[0] != '!' || line[1] != '[' || line[n - 1] != ')')
        return 0;
    const char *mid = memchr(line, ']', n);
    if (!mid || mid + 1 >= line + n || mid[1] != '(')
        return 0;
    *src = mid + 2;
    return (size_t)(line + n - 1 - *src);
}

void pn_md_to_html(pn_buf *b, const char *md, pn_md_image_fn image, void *ctx)
{
    enum md_block blk = MD_NONE;
    size_t table_rows = 0;
    while (*md) {
        size_t n = strcspn(md, "\n");
        const char *line = md;
        md += n + (md[n] == '\n');
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
            n--;
        if (n >= 3 && strncmp(line, "```", 3) == 0) {
            int opening = blk != MD_CODE;
            md_close(b, &blk);
            if (opening) {
                pn_buf_printf(b, "<pre><code>");
                blk = MD_CODE;
            }
        } else if (blk == MD_CODE) {
            char *text = malloc(n + 1);
            if (text) {
                memcpy(text, line, n);
                text[n] = '\0';
                pn_buf_escape_xml(b, text);
                free(text);
            }
            pn_buf_printf(b, "\n");
        } else if (n == 0) {
            md_close(b, &blk);
        } else if (md_image(line, n, &(const char *){NULL})) {
            const char *src;
            const size_t len = md_image(line, n, &src);
            char name[512];
            snprintf(name, sizeof name, "%.*s", (int)len, src);
            md_close(b, &blk);
            if (image)
                image(b, name, ctx);
            else {
                pn_buf_printf(b, "<p><img src=\"");
                pn_buf_escape_xml(b, name);
                pn_buf_printf(b, "\" alt=\"\"></p>\n");
            }
        } else if (line[0] == '#') {
            md_close(b, &blk);
            size_t level = strspn(line, "#");
            size_t h = level + 1 > 6 ? 6 : level + 1;
            size_t skip = level + strspn(line + level, " ");
            pn_buf_printf(b, "<h%zu>", h);
            md_inline(b, line + skip, n > skip ? n - skip : 0);
            pn_buf_printf(b, "</h%zu>\n", h);
        } else if (line[0] == '|') {
            if (blk != MD_TABLE) {
                md_close(b, &blk);
                pn_buf_printf(b, "<table><tbody>\n");
                blk = MD_TABLE;
                table_rows = 0;
            }
            if (!md_is_separator(line, n))
                md_table_row(b, line, n, table_rows++ == 0);
        } else {
            if (blk != MD_PARA) {
                md_close(b, &blk);
                pn_buf_printf(b, "<p>");
                blk = MD_PARA;
            } else
                pn_buf_printf(b, "\n");
            md_inline(b, line, n);
        }
    }
    md_close(b, &blk);
}
