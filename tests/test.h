/* Minimal test harness: every test is a function; a CHECK that fails marks
 * the current test failed and reports file:line. The runner prints one line
 * per test and ends with "N passed, N failed, N skipped". */
#ifndef PAIRNET_TEST_H
#define PAIRNET_TEST_H

#include <stddef.h>

void t_fail(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void t_run(const char *name, void (*fn)(void));
/* Marks the current test as one that cannot run here (the reason is
 * printed); it then counts as skipped, never as passed. Return after it. */
void t_skip(const char *why);
/* Directory of the real MNIST files, or NULL: the test is then skipped
 * (t_skip), unless PAIRNET_REQUIRE_DATA=1 makes a missing directory a failure. */
const char *t_data_dir(void);
/* Scratch directory for files a test writes (created by the runner). */
const char *t_tmp_dir(void);
/* Reads up to cap-1 bytes of path into buf, NUL-terminated ("" if unreadable). */
void t_read_file(const char *path, char *buf, size_t cap);
/* Runs cmd with sh -c; its exit status, or -1 if it did not exit. */
int t_sh(const char *cmd);

#define CHECK(cond)                                                  \
    do {                                                             \
        if (!(cond))                                                 \
            t_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);          \
    } while (0)

#define CHECK_MSG(cond, ...)                                         \
    do {                                                             \
        if (!(cond))                                                 \
            t_fail(__FILE__, __LINE__, __VA_ARGS__);                 \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                     \
    do {                                                                          \
        double t_a_ = (double)(a), t_b_ = (double)(b);                            \
        if (!(t_a_ - t_b_ <= (tol) && t_b_ - t_a_ <= (tol)))                      \
            t_fail(__FILE__, __LINE__, "%s = %.9g, %s = %.9g, tol %g", #a, t_a_, \
                   #b, t_b_, (double)(tol));                                      \
    } while (0)

#define RUN(fn) t_run(#fn, fn)

/* One suite per subject (tests/suites.def); each calls RUN() for its tests. */
#define PN_SUITE(name) void suite_##name(void);
#include "suites.def"
#undef PN_SUITE

#endif
