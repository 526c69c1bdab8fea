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
 * remove.
 *
 * The one rule for what a line may say (anything else is damage, refused
 * naming file:line, never recomputed or repaired): every field parses whole;
 * accuracies are in [0, 1]; a round that did not diverge has its epochs as
 * the key says and final train and test accuracies equal to its last
 * epoch's (train.c copies them from there; with --eval-final the earlier
 * epochs are "nan"), and a diverged round has "nan" for both (it stopped
 * before its last evaluation); every time, the round's and each epoch's, is
 * finite, >= 0 and at most MAX_SECONDS; no line holds a NUL byte or is
 * longer than MAX_LINE. Whatever follows the last newline (a torn append:
 * a partial record, NUL bytes, garbage) is not a line: it is cut off when
 * the store is opened with its lock and skipped when it is only read; a
 * complete record there that lost only its newline is kept.
 *
 * Files: rounds.pnr is read with pn_read_fd (regular files only, at most
 * MAX_FILE bytes) and, under the lock, opened without following links
 * (O_NOFOLLOW), created with O_EXCL, and written only when it is a regular
 * file with one link: repairs go through that same descriptor (ftruncate),
 * never through the path. rounds.lock is opened the same way and never
 * written at all (see take_lock). */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/report/store.h"

#include "pairnet/base/crc32.h"
#include "pairnet/base/file.h"
#include "pairnet/train/train.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HEADER "# pairnet round store v1\n"
#define MAX_EPOCHS 100000 /* --epochs' own bound */
/* Bounds on what is read back: a line holds at most MAX_EPOCHS groups of 5
 * numbers of at most 24 characters each, plus a key of a few hundred bytes;
 * the file 256 MiB, some 100,000 rounds of a few epochs, far beyond any
 * study. Any time, of a round or an epoch: about 115 days. */
#define MAX_LINE ((size_t)16 << 20)
#define MAX_FILE ((size_t)256 << 20)
#define MAX_SECONDS 1e7

typedef struct entry {
    char *key;
    pn_round_rec rec;
} entry;

struct pn_store {
    char path[4096], lock_path[4096];
    int lock_fd;
    int out; /* rounds.pnr, O_APPEND, under the lock; -1 when read-only */
    dev_t lock_dev;
    ino_t lock_ino;
    struct pn_store *next_held;
    int broken; /* an append failed: the file may end in a partial line, and
                   another append after it would make that line look damaged */
    entry *e;
    size_t n, cap;
};

/* ---- the lock ----
 *
 * An fcntl record lock on the whole of rounds.lock, and not a byte ever
 * written into it: the pid of the holder, for the note of a process that
 * waits, comes from F_GETLK. Such locks belong to the process, and ANY
 * close of ANY descriptor of that file by the process releases them: the
 * store is the only code that opens rounds.lock, and a process opens one
 * locked store per folder at most (held_by_us refuses a second one before
 * it opens the file, since its close would drop the first one's lock). The
 * lock is not inherited by fork and works on NFS (lockd). */

static pthread_mutex_t held_mu = PTHREAD_MUTEX_INITIALIZER;
static pn_store *held; /* the stores this process holds locked, linked by next_held */

/* A child of fork holds none of its parent's locks: it starts with an
 * empty list (and the mutex in a known state). */
static void forget_held(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    held_mu = fresh;
    held = NULL;
}

static void watch_fork(void) { pthread_atfork(NULL, NULL, forget_held); }

static int held_by_us(dev_t dev, ino_t ino)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, watch_fork);
    int found = 0;
    pthread_mutex_lock(&held_mu);
    for (const pn_store *h = held; h && !found; h = h->next_held)
        found = h->lock_dev == dev && h->lock_ino == ino;
    pthread_mutex_unlock(&held_mu);
    return found;
}

static void unhold(pn_store *s)
{
    pthread_mutex_lock(&held_mu);
    for (pn_store **p = &held; *p; p = &(*p)->next_held)
        if (*p == s) {
            *p = s->next_held;
            break;
        }
    pthread_mutex_unlock(&held_mu);
}

/* A file of the store opened for writing without following a link, or -1
 * with err filled; *created when it did not exist (made with O_EXCL). It
 * must be a regular file with a single link: anything else is not one
 * pairnet made, and is refused rather than written into. */
static int open_own(const char *path, int flags, int *created, pn_err *err)
{
    flags |= O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    *created = 0;
    int fd = open(path, flags);
    /* Two benches starting together may both find no file: the one whose
     * O_EXCL loses opens the winner's file instead (bounded: a file that
     * keeps vanishing and reappearing is somebody else's doing). */
    for (int tries = 0; fd < 0 && errno == ENOENT && tries < 100; tries++) {
        fd = open(path, flags | O_CREAT | O_EXCL, 0644);
        *created = fd >= 0;
        if (fd < 0 && errno == EEXIST)
            fd = open(path, flags);
    }
    if (fd < 0) {
        const int e = errno;
        if (e == ELOOP || e == EMLINK)
            pn_fail(err, PN_ERR_RUNTIME, "%s is a symbolic link: pairnet never writes through "
                    "one; remove it (rm '%s') or choose another --out", path, path);
        else if (pn_fd_exhausted(e))
            pn_fail(err, PN_ERR_RUNTIME, "cannot open %s: %s", path, PN_TOO_MANY_FILES);
        else if (e == EISDIR)
            pn_fail(err, PN_ERR_RUNTIME, "%s is a directory, not a file pairnet made: move it "
                    "away or choose another --out", path);
        else
            pn_fail(err, PN_ERR_RUNTIME, "cannot open %s: %s (is the folder writable? choose "
                    "another --out)", path, strerror(e));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
        pn_fail(err, PN_ERR_RUNTIME, "%s is %s, not a file pairnet made: pairnet writes only "
                "into regular files with one link; move it away or choose another --out", path,
                !S_ISREG(st.st_mode) ? "not a regular file (a FIFO, a device or a directory?)"
                                     : "a file with more than one hard link");
        close(fd);
        return -1;
    }
    return fd;
}

static int take_lock(pn_store *s, atomic_int *stop, pn_err *err)
{
    struct stat st;
    if (lstat(s->lock_path, &st) == 0 && held_by_us(st.st_dev, st.st_ino))
        return pn_fail(err, PN_ERR_RUNTIME, "%s is already open in this process (a bug)",
                       s->path);
    int created;
    s->lock_fd = open_own(s->lock_path, O_RDWR, &created, err);
    if (s->lock_fd < 0)
        return err->code;
    int noted = 0;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    while (fcntl(s->lock_fd, F_SETLK, &fl) != 0) {
        if (errno != EACCES && errno != EAGAIN && errno != EINTR)
            return pn_fail(err, PN_ERR_RUNTIME, "cannot lock %s: %s (a file system without "
                           "locks? choose another --out)", s->lock_path, strerror(errno));
        if (stop && atomic_load(stop))
            return pn_fail(err, PN_ERR_INTERRUPTED, "interrupted while waiting for %s",
                           s->lock_path);
        if (!noted) {
            struct flock who = fl;
            long pid = fcntl(s->lock_fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK
                           ? (long)who.l_pid : 0;
            if (pid > 0)
                fprintf(stderr, "pairnet: %s is in use by another pairnet (pid %ld): waiting "
                        "for it to finish\n", s->path, pid);
            else
                fprintf(stderr, "pairnet: %s is in use by another pairnet (pid unknown): "
                        "waiting for it to finish\n", s->path);
            noted = 1;
        }
        const struct timespec nap = {0, 100 * 1000 * 1000};
        nanosleep(&nap, NULL);
        fl.l_type = F_WRLCK;
    }
    if (fstat(s->lock_fd, &st) == 0) {
        s->lock_dev = st.st_dev;
        s->lock_ino = st.st_ino;
    }
    pthread_mutex_lock(&held_mu);
    s->next_held = held;
    held = s;
    pthread_mutex_unlock(&held_mu);
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

/* train.c copies a round's final accuracies from its last epoch, and a
 * round that diverged stops before it has any. */
static int finals_agree(const pn_round_rec *r)
{
    if (r->diverged)
        return isnan(r->train_acc) && isnan(r->test_acc);
    const pn_epoch_rec *last = &r->epochs[r->n_epochs - 1]; /* n_epochs >= 1 here */
    return last->train_acc == r->train_acc && last->test_acc == r->test_acc;
}

/* The n_epochs groups "lr,loss,train,test,seconds" of ep (modified) into
 * r->epochs; 0 if malformed. */
static int parse_epochs(char *ep, pn_round_rec *r)
{
    for (size_t i = 0; i < r->n_epochs; i++) {
        char *next = strchr(ep, ' ');
        if ((next != NULL) != (i + 1 < r->n_epochs))
            return 0;
        if (next)
            *next++ = '\0';
        char *g[6];
        pn_epoch_rec *e = &r->epochs[i];
        e->epoch = i + 1;
        if (split(ep, ',', g, 5) != 5 || !num(g[0], &e->lr) || !loss_num(g[1], &e->loss) ||
            !num(g[2], &e->train_acc) || !num(g[3], &e->test_acc) || !num(g[4], &e->seconds) ||
            !accuracy_ok(e->train_acc, 1) || !accuracy_ok(e->test_acc, 1) || isnan(e->lr) ||
            !(e->seconds >= 0 && e->seconds <= MAX_SECONDS))
            return 0;
        ep = next;
    }
    return r->n_epochs > 0 || !*ep;
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
    if (!(r->seconds >= 0 && r->seconds <= MAX_SECONDS))
        return "a time that is negative, missing or over 1e7 s";
    const size_t want = key_epochs(f[0]);
    if (!r->diverged && (r->n_epochs == 0 || (want && r->n_epochs != want)))
        return "an epoch count other than the key's";
    if (r->diverged && want && r->n_epochs > want)
        return "more epochs than the key's";
    r->epochs = calloc(r->n_epochs + 1, sizeof *r->epochs);
    if (!r->epochs)
        return "out of memory";
    const char *why = !parse_epochs(f[10], r) ? "a malformed epoch (or an epoch time that is "
                                                "negative, missing or over 1e7 s)"
                    : !finals_agree(r) ? (r->diverged ? "final accuracies on a round that diverged"
                                                      : "final accuracies other than its last "
                                                        "epoch's")
                    : (out->key = strdup(f[0])) == NULL ? "out of memory" : "";
    if (*why) {
        free(r->epochs);
        r->epochs = NULL;
    }
    return why;
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

/* One record line (p[0..n), no newline; modified) into the store: "" or
 * the reason it is damage. */
static const char *take_line(pn_store *s, char *p, size_t n, size_t line_no, pn_err *err,
                             int *rc)
{
    if (memchr(p, '\0', n))
        return "a NUL byte";
    if (n > MAX_LINE)
        return "a line longer than any round's";
    p[n] = '\0';
    entry e = {0};
    const char *why = parse_record(p, &e);
    if (*why)
        return why;
    const ssize_t dup = find_index(s, e.key, e.rec.seed);
    if (dup >= 0) {
        const int same = same_round(&s->e[dup].rec, &e.rec);
        free(e.key);
        free(e.rec.epochs);
        if (!same)
            *rc = pn_fail(err, PN_ERR_DATA, "%s:%zu: a second, different record of the round "
                          "of seed %llu (%s): delete one of the two lines", s->path, line_no,
                          (unsigned long long)s->e[dup].rec.seed, s->e[dup].key);
    } else if ((*rc = push(s, &e, err)) != PN_OK) {
        free(e.key);
        free(e.rec.epochs);
    }
    return "";
}

/* Parses buf[0..len) into the store. *keep: the bytes to keep (the torn
 * tail cut off); *mend: the tail is a complete record short of its newline. */
static int parse_all(pn_store *s, char *buf, size_t len, size_t *keep, int *mend, pn_err *err)
{
    const size_t hl = strlen(HEADER);
    *keep = len;
    *mend = 0;
    /* nothing, or a header cut short by a crash or a full disk: a new store */
    if (len < hl && memchr(buf, '\0', len) == NULL && strncmp(buf, HEADER, len) == 0) {
        *keep = 0;
        return PN_OK;
    }
    if (len < hl || memcmp(buf, HEADER, hl) != 0)
        return pn_fail(err, PN_ERR_DATA, "%s is not a pairnet round store (its first line is "
                       "not '%.*s'): move it away, or choose another --out", s->path,
                       (int)hl - 1, HEADER);
    size_t lines_end = len; /* just after the last newline */
    while (lines_end > hl && buf[lines_end - 1] != '\n')
        lines_end--;
    int rc = PN_OK;
    size_t line_no = 1;
    for (size_t at = hl; rc == PN_OK && at < lines_end; line_no++) {
        char *p = buf + at, *nl = memchr(p, '\n', lines_end - at);
        const char *why = take_line(s, p, (size_t)(nl - p), line_no + 1, err, &rc);
        if (*why)
            rc = pn_fail(err, PN_ERR_DATA, "%s:%zu: damaged round record (%s): delete that "
                         "line to recompute its round, or restore the file", s->path,
                         line_no + 1, why);
        at = (size_t)(nl - buf) + 1;
    }
    if (rc != PN_OK || lines_end == len)
        return rc;
    /* the torn tail: kept when it is a whole record that lost its newline,
     * else cut (or, read-only, skipped); never a reason to refuse the rest */
    char *tail = buf + lines_end;
    const size_t n = len - lines_end;
    pn_err ignored = {0, ""};
    int tail_rc = PN_OK;
    const char *why = take_line(s, tail, n, line_no + 1, &ignored, &tail_rc);
    if (!*why && tail_rc == PN_OK) {
        *mend = 1;
        return PN_OK;
    }
    *keep = lines_end;
    return PN_OK;
}

/* Loads every record; cuts a torn tail (in the file too when the store is
 * open for writing: a reader without the lock only skips it, since it may
 * be an append in progress); refuses damage elsewhere. */
static int load(pn_store *s, pn_err *err)
{
    size_t len = 0, keep;
    int missing = 0, mend;
    const int repair = s->out >= 0;
    char *buf = repair ? pn_read_fd(s->out, s->path, "round store", MAX_FILE, &len, err)
                       : pn_read_file(s->path, "round store", MAX_FILE, &len, &missing, err);
    if (!buf)
        return missing ? PN_OK : err->code;
    int rc = parse_all(s, buf, len, &keep, &mend, err);
    free(buf);
    if (rc != PN_OK || !repair)
        return rc;
    if (mend ? write(s->out, "\n", 1) != 1 : keep < len && ftruncate(s->out, (off_t)keep) != 0)
        return pn_fail(err, PN_ERR_RUNTIME, "cannot repair %s: %s", s->path, strerror(errno));
    return PN_OK;
}

/* Writes all of p[0..n) at the end of the store and syncs it; 0 or errno. */
static int append(int fd, const char *p, size_t n)
{
    while (n) {
        const ssize_t put = write(fd, p, n);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return put < 0 ? errno : EIO;
        p += put;
        n -= (size_t)put;
    }
    return fsync(fd) != 0 ? errno : 0;
}

static int store_new(const char *dir, pn_store **out, pn_err *err)
{
    *out = NULL;
    pn_store *s = calloc(1, sizeof *s);
    if (!s)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory");
    s->lock_fd = s->out = -1;
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
    rc = load(s, err);
    if (rc != PN_OK) {
        pn_store_close(s);
        return rc;
    }
    *out = s;
    return PN_OK;
}

int pn_store_open(const char *dir, atomic_int *stop, pn_store **out, pn_err *err)
{
    *out = NULL;
    pn_store *s;
    int rc = store_new(dir, &s, err);
    if (rc != PN_OK)
        return rc;
    rc = take_lock(s, stop, err);
    int created = 0;
    if (rc == PN_OK && (s->out = open_own(s->path, O_RDWR | O_APPEND, &created, err)) < 0)
        rc = err->code;
    if (rc == PN_OK)
        rc = load(s, err);
    if (rc == PN_OK && lseek(s->out, 0, SEEK_END) == 0) {
        const int e = append(s->out, HEADER, strlen(HEADER));
        if (e)
            rc = pn_fail(err, PN_ERR_RUNTIME, "cannot write %s: %s (is the disk full? choose "
                         "another --out)", s->path, strerror(e));
    }
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
    if (s->out >= 0)
        close(s->out);
    free_entries(s);
    if (s->lock_fd >= 0) {
        unhold(s);
        close(s->lock_fd); /* releases the lock */
    }
    free(s);
}

const pn_round_rec *pn_store_find(const pn_store *s, const char *key, uint64_t seed)
{
    const ssize_t i = find_index(s, key, seed);
    return i >= 0 ? &s->e[i].rec : NULL;
}

int pn_store_add(pn_store *s, const char *key, const pn_round_rec *r, pn_err *err)
{
    if (s->out < 0)
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
        /* one write of the whole line: an append is never interleaved
         * with another, and is torn only by a crash or a full disk */
        const uint32_t crc = pn_crc32(0, b.data, b.len);
        pn_buf line = {0};
        pn_buf_printf(&line, "%08x\t%s\n", (unsigned)crc, b.data);
        const int fail = line.failed ? ENOMEM : append(s->out, line.data, line.len);
        pn_buf_free(&line);
        if (fail) {
            s->broken = 1;
            rc = pn_fail(err, PN_ERR_RUNTIME, "cannot write %s: %s (disk full? free space and "
                         "run again: the rounds stored so far are kept)", s->path, strerror(fail));
        }
    }
    if (rc == PN_OK) { /* keep the round in memory too, as a reader would get it */
        e.key = strdup(key);
        if (!e.key || pn_round_rec_copy(&e.rec, r) != 0) {
            free(e.key);
            rc = pn_fail(err, PN_ERR_RUNTIME, "out of memory");
        } else {
            rc = push(s, &e, err);
            if (rc != PN_OK) {
                free(e.key);
                pn_round_rec_free(&e.rec);
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
