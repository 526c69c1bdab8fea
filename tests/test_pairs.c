/* The pairs of a round (specification, "Data protocol"): on a small
 * synthetic digit set whose every digit has a recognizable pixel pattern,
 * then on the real MNIST files if they are present. */
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/data/data.h"
#include "pairnet/base/rng.h"
#include "pairnet/train/train.h"

enum { SYN_N = 50 };

/* Digit i has label (3i + 1) % 10 and pixels (97 i + 13 p) % 1021, so every
 * digit's first pixels identify it (values 0..1020 = 4 * 255 at most). */
static void synthetic(pn_digits *d, uint16_t *q, uint8_t *labels)
{
    for (size_t i = 0; i < SYN_N; i++) {
        labels[i] = (uint8_t)((3 * i + 1) % 10);
        for (size_t p = 0; p < PN_PIXELS; p++)
            q[i * PN_PIXELS + p] = (uint16_t)((97 * i + 13 * p) % 1021);
    }
    d->n = SYN_N;
    d->quarters = q;
    d->labels = labels;
}

static uint16_t syn_q[SYN_N * PN_PIXELS];
static uint8_t syn_labels[SYN_N];

static int draw(const pn_digits *set, size_t n, uint64_t seed, pn_pairs *p)
{
    pn_rng r;
    pn_err err = {0, ""};
    pn_rng_seed(&r, seed, PN_STREAM_DATA);
    int rc = pn_pairs_draw(set, n, &r, p, &err);
    CHECK_MSG(rc == PN_OK, "draw %zu from %zu: %s", n, set->n, err.msg);
    return rc;
}

/* Every pair element is the right source digit: pixels quarters/4, class,
 * target = class1 <= class2, and no source index appears twice. Returns the
 * number of problems (reported). */
static size_t check_pairs(const pn_digits *set, const pn_pairs *p, size_t n)
{
    size_t bad_shape = p->n != n, bad_idx = 0, dup = 0, bad_px = 0, bad_digit = 0, bad_t = 0;
    unsigned char *seen = calloc(set->n, 1);
    for (size_t j = 0; j < 2 * p->n && !bad_shape; j++) {
        const size_t k = p->index[j];
        if (k >= set->n) {
            bad_idx++;
            continue;
        }
        dup += seen[k]++ != 0;
        bad_digit += p->digit[j] != set->labels[k];
        for (size_t q = 0; q < PN_PIXELS; q++)
            bad_px += p->x[j * PN_PIXELS + q] != 0.25f * (float)set->quarters[k * PN_PIXELS + q];
    }
    for (size_t i = 0; i < p->n && !bad_shape; i++)
        bad_t += p->target[i] != (p->digit[2 * i] <= p->digit[2 * i + 1] ? 1 : 0);
    free(seen);
    CHECK_MSG(!bad_shape, "%zu pairs, want %zu", p->n, n);
    CHECK_MSG(bad_idx == 0 && dup == 0, "%zu indices out of range, %zu drawn twice", bad_idx, dup);
    CHECK_MSG(bad_px == 0, "%zu pixels differ from their source digit", bad_px);
    CHECK_MSG(bad_digit == 0 && bad_t == 0, "%zu classes and %zu targets wrong", bad_digit, bad_t);
    return bad_shape + bad_idx + dup + bad_px + bad_digit + bad_t;
}

static void pairs_draw_synthetic(void)
{
    pn_digits set;
    synthetic(&set, syn_q, syn_labels);
    static const size_t ns[] = {1, 7, 20, 25}; /* 25: the whole set */
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
        pn_pairs p;
        if (draw(&set, ns[t], 3 + t, &p) != PN_OK)
            continue;
        check_pairs(&set, &p, ns[t]);
        pn_pairs_free(&p);
    }
    /* both target values occur in a draw of the whole set */
    pn_pairs p;
    if (draw(&set, 25, 1, &p) == PN_OK) {
        size_t ones = 0;
        for (size_t i = 0; i < p.n; i++)
            ones += p.target[i];
        CHECK_MSG(ones > 0 && ones < p.n, "%zu of %zu targets are 1", ones, p.n);
        pn_pairs_free(&p);
    }
}

static void pairs_draw_deterministic(void)
{
    pn_digits set;
    synthetic(&set, syn_q, syn_labels);
    pn_pairs a, b, c;
    if (draw(&set, 20, 42, &a) != PN_OK)
        return;
    if (draw(&set, 20, 42, &b) == PN_OK) {
        CHECK(memcmp(a.index, b.index, 40 * sizeof *a.index) == 0);
        CHECK(memcmp(a.x, b.x, 40 * PN_PIXELS * sizeof *a.x) == 0);
        CHECK(memcmp(a.target, b.target, 20) == 0);
        pn_pairs_free(&b);
    }
    if (draw(&set, 20, 43, &c) == PN_OK) {
        CHECK(memcmp(a.index, c.index, 40 * sizeof *a.index) != 0);
        pn_pairs_free(&c);
    }
    pn_pairs_free(&a);
}

/* The drawn indices are a uniform random 2n-prefix of a permutation: over
 * many seeds every index appears about equally often at every position. */
static void pairs_draw_uniform(void)
{
    pn_digits set;
    synthetic(&set, syn_q, syn_labels);
    enum { DRAWS = 5000, POS = 4 };
    static size_t count[POS][SYN_N];
    memset(count, 0, sizeof count);
    for (uint64_t s = 0; s < DRAWS; s++) {
        pn_pairs p;
        if (draw(&set, POS / 2, s, &p) != PN_OK)
            return;
        for (size_t j = 0; j < POS; j++)
            count[j][p.index[j]]++;
        pn_pairs_free(&p);
    }
    /* expected 100 each, sigma ~ 10: allow 5 sigma */
    size_t bad = 0;
    for (size_t j = 0; j < POS; j++)
        for (size_t k = 0; k < SYN_N; k++)
            bad += count[j][k] < 50 || count[j][k] > 150;
    CHECK_MSG(bad == 0, "%zu (position, index) counts outside 100 +- 50", bad);
}

static void pairs_draw_refuses_too_many(void)
{
    pn_digits set;
    synthetic(&set, syn_q, syn_labels);
    pn_rng r;
    pn_rng_seed(&r, 1, PN_STREAM_DATA);
    pn_pairs p;
    pn_err err = {0, ""};
    int rc = pn_pairs_draw(&set, 26, &r, &p, &err); /* 52 digits > 50 */
    CHECK(rc != PN_OK);
    CHECK(err.code == rc && err.msg[0] != '\0');
    CHECK(p.x == NULL && p.index == NULL); /* nothing to free, nothing leaked */
    pn_pairs_free(&p);
    set.n = 3; /* one pair fits, two do not */
    rc = pn_pairs_draw(&set, 2, &r, &p, &err);
    CHECK(rc != PN_OK);
    pn_pairs_free(&p);
    rc = pn_pairs_draw(&set, 1, &r, &p, &err);
    CHECK(rc == PN_OK && p.n == 1 && p.index[0] < 3 && p.index[1] < 3 &&
          p.index[0] != p.index[1]);
    pn_pairs_free(&p);
}

/* Stats over every pixel: mean and SAMPLE std (n-1); standardize makes
 * them 0 and 1. One hand-made pair: 392 pixels alternating 1 and 3 have
 * mean 2 and sample std sqrt(392/391) (population std would be 1). */
static void pairs_stats_and_standardize(void)
{
    float x[2 * PN_PIXELS];
    uint8_t digit[2] = {1, 2}, target[1] = {1};
    size_t index[2] = {0, 1};
    pn_pairs p = {1, x, digit, target, index};
    for (size_t i = 0; i < 2 * PN_PIXELS; i++)
        x[i] = i % 2 ? 1.0f : 3.0f;
    double mean, std;
    pn_pairs_stats(&p, &mean, &std);
    CHECK_NEAR(mean, 2.0, 1e-12);
    CHECK_NEAR(std, sqrt(392.0 / 391.0), 1e-12);
    pn_pairs_standardize(&p, mean, std);
    CHECK_NEAR(x[0], 1.0 / sqrt(392.0 / 391.0), 1e-6);
    CHECK_NEAR(x[1], -1.0 / sqrt(392.0 / 391.0), 1e-6);

    /* a synthetic draw: after standardizing with its own numbers, mean 0 and
     * sample std 1 */
    pn_digits set;
    synthetic(&set, syn_q, syn_labels);
    pn_pairs q;
    if (draw(&set, 20, 9, &q) != PN_OK)
        return;
    const size_t m = 40 * PN_PIXELS;
    double s = 0, ss = 0;
    for (size_t i = 0; i < m; i++)
        s += q.x[i];
    const double mu = s / (double)m;
    for (size_t i = 0; i < m; i++)
        ss += (q.x[i] - mu) * (q.x[i] - mu);
    pn_pairs_stats(&q, &mean, &std);
    CHECK_NEAR(mean, mu, 1e-9 * mu);
    CHECK_NEAR(std, sqrt(ss / (double)(m - 1)), 1e-9 * std);
    pn_pairs_standardize(&q, mean, std);
    double m2, s2;
    pn_pairs_stats(&q, &m2, &s2);
    CHECK_NEAR(m2, 0.0, 1e-6);
    CHECK_NEAR(s2, 1.0, 1e-6);
    /* and it is the affine map (x - mean) / std, pixel by pixel */
    const float raw = 0.25f * (float)syn_q[q.index[5] * PN_PIXELS + 17];
    CHECK_NEAR(q.x[5 * PN_PIXELS + 17], (raw - mean) / std, 1e-5);
    pn_pairs_free(&q);
}

/* 2x2 sums of a hand-made 28x28 image. */
static void downsample_by_hand(void)
{
    uint8_t img[28 * 28];
    uint16_t out[PN_PIXELS];
    for (size_t y = 0; y < 28; y++)
        for (size_t x = 0; x < 28; x++)
            img[y * 28 + x] = (uint8_t)((7 * y + 3 * x) % 256);
    /* top-left block: 1 2 / 3 4; bottom-right: all 255; block (2, 5): 0 255 / 255 0 */
    img[0] = 1, img[1] = 2, img[28] = 3, img[29] = 4;
    img[26 * 28 + 26] = img[26 * 28 + 27] = img[27 * 28 + 26] = img[27 * 28 + 27] = 255;
    img[4 * 28 + 10] = 0, img[4 * 28 + 11] = 255, img[5 * 28 + 10] = 255, img[5 * 28 + 11] = 0;
    for (size_t i = 0; i < PN_PIXELS; i++)
        out[i] = 0xFFFF;
    pn_downsample(img, out);
    CHECK(out[0] == 10);
    CHECK(out[PN_PIXELS - 1] == 1020);
    CHECK(out[2 * 14 + 5] == 510);
    size_t bad = 0;
    for (size_t y = 0; y < 14; y++)
        for (size_t x = 0; x < 14; x++) {
            const uint8_t *p = img + 2 * y * 28 + 2 * x;
            bad += out[y * 14 + x] != p[0] + p[1] + p[28] + p[29];
        }
    CHECK_MSG(bad == 0, "%zu of 196 pooled pixels wrong", bad);
    /* a single bright pixel lands in its block only */
    memset(img, 0, sizeof img);
    img[17 * 28 + 6] = 200; /* block (8, 3) */
    pn_downsample(img, out);
    bad = 0;
    for (size_t i = 0; i < PN_PIXELS; i++)
        bad += out[i] != (i == 8 * 14 + 3 ? 200 : 0);
    CHECK(bad == 0);
}

/* ------------------------------------------------------------ real MNIST */

static pn_mnist real;
static int real_state; /* 0 not tried, 1 loaded, -1 unavailable or failed */

static const pn_mnist *real_mnist(void)
{
    if (real_state == 0) {
        const char *dir = t_data_dir();
        real_state = -1;
        if (dir) {
            pn_err err = {0, ""};
            int rc = pn_mnist_load(dir, &real, &err);
            CHECK_MSG(rc == PN_OK, "pn_mnist_load(%s): %s", dir, err.msg);
            if (rc == PN_OK)
                real_state = 1;
        }
    }
    return real_state == 1 ? &real : NULL;
}

static void mnist_real_load(void)
{
    if (!t_data_dir())
        return;
    const pn_mnist *m = real_mnist();
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK(m->train.n == 60000);
    CHECK(m->test.n == 10000);
    /* label counts from data/mnist/SOURCE.md */
    static const size_t train_want[10] = {5923, 6742, 5958, 6131, 5842,
                                          5421, 5918, 6265, 5851, 5949};
    static const size_t test_want[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
    size_t tr[10] = {0}, te[10] = {0}, bad = 0;
    for (size_t i = 0; i < m->train.n; i++)
        m->train.labels[i] < 10 ? (void)tr[m->train.labels[i]]++ : (void)bad++;
    for (size_t i = 0; i < m->test.n; i++)
        m->test.labels[i] < 10 ? (void)te[m->test.labels[i]]++ : (void)bad++;
    CHECK(bad == 0);
    for (size_t k = 0; k < 10; k++) {
        CHECK_MSG(tr[k] == train_want[k], "train class %zu: %zu, want %zu", k, tr[k],
                  train_want[k]);
        CHECK_MSG(te[k] == test_want[k], "test class %zu: %zu, want %zu", k, te[k],
                  test_want[k]);
    }
    /* pixels within 0..1020 quarters; first labels as SOURCE.md shows */
    uint16_t mx = 0;
    for (size_t i = 0; i < m->train.n * PN_PIXELS; i++)
        mx = m->train.quarters[i] > mx ? m->train.quarters[i] : mx;
    CHECK(mx <= 1020 && mx >= 1000);
    CHECK(m->train.labels[0] == 5 && m->train.labels[1] == 0 && m->train.labels[59999] == 8);
    CHECK(m->test.labels[0] == 7 && m->test.labels[1] == 2 && m->test.labels[9999] == 6);
}

/* Checks that pair j of p is digit index[j] of set, after undoing the
 * standardization. */
static size_t check_real_pairs(const pn_pairs *p, const pn_digits *set, double mean, double std,
                               const char *what)
{
    size_t bad_idx = 0, dup = 0, bad_px = 0, bad_lbl = 0, bad_t = 0;
    unsigned char *seen = calloc(set->n, 1);
    for (size_t j = 0; j < 2 * p->n; j++) {
        const size_t k = p->index[j];
        if (k >= set->n) {
            bad_idx++;
            continue;
        }
        dup += seen[k]++ != 0;
        bad_lbl += p->digit[j] != set->labels[k];
        for (size_t q = 0; q < PN_PIXELS; q++) {
            const double raw = p->x[j * PN_PIXELS + q] * std + mean;
            bad_px += fabs(raw - 0.25 * set->quarters[k * PN_PIXELS + q]) > 1e-3;
        }
    }
    for (size_t i = 0; i < p->n; i++)
        bad_t += p->target[i] != (p->digit[2 * i] <= p->digit[2 * i + 1]);
    free(seen);
    CHECK_MSG(bad_idx + dup + bad_px + bad_lbl + bad_t == 0,
              "%s: %zu indices out of range, %zu repeated, %zu pixels, %zu classes, %zu targets "
              "wrong", what, bad_idx, dup, bad_px, bad_lbl, bad_t);
    return bad_idx + dup + bad_px + bad_lbl + bad_t;
}

static void round_data_real(void)
{
    if (!t_data_dir())
        return;
    const pn_mnist *m = real_mnist();
    if (!m)
        return;
    pn_round_data d, e, f;
    pn_err err = {0, ""};
    int rc = pn_round_data_make(m, 1000, 0, &d, &err);
    CHECK_MSG(rc == PN_OK, "round data: %s", err.msg);
    if (rc != PN_OK)
        return;
    CHECK(d.train.n == 1000 && d.test.n == 1000);
    /* MNIST's pixel mean is ~33 (0.1307 * 255) */
    CHECK_MSG(d.mean > 25 && d.mean < 45 && d.std > 40 && d.std < 110, "mean %g std %g", d.mean,
              d.std);
    check_real_pairs(&d.train, &m->train, d.mean, d.std, "train pairs");
    /* test pairs come from the TEST set, standardized with the train numbers */
    check_real_pairs(&d.test, &m->test, d.mean, d.std, "test pairs");
    double mu, sd;
    pn_pairs_stats(&d.train, &mu, &sd);
    CHECK_NEAR(mu, 0.0, 1e-4);
    CHECK_NEAR(sd, 1.0, 1e-4);
    pn_pairs_stats(&d.test, &mu, &sd);
    CHECK(mu != 0.0); /* not standardized with its own statistics */
    CHECK_NEAR(mu, 0.0, 0.2);
    size_t ones_tr = 0, ones_te = 0;
    for (size_t i = 0; i < 1000; i++) {
        ones_tr += d.train.target[i];
        ones_te += d.test.target[i];
    }
    /* P(d1 <= d2) = 0.55 */
    CHECK_MSG(ones_tr >= 450 && ones_tr <= 650, "%zu of 1000 train targets are 1", ones_tr);
    CHECK_MSG(ones_te >= 450 && ones_te <= 650, "%zu of 1000 test targets are 1", ones_te);
    /* the same seed gives the same round, another seed another */
    rc = pn_round_data_make(m, 1000, 0, &e, &err);
    CHECK(rc == PN_OK);
    if (rc == PN_OK) {
        CHECK(memcmp(d.train.index, e.train.index, 2000 * sizeof(size_t)) == 0);
        CHECK(memcmp(d.test.index, e.test.index, 2000 * sizeof(size_t)) == 0);
        CHECK(memcmp(d.train.x, e.train.x, 2000 * PN_PIXELS * sizeof(float)) == 0);
        CHECK(memcmp(d.test.x, e.test.x, 2000 * PN_PIXELS * sizeof(float)) == 0);
        CHECK(d.mean == e.mean && d.std == e.std);
        pn_round_data_free(&e);
    }
    rc = pn_round_data_make(m, 1000, 1, &f, &err);
    CHECK(rc == PN_OK);
    if (rc == PN_OK) {
        CHECK(memcmp(d.train.index, f.train.index, 2000 * sizeof(size_t)) != 0);
        CHECK(memcmp(d.test.index, f.test.index, 2000 * sizeof(size_t)) != 0);
        pn_round_data_free(&f);
    }
    pn_round_data_free(&d);
}

void suite_pairs(void)
{
    RUN(pairs_draw_synthetic);
    RUN(pairs_draw_deterministic);
    RUN(pairs_draw_uniform);
    RUN(pairs_draw_refuses_too_many);
    RUN(pairs_stats_and_standardize);
    RUN(downsample_by_hand);
    RUN(mnist_real_load);
    RUN(round_data_real);
    if (real_state == 1)
        pn_mnist_free(&real);
    real_state = 0;
}
