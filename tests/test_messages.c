/* Messages and progress as a user reads them: pn_fail keeps the end of a
 * message (the fix) whatever the length of its arguments, and the bench's
 * progress frames fit the terminal's width. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/base/error.h"
#include "pairnet/report/progress.h"
#include "pairnet/report/summary_term.h"

static int ends_with(const char *s, const char *tail)
{
    const size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* A path of repeated "/abcdefghij" segments, len bytes. */
static char *long_path(size_t len)
{
    char *p = malloc(len + 1);
    if (!p)
        return NULL;
    for (size_t i = 0; i < len; i++)
        p[i] = "/abcdefghij"[i % 11];
    p[len] = '\0';
    return p;
}

/* Short messages come out exactly as snprintf writes them. */
static void fail_formats_like_snprintf(void)
{
    pn_err e;
    char want[512];
#define SAME(...)                                                                        \
    do {                                                                                 \
        snprintf(want, sizeof want, __VA_ARGS__);                                        \
        CHECK(pn_fail(&e, PN_ERR_DATA, __VA_ARGS__) == PN_ERR_DATA && e.code == PN_ERR_DATA); \
        CHECK_MSG(strcmp(e.msg, want) == 0, "'%s', want '%s'", e.msg, want);             \
    } while (0)
    SAME("plain text, 100%% sure");
    SAME("%s: %d, %u, %ld, %lld, %llu", "name", -3, 4u, -5L, -6LL, 7ULL);
    SAME("%zu of %zu, %jd, %ju, %td", (size_t)8, (size_t)9, (intmax_t)-10, (uintmax_t)11,
         (ptrdiff_t)-12);
    SAME("%02x %08X %o %#x %c%c", 10u, 0xbeefu, 8u, 255u, 'o', 'k');
    SAME("%g %.4f %8.3e %-6.1f| %+.2g", 0.1, 3.14159, 12345.678, 2.5, -1e-7);
    SAME("%-10s|%10s|%.3s|%*s|%-*d|%.*s", "left", "right", "abcdef", 6, "st", 5, 42, 2, "xyz");
    SAME("%s%s%s", "", "a", "");
    SAME("%hhu %hu %lu %Lg", (unsigned char)200, (unsigned short)60000, 123456789UL,
         (long double)2.5);
#undef SAME
    CHECK(pn_fail(NULL, PN_ERR_USAGE, "%s", "nothing") == PN_ERR_USAGE);
}

/* A message too long for the buffer loses the middle of its longest
 * argument, never its end; two long paths both give way. */
static void fail_keeps_the_fix(void)
{
    pn_err e;
    const char *fix = "(run make data, or point --data at the MNIST directory)";
    static const size_t lens[] = {1000, 2040, 5000, 100000};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char *path = long_path(lens[i]);
        CHECK(path != NULL);
        if (!path)
            return;
        pn_fail(&e, PN_ERR_DATA, "%s: cannot open: %s %s", path, "No such file or directory",
                fix);
        CHECK_MSG(strlen(e.msg) < sizeof e.msg && ends_with(e.msg, fix),
                  "a %zu-byte path: the fix is lost: ...%s", lens[i],
                  e.msg + (strlen(e.msg) > 80 ? strlen(e.msg) - 80 : 0));
        CHECK_MSG(strncmp(e.msg, path, 40) == 0, "the path's start is lost: %.60s", e.msg);
        CHECK(strstr(e.msg, ": cannot open: No such file or directory ") != NULL);
        if (lens[i] + 100 > sizeof e.msg) {
            CHECK_MSG(strstr(e.msg, "...") != NULL, "no ... in a shortened path");
            /* the path's end survives too (the file name) */
            CHECK_MSG(strstr(e.msg, path + lens[i] - 10) != NULL, "the path's end is lost");
        } else {
            CHECK(strstr(e.msg, path) != NULL); /* it fits: whole */
        }
        free(path);
    }
    char *a = long_path(3000), *b = long_path(4000);
    CHECK(a && b);
    if (a && b) {
        pn_fail(&e, PN_ERR_DATA, "%s holds %zu images but %s holds %zu labels %s", a,
                (size_t)60000, b, (size_t)10, fix);
        CHECK_MSG(ends_with(e.msg, fix) && strstr(e.msg, " holds 60000 images but ") &&
                      strstr(e.msg, " holds 10 labels "),
                  "two long paths: %.100s ... %s", e.msg, e.msg + strlen(e.msg) - 100);
    }
    free(a);
    free(b);
    /* no %s to shorten: the beginning and the end are kept */
    char lit[3000];
    memset(lit, 'x', sizeof lit - 1);
    lit[sizeof lit - 1] = '\0';
    pn_fail(&e, PN_ERR_DATA, "%d%s", 1, "tail");
    CHECK(strcmp(e.msg, "1tail") == 0);
    pn_fail(&e, PN_ERR_DATA, "%.2999s%d %s", lit, 7, "the end");
    CHECK_MSG(ends_with(e.msg, "7 the end") && strlen(e.msg) < sizeof e.msg, "%s",
              e.msg + strlen(e.msg) - 20);
}

/* A newline in an argument (a file name) cannot split the message. */
static void fail_stays_one_line(void)
{
    pn_err e;
    pn_fail(&e, PN_ERR_DATA, "%s: bad\tfile", "evil\nname\r\033[2J");
    CHECK_MSG(strcmp(e.msg, "evil?name??[2J: bad?file") == 0, "'%s'", e.msg);
}

/* The visible columns of one line of a frame: escape sequences and \r do
 * not count. */
static size_t visible(const char *s, size_t n)
{
    size_t cols = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\033') {
            while (i < n && !((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
                i++;
            continue;
        }
        if (s[i] != '\r')
            cols++;
    }
    return cols;
}

/* Runs a small bench's progress drawn for cols columns into text. */
static void progress_at(int cols, char *text, size_t cap)
{
    text[0] = '\0';
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    const char *names[] = {"cnn_ws_al", "mlp"};
    const double cost[] = {3.0, 1.0};
    const size_t epochs[] = {100, 45}, done[] = {0, 0};
    pn_progress p;
    pn_err err = {0, ""};
    CHECK(pn_progress_init(&p, f, 2, names, cost, 15, epochs, done, &err) == PN_OK);
    pn_progress_set_width(&p, cols);
    pn_round_rec r = {.model = "mlp", .round = 0, .seed = 0, .n_epochs = 45,
                      .train_acc = 0.9, .test_acc = 0.8, .seconds = 1.0};
    pn_progress_epoch(&p, 0, 99);
    pn_progress_epoch(&p, 1, 12);
    pn_progress_round(&p, 1, &r);
    pn_progress_epoch(&p, 0, 100);
    pn_progress_end(&p);
    pn_progress_free(&p);
    rewind(f);
    size_t n = fread(text, 1, cap - 1, f);
    text[n] = '\0';
    fclose(f);
}

/* Frames fit 60..200 columns (one column spare), their bars grow with the
 * width, they show a rate and an ETA; under 60 columns a line per round
 * that fits, without escape sequences. */
static void progress_fits_the_width(void)
{
    static char text[16384];
    static const int widths[] = {60, 72, 80, 120, 200};
    size_t last_bar = 0;
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        progress_at(widths[w], text, sizeof text);
        CHECK_MSG(strchr(text, '\033') && strstr(text, "rounds/min") && strstr(text, "eta ") &&
                      strstr(text, "epochs/s") && strstr(text, "epoch  99/100"),
                  "%d columns: %s", widths[w], text);
        size_t bar = 0;
        for (const char *s = text; *s;) {
            const size_t n = strcspn(s, "\n");
            CHECK_MSG(visible(s, n) < (size_t)widths[w], "%d columns: a line of %zu: %.*s",
                      widths[w], visible(s, n), (int)n, s);
            const char *open = memchr(s, '[', n), *close = open ? memchr(open, ']', n) : NULL;
            if (open && close && (size_t)(close - open - 1) > bar)
                bar = (size_t)(close - open - 1);
            s += n + (s[n] == '\n');
        }
        CHECK_MSG(bar >= last_bar && bar >= 10, "%d columns: a bar of %zu", widths[w], bar);
        last_bar = bar;
    }
    CHECK(last_bar > 30);
    static const int narrow[] = {40, 59};
    for (size_t w = 0; w < 2; w++) {
        progress_at(narrow[w], text, sizeof text);
        CHECK_MSG(!strchr(text, '\033') && strstr(text, "[1/30] mlp round 0: test 80.00%"),
                  "%d columns: %s", narrow[w], text);
        for (const char *s = text; *s;) {
            const size_t n = strcspn(s, "\n");
            CHECK_MSG(n < (size_t)narrow[w], "%d columns: a line of %zu: %.*s", narrow[w], n,
                      (int)n, s);
            s += n + (s[n] == '\n');
        }
    }
}

/* The bench's closing summary at width cols into text. */
static void summary_at(int cols, char *text, size_t cap)
{
    pn_model_summary s[2] = {
        {.model = "mlp", .params = 134530, .lr = 0.01, .bs = 100, .epochs = 45, .rounds = 15,
         .train_mean = 0.984267, .train_std = 0.003788, .test_mean = 0.796267,
         .test_std = 0.012601, .sec_per_round = 1.1},
        {.model = "cnn_ws_al", .params = 75120, .lr = 0.05, .bs = 100, .epochs = 45,
         .rounds = 14, .diverged = 1, .train_mean = 1.0, .train_std = 0.0,
         .test_mean = 0.904733, .test_std = 0.01078, .sec_per_round = 136.2}};
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    pn_summary_print(f, s, 2, cols);
    rewind(f);
    size_t n = fread(text, 1, cap - 1, f);
    text[n] = '\0';
    fclose(f);
}

/* The closing summary never wraps a cell: a table where it fits (and in a
 * file or pipe, width 0), a block of short lines per model where it does
 * not; accuracies in percent either way. */
static void summary_fits_the_width(void)
{
    static char text[4096];
    summary_at(0, text, sizeof text);
    CHECK_MSG(strstr(text, "train acc (%)") &&
                  strstr(text, "98.43 +- 0.38") && strstr(text, "(some rounds diverged)"),
              "%s", text);
    static const int widths[] = {40, 50, 60, 79};
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        summary_at(widths[w], text, sizeof text);
        CHECK_MSG(strstr(text, "mlp: 134530 params") && strstr(text, "test 79.63 +- 1.26%"),
                  "%d columns: %s", widths[w], text);
        for (const char *l = text; *l;) {
            const size_t n = strcspn(l, "\n");
            CHECK_MSG(n < (size_t)widths[w] || widths[w] < 50, "%d columns: a line of %zu: %.*s",
                      widths[w], n, (int)n, l);
            l += n + (l[n] == '\n');
        }
    }
    summary_at(120, text, sizeof text);
    CHECK_MSG(strstr(text, "train acc (%)"), "120 columns: no table: %s", text);
}

void suite_messages(void)
{
    RUN(fail_formats_like_snprintf);
    RUN(fail_keeps_the_fix);
    RUN(fail_stays_one_line);
    RUN(progress_fits_the_width);
    RUN(summary_fits_the_width);
}
