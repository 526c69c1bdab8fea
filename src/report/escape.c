/* The escapers of every output format (include/pairnet/report/escape.h).
 * Each walks its input one UTF-8 character at a time, so a multi-byte
 * character is copied or replaced whole and never split. */
#include "pairnet/report/escape.h"

#include <stdio.h>
#include <string.h>

size_t pn_utf8_char(const char *s, size_t n, unsigned *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned c = u[0], min;
    size_t len;
    if (n == 0)
        return 0;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, c &= 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, c &= 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, c &= 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((u[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (u[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0; /* overlong, past Unicode, or a surrogate */
    *cp = c;
    return len;
}

/* The character at s as a unit: its length (a stray byte is a unit of 1)
 * and whether it is well-formed. */
static size_t unit(const char *s, size_t n, unsigned *cp, int *ok)
{
    size_t k = pn_utf8_char(s, n, cp);
    *ok = k != 0;
    if (!k)
        *cp = (unsigned char)s[0];
    return k ? k : 1;
}

size_t pn_utf8_cut(const char *s, size_t len, size_t max)
{
    size_t at = 0;
    while (at < len) {
        unsigned cp;
        int ok;
        const size_t k = unit(s + at, len - at, &cp, &ok);
        if (at + k > max)
            break;
        at += k;
    }
    return at;
}

/* C0, DEL and the C1 controls (U+0080-U+009F). */
static int is_control(unsigned cp) { return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f); }

/* ---- HTML and XML ------------------------------------------------------- */

/* A character XML 1.0 does not allow or a browser would act on, as a visible
 * stand-in: the control picture of a C0 control or DEL, else U+FFFD. */
static void put_stand_in(pn_buf *b, unsigned cp, int ok)
{
    if (ok && cp < 0x20)
        pn_buf_printf(b, "\xe2\x90%c", (char)(0x80 + cp)); /* U+2400 + cp */
    else if (ok && cp == 0x7f)
        pn_buf_printf(b, "\xe2\x90\xa1"); /* U+2421 */
    else
        pn_buf_printf(b, "\xef\xbf\xbd"); /* U+FFFD */
}

/* Characters passed through the HTML and code-block escapers as they are. */
static int html_plain(unsigned cp, int ok)
{
    return ok && !is_control(cp) && cp != 0xfffe && cp != 0xffff;
}

static void html_escape(pn_buf *b, const char *s, size_t n, int attr)
{
    for (size_t i = 0; i < n;) {
        unsigned cp;
        int ok;
        const size_t k = unit(s + i, n - i, &cp, &ok);
        switch (ok ? cp : 0x100) {
        case '&': pn_buf_printf(b, "&amp;"); break;
        case '<': pn_buf_printf(b, "&lt;"); break;
        case '>': pn_buf_printf(b, "&gt;"); break;
        case '"': pn_buf_printf(b, "&quot;"); break;
        case '\'': pn_buf_printf(b, "&#39;"); break;
        case '\t': pn_buf_printf(b, attr ? "&#9;" : "\t"); break;
        case '\n': pn_buf_printf(b, attr ? "&#10;" : "\n"); break;
        default:
            if (html_plain(cp, ok))
                pn_buf_put(b, s + i, k);
            else
                put_stand_in(b, cp, ok);
        }
        i += k;
    }
}

void pn_esc_html_n(pn_buf *b, const char *s, size_t n) { html_escape(b, s, n, 0); }
void pn_esc_html(pn_buf *b, const char *s) { html_escape(b, s, strlen(s), 0); }
void pn_esc_attr(pn_buf *b, const char *s) { html_escape(b, s, strlen(s), 1); }

/* ---- Markdown ------------------------------------------------------------ */

/* The k bytes at s as \xNN each: a control character or a byte that is
 * not UTF-8, shown rather than acted on (Markdown and the terminal alike
 * read \x as plain text). */
static void hex_bytes(pn_buf *b, const char *s, size_t k)
{
    for (size_t j = 0; j < k; j++)
        pn_buf_printf(b, "\\x%02x", (unsigned char)s[j]);
}

static int is_alnum(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

void pn_esc_md(pn_buf *b, const char *s)
{
    const size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned cp;
        int ok;
        const size_t k = unit(s + i, n - i, &cp, &ok);
        if (!ok || is_control(cp)) {
            hex_bytes(b, s + i, k);
        } else if (cp == ' ' && (i == 0 || i + 1 == n)) {
            pn_buf_printf(b, "&#32;"); /* a table cell is trimmed; a reference is not */
        } else if (cp == '_') {
            /* inside a word (cnn_ws_al) an underscore never starts emphasis */
            const int inner = i > 0 && is_alnum(s[i - 1]) && is_alnum(s[i + 1]);
            pn_buf_printf(b, inner ? "_" : "\\_");
        } else if (cp < 0x80 && strchr("\\`*[]<>|&~$", (int)cp)) {
            pn_buf_printf(b, "\\%c", (char)cp);
        } else {
            pn_buf_put(b, s + i, k);
        }
        i += k;
    }
}

void pn_esc_md_code(pn_buf *b, const char *info, const char *text)
{
    size_t longest = 0, run = 0;
    for (const char *p = text; *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    const size_t fence = longest < 3 ? 3 : longest + 1;
    for (size_t i = 0; i < fence; i++)
        pn_buf_printf(b, "`");
    pn_buf_printf(b, "%s\n", info);
    const size_t n = strlen(text);
    for (size_t i = 0; i < n;) {
        unsigned cp;
        int ok;
        const size_t k = unit(text + i, n - i, &cp, &ok);
        if (html_plain(cp, ok) || (ok && (cp == '\t' || cp == '\n')))
            pn_buf_put(b, text + i, k);
        else
            put_stand_in(b, cp, ok);
        i += k;
    }
    pn_buf_printf(b, "\n");
    for (size_t i = 0; i < fence; i++)
        pn_buf_printf(b, "`");
    pn_buf_printf(b, "\n");
}

/* ---- CSV ----------------------------------------------------------------- */

void pn_esc_csv(pn_buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        pn_buf_printf(b, "%s", s);
        return;
    }
    pn_buf_printf(b, "\"");
    for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
        pn_buf_put(b, s, (size_t)(q - s));
        pn_buf_printf(b, "\"\"");
    }
    pn_buf_printf(b, "%s\"", s);
}

/* ---- terminal ------------------------------------------------------------- */

/* Marks that reorder what follows on screen (right-to-left overrides and
 * isolates): shown, never acted on. */
static int is_bidi_control(unsigned cp)
{
    return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

void pn_esc_term(pn_buf *b, const char *s)
{
    const size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned cp;
        int ok;
        const size_t k = unit(s + i, n - i, &cp, &ok);
        if (!ok || is_control(cp)) {
            hex_bytes(b, s + i, k);
        } else if (is_bidi_control(cp)) {
            pn_buf_printf(b, "\\u%04x", cp);
        } else if (cp == '\\') {
            pn_buf_printf(b, "\\\\");
        } else {
            pn_buf_put(b, s + i, k);
        }
        i += k;
    }
}

const char *pn_term_str(char *out, size_t cap, const char *s)
{
    pn_buf b = {0};
    pn_esc_term(&b, s);
    const char *t = b.failed || !b.data ? "" : b.data;
    const size_t len = strlen(t);
    if (len < cap) {
        memcpy(out, t, len + 1);
    } else { /* the escaped text is well-formed UTF-8: cut between characters */
        const size_t keep = pn_utf8_cut(t, len, cap - 4);
        memcpy(out, t, keep);
        memcpy(out + keep, "...", 4);
    }
    pn_buf_free(&b);
    return out;
}

/* ---- shell ------------------------------------------------------------- */

static int shell_bare(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!is_alnum((unsigned char)*s) && !strchr("@%+=:,./_-", *s))
            return 0;
    return 1;
}

void pn_esc_shell(pn_buf *b, const char *s)
{
    if (shell_bare(s)) {
        pn_buf_printf(b, "%s", s);
        return;
    }
    const size_t n = strlen(s);
    int open = 0; /* inside single quotes */
    for (size_t i = 0; i < n;) {
        unsigned cp;
        int ok;
        const size_t k = unit(s + i, n - i, &cp, &ok);
        /* what goes between single quotes as it is: all but the quote itself
         * and the bytes a terminal or an editor could eat on the way */
        const int quoted = ok && cp != '\'' && (!is_control(cp) || cp == '\t' || cp == '\n');
        if (quoted != open) {
            pn_buf_printf(b, "'");
            open = quoted;
        }
        if (quoted) {
            pn_buf_put(b, s + i, k);
        } else if (ok && cp == '\'') {
            pn_buf_printf(b, "\\'");
        } else { /* printf writes the bytes back, the same in every POSIX shell */
            pn_buf_printf(b, "\"$(printf '");
            for (size_t j = 0; j < k; j++)
                pn_buf_printf(b, "\\%03o", (unsigned char)s[i + j]);
            pn_buf_printf(b, "')\"");
        }
        i += k;
    }
    if (open)
        pn_buf_printf(b, "'");
    if (n == 0)
        pn_buf_printf(b, "''");
}

/* What ends a command line that did not fit (a comment: the line still
 * parses, and says it is not the whole command). */
#define SHORTENED " # ...shortened: the command line is too long to record whole"

/* args[i] shortened at a character boundary so that its quoted form fits
 * in room bytes, appended to b; returns whether anything was appended. */
static int put_shortened(pn_buf *b, const char *arg, size_t room)
{
    size_t len = pn_utf8_cut(arg, strlen(arg), room);
    while (len > 0) {
        char part[4096];
        if (len < sizeof part) {
            memcpy(part, arg, len);
            part[len] = '\0';
            pn_buf q = {0};
            pn_esc_shell(&q, part);
            const int fits = !q.failed && q.len <= room;
            if (fits)
                pn_buf_printf(b, " %s", q.data);
            pn_buf_free(&q);
            if (fits)
                return 1;
        }
        len = pn_utf8_cut(arg, len, len - 1);
    }
    return 0;
}

int pn_shell_command(char *out, size_t cap, const char *prog, char *const *args, size_t n)
{
    if (cap == 0)
        return 1;
    pn_buf b = {0};
    pn_esc_shell(&b, prog);
    for (size_t i = 0; i < n; i++) {
        pn_buf_printf(&b, " ");
        pn_esc_shell(&b, args[i]);
    }
    if (!b.failed && b.len < cap) {
        memcpy(out, b.data, b.len + 1);
        pn_buf_free(&b);
        return 0;
    }
    pn_buf_free(&b);
    /* Too long: whole words while they fit, then a shortened one and the note. */
    const size_t limit = cap > sizeof SHORTENED ? cap - sizeof SHORTENED : 0;
    pn_buf_printf(&b, "%s", prog);
    size_t i = 0;
    for (; i < n; i++) {
        pn_buf q = {0};
        pn_esc_shell(&q, args[i]);
        const int fits = !q.failed && b.len + 1 + q.len <= limit;
        if (fits)
            pn_buf_printf(&b, " %s", q.data);
        pn_buf_free(&q);
        if (!fits)
            break;
    }
    if (i < n && b.len + 1 < limit)
        put_shortened(&b, args[i], limit - b.len - 1);
    pn_buf_printf(&b, SHORTENED);
    const size_t len = b.failed ? 0 : pn_utf8_cut(b.data, b.len, cap - 1);
    memcpy(out, len ? b.data : "", len);
    out[len] = '\0';
    pn_buf_free(&b);
    return 1;
}
