#define _POSIX_C_SOURCE 200809L
#include "pairnet/base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
