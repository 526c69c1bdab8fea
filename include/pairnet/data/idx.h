/* IDX files, the MNIST container (src/data/idx.c). */
#ifndef PAIRNET_DATA_IDX_H
#define PAIRNET_DATA_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"

/* The largest IDX file pn_idx_read reads (as it is on disk). */
#define PN_IDX_MAX_FILE ((size_t)256 << 20)

typedef struct pn_idx {
    size_t ndims;   /* 1 for labels, 3 for images */
    size_t dims[3]; /* dims[0] = item count; images: rows, cols */
    uint8_t *data;  /* dims[0] * dims[1] * ... bytes, malloc'ed */
} pn_idx;

/* Reads an IDX file of unsigned bytes (type 0x08), gzip-compressed (detected
 * by its magic bytes) or raw. expect_ndims is 1 or 3; anything else in the
 * file (wrong magic, wrong dimension count, zero dims, fewer or more bytes
 * than the header promises) is refused with a message naming the file. */
int pn_idx_read(const char *path, size_t expect_ndims, pn_idx *out, pn_err *err);
/* The same checks on uncompressed IDX bytes already in memory (used by
 * pn_idx_read's tests and the fuzz harness); out->data is a malloc'ed copy
 * of the payload. `name` is used in error messages only. */
int pn_idx_parse(const uint8_t *buf, size_t len, size_t expect_ndims, pn_idx *out,
                 const char *name, pn_err *err);
void pn_idx_free(pn_idx *idx);

#endif
