/* MNIST input: gzip (own inflate), IDX files, the 14x14 digit sets, and the
 * pairs of one round. */
#ifndef PAIRNET_DATA_H
#define PAIRNET_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"
#include "pairnet/base/rng.h"

/* ---- gzip / deflate (src/data/inflate.c) ---- */


/* Decompresses a complete gzip member (RFC 1952 around RFC 1951 deflate).
 * Checks header, every block, CRC-32 and ISIZE, and refuses output larger
 * than max_out bytes. On success *out is malloc'ed (caller frees). `name` is
 * used in error messages only. Returns 0 or PN_ERR_DATA / PN_ERR_RUNTIME. */
int pn_gunzip(const uint8_t *in, size_t in_len, size_t max_out, uint8_t **out,
              size_t *out_len, const char *name, pn_err *err);

/* ---- IDX files (src/data/idx.c) ---- */

typedef struct pn_idx {
    size_t ndims;   /* 1 for labels, 3 for images */
    size_t dims[3]; /* dims[0] = item count; images: rows, cols */
    uint8_t *data;  /* dims[0] * dims[1] * ... bytes, malloc'ed */
} pn_idx;

/* Reads an IDX file of unsigned bytes (type 0x08), gzip-compressed (detected
 * by its magic bytes) or raw. expect_ndims is 1 or 3; anything else in the
 * file (wrong magic, wrong dimension count, zero dims, fewer or more bytes
 * than the header promises) is refused with a message naming the file. */
int pn_idx_read(const char *path, size_t expect_ndims, pn_idx *out, pn_err *err);
/* The same checks on uncompressed IDX bytes already in memory (used by
 * pn_idx_read's tests and the fuzz harness); out->data is a malloc'ed copy
 * of the payload. `name` is used in error messages only. */
int pn_idx_parse(const uint8_t *buf, size_t len, size_t expect_ndims, pn_idx *out,
                 const char *name, pn_err *err);
void pn_idx_free(pn_idx *idx);

/* ---- MNIST as 14x14 digits (src/data/mnist.c) ---- */

#define PN_SIDE 14
#define PN_PIXELS (PN_SIDE * PN_SIDE) /* 196 */

typedef struct pn_digits {
    size_t n;
    uint16_t *quarters; /* [n, 196]: 2x2 sums of 0..255 pixels, i.e. 4 * mean */
    uint8_t *labels;    /* [n] */
} pn_digits;

typedef struct pn_mnist {
    pn_digits train; /* 60000 */
    pn_digits test;  /* 10000 */
} pn_mnist;

/* The data directory: `opt` if given, else $PAIRNET_DATA, else data/mnist. */
const char *pn_mnist_dir(const char *opt);

/* Loads the four standard files (".gz" or uncompressed) from dir, checks
 * 28x28 and that images and labels agree, and pools to 14x14. */
int pn_mnist_load(const char *dir, pn_mnist *m, pn_err *err);
void pn_mnist_free(pn_mnist *m);

/* Pools one 28x28 image to 14x14 quarter-units. */
void pn_downsample(const uint8_t *img28, uint16_t *out14);

/* ---- pairs of one round (src/data/pairs.c) ---- */

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

/* Mean and sample standard deviation of every pixel of p. */
void pn_pairs_stats(const pn_pairs *p, double *mean, double *std);
/* x = (x - mean) / std for every pixel. */
void pn_pairs_standardize(pn_pairs *p, double mean, double std);

/* ---- augmentation from the training pairs only (src/data/augment.c) ---- */

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
