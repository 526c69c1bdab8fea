/* Test-only PNG writer (tests/png_writer.h). */
#include "png_writer.h"

#include <stdlib.h>
#include <string.h>

#include "deflate_writer.h"
#include "pairnet/base/crc32.h"


void png_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void png_chunk(pngw *w, const char *type, const uint8_t *d, size_t n)
{
    png_be32(w->b + w->n, (uint32_t)n);
    memcpy(w->b + w->n + 4, type, 4);
    if (n)
        memcpy(w->b + w->n + 8, d, n);
    png_be32(w->b + w->n + 8 + n, pn_crc32(0, w->b + w->n + 4, n + 4));
    w->n += 12 + n;
}

static uint32_t adler(const uint8_t *d, size_t n)
{
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < n; i++) {
        a = (a + d[i]) % 65521;
        b = (b + a) % 65521;
    }
    return b << 16 | a;
}

/* A zlib stream of raw[n] in stored blocks (fixed: fixed-Huffman literals,
 * n small), into z; its length. */
size_t png_zlib(uint8_t *z, const uint8_t *raw, size_t n, int fixed)
{
    size_t k = 0;
    z[k++] = 0x78;
    z[k++] = 0x01;
    if (fixed) {
        bitw bw = {{0}, 0};
        bw_put(&bw, 1, 1);
        bw_put(&bw, 1, 2);
        for (size_t i = 0; i < n; i++)
            bw_fixed_sym(&bw, raw[i]);
        bw_fixed_sym(&bw, 256);
        memcpy(z + k, bw.buf, bw_len(&bw));
        k += bw_len(&bw);
    } else {
        size_t at = 0;
        do {
            const size_t m = n - at < 65535 ? n - at : 65535;
            z[k++] = at + m == n;
            z[k++] = (uint8_t)m;
            z[k++] = (uint8_t)(m >> 8);
            z[k++] = (uint8_t)~m;
            z[k++] = (uint8_t)(~m >> 8);
            memcpy(z + k, raw + at, m);
            k += m;
            at += m;
        } while (at < n);
    }
    png_be32(z + k, adler(raw, n));
    return k + 4;
}

static uint8_t paeth(int a, int b, int c)
{
    const int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return (uint8_t)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/* The h rows of rb bytes in px, filtered (row r with filter r % 5 when
 * filter < 0), each behind its filter byte, into out. */
static size_t filtered(uint8_t *out, const uint8_t *px, size_t h, size_t rb, size_t unit,
                       int filter)
{
    for (size_t r = 0; r < h; r++) {
        const int f = filter < 0 ? (int)(r % 5) : filter;
        const uint8_t *row = px + r * rb, *up = r ? row - rb : NULL;
        uint8_t *o = out + r * (rb + 1);
        o[0] = (uint8_t)f;
        for (size_t i = 0; i < rb; i++) {
            const int a = i >= unit ? row[i - unit] : 0, b = up ? up[i] : 0,
                      c = up && i >= unit ? up[i - unit] : 0;
            const int pred = f == 1 ? a : f == 2 ? b : f == 3 ? (a + b) / 2
                           : f == 4 ? paeth(a, b, c) : 0;
            o[1 + i] = (uint8_t)(row[i] - pred);
        }
    }
    return h * (rb + 1);
}


static size_t bits_of(const spec *s)
{
    static const unsigned ch[7] = {1, 0, 3, 1, 2, 0, 4};
    return (size_t)ch[s->ctype] * s->depth;
}

/* A PNG of spec s around the zlib stream z (split over two IDAT chunks). */
void png_assemble(pngw *w, const spec *s, const uint8_t *z, size_t zn)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint8_t ih[13];
    memcpy(w->b, sig, 8);
    w->n = 8;
    png_be32(ih, s->w);
    png_be32(ih + 4, s->h);
    ih[8] = (uint8_t)s->depth;
    ih[9] = (uint8_t)s->ctype;
    ih[10] = ih[11] = 0;
    ih[12] = (uint8_t)s->interlace;
    png_chunk(w, "IHDR", ih, 13);
    png_chunk(w, "tEXt", (const uint8_t *)"Comment\0test", 12);
    if (s->plte)
        png_chunk(w, "PLTE", s->plte, 3 * s->n_plte);
    if (s->trns)
        png_chunk(w, "tRNS", s->trns, s->n_trns);
    png_chunk(w, "IDAT", z, zn / 2);
    png_chunk(w, "IDAT", z + zn / 2, zn - zn / 2);
    png_chunk(w, "IEND", NULL, 0);
}

/* The filtered rows of px (unfiltered, row bytes from the spec) in raw. */
size_t png_rows(const spec *s, const uint8_t *px, uint8_t *raw)
{
    const size_t bits = bits_of(s), rb = (s->w * bits + 7) / 8;
    return filtered(raw, px, s->h, rb, bits >= 8 ? bits / 8 : 1, s->filter);
}

/* A PNG of the unfiltered rows px. */
void png_make(pngw *w, const spec *s, const uint8_t *px)
{
    static uint8_t raw[PNGW_CAP], z[PNGW_CAP];
    const size_t n = png_rows(s, px, raw);
    png_assemble(w, s, z, png_zlib(z, raw, n, s->fixed));
}

