#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pairnet/data/mnist.h"
#include "pairnet/data/idx.h"

const char *pn_mnist_dir(const char *opt)
{
    if (opt && *opt)
        return opt;
    const char *env = getenv("PAIRNET_DATA");
    return env && *env ? env : "data/mnist";
}

void pn_downsample(const uint8_t *img, uint16_t *out)
{
    for (size_t y = 0; y < PN_SIDE; y++)
        for (size_t x = 0; x < PN_SIDE; x++) {
            const uint8_t *p = img + 2 * y * 28 + 2 * x;
            out[y * PN_SIDE + x] = (uint16_t)(p[0] + p[1] + p[28] + p[29]);
        }
}

/* "<dir>/<base>.gz" if it exists, else "<dir>/<base>" (uncompressed). */
static void locate(char *path, size_t cap, const char *dir, const char *base)
{
    struct stat st;
    snprintf(path, cap, "%s/%s.gz", dir, base);
    if (stat(path, &st) == 0)
        return;
    snprintf(path, cap, "%s/%s", dir, base);
}

static int load_set(const char *dir, const char *img_base, const char *lbl_base, size_t expect,
                    pn_digits *out, pn_err *err)
{
    char ip[4096], lp[4096];
    locate(ip, sizeof ip, dir, img_base);
    locate(lp, sizeof lp, dir, lbl_base);
    struct stat st;
    if (stat(ip, &st) != 0 || stat(lp, &st) != 0)
        return pn_fail(err, PN_ERR_DATA,
                       "MNIST not found: looked for %s(.gz) and %s(.gz) in '%s' (get it with "
                       "scripts/get-mnist.sh DIR, then pass --data DIR or set PAIRNET_DATA)",
                       img_base, lbl_base, dir);
    pn_idx img = {0}, lbl = {0};
    int rc = pn_idx_read(ip, 3, &img, err);
    if (rc == PN_OK)
        rc = pn_idx_read(lp, 1, &lbl, err);
    if (rc == PN_OK && (img.dims[1] != 28 || img.dims[2] != 28))
        rc = pn_fail(err, PN_ERR_DATA, "%s: images are %zux%zu, MNIST images are 28x28", ip,
                     img.dims[1], img.dims[2]);
    if (rc == PN_OK && img.dims[0] != lbl.dims[0])
        rc = pn_fail(err, PN_ERR_DATA, "%s holds %zu images but %s holds %zu labels: the files "
                     "do not belong together", ip, img.dims[0], lp, lbl.dims[0]);
    if (rc == PN_OK && img.dims[0] != expect)
        rc = pn_fail(err, PN_ERR_DATA, "%s holds %zu images, the MNIST file holds %zu (a "
                     "different or cut file?)", ip, img.dims[0], expect);
    for (size_t i = 0; rc == PN_OK && i < lbl.dims[0]; i++)
        if (lbl.data[i] > 9)
            rc = pn_fail(err, PN_ERR_DATA, "%s: label %zu is %u, MNIST labels are 0..9", lp, i,
                         lbl.data[i]);
    if (rc == PN_OK) {
        out->n = expect;
        out->quarters = malloc(expect * PN_PIXELS * sizeof *out->quarters);
        out->labels = malloc(expect);
        if (!out->quarters || !out->labels)
            rc = pn_fail(err, PN_ERR_RUNTIME, "out of memory for %zu digits", expect);
    }
    if (rc == PN_OK) {
        for (size_t i = 0; i < expect; i++)
            pn_downsample(img.data + i * 784, out->quarters + i * PN_PIXELS);
        memcpy(out->labels, lbl.data, expect);
    }
    pn_idx_free(&img);
    pn_idx_free(&lbl);
    return rc;
}

int pn_mnist_load(const char *dir, pn_mnist *m, pn_err *err)
{
    memset(m, 0, sizeof *m);
    int rc = load_set(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000,
                      &m->train, err);
    if (rc == PN_OK)
        rc = load_set(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000, &m->test,
                      err);
    if (rc != PN_OK)
        pn_mnist_free(m);
    return rc;
}

void pn_mnist_free(pn_mnist *m)
{
    free(m->train.quarters);
    free(m->train.labels);
    free(m->test.quarters);
    free(m->test.labels);
    memset(m, 0, sizeof *m);
}
