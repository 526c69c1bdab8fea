/* Test-only writer of hand-made deflate streams (RFC 1951) and gzip members
 * (RFC 1952), for inputs no compressor would produce: every block type, bad
 * codes, bad symbols (tests/deflate_writer.c). */
#ifndef PAIRNET_TEST_DEFLATE_WRITER_H
#define PAIRNET_TEST_DEFLATE_WRITER_H

#include <stddef.h>
#include <stdint.h>

/* Least-significant-bit-first output; start with bitw w = {{0}, 0}. */
typedef struct bitw {
    uint8_t buf[1024];
    size_t nbits;
} bitw;

/* The n low bits of v, least significant first (header fields, extra bits). */
void bw_put(bitw *w, unsigned v, unsigned n);
/* A Huffman code of len bits, most significant bit first. */
void bw_huff(bitw *w, unsigned code, unsigned len);
/* Bytes written so far (the last one possibly partial). */
size_t bw_len(const bitw *w);
/* Symbol sym of the fixed literal/length code (RFC 1951 3.2.6). */
void bw_fixed_sym(bitw *w, unsigned sym);
/* Canonical codes of the n code lengths lens (RFC 1951 3.2.2). */
void bw_canon(const uint8_t *lens, unsigned n, unsigned *codes);
/* Header of a final dynamic block: the counts and the code-length code cl
 * (by symbol), of which the first ncl in RFC order are sent. */
void bw_dyn_header(bitw *w, unsigned nlit, unsigned ndist, const uint8_t cl[19], unsigned ncl);
/* Code-length symbols in the code cl; items are {symbol, extra bits value}. */
void bw_cl_syms(bitw *w, const uint8_t cl[19], const unsigned (*items)[2], size_t n);

#define GZ_FHCRC 0x02u
#define GZ_FEXTRA 0x04u
#define GZ_FNAME 0x08u
#define GZ_FCOMMENT 0x10u

/* Wraps the n bytes of raw deflate data def in a gzip member with header
 * flags flg (the optional fields made up here) and the trailer of plain,
 * into dst. Returns the length. */
size_t gz_wrap(uint8_t *dst, unsigned flg, const uint8_t *def, size_t n, const void *plain,
               size_t plain_len);

#endif
