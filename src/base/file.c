#define _POSIX_C_SOURCE 200809L
#include "pairnet/base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The likely cause of a failed write, as a hint the user can act on. */
static const char *io_hint(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR: return "does the directory exist?";
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
        return "the disk (or quota) is full";
    case EFBIG: return "a file size limit (ulimit -f) or the file system's size limit";
    case EACCES:
    case EPERM:
    case EROFS: return "is the directory read-only?";
    case EISDIR: return "a directory of that name is in the way";
    case EMFILE:
    case ENFILE: return PN_TOO_MANY_FILES;
    case ENAMETOOLONG: return "use a shorter path";
    default: return "is the disk full or the directory read-only?";
    }
}

static int io_fail(pn_err *err, const char *what, const char *path, int e)
{
    return pn_fail(err, PN_ERR_RUNTIME, "cannot %s '%s': %s (%s)", what, path, strerror(e),
                   io_hint(e));
}

int pn_fd_exhausted(int e) { return e == EMFILE || e == ENFILE; }

/* 32 bits for a temporary's name: from /dev/urandom, else (no fd left, a
 * chroot without /dev) from the clock, the pid and a counter. Only
 * uniqueness matters: O_EXCL refuses any name that exists, whoever made it. */
static uint32_t tmp_random(void)
{
    static unsigned counter;
    uint32_t r = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0) {
        const ssize_t got = read(fd, &r, sizeof r);
        close(fd);
        if (got == (ssize_t)sizeof r)
            return r;
    }
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    r = (uint32_t)t.tv_nsec ^ (uint32_t)t.tv_sec * 2654435761u ^ (uint32_t)getpid() << 16;
    return r ^ ++counter * 0x9e3779b9u;
}

/* The directory part of path ("." for none, "/" for "/file") into dir[cap]. */
static void dir_of(const char *path, char *dir, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, cap, ".");
    else if (slash == path)
        snprintf(dir, cap, "/");
    else
        snprintf(dir, cap, "%.*s", (int)(slash - path), path);
}

/* Creates a new temporary beside path: "DIR/.NAME.XXXXXXXX", opened with
 * O_CREAT|O_EXCL|O_NOFOLLOW, so it is a file this call made and nothing
 * else (a planted file or link of that name is refused and another name
 * drawn). Returns the fd, or -1 with *e set. */
static int open_temp(const char *path, char *tmp, size_t cap, int *e)
{
    const char *slash = strrchr(path, '/');
    const size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
    for (int attempt = 0; attempt < 100; attempt++) {
        int n = snprintf(tmp, cap, "%.*s.%s.%08" PRIx32, (int)dlen, path, path + dlen,
                         tmp_random());
        if (n < 0 || (size_t)n >= cap) {
            *e = ENAMETOOLONG;
            return -1;
        }
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0666);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST) {
            *e = errno;
            return -1;
        }
    }
    *e = EEXIST;
    return -1;
}

/* Writes all of data to fd and syncs it; returns 0 or an errno value. */
static int write_all_synced(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t put = write(fd, p, len);
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            return errno;
        if (put == 0)
            return EIO;
        p += put;
        len -= (size_t)put;
    }
    return fsync(fd) != 0 ? errno : 0;
}

/* Makes the rename itself durable; returns 0 or an errno value. */
static int sync_parent_dir(const char *path)
{
    char dir[PATH_MAX];
    dir_of(path, dir, sizeof dir);
    int e = 0;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        e = errno;
    else {
        if (fsync(fd) != 0)
            e = errno;
        close(fd);
    }
    /* Some file systems cannot sync a directory; nothing more can be done. */
    return (e == EINVAL || e == ENOTSUP) ? 0 : e;
}

int pn_write_atomic(const char *path, const void *data, size_t len, pn_err *err)
{
    char tmp[PATH_MAX];
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!*base)
        return io_fail(err, "write", path, EISDIR);
    int e = 0;
    int fd = open_temp(path, tmp, sizeof tmp, &e);
    if (fd < 0)
        return io_fail(err, e == ENAMETOOLONG ? "write (its temporary's name is too long)"
                                               : "create a temporary file for",
                       path, e);
    e = write_all_synced(fd, data, len);
    /* close can be the first to report a delayed write error (NFS) */
    if (close(fd) != 0 && !e)
        e = errno;
    /* rename replaces whatever path is, a symbolic link included, and never
     * writes through it */
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp); /* the old file, if any, was never touched */
        return io_fail(err, "write", path, e);
    }
    e = sync_parent_dir(path);
    if (e)
        return io_fail(err, "sync the directory of", path, e);
    return 0;
}

int pn_write_path_check(const char *path, const char *what, pn_err *err)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    /* the temporary "DIR/.NAME.XXXXXXXX" is the longest path written */
    if (strlen(path) + PN_TMP_EXTRA >= PATH_MAX)
        return pn_fail(err, PN_ERR_USAGE, "%s: the path '%s' is %zu bytes, too long to write "
                       "(with its temporary file it must stay under %d): choose a shorter one",
                       what, path, strlen(path), PATH_MAX - PN_TMP_EXTRA);
    for (const char *p = path; *p;) {
        const size_t n = strcspn(p, "/");
        const size_t room = p == base ? NAME_MAX - PN_TMP_EXTRA : NAME_MAX;
        if (n > room)
            return pn_fail(err, PN_ERR_USAGE, "%s: the name '%.*s' in '%s' is %zu bytes, more "
                           "than a file name may have here (%zu): choose a shorter one", what,
                           (int)n, p, path, n, room);
        p += n + (p[n] == '/');
    }
    return PN_OK;
}

int pn_path_join(char *out, size_t cap, const char *dir, const char *name, pn_err *err)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap)
        return pn_fail(err, PN_ERR_RUNTIME, "path too long: '%s/%s'", dir, name);
    return 0;
}

/* The kind of a non-regular file, for the message that refuses it. */
static const char *file_kind(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO (named pipe)";
    if (S_ISCHR(m) || S_ISBLK(m))
        return "a device";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a regular file";
}

/* Reads fd to its end into a new buffer of at most max + 1 bytes. */
static char *read_all(int fd, size_t max, size_t *len, int *e)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 == cap) {
            if (n > max)
                break; /* grew past max while being read */
            size_t ncap = cap * 2 > max + 2 ? max + 2 : cap * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t got = read(fd, buf + n, cap - 1 - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            *e = errno;
            free(buf);
            return NULL;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    if (!buf) {
        *e = ENOMEM;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

char *pn_read_fd(int fd, const char *path, const char *what, size_t max, size_t *len,
                 pn_err *err)
{
    *len = 0;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        const int e = errno;
        pn_fail(err, PN_ERR_DATA, "the %s '%s' is %s: pairnet reads only regular files "
                "(move it away, or choose another path)", what, path,
                S_ISREG(st.st_mode) ? strerror(e) : file_kind(st.st_mode));
        return NULL;
    }
    if ((unsigned long long)st.st_size > max) {
        pn_fail(err, PN_ERR_DATA, "the %s '%s' is %llu bytes, more than pairnet reads (%zu): "
                "it is not one pairnet wrote; move it away", what, path,
                (unsigned long long)st.st_size, max);
        return NULL;
    }
    int e = 0;
    char *buf = read_all(fd, max, len, &e);
    if (!buf)
        pn_fail(err, e == ENOMEM ? PN_ERR_RUNTIME : PN_ERR_DATA, "cannot read the %s '%s': %s",
                what, path, strerror(e));
    else if (*len > max) {
        pn_fail(err, PN_ERR_DATA, "the %s '%s' grew past %zu bytes while being read: it is not "
                "one pairnet wrote; move it away", what, path, max);
        free(buf);
        buf = NULL;
    }
    return buf;
}

char *pn_read_file(const char *path, const char *what, size_t max, size_t *len, int *missing,
                   pn_err *err)
{
    if (missing)
        *missing = 0;
    *len = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        const int e = errno;
        if (e == ENOENT && missing) {
            *missing = 1;
            return NULL;
        }
        if (pn_fd_exhausted(e))
            pn_fail(err, PN_ERR_RUNTIME, "cannot open the %s '%s': %s", what, path,
                    PN_TOO_MANY_FILES);
        else
            pn_fail(err, PN_ERR_DATA, "cannot read the %s '%s': %s", what, path, strerror(e));
        return NULL;
    }
    char *buf = pn_read_fd(fd, path, what, max, len, err);
    close(fd);
    return buf;
}
