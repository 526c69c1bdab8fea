/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as gzip's trailer
 * and pairnet's checkpoints and round records use it (src/base/crc32.c). */
#ifndef PAIRNET_CRC32_H
#define PAIRNET_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC of data[0..n), continued from crc (start with 0):
 * pn_crc32(pn_crc32(0, a, na), b, nb) is the CRC of a followed by b.
 * Thread-safe; the first call builds the table. */
uint32_t pn_crc32(uint32_t crc, const void *data, size_t n);

#endif
