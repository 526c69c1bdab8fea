/* Test-only writer of PNG files with every colour type, bit depth and
 * filter, and of malformed ones: chunks with their CRC, a zlib stream of
 * stored deflate blocks or fixed-Huffman literals, Adler-32
 * (tests/png_writer.c). */
#ifndef PAIRNET_TEST_PNG_WRITER_H
#define PAIRNET_TEST_PNG_WRITER_H

#include <stddef.h>
#include <stdint.h>

#define PNGW_CAP (1 << 20)

typedef struct pngw {
    uint8_t b[PNGW_CAP];
    size_t n;
} pngw;

typedef struct spec {
    uint32_t w, h;
    unsigned depth, ctype, interlace;
    int filter, fixed;
    const uint8_t *plte; /* 3 * n_plte */
    size_t n_plte;
    const uint8_t *trns;
    size_t n_trns;
} spec;

void png_be32(uint8_t *p, uint32_t v);
/* Appends a chunk of type (4 letters) and its CRC. */
void png_chunk(pngw *w, const char *type, const uint8_t *d, size_t n);
/* A zlib stream of raw[n] into z (stored blocks, or fixed-Huffman literals
 * for a small n when fixed); its length. */
size_t png_zlib(uint8_t *z, const uint8_t *raw, size_t n, int fixed);
/* Signature, IHDR of s, a tEXt chunk, PLTE and tRNS when s has them, the
 * zlib stream z split over two IDAT chunks, IEND. */
void png_assemble(pngw *w, const spec *s, const uint8_t *z, size_t zn);
/* The unfiltered rows px filtered as s says, each behind its filter byte,
 * into raw; their length. */
size_t png_rows(const spec *s, const uint8_t *px, uint8_t *raw);
/* png_assemble of the rows px, compressed as s->fixed says. */
void png_make(pngw *w, const spec *s, const uint8_t *px);

#endif
