/* MNIST as 14x14 digits (src/data/mnist.c). */
#ifndef PAIRNET_DATA_MNIST_H
#define PAIRNET_DATA_MNIST_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"

#define PN_SIDE 14
#define PN_PIXELS (PN_SIDE * PN_SIDE) /* 196 */

typedef struct pn_digits {
    size_t n;
    uint16_t *quarters; /* [n, 196]: 2x2 sums of 0..255 pixels, i.e. 4 * mean */
    uint8_t *labels;    /* [n] */
} pn_digits;

/* One of the four files as it was read: its name in the folder (".gz"
 * or not: whichever pn_mnist_load took) and the MD5 of its bytes as they
 * are on disk, which the provenance of every table names. */
enum { PN_MNIST_FILES = 4 };
typedef struct pn_mnist_file {
    char name[32]; /* "train-images-idx3-ubyte.gz"; "" when unknown */
    char md5[33];
} pn_mnist_file;

typedef struct pn_mnist {
    pn_digits train; /* 60000 */
    pn_digits test;  /* 10000 */
    /* train images, train labels, test images, test labels */
    pn_mnist_file files[PN_MNIST_FILES];
} pn_mnist;

/* The data directory: `opt` if given, else $PAIRNET_DATA, else data/mnist. */
const char *pn_mnist_dir(const char *opt);

/* Loads the four standard files (".gz" or uncompressed) from dir, checks
 * 28x28 and that images and labels agree, and pools to 14x14. */
int pn_mnist_load(const char *dir, pn_mnist *m, pn_err *err);
void pn_mnist_free(pn_mnist *m);
/* The files pn_mnist_load would read from dir, named and checksummed
 * without loading them (a table written from rounds of the store). */
int pn_mnist_digest(const char *dir, pn_mnist_file files[PN_MNIST_FILES], pn_err *err);

/* Pools one 28x28 image to 14x14 quarter-units. */
void pn_downsample(const uint8_t *img28, uint16_t *out14);

#endif
