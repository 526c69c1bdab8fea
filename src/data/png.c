/* PNG (ISO/IEC 15948, the W3C PNG specification), read strictly: the
 * signature, every chunk's CRC-32, IHDR first, IDAT chunks consecutive,
 * IEND last with nothing after it; the image data is one zlib stream (RFC
 * 1950: header, deflate through pairnet's own inflate, Adler-32) of exactly
 * the size IHDR implies, unfiltered with the five filter types. Every
 * colour type and bit depth the specification allows is read (gray 1..16
 * bits, RGB, palette with its tRNS transparency, gray and RGB with alpha);
 * Adam7 interlacing is refused, as are unknown critical chunks. tRNS of a
 * gray or RGB image (one colour made transparent) is ignored. */
#include "pairnet/data/image.h"
#include "pairnet/base/crc32.h"

#include <stdlib.h>
#include <string.h>

#include "inflate.h"

#define FIX "the file is damaged or not a PNG: save the image again"

static const pn_inflate_words png_words = {"PNG image data", FIX};

enum { GRAY = 0, RGB = 2, PALETTE = 3, GRAY_ALPHA = 4, RGBA = 6 };

typedef struct png {
    const char *name;
    uint32_t w, h;
    unsigned depth, ctype, channels;
    size_t row_bytes, unit; /* bytes per row; per pixel for the filters (>= 1) */
    uint8_t plte[256][4];   /* RGBA of the palette (A from tRNS, else 255) */
    unsigned n_plte;
    int has_alpha; /* the image may have transparent pixels */
    size_t idat_len;
    uint8_t *idat; /* all IDAT data, concatenated (second pass) */
} png;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Whether depth is allowed for colour type ct; its channel count in *ch. */
static int depth_ok(unsigned ct, unsigned depth, unsigned *ch)
{
    static const unsigned chans[7] = {1, 0, 3, 1, 2, 0, 4};
    if (ct > 6 || chans[ct] == 0)
        return 0;
    *ch = chans[ct];
    if (depth == 8 || (depth == 16 && ct != PALETTE))
        return 1;
    return (depth == 1 || depth == 2 || depth == 4) && (ct == GRAY || ct == PALETTE);
}

static int ihdr(png *p, const uint8_t *d, uint32_t len, pn_err *err)
{
    if (len != 13)
        return pn_fail(err, PN_ERR_DATA, "%s: IHDR chunk is %u bytes, not 13 (%s)", p->name,
                       len, FIX);
    p->w = be32(d);
    p->h = be32(d + 4);
    p->depth = d[8];
    p->ctype = d[9];
    if (!depth_ok(p->ctype, p->depth, &p->channels))
        return pn_fail(err, PN_ERR_DATA, "%s: PNG colour type %u with bit depth %u is not a "
                       "valid combination (%s)", p->name, p->ctype, p->depth, FIX);
    if (d[10] != 0 || d[11] != 0)
        return pn_fail(err, PN_ERR_DATA, "%s: unknown PNG compression method %u or filter "
                       "method %u (%s)", p->name, d[10], d[11], FIX);
    if (d[12] == 1)
        return pn_fail(err, PN_ERR_DATA, "%s: an interlaced (Adam7) PNG; pairnet reads only "
                       "non-interlaced PNG: save it again without interlacing", p->name);
    if (d[12] != 0)
        return pn_fail(err, PN_ERR_DATA, "%s: unknown PNG interlace method %u (%s)", p->name,
                       d[12], FIX);
    pn_image probe = {0, 0, NULL};
    if (p->w == 0 || p->h == 0 || p->w > PN_IMAGE_MAX_SIDE || p->h > PN_IMAGE_MAX_SIDE ||
        (size_t)p->w * p->h > PN_IMAGE_MAX_PIXELS)
        return pn_image_alloc(&probe, p->w, p->h, p->name, err); /* its size message */
    const size_t bits = (size_t)p->channels * p->depth;
    p->row_bytes = ((size_t)p->w * bits + 7) / 8;
    p->unit = bits >= 8 ? bits / 8 : 1;
    p->has_alpha = p->ctype == GRAY_ALPHA || p->ctype == RGBA;
    return PN_OK;
}

static int plte(png *p, const uint8_t *d, uint32_t len, pn_err *err)
{
    if (p->ctype == GRAY || p->ctype == GRAY_ALPHA)
        return pn_fail(err, PN_ERR_DATA, "%s: a gray PNG with a palette (PLTE) chunk (%s)",
                       p->name, FIX);
    if (p->n_plte || len == 0 || len % 3 || len / 3 > 256 ||
        (p->ctype == PALETTE && len / 3 > 1u << p->depth))
        return pn_fail(err, PN_ERR_DATA, "%s: bad PLTE chunk (%u bytes%s) (%s)", p->name, len,
                       p->n_plte ? ", a second one" : "", FIX);
    p->n_plte = len / 3;
    for (unsigned i = 0; i < p->n_plte; i++) {
        memcpy(p->plte[i], d + 3 * i, 3);
        p->plte[i][3] = 255;
    }
    return PN_OK;
}

/* tRNS: alpha of the first palette entries; ignored for other types. */
static int trns(png *p, const uint8_t *d, uint32_t len, pn_err *err)
{
    if (p->ctype != PALETTE)
        return PN_OK;
    if (!p->n_plte || len > p->n_plte)
        return pn_fail(err, PN_ERR_DATA, "%s: tRNS chunk of %u entries %s (%s)", p->name, len,
                       p->n_plte ? "is longer than the palette" : "comes before PLTE", FIX);
    for (uint32_t i = 0; i < len; i++)
        p->plte[i][3] = d[i];
    p->has_alpha = 1;
    return PN_OK;
}

/* One chunk of type t (data d, len bytes), in walk order; *idat_run: 0 before
 * the IDAT chunks, 1 among them, 2 after them. */
static int chunk(png *p, const uint8_t *t, const uint8_t *d, uint32_t len, int *idat_run,
                 pn_err *err)
{
    const int is_idat = memcmp(t, "IDAT", 4) == 0;
    if (*idat_run == 1 && !is_idat)
        *idat_run = 2;
    if (is_idat) {
        if (*idat_run == 2)
            return pn_fail(err, PN_ERR_DATA, "%s: IDAT chunks are not consecutive (%s)",
                           p->name, FIX);
        if (p->ctype == PALETTE && !p->n_plte)
            return pn_fail(err, PN_ERR_DATA, "%s: a palette PNG without a PLTE chunk before "
                           "its image data (%s)", p->name, FIX);
        *idat_run = 1;
        if (p->idat)
            memcpy(p->idat + p->idat_len, d, len);
        p->idat_len += len;
        return PN_OK;
    }
    if (memcmp(t, "IHDR", 4) == 0)
        return pn_fail(err, PN_ERR_DATA, "%s: a second IHDR chunk (%s)", p->name, FIX);
    if (memcmp(t, "PLTE", 4) == 0 || memcmp(t, "tRNS", 4) == 0) {
        if (*idat_run)
            return pn_fail(err, PN_ERR_DATA, "%s: %.4s chunk after the image data (%s)",
                           p->name, (const char *)t, FIX);
        return t[0] == 'P' ? plte(p, d, len, err) : trns(p, d, len, err);
    }
    if (t[0] >= 'A' && t[0] <= 'Z')
        return pn_fail(err, PN_ERR_DATA, "%s: unknown critical PNG chunk '%.4s' (an extension "
                       "pairnet cannot read: save the image as a plain PNG)", p->name,
                       (const char *)t);
    return PN_OK; /* ancillary: text, gamma, physical size, ... */
}

static int is_letter(uint8_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

/* Walks the chunks after the signature: checks each one's length, type and
 * CRC, and hands it to chunk() (IHDR first, IEND last). With p->idat NULL it
 * only counts the IDAT bytes; with p->idat allocated it also copies them. */
static int walk(png *p, const uint8_t *buf, size_t len, pn_err *err)
{
    size_t at = 8;
    int idat_run = 0, rc = PN_OK;
    p->idat_len = 0;
    p->n_plte = 0;
    for (unsigned n = 0; rc == PN_OK; n++) {
        if (len - at < 12)
            return pn_fail(err, PN_ERR_DATA, "%s: truncated PNG: %s (%s)", p->name,
                           at == len ? "no IEND chunk at the end" : "a chunk is cut short", FIX);
        const uint32_t clen = be32(buf + at);
        const uint8_t *t = buf + at + 4, *d = buf + at + 8;
        if (clen > 0x7fffffffu || clen > len - at - 12)
            return pn_fail(err, PN_ERR_DATA, "%s: truncated PNG: chunk '%.4s' declares %u "
                           "bytes, the file holds %zu more (%s)", p->name,
                           is_letter(t[0]) ? (const char *)t : "????", clen, len - at - 12, FIX);
        if (!is_letter(t[0]) || !is_letter(t[1]) || !is_letter(t[2]) || !is_letter(t[3]))
            return pn_fail(err, PN_ERR_DATA, "%s: corrupt PNG chunk type at offset %zu (%s)",
                           p->name, at + 4, FIX);
        const uint32_t want = be32(d + clen), got = pn_crc32(0, t, (size_t)clen + 4);
        if (want != got)
            return pn_fail(err, PN_ERR_DATA, "%s: CRC-32 of PNG chunk '%.4s' is %08x, computed "
                           "%08x (%s)", p->name, (const char *)t, (unsigned)want,
                           (unsigned)got, FIX);
        at += 12 + (size_t)clen;
        const int is_ihdr = memcmp(t, "IHDR", 4) == 0;
        if ((n == 0) != is_ihdr)
            return pn_fail(err, PN_ERR_DATA, "%s: %s (%s)", p->name, n == 0 ? "the first PNG "
                           "chunk is not IHDR" : "a second IHDR chunk", FIX);
        if (memcmp(t, "IEND", 4) == 0)
            break;
        rc = is_ihdr ? ihdr(p, d, clen, err) : chunk(p, t, d, clen, &idat_run, err);
    }
    if (rc != PN_OK)
        return rc;
    if (at != len)
        return pn_fail(err, PN_ERR_DATA, "%s: %zu bytes of trailing garbage after the PNG's "
                       "IEND chunk (%s)", p->name, len - at, FIX);
    if (!idat_run)
        return pn_fail(err, PN_ERR_DATA, "%s: the PNG has no image data (IDAT) (%s)", p->name,
                       FIX);
    return PN_OK;
}

static uint32_t adler32(const uint8_t *d, size_t n)
{
    uint32_t a = 1, b = 0;
    while (n) {
        const size_t k = n < 5552 ? n : 5552; /* no overflow before the modulo */
        for (size_t i = 0; i < k; i++) {
            a += d[i];
            b += a;
        }
        a %= 65521;
        b %= 65521;
        d += k;
        n -= k;
    }
    return b << 16 | a;
}

/* The IDAT zlib stream inflated into *raw, exactly h rows of a filter byte
 * and row_bytes; nothing may follow its Adler-32. */
static int inflate_idat(const png *p, uint8_t **raw, pn_err *err)
{
    const uint8_t *z = p->idat;
    const size_t n = p->idat_len, want = (size_t)p->h * (1 + p->row_bytes);
    *raw = NULL;
    if (n < 2)
        return pn_fail(err, PN_ERR_DATA, "%s: truncated PNG image data (%zu bytes) (%s)",
                       p->name, n, FIX);
    if ((z[0] & 0x0f) != 8 || z[0] >> 4 > 7 || ((unsigned)z[0] << 8 | z[1]) % 31 != 0)
        return pn_fail(err, PN_ERR_DATA, "%s: PNG image data is not a zlib deflate stream "
                       "(header %02x %02x) (%s)", p->name, z[0], z[1], FIX);
    if (z[1] & 0x20)
        return pn_fail(err, PN_ERR_DATA, "%s: PNG image data uses a preset zlib dictionary, "
                       "which PNG forbids (%s)", p->name, FIX);
    size_t pos = 2, got = 0;
    /* The first buffer: room for a good compression ratio, grown as needed
     * (a tiny stream claiming a huge image allocates little before failing). */
    const size_t guess = n < PN_IMAGE_MAX_FILE ? 8 * n + 4096 : want;
    int rc = pn_inflate_raw_as(z, n, &pos, guess < want ? guess : want, want, raw, &got,
                               p->name, &png_words, err);
    if (rc == PN_OK && got != want)
        rc = pn_fail(err, PN_ERR_DATA, "%s: PNG image data holds %zu bytes, a %u x %u image "
                     "needs %zu (%s)", p->name, got, p->w, p->h, want, FIX);
    if (rc == PN_OK && n - pos < 4)
        rc = pn_fail(err, PN_ERR_DATA, "%s: truncated PNG image data: no Adler-32 after the "
                     "deflate stream (%s)", p->name, FIX);
    if (rc == PN_OK && be32(z + pos) != adler32(*raw, got))
        rc = pn_fail(err, PN_ERR_DATA, "%s: Adler-32 of the PNG image data is %08x, computed "
                     "%08x (%s)", p->name, (unsigned)be32(z + pos), (unsigned)adler32(*raw, got),
                     FIX);
    if (rc == PN_OK && n - pos > 4)
        rc = pn_fail(err, PN_ERR_DATA, "%s: %zu bytes of trailing garbage in the IDAT data "
                     "after its zlib stream (%s)", p->name, n - pos - 4, FIX);
    if (rc != PN_OK) {
        free(*raw);
        *raw = NULL;
    }
    return rc;
}

static uint8_t paeth(uint8_t a, uint8_t b, uint8_t c)
{
    const int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Undoes the filters in place: row r (its filter byte at raw[r * (1 +
 * row_bytes)]) from its filtered bytes and the row above (zeros for the
 * first). */
static int unfilter(const png *p, uint8_t *raw, pn_err *err)
{
    const size_t rb = p->row_bytes, u = p->unit;
    for (uint32_t r = 0; r < p->h; r++) {
        uint8_t *row = raw + r * (1 + rb) + 1;
        const uint8_t *up = r ? row - (1 + rb) : NULL;
        const unsigned f = row[-1];
        if (f > 4)
            return pn_fail(err, PN_ERR_DATA, "%s: PNG row %u has filter type %u (0..4 exist) "
                           "(%s)", p->name, r, f, FIX);
        for (size_t i = 0; i < rb; i++) {
            const uint8_t a = i >= u ? row[i - u] : 0, b = up ? up[i] : 0,
                          c = up && i >= u ? up[i - u] : 0;
            switch (f) {
            case 1: row[i] = (uint8_t)(row[i] + a); break;
            case 2: row[i] = (uint8_t)(row[i] + b); break;
            case 3: row[i] = (uint8_t)(row[i] + ((a + b) >> 1)); break;
            case 4: row[i] = (uint8_t)(row[i] + paeth(a, b, c)); break;
            default: break;
            }
        }
    }
    return PN_OK;
}

/* Sample i (0-based, counting every channel) of a row at depth bits. */
static unsigned sample(const uint8_t *row, size_t i, unsigned depth)
{
    if (depth == 16)
        return (unsigned)row[2 * i] << 8 | row[2 * i + 1];
    if (depth == 8)
        return row[i];
    const size_t bit = i * depth;
    return (row[bit / 8] >> (8 - depth - bit % 8)) & ((1u << depth) - 1);
}

/* Pixel x of a row as brightness *y and opacity *a, both 0..1. */
static int pixel(const png *p, const uint8_t *row, size_t x, float *y, float *a, pn_err *err)
{
    const float top = (float)((1u << p->depth) - 1);
    const size_t c = p->channels;
    if (p->ctype == PALETTE) {
        const unsigned k = sample(row, x, p->depth);
        if (k >= p->n_plte)
            return pn_fail(err, PN_ERR_DATA, "%s: palette index %u beyond the %u colours of "
                           "PLTE (%s)", p->name, k, p->n_plte, FIX);
        *y = (0.299f * p->plte[k][0] + 0.587f * p->plte[k][1] + 0.114f * p->plte[k][2]) / 255.f;
        *a = p->plte[k][3] / 255.f;
        return PN_OK;
    }
    float v[4];
    for (size_t k = 0; k < c; k++)
        v[k] = (float)sample(row, x * c + k, p->depth) / top;
    const int color = p->ctype == RGB || p->ctype == RGBA;
    *y = color ? 0.299f * v[0] + 0.587f * v[1] + 0.114f * v[2] : v[0];
    *a = p->has_alpha && p->ctype != PALETTE ? v[c - 1] : 1.0f;
    return PN_OK;
}

/* Brightness of every pixel into img, transparency composited over the
 * background that contrasts with the visible pixels (image.h). */
static int to_gray(const png *p, const uint8_t *raw, float *alpha, pn_image *img, pn_err *err)
{
    double ink = 0.0, cover = 0.0;
    for (uint32_t r = 0; r < p->h; r++) {
        const uint8_t *row = raw + r * (1 + p->row_bytes) + 1;
        for (size_t x = 0; x < p->w; x++) {
            float y = 0.0f, a = 1.0f;
            int rc = pixel(p, row, x, &y, &a, err);
            if (rc != PN_OK)
                return rc;
            img->gray[r * p->w + x] = y;
            if (alpha)
                alpha[r * p->w + x] = a;
            ink += (double)a * y;
            cover += a;
        }
    }
    if (!alpha)
        return PN_OK;
    const float bg = cover > 0.0 && ink / cover < 0.5 ? 1.0f : 0.0f;
    for (size_t i = 0; i < img->w * img->h; i++)
        img->gray[i] = alpha[i] * img->gray[i] + (1.0f - alpha[i]) * bg;
    return PN_OK;
}

/* The pixels of a PNG whose chunks p has read. */
static int pixels(png *p, pn_image *img, pn_err *err)
{
    uint8_t *raw = NULL;
    float *alpha = NULL;
    int rc = inflate_idat(p, &raw, err);
    if (rc == PN_OK)
        rc = unfilter(p, raw, err);
    if (rc == PN_OK)
        rc = pn_image_alloc(img, p->w, p->h, p->name, err);
    if (rc == PN_OK && p->has_alpha && !(alpha = malloc((size_t)p->w * p->h * sizeof *alpha)))
        rc = pn_fail(err, PN_ERR_RUNTIME, "%s: out of memory for %u x %u pixels", p->name, p->w,
                     p->h);
    if (rc == PN_OK)
        rc = to_gray(p, raw, alpha, img, err);
    if (rc != PN_OK)
        pn_image_free(img);
    free(alpha);
    free(raw);
    return rc;
}

int pn_png_decode(const uint8_t *buf, size_t len, const char *name, pn_image *img, pn_err *err)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    png p;
    memset(&p, 0, sizeof p);
    p.name = name;
    img->gray = NULL;
    img->w = img->h = 0;
    if (len < 8 || memcmp(buf, sig, 8) != 0)
        return pn_fail(err, PN_ERR_DATA, "%s: not a PNG file (bad signature%s) (%s)", name,
                       len >= 8 && memcmp(buf, sig, 4) == 0 ? ": line endings converted by a "
                       "text transfer?" : "", FIX);
    int rc = walk(&p, buf, len, err);
    if (rc != PN_OK)
        return rc;
    p.idat = malloc(p.idat_len ? p.idat_len : 1);
    if (!p.idat)
        return pn_fail(err, PN_ERR_RUNTIME, "%s: out of memory for %zu bytes of image data",
                       name, p.idat_len);
    rc = walk(&p, buf, len, err); /* again, now copying the IDAT data */
    if (rc == PN_OK)
        rc = pixels(&p, img, err);
    free(p.idat);
    return rc;
}
