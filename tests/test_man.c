/* The manual page (`pairnet --man`) against --help: every option of every
 * command that --help lists is in the page, the page is well-formed troff
 * (when groff is here to say so). */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *bin(void)
{
    const char *b = getenv("PAIRNET_BIN");
    return b && *b ? b : NULL;
}

/* The output of `BIN args` into buf (at most cap - 1 bytes). */
static int run_out(const char *args, char *buf, size_t cap)
{
    char cmd[4096], path[1024];
    snprintf(path, sizeof path, "%s/man-out", t_tmp_dir());
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>&1", bin(), args, path);
    const int st = t_sh(cmd);
    t_read_file(path, buf, cap);
    return st;
}

/* "--lr" as the page writes it: "\-\-lr". */
static void roff_dashes(const char *opt, char *out, size_t cap)
{
    size_t n = 0;
    for (; *opt && n + 3 < cap; opt++) {
        if (*opt == '-')
            out[n++] = '\\';
        out[n++] = *opt;
    }
    out[n] = '\0';
}

/* Every "  --name" line start of `pairnet CMD --help` is in the page. */
static void options_of(const char *cmd, const char *page)
{
    static char help[65536];
    char args[64];
    snprintf(args, sizeof args, "%s --help", cmd);
    CHECK(run_out(args, help, sizeof help) == 0);
    size_t found = 0;
    for (const char *p = help; (p = strstr(p, "\n  --")) != NULL; p += 3) {
        char opt[64], want[160];
        size_t n = strcspn(p + 3, " \n");
        if (n >= sizeof opt)
            n = sizeof opt - 1;
        memcpy(opt, p + 3, n);
        opt[n] = '\0';
        /* the option's own entry: ".B \-\-lr RATE" or ".B \-\-[no\-]aug\-swap" */
        memcpy(want, "\n.B ", 4);
        roff_dashes(opt, want + 4, sizeof want - 5);
        const size_t w = strlen(want);
        want[w + 1] = '\0';
        want[w] = ' '; /* then its metavar */
        const int with_value = strstr(page, want) != NULL;
        want[w] = '\n'; /* a flag */
        CHECK_MSG(with_value || strstr(page, want) != NULL, "%s %s is in --help but not in the man page",
                  cmd, opt);
        found++;
    }
    CHECK_MSG(found >= 3, "pairnet %s --help lists only %zu options", cmd, found);
}

static void man_page_has_every_option(void)
{
    if (!bin()) {
        t_skip("PAIRNET_BIN is not set: run through make test");
        return;
    }
    static char page[262144];
    CHECK(run_out("--man", page, sizeof page) == 0);
    CHECK_MSG(strncmp(page, ".TH PAIRNET 1", 13) == 0, "the page does not start with .TH");
    options_of("train", page);
    options_of("bench", page);
    options_of("eval", page);
    options_of("predict", page);
    options_of("models", page);
    options_of("table1", page);
    options_of("compare", page);
}

/* groff's own warnings (-ww) on the page: none. */
static void man_page_is_clean_troff(void)
{
    if (!bin()) {
        t_skip("PAIRNET_BIN is not set: run through make test");
        return;
    }
    if (t_sh("command -v groff >/dev/null 2>&1") != 0) {
        t_skip("groff is not installed (apt-get install groff-base)");
        return;
    }
    char cmd[4096], out[4096];
    snprintf(cmd, sizeof cmd, "'%s' --man | groff -man -ww -z >'%s/groff.txt' 2>&1", bin(),
             t_tmp_dir());
    CHECK(t_sh(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s/groff.txt", t_tmp_dir());
    t_read_file(cmd, out, sizeof out);
    CHECK_MSG(out[0] == '\0', "groff warns about the page:\n%s", out);
}

void suite_man(void)
{
    RUN(man_page_has_every_option);
    RUN(man_page_is_clean_troff);
}
