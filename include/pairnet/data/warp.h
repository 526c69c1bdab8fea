/* Stronger augmentation of single digits (src/data/warp.c): a random affine
 * map (rotation, isotropic scale, shear, sub-pixel translation) plus an
 * elastic distortion (Simard, Steinkraus and Platt 2003: a random
 * displacement field, uniform in [-1, 1] per pixel and coordinate, smoothed
 * by a Gaussian of sigma pixels and scaled by alpha), resampled bilinearly.
 * Applied to training images only; every draw comes from the caller's rng,
 * so a round stays a pure function of its seed whatever the thread count. */
#ifndef PAIRNET_DATA_WARP_H
#define PAIRNET_DATA_WARP_H

#include "pairnet/base/rng.h"

/* The elastic field's sigma that elastic_sigma 0 stands for (pixels;
 * Simard's 4 at 28 px). */
#define PN_WARP_ELASTIC_SIGMA 2.0f

/* All zero: no warp (and no rng draw). */
typedef struct pn_warp_cfg {
    float rotate;        /* degrees: uniform in [-rotate, rotate) */
    float scale;         /* factor uniform in [1 - scale, 1 + scale) */
    float shear;         /* degrees: uniform in [-shear, shear) */
    float translate;     /* pixels, x and y each uniform in [-translate, translate) */
    float elastic;       /* alpha of the displacement field (pixels), 0: none */
    float elastic_sigma; /* sigma of its Gaussian (pixels; 0: PN_WARP_ELASTIC_SIGMA) */
} pn_warp_cfg;

/* Nonzero if c changes images. */
int pn_warp_active(const pn_warp_cfg *c);

/* out[y][x] = in sampled bilinearly at (cx + m00 u + m01 v + tx + fx[y][x],
 * cy + m10 u + m11 v + ty + fy[y][x]), with u = x - cx, v = y - cy and
 * (cx, cy) the image centre; fx, fy may be NULL (no displacement). Samples
 * outside the image read fill. out != in. */
void pn_image_affine(float *out, const float *in, const float m[4], float tx, float ty,
                     const float *fx, const float *fy, float fill);

/* A Gaussian smoothing (sigma pixels, radius ceil(3 sigma), borders
 * clamped) of the PN_SIDE x PN_SIDE field f, in place. */
void pn_field_smooth(float *f, float sigma);

/* out = in under one random warp of c drawn from rng (in order: rotation,
 * scale, shear, translation x, y, then the two displacement fields; only
 * the parts c enables draw). out != in. */
void pn_image_warp(float *out, const float *in, const pn_warp_cfg *c, float fill, pn_rng *rng);

#endif
