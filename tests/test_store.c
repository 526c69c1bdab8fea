/* The round store (src/report/store.c): exact round trip, repair of a torn
 * last line, refusal of damaged or hand-edited lines elsewhere (named by
 * line), duplicates, foreign files, and the lock between two processes. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include "pairnet/base/crc32.h"
#include "pairnet/report/store.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KEY "model=cnn;lr=0.05;bs=50;epochs=3"

static const char *fresh_dir(const char *name)
{
    static char dir[512];
    snprintf(dir, sizeof dir, "%s/store_%s", t_tmp_dir(), name);
    mkdir(dir, 0755);
    char path[600];
    snprintf(path, sizeof path, "%s/rounds.pnr", dir);
    remove(path);
    return dir;
}

static pn_epoch_rec ep[3];

static pn_round_rec round_of(uint64_t seed, int diverged)
{
    pn_round_rec r;
    memset(&r, 0, sizeof r);
    snprintf(r.model, sizeof r.model, "cnn");
    r.seed = seed;
    r.diverged = diverged;
    r.n_epochs = 3;
    for (size_t i = 0; i < 3; i++) {
        ep[i].epoch = i + 1;
        ep[i].lr = 0.05 / (double)(i + 1);
        ep[i].loss = 0.1 + 1.0 / 3.0 * (double)seed;
        ep[i].train_acc = 0.9 + 0.001 * (double)i;
        ep[i].test_acc = i == 1 ? NAN : 0.8 + 0.001 * (double)seed;
        ep[i].seconds = 0.25;
    }
    r.epochs = ep;
    /* train.c's rule, which the store checks: the final accuracies are the
     * last epoch's, and a diverged round has none */
    r.train_acc = diverged ? NAN : ep[2].train_acc;
    r.test_acc = diverged ? NAN : 0.8 + 0.001 * (double)seed;
    r.digit_acc = 0.1 / 3.0;
    r.argmax_acc = NAN;
    r.seconds = 1.5;
    return r;
}

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b)); }

static int rounds_equal(const pn_round_rec *a, const pn_round_rec *b)
{
    if (strcmp(a->model, b->model) || a->seed != b->seed || a->diverged != b->diverged ||
        a->n_epochs != b->n_epochs || !same_bits(a->train_acc, b->train_acc) ||
        !same_bits(a->test_acc, b->test_acc) || !same_bits(a->digit_acc, b->digit_acc) ||
        !same_bits(a->argmax_acc, b->argmax_acc) || !same_bits(a->seconds, b->seconds))
        return 0;
    for (size_t i = 0; i < a->n_epochs; i++) {
        const pn_epoch_rec *x = &a->epochs[i], *y = &b->epochs[i];
        if (x->epoch != y->epoch || !same_bits(x->lr, y->lr) || !same_bits(x->loss, y->loss) ||
            !same_bits(x->train_acc, y->train_acc) || !same_bits(x->test_acc, y->test_acc) ||
            !same_bits(x->seconds, y->seconds))
            return 0;
    }
    return 1;
}

/* A store in dir with rounds of seeds 0..n-1 (seed 1 diverged). */
static void make_store(const char *dir, uint64_t n)
{
    pn_store *s;
    pn_err err = {0};
    CHECK(pn_store_open(dir, NULL, &s, &err) == 0);
    if (!s)
        return;
    for (uint64_t seed = 0; seed < n; seed++) {
        pn_round_rec r = round_of(seed, seed == 1);
        CHECK(pn_store_add(s, KEY, &r, &err) == 0);
    }
    pn_store_close(s);
}

static char path_buf[700];
static const char *store_file(const char *dir)
{
    snprintf(path_buf, sizeof path_buf, "%s/rounds.pnr", dir);
    return path_buf;
}

static void store_round_trip_is_exact(void)
{
    const char *dir = fresh_dir("trip");
    make_store(dir, 4);
    pn_store *s;
    pn_err err = {0};
    CHECK(pn_store_open(dir, NULL, &s, &err) == 0);
    if (!s)
        return;
    CHECK(pn_store_count(s) == 4);
    for (uint64_t seed = 0; seed < 4; seed++) {
        pn_round_rec want = round_of(seed, seed == 1);
        const pn_round_rec *got = pn_store_find(s, KEY, seed);
        CHECK_MSG(got && rounds_equal(got, &want), "seed %llu differs after reading back",
                  (unsigned long long)seed);
    }
    CHECK(pn_store_find(s, KEY, 4) == NULL);
    CHECK(pn_store_find(s, "model=cnn;lr=0.01;bs=50;epochs=3", 0) == NULL);
    pn_store_close(s);
}

/* Appends text to the store file as it is. */
static void append_raw(const char *dir, const char *text)
{
    FILE *f = fopen(store_file(dir), "a");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void store_torn_last_line_is_repaired(void)
{
    const char *dir = fresh_dir("torn");
    make_store(dir, 2);
    const long good = file_size(store_file(dir));
    append_raw(dir, "1234abcd\tmodel=cnn;lr=0.05;bs=50;epochs=3\tcnn\t2\t0\t0.9"); /* no newline */
    pn_store *s;
    pn_err err = {0};
    CHECK_MSG(pn_store_open(dir, NULL, &s, &err) == 0, "%s", err.msg);
    if (!s)
        return;
    CHECK(pn_store_count(s) == 2);
    CHECK(file_size(store_file(dir)) == good);
    pn_round_rec r = round_of(2, 0);
    CHECK(pn_store_add(s, KEY, &r, &err) == 0);
    pn_store_close(s);
    CHECK(pn_store_open(dir, NULL, &s, &err) == 0);
    CHECK(s && pn_store_count(s) == 3);
    pn_store_close(s);
}

static void store_record_without_its_newline_is_kept(void)
{
    const char *dir = fresh_dir("nonl");
    make_store(dir, 3);
    const long size = file_size(store_file(dir));
    CHECK(truncate(store_file(dir), size - 1) == 0);
    pn_store *s;
    pn_err err = {0};
    CHECK(pn_store_open(dir, NULL, &s, &err) == 0);
    CHECK(s && pn_store_count(s) == 3);
    pn_round_rec r = round_of(7, 0);
    CHECK(s && pn_store_add(s, KEY, &r, &err) == 0);
    pn_store_close(s);
    CHECK_MSG(pn_store_open(dir, NULL, &s, &err) == 0, "%s", err.msg);
    CHECK(s && pn_store_count(s) == 4);
    pn_store_close(s);
}

/* Replaces line `no` (1-based) of the store with text ("" keeps nothing). */
static void replace_line(const char *dir, int no, const char *text)
{
    char buf[65536];
    t_read_file(store_file(dir), buf, sizeof buf);
    FILE *f = fopen(store_file(dir), "w");
    CHECK(f != NULL);
    if (!f)
        return;
    int line = 1;
    for (char *p = buf; *p;) {
        char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (line == no)
            fputs(text, f);
        else
            fwrite(p, 1, len, f);
        p += len;
        line++;
    }
    fclose(f);
}

/* Line `no` of the store (without its newline) into out. */
static void get_line(const char *dir, int no, char *out, size_t cap)
{
    char buf[65536];
    t_read_file(store_file(dir), buf, sizeof buf);
    out[0] = '\0';
    char *p = buf;
    for (int i = 1; i < no && p; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (p) {
        size_t len = strcspn(p, "\n");
        snprintf(out, cap, "%.*s", (int)len, p);
    }
}

/* Line with a correct CRC over body. */
static void line_with_crc(char *out, size_t cap, const char *body)
{
    snprintf(out, cap, "%08x\t%s\n", (unsigned)pn_crc32(0, body, strlen(body)), body);
}

static void expect_refused(const char *dir, const char *words, const char *line_tag)
{
    pn_store *s = NULL;
    pn_err err = {0};
    CHECK(pn_store_open(dir, NULL, &s, &err) == PN_ERR_DATA);
    CHECK(s == NULL);
    CHECK_MSG(strstr(err.msg, words) != NULL, "no '%s' in: %s", words, err.msg);
    CHECK_MSG(strstr(err.msg, line_tag) != NULL, "no '%s' in: %s", line_tag, err.msg);
    CHECK(strchr(err.msg, '\n') == NULL);
}

static void store_damage_before_the_end_is_refused_by_line(void)
{
    const char *dir = fresh_dir("damage");
    make_store(dir, 3);
    char line[4096];
    get_line(dir, 3, line, sizeof line);
    char *hit = strstr(line, "0.80");
    CHECK(hit != NULL);
    if (hit)
        hit[3] = '9'; /* a changed digit, CRC left as it was */
    strcat(line, "\n");
    replace_line(dir, 3, line);
    expect_refused(dir, "CRC mismatch", "rounds.pnr:3:");
}

/* Replaces field `field` (0-based after the CRC) of line 2 and fixes the CRC:
 * a careful hand edit, which only the field checks can catch. */
static void edit_field(const char *dir, int field, const char *value)
{
    char line[4096], out[4200], body[4200] = "";
    get_line(dir, 2, line, sizeof line);
    char *f[13];
    size_t n = 0;
    for (char *p = line + 9; p && n < 13;) {
        f[n++] = p;
        p = strchr(p, '\t');
        if (p)
            *p++ = '\0';
    }
    CHECK(n == 11);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(body, "\t");
        strcat(body, (int)i == field ? value : f[i]);
    }
    line_with_crc(out, sizeof out, body);
    replace_line(dir, 2, out);
}

static void store_hand_edits_with_a_valid_crc_are_refused(void)
{
    static const struct { int field; const char *value, *words; } cases[] = {
        {5, "1.5", "outside [0, 1]"},
        {5, "0.7xyz", "does not parse"},
        {5, "nan", "missing on a round that did not diverge"},
        {4, "inf", "does not parse"},
        {2, "-3", "bad seed"},
        {2, "12abc", "bad seed"},
        {9, "2", "epoch count other than the key's"},
        {10, "0.05,1,0.9,0.8,0.2 x", "malformed epoch"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *dir = fresh_dir("edit");
        make_store(dir, 3);
        edit_field(dir, cases[i].field, cases[i].value);
        expect_refused(dir, cases[i].words, "rounds.pnr:2:");
    }
}

static void store_duplicates(void)
{
    const char *dir = fresh_dir("dup");
    make_store(dir, 3);
    char line[4096];
    get_line(dir, 2, line, sizeof line);
    strcat(line, "\n");
    /* the same line twice mid-file: harmless, and no later round is lost */
    char second[4096];
    get_line(dir, 3, second, sizeof second);
    strcat(second, "\n");
    char both[8200];
    snprintf(both, sizeof both, "%s%s", second, line);
    replace_line(dir, 3, both);
    pn_store *s;
    pn_err err = {0};
    CHECK_MSG(pn_store_open(dir, NULL, &s, &err) == 0, "%s", err.msg);
    CHECK(s && pn_store_count(s) == 3 && pn_store_find(s, KEY, 2) != NULL);
    pn_store_close(s);
    /* a different record for a stored round is refused */
    dir = fresh_dir("dup2");
    make_store(dir, 2);
    char body[4096];
    get_line(dir, 2, line, sizeof line);
    snprintf(body, sizeof body, "%s", line + 9);
    char *secs = strstr(body, "\t1.5\t"); /* the round's seconds: a different record */
    CHECK(secs != NULL);
    if (secs)
        secs[1] = '2';
    char out[4200];
    line_with_crc(out, sizeof out, body);
    append_raw(dir, out);
    append_raw(dir, out); /* not the last line: the duplicate must be refused, not cut */
    expect_refused(dir, "different record", "rounds.pnr:4:");
}

static void store_empty_and_foreign_files(void)
{
    const char *dir = fresh_dir("empty");
    FILE *f = fopen(store_file(dir), "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    pn_store *s;
    pn_err err = {0};
    CHECK(pn_store_open(dir, NULL, &s, &err) == 0 && s && pn_store_count(s) == 0);
    pn_store_close(s);
    make_store(dir, 1); /* the empty file became a store with a header */
    CHECK(pn_store_open(dir, NULL, &s, &err) == 0 && s && pn_store_count(s) == 1);
    pn_store_close(s);

    dir = fresh_dir("shortheader");
    append_raw(dir, "# pairnet rou"); /* a header cut short by a full disk */
    CHECK(pn_store_open(dir, NULL, &s, &err) == 0 && s && pn_store_count(s) == 0);
    pn_store_close(s);
    char buf[256];
    t_read_file(store_file(dir), buf, sizeof buf);
    CHECK(strcmp(buf, "# pairnet round store v1\n") == 0);

    dir = fresh_dir("foreign");
    append_raw(dir, "model,round,seed\ncnn,0,0\n");
    CHECK(pn_store_open(dir, NULL, &s, &err) == PN_ERR_DATA && s == NULL);
    CHECK_MSG(strstr(err.msg, "not a pairnet round store") && strstr(err.msg, "another --out"),
              "%s", err.msg);
}

static atomic_int never = 0, always = 1; /* stop flags */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void store_lock_makes_a_second_process_wait(void)
{
    const char *dir = fresh_dir("lock");
    int ready[2];
    CHECK(pipe(ready) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        pn_store *s;
        pn_err err = {0};
        if (pn_store_open(dir, NULL, &s, &err) != 0)
            _exit(1);
        pn_round_rec r = round_of(0, 0);
        pn_store_add(s, KEY, &r, &err);
        if (write(ready[1], "x", 1) != 1)
            _exit(1);
        const struct timespec hold = {0, 600 * 1000 * 1000};
        nanosleep(&hold, NULL);
        pn_round_rec r2 = round_of(1, 0);
        pn_store_add(s, KEY, &r2, &err);
        pn_store_close(s);
        _exit(0);
    }
    char c;
    CHECK(read(ready[0], &c, 1) == 1);
    pn_store *s = NULL;
    pn_err err = {0};
    CHECK(pn_store_open(dir, &always, &s, &err) == PN_ERR_INTERRUPTED && s == NULL);
    const double t0 = now_s();
    fflush(stderr);
    const int saved = dup(2), devnull = open("/dev/null", O_WRONLY); /* its note on waiting */
    dup2(devnull, 2);
    const int rc = pn_store_open(dir, &never, &s, &err);
    dup2(saved, 2);
    close(saved);
    close(devnull);
    CHECK(rc == 0);
    CHECK_MSG(now_s() - t0 > 0.3, "the second open did not wait for the first (%.3f s)",
              now_s() - t0);
    /* it sees everything the first process stored, so nothing is done twice */
    CHECK(s && pn_store_count(s) == 2);
    pn_store_close(s);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(ready[0]);
    close(ready[1]);
}

/* The listing: one line per key, in file order, with the model, the key's
 * other fields, the rounds (diverged ones counted) and the seeds as ranges;
 * a key of another version is marked as not reused. */
static void store_describe_lists_keys_and_seed_ranges(void)
{
    const char *dir = fresh_dir("describe");
    pn_store *s;
    pn_err err = {0};
    CHECK(pn_store_open(dir, NULL, &s, &err) == 0);
    if (!s)
        return;
    static const uint64_t seeds[] = {9, 0, 1, 2, 5, 7, 8};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        pn_round_rec r = round_of(seeds[i], seeds[i] == 1);
        CHECK(pn_store_add(s, KEY PN_STORE_KEY_VERSIONS, &r, &err) == 0);
    }
    pn_round_rec r = round_of(3, 0);
    CHECK(pn_store_add(s, "model=cnn;epochs=3;protocol=0;numeric=1", &r, &err) == 0);
    pn_buf b = {0};
    CHECK(pn_store_describe(s, &b) == 0);
    const char *t = b.data ? b.data : "";
    CHECK_MSG(strcmp(t, "cnn        lr=0.05 bs=50 epochs=3 protocol=1 numeric=1  7 rounds "
                        "(1 diverged), seeds 0-2,5,7-9\n"
                        "cnn        epochs=3 protocol=0 numeric=1  1 round, seed 3  (another "
                        "protocol or numeric version than this pairnet's: not reused)\n") == 0,
              "listing:\n%s", t);
    pn_buf_free(&b);
    pn_store_close(s);
    /* read-only, while a bench holds the lock and is appending: no wait,
     * nothing changed (the torn tail is skipped, not cut), no writing */
    CHECK(pn_store_open(dir, NULL, &s, &err) == 0);
    append_raw(dir, "0badc0de\tmodel=cnn");
    static char before[8192], after[8192];
    t_read_file(store_file(dir), before, sizeof before);
    pn_store *ro = NULL;
    CHECK_MSG(pn_store_read(dir, &ro, &err) == 0 && ro && pn_store_count(ro) == 8, "%s",
              err.msg);
    CHECK(ro && pn_store_add(ro, KEY, &r, &err) != 0);
    pn_store_close(ro);
    t_read_file(store_file(dir), after, sizeof after);
    CHECK(before[0] && strcmp(before, after) == 0);
    pn_store_close(s);
    /* a missing store reads as empty */
    const char *none = fresh_dir("describe_none");
    CHECK(pn_store_read(none, &ro, &err) == 0 && ro && pn_store_count(ro) == 0);
    pn_store_close(ro);
    struct stat st;
    CHECK(stat(store_file(none), &st) != 0); /* and it creates nothing */
}

/* A full disk (here a file size limit) in the middle of an append: a
 * one-line error that says what to do, no later append behind the partial
 * line (it would make that line look damaged), and the store reopens with
 * every round written before. */
static void store_full_disk_keeps_what_was_written(void)
{
    const char *dir = fresh_dir("full");
    make_store(dir, 2);
    struct stat st;
    CHECK(stat(store_file(dir), &st) == 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        pn_store *s;
        pn_err err = {0};
        if (pn_store_open(dir, NULL, &s, &err) != 0)
            _exit(10);
        struct rlimit lim = {(rlim_t)st.st_size + 40, (rlim_t)st.st_size + 40};
        if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
            _exit(11);
        pn_round_rec r = round_of(7, 0);
        if (pn_store_add(s, KEY, &r, &err) == 0)
            _exit(12);
        if (!strstr(err.msg, "rounds.pnr") || !strstr(err.msg, "disk full") || strchr(err.msg, '\n'))
            _exit(13);
        lim.rlim_cur = lim.rlim_max = RLIM_INFINITY;
        setrlimit(RLIMIT_FSIZE, &lim); /* space again: still no append after the torn one */
        r = round_of(8, 0);
        if (pn_store_add(s, KEY, &r, &err) == 0 || !strstr(err.msg, "earlier write"))
            _exit(14);
        pn_store_close(s);
        _exit(0);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: status %d", status);
    pn_store *s = NULL;
    pn_err err = {0};
    CHECK_MSG(pn_store_open(dir, NULL, &s, &err) == 0 && s && pn_store_count(s) == 2, "%s",
              err.msg);
    pn_store_close(s);
}

/* The deep copy of a record owns its epochs: the same bytes, another
 * array, and freeing it leaves the source whole. */
static void store_record_copy_is_deep(void)
{
    const pn_round_rec src = round_of(7, 0);
    pn_round_rec dst;
    CHECK(pn_round_rec_copy(&dst, &src) == 0);
    CHECK(dst.epochs && dst.epochs != src.epochs && dst.n_epochs == src.n_epochs);
    CHECK(dst.epochs && memcmp(dst.epochs, src.epochs, src.n_epochs * sizeof *src.epochs) == 0);
    CHECK(dst.seed == 7 && !strcmp(dst.model, "cnn") && dst.seconds == src.seconds);
    pn_round_rec_free(&dst);
    CHECK(dst.epochs == NULL && src.epochs[2].epoch == 3);
}

void suite_store(void)
{
    RUN(store_record_copy_is_deep);
    RUN(store_full_disk_keeps_what_was_written);
    RUN(store_describe_lists_keys_and_seed_ranges);
    RUN(store_round_trip_is_exact);
    RUN(store_torn_last_line_is_repaired);
    RUN(store_record_without_its_newline_is_kept);
    RUN(store_damage_before_the_end_is_refused_by_line);
    RUN(store_hand_edits_with_a_valid_crc_are_refused);
    RUN(store_duplicates);
    RUN(store_empty_and_foreign_files);
    RUN(store_lock_makes_a_second_process_wait);
}
