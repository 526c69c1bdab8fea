#define _POSIX_C_SOURCE 200809L
#include "pairnet/base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    case EACCES:
    case EPERM:
    case EROFS: return "is the directory read-only?";
    case EISDIR: return "a directory of that name is in the way";
    default: return "is the disk full or the directory read-only?";
    }
}

static int io_fail(pn_err *err, const char *what, const char *path, int e)
{
    return pn_fail(err, PN_ERR_RUNTIME, "cannot %s '%s': %s (%s)", what, path, strerror(e),
                   io_hint(e));
}

/* Writes and syncs a new file; returns 0 or an errno value. */
static int write_synced(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return errno ? errno : EIO;
    int e = 0;
    errno = 0;
    if (len && fwrite(data, 1, len, f) != len)
        e = errno ? errno : EIO;
    if (!e && fflush(f) != 0)
        e = errno ? errno : EIO;
    if (!e && fsync(fileno(f)) != 0)
        e = errno;
    /* fclose can be the first to report a delayed write error (NFS). */
    if (fclose(f) != 0 && !e)
        e = errno ? errno : EIO;
    return e;
}

/* Makes the rename itself durable; returns 0 or an errno value. */
static int sync_parent_dir(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return ENOMEM;
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0'; /* "/file" */
    else
        *slash = '\0';
    int e = 0;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        e = errno;
    else {
        if (fsync(fd) != 0)
            e = errno;
        close(fd);
    }
    free(dir);
    /* Some file systems cannot sync a directory; nothing more can be done. */
    return (e == EINVAL || e == ENOTSUP) ? 0 : e;
}

int pn_write_atomic(const char *path, const void *data, size_t len, pn_err *err)
{
    size_t cap = strlen(path) + 32;
    char *tmp = malloc(cap);
    if (!tmp)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory writing '%s'", path);
    /* The PID keeps concurrent processes writing the same file apart. */
    snprintf(tmp, cap, "%s.tmp.%ld", path, (long)getpid());
    int e = write_synced(tmp, data, len);
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        remove(tmp); /* the old file, if any, was never touched */
        free(tmp);
        return io_fail(err, "write", path, e);
    }
    free(tmp);
    e = sync_parent_dir(path);
    if (e)
        return io_fail(err, "sync the directory of", path, e);
    return 0;
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

char *pn_read_file(const char *path, const char *what, size_t max, size_t *len, int *missing,
                   pn_err *err)
{
    if (missing)
        *missing = 0;
    *len = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT && missing) {
            *missing = 1;
            return NULL;
        }
        pn_fail(err, PN_ERR_DATA, "cannot read the %s '%s': %s", what, path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        const int e = errno;
        pn_fail(err, PN_ERR_DATA, "the %s '%s' is %s: pairnet reads only regular files "
                "(move it away, or choose another path)", what, path,
                S_ISREG(st.st_mode) ? strerror(e) : file_kind(st.st_mode));
        close(fd);
        return NULL;
    }
    if ((unsigned long long)st.st_size > max) {
        pn_fail(err, PN_ERR_DATA, "the %s '%s' is %llu bytes, more than pairnet reads (%zu): "
                "it is not one pairnet wrote; move it away", what, path,
                (unsigned long long)st.st_size, max);
        close(fd);
        return NULL;
    }
    int e = 0;
    char *buf = read_all(fd, max, len, &e);
    close(fd);
    if (!buf)
        pn_fail(err, PN_ERR_DATA, "cannot read the %s '%s': %s", what, path, strerror(e));
    else if (*len > max) {
        pn_fail(err, PN_ERR_DATA, "the %s '%s' grew past %zu bytes while being read: it is not "
                "one pairnet wrote; move it away", what, path, max);
        free(buf);
        buf = NULL;
    }
    return buf;
}
