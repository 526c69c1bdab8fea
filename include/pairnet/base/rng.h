/* A small seedable PRNG (xoshiro256**, seeded through splitmix64), so a round
 * is a pure function of its seed on every platform; rand() is neither
 * portable nor good enough. */
#ifndef PAIRNET_RNG_H
#define PAIRNET_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct pn_rng {
    uint64_t s[4];
} pn_rng;

/* Independent streams of one seed: data draw, initialization, shuffling. */
enum { PN_STREAM_DATA = 1, PN_STREAM_INIT = 2, PN_STREAM_SHUFFLE = 3, PN_STREAM_AUX = 4 };

void pn_rng_seed(pn_rng *r, uint64_t seed, uint64_t stream);
uint64_t pn_rng_u64(pn_rng *r);
/* Uniform in [0, bound), unbiased (Lemire's multiply-and-reject). bound > 0. */
uint64_t pn_rng_below(pn_rng *r, uint64_t bound);
/* Uniform float in [0, 1) with 24 random bits. */
float pn_rng_float(pn_rng *r);
/* Uniform in [-a, a). */
float pn_rng_sym(pn_rng *r, float a);
/* Fisher-Yates: the first k entries of idx[0..n) become a uniform random
 * k-permutation (k = n shuffles all). */
void pn_rng_shuffle(pn_rng *r, size_t *idx, size_t n, size_t k);

#endif
