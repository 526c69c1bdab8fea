/* The growable text buffer every report file is built in before it is
 * written whole (pn_write_atomic). */
#include "pairnet/base/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/base/file.h"

static int buf_reserve(pn_buf *b, size_t need)
{
    if (need <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return 0;
    }
    b->data = p;
    b->cap = cap;
    return 1;
}

void pn_buf_printf(pn_buf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    /* First try into the room left; if it does not fit, vsnprintf has told
     * us the exact length, so grow once and format again. */
    size_t room = b->cap - b->len;
    int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n >= room) {
        if (buf_reserve(b, b->len + (size_t)n + 1))
            vsnprintf(b->data + b->len, b->cap - b->len, fmt, again);
        else
            n = -1;
    }
    va_end(again);
    if (n < 0) {
        b->failed = 1; /* an encoding error or no memory: the text is incomplete */
        if (b->data)
            b->data[b->len] = '\0';
        return;
    }
    b->len += (size_t)n;
}

void pn_buf_free(pn_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

void pn_buf_put(pn_buf *b, const char *s, size_t n)
{
    if (b->failed || !buf_reserve(b, b->len + n + 1))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

int pn_buf_write_atomic(const char *path, const pn_buf *b, pn_err *err)
{
    if (b->failed)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory while building '%s'", path);
    return pn_write_atomic(path, b->data, b->len, err);
}

int pn_buf_save(const char *dir, const char *name, pn_buf *b, pn_err *err)
{
    char path[4096];
    int rc = pn_path_join(path, sizeof path, dir, name, err);
    if (!rc)
        rc = pn_buf_write_atomic(path, b, err);
    pn_buf_free(b);
    return rc;
}
