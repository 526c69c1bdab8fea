/* A growable text buffer for building a file before it is written whole. */
#ifndef PAIRNET_BUF_H
#define PAIRNET_BUF_H

#include <stddef.h>

#include "pairnet/base/error.h"

typedef struct pn_buf {
    char *data;
    size_t len, cap;
    int failed; /* allocation failed: the content is incomplete */
} pn_buf;

void pn_buf_printf(pn_buf *b, const char *fmt, ...) PN_PRINTF(2, 3);
/* Appends n bytes of s as they are (they may hold NULs). */
void pn_buf_put(pn_buf *b, const char *s, size_t n);
void pn_buf_free(pn_buf *b);
/* The escapers of every output format are in pairnet/report/escape.h. */

/* pn_write_atomic of the content; an incomplete buffer is an error. */
int pn_buf_write_atomic(const char *path, const pn_buf *b, pn_err *err);
/* pn_buf_write_atomic to dir/name, then frees b (also on failure). */
int pn_buf_save(const char *dir, const char *name, pn_buf *b, pn_err *err);

#endif
