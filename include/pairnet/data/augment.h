/* Augmentation from the training pairs only (src/data/augment.c). */
#ifndef PAIRNET_DATA_AUGMENT_H
#define PAIRNET_DATA_AUGMENT_H

#include <stddef.h>

#include "pairnet/base/rng.h"
#include "pairnet/data/pairs.h"

/* dst (allocated for src->n pairs) receives the 2n images of src in a fresh
 * uniform random order, paired (0,1), (2,3), ...; targets recomputed from the
 * classes. perm: scratch of 2n entries. */
void pn_pairs_repair(pn_pairs *dst, const pn_pairs *src, size_t *perm, pn_rng *rng);
/* Swaps the two images of each pair with probability 1/2 (target recomputed:
 * a swapped pair of equal digits stays 1). */
void pn_pairs_swap(pn_pairs *p, pn_rng *rng);
/* out = in moved right by dx and down by dy pixels (negative: left/up);
 * uncovered pixels get fill (the background value). out != in. */
void pn_image_shift(float *out, const float *in, int dx, int dy, float fill);

#endif
