/* libFuzzer harness for the picture readers of `pairnet predict`: the bytes
 * go to pn_png_decode, pn_pgm_decode and pn_image_decode (which picks one by
 * the first bytes), and a picture that decodes goes on through the digit
 * preprocessing (pn_digit_from_image). Besides the sanitizers it checks the
 * error contract (a failure sets err.code to the returned code, writes a
 * one-line message and leaves no pixels behind) and that a success is within
 * the limits, every brightness in [0, 1].
 *
 * Built and run by `make fuzz-png` (mk/fuzz.mk). */
#include <stdlib.h>
#include <string.h>

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

typedef int (*decoder)(const uint8_t *, size_t, const char *, pn_image *, pn_err *);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
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
    return 0;
}
