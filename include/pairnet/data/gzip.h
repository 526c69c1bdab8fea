/* gzip decompression with our own inflate (src/data/gzip.c, inflate.c,
 * inftrees.c): the MNIST files ship as .gz and only libc may be used. */
#ifndef PAIRNET_DATA_GZIP_H
#define PAIRNET_DATA_GZIP_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"

/* Decompresses a complete gzip member (RFC 1952 around RFC 1951 deflate).
 * Checks header, every block, CRC-32 and ISIZE, and refuses output larger
 * than max_out bytes. On success *out is malloc'ed (caller frees). `name` is
 * used in error messages only. Returns 0 or PN_ERR_DATA / PN_ERR_RUNTIME. */
int pn_gunzip(const uint8_t *in, size_t in_len, size_t max_out, uint8_t **out,
              size_t *out_len, const char *name, pn_err *err);

#endif
