/* MD5 (RFC 1321), written from the RFC (include/pairnet/base/md5.h). */
#include "pairnet/base/md5.h"

#include "pairnet/base/file.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per-round shift amounts and K[i] = floor(2^32 * |sin(i + 1)|). */
static const unsigned md5_shift[64] = {
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
    5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
    6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};

static const uint32_t md5_k[64] = {
    0xd76aa478u, 0xe8c7b756u, 0x242070dbu, 0xc1bdceeeu, 0xf57c0fafu, 0x4787c62au, 0xa8304613u,
    0xfd469501u, 0x698098d8u, 0x8b44f7afu, 0xffff5bb1u, 0x895cd7beu, 0x6b901122u, 0xfd987193u,
    0xa679438eu, 0x49b40821u, 0xf61e2562u, 0xc040b340u, 0x265e5a51u, 0xe9b6c7aau, 0xd62f105du,
    0x02441453u, 0xd8a1e681u, 0xe7d3fbc8u, 0x21e1cde6u, 0xc33707d6u, 0xf4d50d87u, 0x455a14edu,
    0xa9e3e905u, 0xfcefa3f8u, 0x676f02d9u, 0x8d2a4c8au, 0xfffa3942u, 0x8771f681u, 0x6d9d6122u,
    0xfde5380cu, 0xa4beea44u, 0x4bdecfa9u, 0xf6bb4b60u, 0xbebfbc70u, 0x289b7ec6u, 0xeaa127fau,
    0xd4ef3085u, 0x04881d05u, 0xd9d4d039u, 0xe6db99e5u, 0x1fa27cf8u, 0xc4ac5665u, 0xf4292244u,
    0x432aff97u, 0xab9423a7u, 0xfc93a039u, 0x655b59c3u, 0x8f0ccc92u, 0xffeff47du, 0x85845dd1u,
    0x6fa87e4fu, 0xfe2ce6e0u, 0xa3014314u, 0x4e0811a1u, 0xf7537e82u, 0xbd3af235u, 0x2ad7d2bbu,
    0xeb86d391u};

static uint32_t rotl(uint32_t x, unsigned c) { return (x << c) | (x >> (32 - c)); }

static void md5_block(uint32_t h[4], const uint8_t *p)
{
    uint32_t m[16], a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 16; i++)
        m[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
               (uint32_t)p[4 * i + 3] << 24;
    for (unsigned i = 0; i < 64; i++) {
        uint32_t f;
        unsigned g;
        if (i < 16) {
            f = (b & c) | (~b & d);
            g = i;
        } else if (i < 32) {
            f = (d & b) | (~d & c);
            g = (5 * i + 1) % 16;
        } else if (i < 48) {
            f = b ^ c ^ d;
            g = (3 * i + 5) % 16;
        } else {
            f = c ^ (b | ~d);
            g = (7 * i) % 16;
        }
        uint32_t t = d;
        d = c;
        c = b;
        b = b + rotl(a + f + md5_k[i] + m[g], md5_shift[i]);
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
}

void pn_md5_init(pn_md5 *m)
{
    static const uint32_t h0[4] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u};
    memcpy(m->h, h0, sizeof h0);
    m->n = 0;
    m->used = 0;
}

void pn_md5_update(pn_md5 *m, const void *data, size_t n)
{
    const uint8_t *p = data;
    m->n += n;
    if (m->used) { /* fill the pending block first */
        const size_t take = n < 64 - m->used ? n : 64 - m->used;
        memcpy(m->buf + m->used, p, take);
        m->used += take;
        p += take;
        n -= take;
        if (m->used < 64)
            return;
        md5_block(m->h, m->buf);
        m->used = 0;
    }
    for (; n >= 64; p += 64, n -= 64)
        md5_block(m->h, p);
    memcpy(m->buf, p, n);
    m->used = n;
}

void pn_md5_final(pn_md5 *m, char hex[33])
{
    /* Padding: 0x80, zeros, then the bit length (little-endian), so that
     * the tail is one or two blocks. */
    uint8_t tail[128] = {0};
    const size_t rest = m->used;
    memcpy(tail, m->buf, rest);
    tail[rest] = 0x80;
    const size_t tail_len = rest < 56 ? 64 : 128;
    const uint64_t bits = m->n * 8;
    for (int i = 0; i < 8; i++)
        tail[tail_len - 8 + (size_t)i] = (uint8_t)(bits >> (8 * i));
    for (size_t i = 0; i < tail_len; i += 64)
        md5_block(m->h, tail + i);
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned)(m->h[i / 4] >> (8 * (i % 4))) & 0xffu);
}

void pn_md5_hex(const void *data, size_t n, char hex[33])
{
    pn_md5 m;
    pn_md5_init(&m);
    pn_md5_update(&m, data, n);
    pn_md5_final(&m, hex);
}

int pn_md5_file(const char *path, const char *what, size_t max, char hex[33], pn_err *err)
{
    size_t len;
    char *data = pn_read_file(path, what, max, &len, NULL, err);
    if (!data) {
        if (err->code == PN_OK)
            pn_fail(err, PN_ERR_DATA, "%s: no such file (its %s was expected there)", path, what);
        return err->code;
    }
    pn_md5_hex(data, len, hex);
    free(data);
    return PN_OK;
}
