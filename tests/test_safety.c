/* Safety on a shared machine (issue 20): what pairnet writes goes only where
 * it was asked to write (planted links and hard links, temporaries), what
 * it reads is bounded and never blocks (FIFOs, /dev/zero), a stored round
 * must agree with itself, a torn tail never costs the good rounds, and the
 * limits of a shared machine (a file size limit, SIGHUP, PATH_MAX, open
 * files, seeds at the end of their range) end in one line, not a crash.
 * The store and file functions are tested directly; the command line runs
 * $PAIRNET_BIN in a child with a deadline, so a hang fails instead of
 * stopping the suite. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include "pairnet/base/crc32.h"
#include "pairnet/base/file.h"
#include "pairnet/data/mnist.h"
#include "pairnet/train/checkpoint.h"
#include "pairnet/report/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KEY "model=cnn;lr=0.05;bs=50;epochs=2"
#define VICTIM_TEXT "precious: not pairnet's\n"

/* ---- helpers ---- */

static const char *fresh(const char *name)
{
    static char dir[512];
    char cmd[700];
    snprintf(dir, sizeof dir, "%s/safety_%s", t_tmp_dir(), name);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        t_fail(__FILE__, __LINE__, "cannot clear %s", dir);
    mkdir(dir, 0755);
    return dir;
}

static void put_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    CHECK_MSG(f != NULL, "cannot write %s", path);
    if (f) {
        fwrite(text, 1, len, f);
        fclose(f);
    }
}

static void put_text(const char *path, const char *text) { put_file(path, text, strlen(text)); }

static int same_text(const char *path, const char *want)
{
    char buf[4096];
    t_read_file(path, buf, sizeof buf);
    return strcmp(buf, want) == 0;
}

static long size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Files in dir that are none of the NULL-terminated names (hidden ones
 * included): a temporary left behind shows up here. */
static size_t others_in(const char *dir, const char *const *names)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        int known = 0;
        for (size_t i = 0; names[i]; i++)
            known |= strcmp(e->d_name, names[i]) == 0;
        if (!known) {
            fprintf(stderr, "  unexpected file in %s: %s\n", dir, e->d_name);
            n++;
        }
    }
    closedir(d);
    return n;
}

static pn_epoch_rec ep[2];

/* A round as train.c makes it: finals are the last epoch's. */
static pn_round_rec round_of(uint64_t seed)
{
    pn_round_rec r;
    memset(&r, 0, sizeof r);
    snprintf(r.model, sizeof r.model, "cnn");
    r.seed = seed;
    r.n_epochs = 2;
    for (size_t i = 0; i < 2; i++) {
        ep[i].epoch = i + 1;
        ep[i].lr = 0.05;
        ep[i].loss = 0.5 / (double)(i + 1);
        ep[i].train_acc = 0.75 + 0.125 * (double)i;
        ep[i].test_acc = 0.625 + 0.125 * (double)i + 0.0078125 * (double)seed;
        ep[i].seconds = 0.5;
    }
    r.epochs = ep;
    r.train_acc = ep[1].train_acc;
    r.test_acc = ep[1].test_acc;
    r.digit_acc = r.argmax_acc = NAN;
    r.seconds = 1.25;
    return r;
}

static void make_store(const char *dir, uint64_t n)
{
    pn_store *s = NULL;
    pn_err err = {0, ""};
    CHECK_MSG(pn_store_open(dir, NULL, &s, &err) == 0, "%s", err.msg);
    for (uint64_t seed = 0; s && seed < n; seed++) {
        pn_round_rec r = round_of(seed);
        CHECK(pn_store_add(s, KEY, &r, &err) == 0);
    }
    pn_store_close(s);
}

static char pnr[700], lock[700], victim[700];
static void paths(const char *dir)
{
    snprintf(pnr, sizeof pnr, "%s/rounds.pnr", dir);
    snprintf(lock, sizeof lock, "%s/rounds.lock", dir);
    snprintf(victim, sizeof victim, "%s/victim", dir);
}

/* In a child: at most 4 GB of address space, so that a reader of
 * /dev/zero that does not stop fails instead of taking the machine's
 * memory (not under ASan, which reserves far more address space). */
static void limit_memory(void)
{
#if !defined(__SANITIZE_ADDRESS__) && !defined(__clang__)
    struct rlimit as = {(rlim_t)4 << 30, (rlim_t)4 << 30};
    setrlimit(RLIMIT_AS, &as);
#endif
}

/* Runs fn in a child with a deadline (and, without ASan, a memory limit):
 * a reader that blocks on a FIFO or eats /dev/zero is killed, and the test
 * fails instead of hanging. Returns fn's result, or -1 if the child died. */
static int guarded(int (*fn)(const char *), const char *dir)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(10);
        limit_memory();
        _exit(fn(dir));
    }
    int st = 0;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    if (!WIFEXITED(st)) {
        t_fail(__FILE__, __LINE__, "the reader died of signal %d (a hang or unbounded memory?)",
               WIFSIGNALED(st) ? WTERMSIG(st) : 0);
        return -1;
    }
    return WEXITSTATUS(st);
}

/* 0 when both ways of opening the store refuse it with one line. */
static int open_refused(const char *dir)
{
    pn_store *s = NULL;
    pn_err err = {0, ""};
    if (pn_store_open(dir, NULL, &s, &err) == 0 || s || !err.msg[0] || strchr(err.msg, '\n'))
        return 1;
    if (pn_store_read(dir, &s, &err) == 0 || s || !err.msg[0] || strchr(err.msg, '\n'))
        return 2;
    return 0;
}

/* ---- writing ---- */

/* Temporaries are new files under random names: a planted link at the old
 * name (PATH.tmp.<pid>) is never written through, a planted file is left
 * alone, and no temporary remains after a success or a failure. */
static void safety_write_atomic_never_writes_through_a_planted_file(void)
{
    const char *dir = fresh("atomic");
    paths(dir);
    put_text(victim, VICTIM_TEXT);
    char target[800], planted[800], sub[800];
    snprintf(target, sizeof target, "%s/out.txt", dir);
    snprintf(planted, sizeof planted, "%s/out.txt.tmp.%ld", dir, (long)getpid());
    CHECK(symlink(victim, planted) == 0);
    pn_err err = {0, ""};
    CHECK_MSG(pn_write_atomic(target, "new\n", 4, &err) == 0, "%s", err.msg);
    CHECK_MSG(same_text(victim, VICTIM_TEXT), "the planted link's target was written");
    CHECK(same_text(target, "new\n"));
    /* a link at the target itself is replaced, never written through */
    CHECK(unlink(target) == 0 && symlink(victim, target) == 0);
    CHECK(pn_write_atomic(target, "newer\n", 6, &err) == 0);
    struct stat st;
    CHECK(lstat(target, &st) == 0 && S_ISREG(st.st_mode));
    CHECK(same_text(victim, VICTIM_TEXT) && same_text(target, "newer\n"));
    char name[64];
    snprintf(name, sizeof name, "out.txt.tmp.%ld", (long)getpid());
    const char *const expected[] = {"victim", "out.txt", name, "sub", NULL};
    /* a failure (a directory in the way) removes its temporary */
    snprintf(sub, sizeof sub, "%s/sub", dir);
    CHECK(mkdir(sub, 0755) == 0);
    CHECK(pn_write_atomic(sub, "x", 1, &err) != 0 && strstr(err.msg, "sub"));
    CHECK(others_in(dir, expected) == 0);
}

/* A file size limit: the write fails with one line and leaves nothing. */
static void safety_write_atomic_size_limit_leaves_no_temporary(void)
{
    const char *dir = fresh("fsize");
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit lim = {1000, 1000};
        setrlimit(RLIMIT_FSIZE, &lim);
        static char big[5000];
        char target[800];
        snprintf(target, sizeof target, "%s/big", dir);
        pn_err err = {0, ""};
        if (pn_write_atomic(target, big, sizeof big, &err) == 0)
            _exit(1);
        _exit(strstr(err.msg, "ulimit -f") && !strchr(err.msg, '\n') ? 0 : 2);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    static const char *const none[] = {NULL};
    CHECK(others_in(dir, none) == 0);
}

/* rounds.lock is never followed, never written, never a file with other
 * links; a waiting process still names the holder's pid. */
static void safety_lock_planted_symlink_is_refused(void)
{
    const char *dir = fresh("locklink");
    paths(dir);
    put_text(victim, VICTIM_TEXT);
    CHECK(symlink(victim, lock) == 0);
    pn_store *s = NULL;
    pn_err err = {0, ""};
    CHECK(pn_store_open(dir, NULL, &s, &err) != 0 && s == NULL);
    CHECK_MSG(strstr(err.msg, "rounds.lock") && strstr(err.msg, "symbolic link") &&
              !strchr(err.msg, '\n'), "%s", err.msg);
    CHECK_MSG(same_text(victim, VICTIM_TEXT), "the lock's link target was written");
    pn_store_close(s);
}

static void safety_lock_hard_link_is_refused(void)
{
    const char *dir = fresh("lockhard");
    paths(dir);
    put_text(victim, VICTIM_TEXT);
    CHECK(link(victim, lock) == 0);
    pn_store *s = NULL;
    pn_err err = {0, ""};
    CHECK(pn_store_open(dir, NULL, &s, &err) != 0 && s == NULL);
    CHECK_MSG(strstr(err.msg, "rounds.lock") && strstr(err.msg, "hard link"), "%s", err.msg);
    CHECK_MSG(same_text(victim, VICTIM_TEXT), "the hard-linked file was written");
    pn_store_close(s);
}

/* Sets *arg (a stop flag) after 300 ms: the lock wait has printed its
 * note by then (it notes on its first try, then retries every 100 ms). */
static void *stop_later(void *arg)
{
    const struct timespec later = {0, 300 * 1000 * 1000};
    nanosleep(&later, NULL);
    atomic_store((atomic_int *)arg, 1);
    return NULL;
}

static void safety_lock_is_never_written_and_names_its_holder(void)
{
    const char *dir = fresh("lockpid");
    paths(dir);
    int ready[2], done[2];
    CHECK(pipe(ready) == 0 && pipe(done) == 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        pn_store *s;
        pn_err err = {0, ""};
        if (pn_store_open(dir, NULL, &s, &err) != 0 || write(ready[1], "x", 1) != 1)
            _exit(1);
        char c;
        if (read(done[0], &c, 1) != 1)
            _exit(2);
        pn_store_close(s);
        _exit(0);
    }
    char c;
    CHECK(read(ready[0], &c, 1) == 1);
    CHECK_MSG(size_of(lock) == 0, "rounds.lock holds %ld bytes: it was written", size_of(lock));
    char note[800], want[64];
    snprintf(note, sizeof note, "%s/note", dir);
    const int saved = dup(2), fd = open(note, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    pn_store *s = NULL;
    pn_err err = {0, ""};
    atomic_int stop = 0;
    pthread_t stopper;
    const int started = pthread_create(&stopper, NULL, stop_later, &stop) == 0;
    CHECK(started);
    const int rc = started ? pn_store_open(dir, &stop, &s, &err) : PN_ERR_INTERRUPTED;
    if (started)
        pthread_join(stopper, NULL);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    CHECK(rc == PN_ERR_INTERRUPTED && s == NULL);
    snprintf(want, sizeof want, "(pid %ld)", (long)pid);
    char text[2048];
    t_read_file(note, text, sizeof text);
    CHECK_MSG(strstr(text, want) != NULL, "the note does not name %s: %s", want, text);
    CHECK(write(done[1], "x", 1) == 1);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(size_of(lock) == 0);
    close(ready[0]);
    close(ready[1]);
    close(done[0]);
    close(done[1]);
}

/* rounds.pnr is never followed for writing: an empty victim would receive
 * a header, a store a record. */
static void safety_store_planted_symlink_is_refused(void)
{
    const char *dir = fresh("pnrlink");
    paths(dir);
    put_text(victim, "");
    CHECK(symlink(victim, pnr) == 0);
    pn_store *s = NULL;
    pn_err err = {0, ""};
    CHECK(pn_store_open(dir, NULL, &s, &err) != 0 && s == NULL);
    CHECK_MSG(strstr(err.msg, "rounds.pnr") && strstr(err.msg, "symbolic link") &&
              !strchr(err.msg, '\n'), "%s", err.msg);
    CHECK_MSG(size_of(victim) == 0, "the victim was written (%ld bytes)", size_of(victim));
    pn_store_close(s);
    /* and a hard link: refused too */
    dir = fresh("pnrhard");
    paths(dir);
    put_text(victim, "");
    CHECK(link(victim, pnr) == 0);
    CHECK(pn_store_open(dir, NULL, &s, &err) != 0 && s == NULL);
    CHECK(size_of(victim) == 0);
}

/* ---- reading ---- */

static void safety_store_fifo_and_dev_zero_are_refused_promptly(void)
{
    const char *dir = fresh("fifo");
    paths(dir);
    CHECK(mkfifo(pnr, 0644) == 0);
    CHECK_MSG(guarded(open_refused, dir) == 0, "a FIFO as rounds.pnr was not refused");
    dir = fresh("zero");
    paths(dir);
    CHECK(symlink("/dev/zero", pnr) == 0);
    CHECK_MSG(guarded(open_refused, dir) == 0, "/dev/zero as rounds.pnr was not refused");
}

/* ---- records that must agree with themselves ---- */

/* Line no of the store, with field `field` (0-based after the CRC) set to
 * value and the CRC made right again: an edit only the checks can catch. */
static void edit_field(const char *path, int no, int field, const char *value)
{
    static char buf[65536], out[65536];
    t_read_file(path, buf, sizeof buf);
    size_t len = 0;
    int line = 1;
    for (char *p = buf; *p; line++) {
        char *nl = strchr(p, '\n');
        const size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (line != no) {
            memcpy(out + len, p, n);
            len += n;
        } else {
            char body[8192] = "", rec[8192];
            snprintf(rec, sizeof rec, "%.*s", (int)(n - 10), p + 9);
            int f = 0;
            for (char *q = rec, *tab; q; q = tab, f++) {
                tab = strchr(q, '\t');
                if (tab)
                    *tab++ = '\0';
                if (f)
                    strcat(body, "\t");
                strcat(body, f == field ? value : q);
            }
            len += (size_t)sprintf(out + len, "%08x\t%s\n",
                                   (unsigned)pn_crc32(0, body, strlen(body)), body);
        }
        p += n;
    }
    put_file(path, out, len);
}

static void expect_damage(const char *dir, const char *words, const char *where)
{
    pn_store *s = NULL;
    pn_err err = {0, ""};
    CHECK(pn_store_open(dir, NULL, &s, &err) == PN_ERR_DATA && s == NULL);
    CHECK_MSG(strstr(err.msg, words) && strstr(err.msg, where) && !strchr(err.msg, '\n'),
              "want '%s' at '%s': %s", words, where, err.msg);
    pn_store_close(s);
}

static void safety_store_final_accuracy_must_match_the_last_epoch(void)
{
    const char *dir = fresh("finals");
    paths(dir);
    make_store(dir, 3);
    edit_field(pnr, 3, 5, "0.5"); /* the final test accuracy of seed 1 */
    expect_damage(dir, "last epoch", "rounds.pnr:3:");
    /* a diverged round with final accuracies */
    dir = fresh("finals_div");
    paths(dir);
    make_store(dir, 3);
    edit_field(pnr, 2, 3, "1");
    expect_damage(dir, "diverged", "rounds.pnr:2:");
}

static void safety_store_times_are_bounded(void)
{
    static const struct { int field; const char *value; } cases[] = {
        {8, "1e300"}, {8, "10000001"}, {8, "nan"},
        {10, "0.05,0.5,0.75,0.625,0.5 0.05,0.25,0.875,0.75,1e300"},
        {10, "0.05,0.5,0.75,0.625,nan 0.05,0.25,0.875,0.75,0.5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *dir = fresh("seconds");
        paths(dir);
        make_store(dir, 2);
        edit_field(pnr, 2, cases[i].field, cases[i].value);
        pn_store *s = NULL;
        pn_err err = {0, ""};
        CHECK_MSG(pn_store_open(dir, NULL, &s, &err) == PN_ERR_DATA && s == NULL &&
                  strstr(err.msg, "rounds.pnr:2:"), "case %zu (%s) accepted: %s", i,
                  cases[i].value, err.msg);
        pn_store_close(s);
    }
}

/* A tail of any bytes after the last newline is cut (with the lock) or
 * skipped (read-only); a NUL before the last newline is damage at its line. */
static void safety_store_torn_tail_of_any_bytes_keeps_the_good_rounds(void)
{
    static const struct { const char *bytes; size_t n; } tails[] = {
#define TAIL(s) {s, sizeof s - 1}
        TAIL("\0\0\0\0\0\0\0\0"), TAIL("\x01\xff garbage \x7f"), TAIL("\0garbage\0"),
        TAIL("4c1f\tmodel=cnn;lr=0.0"),
#undef TAIL
    };
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        const char *dir = fresh("tail");
        paths(dir);
        make_store(dir, 2);
        const long good = size_of(pnr);
        FILE *f = fopen(pnr, "ab");
        CHECK(f && fwrite(tails[i].bytes, 1, tails[i].n, f) == tails[i].n);
        if (f)
            fclose(f);
        pn_store *s = NULL;
        pn_err err = {0, ""};
        CHECK_MSG(pn_store_read(dir, &s, &err) == 0 && s && pn_store_count(s) == 2,
                  "tail %zu, read-only: %s", i, err.msg);
        pn_store_close(s);
        CHECK(size_of(pnr) == good + (long)tails[i].n); /* read-only: nothing changed */
        s = NULL;
        CHECK_MSG(pn_store_open(dir, NULL, &s, &err) == 0 && s && pn_store_count(s) == 2,
                  "tail %zu: %s", i, err.msg);
        pn_store_close(s);
        CHECK_MSG(size_of(pnr) == good, "tail %zu was not cut", i);
    }
    /* NUL bytes on a line of their own, before the last newline: damage */
    const char *dir = fresh("nul_line");
    paths(dir);
    make_store(dir, 2);
    FILE *f = fopen(pnr, "ab");
    CHECK(f && fwrite("\0\0\0\n", 1, 4, f) == 4);
    if (f)
        fclose(f);
    expect_damage(dir, "NUL", "rounds.pnr:4:");
}

/* ---- the command line ---- */

typedef struct child {
    pid_t pid;
    char err_path[700];
} child;

/* Starts $PAIRNET_BIN with args (NULL-terminated) in a child: stdout to
 * /dev/null, stderr to a file; resource (or -1) limited to lim first. */
static int start(child *c, int resource, rlim_t lim, const char *const *args)
{
    const char *b = getenv("PAIRNET_BIN");
    if (!b || !*b) {
        CHECK_MSG(0, "PAIRNET_BIN is not set: run through `make test`");
        return -1;
    }
    snprintf(c->err_path, sizeof c->err_path, "%s/safety.err", t_tmp_dir());
    const char *argv[32] = {b};
    for (size_t i = 0; args[i] && i < 30; i++)
        argv[i + 1] = args[i];
    fflush(stdout);
    fflush(stderr);
    c->pid = fork();
    if (c->pid == 0) {
        int out = open("/dev/null", O_WRONLY), err = open(c->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int in = open("/dev/null", O_RDONLY);
        if (out < 0 || err < 0 || in < 0)
            _exit(120);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        for (int fd = 3; fd < 64; fd++)
            close(fd);
        signal(SIGXFSZ, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        limit_memory();
        if (resource >= 0) {
            struct rlimit r = {lim, lim};
            if (setrlimit(resource, &r) != 0)
                _exit(121);
        }
        execv(b, (char *const *)argv);
        _exit(122);
    }
    return c->pid > 0 ? 0 : -1;
}

/* Waits up to secs for the child; its exit status, or -1 (after a FAIL)
 * when it died of a signal or had to be killed. err gets its stderr. */
static int finish(child *c, int secs, char *err, size_t cap)
{
    int st = 0;
    pid_t got = 0;
    for (int i = 0; i < secs * 20 && (got = waitpid(c->pid, &st, WNOHANG)) == 0; i++) {
        const struct timespec nap = {0, 50 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    if (got == 0) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, &st, 0);
        t_read_file(c->err_path, err, cap);
        t_fail(__FILE__, __LINE__, "pairnet still ran after %d s (a hang?): %s", secs, err);
        return -1;
    }
    t_read_file(c->err_path, err, cap);
    if (!WIFEXITED(st)) {
        t_fail(__FILE__, __LINE__, "pairnet died of signal %d: %s",
               WIFSIGNALED(st) ? WTERMSIG(st) : 0, err);
        return -1;
    }
    return WEXITSTATUS(st);
}

static int one_line(const char *s)
{
    const char *nl = strchr(s, '\n');
    return nl && nl[1] == '\0' && strncmp(s, "pairnet", 7) == 0;
}

/* The error is one line, the last, after any progress lines ("[1/1] ..."). */
static int error_last(const char *s)
{
    const char *at = strstr(s, "pairnet ");
    while (at && at != s && at[-1] != '\n')
        at = strstr(at + 1, "pairnet ");
    return at && one_line(at);
}

/* Runs args to the end (deadline secs); status, stderr in err. */
static int run_args(int resource, rlim_t lim, int secs, char *err, size_t cap,
                    const char *const *args)
{
    child c;
    err[0] = '\0';
    if (start(&c, resource, lim, args) != 0)
        return -1;
    return finish(&c, secs, err, cap);
}

static void safety_cli_fifo_and_dev_zero_as_the_store(void)
{
    const char *data = t_data_dir();
    if (!data)
        return;
    static const char *const kinds[] = {"fifo", "zero"};
    for (size_t k = 0; k < 2; k++) {
        const char *dir = fresh(kinds[k]);
        paths(dir);
        CHECK(k == 0 ? mkfifo(pnr, 0644) == 0 : symlink("/dev/zero", pnr) == 0);
        char err[4096];
        const char *const list[] = {"bench", "--list", "--out", dir, NULL};
        int st = run_args(-1, 0, 20, err, sizeof err, list);
        CHECK_MSG(st > 0 && one_line(err), "bench --list on a %s: exit %d, %s", kinds[k], st, err);
        const char *const run[] = {"bench", "--models", "mlp", "--epochs", "1", "--rounds", "1",
                                   "--data", data, "--out", dir, NULL};
        st = run_args(-1, 0, 20, err, sizeof err, run);
        CHECK_MSG(st > 0 && one_line(err) && strstr(err, "rounds.pnr"),
                  "bench on a %s: exit %d, %s", kinds[k], st, err);
        const char *const eval[] = {"eval", "--load", pnr, "--data", data, NULL};
        st = run_args(-1, 0, 20, err, sizeof err, eval);
        CHECK_MSG(st > 0 && one_line(err), "eval --load of a %s: exit %d, %s", kinds[k], st, err);
    }
}

static void safety_cli_seed_never_wraps(void)
{
    char err[4096];
    const char *const bench[] = {"bench", "--models", "mlp", "--seed", "18446744073709551615",
                                 "--rounds", "2", "--data", "/nonexistent-pairnet-dir", NULL};
    int st = run_args(-1, 0, 20, err, sizeof err, bench);
    CHECK_MSG(st == 2 && one_line(err) && strstr(err, "--seed") &&
              strstr(err, "18446744073709551614"), "exit %d: %s", st, err);
    const char *const train[] = {"train", "--model", "mlp", "--seed", "18446744073709551610",
                                 "--rounds", "7", "--data", "/nonexistent-pairnet-dir", NULL};
    st = run_args(-1, 0, 20, err, sizeof err, train);
    CHECK_MSG(st == 2 && one_line(err) && strstr(err, "wrap"), "exit %d: %s", st, err);
    /* the last seed that fits is fine (it then fails on the missing data) */
    const char *const edge[] = {"train", "--model", "mlp", "--seed", "18446744073709551609",
                                "--rounds", "7", "--data", "/nonexistent-pairnet-dir", NULL};
    st = run_args(-1, 0, 20, err, sizeof err, edge);
    CHECK_MSG(st == 3, "exit %d: %s", st, err);
}

/* A file size limit: one line, exit 1, no temporary; the store keeps the round. */
static void safety_cli_file_size_limit_is_a_write_error(void)
{
    const char *data = t_data_dir();
    if (!data)
        return;
    const char *dir = fresh("ulimit_f");
    char out[800], err[4096];
    snprintf(out, sizeof out, "%s/out", dir);
    const char *const args[] = {"bench", "--models", "mlp", "--epochs", "1", "--rounds", "1",
                                "--jobs", "1", "--data", data, "--out", out, NULL};
    int st = run_args(RLIMIT_FSIZE, 2048, 60, err, sizeof err, args);
    CHECK_MSG(st == 1 && error_last(err) && strstr(err, "ulimit -f"), "exit %d: %s", st, err);
    static const char *const allowed[] = {"rounds.pnr", "rounds.lock", "table2.md", "table2.csv",
                                          "runs.csv", "fig4.svg", "curves.svg", "digits.svg",
                                          "effects.svg", "index.html", NULL};
    CHECK_MSG(others_in(out, allowed) == 0, "a temporary was left in %s", out);
}

static size_t lines_of(const char *path)
{
    static char buf[1 << 16];
    t_read_file(path, buf, sizeof buf);
    size_t n = 0;
    for (const char *p = buf; *p; p++)
        n += *p == '\n';
    return n;
}

/* SIGHUP: finished rounds kept, a message, exit 129 (not death by SIGHUP). */
static void safety_cli_sighup_keeps_rounds_and_exits_129(void)
{
    const char *data = t_data_dir();
    if (!data)
        return;
    const char *dir = fresh("hup");
    paths(dir);
    const char *const args[] = {"bench", "--models", "mlp", "--epochs", "1", "--rounds", "2000",
                                "--jobs", "1", "--data", data, "--out", dir, NULL};
    child c;
    if (start(&c, -1, 0, args) != 0)
        return;
    for (int i = 0; i < 600 && lines_of(pnr) < 2; i++) {
        const struct timespec nap = {0, 50 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    kill(c.pid, SIGHUP);
    char err[8192];
    const int st = finish(&c, 60, err, sizeof err);
    CHECK_MSG(st == 129, "exit %d, want 129: %s", st, err);
    CHECK_MSG(strstr(err, "SIGHUP") != NULL, "no word of SIGHUP: %s", err);
    CHECK(lines_of(pnr) >= 2);
    pn_store *s = NULL;
    pn_err e = {0, ""};
    CHECK_MSG(pn_store_read(dir, &s, &e) == 0 && s && pn_store_count(s) >= 1, "%s", e.msg);
    pn_store_close(s);
}

/* An --out whose files (with their temporaries) would not fit in PATH_MAX
 * is refused before any training, and creates nothing. */
static void safety_cli_too_long_out_is_refused_before_training(void)
{
    const char *data = t_data_dir();
    if (!data)
        return;
    const char *dir = fresh("longout");
    /* 4078 bytes: room for rounds.pnr (which the old code wrote, then
     * trained), none for effects.svg and its temporary */
    static char out[4200];
    size_t n = (size_t)snprintf(out, sizeof out, "%s", dir);
    while (n + 201 < 4078 - 1) /* components of 200 characters, under NAME_MAX */
        n += (size_t)snprintf(out + n, sizeof out - n, "/%0200d", 0);
    out[n++] = '/';
    while (n < 4078)
        out[n++] = 'd';
    out[n] = '\0';
    char err[8192];
    const char *const args[] = {"bench", "--models", "mlp", "--epochs", "1", "--rounds", "1",
                                "--data", data, "--out", out, NULL};
    const int st = run_args(-1, 0, 60, err, sizeof err, args);
    CHECK_MSG(st == 2 && one_line(err) && strstr(err, "--out") && strstr(err, "shorter"),
              "exit %d: %s", st, err);
    struct stat sb;
    CHECK_MSG(stat(out, &sb) != 0, "the folder was created (and trained into?)");
}

/* Out of file descriptors: say so, and do not blame --data or the files.
 * Run in a child that has used up its descriptors (the dynamic loader of a
 * new process needs some, so this cannot go through the binary), on the
 * functions every command opens files with. */
static int emfile_message_ok(const pn_err *err, const char *what)
{
    const int ok = strstr(err->msg, "ulimit -n") && !strstr(err->msg, "--data") &&
                   !strchr(err->msg, '\n') && err->code == PN_ERR_RUNTIME;
    if (!ok)
        fprintf(stderr, "  %s: code %d: %s\n", what, err->code, err->msg);
    return ok;
}

static void safety_too_many_open_files_is_named(void)
{
    const char *data = t_data_dir();
    if (!data)
        return;
    const char *dir = fresh("emfile");
    char ck[800], save[800];
    snprintf(ck, sizeof ck, "%s/m.ckpt", dir);
    snprintf(save, sizeof save, "%s/out.txt", dir);
    put_text(ck, "PNCK");
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit lim = {64, 64};
        if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
            _exit(100);
        while (dup(0) >= 0)
            ;
        int bad = 0;
        pn_err err = {0, ""};
        pn_mnist m;
        bad |= pn_mnist_load(data, &m, &err) == 0 || !emfile_message_ok(&err, "MNIST");
        pn_checkpoint c;
        bad |= (pn_checkpoint_load(ck, &c, &err) == 0 || !emfile_message_ok(&err, "checkpoint")) << 1;
        pn_store *s = NULL;
        bad |= (pn_store_open(dir, NULL, &s, &err) == 0 || !emfile_message_ok(&err, "store")) << 2;
        bad |= (pn_write_atomic(save, "x", 1, &err) == 0 || !emfile_message_ok(&err, "write")) << 3;
        _exit(bad);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d (bits: MNIST 1, checkpoint 2, "
              "store 4, write 8; 100: no limit)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

void suite_safety(void)
{
    RUN(safety_write_atomic_never_writes_through_a_planted_file);
    RUN(safety_write_atomic_size_limit_leaves_no_temporary);
    RUN(safety_lock_planted_symlink_is_refused);
    RUN(safety_lock_hard_link_is_refused);
    RUN(safety_lock_is_never_written_and_names_its_holder);
    RUN(safety_store_planted_symlink_is_refused);
    RUN(safety_store_fifo_and_dev_zero_are_refused_promptly);
    RUN(safety_store_final_accuracy_must_match_the_last_epoch);
    RUN(safety_store_times_are_bounded);
    RUN(safety_store_torn_tail_of_any_bytes_keeps_the_good_rounds);
    RUN(safety_cli_fifo_and_dev_zero_as_the_store);
    RUN(safety_cli_seed_never_wraps);
    RUN(safety_cli_file_size_limit_is_a_write_error);
    RUN(safety_cli_sighup_keeps_rounds_and_exits_129);
    RUN(safety_cli_too_long_out_is_refused_before_training);
    RUN(safety_too_many_open_files_is_named);
}
