#include "test.h"

#include <stdlib.h>

#include "pairnet/base/rng.h"

static void rng_same_seed_same_stream(void)
{
    pn_rng a, b, c;
    pn_rng_seed(&a, 7, PN_STREAM_DATA);
    pn_rng_seed(&b, 7, PN_STREAM_DATA);
    pn_rng_seed(&c, 7, PN_STREAM_INIT);
    int same = 1, differ = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = pn_rng_u64(&a), y = pn_rng_u64(&b), z = pn_rng_u64(&c);
        same &= x == y;
        differ |= x != z;
    }
    CHECK(same);
    CHECK(differ);
}

static void rng_below_is_uniform(void)
{
    /* 7 buckets, 70000 draws: each count within 5 sigma of 10000. */
    pn_rng r;
    size_t count[7] = {0};
    pn_rng_seed(&r, 1, 0);
    for (int i = 0; i < 70000; i++) {
        uint64_t v = pn_rng_below(&r, 7);
        CHECK(v < 7);
        if (v < 7)
            count[v]++;
    }
    for (int k = 0; k < 7; k++)
        CHECK_MSG(count[k] > 9535 && count[k] < 10465, "bucket %d has %zu", k, count[k]);
}

static void rng_float_range(void)
{
    pn_rng r;
    pn_rng_seed(&r, 3, 0);
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        float f = pn_rng_float(&r);
        CHECK(f >= 0.0f && f < 1.0f);
        float s = pn_rng_sym(&r, 0.5f);
        CHECK(s >= -0.5f && s < 0.5f);
        sum += f;
    }
    CHECK_NEAR(sum / 100000, 0.5, 0.01);
}

static void rng_shuffle_is_permutation(void)
{
    pn_rng r;
    size_t idx[100], seen[100] = {0};
    pn_rng_seed(&r, 5, 0);
    for (size_t i = 0; i < 100; i++)
        idx[i] = i;
    pn_rng_shuffle(&r, idx, 100, 100);
    size_t moved = 0;
    for (size_t i = 0; i < 100; i++) {
        CHECK(idx[i] < 100);
        if (idx[i] < 100)
            seen[idx[i]]++;
        moved += idx[i] != i;
    }
    for (size_t i = 0; i < 100; i++)
        CHECK(seen[i] == 1);
    CHECK(moved > 80);
}

void suite_rng(void)
{
    RUN(rng_same_seed_same_stream);
    RUN(rng_below_is_uniform);
    RUN(rng_float_range);
    RUN(rng_shuffle_is_permutation);
}
