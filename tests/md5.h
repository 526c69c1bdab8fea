/* MD5 (RFC 1321), test-only: checks decompressed MNIST against the sums in
 * SOURCE.md. Not for security. */
#ifndef PAIRNET_TEST_MD5_H
#define PAIRNET_TEST_MD5_H

#include <stddef.h>

/* Writes the 32 lowercase hex digits of md5(data) and a NUL into hex. */
void t_md5_hex(const void *data, size_t n, char hex[33]);

#endif
