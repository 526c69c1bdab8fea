/* The pairs of one round (src/data/pairs.c). */
#ifndef PAIRNET_DATA_PAIRS_H
#define PAIRNET_DATA_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"
#include "pairnet/base/rng.h"
#include "pairnet/data/mnist.h"

typedef struct pn_pairs {
    size_t n;
    float *x;        /* [n, 2, 14, 14], standardized */
    uint8_t *digit;  /* [n, 2] classes of the two images */
    uint8_t *target; /* [n] 1 if digit[0] <= digit[1] */
    size_t *index;   /* [n, 2] indices into the source set (for tests) */
} pn_pairs;

/* Draws n pairs from set: the first 2n entries of a uniform random
 * permutation; x holds raw pixel values (0..255). */
int pn_pairs_draw(const pn_digits *set, size_t n, pn_rng *rng, pn_pairs *out, pn_err *err);
void pn_pairs_free(pn_pairs *p);
/* Room for n pairs (contents undefined); 0, or -1 out of memory. */
int pn_pairs_alloc(pn_pairs *p, size_t n);
/* Image slot (2 * pair + 0 or 1) of p: the raw pixel values of the 14x14
 * quarter-unit digit q. */
void pn_pairs_set_image(pn_pairs *p, size_t slot, const uint16_t *q);
/* dst (allocated for at least src->n pairs) = src. */
void pn_pairs_copy(pn_pairs *dst, const pn_pairs *src);

/* Mean and sample standard deviation of every pixel of p. */
void pn_pairs_stats(const pn_pairs *p, double *mean, double *std);
/* x = (x - mean) / std for every pixel. */
void pn_pairs_standardize(pn_pairs *p, double mean, double std);

#endif
