/* The interrupt flag and its handler: SIGINT (Ctrl-C), SIGTERM or SIGHUP
 * (the terminal or the ssh session closed) asks every training thread to
 * stop before its next batch; the rounds finished so far are kept. And
 * SIGXFSZ is ignored, so that a file size limit (ulimit -f) is an ordinary
 * write error (EFBIG) with a message and no temporary left behind, not a
 * silent death. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "pairnet/app/cli.h"

/* A signal handler may only touch lock-free atomics (C11 7.14.1.1). */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic_int must be lock-free for the SIGINT handler");

/* 0, or the number of the first signal that asked to stop */
atomic_int pn_interrupted;

static void on_stop(int sig)
{
    int none = 0;
    atomic_compare_exchange_strong(&pn_interrupted, &none, sig);
}

void pn_signals_init(void)
{
    signal(SIGXFSZ, SIG_IGN);
}

int pn_install_sigint(pn_err *err)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    static const char *const names[] = {"SIGINT", "SIGTERM", "SIGHUP"};
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        /* SIGHUP ignored when pairnet started stays ignored: nohup asks for
         * that. SIGINT is caught even so: a shell ignores it for every
         * background job, and `kill -INT` must still stop a bench there. */
        if (sigs[i] == SIGHUP && sigaction(SIGHUP, NULL, &old) == 0 &&
            old.sa_handler == SIG_IGN)
            continue;
        if (sigaction(sigs[i], &sa, NULL) != 0)
            return pn_fail(err, PN_ERR_RUNTIME, "cannot install the %s handler: %s", names[i],
                           strerror(errno));
    }
    return PN_OK;
}

int pn_interrupt_status(int rc)
{
    if (rc == PN_ERR_INTERRUPTED && atomic_load(&pn_interrupted) == SIGHUP)
        return PN_EXIT_HANGUP;
    return rc;
}

const char *pn_stop_word(void)
{
    return atomic_load(&pn_interrupted) == SIGHUP
               ? "interrupted by SIGHUP (the terminal or session closed)"
               : "interrupted";
}
