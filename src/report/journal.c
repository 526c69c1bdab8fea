/* The bench journal: every finished round is appended (and fsync'ed) as soon
 * as it ends, so an interrupted benchmark resumes from the finished rounds.
 * Values are printed with %.17g, which round-trips doubles exactly: a resumed
 * run builds the same tables as an uninterrupted one. NaN is spelled "nan".
 *
 *   # pairnet bench journal v2 <configuration>
 *   R,<model>,<round>,<seed>,<diverged>,<train>,<test>,<seconds>,<n_epochs>,<digit>,<argmax>
 *   E,<epoch>,<lr>,<loss>,<train>,<test>,<seconds>      (n_epochs lines)
 *   .                                                   (the round is complete)
 *
 * <digit> and <argmax> are the round's digit_acc and argmax_acc (nan for a
 * model without digit logits). Version 1, written before they existed, had
 * no such fields; a v1 journal is refused with a one-line message (remove
 * it or use another --out) rather than resumed: its rounds would miss the
 * digit accuracies, and the tables of a resumed run must be those of an
 * uninterrupted one.
 */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/report/journal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEADER "# pairnet bench journal v2 "
#define HEADER_V1 "# pairnet bench journal v1 "
#define JOURNAL_LINE 4096 /* longest line read back, newline and NUL included */

static void put_double(FILE *f, double v)
{
    if (isnan(v))
        fputs(",nan", f);
    else
        fprintf(f, ",%.17g", v);
}

int pn_journal_append(FILE *f, const pn_round_rec *r, pn_err *err)
{
    fprintf(f, "R,%s,%zu,%llu,%d", r->model, r->round, (unsigned long long)r->seed, r->diverged);
    put_double(f, r->train_acc);
    put_double(f, r->test_acc);
    put_double(f, r->seconds);
    fprintf(f, ",%zu", r->n_epochs);
    put_double(f, r->digit_acc);
    put_double(f, r->argmax_acc);
    fputc('\n', f);
    for (size_t i = 0; i < r->n_epochs; i++) {
        const pn_epoch_rec *e = &r->epochs[i];
        fprintf(f, "E,%zu", e->epoch);
        put_double(f, e->lr);
        put_double(f, e->loss);
        put_double(f, e->train_acc);
        put_double(f, e->test_acc);
        put_double(f, e->seconds);
        fputc('\n', f);
    }
    fputs(".\n", f);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        return pn_fail(err, PN_ERR_RUNTIME, "cannot write the bench journal: %s (disk full?)",
                       strerror(errno));
    return PN_OK;
}

static double parse_double(const char *s, int *ok)
{
    char *end;
    if (strncmp(s, "nan", 3) == 0 && (s[3] == ',' || s[3] == '\n' || !s[3]))
        return NAN;
    double v = strtod(s, &end);
    if (end == s)
        *ok = 0;
    return v;
}

/* Splits line at commas into at most max fields (modifies line). */
static size_t split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    line[strcspn(line, "\n")] = 0;
    for (char *p = line; n < max;) {
        fields[n++] = p;
        p = strchr(p, ',');
        if (!p)
            break;
        *p++ = 0;
    }
    return n;
}

static int parse_round(char *line, pn_round_rec *r)
{
    char *f[11];
    int ok = 1;
    if (split(line, f, 11) != 11 || strcmp(f[0], "R") != 0 || strlen(f[1]) >= sizeof r->model)
        return 0;
    memset(r, 0, sizeof *r);
    strcpy(r->model, f[1]);
    r->round = (size_t)strtoull(f[2], NULL, 10);
    r->seed = strtoull(f[3], NULL, 10);
    r->diverged = atoi(f[4]);
    r->train_acc = parse_double(f[5], &ok);
    r->test_acc = parse_double(f[6], &ok);
    r->seconds = parse_double(f[7], &ok);
    r->n_epochs = (size_t)strtoull(f[8], NULL, 10);
    r->digit_acc = parse_double(f[9], &ok);
    r->argmax_acc = parse_double(f[10], &ok);
    return ok && r->n_epochs <= 1000000;
}

static int parse_epoch(char *line, pn_epoch_rec *e)
{
    char *f[7];
    int ok = 1;
    if (split(line, f, 7) != 7 || strcmp(f[0], "E") != 0)
        return 0;
    e->epoch = (size_t)strtoull(f[1], NULL, 10);
    e->lr = parse_double(f[2], &ok);
    e->loss = parse_double(f[3], &ok);
    e->train_acc = parse_double(f[4], &ok);
    e->test_acc = parse_double(f[5], &ok);
    e->seconds = parse_double(f[6], &ok);
    return ok;
}

void pn_journal_free(pn_round_rec *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(r[i].epochs);
    free(r);
}

int pn_journal_open(const char *path, const char *config, pn_round_rec **rounds, size_t *n,
                    FILE **out, pn_err *err)
{
    *rounds = NULL;
    *n = 0;
    *out = NULL;
    /* the header must come back whole through the reader's line buffer */
    if (strlen(HEADER) + strlen(config) + 2 > JOURNAL_LINE || strchr(config, '\n'))
        return pn_fail(err, PN_ERR_RUNTIME, "the bench configuration (%zu characters) does not "
                       "fit on one journal line of %d", strlen(config), JOURNAL_LINE);
    FILE *f = fopen(path, "r");
    pn_round_rec *list = NULL;
    size_t count = 0, cap = 0;
    long good_end = 0; /* file offset after the last complete round */
    int rc = PN_OK;
    if (f) {
        char line[JOURNAL_LINE];
        int got = fgets(line, sizeof line, f) != NULL;
        if (got && strncmp(line, HEADER_V1, strlen(HEADER_V1)) == 0) {
            fclose(f);
            return pn_fail(err, PN_ERR_USAGE, "%s was written by an older pairnet (journal v1, "
                           "without the digit accuracies): remove it to start afresh, or use "
                           "another --out", path);
        }
        if (!got || strncmp(line, HEADER, strlen(HEADER)) != 0) {
            fclose(f);
            return pn_fail(err, PN_ERR_DATA, "%s is not a pairnet bench journal (move it away "
                           "or choose another --out)", path);
        }
        line[strcspn(line, "\n")] = 0;
        if (strcmp(line + strlen(HEADER), config) != 0) {
            fclose(f);
            return pn_fail(err, PN_ERR_USAGE, "%s holds a benchmark with another configuration "
                           "(%s); use another --out, or delete the journal to start afresh",
                           path, line + strlen(HEADER));
        }
        good_end = ftell(f);
        pn_round_rec r;
        while (rc == PN_OK && fgets(line, sizeof line, f) && parse_round(line, &r)) {
            r.epochs = calloc(r.n_epochs + 1, sizeof *r.epochs);
            size_t i = 0;
            while (r.epochs && i < r.n_epochs && fgets(line, sizeof line, f) &&
                   parse_epoch(line, &r.epochs[i]))
                i++;
            /* a round counts only with all its epochs and the end mark: a
             * kill -9 in the middle of an append leaves a torn tail */
            if (!r.epochs || i != r.n_epochs || !fgets(line, sizeof line, f) ||
                strcmp(line, ".\n") != 0) {
                free(r.epochs);
                break;
            }
            if (count == cap) {
                size_t nc = cap ? 2 * cap : 16;
                pn_round_rec *nl = realloc(list, nc * sizeof *nl);
                if (!nl) {
                    free(r.epochs);
                    rc = pn_fail(err, PN_ERR_RUNTIME, "out of memory reading %s", path);
                    break;
                }
                list = nl;
                cap = nc;
            }
            list[count++] = r;
            good_end = ftell(f);
        }
        fclose(f);
        if (rc != PN_OK) {
            pn_journal_free(list, count);
            return rc;
        }
        /* drop a torn tail so appends continue from a clean record boundary */
        if (truncate(path, good_end) != 0) {
            pn_journal_free(list, count);
            return pn_fail(err, PN_ERR_RUNTIME, "cannot repair %s: %s", path, strerror(errno));
        }
    }
    FILE *w = fopen(path, "a");
    if (!w) {
        pn_journal_free(list, count);
        return pn_fail(err, PN_ERR_RUNTIME, "cannot write %s: %s (is the directory writable?)",
                       path, strerror(errno));
    }
    if (!f) {
        fprintf(w, HEADER "%s\n", config);
        if (fflush(w) != 0) {
            fclose(w);
            return pn_fail(err, PN_ERR_RUNTIME, "cannot write %s: %s", path, strerror(errno));
        }
    }
    *rounds = list;
    *n = count;
    *out = w;
    return PN_OK;
}
