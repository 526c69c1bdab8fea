/* A user's picture of one digit brought to MNIST's form (src/data/
 * digit_image.c; docs/predict.md says why each step is what it is):
 *   1. polarity: the median of the border pixels is the background; a light
 *      one (> 1/2) means dark ink, and the picture is inverted, so that the
 *      digit is white on black as in MNIST;
 *   2. background level: that median becomes 0 and white stays 1 (paper
 *      photographed gray is black, not dim ink);
 *   3. crop to the bounding box of the ink (pixels above PN_DIGIT_INK);
 *   4. scale to fit PN_DIGIT_BOX x PN_DIGIT_BOX, keeping the aspect ratio,
 *      by area averaging (each output pixel the mean of the input area it
 *      covers);
 *   5. place in PN_DIGIT_CANVAS x PN_DIGIT_CANVAS so that the centre of mass
 *      falls on pixel (14, 14), as in MNIST (moved by whole pixels, kept
 *      inside), 0..255;
 * then, as MNIST itself, pn_downsample (mnist.h) to the protocol's 14x14. */
#ifndef PAIRNET_DATA_DIGIT_IMAGE_H
#define PAIRNET_DATA_DIGIT_IMAGE_H

#include <stdint.h>

#include "pairnet/base/error.h"
#include "pairnet/data/image.h"

#define PN_DIGIT_CANVAS 28
#define PN_DIGIT_BOX 20
#define PN_DIGIT_INK 0.1f /* ink: above this after steps 1-2 (0 background, 1 white) */

/* Steps 1-5 into out (28 x 28, row-major). A picture without ink is
 * refused (PN_ERR_DATA: "no digit"); name is for messages. */
int pn_digit_from_image(const pn_image *img, uint8_t out[PN_DIGIT_CANVAS * PN_DIGIT_CANVAS],
                        const char *name, pn_err *err);

#endif
