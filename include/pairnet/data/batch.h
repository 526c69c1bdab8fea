/* A batch of pairs (src/data/batch.c): the images and labels of n pairs,
 * taken from a pn_pairs in a given order, and the augmentation that moves
 * or warps its images. The batch owns its memory; the trainer binds it to
 * a graph by the names the model declared. */
#ifndef PAIRNET_DATA_BATCH_H
#define PAIRNET_DATA_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/rng.h"
#include "pairnet/data/pairs.h"
#include "pairnet/data/warp.h"

typedef struct pn_batch {
    size_t n, cap;   /* pairs held, room for */
    float *x;        /* [n, 2, 14, 14] */
    uint8_t *target; /* [n] 1 if the first digit <= the second */
    uint8_t *digits; /* [2n]: the first images' classes (digits[0..n)), then the
                      * second images' (digits[n..2n)) */
} pn_batch;

/* Room for cap pairs. 0, or -1 out of memory. */
int pn_batch_alloc(pn_batch *b, size_t cap);
void pn_batch_free(pn_batch *b);

/* The pairs order[0..n) of p (n <= cap). */
void pn_batch_take(pn_batch *b, const pn_pairs *p, const size_t *order, size_t n);
/* The pairs from, ..., from + n - 1 of p (n <= cap). */
void pn_batch_slice(pn_batch *b, const pn_pairs *p, size_t from, size_t n);

/* Moves every image by (dx, dy) pixels (a view of test-time augmentation);
 * uncovered pixels get fill (the background value). */
void pn_batch_shift(pn_batch *b, int dx, int dy, float fill);
/* Moves each image by its own dx, dy drawn uniformly from [-shift, shift]
 * (dx then dy, image by image, from rng). */
void pn_batch_shift_random(pn_batch *b, size_t shift, float fill, pn_rng *rng);
/* Warps each image (pn_image_warp with w), image by image from rng. */
void pn_batch_warp(pn_batch *b, const pn_warp_cfg *w, float fill, pn_rng *rng);

#endif
