/* The round store (include/pairnet/report/store.h). Its file, rounds.pnr:
 *
 *   # pairnet round store v1
 *   <crc>\t<key>\t<model>\t<seed>\t<diverged>\t<train>\t<test>\t<digit>\t<argmax>\t<seconds>\t<n>\t<epochs>
 *
 * <crc> is the CRC-32 of everything after its tab, up to the newline, in 8
 * hex digits; <epochs> is n space-separated groups lr,loss,train,test,seconds
 * for epochs 1..n. Numbers are printed with %.17g, which reads back to the
 * same double, so tables built from stored rounds equal those of the run
 * that computed them; a value that was not measured is "nan".
 *
 * One line per round keeps a torn append to the last line, and a CRC per line
 * tells a torn or edited line from a good one. Damage before the last line is
 * refused rather than skipped: skipping would silently retrain rounds and
 * hide a file someone changed by hand, and the message names the line to
 * remove. */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/report/store.h"

#include "pairnet/base/crc32.h"
#include "pairnet/train/train.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HEADER "# pairnet round store v1\n"
#define MAX_EPOCHS 100000

typedef struct entry {
    char *key;
    pn_round_rec rec;
} entry;

struct pn_store {
    char path[4096], lock_path[4096];
    int lock_fd;
    FILE *out; /* appends */
    int broken; /* an append failed: the file may end in a partial line, and
                   another append after it would make that line look damaged */
    entry *e;
    size_t n, cap;
};

/* ---- the lock ---- */

static int take_lock(pn_store *s, int (*stop)(void), pn_err *err)
{
    s->lock_fd = open(s->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lock_fd < 0)
        return pn_fail(err, PN_ERR_RUNTIME, "cannot open %s: %s (is the folder writable? "
                       "choose another --out)", s->lock_path, strerror(errno));
    int noted = 0;
    while (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR)
            return pn_fail(err, PN_ERR_RUNTIME, "cannot lock %s: %s", s->lock_path,
                           strerror(errno));
        if (stop && stop())
            return pn_fail(err, PN_ERR_INTERRUPTED, "interrupted while waiting for %s",
                           s->lock_path);
        if (!noted) {
            char pid[32] = "";
            ssize_t got = pread(s->lock_fd, pid, sizeof pid - 1, 0);
            pid[got > 0 ? got : 0] = '\0';
            pid[strcspn(pid, "\n")] = '\0';
            fprintf(stderr, "pairnet: %s is in use by another pairnet (pid %s): waiting for it "
                            "to finish\n", s->path, pid[0] ? pid : "unknown");
            noted = 1;
        }
        const struct timespec nap = {0, 100 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(s->lock_fd, 0) != 0 || pwrite(s->lock_fd, pid, (size_t)len, 0) != len)
        return pn_fail(err, PN_ERR_RUNTIME, "cannot write %s: %s", s->lock_path, strerror(errno));
    return PN_OK;
}

/* ---- one record ---- */

/* sep, then v ("nan" when not measured); sep '\0' for none */
static void put_num(pn_buf *b, char sep, double v)
{
    if (sep)
        pn_buf_printf(b, "%c", sep);
    if (isnan(v))
        pn_buf_printf(b, "nan");
    else
        pn_buf_printf(b, "%.17g", v);
}

/* The line of one round, without its CRC and newline. */
static void format_record(pn_buf *b, const char *key, const pn_round_rec *r)
{
    pn_buf_printf(b, "%s\t%s\t%llu\t%d", key, r->model, (unsigned long long)r->seed,
                  r->diverged ? 1 : 0);
    put_num(b, '\t', r->train_acc);
    put_num(b, '\t', r->test_acc);
    put_num(b, '\t', r->digit_acc);
    put_num(b, '\t', r->argmax_acc);
    put_num(b, '\t', r->seconds);
    pn_buf_printf(b, "\t%zu\t", r->n_epochs);
    for (size_t i = 0; i < r->n_epochs; i++) {
        const pn_epoch_rec *e = &r->epochs[i];
        if (i)
            pn_buf_printf(b, " ");
        put_num(b, '\0', e->lr);
        put_num(b, ',', e->loss);
        put_num(b, ',', e->train_acc);
        put_num(b, ',', e->test_acc);
        put_num(b, ',', e->seconds);
    }
}

/* Whole-field numbers: "nan", or a decimal that strtod reads to the end. */
static int num(const char *s, double *v)
{
    if (strcmp(s, "nan") == 0) {
        *v = NAN;
        return 1;
    }
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end != s && *end == '\0' && errno == 0 && isfinite(*v);
}

/* A loss may also be infinite: the loss of the epoch a round diverged in. */
static int loss_num(const char *s, double *v)
{
    if (strcmp(s, "inf") == 0 || strcmp(s, "-inf") == 0) {
        *v = s[0] == '-' ? -INFINITY : INFINITY;
        return 1;
    }
    return num(s, v);
}

static int whole(const char *s, unsigned long long max, unsigned long long *v)
{
    char *end;
    if (*s < '0' || *s > '9')
        return 0;
    errno = 0;
    *v = strtoull(s, &end, 10);
    return *end == '\0' && errno == 0 && *v <= max;
}

static int accuracy_ok(double v, int may_be_nan) { return isnan(v) ? may_be_nan : v >= 0 && v <= 1; }

/* Splits s at sep into at most max fields; returns the count. */
static size_t split(char *s, char sep, char **f, size_t max)
{
    size_t n = 0;
    while (n < max) {
        f[n++] = s;
        s = strchr(s, sep);
        if (!s)
            return n;
        *s++ = '\0';
    }
    return n + 1; /* more fields than max */
}

/* The epoch count the key declares ("epochs=N" in it), or 0 for none. */
static size_t key_epochs(const char *key)
{
    const char *p = strstr(key, "epochs=");
    return p && (p == key || p[-1] == ';' || p[-1] == ',' || p[-1] == '(') ?
               (size_t)strtoull(p + 7, NULL, 10) : 0;
}

/* Parses one record (line without newline, modified); "" or a reason. */
static const char *parse_record(char *line, entry *out)
{
    char *f[12];
    if (strlen(line) < 10 || line[8] != '\t')
        return "no CRC";
    char *body = line + 9;
    unsigned long long crc;
    line[8] = '\0';
    char *end;
    crc = strtoull(line, &end, 16);
    if (*end != '\0')
        return "no CRC";
    if ((uint32_t)crc != pn_crc32(0, body, strlen(body)))
        return "CRC mismatch (edited or damaged)";
    if (split(body, '\t', f, 11) != 11)
        return "wrong number of fields";
    pn_round_rec *r = &out->rec;
    memset(r, 0, sizeof *r);
    unsigned long long seed, div, ne;
    if (!f[0][0] || strlen(f[1]) == 0 || strlen(f[1]) >= sizeof r->model)
        return "bad key or model";
    memcpy(r->model, f[1], strlen(f[1]) + 1);
    if (!whole(f[2], UINT64_MAX, &seed) || !whole(f[3], 1, &div) ||
        !whole(f[9], MAX_EPOCHS, &ne))
        return "bad seed, divergence flag or epoch count";
    r->seed = seed;
    r->diverged = (int)div;
    r->n_epochs = (size_t)ne;
    if (!num(f[4], &r->train_acc) || !num(f[5], &r->test_acc) || !num(f[6], &r->digit_acc) ||
        !num(f[7], &r->argmax_acc) || !num(f[8], &r->seconds))
        return "a number that does not parse";
    if (!accuracy_ok(r->train_acc, r->diverged) || !accuracy_ok(r->test_acc, r->diverged) ||
        !accuracy_ok(r->digit_acc, 1) || !accuracy_ok(r->argmax_acc, 1))
        return "an accuracy outside [0, 1], or missing on a round that did not diverge";
    if (!(r->seconds >= 0))
        return "negative or missing seconds";
    const size_t want = key_epochs(f[0]);
    if (!r->diverged && (r->n_epochs == 0 || (want && r->n_epochs != want)))
        return "an epoch count other than the key's";
    if (r->diverged && want && r->n_epochs > want)
        return "more epochs than the key's";
    r->epochs = calloc(r->n_epochs + 1, sizeof *r->epochs);
    if (!r->epochs)
        return "out of memory";
    char *ep = f[10];
    for (size_t i = 0; i < r->n_epochs; i++) {
        char *next = strchr(ep, ' ');
        if ((next != NULL) != (i + 1 < r->n_epochs))
            goto bad_epochs;
        if (next)
            *next++ = '\0';
        char *g[6];
        pn_epoch_rec *e = &r->epochs[i];
        e->epoch = i + 1;
        if (split(ep, ',', g, 5) != 5 || !num(g[0], &e->lr) || !loss_num(g[1], &e->loss) ||
            !num(g[2], &e->train_acc) || !num(g[3], &e->test_acc) || !num(g[4], &e->seconds) ||
            !accuracy_ok(e->train_acc, 1) || !accuracy_ok(e->test_acc, 1) || isnan(e->lr))
            goto bad_epochs;
        ep = next;
    }
    if (r->n_epochs == 0 && *ep)
        goto bad_epochs;
    out->key = strdup(f[0]);
    if (!out->key) {
        free(r->epochs);
        return "out of memory";
    }
    return "";
bad_epochs:
    free(r->epochs);
    r->epochs = NULL;
    return "a malformed epoch";
}

static int same_round(const pn_round_rec *a, const pn_round_rec *b)
{
    pn_buf x = {0}, y = {0};
    format_record(&x, "", a);
    format_record(&y, "", b);
    int same = !x.failed && !y.failed && x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
    pn_buf_free(&x);
    pn_buf_free(&y);
    return same;
}

static ssize_t find_index(const pn_store *s, const char *key, uint64_t seed)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->e[i].rec.seed == seed && strcmp(s->e[i].key, key) == 0)
            return (ssize_t)i;
    return -1;
}

static void free_entries(pn_store *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->e[i].key);
        free(s->e[i].rec.epochs);
    }
    free(s->e);
    s->e = NULL;
    s->n = s->cap = 0;
}

static int push(pn_store *s, entry *e, pn_err *err)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        entry *ne = realloc(s->e, cap * sizeof *ne);
        if (!ne)
            return pn_fail(err, PN_ERR_RUNTIME, "out of memory reading %s", s->path);
        s->e = ne;
        s->cap = cap;
    }
    s->e[s->n++] = *e;
    return PN_OK;
}

/* Reads the whole file into memory (NUL-terminated); *len its size. */
static char *slurp(const char *path, size_t *len, int *missing, pn_err *err)
{
    *missing = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) {
            *missing = 1;
            return NULL;
        }
        pn_fail(err, PN_ERR_DATA, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            pn_fail(err, PN_ERR_RUNTIME, "out of memory reading %s", path);
            return NULL;
        }
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *nb = realloc(buf, 2 * cap);
        if (!nb)
            free(buf);
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        pn_fail(err, PN_ERR_DATA, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Loads every record; cuts a torn last line (in the file too when repair
 * is set: a reader without the lock only skips it, since it may be an
 * append in progress); refuses damage elsewhere. */
static int load(pn_store *s, int repair, pn_err *err)
{
    size_t len = 0;
    int missing;
    char *buf = slurp(s->path, &len, &missing, err);
    if (!buf)
        return missing ? PN_OK : err->code;
    const size_t hl = strlen(HEADER);
    /* nothing, or a header cut short by a crash or a full disk: a new store */
    if (len < hl && strncmp(buf, HEADER, len) == 0) {
        free(buf);
        return !repair || truncate(s->path, 0) == 0 ? PN_OK
                                           : pn_fail(err, PN_ERR_RUNTIME, "cannot repair %s: %s",
                                                     s->path, strerror(errno));
    }
    if (strncmp(buf, HEADER, hl) != 0) {
        free(buf);
        return pn_fail(err, PN_ERR_DATA, "%s is not a pairnet round store (its first line is "
                       "not '%.*s'): move it away, or choose another --out", s->path,
                       (int)hl - 1, HEADER);
    }
    if (memchr(buf, '\0', len)) {
        free(buf);
        return pn_fail(err, PN_ERR_DATA, "%s holds a NUL byte: it is damaged (restore it, or "
                       "move it away to start afresh)", s->path);
    }
    size_t good_end = hl, line_no = 1;
    int rc = PN_OK;
    for (char *p = buf + hl; rc == PN_OK && *p;) {
        line_no++;
        char *nl = strchr(p, '\n');
        const int last = !nl; /* an append cut short has no newline */
        if (nl)
            *nl = '\0';
        else
            nl = p + strlen(p); /* parsing cuts the line into fields: find its end first */
        entry e = {0};
        const char *why = parse_record(p, &e);
        if (*why) {
            if (last) /* a torn append: the round is simply not stored */
                break;
            rc = pn_fail(err, PN_ERR_DATA, "%s:%zu: damaged round record (%s): delete that "
                         "line to recompute its round, or restore the file", s->path, line_no,
                         why);
            break;
        }
        const ssize_t dup = find_index(s, e.key, e.rec.seed);
        if (dup >= 0) {
            const int same = same_round(&s->e[dup].rec, &e.rec);
            free(e.key);
            free(e.rec.epochs);
            if (!same) {
                rc = pn_fail(err, PN_ERR_DATA, "%s:%zu: a second, different record of the round "
                             "of seed %llu (%s): delete one of the two lines", s->path, line_no,
                             (unsigned long long)s->e[dup].rec.seed, s->e[dup].key);
                break;
            }
        } else if ((rc = push(s, &e, err)) != PN_OK) {
            free(e.key);
            free(e.rec.epochs);
            break;
        }
        good_end = (size_t)(nl - buf) + 1;
        p = nl + (nl < buf + len);
    }
    /* a complete last record that lost only its newline is kept, the newline mended */
    const int mend_newline = rc == PN_OK && good_end > len;
    free(buf);
    if (rc != PN_OK || !repair)
        return rc;
    if (mend_newline) {
        FILE *f = fopen(s->path, "a");
        if (!f || fputc('\n', f) == EOF || fclose(f) != 0)
            return pn_fail(err, PN_ERR_RUNTIME, "cannot repair %s: %s", s->path, strerror(errno));
    } else if (good_end < len && truncate(s->path, (off_t)good_end) != 0) {
        return pn_fail(err, PN_ERR_RUNTIME, "cannot repair %s: %s", s->path, strerror(errno));
    }
    return PN_OK;
}

static int store_new(const char *dir, pn_store **out, pn_err *err)
{
    *out = NULL;
    pn_store *s = calloc(1, sizeof *s);
    if (!s)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory");
    s->lock_fd = -1;
    if (snprintf(s->path, sizeof s->path, "%s/rounds.pnr", dir) >= (int)sizeof s->path ||
        snprintf(s->lock_path, sizeof s->lock_path, "%s/rounds.lock", dir) >=
            (int)sizeof s->lock_path) {
        free(s);
        return pn_fail(err, PN_ERR_USAGE, "--out: the path is too long (%zu bytes)", strlen(dir));
    }
    *out = s;
    return PN_OK;
}

int pn_store_read(const char *dir, pn_store **out, pn_err *err)
{
    *out = NULL;
    pn_store *s;
    int rc = store_new(dir, &s, err);
    if (rc != PN_OK)
        return rc;
    rc = load(s, 0, err);
    if (rc != PN_OK) {
        pn_store_close(s);
        return rc;
    }
    *out = s;
    return PN_OK;
}

int pn_store_open(const char *dir, int (*stop)(void), pn_store **out, pn_err *err)
{
    *out = NULL;
    pn_store *s;
    int rc = store_new(dir, &s, err);
    if (rc != PN_OK)
        return rc;
    rc = take_lock(s, stop, err);
    if (rc == PN_OK)
        rc = load(s, 1, err);
    if (rc == PN_OK) {
        s->out = fopen(s->path, "a");
        if (!s->out)
            rc = pn_fail(err, PN_ERR_RUNTIME, "cannot write %s: %s (is the folder writable, the "
                         "disk full? choose another --out)", s->path, strerror(errno));
    }
    if (rc == PN_OK && ftell(s->out) == 0 &&
        (fputs(HEADER, s->out) == EOF || fflush(s->out) != 0 || fsync(fileno(s->out)) != 0))
        rc = pn_fail(err, PN_ERR_RUNTIME, "cannot write %s: %s (is the folder writable, the "
                         "disk full? choose another --out)", s->path, strerror(errno));
    if (rc != PN_OK) {
        pn_store_close(s);
        return rc;
    }
    *out = s;
    return PN_OK;
}

void pn_store_close(pn_store *s)
{
    if (!s)
        return;
    if (s->out)
        fclose(s->out);
    free_entries(s);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the lock */
    free(s);
}

const pn_round_rec *pn_store_find(const pn_store *s, const char *key, uint64_t seed)
{
    const ssize_t i = find_index(s, key, seed);
    return i >= 0 ? &s->e[i].rec : NULL;
}

int pn_store_add(pn_store *s, const char *key, const pn_round_rec *r, pn_err *err)
{
    if (!s->out)
        return pn_fail(err, PN_ERR_RUNTIME, "%s was opened to read only (a bug)", s->path);
    if (s->broken)
        return pn_fail(err, PN_ERR_RUNTIME, "cannot write %s: an earlier write to it failed "
                       "(disk full?); free space and run again", s->path);
    if (strpbrk(key, "\t\n") || !*key)
        return pn_fail(err, PN_ERR_RUNTIME, "round store key with a tab or newline (a bug)");
    pn_buf b = {0};
    format_record(&b, key, r);
    entry e = {0};
    int rc = PN_OK;
    if (b.failed)
        rc = pn_fail(err, PN_ERR_RUNTIME, "out of memory");
    if (rc == PN_OK) {
        const uint32_t crc = pn_crc32(0, b.data, b.len);
        if (fprintf(s->out, "%08x\t%s\n", (unsigned)crc, b.data) < 0 || fflush(s->out) != 0 ||
            fsync(fileno(s->out)) != 0) {
            s->broken = 1;
            rc = pn_fail(err, PN_ERR_RUNTIME, "cannot write %s: %s (disk full? free space and "
                         "run again: the rounds stored so far are kept)", s->path,
                         strerror(errno));
        }
    }
    if (rc == PN_OK) { /* keep the round in memory too, as a reader would get it */
        e.key = strdup(key);
        e.rec = *r;
        e.rec.epochs = calloc(r->n_epochs + 1, sizeof *e.rec.epochs);
        if (!e.key || !e.rec.epochs) {
            free(e.key);
            free(e.rec.epochs);
            rc = pn_fail(err, PN_ERR_RUNTIME, "out of memory");
        } else {
            memcpy(e.rec.epochs, r->epochs, r->n_epochs * sizeof *r->epochs);
            rc = push(s, &e, err);
            if (rc != PN_OK) {
                free(e.key);
                free(e.rec.epochs);
            }
        }
    }
    pn_buf_free(&b);
    return rc;
}

size_t pn_store_count(const pn_store *s) { return s->n; }
const char *pn_store_key(const pn_store *s, size_t i) { return s->e[i].key; }
const pn_round_rec *pn_store_round(const pn_store *s, size_t i) { return &s->e[i].rec; }
const char *pn_store_path(const pn_store *s) { return s->path; }
