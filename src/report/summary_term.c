/* The bench's closing summary on the terminal (summary_term.h). */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/report/summary_term.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pairnet/report/escape.h"

#define DIVERGED_NOTE "  (some rounds diverged)"

int pn_term_width(FILE *out)
{
    struct winsize ws;
    if (isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    const long v = c ? strtol(c, NULL, 10) : 0;
    return v > 0 && v < 10000 ? (int)v : 0;
}

/* "mean +- std" in percent: one round has no spread (the mean alone, as
 * docs/spec.md's rule says), and a model whose rounds all diverged has no
 * mean. */
static void format_pm(char *out, size_t cap, const pn_model_summary *s, double mean, double std)
{
    if (s->rounds == 0)
        snprintf(out, cap, "diverged (%zu of %zu)", s->diverged, s->diverged);
    else if (s->rounds == 1)
        snprintf(out, cap, "%.2f", 100 * mean);
    else
        snprintf(out, cap, "%.2f +- %.2f", 100 * mean, 100 * std);
}

static int diverged(const pn_model_summary *s) { return s->diverged && s->rounds; }

#define HEAD_FMT "%-10s %8s %6s %4s  %-16s %-16s %s"

/* Row m of the table into line; its length. */
static int row_text(char *line, size_t cap, const pn_model_summary *s)
{
    char train[48], test[48], name[44];
    format_pm(train, sizeof train, s, s->train_mean, s->train_std);
    format_pm(test, sizeof test, s, s->test_mean, s->test_std);
    return snprintf(line, cap, "%-10s %8zu %6g %4zu  %-16s %-16s %.1f%s",
                    pn_term_str(name, sizeof name, s->model), s->params, s->lr, s->bs, train,
                    test, s->sec_per_round, diverged(s) ? DIVERGED_NOTE : "");
}

/* The table's width: its widest line. */
static int table_width(const pn_model_summary *s, size_t n)
{
    char line[256];
    int w = snprintf(line, sizeof line, HEAD_FMT, "model", "params", "lr", "bs",
                     "train acc (%)", "test acc (%)", "s/round");
    for (size_t m = 0; m < n; m++) {
        const int k = row_text(line, sizeof line, &s[m]);
        w = k > w ? k : w;
    }
    return w;
}

static void table(FILE *out, const pn_model_summary *s, size_t n)
{
    fprintf(out, "\n" HEAD_FMT "\n", "model", "params", "lr", "bs", "train acc (%)",
            "test acc (%)", "s/round");
    for (size_t m = 0; m < n; m++) {
        char line[256];
        row_text(line, sizeof line, &s[m]);
        fprintf(out, "%s\n", line);
    }
}

/* Three short lines per model (under 50 columns for the study's models):
 * what it is, what it got, its time. */
static void blocks(FILE *out, const pn_model_summary *s, size_t n)
{
    fprintf(out, "\n");
    for (size_t m = 0; m < n; m++) {
        char train[48], test[48], name[44];
        format_pm(train, sizeof train, &s[m], s[m].train_mean, s[m].train_std);
        format_pm(test, sizeof test, &s[m], s[m].test_mean, s[m].test_std);
        fprintf(out, "%s: %zu params, lr %g, bs %zu\n", pn_term_str(name, sizeof name,
                s[m].model), s[m].params, s[m].lr, s[m].bs);
        fprintf(out, "  train %s%%, test %s%%\n", train, test);
        fprintf(out, "  %.1f s/round%s\n", s[m].sec_per_round,
                diverged(&s[m]) ? ", some rounds diverged" : "");
    }
}

void pn_summary_print(FILE *out, const pn_model_summary *s, size_t n, int cols)
{
    /* a line as wide as the terminal wraps on some terminals: one less */
    if (cols > 0 && cols <= table_width(s, n))
        blocks(out, s, n);
    else
        table(out, s, n);
}
