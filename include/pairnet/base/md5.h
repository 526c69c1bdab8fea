/* MD5 (RFC 1321, src/base/md5.c): the digest MNIST's publishers give for
 * their files, so that a table can name the exact data it was computed
 * from (provenance) and the tests can check what inflate produced. An
 * identity check, not for security. */
#ifndef PAIRNET_MD5_H
#define PAIRNET_MD5_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"

typedef struct pn_md5 {
    uint32_t h[4];
    uint64_t n;      /* bytes fed so far */
    uint8_t buf[64]; /* the pending part of a block */
    size_t used;
} pn_md5;

void pn_md5_init(pn_md5 *m);
void pn_md5_update(pn_md5 *m, const void *data, size_t n);
/* Writes the 32 lowercase hex digits and a NUL into hex. */
void pn_md5_final(pn_md5 *m, char hex[33]);
/* md5(data[0..n)) in one call. */
void pn_md5_hex(const void *data, size_t n, char hex[33]);
/* md5 of the regular file at path, read whole by pn_read_file (never
 * blocking on a FIFO; refused over max bytes); what names it in the
 * one-line message of a file that cannot be read. */
int pn_md5_file(const char *path, const char *what, size_t max, char hex[33], pn_err *err);

#endif
