/* Private to src/data: what gzip.c (the RFC 1952 container), inflate.c (RFC
 * 1951 block decoding) and inftrees.c (Huffman table building) share. The
 * public entry point is pn_gunzip in include/pairnet/data/gzip.h. */
#ifndef PAIRNET_DATA_INFLATE_H
#define PAIRNET_DATA_INFLATE_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"

/* ---- raw deflate (inflate.c) ------------------------------------------- */

/* Decodes the deflate stream that starts at in[*pos] into a malloc'ed buffer
 * of first `cap` bytes, grown as needed but never past max_out. On success
 * *pos is the first byte after the stream (the last block's padding bits
 * dropped) and *out / *out_len hold the output (the caller frees *out; its
 * allocation may be larger than *out_len). On failure *out is NULL.
 * Returns 0 or PN_ERR_DATA / PN_ERR_RUNTIME. */
int pn_inflate_raw(const uint8_t *in, size_t in_len, size_t *pos, size_t cap, size_t max_out,
                   uint8_t **out, size_t *out_len, const char *name, pn_err *err);

/* How a container words the stream's errors: what the stream is ("gzip
 * data", "PNG image data") and the fix that ends every data error. */
typedef struct pn_inflate_words {
    const char *what, *hint;
} pn_inflate_words;
extern const pn_inflate_words pn_inflate_gzip; /* the MNIST files' */

/* pn_inflate_raw, its errors in words w (pn_inflate_raw: pn_inflate_gzip). */
int pn_inflate_raw_as(const uint8_t *in, size_t in_len, size_t *pos, size_t cap, size_t max_out,
                      uint8_t **out, size_t *out_len, const char *name,
                      const pn_inflate_words *w, pn_err *err);

/* The two shapes of a data error, shared so that the container and the
 * decoder word them alike: "<name>: <what> (<hint>)", and the truncation
 * message naming where the input ran out, in gzip's words. Both return
 * PN_ERR_DATA. */
int pn_inflate_fail(pn_err *err, const char *name, const char *fmt, ...) PN_PRINTF(3, 4);
int pn_inflate_truncated(pn_err *err, const char *name, const char *where);

/* ---- decoding tables (built by inftrees.c, read by inflate.c) ---------- */

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

/* Each Huffman code becomes a table with a 2^root primary part indexed by
 * the next root input bits and, for longer codes, subtables reached through
 * the primary entry. */
#define MAX_BITS 15
#define LIT_ROOT 10 /* covers every fixed-code literal/length in one lookup */
#define DIST_ROOT 8
#define CL_ROOT 7 /* code-length codes are at most 7 bits: never a subtable */

/* Worst case of primary + subtables: every subtable holds at least one
 * symbol longer than root bits and has at most 2^(15 - root) entries. */
#define LIT_CAP ((1u << LIT_ROOT) + 288u * (1u << (MAX_BITS - LIT_ROOT)))
#define DIST_CAP ((1u << DIST_ROOT) + 32u * (1u << (MAX_BITS - DIST_ROOT)))

enum { T_CODES, T_LIT, T_DIST }; /* which alphabet a table decodes */

/* Builds the decoding table of the n code lengths lens (alphabet `which`)
 * into tab (cap entries) with a 2^root primary part. Returns 0, or -1 with
 * *why describing the bad code ("over-subscribed", "incomplete", ...). */
int pn_inflate_table(uint32_t *tab, size_t cap, unsigned root, const uint8_t *lens, unsigned n,
                     int which, const char **why);

#endif
