#include "pairnet/base/rng.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void pn_rng_seed(pn_rng *r, uint64_t seed, uint64_t stream)
{
    /* Mixing the stream in before expansion keeps streams of nearby seeds
     * unrelated: (seed 1, stream 2) and (seed 2, stream 1) differ. */
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t pn_rng_u64(pn_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t pn_rng_below(pn_rng *r, uint64_t bound)
{
    /* 32-bit Lemire is enough for every bound here (< 2^32); larger bounds
     * fall back to rejection on the full word. */
    if (bound <= 0xffffffffULL) {
        uint64_t m = (pn_rng_u64(r) >> 32) * bound;
        uint32_t low = (uint32_t)m;
        if (low < bound) {
            uint32_t thresh = (uint32_t)(-(uint32_t)bound) % (uint32_t)bound;
            while (low < thresh) {
                m = (pn_rng_u64(r) >> 32) * bound;
                low = (uint32_t)m;
            }
        }
        return m >> 32;
    }
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;
    do
        x = pn_rng_u64(r);
    while (x >= limit);
    return x % bound;
}

float pn_rng_float(pn_rng *r) { return (float)(pn_rng_u64(r) >> 40) * (1.0f / 16777216.0f); }

float pn_rng_sym(pn_rng *r, float a) { return (2.0f * pn_rng_float(r) - 1.0f) * a; }

void pn_rng_shuffle(pn_rng *r, size_t *idx, size_t n, size_t k)
{
    if (k > n)
        k = n;
    for (size_t i = 0; i < k && i + 1 < n; i++) {
        size_t j = i + (size_t)pn_rng_below(r, (uint64_t)(n - i));
        size_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}
