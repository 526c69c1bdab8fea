/* The whole data layer: MNIST input through our own gzip, IDX files, the
 * 14x14 digit sets, the pairs of one round and their augmentation. Code that
 * needs one part may include just its header. */
#ifndef PAIRNET_DATA_H
#define PAIRNET_DATA_H

#include "pairnet/data/gzip.h"
#include "pairnet/data/idx.h"
#include "pairnet/data/mnist.h"
#include "pairnet/data/pairs.h"
#include "pairnet/data/augment.h"

#endif
