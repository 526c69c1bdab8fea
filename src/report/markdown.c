/* A small Markdown to HTML converter, enough for the table1.md files the
 * scripts write and the effects section: headings, pipe tables, fenced code,
 * paragraphs, lines that are an image, and inline **bold**, `code` and
 * backslash escapes. */
#include "pairnet/report/markdown.h"

#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>

#include "pairnet/report/escape.h"

/* A character reference at s[0..n) (&amp; &lt; &gt; &quot; or a numeric
 * one of a printable character): its length, or 0. It is passed through as
 * it is: a reference is a character, never markup, and pn_esc_md writes a
 * cell's edge spaces as &#32;. */
static size_t md_char_ref(const char *s, size_t n)
{
    static const char *const named[] = {"&amp;", "&lt;", "&gt;", "&quot;"};
    for (size_t k = 0; k < sizeof named / sizeof *named; k++)
        if (n >= strlen(named[k]) && strncmp(s, named[k], strlen(named[k])) == 0)
            return strlen(named[k]);
    if (n < 4 || s[1] != '#')
        return 0;
    const int hex = s[2] == 'x' || s[2] == 'X';
    const size_t start = hex ? 3 : 2;
    unsigned long v = 0;
    size_t i = start;
    for (; i < n && i - start < 7; i++) {
        const char *digits = "0123456789abcdef";
        const char *d = strchr(digits, s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
        if (!d || !*d || (!hex && d - digits >= 10))
            break;
        v = v * (hex ? 16 : 10) + (unsigned long)(d - digits);
    }
    if (i == start || i >= n || s[i] != ';')
        return 0;
    if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) || (v < 0x20 && v != '\t' && v != '\n') ||
        (v >= 0x7f && v <= 0x9f))
        return 0; /* what pn_esc_html would not let through either */
    return i + 1;
}

static int md_punct(char c) { return c > ' ' && c < 0x7f && !isalnum((unsigned char)c); }

/* Inline Markdown: **bold**, `code`, backslash escapes of any ASCII
 * punctuation (CommonMark's rule, so pn_esc_md's output reads back as the
 * text it escaped) and character references; everything else is text,
 * through pn_esc_html. */
static void md_inline(pn_buf *b, const char *s, size_t n)
{
    int bold = 0, code = 0;
    size_t text = 0; /* start of the text not yet written */
    for (size_t i = 0; i < n;) {
        const char *tag = NULL; /* the markup this position opens or closes */
        size_t span = 0;        /* the bytes it takes; 0: plain text */
        if (s[i] == '\\' && i + 1 < n && md_punct(s[i + 1])) {
            span = 2; /* an escaped character, written as text */
        } else if (!code && s[i] == '*' && i + 1 < n && s[i + 1] == '*') {
            tag = bold ? "</strong>" : "<strong>";
            bold = !bold;
            span = 2;
        } else if (s[i] == '`') {
            tag = code ? "</code>" : "<code>";
            code = !code;
            span = 1;
        } else if (s[i] == '&') {
            span = md_char_ref(s + i, n - i);
        }
        if (!span) {
            i++;
            continue;
        }
        pn_esc_html_n(b, s + text, i - text);
        if (tag)
            pn_buf_printf(b, "%s", tag);
        else if (s[i] == '\\')
            pn_esc_html_n(b, s + i + 1, 1);
        else
            pn_buf_put(b, s + i, span); /* a character reference */
        text = i += span;
    }
    pn_esc_html_n(b, s + text, n - text);
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
        while (j < n && line[j] != '|')
            j += line[j] == '\\' && j + 1 < n ? 2 : 1; /* \| and \\ are text */
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

enum md_block { MD_NONE, MD_PARA, MD_TABLE, MD_CODE, MD_LIST };

static void md_close(pn_buf *b, enum md_block *blk)
{
    static const char *const close[] = {"", "</p>\n", "</tbody></table>\n", "</code></pre>\n",
                                        "</ul>\n"};
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

/* The length of the backtick fence that starts line[0..n) (3 or more), or 0. */
static size_t md_fence(const char *line, size_t n)
{
    size_t k = 0;
    while (k < n && line[k] == '`')
        k++;
    return k >= 3 ? k : 0;
}

/* An image line: handed to image, or an <img> when there is none. The name
 * is passed whole (a cut name could name another file). */
static void md_image_line(pn_buf *b, const char *src, size_t len, pn_md_image_fn image, void *ctx)
{
    char *name = malloc(len + 1);
    if (!name) {
        b->failed = 1;
        return;
    }
    memcpy(name, src, len);
    name[len] = '\0';
    if (image)
        image(b, name, ctx);
    else {
        pn_buf_printf(b, "<p><img src=\"");
        pn_esc_attr(b, name);
        pn_buf_printf(b, "\" alt=\"\"></p>\n");
    }
    free(name);
}

void pn_md_to_html(pn_buf *b, const char *md, pn_md_image_fn image, void *ctx)
{
    enum md_block blk = MD_NONE;
    size_t table_rows = 0, fence = 0; /* the open code block's fence length */
    while (*md) {
        size_t n = strcspn(md, "\n");
        const char *line = md;
        md += n + (md[n] == '\n');
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
            n--;
        /* a code block ends only at a fence of backticks alone, at least as
         * long as the one that opened it (CommonMark) */
        const size_t f = md_fence(line, n);
        if (blk == MD_CODE && f >= fence && f == n) {
            md_close(b, &blk);
        } else if (blk != MD_CODE && f && !memchr(line + f, '`', n - f)) {
            md_close(b, &blk);
            pn_buf_printf(b, "<pre><code>");
            blk = MD_CODE;
            fence = f;
        } else if (blk == MD_CODE) {
            pn_esc_html_n(b, line, n);
            pn_buf_printf(b, "\n");
        } else if (n == 0) {
            md_close(b, &blk);
        } else if (md_image(line, n, &(const char *){NULL})) {
            const char *src;
            const size_t len = md_image(line, n, &src);
            md_close(b, &blk);
            md_image_line(b, src, len, image, ctx);
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
        } else if (n > 2 && line[0] == '-' && line[1] == ' ') { /* a list item, "- " */
            if (blk != MD_LIST) {
                md_close(b, &blk);
                pn_buf_printf(b, "<ul>\n");
                blk = MD_LIST;
            }
            pn_buf_printf(b, "<li>");
            md_inline(b, line + 2, n - 2);
            pn_buf_printf(b, "</li>\n");
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
