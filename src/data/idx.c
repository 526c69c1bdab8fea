/* IDX files (the MNIST container): a 4-byte magic 00 00 <type> <ndims>, then
 * ndims big-endian uint32 sizes, then the items as raw bytes. Files are read
 * whole (the largest MNIST file is 47 MB) and gunzipped in memory when they
 * start with the gzip magic, so the ".gz" and the uncompressed downloads both
 * work. */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/data/idx.h"
#include "pairnet/data/gzip.h"
#include "pairnet/base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Caps on what one MNIST file may be, compressed (PN_IDX_MAX_FILE, idx.h)
 * and raw: ~5x the largest real file, and small enough that a corrupt file
 * cannot exhaust memory. */
#define IDX_MAX_FILE PN_IDX_MAX_FILE
#define IDX_MAX_RAW ((size_t)256 << 20)

#define IDX_TYPE_U8 0x08
#define IDX_HINT "is it an MNIST file? re-download with scripts/get-mnist.sh"

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Reads all of path into a malloc'ed buffer, refusing directories, special
 * files and anything over IDX_MAX_FILE. */
static int read_whole(const char *path, uint8_t **buf, size_t *len, pn_err *err)
{
    struct stat st;
    *buf = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* a FIFO must not block: it is refused below */
    if (fd < 0) {
        const int e = errno;
        if (e == EMFILE || e == ENFILE) /* not the data's fault: say so, not "point --data" */
            return pn_fail(err, PN_ERR_RUNTIME, "%s: cannot open: %s", path, PN_TOO_MANY_FILES);
        const char *fix = e == EACCES ? "this user may not read it: fix its permissions (chmod "
                                        "a+r), or copy MNIST to a place you can read"
                        : e == ELOOP  ? "a symbolic link loop: point the link at the real file"
                        : e == ENOENT ? "run make data to fetch MNIST into data/mnist, or point "
                                        "--data or PAIRNET_DATA at the MNIST directory"
                                      : "point --data or PAIRNET_DATA at the MNIST directory";
        return pn_fail(err, PN_ERR_DATA, "%s: cannot open: %s (%s)", path, strerror(e), fix);
    }
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return pn_fail(err, PN_ERR_DATA, "%s: cannot stat: %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return pn_fail(err, PN_ERR_DATA, "%s: %s (expected an IDX file; pass the directory "
                       "that contains the four MNIST files)", path, strerror(EISDIR));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return pn_fail(err, PN_ERR_DATA, "%s: not a regular file (expected an IDX file)", path);
    }
    if ((uintmax_t)st.st_size > IDX_MAX_FILE) {
        close(fd);
        return pn_fail(err, PN_ERR_DATA, "%s: %jd bytes, more than the %zu allowed for an MNIST "
                       "file (%s)", path, (intmax_t)st.st_size, IDX_MAX_FILE, IDX_HINT);
    }
    size_t n = (size_t)st.st_size, got = 0;
    uint8_t *p = malloc(n ? n : 1);
    if (!p) {
        close(fd);
        return pn_fail(err, PN_ERR_RUNTIME, "%s: out of memory for %zu bytes", path, n);
    }
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? errno : 0;
            close(fd);
            free(p);
            return pn_fail(err, PN_ERR_DATA, "%s: read failed after %zu of %zu bytes: %s", path,
                           got, n, e ? strerror(e) : "file shrank while reading");
        }
        got += (size_t)r;
    }
    close(fd);
    *buf = p;
    *len = n;
    return 0;
}

/* Checks the header against expect_ndims and the length of the payload;
 * fills out->ndims/dims and *offset (where the payload starts). */
static int parse_header(const uint8_t *buf, size_t len, size_t expect_ndims, pn_idx *out,
                        size_t *offset, const char *name, pn_err *err)
{
    if (expect_ndims < 1 || expect_ndims > 3)
        return pn_fail(err, PN_ERR_RUNTIME, "%s: internal error: expect_ndims = %zu", name,
                       expect_ndims);
    if (len < 4)
        return pn_fail(err, PN_ERR_DATA, "%s: only %zu bytes, too short for an IDX header (%s)",
                       name, len, IDX_HINT);
    if (buf[0] != 0 || buf[1] != 0)
        return pn_fail(err, PN_ERR_DATA, "%s: not an IDX file (magic %02x %02x %02x %02x, "
                       "expected 00 00 08 %02zx) (%s)", name, buf[0], buf[1], buf[2], buf[3],
                       expect_ndims, IDX_HINT);
    if (buf[2] != IDX_TYPE_U8)
        return pn_fail(err, PN_ERR_DATA, "%s: IDX element type 0x%02x, expected 0x08 (unsigned "
                       "bytes) (%s)", name, buf[2], IDX_HINT);
    if (buf[3] != expect_ndims)
        return pn_fail(err, PN_ERR_DATA, "%s: %u dimensions, expected %zu (labels have 1, "
                       "images 3: wrong file?) (%s)", name, buf[3], expect_ndims, IDX_HINT);
    size_t head = 4 + 4 * expect_ndims, items = 1;
    if (len < head)
        return pn_fail(err, PN_ERR_DATA, "%s: truncated IDX header (%zu of %zu bytes) (%s)", name,
                       len, head, IDX_HINT);
    for (size_t i = 0; i < expect_ndims; i++) {
        size_t d = be32(buf + 4 + 4 * i);
        if (d == 0)
            return pn_fail(err, PN_ERR_DATA, "%s: dimension %zu is 0 (%s)", name, i, IDX_HINT);
        if (items > SIZE_MAX / d)
            return pn_fail(err, PN_ERR_DATA, "%s: dimensions overflow the address space (%s)",
                           name, IDX_HINT);
        items *= d;
        out->dims[i] = d;
    }
    size_t have = len - head;
    if (have < items)
        return pn_fail(err, PN_ERR_DATA, "%s: truncated: the header promises %zu data bytes, "
                       "the file has %zu (%s)", name, items, have, IDX_HINT);
    if (have > items)
        return pn_fail(err, PN_ERR_DATA, "%s: %zu bytes after the data: the header promises %zu "
                       "data bytes, the file has %zu (%s)", name, have - items, items, have,
                       IDX_HINT);
    out->ndims = expect_ndims;
    *offset = head;
    return 0;
}

int pn_idx_parse(const uint8_t *buf, size_t len, size_t expect_ndims, pn_idx *out,
                 const char *name, pn_err *err)
{
    size_t offset = 0;
    pn_idx idx;
    memset(out, 0, sizeof *out);
    memset(&idx, 0, sizeof idx);
    int rc = parse_header(buf, len, expect_ndims, &idx, &offset, name, err);
    if (rc)
        return rc;
    size_t n = len - offset; /* >= 1: every dimension is >= 1 */
    idx.data = malloc(n);
    if (!idx.data)
        return pn_fail(err, PN_ERR_RUNTIME, "%s: out of memory for %zu bytes", name, n);
    memcpy(idx.data, buf + offset, n);
    *out = idx;
    return 0;
}

int pn_idx_read(const char *path, size_t expect_ndims, pn_idx *out, pn_err *err)
{
    uint8_t *buf = NULL;
    size_t len = 0, offset = 0;
    pn_idx idx;
    memset(out, 0, sizeof *out);
    memset(&idx, 0, sizeof idx);
    int rc = read_whole(path, &buf, &len, err);
    if (rc)
        return rc;
    if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) {
        uint8_t *raw = NULL;
        size_t raw_len = 0;
        rc = pn_gunzip(buf, len, IDX_MAX_RAW, &raw, &raw_len, path, err);
        free(buf);
        if (rc)
            return rc;
        buf = raw;
        len = raw_len;
    }
    rc = parse_header(buf, len, expect_ndims, &idx, &offset, path, err);
    if (rc) {
        free(buf);
        return rc;
    }
    /* Reuse the buffer: move the payload to its start instead of copying
     * 47 MB into a second allocation. */
    memmove(buf, buf + offset, len - offset);
    idx.data = buf;
    *out = idx;
    return 0;
}

void pn_idx_free(pn_idx *idx)
{
    if (!idx)
        return;
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}
