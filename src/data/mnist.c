#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pairnet/data/mnist.h"
#include "pairnet/data/idx.h"
#include "pairnet/base/file.h"
#include "pairnet/base/md5.h"

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

/* What to do about a path that stat() refused with errno e. */
static const char *path_fix(int e)
{
    switch (e) {
    case ELOOP: return "a symbolic link loop: point the link at the real file or directory";
    case EACCES: return "this user may not read it: fix its permissions (chmod a+rX), or copy "
                        "MNIST to a place you can read";
    case ENOTDIR: return "a part of the path is a file, not a directory";
    case ENAMETOOLONG: return "use a shorter path";
    case EMFILE:
    case ENFILE: return PN_TOO_MANY_FILES;
    default: return "point --data or PAIRNET_DATA at the directory with the four MNIST files";
    }
}

/* The directory itself, before looking for files in it: a loop, a file or
 * a permission problem each get their own message, not "MNIST not found". */
static int check_dir(const char *dir, pn_err *err)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        const int e = errno;
        if (e == ENOENT)
            return pn_fail(err, PN_ERR_DATA, "MNIST directory '%s': %s (run make data to fetch "
                           "MNIST into data/mnist, or scripts/get-mnist.sh DIR for another "
                           "place; or point --data or PAIRNET_DATA at the directory with the "
                           "four MNIST files)", dir, strerror(e));
        return pn_fail(err, PN_ERR_DATA, "MNIST directory '%s': %s (%s)", dir, strerror(e),
                       path_fix(e));
    }
    if (!S_ISDIR(st.st_mode))
        return pn_fail(err, PN_ERR_DATA, "MNIST directory '%s' is a file, not a directory (%s): "
                       "point --data or PAIRNET_DATA at the directory that holds the four MNIST "
                       "files", dir, strerror(ENOTDIR));
    return PN_OK;
}

/* "<dir>/<base>.gz" if it exists, else "<dir>/<base>" (uncompressed); a
 * missing file names `make data`, any other failure its own cause. */
static int locate(char *path, size_t cap, const char *dir, const char *base, pn_err *err)
{
    struct stat st;
    snprintf(path, cap, "%s/%s.gz", dir, base);
    if (stat(path, &st) == 0)
        return PN_OK;
    const int egz = errno;
    if (egz != ENOENT)
        return pn_fail(err, PN_ERR_DATA, "%s: %s (%s)", path, strerror(egz), path_fix(egz));
    snprintf(path, cap, "%s/%s", dir, base);
    if (stat(path, &st) == 0)
        return PN_OK;
    const int e = errno;
    if (e != ENOENT)
        return pn_fail(err, PN_ERR_DATA, "%s: %s (%s)", path, strerror(e), path_fix(e));
    if (lstat(path, &st) == 0)
        return pn_fail(err, PN_ERR_DATA, "%s: a symbolic link to nothing: %s (point it at the "
                       "real file, or run make data)", path, strerror(e));
    return pn_fail(err, PN_ERR_DATA, "MNIST not found: no %s(.gz) in '%s' (run make data to "
                   "fetch MNIST into data/mnist, or scripts/get-mnist.sh DIR for another place; "
                   "or point --data or PAIRNET_DATA at the directory with the four MNIST "
                   "files)", base, dir);
}

/* The four files' base names, in the order of pn_mnist.files. */
static const char *const mnist_base[PN_MNIST_FILES] = {
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte"};

/* path (a file of dir) named and checksummed into *f: the bytes on disk,
 * compressed or not, as the tables' provenance names them. */
static int digest(const char *path, const char *dir, pn_mnist_file *f, pn_err *err)
{
    int rc = pn_md5_file(path, "MNIST file", PN_IDX_MAX_FILE, f->md5, err);
    if (rc == PN_OK)
        snprintf(f->name, sizeof f->name, "%s", path + strlen(dir) + 1);
    return rc;
}

static int check_path_room(const char *dir, size_t cap, pn_err *err)
{
    if (strlen(dir) + 40 > cap)
        return pn_fail(err, PN_ERR_DATA, "MNIST directory '%s': %s (use a shorter path)", dir,
                       strerror(ENAMETOOLONG));
    return PN_OK;
}

int pn_mnist_digest(const char *dir, pn_mnist_file files[PN_MNIST_FILES], pn_err *err)
{
    memset(files, 0, PN_MNIST_FILES * sizeof *files);
    char path[4096];
    int rc = check_dir(dir, err);
    if (rc == PN_OK)
        rc = check_path_room(dir, sizeof path, err);
    for (int i = 0; rc == PN_OK && i < PN_MNIST_FILES; i++) {
        rc = locate(path, sizeof path, dir, mnist_base[i], err);
        if (rc == PN_OK)
            rc = digest(path, dir, &files[i], err);
    }
    return rc;
}

/* One set: images mnist_base[k], labels mnist_base[k + 1], into out; the
 * files, once read and checked, checksummed into files[k], files[k + 1]. */
static int load_set(const char *dir, int k, size_t expect, pn_digits *out,
                    pn_mnist_file *files, pn_err *err)
{
    char ip[4096], lp[4096];
    int rc = check_path_room(dir, sizeof ip, err);
    if (rc == PN_OK)
        rc = locate(ip, sizeof ip, dir, mnist_base[k], err);
    if (rc == PN_OK)
        rc = locate(lp, sizeof lp, dir, mnist_base[k + 1], err);
    if (rc != PN_OK)
        return rc;
    pn_idx img = {0}, lbl = {0};
    rc = pn_idx_read(ip, 3, &img, err);
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
    if (rc == PN_OK)
        rc = digest(ip, dir, &files[k], err);
    if (rc == PN_OK)
        rc = digest(lp, dir, &files[k + 1], err);
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
    int rc = check_dir(dir, err);
    if (rc == PN_OK)
        rc = load_set(dir, 0, 60000, &m->train, m->files, err);
    if (rc == PN_OK)
        rc = load_set(dir, 2, 10000, &m->test, m->files, err);
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
