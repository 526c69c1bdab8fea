/* A user's picture read from a PGM (src/data/pgm.c) or PNG (src/data/png.c)
 * file, reduced to what digit preprocessing (digit_image.h) needs: one
 * brightness per pixel. Both readers are strict: anything malformed or
 * beyond their limits is refused with one line naming the problem
 * (PN_ERR_DATA), never guessed at. */
#ifndef PAIRNET_DATA_IMAGE_H
#define PAIRNET_DATA_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"

/* Limits: a side of at most PN_IMAGE_MAX_SIDE pixels and at most
 * PN_IMAGE_MAX_PIXELS in all (a 16-bit RGBA PNG of that size inflates to
 * 128 MiB, its brightness takes 64 MiB), from a file of at most
 * PN_IMAGE_MAX_FILE bytes. A photo of a digit is far smaller. */
#define PN_IMAGE_MAX_SIDE 8192u
#define PN_IMAGE_MAX_PIXELS (4096u * 4096u)
#define PN_IMAGE_MAX_FILE ((size_t)64 << 20)

typedef struct pn_image {
    size_t w, h;
    float *gray; /* [h, w] row-major, 0 black .. 1 white; malloc'ed */
} pn_image;

/* Decoders of a whole file held in memory (name for messages). On failure
 * img->gray is NULL. PNG colour becomes brightness by ITU-R BT.601
 * (0.299 R + 0.587 G + 0.114 B, as most image libraries convert to gray);
 * transparency is composited over a background that contrasts with the
 * visible pixels: white when they are dark on average (weighted by their
 * opacity), else black. So black ink on a transparent canvas reads as black
 * on white, white ink as white on black. */
int pn_png_decode(const uint8_t *buf, size_t len, const char *name, pn_image *img, pn_err *err);
int pn_pgm_decode(const uint8_t *buf, size_t len, const char *name, pn_image *img, pn_err *err);
/* Either of the two, by the file's first bytes. */
int pn_image_decode(const uint8_t *buf, size_t len, const char *name, pn_image *img,
                    pn_err *err);
/* pn_image_decode of the file at path (at most PN_IMAGE_MAX_FILE bytes). */
int pn_image_load(const char *path, pn_image *img, pn_err *err);

/* A P5 PGM of w x h samples 0..maxval (two big-endian bytes each when
 * maxval > 255), malloc'ed into *out; PN_ERR_RUNTIME out of memory. */
int pn_pgm_encode(const uint16_t *pix, size_t w, size_t h, unsigned maxval, uint8_t **out,
                  size_t *len, pn_err *err);

/* img->gray of w x h pixels (uninitialized), after checking the limits;
 * PN_ERR_DATA for a size out of range, PN_ERR_RUNTIME out of memory. */
int pn_image_alloc(pn_image *img, size_t w, size_t h, const char *name, pn_err *err);
void pn_image_free(pn_image *img);

#endif
