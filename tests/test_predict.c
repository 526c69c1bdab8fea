/* `predict`'s pictures and answers: MNIST test digits written here as PNG
 * and PGM come out of the readers and the preprocessing (digit_image.h)
 * identically, inverted or enlarged pictures give (nearly) the same input,
 * MNIST's own digits keep their form, and a model trained here answers
 * pairs of known order right, through the library and through the CLI. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "png_writer.h"
#include "pairnet/base/file.h"
#include "pairnet/data/digit_image.h"
#include "pairnet/data/idx.h"
#include "pairnet/data/mnist.h"
#include "pairnet/train/predict.h"
#include "pairnet/train/train.h"
#include "test.h"

#define N28 (28 * 28)

/* The MNIST test images (28x28) and labels, loaded once. */
static pn_idx test_img, test_lbl;

static int load_test_set(void)
{
    if (test_img.data)
        return 1;
    const char *dir = t_data_dir();
    if (!dir)
        return 0;
    char p[1024];
    pn_err err = {0, ""};
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte.gz", dir);
    int rc = pn_idx_read(p, 3, &test_img, &err);
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte.gz", dir);
    if (rc == 0)
        rc = pn_idx_read(p, 1, &test_lbl, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    return rc == 0;
}

static const uint8_t *digit28(size_t i) { return test_img.data + i * N28; }

/* The first test digit with label c. */
static size_t first_of(int c)
{
    size_t i = 0;
    while (test_lbl.data[i] != c)
        i++;
    return i;
}

/* w x h 8-bit gray pixels as a PNG (every filter in turn) in w. */
static void to_png(pngw *w, const uint8_t *px, uint32_t wd, uint32_t h)
{
    spec s = {wd, h, 8, 0, 0, -1, 0, NULL, 0, NULL, 0};
    png_make(w, &s, px);
}

/* ... as a P5 PGM, malloc'ed. */
static uint8_t *to_pgm(const uint8_t *px, size_t w, size_t h, size_t *len)
{
    uint16_t *v = malloc(w * h * sizeof *v);
    uint8_t *out = NULL;
    for (size_t i = 0; i < w * h; i++)
        v[i] = px[i];
    pn_err err = {0, ""};
    CHECK(pn_pgm_encode(v, w, h, 255, &out, len, &err) == 0);
    free(v);
    return out;
}

/* A picture file's bytes through the reader and steps 1-5, into out28. */
static int prep(const uint8_t *file, size_t n, uint8_t *out28)
{
    pn_image img;
    pn_err err = {0, ""};
    int rc = pn_image_decode(file, n, "t", &img, &err);
    if (rc == 0)
        rc = pn_digit_from_image(&img, out28, "t", &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    pn_image_free(&img);
    return rc;
}

/* The correlation of two 28x28 pictures, b moved by (dx, dy) (zeros
 * moved in). */
static double corr_at(const uint8_t *a, const uint8_t *b, int dx, int dy)
{
    double sab = 0, saa = 0, sbb = 0;
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++) {
            const int sx = x - dx, sy = y - dy;
            const double u = a[y * 28 + x];
            const double v = sx >= 0 && sx < 28 && sy >= 0 && sy < 28 ? b[sy * 28 + sx] : 0;
            sab += u * v;
            saa += u * u;
            sbb += v * v;
        }
    return sab / sqrt(saa * sbb);
}

/* Their best correlation within a shift of one pixel: a centre of mass
 * rounded the other way moves a stroke by a pixel, which thin strokes
 * would make look like a different picture. */
static double corr(const uint8_t *a, const uint8_t *b)
{
    double best = -1;
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            const double r = corr_at(a, b, dx, dy);
            best = r > best ? r : best;
        }
    return best;
}

/* The same digit as PNG and as PGM, and inverted (black on white) as PGM:
 * the same 28x28 input, byte for byte. */
static void test_predict_png_pgm_inverted_same(void)
{
    if (!load_test_set())
        return;
    static pngw w;
    for (size_t i = 0; i < 20; i++) {
        uint8_t a[N28], b[N28], c[N28], inv[N28];
        to_png(&w, digit28(i), 28, 28);
        size_t n = 0;
        uint8_t *pgm = to_pgm(digit28(i), 28, 28, &n);
        for (int k = 0; k < N28; k++)
            inv[k] = (uint8_t)(255 - digit28(i)[k]);
        size_t ni = 0;
        uint8_t *pgm_inv = to_pgm(inv, 28, 28, &ni);
        if (prep(w.b, w.n, a) == 0 && prep(pgm, n, b) == 0 && prep(pgm_inv, ni, c) == 0) {
            CHECK_MSG(memcmp(a, b, N28) == 0, "digit %zu: PNG and PGM differ", i);
            CHECK_MSG(memcmp(a, c, N28) == 0, "digit %zu: the inverted picture differs", i);
        }
        free(pgm);
        free(pgm_inv);
    }
}

/* MNIST digits are already in MNIST's form: preprocessing keeps them (the
 * ink box of the faintest pixels may be a pixel smaller, so near, not
 * equal), and centres their mass within half a pixel of the middle. */
static void test_predict_mnist_form_kept(void)
{
    if (!load_test_set())
        return;
    static pngw w;
    double worst = 1.0;
    for (size_t i = 0; i < 100; i++) {
        uint8_t a[N28];
        to_png(&w, digit28(i), 28, 28);
        if (prep(w.b, w.n, a) != 0)
            continue;
        const double r = corr(a, digit28(i));
        worst = r < worst ? r : worst;
        double m = 0, mx = 0, my = 0;
        for (int k = 0; k < N28; k++) {
            m += a[k];
            mx += (k % 28) * a[k];
            my += (k / 28) * a[k];
        }
        CHECK_MSG(fabs(mx / m - 14) <= 0.5 + 1e-9 && fabs(my / m - 14) <= 0.5 + 1e-9,
                  "digit %zu: centre of mass (%.2f, %.2f)", i, mx / m, my / m);
    }
    CHECK_MSG(worst > 0.85, "an MNIST digit changed form: correlation %.3f", worst);
}

/* A digit drawn large, dark on a light gray page with a margin, is brought
 * to nearly the same input as the digit itself. */
static void test_predict_large_light_page(void)
{
    if (!load_test_set())
        return;
    enum { S = 3, M = 17, W = 28 * S + 2 * M + 5, H = 28 * S + 2 * M };
    static uint8_t page[W * H];
    static pngw w;
    for (size_t i = 0; i < 10; i++) {
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                const int sy = (y - M) / S, sx = (x - M) / S;
                const int in = y >= M && x >= M && sy < 28 && sx < 28;
                const int v = in ? digit28(i)[sy * 28 + sx] : 0;
                page[y * W + x] = (uint8_t)(220 - v * 200 / 255); /* gray paper, dark ink */
            }
        uint8_t a[N28], b[N28];
        to_png(&w, page, W, H);
        if (prep(w.b, w.n, a) != 0)
            continue;
        to_png(&w, digit28(i), 28, 28);
        if (prep(w.b, w.n, b) != 0)
            continue;
        CHECK_MSG(corr(a, b) > 0.9, "digit %zu: correlation %.3f", i, corr(a, b));
    }
}

/* A picture without ink is refused. */
static void test_predict_blank_refused(void)
{
    uint8_t px[64 * 48];
    memset(px, 200, sizeof px);
    px[100] = 205; /* noise within the threshold */
    size_t n;
    uint8_t *pgm = to_pgm(px, 64, 48, &n), a[N28];
    pn_image img;
    pn_err err = {0, ""};
    CHECK(pn_image_decode(pgm, n, "blank.pgm", &img, &err) == 0);
    CHECK(pn_digit_from_image(&img, a, "blank.pgm", &err) == PN_ERR_DATA);
    CHECK_MSG(strstr(err.msg, "blank.pgm: no digit found") != NULL, "%s", err.msg);
    pn_image_free(&img);
    free(pgm);
}

/* A cnn_ws_al checkpoint trained here (a few seconds), once; its path, or
 * NULL (the test is skipped without the binary or the data). */
static const char *trained(void)
{
    static char path[1024];
    static int done;
    const char *bin = getenv("PAIRNET_BIN"), *dir = t_data_dir();
    if (!bin || !dir) {
        t_skip("needs PAIRNET_BIN and the MNIST files (run through `make test`)");
        return NULL;
    }
    if (!done) {
        char cmd[4096];
        snprintf(path, sizeof path, "%s/predict-ws.pn", t_tmp_dir());
        snprintf(cmd, sizeof cmd, "'%s' train --model cnn_ws_al --epochs 20 --save '%s' "
                 "--data '%s' --threads 1 >/dev/null", bin, path, dir);
        done = t_sh(cmd) == 0 ? 1 : -1;
    }
    CHECK_MSG(done == 1, "train --save failed");
    return done == 1 ? path : NULL;
}

/* The pairs of test digits asked: first, second (their labels). */
static const int asked[][2] = {{1, 8}, {8, 1}, {0, 9}, {9, 0}, {2, 7}, {7, 2}, {4, 4}, {6, 3}};
#define N_ASKED (sizeof asked / sizeof asked[0])

/* The 14x14 input of test digit i written as a PNG file, read back. */
static int input_of(size_t i, uint16_t *q14)
{
    static pngw w;
    char path[1024];
    uint8_t a[N28];
    pn_image img;
    pn_err err = {0, ""};
    to_png(&w, digit28(i), 28, 28);
    snprintf(path, sizeof path, "%s/digit%zu.png", t_tmp_dir(), i);
    int rc = pn_write_atomic(path, w.b, w.n, &err);
    if (rc == 0)
        rc = pn_image_load(path, &img, &err);
    if (rc == 0)
        rc = pn_digit_from_image(&img, a, path, &err);
    pn_image_free(&img);
    CHECK_MSG(rc == 0, "%s", err.msg);
    pn_downsample(a, q14);
    return rc;
}

/* The trained model reads each digit right and answers every pair of
 * known order right (pairs of far-apart digits and an equal pair: a model
 * at ~95% digit accuracy gets these). */
static void test_predict_known_pairs(void)
{
    const char *ck_path = trained();
    if (!ck_path || !load_test_set())
        return;
    pn_loaded_model pr;
    pn_err err = {0, ""};
    pn_mnist m;
    pn_round_data d;
    int rc = pn_model_file_load(ck_path, &pr, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc != 0)
        return;
    if ((rc = pn_mnist_load(t_data_dir(), &m, &err)) == 0) {
        rc = pn_round_data_make(&m, pr.cfg.n_pairs, pr.seed, &d, &err);
        pn_mnist_free(&m);
    }
    CHECK_MSG(rc == 0, "%s", err.msg);
    for (size_t k = 0; rc == 0 && k < N_ASKED; k++) {
        uint16_t a[PN_PIXELS], b[PN_PIXELS];
        pn_prediction p;
        if (input_of(first_of(asked[k][0]), a) != 0 || input_of(first_of(asked[k][1]), b) != 0)
            break;
        CHECK(pn_predict_pair(&pr, a, b, d.mean, d.std, &p, &err) == 0);
        CHECK_MSG(p.answer == (asked[k][0] <= asked[k][1]), "%d <= %d answered %d (p %.3f)",
                  asked[k][0], asked[k][1], p.answer, (double)p.p_le);
        CHECK_MSG((p.p_le >= 0.5f) == p.answer && p.p_le >= 0.0f && p.p_le <= 1.0f, "p %g",
                  (double)p.p_le);
        CHECK(p.has_digits);
        CHECK_MSG(p.digit[0] == asked[k][0] && p.digit[1] == asked[k][1], "read %d and %d, "
                  "they are %d and %d", p.digit[0], p.digit[1], asked[k][0], asked[k][1]);
    }
    if (rc == 0)
        pn_round_data_free(&d);
    pn_loaded_model_free(&pr);
}

/* Runs `$PAIRNET_BIN args` (shell-quoted by the caller) with stdout and
 * stderr into out and err; its exit status. */
static int run_cli(const char *args, char *out, size_t on, char *err, size_t en)
{
    char cmd[4096], po[1024], pe[1024];
    snprintf(po, sizeof po, "%s/predict.out", t_tmp_dir());
    snprintf(pe, sizeof pe, "%s/predict.err", t_tmp_dir());
    snprintf(cmd, sizeof cmd, "'%s' %s --data '%s' >'%s' 2>'%s'", getenv("PAIRNET_BIN"), args,
             t_data_dir(), po, pe);
    const int st = t_sh(cmd);
    t_read_file(po, out, on);
    t_read_file(pe, err, en);
    return st;
}

/* The command: its answer lines for a pair of known order both ways, the
 * --show files (the 14x14 one is the input the library computes), and its
 * refusals: a broken picture (exit 3, one line), a missing one, one
 * picture only (usage, exit 2). */
static void test_predict_cli(void)
{
    const char *ck_path = trained();
    if (!ck_path || !load_test_set())
        return;
    uint16_t q1[PN_PIXELS], q8[PN_PIXELS];
    const size_t i1 = first_of(1), i8 = first_of(8);
    if (input_of(i1, q1) != 0 || input_of(i8, q8) != 0)
        return;
    const char *t = t_tmp_dir();
    char args[3072], out[4096], err[4096];
    snprintf(args, sizeof args, "predict --load '%s' '%s/digit%zu.png' '%s/digit%zu.png' --show "
             "'%s/show'", ck_path, t, i1, t, i8, t);
    CHECK_MSG(run_cli(args, out, sizeof out, err, sizeof err) == 0, "%s", err);
    CHECK_MSG(strstr(out, "read as 1 (probability ") && strstr(out, "read as 8 (probability ")
              && strstr(out, "A <= B: yes (probability of A <= B: "), "%s", out);
    char path[1024];
    pn_err e = {0, ""};
    pn_image img;
    snprintf(path, sizeof path, "%s/show/B-14.pgm", t);
    CHECK_MSG(pn_image_load(path, &img, &e) == 0, "%s", e.msg);
    for (size_t k = 0; img.gray && k < PN_PIXELS; k++)
        CHECK(lroundf(img.gray[k] * 1020.0f) == q8[k]);
    pn_image_free(&img);
    snprintf(args, sizeof args, "predict --load '%s' '%s/digit%zu.png' '%s/digit%zu.png'",
             ck_path, t, i8, t, i1);
    CHECK_MSG(run_cli(args, out, sizeof out, err, sizeof err) == 0, "%s", err);
    CHECK_MSG(strstr(out, "A <= B: no (probability of A <= B: "), "%s", out);
    snprintf(path, sizeof path, "%s/broken.png", t);
    CHECK(pn_write_atomic(path, "\x89PNG\r\n\x1a\nbroken", 14, &e) == 0);
    snprintf(args, sizeof args, "predict --load '%s' '%s' '%s/digit%zu.png'", ck_path, path, t,
             i1);
    CHECK(run_cli(args, out, sizeof out, err, sizeof err) == 3);
    CHECK_MSG(strstr(err, "broken.png: truncated PNG") && strchr(err, '\n') == strrchr(err, '\n'),
              "%s", err);
    snprintf(args, sizeof args, "predict --load '%s' '%s/none.png' '%s'", ck_path, t, path);
    CHECK(run_cli(args, out, sizeof out, err, sizeof err) == 3);
    CHECK_MSG(strstr(err, "none.png: no such image file"), "%s", err);
    snprintf(args, sizeof args, "predict --load '%s' '%s'", ck_path, path);
    CHECK(run_cli(args, out, sizeof out, err, sizeof err) == 2);
    CHECK_MSG(strstr(err, "two digit pictures"), "%s", err);
}

void suite_predict(void)
{
    RUN(test_predict_png_pgm_inverted_same);
    RUN(test_predict_mnist_form_kept);
    RUN(test_predict_large_light_page);
    RUN(test_predict_blank_refused);
    RUN(test_predict_known_pairs);
    RUN(test_predict_cli);
}
