/* Tests of src/data/idx.c: raw and gzip IDX files written to the scratch
 * directory, every refusal (each must be PN_ERR_DATA and name the file),
 * and the real MNIST files when they are present. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/base/crc32.h"
#include "pairnet/data/data.h"

/* Writes n bytes to t_tmp_dir()/name; path receives the full path. */
static int write_tmp(const char *name, const void *data, size_t n, char *path, size_t path_size)
{
    snprintf(path, path_size, "%s/%s", t_tmp_dir(), name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* A small IDX file: 2 images of 3x4 (ndims 3) or 5 labels (ndims 1). */
static size_t make_idx(uint8_t *buf, size_t ndims)
{
    static const uint8_t images[] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4};
    static const uint8_t labels[] = {0, 0, 8, 1, 0, 0, 0, 5};
    size_t head = ndims == 3 ? sizeof images : sizeof labels, items = ndims == 3 ? 24 : 5;
    memcpy(buf, ndims == 3 ? images : labels, head);
    for (size_t i = 0; i < items; i++)
        buf[head + i] = (uint8_t)(i * 10 + 1);
    return head + items;
}

/* Wraps data in a gzip member made of one stored block. */
static size_t make_gzip(uint8_t *dst, const uint8_t *data, size_t n)
{
    static const uint8_t head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    size_t p = 0;
    memcpy(dst, head, 10);
    p = 10;
    dst[p++] = 0x01; /* final stored block */
    dst[p++] = (uint8_t)n;
    dst[p++] = (uint8_t)(n >> 8);
    dst[p++] = (uint8_t)~n;
    dst[p++] = (uint8_t)(~n >> 8);
    memcpy(dst + p, data, n);
    p += n;
    uint32_t crc = pn_crc32(0, data, n);
    for (int i = 0; i < 4; i++)
        dst[p++] = (uint8_t)(crc >> (8 * i));
    for (int i = 0; i < 4; i++)
        dst[p++] = (uint8_t)(n >> (8 * i));
    return p;
}

static void check_small(int line, const pn_idx *idx, size_t ndims)
{
    size_t items = ndims == 3 ? 24 : 5;
    int ok = idx->ndims == ndims && idx->data != NULL;
    if (ndims == 3)
        ok = ok && idx->dims[0] == 2 && idx->dims[1] == 3 && idx->dims[2] == 4;
    else
        ok = ok && idx->dims[0] == 5;
    for (size_t i = 0; ok && i < items; i++)
        ok = idx->data[i] == (uint8_t)(i * 10 + 1);
    if (!ok)
        t_fail(__FILE__, line, "wrong header or payload for the %zu-dim file", ndims);
}

/* Checks that reading path is refused with PN_ERR_DATA, a message naming
 * the file and containing needle, and an emptied output. */
static void refused_at(int line, const char *path, size_t ndims, const char *needle)
{
    pn_idx idx = {7, {1, 2, 3}, (uint8_t *)1};
    pn_err err = {0, ""};
    int rc = pn_idx_read(path, ndims, &idx, &err);
    if (rc != PN_ERR_DATA || err.code != PN_ERR_DATA)
        t_fail(__FILE__, line, "rc = %d, want PN_ERR_DATA: %s", rc, err.msg);
    if (!strstr(err.msg, path))
        t_fail(__FILE__, line, "message does not name %s: %s", path, err.msg);
    if (!strstr(err.msg, needle))
        t_fail(__FILE__, line, "message lacks \"%s\": %s", needle, err.msg);
    if (idx.data != NULL || idx.ndims != 0)
        t_fail(__FILE__, line, "output not emptied on failure");
    if (rc == 0)
        pn_idx_free(&idx);
}

/* Writes bytes as name and checks the refusal. */
static void refused_bytes_at(int line, const char *name, const uint8_t *data, size_t n,
                             size_t ndims, const char *needle)
{
    char path[512];
    if (write_tmp(name, data, n, path, sizeof path) != 0) {
        t_fail(__FILE__, line, "cannot write %s", path);
        return;
    }
    refused_at(line, path, ndims, needle);
}

#define REFUSED_BYTES(name, data, n, ndims, needle) \
    refused_bytes_at(__LINE__, name, data, n, ndims, needle)

static void idx_reads_raw(void)
{
    uint8_t buf[64];
    char path[512];
    pn_err err = {0, ""};
    for (size_t ndims = 1; ndims <= 3; ndims += 2) {
        size_t n = make_idx(buf, ndims);
        pn_idx idx;
        CHECK(write_tmp("raw.idx", buf, n, path, sizeof path) == 0);
        int rc = pn_idx_read(path, ndims, &idx, &err);
        CHECK_MSG(rc == 0, "%s", err.msg);
        if (rc == 0)
            check_small(__LINE__, &idx, ndims);
        pn_idx_free(&idx);
        CHECK(idx.data == NULL && idx.ndims == 0);
    }
}

static void idx_reads_gzip(void)
{
    uint8_t buf[64], gz[128];
    char path[512];
    pn_err err = {0, ""};
    for (size_t ndims = 1; ndims <= 3; ndims += 2) {
        size_t n = make_gzip(gz, buf, make_idx(buf, ndims));
        pn_idx idx;
        CHECK(write_tmp("small-idx.gz", gz, n, path, sizeof path) == 0);
        int rc = pn_idx_read(path, ndims, &idx, &err);
        CHECK_MSG(rc == 0, "%s", err.msg);
        if (rc == 0)
            check_small(__LINE__, &idx, ndims);
        pn_idx_free(&idx);
    }
}

static void idx_parse_in_memory(void)
{
    uint8_t buf[64];
    pn_idx idx;
    pn_err err = {0, ""};
    size_t n = make_idx(buf, 3);
    int rc = pn_idx_parse(buf, n, 3, &idx, "mem.idx", &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc == 0)
        check_small(__LINE__, &idx, 3);
    pn_idx_free(&idx);
    rc = pn_idx_parse(buf, n - 1, 3, &idx, "mem.idx", &err);
    CHECK(rc == PN_ERR_DATA && strstr(err.msg, "mem.idx") && idx.data == NULL);
    /* 2^32 - 1 three times overflows even a 64-bit size_t. */
    static const uint8_t huge[] = {0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255,
                                   255, 255, 255, 255, 1};
    rc = pn_idx_parse(huge, sizeof huge, 3, &idx, "huge.idx", &err);
    CHECK_MSG(rc == PN_ERR_DATA && strstr(err.msg, "overflow"), "%s", err.msg);
    pn_idx_free(&idx);
}

static void idx_refuses_bad_headers(void)
{
    uint8_t buf[64];
    size_t n = make_idx(buf, 1);
    buf[1] = 1;
    REFUSED_BYTES("magic.idx", buf, n, 1, "not an IDX file");
    REFUSED_BYTES("text.idx", (const uint8_t *)"hello, world", 12, 1, "not an IDX file");
    n = make_idx(buf, 1);
    buf[2] = 0x0d; /* float */
    REFUSED_BYTES("type.idx", buf, n, 1, "element type 0x0d");
    REFUSED_BYTES("tiny.idx", buf, 3, 1, "too short");
    REFUSED_BYTES("empty.idx", buf, 0, 1, "too short");
    n = make_idx(buf, 3);
    REFUSED_BYTES("head.idx", buf, 10, 3, "truncated IDX header");
}

static void idx_refuses_wrong_ndims(void)
{
    uint8_t buf[64];
    size_t n = make_idx(buf, 3);
    REFUSED_BYTES("images-as-labels.idx", buf, n, 1, "3 dimensions, expected 1");
    n = make_idx(buf, 1);
    REFUSED_BYTES("labels-as-images.idx", buf, n, 3, "1 dimensions, expected 3");
}

static void idx_refuses_zero_dim(void)
{
    uint8_t buf[64];
    size_t n = make_idx(buf, 3);
    buf[11] = 0; /* rows = 0 */
    REFUSED_BYTES("zero.idx", buf, n, 3, "dimension 1 is 0");
}

static void idx_refuses_short_payload(void)
{
    uint8_t buf[64];
    size_t n = make_idx(buf, 1);
    REFUSED_BYTES("short.idx", buf, n - 1, 1, "promises 5 data bytes, the file has 4");
    n = make_idx(buf, 3);
    REFUSED_BYTES("short3.idx", buf, n - 24, 3, "promises 24 data bytes, the file has 0");
}

static void idx_refuses_long_payload(void)
{
    uint8_t buf[64];
    size_t n = make_idx(buf, 1);
    buf[n] = 0;
    buf[n + 1] = 0;
    REFUSED_BYTES("long.idx", buf, n + 2, 1, "2 bytes after the data");
}

static void idx_refuses_directory(void)
{
    refused_at(__LINE__, t_tmp_dir(), 1, "directory");
}

static void idx_refuses_missing_path(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/no-such-file-idx1-ubyte.gz", t_tmp_dir());
    refused_at(__LINE__, path, 1, "No such file");
}

static void idx_refuses_corrupt_gzip(void)
{
    uint8_t buf[64], gz[128];
    size_t n = make_gzip(gz, buf, make_idx(buf, 1));
    gz[n - 6] ^= 0x10; /* CRC-32 */
    REFUSED_BYTES("crc-idx1.gz", gz, n, 1, "CRC-32 mismatch");
    n = make_gzip(gz, buf, make_idx(buf, 1));
    REFUSED_BYTES("cut-idx1.gz", gz, n - 3, 1, "truncated");
    /* Valid gzip, but the IDX inside is short: still named by the path. */
    n = make_gzip(gz, buf, make_idx(buf, 1) - 1);
    REFUSED_BYTES("inner-idx1.gz", gz, n, 1, "promises 5");
}

/* The real files: shapes, first labels and the label counts of SOURCE.md. */
static void idx_real_files(void)
{
    static const size_t test_counts[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
    const char *dir = t_data_dir();
    if (!dir)
        return;
    char path[1024];
    pn_err err = {0, ""};
    pn_idx lab, img;

    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte.gz", dir);
    int rc = pn_idx_read(path, 1, &lab, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc == 0) {
        size_t count[10] = {0}, bad = 0;
        CHECK(lab.ndims == 1 && lab.dims[0] == 10000);
        for (size_t i = 0; i < lab.dims[0]; i++) {
            if (lab.data[i] < 10)
                count[lab.data[i]]++;
            else
                bad++;
        }
        CHECK(bad == 0);
        for (int k = 0; k < 10; k++)
            CHECK_MSG(count[k] == test_counts[k], "digit %d: %zu", k, count[k]);
        CHECK(lab.data[0] == 7 && lab.data[1] == 2 && lab.data[9999] == 6);
    }
    pn_idx_free(&lab);

    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
    rc = pn_idx_read(path, 3, &img, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc == 0) {
        CHECK(img.dims[0] == 60000 && img.dims[1] == 28 && img.dims[2] == 28);
        unsigned max = 0;
        for (size_t i = 0; i < 28 * 28; i++)
            max = img.data[i] > max ? img.data[i] : max;
        CHECK(max == 255);
    }
    pn_idx_free(&img);
    /* Labels are not images. */
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte.gz", dir);
    refused_at(__LINE__, path, 3, "1 dimensions, expected 3");
}

void suite_idx(void)
{
    RUN(idx_reads_raw);
    RUN(idx_reads_gzip);
    RUN(idx_parse_in_memory);
    RUN(idx_refuses_bad_headers);
    RUN(idx_refuses_wrong_ndims);
    RUN(idx_refuses_zero_dim);
    RUN(idx_refuses_short_payload);
    RUN(idx_refuses_long_payload);
    RUN(idx_refuses_directory);
    RUN(idx_refuses_missing_path);
    RUN(idx_refuses_corrupt_gzip);
    RUN(idx_real_files);
}
