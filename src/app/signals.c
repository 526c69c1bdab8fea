/* The interrupt flag and its handler: SIGINT (Ctrl-C) or SIGTERM asks every
 * training thread to stop before its next batch. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "pairnet/app/cli.h"

/* A signal handler may only touch lock-free atomics (C11 7.14.1.1). */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic_int must be lock-free for the SIGINT handler");

atomic_int pn_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    atomic_store(&pn_interrupted, 1);
}

int pn_install_sigint(pn_err *err)
{
    static const int sigs[] = {SIGINT, SIGTERM};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, NULL) != 0)
            return pn_fail(err, PN_ERR_RUNTIME, "cannot install the %s handler: %s",
                           sigs[i] == SIGINT ? "SIGINT" : "SIGTERM", strerror(errno));
    return PN_OK;
}
