/* Hand-made deflate streams and gzip members for tests/test_inflate.c,
 * written from RFC 1951 and 1952 independently of the decoder under test. */
#include "deflate_writer.h"

#include <string.h>

#include "pairnet/base/crc32.h"

void bw_put(bitw *w, unsigned v, unsigned n)
{
    for (unsigned i = 0; i < n; i++, w->nbits++)
        if ((v >> i) & 1u)
            w->buf[w->nbits / 8] |= (uint8_t)(1u << (w->nbits % 8));
}

/* Huffman codes are sent most significant bit first. */
void bw_huff(bitw *w, unsigned code, unsigned len)
{
    for (unsigned i = len; i-- > 0;)
        bw_put(w, (code >> i) & 1u, 1);
}

size_t bw_len(const bitw *w) { return (w->nbits + 7) / 8; }

/* The fixed literal/length code of RFC 1951 3.2.6. */
void bw_fixed_sym(bitw *w, unsigned sym)
{
    if (sym < 144)
        bw_huff(w, 0x30 + sym, 8);
    else if (sym < 256)
        bw_huff(w, 0x190 + sym - 144, 9);
    else if (sym < 280)
        bw_huff(w, sym - 256, 7);
    else
        bw_huff(w, 0xc0 + sym - 280, 8);
}

/* Canonical codes from lengths (RFC 1951 3.2.2), written here
 * independently of the decoder. */
void bw_canon(const uint8_t *lens, unsigned n, unsigned *codes)
{
    unsigned count[16] = {0}, next[16] = {0}, code = 0;
    for (unsigned i = 0; i < n; i++)
        count[lens[i]]++;
    count[0] = 0;
    for (unsigned b = 1; b < 16; b++) {
        code = (code + count[b - 1]) << 1;
        next[b] = code;
    }
    for (unsigned i = 0; i < n; i++)
        codes[i] = lens[i] ? next[lens[i]]++ : 0;
}

static const uint8_t cl_order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5,
                                     11, 4,  12, 3, 13, 2, 14, 1, 15};

/* Final dynamic block header: counts and the code-length code cl (by
 * symbol), of which the first ncl in cl_order are sent. */
void bw_dyn_header(bitw *w, unsigned nlit, unsigned ndist, const uint8_t cl[19], unsigned ncl)
{
    bw_put(w, 1, 1);
    bw_put(w, 2, 2);
    bw_put(w, nlit - 257, 5);
    bw_put(w, ndist - 1, 5);
    bw_put(w, ncl - 4, 4);
    for (unsigned i = 0; i < ncl; i++)
        bw_put(w, cl[cl_order[i]], 3);
}

/* Sends code-length symbols; items are {symbol, extra bits value}. */
void bw_cl_syms(bitw *w, const uint8_t cl[19], const unsigned (*items)[2], size_t n)
{
    unsigned codes[19];
    bw_canon(cl, 19, codes);
    for (size_t i = 0; i < n; i++) {
        unsigned sym = items[i][0];
        bw_huff(w, codes[sym], cl[sym]);
        if (sym >= 16)
            bw_put(w, items[i][1], sym == 16 ? 2 : sym == 17 ? 3 : 7);
    }
}


/* Wraps raw deflate data in a gzip member with header flags flg (fields
 * made up here) and the trailer of plain. Returns the length. */
size_t gz_wrap(uint8_t *dst, unsigned flg, const uint8_t *def, size_t n, const void *plain,
                   size_t plain_len)
{
    static const uint8_t extra[] = {6, 0, 'A', 'P', 2, 0, 'x', 'y'};
    size_t p = 0;
    const uint8_t head[10] = {0x1f, 0x8b, 8, (uint8_t)flg, 0, 0, 0, 0, 0, 3};
    memcpy(dst, head, 10);
    p = 10;
    if (flg & GZ_FEXTRA) {
        memcpy(dst + p, extra, sizeof extra);
        p += sizeof extra;
    }
    if (flg & GZ_FNAME) {
        memcpy(dst + p, "name.idx", 9);
        p += 9;
    }
    if (flg & GZ_FCOMMENT) {
        memcpy(dst + p, "a comment", 10);
        p += 10;
    }
    if (flg & GZ_FHCRC) {
        uint32_t c = pn_crc32(0, dst, p);
        dst[p++] = (uint8_t)c;
        dst[p++] = (uint8_t)(c >> 8);
    }
    memcpy(dst + p, def, n);
    p += n;
    uint32_t crc = pn_crc32(0, plain, plain_len), size = (uint32_t)plain_len;
    for (int i = 0; i < 4; i++)
        dst[p++] = (uint8_t)(crc >> (8 * i));
    for (int i = 0; i < 4; i++)
        dst[p++] = (uint8_t)(size >> (8 * i));
    return p;
}
