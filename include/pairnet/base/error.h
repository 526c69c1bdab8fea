/* Errors: every fallible function returns 0 on success or one of the exit
 * codes below, and fills a pn_err with a one-line message that names the
 * problem and, where there is one, the fix. The CLI prints the message and
 * exits with the code, so a library error never needs to know about stdout. */
#ifndef PAIRNET_ERROR_H
#define PAIRNET_ERROR_H

#include <stddef.h>

enum pn_status {
    PN_OK = 0,
    PN_ERR_RUNTIME = 1,  /* out of memory, I/O failure while writing, ... */
    PN_ERR_USAGE = 2,    /* bad command line */
    PN_ERR_DATA = 3,     /* missing/corrupt MNIST, checkpoint or results file */
    PN_ERR_DIVERGED = 4, /* a training round produced a non-finite loss */
    PN_ERR_INTERRUPTED = 130 /* SIGINT: stopped cleanly after saving what was finished */
};

/* Room for a message with two long paths and its fix; pn_fail never cuts
 * the end (where the fix is), see below. */
#define PN_ERR_MSG 2048

typedef struct pn_err {
    int code;
    char msg[PN_ERR_MSG];
} pn_err;

#if defined(__GNUC__)
#define PN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PN_PRINTF(a, b)
#endif

/* Sets e->code and e->msg (printf-style) and returns code, so callers can
 * write `return pn_fail(err, PN_ERR_DATA, "...", ...);`. e may be NULL.
 * A message that would not fit keeps its beginning and its end (the fix):
 * the middle of the longest %s argument (a path, usually) gives way to
 * "...", then the next longest; control characters (a newline in a file
 * name) become '?', so the message stays one line. It allocates nothing
 * (the error may be that memory ran out). */
int pn_fail(pn_err *e, int code, const char *fmt, ...) PN_PRINTF(3, 4);

#endif
