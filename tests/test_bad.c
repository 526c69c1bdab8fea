/* Malformed inputs through the command line: tests/make-bad.sh writes the
 * corpus (MNIST directories with one broken file, broken checkpoints) into
 * the scratch directory, and every case listed in tests/bad/EXPECTED must
 * end with its exit status and ONE line of stderr that contains the expected
 * words and names the broken file. The corpus and EXPECTED must list the
 * same cases, and two unbroken controls built the same way must work, so a
 * case cannot pass because the corpus was built wrong.
 *
 * Needs the real MNIST files (skipped without them) and $PAIRNET_BIN (set by
 * `make test`); runs from the repository root, like `make test`. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BAD_SCRIPT "tests/make-bad.sh"
#define BAD_EXPECTED "tests/bad/EXPECTED"
#define BAD_MAX_CASES 128
#define BAD_TIMEOUT 10 /* seconds per run of the binary */

typedef struct bad_case {
    char name[64];
    int status;
    char want[256];
} bad_case;

static bad_case cases[BAD_MAX_CASES];
static size_t n_cases;
static char gen[512];   /* the corpus: <tmp>/bad */
static int corpus_state; /* 0: not made yet, 1: ready, -1: making it failed */

static struct {
    int status; /* exit status, or -1 if the binary did not exit normally */
    char out[16384], err[8192];
} res;

/* Cases the brief requires: EXPECTED may grow, never lose one of these. */
static const char *const required[] = {
    "idx_wrong_magic", "idx_wrong_ndims", "idx_27x27", "idx_count_mismatch", "idx_truncated",
    "idx_trailing_garbage", "idx_empty", "idx_directory", "idx_label_10", "gz_truncated",
    "gz_bad_crc", "gz_bad_isize", "gz_block_type3", "ckpt_empty", "ckpt_truncated",
    "ckpt_wrong_magic", "ckpt_flip_header", "ckpt_flip_params", "ckpt_flip_crc",
    "ckpt_version2", "ckpt_unknown_model", "ckpt_param_count", "ckpt_nan_weight",
    "ckpt_inf_state"};

/* Runs `$PAIRNET_BIN <args>` (args already quoted for the shell) into res,
 * killed after BAD_TIMEOUT seconds: a refusal is quick, even under ASan,
 * and an input that hangs the binary must fail the test, not stop the
 * suite. coreutils' timeout exits with 124 then. */
static void run_bin(const char *bin, const char *args)
{
    char cmd[4096], out[600], err[600];
    snprintf(out, sizeof out, "%s/bad.out", t_tmp_dir());
    snprintf(err, sizeof err, "%s/bad.err", t_tmp_dir());
    snprintf(cmd, sizeof cmd, "timeout -k 2 %d '%s' %s >'%s' 2>'%s' </dev/null", BAD_TIMEOUT,
             bin, args, out, err);
    int st = system(cmd);
    res.status = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    t_read_file(out, res.out, sizeof res.out);
    t_read_file(err, res.err, sizeof res.err);
}

/* s is exactly one non-empty line that starts with prefix. */
static int one_line(const char *s, const char *prefix)
{
    const char *nl = strchr(s, '\n');
    return nl && nl[1] == '\0' && strncmp(s, prefix, strlen(prefix)) == 0 &&
           nl > s + strlen(prefix);
}

/* buf = "a/b"; 0, or -1 after reporting a path too long for buf. */
static int join(char *buf, size_t cap, const char *a, const char *b)
{
    int n = snprintf(buf, cap, "%s/%s", a, b);
    CHECK_MSG(n >= 0 && (size_t)n < cap, "path too long: %s/%s", a, b);
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}

static int is_ckpt_case(const char *name) { return strncmp(name, "ckpt_", 5) == 0; }

static const bad_case *find_case(const char *name)
{
    for (size_t i = 0; i < n_cases; i++)
        if (strcmp(cases[i].name, name) == 0)
            return &cases[i];
    return NULL;
}

/* Reads tests/bad/EXPECTED into cases[]; 0 on success. */
static int read_expected(void)
{
    FILE *f = fopen(BAD_EXPECTED, "r");
    CHECK_MSG(f != NULL, "cannot open %s (run the tests from the repository root)", BAD_EXPECTED);
    if (!f)
        return -1;
    char line[512];
    int lineno = 0, bad = 0;
    n_cases = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        bad_case c;
        int used = 0;
        memset(&c, 0, sizeof c);
        if (sscanf(line, "%63s %d %n", c.name, &c.status, &used) != 2 || used == 0 ||
            line[used] == '\0' || c.status < 0 || c.status > 255 ||
            strlen(line + used) >= sizeof c.want || c.name[strspn(c.name,
                "abcdefghijklmnopqrstuvwxyz0123456789_")] != '\0') {
            CHECK_MSG(0, "%s:%d: want '<case> <exit status> <message substring>', got '%s'",
                      BAD_EXPECTED, lineno, line);
            bad = 1;
            continue;
        }
        snprintf(c.want, sizeof c.want, "%s", line + used);
        if (find_case(c.name)) {
            CHECK_MSG(0, "%s:%d: case %s listed twice", BAD_EXPECTED, lineno, c.name);
            bad = 1;
            continue;
        }
        if (n_cases == BAD_MAX_CASES) {
            CHECK_MSG(0, "%s: more than %d cases", BAD_EXPECTED, BAD_MAX_CASES);
            bad = 1;
            break;
        }
        cases[n_cases++] = c;
    }
    fclose(f);
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!find_case(required[i])) {
            CHECK_MSG(0, "%s lacks the required case %s", BAD_EXPECTED, required[i]);
            bad = 1;
        }
    return bad ? -1 : 0;
}

/* Every entry the script wrote is a case of EXPECTED or a control. */
static int corpus_matches_expected(void)
{
    DIR *d = opendir(gen);
    CHECK_MSG(d != NULL, "cannot list the corpus %s", gen);
    if (!d)
        return -1;
    int bad = 0;
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, "control", 7) == 0)
            continue;
        if (!find_case(e->d_name)) {
            CHECK_MSG(0, "%s made case %s, which %s does not list", BAD_SCRIPT, e->d_name,
                      BAD_EXPECTED);
            bad = 1;
        }
    }
    closedir(d);
    return bad ? -1 : 0;
}

/* Makes the corpus once for all the tests of this file; 1 when it is ready.
 * A failure is reported in the test that met it, and in later ones briefly. */
static int corpus(const char *data)
{
    if (corpus_state == 1)
        return 1;
    if (corpus_state == -1) {
        CHECK_MSG(0, "no corpus (making it failed in an earlier test)");
        return 0;
    }
    corpus_state = -1;
    const char *bin = getenv("PAIRNET_BIN");
    CHECK_MSG(bin && *bin && access(bin, X_OK) == 0,
              "PAIRNET_BIN is not an executable: run these tests through `make test`");
    CHECK_MSG(access(BAD_SCRIPT, R_OK) == 0, "%s not found (run the tests from the repository "
              "root)", BAD_SCRIPT);
    if (!bin || !*bin || access(bin, X_OK) != 0 || access(BAD_SCRIPT, R_OK) != 0)
        return 0;
    if (strchr(bin, '\'') || strchr(data, '\'') || strchr(t_tmp_dir(), '\'')) {
        CHECK_MSG(0, "paths with a single quote are not supported: '%s', '%s'", bin, data);
        return 0;
    }
    char log[600], cmd[2048];
    snprintf(gen, sizeof gen, "%s/bad", t_tmp_dir());
    snprintf(log, sizeof log, "%s/make-bad.log", t_tmp_dir());
    snprintf(cmd, sizeof cmd, "PAIRNET_BIN='%s' PAIRNET_DATA='%s' bash %s '%s' >'%s' 2>&1 "
             "</dev/null", bin, data, BAD_SCRIPT, gen, log);
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        t_read_file(log, res.err, sizeof res.err);
        CHECK_MSG(0, "%s failed (status %d):\n%s", BAD_SCRIPT,
                  st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1, res.err);
        return 0;
    }
    /* Problems with EXPECTED are reported here; the cases that are fine still
     * run, so that every mismatch shows up at once. */
    read_expected();
    corpus_matches_expected();
    corpus_state = 1;
    return 1;
}

/* The one entry of a case directory that is not a symlink to a real file
 * (the broken one), in name; 0, or -1 after reporting a malformed case. */
static int broken_file(const char *dir, const char *case_name, char *name, size_t cap)
{
    DIR *d = opendir(dir);
    CHECK_MSG(d != NULL, "%s: case directory %s missing", case_name, dir);
    if (!d)
        return -1;
    size_t links = 0, others = 0;
    name[0] = '\0';
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[1200];
        struct stat st;
        if (join(p, sizeof p, dir, e->d_name) == 0 && lstat(p, &st) == 0 &&
            S_ISLNK(st.st_mode)) {
            links++;
        } else {
            others++;
            snprintf(name, cap, "%s", e->d_name);
        }
    }
    closedir(d);
    CHECK_MSG(links == 3 && others == 1, "%s: %zu symlinks to real files and %zu other entries, "
              "want 3 and 1", case_name, links, others);
    return links == 3 && others == 1 ? 0 : -1;
}

/* Checks res against case c, whose message must also contain `names`. */
static void check_result(const bad_case *c, const char *prefix, const char *names)
{
    CHECK_MSG(res.status != 124, "%s: still running after %d s, killed (a hang?)", c->name,
              BAD_TIMEOUT);
    CHECK_MSG(res.status == c->status, "%s: exit %d, want %d (stderr: %s)", c->name, res.status,
              c->status, res.err);
    CHECK_MSG(one_line(res.err, prefix), "%s: stderr is not one line starting with '%s': '%s'",
              c->name, prefix, res.err);
    CHECK_MSG(strstr(res.err, c->want) != NULL, "%s: stderr does not contain '%s': %s", c->name,
              c->want, res.err);
    CHECK_MSG(strstr(res.err, names) != NULL, "%s: stderr does not name %s: %s", c->name, names,
              res.err);
    CHECK_MSG(strstr(res.out, "acc ") == NULL, "%s: refused input, yet an accuracy was "
              "printed:\n%s", c->name, res.out);
}

/* idx_* and gz_*: `train` on a directory with one broken file. */
static void bad_data_refused(void)
{
    const char *data = t_data_dir();
    if (!data || !corpus(data))
        return;
    const char *bin = getenv("PAIRNET_BIN");
    size_t n = 0;
    for (size_t i = 0; i < n_cases; i++) {
        const bad_case *c = &cases[i];
        if (is_ckpt_case(c->name))
            continue;
        n++;
        char dir[700], broken[256], path[1000], args[1200];
        if (join(dir, sizeof dir, gen, c->name) != 0 ||
            broken_file(dir, c->name, broken, sizeof broken) != 0)
            continue;
        if (join(path, sizeof path, dir, broken) != 0)
            continue;
        snprintf(args, sizeof args, "train --model mlp --epochs 1 --data '%s'", dir);
        run_bin(bin, args);
        check_result(c, "pairnet train: ", path);
    }
    CHECK_MSG(n >= 10, "only %zu data cases in %s", n, BAD_EXPECTED);
}

/* ckpt_*: `eval` of a broken checkpoint, with the real data. */
static void bad_checkpoint_refused(void)
{
    const char *data = t_data_dir();
    if (!data || !corpus(data))
        return;
    const char *bin = getenv("PAIRNET_BIN");
    size_t n = 0;
    for (size_t i = 0; i < n_cases; i++) {
        const bad_case *c = &cases[i];
        if (!is_ckpt_case(c->name))
            continue;
        n++;
        char path[700], args[1600];
        struct stat st;
        if (join(path, sizeof path, gen, c->name) != 0)
            continue;
        CHECK_MSG(lstat(path, &st) == 0 && S_ISREG(st.st_mode), "%s: %s is not a regular file",
                  c->name, path);
        snprintf(args, sizeof args, "eval --load '%s' --data '%s'", path, data);
        run_bin(bin, args);
        check_result(c, "pairnet eval: ", path);
    }
    CHECK_MSG(n >= 9, "only %zu checkpoint cases in %s", n, BAD_EXPECTED);
}

/* The controls: the four real files linked the way the cases link them, and
 * the checkpoint every ckpt_* case was derived from, evaluate fine. */
static void bad_controls_work(void)
{
    const char *data = t_data_dir();
    if (!data || !corpus(data))
        return;
    char dir[700], ck[700], args[1600];
    if (join(dir, sizeof dir, gen, "control_data") != 0 ||
        join(ck, sizeof ck, gen, "control.ckpt") != 0)
        return;
    DIR *d = opendir(dir);
    CHECK_MSG(d != NULL, "no %s", dir);
    if (!d)
        return;
    size_t links = 0;
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        char p[1200];
        struct stat st;
        links += join(p, sizeof p, dir, e->d_name) == 0 && lstat(p, &st) == 0 &&
                 S_ISLNK(st.st_mode) && stat(p, &st) == 0 && S_ISREG(st.st_mode);
    }
    closedir(d);
    CHECK_MSG(links == 4, "%s holds %zu symlinks to real files, want 4", dir, links);
    snprintf(args, sizeof args, "eval --load '%s' --data '%s'", ck, dir);
    run_bin(getenv("PAIRNET_BIN"), args);
    CHECK_MSG(res.status == 0, "control: exit %d, want 0 (stderr: %s)", res.status, res.err);
    CHECK_MSG(strstr(res.out, "test acc ") != NULL, "control: no accuracy printed:\n%s",
              res.out);
}

void suite_bad(void)
{
    RUN(bad_data_refused);
    RUN(bad_checkpoint_refused);
    RUN(bad_controls_work);
}
