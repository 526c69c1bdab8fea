/* gzip (RFC 1952) around our own deflate decoder (RFC 1951).
 *
 * The decoder is table-driven: each Huffman code becomes a lookup table with
 * a 2^root primary part indexed by the next root input bits and, for longer
 * codes, subtables reached through the primary entry (as zlib and libdeflate
 * do). Input is read through a 64-bit bit buffer refilled a word at a time;
 * near the end of the input the refill pads with virtual zero bytes and
 * counts them, so that decoding never reads out of bounds and "used a bit
 * past the end" is detected with one comparison (past_end()).
 *
 * The whole output stays in memory (the MNIST files are at most 47 MB), so a
 * match may reach back to the start of the output: the 32 KiB window limit is
 * implied by the distance codes themselves (the largest distance is 32768).
 */
#include "pairnet/data/data.h"
#include "pairnet/base/crc32.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIX_HINT "re-download with scripts/get-mnist.sh"

/* ---- errors ---------------------------------------------------------- */

/* Every data error reads "<name>: <what> (<hint>)". */
static int data_err(pn_err *err, const char *name, const char *fmt, ...) PN_PRINTF(3, 4);

static int data_err(pn_err *err, const char *name, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return pn_fail(err, PN_ERR_DATA, "%s: %s (%s)", name, what, FIX_HINT);
}

static int truncated(pn_err *err, const char *name, const char *where)
{
    return pn_fail(err, PN_ERR_DATA,
                   "%s: gzip data is truncated (ends inside %s; the file was cut "
                   "short, %s)", name, where, FIX_HINT);
}

/* ---- Huffman decoding tables ------------------------------------------ */

/* A table entry packs what the decoder needs after one lookup:
 *   bits  0..7   number of input bits the entry consumes
 *   bits  8..11  extra bits that follow (length/distance), or the index
 *                width of the subtable for a K_SUB entry
 *   bits 12..15  kind
 *   bits 16..31  value: literal byte, length/distance base, symbol, or the
 *                offset of the subtable */
enum { K_LIT, K_BASE, K_EOB, K_SUB, K_BAD };

#define ENTRY(value, kind, extra) \
    ((uint32_t)(value) << 16 | (uint32_t)(kind) << 12 | (uint32_t)(extra) << 8)
#define E_NBITS(e) ((e) & 0xffu)
#define E_EXTRA(e) (((e) >> 8) & 0xfu)
#define E_KIND(e) (((e) >> 12) & 0xfu)
#define E_VALUE(e) ((e) >> 16)

#define MAX_BITS 15
#define LIT_ROOT 10 /* covers every fixed-code literal/length in one lookup */
#define DIST_ROOT 8
#define CL_ROOT 7 /* code-length codes are at most 7 bits: never a subtable */

/* Worst case of primary + subtables: every subtable holds at least one
 * symbol longer than root bits and has at most 2^(15 - root) entries. */
#define LIT_CAP ((1u << LIT_ROOT) + 288u * (1u << (MAX_BITS - LIT_ROOT)))
#define DIST_CAP ((1u << DIST_ROOT) + 32u * (1u << (MAX_BITS - DIST_ROOT)))

enum { T_CODES, T_LIT, T_DIST }; /* which alphabet a table decodes */

static const uint16_t len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10,  11,  13,
                                      15, 17, 19, 23, 27, 31, 35, 43,  51,  59,
                                      67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,
                                       17,   25,   33,   49,   65,   97,    129,   193,
                                       257,  385,  513,  769,  1025, 1537,  2049,  3073,
                                       4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2,  2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

/* Order in which the code-length code lengths are stored (RFC 1951 3.2.7). */
static const uint8_t cl_order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5,
                                     11, 4,  12, 3, 13, 2, 14, 1, 15};

/* What decoding symbol sym of the given alphabet means (without nbits). */
static uint32_t sym_entry(int which, unsigned sym)
{
    if (which == T_CODES)
        return ENTRY(sym, K_LIT, 0);
    if (which == T_DIST)
        return sym < 30 ? ENTRY(dist_base[sym], K_BASE, dist_extra[sym]) : ENTRY(0, K_BAD, 0);
    if (sym < 256)
        return ENTRY(sym, K_LIT, 0);
    if (sym == 256)
        return ENTRY(0, K_EOB, 0);
    if (sym < 286)
        return ENTRY(len_base[sym - 257], K_BASE, len_extra[sym - 257]);
    return ENTRY(0, K_BAD, 0); /* 286 and 287 exist in the fixed code only */
}

static unsigned reverse_bits(unsigned code, unsigned len)
{
    unsigned r = 0;
    for (unsigned i = 0; i < len; i++, code >>= 1)
        r = (r << 1) | (code & 1u);
    return r;
}

/* Checks the code lengths like zlib does: over-subscribed codes are always
 * wrong; incomplete ones too, except a single code of length 1 in the
 * literal/length or distance alphabet (RFC 1951 allows one distance code)
 * and an empty distance code (a block of literals only; an empty
 * literal/length code has no end-of-block and is refused by the caller).
 * Returns the longest length (0 for an empty code) or -1 and *why. */
static int check_lengths(const unsigned count[MAX_BITS + 1], int which, const char **why)
{
    int left = 1, max = 0;
    for (int len = 1; len <= MAX_BITS; len++) {
        left = 2 * left - (int)count[len];
        if (left < 0) {
            *why = "over-subscribed";
            return -1;
        }
        if (count[len])
            max = len;
    }
    if (left > 0 && (which == T_CODES || max > 1)) {
        *why = max == 0 ? "empty" : "incomplete";
        return -1;
    }
    return max;
}

/* Size in bits of the subtable starting with a code of length len: grows
 * until the remaining codes of this prefix fill it (zlib's rule). */
static unsigned subtable_bits(const unsigned rem[MAX_BITS + 1], unsigned len, unsigned root,
                              unsigned max)
{
    unsigned bits = len - root;
    int left = (1 << bits) - (int)rem[len];
    while (left > 0 && bits + root < max) {
        bits++;
        left = 2 * left - (int)rem[bits + root];
    }
    return bits;
}

/* Builds the decoding table of n code lengths into tab (cap entries).
 * Returns 0, or -1 with *why describing the bad code. */
static int build_table(uint32_t *tab, size_t cap, unsigned root, const uint8_t *lens, unsigned n,
                       int which, const char **why)
{
    unsigned count[MAX_BITS + 1] = {0}, rem[MAX_BITS + 1], next[MAX_BITS + 2], offs[MAX_BITS + 2];
    uint16_t sorted[288];
    for (unsigned i = 0; i < n; i++)
        count[lens[i]]++;
    count[0] = 0;
    int max = check_lengths(count, which, why);
    if (max < 0)
        return -1;

    /* Symbols sorted by (length, symbol) and the first canonical code of
     * each length (RFC 1951 3.2.2). */
    offs[1] = 0;
    next[1] = 0;
    for (unsigned len = 1; len <= MAX_BITS; len++) {
        offs[len + 1] = offs[len] + count[len];
        next[len + 1] = (next[len] + count[len]) << 1;
    }
    unsigned nsorted = offs[MAX_BITS + 1];
    for (unsigned sym = 0; sym < n; sym++)
        if (lens[sym])
            sorted[offs[lens[sym]]++] = (uint16_t)sym;
    memcpy(rem, count, sizeof rem);

    /* Entries no code reaches (only with the single-code exception) fail. */
    size_t used = (size_t)1 << root;
    for (size_t i = 0; i < used; i++)
        tab[i] = ENTRY(0, K_BAD, 0) | 1u;

    size_t sub_base = 0;
    unsigned sub_bits = 0, cur_low = ~0u, root_mask = (1u << root) - 1;
    for (unsigned k = 0; k < nsorted; k++) {
        unsigned sym = sorted[k], len = lens[sym];
        unsigned rev = reverse_bits(next[len]++, len);
        uint32_t e = sym_entry(which, sym);
        if (len <= root) {
            for (unsigned i = rev; i <= root_mask; i += 1u << len)
                tab[i] = e | len;
        } else {
            if ((rev & root_mask) != cur_low) { /* first code of a new prefix */
                cur_low = rev & root_mask;
                sub_bits = subtable_bits(rem, len, root, (unsigned)max);
                if (used + ((size_t)1 << sub_bits) > cap) {
                    *why = "too large for the decoding table"; /* cannot happen */
                    return -1;
                }
                tab[cur_low] = ENTRY(used, K_SUB, sub_bits) | root;
                sub_base = used;
                used += (size_t)1 << sub_bits;
            }
            for (unsigned i = rev >> root; i < (1u << sub_bits); i += 1u << (len - root))
                tab[sub_base + i] = e | (len - root);
        }
        rem[len]--;
    }
    return 0;
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
    pn_err *err;
    int tables_fixed; /* lit/dist hold the fixed code: no rebuild needed */
    uint32_t lit[LIT_CAP];
    uint32_t dist[DIST_CAP];
} inflater;

/* Makes room for `more` output bytes: refuses to pass max_out, grows
 * geometrically up to it. */
static int reserve(inflater *s, size_t more)
{
    if (more <= s->out_cap - s->out_len)
        return 0;
    if (more > s->max_out - s->out_len)
        return data_err(s->err, s->name,
                        "decompressed data is larger than the limit of %zu bytes "
                        "(not an MNIST file?)", s->max_out);
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
                rc = truncated(s->err, s->name, "a compressed block");
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
            rc = data_err(s->err, s->name, "invalid literal/length code");
            break;
        }
        size_t len = E_VALUE(e) + peek(&b, E_EXTRA(e));
        consume(&b, E_EXTRA(e));
        e = decode(&b, dist_tab, DIST_ROOT);
        if (E_KIND(e) != K_BASE) {
            rc = data_err(s->err, s->name, "invalid distance code");
            break;
        }
        size_t dist = E_VALUE(e) + peek(&b, E_EXTRA(e));
        consume(&b, E_EXTRA(e));
        if (past_end(&b)) {
            rc = truncated(s->err, s->name, "a compressed block");
            break;
        }
        if (dist > pos) {
            rc = data_err(s->err, s->name,
                          "match distance %zu reaches before the start of the data (%zu bytes)",
                          dist, pos);
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
        rc = truncated(s->err, s->name, "a compressed block");
    return rc;
}

static int stored_block(inflater *s)
{
    bitin *b = &s->bits;
    if (align_to_byte(b) != 0 || b->len - b->pos < 4)
        return truncated(s->err, s->name, "a stored block header");
    const uint8_t *p = b->in + b->pos;
    size_t len = (size_t)p[0] | (size_t)p[1] << 8, nlen = (size_t)p[2] | (size_t)p[3] << 8;
    if (len != (~nlen & 0xffffu))
        return data_err(s->err, s->name, "stored block length %zu does not match its complement",
                        len);
    b->pos += 4;
    if (b->len - b->pos < len)
        return truncated(s->err, s->name, "a stored block");
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
    if (build_table(s->lit, LIT_CAP, LIT_ROOT, lens, 288, T_LIT, &why) != 0 ||
        build_table(s->dist, DIST_CAP, DIST_ROOT, lens + 288, 32, T_DIST, &why) != 0)
        return pn_fail(s->err, PN_ERR_RUNTIME, "%s: internal error: fixed code %s", s->name, why);
    s->tables_fixed = 1;
    return 0;
}

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
    if (build_table(tab, 1u << CL_ROOT, CL_ROOT, cl, 19, T_CODES, &why) != 0)
        return data_err(s->err, s->name, "%s code-length code in a dynamic block", why);
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
                return data_err(s->err, s->name, "code length repeat with no previous length");
            val = lens[i - 1];
            rep = 3 + getbits(b, 2);
        } else if (sym == 17) {
            rep = 3 + getbits(b, 3);
        } else {
            rep = 11 + getbits(b, 7);
        }
        if (rep > total - i)
            return data_err(s->err, s->name, "code length repeat runs past the last code");
        memset(lens + i, val, rep);
        i += rep;
    }
    if (past_end(b))
        return truncated(s->err, s->name, "a dynamic block header");
    return 0;
}

static int dynamic_tables(inflater *s)
{
    bitin *b = &s->bits;
    uint8_t lens[286 + 30];
    const char *why = "";
    unsigned nlit = getbits(b, 5) + 257, ndist = getbits(b, 5) + 1;
    if (nlit > 286 || ndist > 30)
        return data_err(s->err, s->name, "dynamic block declares %u literal/length and %u "
                        "distance codes (at most 286 and 30)", nlit, ndist);
    int rc = read_lengths(s, lens, nlit + ndist);
    if (rc)
        return rc;
    if (lens[256] == 0)
        return data_err(s->err, s->name, "dynamic block has no end-of-block code");
    s->tables_fixed = 0;
    if (build_table(s->lit, LIT_CAP, LIT_ROOT, lens, nlit, T_LIT, &why) != 0)
        return data_err(s->err, s->name, "%s literal/length code in a dynamic block", why);
    if (build_table(s->dist, DIST_CAP, DIST_ROOT, lens + nlit, ndist, T_DIST, &why) != 0)
        return data_err(s->err, s->name, "%s distance code in a dynamic block", why);
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
            return truncated(s->err, s->name, "a block header");
        if (type == 0)
            rc = stored_block(s);
        else if (type == 1)
            rc = fixed_tables(s);
        else if (type == 2)
            rc = dynamic_tables(s);
        else
            rc = data_err(s->err, s->name, "invalid deflate block type 3");
        if (rc == 0 && type != 0)
            rc = inflate_codes(s);
        /* Bits read past the end are zeros: whatever they decoded to, the
         * real problem is the missing input. */
        if (rc == PN_ERR_DATA && past_end(b))
            return truncated(s->err, s->name, "a block");
        if (rc)
            return rc;
    } while (!final);
    if (align_to_byte(b) != 0)
        return truncated(s->err, s->name, "the last block");
    return 0;
}

/* ---- gzip member -------------------------------------------------------- */

#define FHCRC 0x02u
#define FEXTRA 0x04u
#define FNAME 0x08u
#define FCOMMENT 0x10u
#define FRESERVED 0xe0u

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Skips a zero-terminated header string starting at *pos. */
static int skip_string(const uint8_t *in, size_t n, size_t *pos)
{
    const uint8_t *nul = memchr(in + *pos, 0, n - *pos);
    if (!nul)
        return -1;
    *pos = (size_t)(nul - in) + 1;
    return 0;
}

/* Parses the RFC 1952 header; *pos becomes the offset of the deflate data. */
static int gz_header(const uint8_t *in, size_t n, size_t *pos, const char *name, pn_err *err)
{
    if (n >= 2 && (in[0] != 0x1f || in[1] != 0x8b))
        return data_err(err, name, "not gzip data (starts with %02x %02x, expected 1f 8b)", in[0],
                        in[1]);
    if (n < 10)
        return truncated(err, name, "the gzip header");
    if (in[2] != 8)
        return data_err(err, name, "unknown gzip compression method %u (only 8, deflate, exists)",
                        in[2]);
    unsigned flg = in[3];
    if (flg & FRESERVED)
        return data_err(err, name, "reserved gzip header flags 0x%02x are set", flg & FRESERVED);
    size_t p = 10;
    if (flg & FEXTRA) {
        if (n - p < 2)
            return truncated(err, name, "the gzip header");
        size_t xlen = (size_t)in[p] | (size_t)in[p + 1] << 8;
        if (n - p - 2 < xlen)
            return truncated(err, name, "the gzip header");
        p += 2 + xlen;
    }
    if ((flg & FNAME) && skip_string(in, n, &p) != 0)
        return truncated(err, name, "the gzip header");
    if ((flg & FCOMMENT) && skip_string(in, n, &p) != 0)
        return truncated(err, name, "the gzip header");
    if (flg & FHCRC) {
        if (n - p < 2)
            return truncated(err, name, "the gzip header");
        unsigned want = (unsigned)in[p] | (unsigned)in[p + 1] << 8;
        unsigned got = pn_crc32(0, in, p) & 0xffffu;
        if (want != got)
            return data_err(err, name, "gzip header CRC is %04x, computed %04x", want, got);
        p += 2;
    }
    *pos = p;
    return 0;
}

/* After the member only zero padding (as some tape tools add) may follow. */
static int check_tail(const uint8_t *rest, size_t n, const char *name, pn_err *err)
{
    if (n >= 2 && rest[0] == 0x1f && rest[1] == 0x8b)
        return data_err(err, name, "a second gzip member follows the first; concatenated gzip "
                        "files are not supported");
    for (size_t i = 0; i < n; i++)
        if (rest[i] != 0)
            return data_err(err, name, "%zu bytes of trailing garbage after the gzip data", n);
    return 0;
}

/* First output buffer size: the trailer's ISIZE when it is plausible (deflate
 * expands at most ~1032:1), else a guess; always within max_out. */
static size_t initial_capacity(const uint8_t *in, size_t n, size_t max_out)
{
    size_t cap = n < SIZE_MAX / 4 ? n * 4 : SIZE_MAX;
    if (n >= 18) {
        size_t isize = le32(in + n - 4);
        if (isize > 0 && isize / 1032 <= n)
            cap = isize;
    }
    if (cap < 4096)
        cap = 4096;
    return cap < max_out ? cap : max_out;
}

/* Checks the 8-byte trailer (CRC-32 and size mod 2^32) and what follows. */
static int gz_trailer(const inflater *s)
{
    const bitin *b = &s->bits;
    if (b->len - b->pos < 8)
        return truncated(s->err, s->name, "the gzip trailer");
    const uint8_t *t = b->in + b->pos;
    uint32_t want_crc = le32(t), want_size = le32(t + 4);
    uint32_t crc = pn_crc32(0, s->out, s->out_len);
    if (crc != want_crc)
        return data_err(s->err, s->name, "CRC-32 mismatch: trailer says %08x, data gives %08x "
                        "(the file is corrupt)", (unsigned)want_crc, (unsigned)crc);
    if ((uint32_t)s->out_len != want_size)
        return data_err(s->err, s->name, "size mismatch: trailer says %u bytes, data has %zu",
                        (unsigned)want_size, s->out_len);
    return check_tail(t + 8, b->len - b->pos - 8, s->name, s->err);
}

int pn_gunzip(const uint8_t *in, size_t in_len, size_t max_out, uint8_t **out, size_t *out_len,
              const char *name, pn_err *err)
{
    size_t pos = 0;
    *out = NULL;
    *out_len = 0;
    if (!name)
        name = "gzip data";
    int rc = gz_header(in, in_len, &pos, name, err);
    if (rc)
        return rc;
    inflater *s = malloc(sizeof *s);
    if (!s)
        return pn_fail(err, PN_ERR_RUNTIME, "%s: out of memory", name);
    memset(&s->bits, 0, sizeof s->bits);
    s->bits.in = in;
    s->bits.len = in_len;
    s->bits.pos = pos;
    s->max_out = max_out;
    s->out_len = 0;
    s->out_cap = initial_capacity(in, in_len, max_out);
    s->name = name;
    s->err = err;
    s->tables_fixed = 0;
    s->out = malloc(s->out_cap ? s->out_cap : 1);
    if (!s->out) {
        rc = pn_fail(err, PN_ERR_RUNTIME, "%s: out of memory for %zu output bytes", name,
                     s->out_cap);
    } else {
        rc = inflate_blocks(s);
        if (rc == 0)
            rc = gz_trailer(s);
    }
    if (rc == 0) {
        /* Give back the unused tail; keep the old block if realloc fails. */
        uint8_t *shrunk = realloc(s->out, s->out_len ? s->out_len : 1);
        *out = shrunk ? shrunk : s->out;
        *out_len = s->out_len;
    } else {
        free(s->out);
    }
    free(s);
    return rc;
}
