/* Locating and loading the MNIST directory: the data directory precedence,
 * and the refusals of pn_mnist_load on small hand-written IDX files (a
 * missing directory, images and labels that do not belong together, images
 * that are not 28x28, a label outside 0..9). */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pairnet/data/data.h"

#define IMG_TRAIN "train-images-idx3-ubyte"
#define LBL_TRAIN "train-labels-idx1-ubyte"
#define IMG_TEST "t10k-images-idx3-ubyte"
#define LBL_TEST "t10k-labels-idx1-ubyte"

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

/* A fresh directory under the scratch dir. */
static void make_dir(char *path, size_t cap, const char *name)
{
    snprintf(path, cap, "%s/%s", t_tmp_dir(), name);
    int rc = mkdir(path, 0700);
    CHECK_MSG(rc == 0, "mkdir %s failed", path);
}

/* Writes an uncompressed IDX image file of n rows x cols images. The pixels
 * are (i + p) % 256, or a sparse file of zeros when `sparse` (a 60000-image
 * file costs no disk then). */
static int write_images(const char *dir, const char *base, uint32_t n, uint32_t rows,
                        uint32_t cols, int sparse)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, base);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    uint8_t head[16];
    put_be32(head, 0x00000803);
    put_be32(head + 4, n);
    put_be32(head + 8, rows);
    put_be32(head + 12, cols);
    int ok = write(fd, head, 16) == 16;
    const size_t px = (size_t)n * rows * cols;
    if (ok && sparse) {
        ok = ftruncate(fd, (off_t)(16 + px)) == 0;
    } else if (ok) {
        uint8_t *buf = malloc(px);
        ok = buf != NULL;
        for (size_t i = 0; ok && i < px; i++)
            buf[i] = (uint8_t)(i / (rows * cols) + i % (rows * cols));
        ok = ok && write(fd, buf, px) == (ssize_t)px;
        free(buf);
    }
    close(fd);
    CHECK_MSG(ok, "could not write %s", path);
    return ok ? 0 : -1;
}

/* labels[i] = i % 10, except labels[bad_at] = bad_value when bad_at < n. */
static int write_labels(const char *dir, const char *base, uint32_t n, uint32_t bad_at,
                        uint8_t bad_value)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, base);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    uint8_t head[8];
    put_be32(head, 0x00000801);
    put_be32(head + 4, n);
    int ok = fwrite(head, 1, 8, f) == 8;
    for (uint32_t i = 0; ok && i < n; i++)
        ok = fputc(i == bad_at ? bad_value : (int)(i % 10), f) != EOF;
    ok = fclose(f) == 0 && ok;
    CHECK_MSG(ok, "could not write %s", path);
    return ok ? 0 : -1;
}

static void mnist_dir_precedence(void)
{
    const char *old = getenv("PAIRNET_DATA");
    char *saved = old ? strdup(old) : NULL;

    CHECK(setenv("PAIRNET_DATA", "/from/env", 1) == 0);
    CHECK(strcmp(pn_mnist_dir("/explicit"), "/explicit") == 0); /* explicit wins */
    CHECK(strcmp(pn_mnist_dir(NULL), "/from/env") == 0);        /* then the environment */
    CHECK(unsetenv("PAIRNET_DATA") == 0);
    CHECK(strcmp(pn_mnist_dir("/explicit"), "/explicit") == 0);
    CHECK(strcmp(pn_mnist_dir(NULL), "data/mnist") == 0); /* then the default */

    if (saved) {
        CHECK(setenv("PAIRNET_DATA", saved, 1) == 0);
        free(saved);
    }
    const char *now = getenv("PAIRNET_DATA");
    CHECK((old == NULL) == (now == NULL));
}

static void mnist_missing_dir(void)
{
    char dir[512];
    make_dir(dir, sizeof dir, "mnist-empty");
    pn_mnist m;
    pn_err err = {0, ""};
    int rc = pn_mnist_load(dir, &m, &err);
    CHECK(rc == PN_ERR_DATA && err.code == PN_ERR_DATA);
    CHECK_MSG(strstr(err.msg, dir) != NULL, "message does not name '%s': %s", dir, err.msg);
    CHECK_MSG(strstr(err.msg, "get-mnist") != NULL, "message gives no fix: %s", err.msg);
    CHECK(strchr(err.msg, '\n') == NULL);
    CHECK(m.train.quarters == NULL && m.test.quarters == NULL);
    pn_mnist_free(&m);
    /* a directory that does not exist at all */
    snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/no/such/dir");
    rc = pn_mnist_load(dir, &m, &err);
    CHECK(rc == PN_ERR_DATA);
    CHECK_MSG(strstr(err.msg, dir) != NULL, "message does not name '%s': %s", dir, err.msg);
    pn_mnist_free(&m);
}

/* 5 images, 4 labels: the message names both files. */
static void mnist_count_mismatch(void)
{
    char dir[512];
    make_dir(dir, sizeof dir, "mnist-mismatch");
    if (write_images(dir, IMG_TRAIN, 5, 28, 28, 0) || write_labels(dir, LBL_TRAIN, 4, 99, 0))
        return;
    pn_mnist m;
    pn_err err = {0, ""};
    int rc = pn_mnist_load(dir, &m, &err);
    CHECK(rc == PN_ERR_DATA);
    CHECK_MSG(strstr(err.msg, IMG_TRAIN) && strstr(err.msg, LBL_TRAIN),
              "message should name both files: %s", err.msg);
    pn_mnist_free(&m);
}

/* 60000 images of 27x27 (sparse) with 60000 labels: only the side is wrong. */
static void mnist_refuses_27x27(void)
{
    char dir[512];
    make_dir(dir, sizeof dir, "mnist-small-side");
    if (write_images(dir, IMG_TRAIN, 60000, 27, 27, 1) ||
        write_labels(dir, LBL_TRAIN, 60000, 99999, 0))
        return;
    pn_mnist m;
    pn_err err = {0, ""};
    int rc = pn_mnist_load(dir, &m, &err);
    CHECK(rc == PN_ERR_DATA);
    CHECK_MSG(strstr(err.msg, IMG_TRAIN) && strstr(err.msg, "27"),
              "message should name the file and its 27x27: %s", err.msg);
    pn_mnist_free(&m);
}

/* A complete, well-formed set of the real sizes (pixels all zero, sparse
 * files) loads; the same with one label 10 is refused. The passing control
 * shows the refusal is about the label and nothing else. */
static void mnist_refuses_label_10(void)
{
    char dir[512], bad[512];
    make_dir(dir, sizeof dir, "mnist-control");
    make_dir(bad, sizeof bad, "mnist-bad-label");
    if (write_images(dir, IMG_TRAIN, 60000, 28, 28, 1) ||
        write_labels(dir, LBL_TRAIN, 60000, 12345, 9) ||
        write_images(dir, IMG_TEST, 10000, 28, 28, 1) ||
        write_labels(dir, LBL_TEST, 10000, 99999, 0) ||
        write_images(bad, IMG_TRAIN, 60000, 28, 28, 1) ||
        write_labels(bad, LBL_TRAIN, 60000, 12345, 10) ||
        write_images(bad, IMG_TEST, 10000, 28, 28, 1) ||
        write_labels(bad, LBL_TEST, 10000, 99999, 0))
        return;
    pn_mnist m;
    pn_err err = {0, ""};
    int rc = pn_mnist_load(dir, &m, &err);
    CHECK_MSG(rc == PN_OK, "control set refused: %s", err.msg);
    if (rc == PN_OK) {
        CHECK(m.train.n == 60000 && m.test.n == 10000);
        CHECK(m.train.labels[12345] == 9 && m.train.labels[12346] == 6 && m.test.labels[7] == 7);
        CHECK(m.train.quarters[12345 * PN_PIXELS + 100] == 0);
        pn_mnist_free(&m);
    }
    rc = pn_mnist_load(bad, &m, &err);
    CHECK(rc == PN_ERR_DATA);
    CHECK_MSG(strstr(err.msg, LBL_TRAIN) != NULL, "message should name the labels: %s", err.msg);
    CHECK(m.train.quarters == NULL && m.train.labels == NULL);
    pn_mnist_free(&m);
}

void suite_mnist(void)
{
    RUN(mnist_dir_precedence);
    RUN(mnist_missing_dir);
    RUN(mnist_count_mismatch);
    RUN(mnist_refuses_27x27);
    RUN(mnist_refuses_label_10);
}
