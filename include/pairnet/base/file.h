/* Checked file writing and bounded reading: every failure is reported
 * (with the likely cause), never ignored; a file is replaced whole or not at
 * all, and nothing is ever written through a link or into a file pairnet
 * did not create. */
#ifndef PAIRNET_FILE_H
#define PAIRNET_FILE_H

#include <stddef.h>

#include "pairnet/base/error.h"

/* What every message says when a process has run out of file descriptors
 * (EMFILE, ENFILE): not a fault of the path being opened. */
#define PN_TOO_MANY_FILES "too many open files (raise `ulimit -n`)"
/* errno e means "out of file descriptors" (EMFILE or ENFILE). */
int pn_fd_exhausted(int e);

/* Writes data to path, the one way pairnet creates files: a new temporary
 * "DIR/.NAME.XXXXXXXX" (8 random hex digits, drawn again while a file of
 * that name exists) beside it, opened with O_CREAT|O_EXCL|O_NOFOLLOW (so
 * it is always a file this call created, never a planted file or link),
 * written, fsync'd, closed and renamed over path, then the directory
 * fsync'd. A crash leaves the old file or the new one; rename replaces a
 * symbolic link at path itself, never the file it points to. Every failure
 * removes the temporary. The directories leading to path are followed
 * (the user named them); its last component is not. */
int pn_write_atomic(const char *path, const void *data, size_t len, pn_err *err);

/* What the temporary adds to a path's length (".", ".XXXXXXXX"). */
#define PN_TMP_EXTRA 10
/* Whether pn_write_atomic can write path as far as its length goes: the
 * temporary's path under PATH_MAX, every component at most NAME_MAX (the
 * last one with its temporary's extra characters). what names the option
 * ("--save"); a refusal is PN_ERR_USAGE with the fix. Checked before any
 * training, so a run never ends unable to write what it computed. */
int pn_write_path_check(const char *path, const char *what, pn_err *err);

/* dir/name into out[cap]; a path that does not fit is an error
 * (PN_ERR_RUNTIME), never a truncation. err may be NULL. */
int pn_path_join(char *out, size_t cap, const char *dir, const char *name, pn_err *err);

/* The whole of a regular file, NUL-terminated (also when it holds NULs: *len
 * says how much was read), in memory from malloc. The file is opened without
 * blocking (a FIFO never hangs the reader) and checked with fstat before a
 * byte is read: a FIFO, a device, a socket or a directory is refused, and so
 * is a file over max bytes (it may also grow while being read: reading stops
 * at max + 1 and refuses it). what names the file in messages ("round
 * store", "checkpoint"). A missing file sets *missing (when missing is not
 * NULL) and returns NULL without an error; every other failure returns NULL
 * with err filled (PN_ERR_DATA; PN_ERR_RUNTIME for no memory or no file
 * descriptor left). Symbolic links are followed: data folders and their
 * files may be links, and reading through one writes nothing. */
char *pn_read_file(const char *path, const char *what, size_t max, size_t *len, int *missing,
                   pn_err *err);
/* The same for a file already open (fd, from its current offset; path for
 * messages): fstat first, regular files only, at most max bytes. */
char *pn_read_fd(int fd, const char *path, const char *what, size_t max, size_t *len,
                 pn_err *err);

#endif
