/* PGM, Netpbm's gray map (netpbm.sourceforge.net/doc/pgm.html): "P2"
 * (plain: decimal samples) or "P5" (raw: one byte per sample, two big-endian
 * bytes when maxval > 255), then width, height and maxval (1..65535) as
 * decimal numbers separated by whitespace, with "#" comments to the end of
 * a line anywhere before maxval. 0 is black, maxval white. One image per
 * file: anything but whitespace after it is refused, so is a sample above
 * maxval. */
#include "pairnet/data/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cursor {
    const uint8_t *p;
    size_t n, at;
    const char *name;
} cursor;

static int is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
                                        c == '\v' || c == '\f'; }

/* Skips whitespace and comments. */
static void skip_blank(cursor *c)
{
    while (c->at < c->n) {
        if (is_space(c->p[c->at]))
            c->at++;
        else if (c->p[c->at] == '#')
            while (c->at < c->n && c->p[c->at] != '\n' && c->p[c->at] != '\r')
                c->at++;
        else
            break;
    }
}

/* The next decimal number (at most max) into *v; what names it. */
static int number(cursor *c, unsigned long max, const char *what, unsigned long *v,
                  pn_err *err)
{
    skip_blank(c);
    if (c->at == c->n)
        return pn_fail(err, PN_ERR_DATA, "%s: truncated PGM: the file ends before the %s",
                       c->name, what);
    if (c->p[c->at] < '0' || c->p[c->at] > '9')
        return pn_fail(err, PN_ERR_DATA, "%s: PGM %s expected, found byte 0x%02x at offset %zu",
                       c->name, what, c->p[c->at], c->at);
    unsigned long x = 0;
    while (c->at < c->n && c->p[c->at] >= '0' && c->p[c->at] <= '9') {
        x = x * 10 + (unsigned long)(c->p[c->at++] - '0');
        if (x > max)
            return pn_fail(err, PN_ERR_DATA, "%s: PGM %s is larger than %lu", c->name, what,
                           max);
    }
    *v = x;
    return PN_OK;
}

/* The samples of a P2 file, after its header. */
static int plain_samples(cursor *c, unsigned long maxval, pn_image *img, pn_err *err)
{
    const size_t n = img->w * img->h;
    for (size_t i = 0; i < n; i++) {
        unsigned long v;
        int rc = number(c, 65535, "sample", &v, err);
        if (rc != PN_OK)
            return rc;
        if (v > maxval)
            return pn_fail(err, PN_ERR_DATA, "%s: PGM sample %zu is %lu, above maxval %lu",
                           c->name, i, v, maxval);
        img->gray[i] = (float)v / (float)maxval;
    }
    skip_blank(c);
    return PN_OK;
}

/* The samples of a P5 file, after the one whitespace byte that ends maxval. */
static int raw_samples(cursor *c, unsigned long maxval, pn_image *img, pn_err *err)
{
    const size_t n = img->w * img->h, bps = maxval > 255 ? 2 : 1;
    if (c->n - c->at < n * bps)
        return pn_fail(err, PN_ERR_DATA, "%s: truncated PGM: %zu bytes of samples, %zu x %zu "
                       "pixels need %zu", c->name, c->n - c->at, img->w, img->h, n * bps);
    const uint8_t *s = c->p + c->at;
    for (size_t i = 0; i < n; i++) {
        const unsigned long v = bps == 2 ? (unsigned long)s[2 * i] << 8 | s[2 * i + 1] : s[i];
        if (v > maxval)
            return pn_fail(err, PN_ERR_DATA, "%s: PGM sample %zu is %lu, above maxval %lu",
                           c->name, i, v, maxval);
        img->gray[i] = (float)v / (float)maxval;
    }
    c->at += n * bps;
    return PN_OK;
}

int pn_pgm_decode(const uint8_t *buf, size_t len, const char *name, pn_image *img, pn_err *err)
{
    cursor c = {buf, len, 0, name};
    img->gray = NULL;
    img->w = img->h = 0;
    if (len < 2 || buf[0] != 'P' || (buf[1] != '2' && buf[1] != '5'))
        return pn_fail(err, PN_ERR_DATA, "%s: not a PGM file (it must start with P2 or P5)",
                       name);
    const int raw = buf[1] == '5';
    c.at = 2;
    if (c.at < len && !is_space(buf[c.at]) && buf[c.at] != '#')
        return pn_fail(err, PN_ERR_DATA, "%s: not a PGM file (P%c is not followed by "
                       "whitespace)", name, buf[1]);
    unsigned long w, h, maxval;
    int rc = number(&c, PN_IMAGE_MAX_SIDE * 16ul, "width", &w, err);
    if (rc == PN_OK)
        rc = number(&c, PN_IMAGE_MAX_SIDE * 16ul, "height", &h, err);
    if (rc == PN_OK)
        rc = number(&c, 65535, "maxval", &maxval, err);
    if (rc == PN_OK && maxval == 0)
        rc = pn_fail(err, PN_ERR_DATA, "%s: PGM maxval is 0 (it must be 1..65535)", name);
    if (rc == PN_OK && (c.at == len || !is_space(buf[c.at])))
        rc = pn_fail(err, PN_ERR_DATA, c.at == len ? "%s: truncated PGM: no samples after the "
                     "header" : "%s: PGM maxval is not followed by whitespace", name);
    if (rc == PN_OK)
        rc = pn_image_alloc(img, w, h, name, err);
    if (rc != PN_OK)
        return rc;
    c.at++; /* the one whitespace byte after maxval */
    rc = raw ? raw_samples(&c, maxval, img, err) : plain_samples(&c, maxval, img, err);
    if (rc == PN_OK && c.at != len)
        rc = pn_fail(err, PN_ERR_DATA, "%s: %zu bytes after the PGM image (several images in "
                     "one file are not read: save one digit per file)", name, len - c.at);
    if (rc != PN_OK)
        pn_image_free(img);
    return rc;
}

int pn_pgm_encode(const uint16_t *pix, size_t w, size_t h, unsigned maxval, uint8_t **out,
                  size_t *len, pn_err *err)
{
    char head[64];
    const int hn = snprintf(head, sizeof head, "P5\n%zu %zu\n%u\n", w, h, maxval);
    const size_t bps = maxval > 255 ? 2 : 1, n = (size_t)hn + w * h * bps;
    uint8_t *b = malloc(n);
    *out = NULL;
    *len = 0;
    if (!b)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory for a %zu x %zu PGM", w, h);
    memcpy(b, head, (size_t)hn);
    uint8_t *s = b + hn;
    for (size_t i = 0; i < w * h; i++) {
        if (bps == 2)
            *s++ = (uint8_t)(pix[i] >> 8);
        *s++ = (uint8_t)pix[i];
    }
    *out = b;
    *len = n;
    return PN_OK;
}
