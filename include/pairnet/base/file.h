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
int pn_path_join(char *out, size_t cap, const char *dir, const char *name, pn_err *err);

#endif
