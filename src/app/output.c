/* The standard streams, as coreutils treats them: no file the program opens
 * may become fd 0, 1 or 2 (gnulib's stdopen), and a lost write to stdout or
 * stderr is an error, reported at the end (gnulib's close_stdout). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pairnet/app/cli.h"

void pn_stdio_init(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        /* The contrary mode: reading a closed stdin, or writing a closed
         * stdout, still fails (EBADF), as it would have without us. */
        const int got = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
        if (got != fd) {
            /* No /dev/null (a chroot?): nothing safe to do but stop. */
            static const char msg[] = "pairnet: cannot reopen a closed standard stream on "
                                      "/dev/null; run pairnet with fds 0, 1 and 2 open\n";
            if (write(2, msg, sizeof msg - 1) < 0) { /* stderr may be the closed one */
            }
            _exit(1);
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
}

/* Why writing to f failed. stdio keeps only the error flag (glibc drops
 * the unwritten bytes with the errno), so ask the descriptor itself: a
 * write of nothing reports EBADF and ENOSPC (/dev/full), poll reports a
 * pipe without a reader. 0 if it cannot tell. */
static int write_errno(FILE *f)
{
    errno = 0;
    if (fflush(f) != 0 && errno)
        return errno;
    const int fd = fileno(f);
    if (fd < 0)
        return EBADF;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return errno;
    if (!S_ISSOCK(st.st_mode)) { /* an empty write would be an empty datagram */
        errno = 0;
        if (write(fd, "", 0) < 0 && errno)
            return errno;
    }
    struct pollfd p = {fd, POLLOUT, 0};
    if (S_ISFIFO(st.st_mode) && poll(&p, 1, 0) == 1 && (p.revents & POLLERR))
        return EPIPE;
    return 0;
}

/* 0 if every byte written to f arrived, else the errno (-1: unknown). */
static int stream_error(FILE *f)
{
    if (!ferror(f) && fflush(f) == 0)
        return 0;
    const int e = write_errno(f);
    return e ? e : -1;
}

int pn_stdio_finish(int rc)
{
    const int out = stream_error(stdout);
    if (out) {
        if (out > 0)
            fprintf(stderr, "pairnet: write error: %s\n", strerror(out));
        else
            fprintf(stderr, "pairnet: write error on standard output\n");
    }
    const int err = stream_error(stderr);
    if (out || err)
        return rc ? rc : PN_ERR_RUNTIME;
    return rc;
}
