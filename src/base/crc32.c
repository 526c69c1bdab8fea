/* CRC-32 by "slicing by 8": table[k][b] is the CRC register after byte b
 * followed by k zero bytes, so eight input bytes fold in one step of eight
 * independent look-ups instead of eight dependent ones. The 8 KiB table is
 * computed on first use from the polynomial (no literal table to trust), under
 * pthread_once so concurrent first calls are safe. */
#include "pairnet/base/crc32.h"

#include <pthread.h>

#define POLY 0xEDB88320u /* x^32 + x^26 + ... + 1, bit-reversed */

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void build_table(void)
{
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int i = 0; i < 8; i++)
            c = c & 1u ? (c >> 1) ^ POLY : c >> 1;
        table[0][b] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int b = 0; b < 256; b++)
            table[k][b] = (table[k - 1][b] >> 8) ^ table[0][table[k - 1][b] & 0xffu];
}

uint32_t pn_crc32(uint32_t crc, const void *data, size_t n)
{
    pthread_once(&table_once, build_table);
    const uint8_t *p = data;
    crc = ~crc;
    while (n >= 8) {
        const uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
                                   (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        crc = table[7][lo & 0xffu] ^ table[6][(lo >> 8) & 0xffu] ^ table[5][(lo >> 16) & 0xffu] ^
              table[4][lo >> 24] ^ table[3][p[4]] ^ table[2][p[5]] ^ table[1][p[6]] ^
              table[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xffu];
    return ~crc;
}
