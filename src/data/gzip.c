/* The gzip container (RFC 1952) around the deflate decoder of inflate.c:
 * header (method, flags, optional fields, header CRC), the 8-byte trailer
 * (CRC-32 and size mod 2^32 of the output) and what may follow a member.
 * One member per file: concatenated members are refused, not decoded. */
#include "pairnet/data/gzip.h"
#include "pairnet/base/crc32.h"

#include <stdlib.h>
#include <string.h>

#include "inflate.h"

#define FHCRC 0x02u
#define FEXTRA 0x04u
#define FNAME 0x08u
#define FCOMMENT 0x10u
#define FRESERVED 0xe0u

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Skips a zero-terminated header string starting at *pos. */
static int skip_string(const uint8_t *in, size_t n, size_t *pos)
{
    const uint8_t *nul = memchr(in + *pos, 0, n - *pos);
    if (!nul)
        return -1;
    *pos = (size_t)(nul - in) + 1;
    return 0;
}

/* Parses the RFC 1952 header; *pos becomes the offset of the deflate data. */
static int gz_header(const uint8_t *in, size_t n, size_t *pos, const char *name, pn_err *err)
{
    if (n >= 2 && (in[0] != 0x1f || in[1] != 0x8b))
        return pn_inflate_fail(err, name, "not gzip data (starts with %02x %02x, expected 1f 8b)",
                               in[0], in[1]);
    if (n < 10)
        return pn_inflate_truncated(err, name, "the gzip header");
    if (in[2] != 8)
        return pn_inflate_fail(err, name,
                               "unknown gzip compression method %u (only 8, deflate, exists)",
                               in[2]);
    unsigned flg = in[3];
    if (flg & FRESERVED)
        return pn_inflate_fail(err, name, "reserved gzip header flags 0x%02x are set",
                               flg & FRESERVED);
    size_t p = 10;
    if (flg & FEXTRA) {
        if (n - p < 2)
            return pn_inflate_truncated(err, name, "the gzip header");
        size_t xlen = (size_t)in[p] | (size_t)in[p + 1] << 8;
        if (n - p - 2 < xlen)
            return pn_inflate_truncated(err, name, "the gzip header");
        p += 2 + xlen;
    }
    if ((flg & FNAME) && skip_string(in, n, &p) != 0)
        return pn_inflate_truncated(err, name, "the gzip header");
    if ((flg & FCOMMENT) && skip_string(in, n, &p) != 0)
        return pn_inflate_truncated(err, name, "the gzip header");
    if (flg & FHCRC) {
        if (n - p < 2)
            return pn_inflate_truncated(err, name, "the gzip header");
        unsigned want = (unsigned)in[p] | (unsigned)in[p + 1] << 8;
        unsigned got = pn_crc32(0, in, p) & 0xffffu;
        if (want != got)
            return pn_inflate_fail(err, name, "gzip header CRC is %04x, computed %04x", want, got);
        p += 2;
    }
    *pos = p;
    return 0;
}

/* After the member only zero padding (as some tape tools add) may follow. */
static int check_tail(const uint8_t *rest, size_t n, const char *name, pn_err *err)
{
    if (n >= 2 && rest[0] == 0x1f && rest[1] == 0x8b)
        return pn_inflate_fail(err, name, "a second gzip member follows the first; concatenated "
                               "gzip files are not supported");
    for (size_t i = 0; i < n; i++)
        if (rest[i] != 0)
            return pn_inflate_fail(err, name, "%zu bytes of trailing garbage after the gzip data",
                                   n);
    return 0;
}

/* First output buffer size: the trailer's ISIZE when it is plausible (deflate
 * expands at most ~1032:1), else a guess; always within max_out. */
static size_t initial_capacity(const uint8_t *in, size_t n, size_t max_out)
{
    size_t cap = n < SIZE_MAX / 4 ? n * 4 : SIZE_MAX;
    if (n >= 18) {
        size_t isize = le32(in + n - 4);
        if (isize > 0 && isize / 1032 <= n)
            cap = isize;
    }
    if (cap < 4096)
        cap = 4096;
    return cap < max_out ? cap : max_out;
}


/* Checks the 8-byte trailer at in[pos] against the output, then what
 * follows it. */
static int gz_trailer(const uint8_t *in, size_t n, size_t pos, const uint8_t *out,
                      size_t out_len, const char *name, pn_err *err)
{
    if (n - pos < 8)
        return pn_inflate_truncated(err, name, "the gzip trailer");
    const uint8_t *t = in + pos;
    uint32_t want_crc = le32(t), want_size = le32(t + 4);
    uint32_t crc = pn_crc32(0, out, out_len);
    if (crc != want_crc)
        return pn_inflate_fail(err, name, "CRC-32 mismatch: trailer says %08x, data gives %08x "
                               "(the file is corrupt)", (unsigned)want_crc, (unsigned)crc);
    if ((uint32_t)out_len != want_size)
        return pn_inflate_fail(err, name, "size mismatch: trailer says %u bytes, data has %zu",
                               (unsigned)want_size, out_len);
    return check_tail(t + 8, n - pos - 8, name, err);
}

int pn_gunzip(const uint8_t *in, size_t in_len, size_t max_out, uint8_t **out, size_t *out_len,
              const char *name, pn_err *err)
{
    size_t pos = 0, len = 0;
    uint8_t *buf = NULL;
    *out = NULL;
    *out_len = 0;
    if (!name)
        name = "gzip data";
    int rc = gz_header(in, in_len, &pos, name, err);
    if (rc == 0)
        rc = pn_inflate_raw(in, in_len, &pos, initial_capacity(in, in_len, max_out), max_out,
                            &buf, &len, name, err);
    if (rc == 0)
        rc = gz_trailer(in, in_len, pos, buf, len, name, err);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    /* Give back the unused tail; keep the old block if realloc fails. */
    uint8_t *shrunk = realloc(buf, len ? len : 1);
    *out = shrunk ? shrunk : buf;
    *out_len = len;
    return 0;
}
