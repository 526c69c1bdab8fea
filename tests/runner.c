/* The one test runner: `build/tests/run [substring...]` runs every test
 * whose name contains one of the substrings (every test without any; a
 * "-substring" leaves out the tests that contain it), one line each (ok,
 * FAIL or skip), and ends with "N passed, N failed, N skipped". Exit status 1 if anything failed. A test
 * that cannot run (t_skip) counts as skipped only, never as passed. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include "pairnet/ops/kset.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

static size_t n_passed, n_failed, n_skipped;
static int current_failed;
static char current_skip[160]; /* why the current test cannot run, or "" */
static const char *current_name = "";
static char **filters; /* run only tests whose name contains one of these */
static int n_filters;
static char tmp_dir[256];

void t_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    if (!current_failed)
        fprintf(stderr, "FAIL %s\n", current_name);
    current_failed = 1;
    fprintf(stderr, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void t_run(const char *name, void (*fn)(void))
{
    struct timespec t0, t1;
    if (n_filters) { /* any substring selects; "-substring" leaves out */
        int hit = 0, want = 0;
        for (int i = 0; i < n_filters; i++) {
            if (filters[i][0] == '-') {
                if (strstr(name, filters[i] + 1))
                    return;
            } else {
                want = 1;
                hit |= strstr(name, filters[i]) != NULL;
            }
        }
        if (want && !hit)
            return;
    }
    current_name = name;
    current_failed = 0;
    current_skip[0] = '\0';
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fn();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (current_failed) {
        n_failed++;
        printf("FAIL %-44s %7.3f s\n", name, s);
    } else if (current_skip[0]) {
        n_skipped++;
        printf("skip %s (%s)\n", name, current_skip);
    } else {
        n_passed++;
        printf("ok   %-44s %7.3f s\n", name, s);
    }
    fflush(stdout);
}

void t_skip(const char *why)
{
    if (!current_skip[0])
        snprintf(current_skip, sizeof current_skip, "%s", why);
}

const char *t_data_dir(void)
{
    static int warned;
    const char *d = getenv("PAIRNET_DATA");
    if (!d || !*d)
        d = "data/mnist";
    struct stat st;
    if (stat(d, &st) == 0 && S_ISDIR(st.st_mode))
        return d;
    const char *req = getenv("PAIRNET_REQUIRE_DATA");
    if (req && strcmp(req, "1") == 0) {
        t_fail(__FILE__, __LINE__, "MNIST directory '%s' not found (PAIRNET_REQUIRE_DATA=1)", d);
        return NULL;
    }
    if (!warned)
        fprintf(stderr, "note: no MNIST in '%s': tests on real data are skipped "
                        "(run make data, or set PAIRNET_DATA)\n", d);
    warned = 1;
    t_skip("no MNIST data");
    return NULL;
}

const char *t_tmp_dir(void) { return tmp_dir; }

void t_read_file(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

int t_sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void rm_rf(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "note: could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
    pn_err err = {0, ""};
    if (pn_kset_env_check(&err) != PN_OK) {
        fprintf(stderr, "tests: %s\n", err.msg);
        return err.code;
    }
    filters = argv + 1;
    n_filters = argc - 1;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/pairnet-test-XXXXXX");
    if (!mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        return 1;
    }
#define PN_SUITE(name) suite_##name();
#include "suites.def"
#undef PN_SUITE
    rm_rf(tmp_dir);
    printf("%zu passed, %zu failed, %zu skipped\n", n_passed, n_failed, n_skipped);
    return n_failed ? 1 : 0;
}
