/* Deflate decoding (RFC 1951): block headers, stored blocks, and the
 * Huffman-coded blocks through the tables inftrees.c builds. The gzip
 * container around it is gzip.c.
 *
 * Input is read through a 64-bit bit buffer refilled a word at a time, so
 * the hot loop never tests for the end of the input per symbol; near the
 * end the refill pads with virtual zero bytes and counts them, so that
 * decoding never reads out of bounds and "used a bit past the end" is
 * detected with one comparison (past_end()).
 *
 * The whole output stays in memory (the MNIST files are at most 47 MB), so a
 * match may reach back to the start of the output: the 32 KiB window limit is
 * implied by the distance codes themselves (the largest distance is 32768).
 */
#include "inflate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors ---------------------------------------------------------- */

const pn_inflate_words pn_inflate_gzip = {"gzip data", "re-download with scripts/get-mnist.sh"};

static int fail_as(pn_err *err, const char *name, const pn_inflate_words *w, const char *fmt,
                   va_list ap)
{
    char what[256];
    vsnprintf(what, sizeof what, fmt, ap);
    return pn_fail(err, PN_ERR_DATA, "%s: %s (%s)", name, what, w->hint);
}

static int truncated_as(pn_err *err, const char *name, const pn_inflate_words *w,
                        const char *where)
{
    return pn_fail(err, PN_ERR_DATA, "%s: %s is truncated (ends inside %s; the file was cut "
                   "short, %s)", name, w->what, where, w->hint);
}

int pn_inflate_fail(pn_err *err, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int rc = fail_as(err, name, &pn_inflate_gzip, fmt, ap);
    va_end(ap);
    return rc;
}

int pn_inflate_truncated(pn_err *err, const char *name, const char *where)
{
    return truncated_as(err, name, &pn_inflate_gzip, where);
}

/* ---- bit input -------------------------------------------------------- */

/* Bits are consumed from the low end of buf; cnt bits are valid. Bits above
 * cnt may already hold the next input bits (the word-wide refill leaves them
 * there), which is harmless because a refill ORs in the same values. */
typedef struct bitin {
    const uint8_t *in;
    size_t len, pos; /* pos: bytes loaded into buf so far */
    size_t overrun;  /* virtual zero bytes loaded past the end */
    uint64_t buf;
    unsigned cnt;
} bitin;

static uint64_t load_le64(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

/* Afterwards at least 56 bits are valid: enough for a whole length/distance
 * pair (15 + 5 + 15 + 13 bits) without another refill. */
static inline void refill(bitin *b)
{
    if (b->len - b->pos >= 8) {
        b->buf |= load_le64(b->in + b->pos) << b->cnt;
        b->pos += (63u - b->cnt) >> 3;
        b->cnt |= 56u;
        return;
    }
    while (b->cnt <= 56) {
        uint64_t byte = 0;
        if (b->pos < b->len)
            byte = b->in[b->pos++];
        else
            b->overrun++;
        b->buf |= byte << b->cnt;
        b->cnt += 8;
    }
}

static inline void consume(bitin *b, unsigned n)
{
    b->buf >>= n;
    b->cnt -= n;
}

static inline unsigned peek(const bitin *b, unsigned n)
{
    return (unsigned)(b->buf & ((1u << n) - 1u));
}

static unsigned getbits(bitin *b, unsigned n)
{
    if (b->cnt < n)
        refill(b);
    unsigned v = peek(b, n);
    consume(b, n);
    return v;
}

/* True once a bit beyond the real input has been consumed. */
static inline int past_end(const bitin *b)
{
    return b->overrun * 8 > b->cnt;
}

/* Drops the bits up to the next byte boundary and rewinds to the first
 * unconsumed byte, so bytes can be read directly. Returns -1 if the bits
 * consumed so far ran past the end of the input. */
static int align_to_byte(bitin *b)
{
    consume(b, b->cnt & 7u);
    size_t loaded = b->pos + b->overrun, ahead = b->cnt / 8;
    if (loaded - ahead > b->len)
        return -1;
    b->pos = loaded - ahead;
    b->overrun = 0;
    b->buf = 0;
    b->cnt = 0;
    return 0;
}

/* ---- inflate ------------------------------------------------------------ */

typedef struct inflater {
    bitin bits;
    uint8_t *out;
    size_t out_len, out_cap, max_out;
    const char *name;
    const pn_inflate_words *words;
    pn_err *err;
    int tables_fixed; /* lit/dist hold the fixed code: no rebuild needed */
    uint32_t lit[LIT_CAP];
    uint32_t dist[DIST_CAP];
} inflater;

/* The two shapes of a data error, in the caller's words. */
static int s_fail(inflater *s, const char *fmt, ...) PN_PRINTF(2, 3);
static int s_fail(inflater *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int rc = fail_as(s->err, s->name, s->words, fmt, ap);
    va_end(ap);
    return rc;
}

static int s_truncated(inflater *s, const char *where)
{
    return truncated_as(s->err, s->name, s->words, where);
}

/* Makes room for `more` output bytes: refuses to pass max_out, grows
 * geometrically up to it. */
static int reserve(inflater *s, size_t more)
{
    if (more <= s->out_cap - s->out_len)
        return 0;
    if (more > s->max_out - s->out_len)
        return s_fail(s, "decompressed data is larger than the limit of %zu bytes", s->max_out);
    size_t need = s->out_len + more, cap = s->out_cap;
    cap = cap > s->max_out / 2 ? s->max_out : cap * 2;
    if (cap < need)
        cap = need;
    uint8_t *p = realloc(s->out, cap);
    if (!p)
        return pn_fail(s->err, PN_ERR_RUNTIME, "%s: out of memory growing the output to %zu bytes",
                       s->name, cap);
    s->out = p;
    s->out_cap = cap;
    return 0;
}

/* Copies a match of len bytes from dist back; the ranges may overlap
 * (dist < len repeats the last dist bytes). `slack` is how many bytes past
 * dst + len may be scribbled on: with 8 of them, short matches (the common
 * case) are copied in whole words instead of through memcpy's size logic. */
static inline void copy_match(uint8_t *dst, size_t dist, size_t len, size_t slack)
{
    const uint8_t *src = dst - dist;
    if (dist >= 8 && slack >= 8) {
        /* Each word read lies at least 8 bytes behind the write: already
         * final, even when the ranges overlap. */
        for (size_t i = 0; i < len; i += 8)
            memcpy(dst + i, src + i, 8);
    } else if (dist >= len) {
        memcpy(dst, src, len);
    } else if (dist == 1) {
        memset(dst, src[0], len);
    } else {
        /* src..dst is periodic, so the non-overlapping span doubles. */
        while (len > 0) {
            size_t n = (size_t)(dst - src);
            if (n > len)
                n = len;
            memcpy(dst, src, n);
            dst += n;
            len -= n;
        }
    }
}

/* Looks up the next symbol, following a subtable entry if there is one. */
static inline uint32_t decode(bitin *b, const uint32_t *tab, unsigned root)
{
    uint32_t e = tab[peek(b, root)];
    if (E_KIND(e) == K_SUB) {
        consume(b, root);
        e = tab[E_VALUE(e) + peek(b, E_EXTRA(e))];
    }
    consume(b, E_NBITS(e));
    return e;
}

/* Decodes the symbols of one Huffman block up to end-of-block. The bit
 * reader and the output position live in locals so the compiler can keep
 * them in registers (stores through the uint8_t output pointer may alias
 * any struct field). */
static int inflate_codes(inflater *s)
{
    bitin b = s->bits;
    const uint32_t *lit = s->lit, *dist_tab = s->dist;
    uint8_t *out = s->out;
    size_t pos = s->out_len, cap = s->out_cap;
    int rc = 0;
    for (;;) {
        refill(&b);
        uint32_t e = decode(&b, lit, LIT_ROOT);
        unsigned kind = E_KIND(e);
        if (kind == K_LIT) {
            if (past_end(&b)) {
                rc = s_truncated(s, "a compressed block");
                break;
            }
            if (pos == cap) {
                s->out_len = pos;
                if ((rc = reserve(s, 1)) != 0)
                    break;
                out = s->out;
                cap = s->out_cap;
            }
            out[pos++] = (uint8_t)E_VALUE(e);
            continue;
        }
        if (kind == K_EOB)
            break;
        if (kind != K_BASE) {
            rc = s_fail(s, "invalid literal/length code");
            break;
        }
        size_t len = E_VALUE(e) + peek(&b, E_EXTRA(e));
        consume(&b, E_EXTRA(e));
        e = decode(&b, dist_tab, DIST_ROOT);
        if (E_KIND(e) != K_BASE) {
            rc = s_fail(s, "invalid distance code");
            break;
        }
        size_t dist = E_VALUE(e) + peek(&b, E_EXTRA(e));
        consume(&b, E_EXTRA(e));
        if (past_end(&b)) {
            rc = s_truncated(s, "a compressed block");
            break;
        }
        if (dist > pos) {
            rc = s_fail(s, "match distance %zu reaches before the start of the data "
                           "(%zu bytes)", dist, pos);
            break;
        }
        if (len > cap - pos) {
            s->out_len = pos;
            if ((rc = reserve(s, len)) != 0)
                break;
            out = s->out;
            cap = s->out_cap;
        }
        copy_match(out + pos, dist, len, cap - pos - len);
        pos += len;
    }
    s->bits = b;
    s->out_len = pos;
    if (rc == 0 && past_end(&s->bits))
        rc = s_truncated(s, "a compressed block");
    return rc;
}

static int stored_block(inflater *s)
{
    bitin *b = &s->bits;
    if (align_to_byte(b) != 0 || b->len - b->pos < 4)
        return s_truncated(s, "a stored block header");
    const uint8_t *p = b->in + b->pos;
    size_t len = (size_t)p[0] | (size_t)p[1] << 8, nlen = (size_t)p[2] | (size_t)p[3] << 8;
    if (len != (~nlen & 0xffffu))
        return s_fail(s, "stored block length %zu does not match its complement", len);
    b->pos += 4;
    if (b->len - b->pos < len)
        return s_truncated(s, "a stored block");
    int rc = reserve(s, len);
    if (rc)
        return rc;
    memcpy(s->out + s->out_len, b->in + b->pos, len);
    s->out_len += len;
    b->pos += len;
    return 0;
}

static int fixed_tables(inflater *s)
{
    uint8_t lens[288 + 32];
    const char *why = "";
    if (s->tables_fixed)
        return 0;
    memset(lens, 8, 144);
    memset(lens + 144, 9, 112);
    memset(lens + 256, 7, 24);
    memset(lens + 280, 8, 8);
    memset(lens + 288, 5, 32);
    if (pn_inflate_table(s->lit, LIT_CAP, LIT_ROOT, lens, 288, T_LIT, &why) != 0 ||
        pn_inflate_table(s->dist, DIST_CAP, DIST_ROOT, lens + 288, 32, T_DIST, &why) != 0)
        return pn_fail(s->err, PN_ERR_RUNTIME, "%s: internal error: fixed code %s", s->name, why);
    s->tables_fixed = 1;
    return 0;
}

/* Order in which the code-length code lengths are stored (RFC 1951 3.2.7). */
static const uint8_t cl_order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5,
                                     11, 4,  12, 3, 13, 2, 14, 1, 15};

/* Reads the code-length code and with it the nlit + ndist code lengths. */
static int read_lengths(inflater *s, uint8_t *lens, unsigned total)
{
    bitin *b = &s->bits;
    uint8_t cl[19] = {0};
    uint32_t tab[1u << CL_ROOT];
    const char *why = "";
    unsigned ncl = getbits(b, 4) + 4;
    for (unsigned i = 0; i < ncl; i++)
        cl[cl_order[i]] = (uint8_t)getbits(b, 3);
    if (pn_inflate_table(tab, 1u << CL_ROOT, CL_ROOT, cl, 19, T_CODES, &why) != 0)
        return s_fail(s, "%s code-length code in a dynamic block", why);
    for (unsigned i = 0; i < total;) {
        refill(b);
        unsigned sym = E_VALUE(decode(b, tab, CL_ROOT)), rep;
        uint8_t val = 0;
        if (sym < 16) {
            lens[i++] = (uint8_t)sym;
            continue;
        }
        if (sym == 16) {
            if (i == 0)
                return s_fail(s, "code length repeat with no previous length");
            val = lens[i - 1];
            rep = 3 + getbits(b, 2);
        } else if (sym == 17) {
            rep = 3 + getbits(b, 3);
        } else {
            rep = 11 + getbits(b, 7);
        }
        if (rep > total - i)
            return s_fail(s, "code length repeat runs past the last code");
        memset(lens + i, val, rep);
        i += rep;
    }
    if (past_end(b))
        return s_truncated(s, "a dynamic block header");
    return 0;
}

static int dynamic_tables(inflater *s)
{
    bitin *b = &s->bits;
    uint8_t lens[286 + 30];
    const char *why = "";
    unsigned nlit = getbits(b, 5) + 257, ndist = getbits(b, 5) + 1;
    if (nlit > 286 || ndist > 30)
        return s_fail(s, "dynamic block declares %u literal/length and %u "
                         "distance codes (at most 286 and 30)", nlit, ndist);
    int rc = read_lengths(s, lens, nlit + ndist);
    if (rc)
        return rc;
    if (lens[256] == 0)
        return s_fail(s, "dynamic block has no end-of-block code");
    s->tables_fixed = 0;
    if (pn_inflate_table(s->lit, LIT_CAP, LIT_ROOT, lens, nlit, T_LIT, &why) != 0)
        return s_fail(s, "%s literal/length code in a dynamic block", why);
    if (pn_inflate_table(s->dist, DIST_CAP, DIST_ROOT, lens + nlit, ndist, T_DIST, &why) != 0)
        return s_fail(s, "%s distance code in a dynamic block", why);
    return 0;
}

/* Decodes blocks until the final one; afterwards bits.pos is the first
 * byte after the deflate data. */
static int inflate_blocks(inflater *s)
{
    bitin *b = &s->bits;
    unsigned final;
    do {
        final = getbits(b, 1);
        unsigned type = getbits(b, 2);
        int rc;
        if (past_end(b))
            return s_truncated(s, "a block header");
        if (type == 0)
            rc = stored_block(s);
        else if (type == 1)
            rc = fixed_tables(s);
        else if (type == 2)
            rc = dynamic_tables(s);
        else
            rc = s_fail(s, "invalid deflate block type 3");
        if (rc == 0 && type != 0)
            rc = inflate_codes(s);
        /* Bits read past the end are zeros: whatever they decoded to, the
         * real problem is the missing input. */
        if (rc == PN_ERR_DATA && past_end(b))
            return s_truncated(s, "a block");
        if (rc)
            return rc;
    } while (!final);
    if (align_to_byte(b) != 0)
        return s_truncated(s, "the last block");
    return 0;
}

int pn_inflate_raw(const uint8_t *in, size_t in_len, size_t *pos, size_t cap, size_t max_out,
                   uint8_t **out, size_t *out_len, const char *name, pn_err *err)
{
    return pn_inflate_raw_as(in, in_len, pos, cap, max_out, out, out_len, name, &pn_inflate_gzip,
                             err);
}

int pn_inflate_raw_as(const uint8_t *in, size_t in_len, size_t *pos, size_t cap, size_t max_out,
                      uint8_t **out, size_t *out_len, const char *name,
                      const pn_inflate_words *words, pn_err *err)
{
    *out = NULL;
    *out_len = 0;
    inflater *s = malloc(sizeof *s);
    if (!s)
        return pn_fail(err, PN_ERR_RUNTIME, "%s: out of memory", name);
    memset(&s->bits, 0, sizeof s->bits);
    s->bits.in = in;
    s->bits.len = in_len;
    s->bits.pos = *pos;
    s->max_out = max_out;
    s->out_len = 0;
    s->out_cap = cap;
    s->name = name;
    s->words = words;
    s->err = err;
    s->tables_fixed = 0;
    s->out = malloc(s->out_cap ? s->out_cap : 1);
    int rc;
    if (!s->out)
        rc = pn_fail(err, PN_ERR_RUNTIME, "%s: out of memory for %zu output bytes", name,
                     s->out_cap);
    else
        rc = inflate_blocks(s);
    if (rc == 0) {
        *pos = s->bits.pos;
        *out = s->out;
        *out_len = s->out_len;
    } else {
        free(s->out);
    }
    free(s);
    return rc;
}
