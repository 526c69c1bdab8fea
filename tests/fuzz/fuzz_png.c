/* libFuzzer harness for the picture readers of `pairnet predict`: the bytes
 * go to pn_png_decode, pn_pgm_decode and pn_image_decode (which picks one by
 * the first bytes), and a picture that decodes goes on through the digit
 * preprocessing (pn_digit_from_image). Besides the sanitizers it checks the
 * error contract (a failure sets err.code to the returned code, writes a
 * one-line message and leaves no pixels behind) and that a success is within
 * the limits, every brightness in [0, 1]. Each input is also tried with
 * the CRC of every whole chunk rewritten, so that mutations reach past the
 * CRC check into IHDR, PLTE, the zlib stream and the filters.
 *
 * Built and run by `make fuzz-png` (mk/fuzz.mk). */
#include <stdlib.h>
#include <string.h>

#include "pairnet/base/crc32.h"
#include "pairnet/data/digit_image.h"
#include "pairnet/data/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
    if (!cond)
        abort();
}

static void check_failure(int rc, const pn_err *err, const pn_image *img)
{
    require(rc == PN_ERR_DATA || rc == PN_ERR_RUNTIME);
    require(err->code == rc);
    require(err->msg[0] != '\0' && !strchr(err->msg, '\n'));
    require(img->gray == NULL && img->w == 0 && img->h == 0);
}

static void check_image(const pn_image *img)
{
    require(img->gray && img->w >= 1 && img->h >= 1);
    require(img->w <= PN_IMAGE_MAX_SIDE && img->h <= PN_IMAGE_MAX_SIDE);
    require(img->w * img->h <= PN_IMAGE_MAX_PIXELS);
    for (size_t i = 0; i < img->w * img->h; i++)
        require(img->gray[i] >= 0.0f && img->gray[i] <= 1.0f);
    uint8_t out[PN_DIGIT_CANVAS * PN_DIGIT_CANVAS];
    pn_err err = {0, ""};
    const int rc = pn_digit_from_image(img, out, "fuzz", &err);
    require(rc == PN_OK || (rc == err.code && err.msg[0] && !strchr(err.msg, '\n')));
}

/* A copy of a PNG with the CRC of every whole chunk made right (malloc'ed;
 * NULL if it has no PNG signature or no memory). */
static uint8_t *fix_crcs(const uint8_t *data, size_t size)
{
    if (size < 8 || memcmp(data, "\x89PNG", 4) != 0)
        return NULL;
    uint8_t *b = malloc(size);
    if (!b)
        return NULL;
    memcpy(b, data, size);
    for (size_t at = 8; size - at >= 12;) {
        const size_t n = (size_t)b[at] << 24 | (size_t)b[at + 1] << 16 | (size_t)b[at + 2] << 8 |
                         b[at + 3];
        if (n > size - at - 12)
            break;
        const uint32_t c = pn_crc32(0, b + at + 4, n + 4);
        for (int k = 0; k < 4; k++)
            b[at + 8 + n + (size_t)k] = (uint8_t)(c >> (24 - 8 * k));
        at += 12 + n;
    }
    return b;
}

typedef int (*decoder)(const uint8_t *, size_t, const char *, pn_image *, pn_err *);

static void decode_all(const uint8_t *data, size_t size)
{
    static const decoder dec[3] = {pn_image_decode, pn_png_decode, pn_pgm_decode};
    for (int k = 0; k < 3; k++) {
        pn_image img;
        pn_err err = {0, ""};
        const int rc = dec[k](data, size, "fuzz", &img, &err);
        if (rc == PN_OK) {
            check_image(&img);
            pn_image_free(&img);
        } else {
            check_failure(rc, &err, &img);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode_all(data, size);
    uint8_t *fixed = fix_crcs(data, size);
    if (fixed)
        decode_all(fixed, size);
    free(fixed);
    return 0;
}
