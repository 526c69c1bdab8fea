/* Checked file writing: every failure is reported (with the likely cause),
 * never ignored, and a file is replaced whole or not at all. */
#ifndef PAIRNET_FILE_H
#define PAIRNET_FILE_H

#include <stddef.h>

#include "pairnet/base/error.h"

/* Writes data to path through path.tmp.PID + fsync + rename (+ fsync of the
 * directory), so a crash leaves either the old file or the new one. */
int pn_write_atomic(const char *path, const void *data, size_t len, pn_err *err);

/* dir/name into out[cap]; a path that does not fit is an error
 * (PN_ERR_RUNTIME), never a truncation. err may be NULL. */
/* The whole of a regular file, NUL-terminated (also when it holds NULs: *len
 * says how much was read), in memory from malloc. The file is opened without
 * blocking (a FIFO never hangs the reader) and checked with fstat before a
 * byte is read: a FIFO, a device, a socket or a directory is refused, and so
 * is a file over max bytes (it may also grow while being read: reading stops
 * at max + 1 and refuses it). what names the file in messages ("round
 * store", "checkpoint"). A missing file sets *missing (when missing is not
 * NULL) and returns NULL without an error; every other failure returns NULL
 * with err filled (PN_ERR_DATA). Symbolic links are followed: data folders
 * and their files may be links, and reading through one writes nothing. */
char *pn_read_file(const char *path, const char *what, size_t max, size_t *len, int *missing,
                   pn_err *err);

int pn_path_join(char *out, size_t cap, const char *dir, const char *name, pn_err *err);

#endif
