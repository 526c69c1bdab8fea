/* pn_fail: the message is formatted one conversion at a time, so that when
 * it does not fit, a long %s argument can be shortened in its middle instead
 * of the end of the message (which names the fix) being cut off. Nothing
 * here allocates (an error may be out of memory): literal runs and %s
 * arguments are pointed at where they are, the other conversions are
 * rendered into a fixed buffer, and a shortened piece only remembers where
 * it is cut. */
#include "pairnet/base/error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_PIECES 64 /* pieces of one format; more: the plain fallback */
#define KEEP 24       /* a shortened argument keeps at least this many bytes */

/* A piece of the message: text[0, len), or when cut, text[0, head) "..."
 * text[from, len). */
typedef struct piece {
    const char *text;
    size_t len;
    int is_str; /* a %s: may be shortened */
    int cut;
    size_t head, from;
} piece;

/* The conversions other than %s, rendered one after the other, and a %s
 * shorter than its field width (padded). */
typedef struct arena {
    char buf[4 * PN_ERR_MSG];
    size_t used;
} arena;

/* One conversion spec as printf wants it, and what the argument is. */
typedef struct spec {
    char text[64];
    size_t at;
    char len_mod[3];
    char conv;
    long width; /* -1: none */
    long prec;  /* -1: none */
} spec;

static size_t piece_len(const piece *p) { return p->cut ? p->head + 3 + (p->len - p->from) : p->len; }

/* Renders one conversion with its one value into the arena as piece q;
 * -1 when the arena is full (the caller falls back). */
static int render(arena *a, piece *q, const char *fmt, ...) PN_PRINTF(3, 4);
static int render(arena *a, piece *q, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const size_t room = sizeof a->buf - a->used;
    const int n = vsnprintf(a->buf + a->used, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room)
        return -1;
    *q = (piece){a->buf + a->used, (size_t)n, 0, 0, 0, 0};
    a->used += (size_t)n + 1;
    return 0;
}

/* Appends the decimal n to the spec. */
static void put_int(spec *sp, int n)
{
    int w = snprintf(sp->text + sp->at, sizeof sp->text - sp->at, "%d", n);
    if (w > 0 && (size_t)w < sizeof sp->text - sp->at)
        sp->at += (size_t)w;
}

/* Flags, width and precision of the spec at *s (just past its '%'); a '*'
 * takes its int from ap. */
static void read_width_prec(const char **s, va_list *ap, spec *sp)
{
    const char *c = *s;
    while (*c && strchr("-+ #0'", *c) && sp->at < 40)
        sp->text[sp->at++] = *c++;
    if (*c == '*') {
        const int w = va_arg(*ap, int);
        put_int(sp, w);
        sp->width = w < 0 ? -(long)w : w;
        c++;
    } else {
        for (; *c >= '0' && *c <= '9' && sp->at < 40; c++) {
            sp->text[sp->at++] = *c;
            sp->width = (sp->width < 0 ? 0 : sp->width * 10) + (*c - '0');
        }
    }
    if (*c == '.') {
        c++;
        if (*c == '*') {
            const int prec = va_arg(*ap, int);
            if (prec >= 0) {
                sp->text[sp->at++] = '.';
                put_int(sp, prec);
                sp->prec = prec;
            }
            c++;
        } else {
            sp->text[sp->at++] = '.';
            sp->prec = 0;
            for (; *c >= '0' && *c <= '9' && sp->at < 50; c++) {
                sp->text[sp->at++] = *c;
                sp->prec = sp->prec * 10 + (*c - '0');
            }
        }
    }
    *s = c;
}

/* Reads the conversion spec at *s (at its '%') into sp, taking '*'
 * arguments from ap. -1: a spec it does not know. */
static int read_spec(const char **s, va_list *ap, spec *sp)
{
    *sp = (spec){.width = -1, .prec = -1};
    const char *c = *s;
    sp->text[sp->at++] = *c++;
    read_width_prec(&c, ap, sp);
    if ((c[0] == 'h' && c[1] == 'h') || (c[0] == 'l' && c[1] == 'l')) {
        memcpy(sp->len_mod, c, 2);
        c += 2;
    } else if (*c && strchr("hljztL", *c)) {
        sp->len_mod[0] = *c++;
    }
    sp->conv = *c;
    if (!sp->conv || sp->at + 4 >= sizeof sp->text)
        return -1;
    *s = c + 1;
    const size_t ml = strlen(sp->len_mod);
    memcpy(sp->text + sp->at, sp->len_mod, ml);
    sp->at += ml;
    sp->text[sp->at++] = sp->conv;
    sp->text[sp->at] = '\0';
    return 0;
}

/* A %s: pointed at where it is unless a field width pads it. */
static int string_arg(const spec *sp, va_list *ap, arena *a, piece *q)
{
    if (sp->len_mod[0])
        return -1;
    const char *str = va_arg(*ap, const char *);
    if (!str)
        str = "(null)";
    size_t n = 0;
    while (str[n] && (sp->prec < 0 || n < (size_t)sp->prec))
        n++;
    if (sp->width >= 0 && n < (size_t)sp->width) {
        if (render(a, q, sp->text, str) < 0)
            return -1;
    } else {
        *q = (piece){str, n, 0, 0, 0, 0};
    }
    q->is_str = 1;
    return 0;
}

/* Takes the argument of an integer conversion in its type and renders it. */
static int integer_arg(const spec *sp, va_list *ap, arena *a, piece *q)
{
    const char m = sp->len_mod[0];
    const int ll = m == 'l' && sp->len_mod[1] == 'l';
    if (m == 'L')
        return -1;
    if (sp->conv == 'd' || sp->conv == 'i') {
        if (ll) return render(a, q, sp->text, va_arg(*ap, long long));
        if (m == 'l') return render(a, q, sp->text, va_arg(*ap, long));
        if (m == 'j') return render(a, q, sp->text, va_arg(*ap, intmax_t));
        if (m == 'z') return render(a, q, sp->text, va_arg(*ap, size_t));
        if (m == 't') return render(a, q, sp->text, va_arg(*ap, ptrdiff_t));
        return render(a, q, sp->text, va_arg(*ap, int));
    }
    if (ll) return render(a, q, sp->text, va_arg(*ap, unsigned long long));
    if (m == 'l') return render(a, q, sp->text, va_arg(*ap, unsigned long));
    if (m == 'j') return render(a, q, sp->text, va_arg(*ap, uintmax_t));
    if (m == 'z') return render(a, q, sp->text, va_arg(*ap, size_t));
    if (m == 't') return render(a, q, sp->text, va_arg(*ap, ptrdiff_t));
    return render(a, q, sp->text, va_arg(*ap, unsigned));
}

/* The piece of one conversion with its argument from ap. -1: a conversion
 * it does not know (%n, wide strings, ...) or a full arena. */
static int conversion(const spec *sp, va_list *ap, arena *a, piece *q)
{
    const char m = sp->len_mod[0];
    switch (sp->conv) {
    case 'd': case 'i': case 'o': case 'u': case 'x': case 'X':
        return integer_arg(sp, ap, a, q);
    case 'c':
        return m ? -1 : render(a, q, sp->text, va_arg(*ap, int));
    case 's':
        return string_arg(sp, ap, a, q);
    case 'p':
        return m ? -1 : render(a, q, sp->text, va_arg(*ap, void *));
    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A':
        if (m == 'L')
            return render(a, q, sp->text, va_arg(*ap, long double));
        if (m && m != 'l')
            return -1;
        return render(a, q, sp->text, va_arg(*ap, double));
    default:
        return -1;
    }
}

/* Splits fmt into pieces: literal runs ("%%" as one '%') and conversions
 * with their arguments. Returns the number of pieces, or -1 (the caller
 * falls back to vsnprintf). */
static int split(const char *fmt, va_list *ap, piece *p, arena *a)
{
    int n = 0;
    const char *s = fmt;
    while (*s) {
        if (n == MAX_PIECES)
            return -1;
        if (*s != '%') {
            const size_t len = strcspn(s, "%");
            p[n++] = (piece){s, len, 0, 0, 0, 0};
            s += len;
        } else if (s[1] == '%') {
            p[n++] = (piece){s, 1, 0, 0, 0, 0};
            s += 2;
        } else {
            spec sp;
            if (read_spec(&s, ap, &sp) < 0 || conversion(&sp, ap, a, &p[n]) < 0)
                return -1;
            n++;
        }
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
    p->cut = 1;
    p->head = head;
    p->from = from;
}

/* Fits the pieces into cap - 1 bytes: the longest %s argument first. */
static void fit(piece *p, int n, size_t cap)
{
    for (;;) {
        size_t total = 0;
        for (int i = 0; i < n; i++)
            total += piece_len(&p[i]);
        if (total < cap)
            return;
        int best = -1;
        for (int i = 0; i < n; i++)
            if (p[i].is_str && piece_len(&p[i]) > KEEP + 3 &&
                (best < 0 || piece_len(&p[i]) > piece_len(&p[best])))
                best = i;
        if (best < 0)
            return;
        const size_t excess = total - (cap - 1), len = piece_len(&p[best]);
        shorten(&p[best], len - excess >= KEEP + 3 && len > excess ? len - excess : KEEP + 3);
    }
}

/* Segment k (0..2) of a piece: its text, or when cut its head, "...", its
 * tail. Returns the length, 0 for a segment it does not have. */
static size_t segment(const piece *p, int k, const char **s)
{
    if (!p->cut) {
        *s = p->text;
        return k == 0 ? p->len : 0;
    }
    *s = k == 0 ? p->text : k == 1 ? "..." : p->text + p->from;
    return k == 0 ? p->head : k == 1 ? 3 : p->len - p->from;
}

/* Bytes [lo, hi) of the pieces laid end to end, into out; returns out's
 * end. */
static char *copy_range(const piece *p, int n, size_t lo, size_t hi, char *out)
{
    size_t at = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 3; k++) {
            const char *s;
            const size_t len = segment(&p[i], k, &s);
            const size_t a = lo > at ? lo : at, b = hi < at + len ? hi : at + len;
            if (a < b) {
                memcpy(out, s + (a - at), b - a);
                out += b - a;
            }
            at += len;
        }
    return out;
}

/* The pieces into out[cap]; when they still do not fit (no %s left to
 * shorten), their beginning, "...", and their end. */
static void join(char *out, size_t cap, const piece *p, int n)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += piece_len(&p[i]);
    char *end;
    if (total < cap) {
        end = copy_range(p, n, 0, total, out);
    } else {
        const size_t tail = (cap - 1) / 2, head = cap - 1 - tail - 3;
        end = copy_range(p, n, 0, head, out);
        memcpy(end, "...", 3);
        end = copy_range(p, n, total - tail, total, end + 3);
    }
    *end = '\0';
}

/* A format split cannot take, all at once; when it does not fit, its
 * beginning, "...", and its end if it fits a buffer twice as large, else
 * its beginning only. */
static void whole(char *out, size_t cap, const char *fmt, va_list ap)
{
    char full[2 * PN_ERR_MSG];
    const int len = vsnprintf(full, sizeof full, fmt, ap);
    if (len < 0) {
        out[0] = '\0';
    } else if ((size_t)len < cap) {
        memcpy(out, full, (size_t)len + 1);
    } else if ((size_t)len < sizeof full) {
        const piece p = {full, (size_t)len, 0, 0, 0, 0};
        join(out, cap, &p, 1);
    } else {
        memcpy(out, full, cap - 1);
        out[cap - 1] = '\0';
    }
}

/* One line, and nothing a terminal acts on: C0 controls, DEL and the C1
 * controls (U+0080-U+009F, two bytes in UTF-8) become '?'. */
static void sanitize(char *msg)
{
    for (unsigned char *c = (unsigned char *)msg; *c; c++) {
        if (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f)
            *c++ = '?', *c = '?';
        else if (*c < 0x20 || *c == 0x7f)
            *c = '?';
    }
}

int pn_fail(pn_err *e, int code, const char *fmt, ...)
{
    if (!e)
        return code;
    e->code = code;
    piece p[MAX_PIECES];
    arena a;
    a.used = 0;
    /* built apart from e->msg: an argument may point into it */
    char out[sizeof e->msg];
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    const int n = split(fmt, &ap, p, &a);
    if (n >= 0) {
        fit(p, n, sizeof out);
        join(out, sizeof out, p, n);
    } else {
        whole(out, sizeof out, fmt, ap2);
    }
    va_end(ap2);
    va_end(ap);
    memcpy(e->msg, out, sizeof out);
    sanitize(e->msg);
    return code;
}
