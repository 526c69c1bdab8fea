/* What the two image readers share: the size limits, the pixel buffer, and
 * choosing the reader by the file's first bytes. */
#include "pairnet/data/image.h"
#include "pairnet/base/file.h"

#include <stdlib.h>
#include <string.h>

int pn_image_alloc(pn_image *img, size_t w, size_t h, const char *name, pn_err *err)
{
    img->w = img->h = 0;
    img->gray = NULL;
    if (w == 0 || h == 0)
        return pn_fail(err, PN_ERR_DATA, "%s: the image is %zu x %zu pixels, it has none", name,
                       w, h);
    if (w > PN_IMAGE_MAX_SIDE || h > PN_IMAGE_MAX_SIDE || w * h > PN_IMAGE_MAX_PIXELS)
        return pn_fail(err, PN_ERR_DATA, "%s: the image is %zu x %zu pixels, more than pairnet "
                       "reads (at most %u per side and %u in all): scale it down", name, w, h,
                       PN_IMAGE_MAX_SIDE, PN_IMAGE_MAX_PIXELS);
    img->gray = malloc(w * h * sizeof *img->gray);
    if (!img->gray)
        return pn_fail(err, PN_ERR_RUNTIME, "%s: out of memory for %zu x %zu pixels", name, w, h);
    img->w = w;
    img->h = h;
    return PN_OK;
}

void pn_image_free(pn_image *img)
{
    free(img->gray);
    img->gray = NULL;
    img->w = img->h = 0;
}

int pn_image_decode(const uint8_t *buf, size_t len, const char *name, pn_image *img,
                    pn_err *err)
{
    static const uint8_t png_sig[4] = {0x89, 'P', 'N', 'G'};
    img->gray = NULL;
    img->w = img->h = 0;
    if (len >= 4 && memcmp(buf, png_sig, 4) == 0)
        return pn_png_decode(buf, len, name, img, err);
    if (len >= 2 && buf[0] == 'P' && (buf[1] == '2' || buf[1] == '5'))
        return pn_pgm_decode(buf, len, name, img, err);
    if (len >= 2 && buf[0] == 'P' && buf[1] >= '1' && buf[1] <= '7')
        return pn_fail(err, PN_ERR_DATA, "%s: a Netpbm P%c file; pairnet reads gray PGM (P2, "
                       "P5) and PNG: convert it (e.g. pnmtopng, or `convert` to .pgm)", name,
                       buf[1]);
    return pn_fail(err, PN_ERR_DATA, "%s: neither PNG nor PGM (by its first bytes): save the "
                   "digit as .png or .pgm", name);
}

int pn_image_load(const char *path, pn_image *img, pn_err *err)
{
    size_t len = 0;
    int missing = 0;
    img->gray = NULL;
    img->w = img->h = 0;
    char *buf = pn_read_file(path, "image", PN_IMAGE_MAX_FILE, &len, &missing, err);
    if (!buf)
        return missing ? pn_fail(err, PN_ERR_DATA, "%s: no such image file", path) : err->code;
    const int rc = pn_image_decode((const uint8_t *)buf, len, path, img, err);
    free(buf);
    return rc;
}
