/* pn_fail: the message is formatted one conversion at a time, so that when
 * it does not fit, a long %s argument can be shortened in its middle instead
 * of the end of the message (which names the fix) being cut off. */
#include "pairnet/base/error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PIECES 48 /* conversions in one format; more: the plain fallback */
#define KEEP 24       /* a shortened argument keeps at least this many bytes */

typedef struct piece {
    char *text; /* the rendered conversion, malloc'ed (NULL: none) */
    size_t len;
    int is_str; /* a %s: may be shortened */
} piece;

/* Renders one conversion spec with its one value; NULL when out of memory. */
static char *render(size_t *len, const char *spec, ...) PN_PRINTF(2, 3);
static char *render(size_t *len, const char *spec, ...)
{
    va_list ap, ap2;
    va_start(ap, spec);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, spec, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s)
        vsnprintf(s, (size_t)n + 1, spec, ap2);
    va_end(ap2);
    *len = s ? (size_t)n : 0;
    return s;
}

/* Appends the decimal n to spec[*at..]. */
static void put_int(char *spec, size_t *at, size_t cap, int n)
{
    int w = snprintf(spec + *at, cap - *at, "%d", n);
    if (w > 0 && (size_t)w < cap - *at)
        *at += (size_t)w;
}

/* Splits fmt into literal runs and conversions; each conversion, rendered
 * with its argument, becomes a piece; literal runs become pieces too. The
 * `ap` is consumed. Returns the number of pieces, or -1 for a format it
 * does not know (the caller falls back to vsnprintf). */
static int split(const char *fmt, va_list ap, piece *p)
{
    int n = 0;
    const char *s = fmt;
    while (*s) {
        if (n == MAX_PIECES)
            return -1;
        if (*s != '%' || s[1] == '%') {
            const char *e = s;
            size_t len = 0;
            char *t;
            /* a literal run, "%%" as one '%' */
            while (*e && (*e != '%' || e[1] == '%')) {
                e += *e == '%' ? 2 : 1;
                len++;
            }
            t = malloc(len + 1);
            if (!t)
                return -1;
            for (size_t i = 0; s < e; i++) {
                t[i] = *s;
                s += *s == '%' ? 2 : 1;
            }
            t[len] = '\0';
            p[n++] = (piece){t, len, 0};
            continue;
        }
        char spec[64];
        size_t at = 0;
        spec[at++] = *s++;
        while (*s && strchr("-+ #0'", *s) && at < 40)
            spec[at++] = *s++;
        if (*s == '*') {
            put_int(spec, &at, sizeof spec, va_arg(ap, int));
            s++;
        } else {
            while (*s >= '0' && *s <= '9' && at < 40)
                spec[at++] = *s++;
        }
        if (*s == '.') {
            s++;
            if (*s == '*') {
                const int prec = va_arg(ap, int);
                if (prec >= 0) {
                    spec[at++] = '.';
                    put_int(spec, &at, sizeof spec, prec);
                }
                s++;
            } else {
                spec[at++] = '.';
                while (*s >= '0' && *s <= '9' && at < 50)
                    spec[at++] = *s++;
            }
        }
        char len_mod[3] = "";
        if ((s[0] == 'h' && s[1] == 'h') || (s[0] == 'l' && s[1] == 'l')) {
            memcpy(len_mod, s, 2);
            s += 2;
        } else if (*s && strchr("hljztL", *s)) {
            len_mod[0] = *s++;
        }
        const char conv = *s;
        if (!conv || at + 4 >= sizeof spec)
            return -1;
        s++;
        memcpy(spec + at, len_mod, strlen(len_mod));
        at += strlen(len_mod);
        spec[at++] = conv;
        spec[at] = '\0';
        piece q = {NULL, 0, 0};
        const int ll = len_mod[0] == 'l' && len_mod[1] == 'l';
        switch (conv) {
        case 'd': case 'i':
            if (ll) q.text = render(&q.len, spec, va_arg(ap, long long));
            else if (len_mod[0] == 'l') q.text = render(&q.len, spec, va_arg(ap, long));
            else if (len_mod[0] == 'j') q.text = render(&q.len, spec, va_arg(ap, intmax_t));
            else if (len_mod[0] == 'z') q.text = render(&q.len, spec, va_arg(ap, size_t));
            else if (len_mod[0] == 't') q.text = render(&q.len, spec, va_arg(ap, ptrdiff_t));
            else if (len_mod[0] == 'L') return -1;
            else q.text = render(&q.len, spec, va_arg(ap, int));
            break;
        case 'o': case 'u': case 'x': case 'X':
            if (ll) q.text = render(&q.len, spec, va_arg(ap, unsigned long long));
            else if (len_mod[0] == 'l') q.text = render(&q.len, spec, va_arg(ap, unsigned long));
            else if (len_mod[0] == 'j') q.text = render(&q.len, spec, va_arg(ap, uintmax_t));
            else if (len_mod[0] == 'z') q.text = render(&q.len, spec, va_arg(ap, size_t));
            else if (len_mod[0] == 't') q.text = render(&q.len, spec, va_arg(ap, ptrdiff_t));
            else if (len_mod[0] == 'L') return -1;
            else q.text = render(&q.len, spec, va_arg(ap, unsigned));
            break;
        case 'c':
            if (len_mod[0]) return -1;
            q.text = render(&q.len, spec, va_arg(ap, int));
            break;
        case 's': {
            if (len_mod[0]) return -1;
            const char *str = va_arg(ap, const char *);
            q.text = render(&q.len, spec, str ? str : "(null)");
            q.is_str = 1;
            break;
        }
        case 'p':
            if (len_mod[0]) return -1;
            q.text = render(&q.len, spec, va_arg(ap, void *));
            break;
        case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A':
            if (len_mod[0] == 'L') q.text = render(&q.len, spec, va_arg(ap, long double));
            else if (len_mod[0] && len_mod[0] != 'l') return -1;
            else q.text = render(&q.len, spec, va_arg(ap, double));
            break;
        default:
            return -1; /* %n, wide strings, ... */
        }
        if (!q.text)
            return -1;
        p[n++] = q;
    }
    return n;
}

/* Shortens p to want bytes (want >= KEEP + 3): its beginning, "...", its
 * end, cut on UTF-8 character boundaries. */
static void shorten(piece *p, size_t want)
{
    size_t head = (want - 3) / 2, tail = want - 3 - head;
    const char *t = p->text;
    while (head > 0 && ((unsigned char)t[head] & 0xC0) == 0x80)
        head--;
    size_t from = p->len - tail;
    while (from < p->len && ((unsigned char)t[from] & 0xC0) == 0x80)
        from++;
    memcpy(p->text + head, "...", 3);
    memmove(p->text + head + 3, t + from, p->len - from + 1);
    p->len = head + 3 + (p->len - from);
}

/* Fits the pieces into cap - 1 bytes: the longest %s argument first. */
static void fit(piece *p, int n, size_t cap)
{
    for (;;) {
        size_t total = 0;
        for (int i = 0; i < n; i++)
            total += p[i].len;
        if (total < cap)
            return;
        int best = -1;
        for (int i = 0; i < n; i++)
            if (p[i].is_str && p[i].len > KEEP + 3 && (best < 0 || p[i].len > p[best].len))
                best = i;
        if (best < 0)
            return;
        const size_t excess = total - (cap - 1);
        shorten(&p[best], p[best].len - excess >= KEEP + 3 && p[best].len > excess
                              ? p[best].len - excess : KEEP + 3);
    }
}

/* full (n bytes) into out[cap]: its beginning, "...", and its end. */
static void squeeze(char *out, size_t cap, const char *full, size_t n)
{
    if (n < cap) {
        memcpy(out, full, n + 1);
        return;
    }
    const size_t tail = (cap - 1) / 2, head = cap - 1 - tail - 3;
    memcpy(out, full, head);
    memcpy(out + head, "...", 3);
    memcpy(out + head + 3, full + n - tail, tail + 1);
}

int pn_fail(pn_err *e, int code, const char *fmt, ...)
{
    if (!e)
        return code;
    e->code = code;
    piece p[MAX_PIECES];
    memset(p, 0, sizeof p);
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = split(fmt, ap, p);
    va_end(ap);
    if (n >= 0) {
        fit(p, n, sizeof e->msg);
        size_t total = 0;
        for (int i = 0; i < n; i++)
            total += p[i].len;
        char *full = malloc(total + 1);
        if (full) {
            size_t at = 0;
            for (int i = 0; i < n; i++) {
                memcpy(full + at, p[i].text, p[i].len);
                at += p[i].len;
            }
            full[at] = '\0';
            squeeze(e->msg, sizeof e->msg, full, at);
            free(full);
        } else {
            n = -1;
        }
    }
    for (int i = 0; i < MAX_PIECES; i++)
        free(p[i].text);
    if (n < 0) {
        /* unknown conversion, or no memory: the whole message at once */
        char *full = NULL;
        va_list ap3;
        va_copy(ap3, ap2);
        int len = vsnprintf(e->msg, sizeof e->msg, fmt, ap2);
        if (len >= (int)sizeof e->msg && (full = malloc((size_t)len + 1)) != NULL) {
            vsnprintf(full, (size_t)len + 1, fmt, ap3);
            squeeze(e->msg, sizeof e->msg, full, (size_t)len);
            free(full);
        }
        va_end(ap3);
    }
    va_end(ap2);
    /* one line, and nothing a terminal acts on: C0 controls, DEL and the C1
     * controls (U+0080-U+009F, two bytes in UTF-8) become '?' */
    for (unsigned char *c = (unsigned char *)e->msg; *c; c++) {
        if (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f)
            *c++ = '?', *c = '?';
        else if (*c < 0x20 || *c == 0x7f)
            *c = '?';
    }
    return code;
}
