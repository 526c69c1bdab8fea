/* The command line as a user meets it: the binary named by $PAIRNET_BIN
 * (set by `make test`) run through the shell, its exit status and its
 * stderr, which on failure must be ONE line naming the problem. Commands
 * that should be refused while parsing get `--data` pointing nowhere, so a
 * value accepted by mistake ends in a quick exit 3 instead of a training run. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pairnet/models/models.h"
#include "pairnet/models/train_cfg.h"

#define NODATA "--data /nonexistent-pairnet-dir"

typedef struct cli_result {
    int status; /* exit status, or -1 if it did not exit normally */
    char out[65536], err[8192];
} cli_result;

static cli_result res; /* large: static rather than on the stack */

/* The binary, or NULL after reporting why there is none (call once at the
 * start of every test). */
static const char *bin(void)
{
    const char *b = getenv("PAIRNET_BIN");
    if (!b || !*b) {
        CHECK_MSG(0, "PAIRNET_BIN is not set: run the CLI tests through `make test`, or set "
                     "PAIRNET_BIN=./pairnet");
        return NULL;
    }
    if (access(b, X_OK) != 0) {
        CHECK_MSG(0, "PAIRNET_BIN=%s is not an executable file", b);
        return NULL;
    }
    return b;
}

/* Runs `$PAIRNET_BIN <args>` with stdout and stderr captured into res.
 * Returns 0, or -1 when the binary is unknown. */
static int run(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static int run(const char *fmt, ...)
{
    const char *b = getenv("PAIRNET_BIN");
    if (!b || !*b)
        return -1;
    char args[2048], cmd[4096], out[512], err[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(out, sizeof out, "%s/cli.out", t_tmp_dir());
    snprintf(err, sizeof err, "%s/cli.err", t_tmp_dir());
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s' </dev/null", b, args, out, err);
    int st = system(cmd);
    res.status = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    t_read_file(out, res.out, sizeof res.out);
    t_read_file(err, res.err, sizeof res.err);
    return 0;
}

/* Runs the shell command line made from fmt (which places the binary and
 * redirects its stdout itself), its stderr into res.err; res.status is the
 * exit status of the line. */
static int run_sh(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static int run_sh(const char *fmt, ...)
{
    char line[3072], cmd[4096], err[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    snprintf(err, sizeof err, "%s/cli.err", t_tmp_dir());
    snprintf(cmd, sizeof cmd, "{ %s ; } 2>'%s' </dev/null", line, err);
    int st = system(cmd);
    res.status = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    res.out[0] = '\0';
    t_read_file(err, res.err, sizeof res.err);
    return 0;
}

/* stderr is exactly one non-empty line starting with "pairnet". */
static int one_line(const char *s)
{
    const char *nl = strchr(s, '\n');
    return nl && nl[1] == '\0' && nl > s && strncmp(s, "pairnet", 7) == 0;
}

/* Runs args and checks status, a one-line stderr and that it contains
 * every one of the NULL-terminated substrings. */
static void expect_fail(int status, const char *args, ...)
{
    if (run("%s", args))
        return;
    CHECK_MSG(res.status == status, "`pairnet %s`: exit %d, want %d (stderr: %s)", args,
              res.status, status, res.err);
    CHECK_MSG(one_line(res.err), "`pairnet %s`: stderr is not one line: '%s'", args, res.err);
    va_list ap;
    va_start(ap, args);
    for (const char *want = va_arg(ap, const char *); want; want = va_arg(ap, const char *))
        CHECK_MSG(strstr(res.err, want) != NULL, "`pairnet %s`: stderr does not mention '%s': %s",
                  args, want, res.err);
    va_end(ap);
}

static void cli_usage_errors(void)
{
    if (!bin())
        return;
    expect_fail(2, "frobnicate", "frobnicate", NULL);
    expect_fail(2, "train --model mlp --frob 1 " NODATA, "--frob", NULL);
    expect_fail(2, "eval --lr 0.1 --load x", "--lr", NULL); /* a train option */
    expect_fail(2, "train " NODATA, "--model", NULL);
    expect_fail(2, "train --model nope " NODATA, "nope", "mlp", "cnn", "cnn_ws", "cnn_al",
                "cnn_ws_al", NULL);
    expect_fail(2, "train --model mlp --lr abc " NODATA, "--lr", "abc", NULL);
    expect_fail(2, "train --model mlp --lr 0 " NODATA, "--lr", NULL);
    expect_fail(2, "train --model mlp --lr -1 " NODATA, "--lr", NULL);
    expect_fail(2, "train --model mlp --lr nan " NODATA, "--lr", NULL);
    expect_fail(2, "train --model mlp --lr inf " NODATA, "--lr", NULL);
    expect_fail(2, "train --model mlp --lr 1e999 " NODATA, "--lr", NULL);
    expect_fail(2, "train --model mlp --lr 0.01x " NODATA, "--lr", NULL);
    expect_fail(2, "train --model mlp --bs 0 " NODATA, "--bs", NULL);
    expect_fail(2, "train --model mlp --bs 1001 " NODATA, "--bs", NULL);
    expect_fail(2, "train --model mlp --bs 999 " NODATA, "--bs", "999", NULL);
    expect_fail(2, "train --model mlp --bs 3 " NODATA, "--bs", NULL); /* 1000 = 333*3 + 1 */
    expect_fail(2, "train --model mlp --bs 12abc " NODATA, "--bs", NULL);
    expect_fail(2, "train --model mlp --epochs 0 " NODATA, "--epochs", NULL);
    expect_fail(2, "train --model mlp --momentum 1 " NODATA, "--momentum", NULL);
    expect_fail(2, "train --model mlp --lr-gamma 0 " NODATA, "--lr-gamma", NULL);
    expect_fail(2, "train --model mlp --seed -1 " NODATA, "--seed", NULL);
    expect_fail(2, "train --model mlp --seed 18446744073709551616 " NODATA, "--seed", NULL);
    expect_fail(2, NODATA " train --model mlp", "--data", NULL); /* options after the command */
    expect_fail(2, "train " NODATA " --model mlp --lr", "--lr", NULL); /* missing value */
    expect_fail(2, "train " NODATA " --model", "--model", NULL);
    expect_fail(2, "eval " NODATA, "--load", NULL);
}

/* The accepted edges of the same ranges get past parsing: they fail on the
 * missing data (3), not as usage errors. */
static void cli_range_edges_accepted(void)
{
    if (!bin())
        return;
    static const char *ok[] = {"--lr 10", "--lr 1e-9", "--bs 1000", "--bs 2", "--bs 998",
                               "--momentum 0.999", "--lr-gamma 1", "--seed 18446744073709551615",
                               "--epochs 1"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (run("train --model mlp %s " NODATA, ok[i]))
            return;
        CHECK_MSG(res.status == 3, "`train --model mlp %s`: exit %d, want 3 (stderr: %s)", ok[i],
                  res.status, res.err);
    }
}

/* --bs 1 makes EVERY batch a single pair, the case the --bs 999 refusal
 * exists for ("BatchNorm cannot normalize a single sample: PyTorch refuses it
 * too"): BatchNorm1d over one row outputs beta whatever the input, so mlp
 * trains a constant. It must be refused like --bs 999. */
static void cli_bs_1_refused(void)
{
    if (!bin())
        return;
    expect_fail(2, "train --model mlp --bs 1 " NODATA, "--bs", NULL);
    expect_fail(2, "train --model cnn --bs 1 " NODATA, "--bs", NULL);
}

/* The entry of --help (in res.out) that documents option name, its
 * wrapped continuation lines joined by single spaces, copied into line (""
 * if there is none). */
static const char *help_line(const char *name, char *line, size_t cap)
{
    char key[64];
    snprintf(key, sizeof key, "\n  %s ", name);
    const char *p = strstr(res.out, key);
    size_t len = 0;
    line[0] = '\0';
    if (!p)
        return line;
    p++;
    for (int first = 1; *p && len + 1 < cap; first = 0) {
        /* a continuation line starts with more than the entry's two spaces */
        if (!first && !(p[0] == ' ' && p[1] == ' ' && p[2] == ' '))
            break;
        while (!first && *p == ' ')
            p++;
        const size_t n = strcspn(p, "\n");
        len += (size_t)snprintf(line + len, cap - len, "%s%.*s", first ? "" : " ", (int)n, p);
        p += n + (p[n] == '\n');
    }
    return line;
}

/* Lines in s. */
static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* --help gives the commands; CMD --help (-h, help CMD, anywhere among the
 * options) that command's options only, each with its value's name and its
 * default; --version and -V the version and the revision. */
static void cli_help_version(void)
{
    if (!bin())
        return;
    static const char *general[] = {"--help", "-h", "help"};
    for (size_t i = 0; i < sizeof general / sizeof general[0]; i++) {
        if (run("%s", general[i]))
            return;
        CHECK_MSG(res.status == 0, "`pairnet %s`: exit %d", general[i], res.status);
        CHECK_MSG(strstr(res.out, "pairnet train") && strstr(res.out, "pairnet bench") &&
                      strstr(res.out, "pairnet eval") && strstr(res.out, "COMMAND --help"),
                  "`pairnet %s` does not list the commands: %s", general[i], res.out);
    }
    static const struct { const char *args, *has[4], *lacks[4]; } cmds[] = {
        {"train --help", {"--model NAME", "--lr RATE", "--bs N", "--save FILE"},
         {"--out", "--jobs", "--load", "--models"}},
        {"train --model mlp -h", {"--lr RATE", "--[no-]aug-swap", "--threads N", "--help"},
         {"--out", "--jobs", NULL, NULL}},
        {"train --lr --help", {"--lr RATE", NULL, NULL, NULL}, {NULL, NULL, NULL, NULL}},
        {"help bench", {"--models LIST", "--out DIR", "--jobs N", "--[no-]eval-final"},
         {"--model", "--save", "--load", "--threads"}},
        {"eval --help", {"--load FILE", "--seed SEED", "--data DIR", NULL},
         {"--lr", "--bs", "--save", "--out"}},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (run("%s", cmds[i].args))
            return;
        CHECK_MSG(res.status == 0, "`pairnet %s`: exit %d (%s)", cmds[i].args, res.status,
                  res.err);
        for (size_t k = 0; k < 4; k++) {
            CHECK_MSG(!cmds[i].has[k] || strstr(res.out, cmds[i].has[k]),
                      "`pairnet %s` lacks '%s':\n%s", cmds[i].args, cmds[i].has[k], res.out);
            char entry[64];
            snprintf(entry, sizeof entry, "\n  %s ", cmds[i].lacks[k] ? cmds[i].lacks[k] : "");
            CHECK_MSG(!cmds[i].lacks[k] || !strstr(res.out, entry),
                      "`pairnet %s` lists '%s', an option of another command:\n%s",
                      cmds[i].args, cmds[i].lacks[k], res.out);
        }
    }
    /* every option of train's help says its default (or that it is required) */
    if (run("train --help"))
        return;
    char line[1024];
    static const char *names[] = {"--model", "--lr", "--bs", "--epochs", "--rounds", "--seed",
                                  "--aux-weight", "--optimizer", "--momentum", "--weight-decay",
                                  "--dropout", "--[no-]aug-swap", "--[no-]aug-repair",
                                  "--aug-shift", "--lr-step", "--lr-gamma", "--threads",
                                  "--[no-]eval-final", "--data", "--save"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        help_line(names[i], line, sizeof line);
        CHECK_MSG(line[0] && (strstr(line, "(default: ") || strstr(line, "required")),
                  "train --help: %s has no default: '%s'", names[i], line);
    }
    CHECK_MSG(strstr(res.out, "(default: 1)") != NULL, "train's --rounds default:\n%s", res.out);
    if (run("bench --help"))
        return;
    help_line("--rounds", line, sizeof line);
    CHECK_MSG(strstr(line, "(default: 15)"), "bench's --rounds default: '%s'", line);
    /* no line of any help is wider than a terminal */
    for (const char *p = res.out; *p;) {
        const size_t n = strcspn(p, "\n");
        CHECK_MSG(n <= 79, "help line of %zu columns: %.*s", n, (int)n, p);
        p += n + (p[n] == '\n');
    }
    static const char *versions[] = {"--version", "-V"};
    for (size_t i = 0; i < 2; i++) {
        if (run("%s", versions[i]))
            return;
        CHECK(res.status == 0);
        const char *open = strchr(res.out, '(');
        CHECK_MSG(strncmp(res.out, "pairnet ", 8) == 0 && strpbrk(res.out, "0123456789") &&
                      open && strstr(open, "), kernel ") && count_lines(res.out) == 1,
                  "`pairnet %s`: '%s', want 'pairnet <version> (<revision>), kernel <set>'",
                  versions[i], res.out);
    }
}

/* No arguments: a short usage on stderr, exit 2. */
static void cli_no_arguments(void)
{
    if (!bin())
        return;
    if (run("%s", ""))
        return;
    CHECK_MSG(res.status == 2, "exit %d, want 2", res.status);
    CHECK_MSG(res.out[0] == '\0', "stdout: %s", res.out);
    CHECK_MSG(strstr(res.err, "usage:") && strstr(res.err, "--help") &&
                  count_lines(res.err) >= 2 && count_lines(res.err) <= 10,
              "want a usage of at most 10 lines on stderr: '%s'", res.err);
}

/* --opt=value is --opt value; "--" ends the options. */
static void cli_option_equals_value(void)
{
    if (!bin())
        return;
    expect_fail(2, "train --model=mlp --lr=abc " NODATA, "--lr", "abc", NULL);
    expect_fail(2, "train --model=nope " NODATA, "nope", NULL);
    expect_fail(2, "train --model mlp --data=", "--data", "non-empty", NULL);
    expect_fail(2, "bench --jobs=0 " NODATA, "--jobs", NULL);
    expect_fail(2, "train --model mlp --lr " NODATA, "--lr needs a value", "RATE", NULL);
    expect_fail(2, "train --model mlp stray " NODATA, "unexpected argument 'stray'", NULL);
    expect_fail(2, "train --model mlp " NODATA " -- x", "unexpected argument 'x'", NULL);
    static const char *ok[] = {"--model=mlp --epochs=1 --lr=0.5 --bs=50", "--model mlp --seed=7",
                               "--model=cnn --optimizer=adam --aug-shift=2", "--model mlp --"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (run("train --data=/nonexistent-pairnet-dir %s", ok[i]))
            return;
        CHECK_MSG(res.status == 3, "`train %s`: exit %d, want 3 (stderr: %s)", ok[i], res.status,
                  res.err);
    }
}

/* An unknown option suggests the nearest option of THAT command; an
 * unknown command the nearest command. */
static void cli_unknown_suggests(void)
{
    if (!bin())
        return;
    expect_fail(2, "bench --model mlp " NODATA, "pairnet bench: unknown option --model; did you "
                "mean --models?", NULL);
    expect_fail(2, "train --models mlp " NODATA, "unknown option --models; did you mean --model?",
                NULL);
    expect_fail(2, "train --model mlp --epoch 3 " NODATA, "did you mean --epochs?", NULL);
    expect_fail(2, "train --model mlp --no-aug-swp " NODATA, "did you mean --no-aug-swap?", NULL);
    expect_fail(2, "train --model mlp --lr-gama=0.5 " NODATA, "did you mean --lr-gamma?", NULL);
    expect_fail(2, "eval --save x --load y", "--save", "train", NULL);
    expect_fail(2, "train --model mlp --frobnicate " NODATA, "--frobnicate",
                "pairnet train --help", NULL);
    expect_fail(2, "trian --model mlp", "unknown command 'trian'; did you mean 'train'?", NULL);
    expect_fail(2, "evl", "did you mean 'eval'?", NULL);
    expect_fail(2, "modles", "did you mean 'models'?", NULL);
    expect_fail(2, "models --all", "--all", NULL);
    /* pairnet's own option misspelt: --version, not an option of train */
    expect_fail(2, "--verison", "unknown option --verison; did you mean --version?", NULL);
    /* a short option: the long ones it may stand for, not -h (one letter away) */
    expect_fail(2, "train -m cnn " NODATA, "unknown option -m; did you mean --model or "
                "--momentum?", NULL);
    expect_fail(2, "train --model cnn --seed -1 " NODATA, "--seed: -1 is negative; give a whole "
                "number, 0 or more", NULL);
}
static void cli_models(void)
{
    if (!bin())
        return;
    static const struct { const char *name; size_t params; } want[] = {
        {"mlp", 134530}, {"cnn", 71498}, {"cnn_ws", 75120}, {"cnn_al", 147938},
        {"cnn_ws_al", 75120}};
    if (run("models"))
        return;
    CHECK_MSG(res.status == 0, "exit %d: %s", res.status, res.err);
    int found[5] = {0};
    for (char *line = strtok(res.out, "\n"); line; line = strtok(NULL, "\n")) {
        char name[64];
        size_t params;
        if (sscanf(line, "%63s %zu", name, &params) != 2)
            continue;
        for (size_t i = 0; i < 5; i++)
            if (strcmp(name, want[i].name) == 0) {
                found[i]++;
                CHECK_MSG(params == want[i].params, "%s: %zu parameters listed, want %zu", name,
                          params, want[i].params);
            }
    }
    for (size_t i = 0; i < 5; i++)
        CHECK_MSG(found[i] == 1, "model %s listed %d times", want[i].name, found[i]);
}

static void cli_data_and_checkpoint_errors(void)
{
    if (!bin())
        return;
    expect_fail(3, "train --model mlp --data /nonexistent", "/nonexistent", NULL);
    expect_fail(3, "eval --load /nonexistent", "/nonexistent", NULL);
    /* a file of garbage bytes, an empty file, a directory */
    char path[512];
    snprintf(path, sizeof path, "%s/cli-garbage.ckpt", t_tmp_dir());
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    for (int i = 0; i < 1000; i++)
        fputc((i * 131 + 7) & 0xFF, f);
    fclose(f);
    char args[1024];
    snprintf(args, sizeof args, "eval --load %s " NODATA, path);
    expect_fail(3, args, "cli-garbage.ckpt", NULL);
    snprintf(path, sizeof path, "%s/cli-empty.ckpt", t_tmp_dir());
    f = fopen(path, "wb");
    if (f)
        fclose(f);
    snprintf(args, sizeof args, "eval --load %s " NODATA, path);
    expect_fail(3, args, "cli-empty.ckpt", NULL);
    snprintf(args, sizeof args, "eval --load %s " NODATA, t_tmp_dir());
    expect_fail(3, args, NULL);
}

/* The number after the last "test acc " in s (NaN if none). */
/* The last accuracy printed after key, as a fraction (printed in percent). */
static double last_acc(const char *s, const char *key)
{
    const char *p = NULL;
    for (const char *q = strstr(s, key); q; q = strstr(q + 1, key))
        p = q;
    return p ? strtod(p + strlen(key), NULL) / 100.0 : (double)NAN;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = n > 0 ? malloc((size_t)n) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = buf ? (size_t)n : 0;
    return buf;
}

static int spit(const char *path, const unsigned char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(buf, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* train --save then eval --load: the same test accuracy, bit for bit (both
 * print 4 decimals of the same evaluation). A flipped byte anywhere, or a
 * cut file, is refused with exit 3. */
static void cli_train_save_eval(void)
{
    if (!bin())
        return;
    const char *data = t_data_dir();
    if (!data)
        return;
    char ck[512], bad[512];
    snprintf(ck, sizeof ck, "%s/cli-mlp.ckpt", t_tmp_dir());
    snprintf(bad, sizeof bad, "%s/cli-flipped.ckpt", t_tmp_dir());
    if (run("train --model mlp --epochs 2 --save '%s' --data '%s'", ck, data))
        return;
    CHECK_MSG(res.status == 0, "train: exit %d: %s", res.status, res.err);
    if (res.status != 0)
        return;
    char saved[600];
    snprintf(saved, sizeof saved, "\nsaved %s (round 0, seed 0)\n", ck);
    CHECK_MSG(strstr(res.out, saved) != NULL, "no '%s' after the save:\n%s", saved + 1, res.out);
    /* one round: no mean and standard deviation over rounds */
    CHECK_MSG(!strstr(res.out, "+-") && !strstr(res.out, "\xc2\xb1") &&
                  !strstr(res.out, " over 1 round"), "one round printed a spread:\n%s", res.out);
    const double train_test = last_acc(res.out, "test acc "),
                 train_train = last_acc(res.out, "train acc ");
    CHECK_MSG(train_test > 0.5 && train_test <= 1.0, "train printed test acc %g:\n%s",
              train_test, res.out);
    if (run("eval --load '%s' --data '%s'", ck, data))
        return;
    CHECK_MSG(res.status == 0, "eval: exit %d: %s", res.status, res.err);
    const double eval_test = last_acc(res.out, "test acc "),
                 eval_train = last_acc(res.out, "train acc ");
    CHECK_MSG(eval_test == train_test, "eval test acc %g, train printed %g", eval_test,
              train_test);
    CHECK_MSG(eval_train == train_train, "eval train acc %g, train printed %g", eval_train,
              train_train);
    /* another seed's pairs: the model never trained on them, so no "train acc" */
    if (run("eval --load '%s' --seed 3 --data '%s'", ck, data))
        return;
    CHECK_MSG(res.status == 0 && !strstr(res.out, "train acc") &&
                  strstr(res.out, "(trained on seed 0), seed 3's pairs, none of them trained on"),
              "eval --seed 3: exit %d: %s%s", res.status, res.out, res.err);

    size_t len = 0;
    unsigned char *buf = slurp(ck, &len);
    CHECK(buf != NULL && len > 1000);
    if (!buf)
        return;
    /* magic, version, model name, seed, batch, a weight, the last state
     * value, the CRC's last byte */
    const size_t offs[] = {0, 5, 9, 45, 61, 69, len / 2, len - 5, len - 1};
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        buf[offs[i]] ^= 0x10;
        if (spit(bad, buf, len) == 0) {
            run("eval --load '%s' --data '%s'", bad, data);
            CHECK_MSG(res.status == 3, "byte %zu of %zu flipped: exit %d, want 3 (%s)", offs[i],
                      len, res.status, res.err);
            CHECK_MSG(one_line(res.err), "byte %zu flipped: stderr '%s'", offs[i], res.err);
        }
        buf[offs[i]] ^= 0x10;
    }
    /* cut short, and one byte too long */
    if (spit(bad, buf, len - 4) == 0) {
        run("eval --load '%s' --data '%s'", bad, data);
        CHECK_MSG(res.status == 3, "cut checkpoint: exit %d (%s)", res.status, res.err);
    }
    unsigned char *longer = malloc(len + 1);
    if (longer) {
        memcpy(longer, buf, len);
        longer[len] = 0;
        if (spit(bad, longer, len + 1) == 0) {
            run("eval --load '%s' --data '%s'", bad, data);
            CHECK_MSG(res.status == 3, "padded checkpoint: exit %d (%s)", res.status, res.err);
        }
        free(longer);
    }
    free(buf);
}

/* A diverging round: exit 4, one line naming "diverged", the epoch and the
 * batch, and no final accuracy. With BatchNorm everywhere a large lr alone
 * does not overflow (mlp and cnn at --lr 10, even with momentum 0.99, end
 * with finite if absurd losses); weight decay 1 at lr 10 makes every step
 * multiply the weights by about -9, so they overflow within a few dozen
 * steps. */
static void cli_diverged_run(void)
{
    if (!bin())
        return;
    const char *data = t_data_dir();
    if (!data)
        return;
    if (run("train --model mlp --lr 10 --momentum 0.9 --weight-decay 1 --bs 10 --epochs 2 "
            "--data '%s'", data))
        return;
    CHECK_MSG(res.status == 4, "exit %d, want 4 (stderr: %s)", res.status, res.err);
    CHECK_MSG(one_line(res.err), "stderr not one line: '%s'", res.err);
    const char *ep = strstr(res.err, "epoch "), *ba = strstr(res.err, "batch ");
    CHECK_MSG(strstr(res.err, "diverged") && ep && ba && ep[6] >= '1' && ep[6] <= '9' &&
                  ba[6] >= '1' && ba[6] <= '9',
              "stderr should name divergence, epoch and batch: %s", res.err);
    /* the loss in words, not printf's "-nan" or "inf" */
    CHECK_MSG((strstr(res.err, "the loss is not a number") || strstr(res.err, "the loss is "
              "infinite")) && !strstr(res.err, "nan") && !strstr(res.err, "inf "),
              "the loss is not said in words: %s", res.err);
    CHECK_MSG(strstr(res.out, "test acc") == NULL, "a diverged round reported an accuracy:\n%s",
              res.out);
}

/* ---- the options of the best-model groundwork: --optimizer, --dropout,
 * --aug-*, and the momentum-with-Adam refusal ---- */

static void cli_new_option_errors(void)
{
    if (!bin())
        return;
    expect_fail(2, "train --model cnn --optimizer foo " NODATA, "--optimizer", "foo", NULL);
    expect_fail(2, "train --model cnn --optimizer Adam " NODATA, "--optimizer", NULL);
    expect_fail(2, "train --model cnn --dropout 1 " NODATA, "--dropout", NULL);
    expect_fail(2, "train --model cnn --dropout -0.1 " NODATA, "--dropout", NULL);
    expect_fail(2, "train --model cnn --dropout nan " NODATA, "--dropout", NULL);
    expect_fail(2, "train --model cnn --aug-shift 5 " NODATA, "--aug-shift", NULL);
    expect_fail(2, "train --model cnn --aug-swap 2 " NODATA, "--aug-swap", NULL);
    expect_fail(2, "train --model cnn --aug-repair 2 " NODATA, "--aug-repair", NULL);
    /* flags take no value, in either spelling */
    expect_fail(2, "train --model cnn --aug-swap 1 " NODATA, "--aug-swap", "no value",
                "--no-aug-swap", NULL);
    expect_fail(2, "train --model cnn --aug-repair=0 " NODATA, "--aug-repair", "no value", NULL);
    expect_fail(2, "train --model cnn --eval-final=1 " NODATA, "--eval-final", "no value", NULL);
    expect_fail(2, "train --model cnn --no-aug-shift " NODATA, "--no-aug-shift", NULL);
    expect_fail(2, "train --model cnn --optimizer adam --momentum 0.9 " NODATA, "--momentum",
                NULL);
    expect_fail(2, "train --model cnn --optimizer adamw --momentum 0.5 " NODATA, "--momentum",
                NULL);
    /* best's preset optimizer is Adam: momentum alone is refused too */
    expect_fail(2, "train --model best --momentum 0.9 " NODATA, "--momentum", NULL);
    char args[1024];
    snprintf(args, sizeof args, "bench --models mlp --optimizer foo --out '%s/cli-bench-opt' " NODATA,
             t_tmp_dir());
    expect_fail(2, args, "--optimizer", NULL);
}

/* Their accepted values get past parsing (exit 3 on the missing data). */
static void cli_new_option_edges_accepted(void)
{
    if (!bin())
        return;
    static const char *ok[] = {"--model cnn --dropout 0", "--model cnn --dropout 0.99",
                               "--model mlp --aug-shift 4", "--model mlp --aug-shift 0",
                               "--model mlp --aug-swap", "--model mlp --aug-repair",
                               "--model best --no-aug-swap --no-aug-repair --dropout 0",
                               "--model mlp --eval-final", "--model mlp --no-eval-final",
                               "--model cnn --optimizer adam",
                               "--model cnn --optimizer adamw --weight-decay 0.01",
                               "--model cnn --optimizer sgd --momentum 0.9",
                               "--model cnn --optimizer adam --momentum 0",
                               "--model best --optimizer sgd --momentum 0.9"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (run("train %s " NODATA, ok[i]))
            return;
        CHECK_MSG(res.status == 3, "`train %s`: exit %d, want 3 (stderr: %s)", ok[i], res.status,
                  res.err);
    }
}

static void cli_models_lists_best(void)
{
    if (!bin())
        return;
    if (run("models"))
        return;
    CHECK_MSG(res.status == 0, "exit %d: %s", res.status, res.err);
    int found = 0;
    for (char *line = strtok(res.out, "\n"); line; line = strtok(NULL, "\n")) {
        char name[64];
        size_t k, params, bs;
        double lr;
        if (sscanf(line, "%63s %zu x %zu %lf %zu", name, &k, &params, &lr, &bs) != 5 ||
            strcmp(name, "best") != 0)
            continue;
        found++;
        /* an ensemble of three of cnn_ws_al's network: dropout has no parameters */
        CHECK_MSG(k == 3 && params == 75120 && lr == 0.001 && bs == 50,
                  "best: %zu x %zu params, lr %g, bs %zu", k, params, lr, bs);
    }
    CHECK_MSG(found == 1, "best listed %d times", found);
}

/* What a `train` run printed, without the timing: every epoch's loss and
 * accuracies, the final accuracies and the test-digits line. */
static void train_signature(const char *out, char *sig, size_t cap)
{
    size_t len = 0;
    sig[0] = '\0';
    const char *line = out;
    while (*line && len < cap) {
        const char *nl = strchr(line, '\n');
        const size_t ll = nl ? (size_t)(nl - line) : strlen(line);
        size_t e;
        double loss, tr, te, lr;
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)(ll < 511 ? ll : 511), line);
        if (sscanf(buf, "%zu %lf %lf %lf %lf", &e, &loss, &tr, &te, &lr) == 5)
            len += (size_t)snprintf(sig + len, cap - len, "epoch %zu %.4f %.4f %.4f;", e, loss,
                                    tr, te);
        else if (strstr(buf, "test digits:") || strstr(buf, "test acc "))
            len += (size_t)snprintf(sig + len, cap - len, "%.*s;",
                                    (int)(strstr(buf, "test digits:") ? strlen(buf)
                                          : (size_t)(strstr(buf, "test acc ") + 15 - buf)),
                                    buf);
        line = nl ? nl + 1 : line + ll;
    }
}

/* best, 2 epochs of 1 round on the real data: runs, describes its preset,
 * prints the test-digits line, and prints the same numbers twice. */
static void cli_train_best_deterministic(void)
{
    if (!bin())
        return;
    const char *data = t_data_dir();
    if (!data)
        return;
    static char sig1[8192], sig2[8192];
    if (run("train --model best --epochs 2 --data '%s'", data))
        return;
    CHECK_MSG(res.status == 0, "exit %d: %s", res.status, res.err);
    if (res.status != 0)
        return;
    CHECK_MSG(strstr(res.out, "model best") && strstr(res.out, "adam") &&
                  strstr(res.out, ", dropout ") && strstr(res.out, ", swap, re-pair, shift 1 px") &&
                  strstr(res.out, "2 epochs"),
              "the header does not describe best's preset:\n%s", res.out);
    const char *dl = strstr(res.out, "test digits: tower accuracy ");
    CHECK_MSG(dl != NULL, "no test digits line:\n%s", res.out);
    const double test = last_acc(res.out, "test acc ");
    if (dl) {
        const double tower = strtod(dl + strlen("test digits: tower accuracy "), NULL) / 100.0;
        const double cmp = last_acc(dl, "predicted digits ");
        const double prob = last_acc(dl, "P(d1 <= d2) ");
        /* 2 epochs: the tower already knows most digits */
        CHECK_MSG(tower > 0.6 && tower <= 1.0 && cmp > 0.6 && cmp <= 1.0,
                  "tower accuracy %g, comparison of predicted digits %g", tower, cmp);
        /* best's preset answers by P(d1 <= d2) (--decide prob) */
        CHECK_MSG(prob == test, "P(d1 <= d2)'s %g is not the test acc %g", prob, test);
    }
    train_signature(res.out, sig1, sizeof sig1);
    if (run("train --model best --epochs 2 --data '%s'", data))
        return;
    CHECK_MSG(res.status == 0, "second run: exit %d: %s", res.status, res.err);
    train_signature(res.out, sig2, sizeof sig2);
    CHECK_MSG(strstr(sig1, "epoch 2 ") && strstr(sig1, "test digits"),
              "signature misses lines: %s", sig1);
    CHECK_MSG(strcmp(sig1, sig2) == 0, "two runs differ:\n%s\n%s", sig1, sig2);
}

/* A trained best saved and loaded gives the accuracies train printed
 * (evaluation does not depend on dropout, which eval does not know). */
static void cli_best_save_eval(void)
{
    if (!bin())
        return;
    const char *data = t_data_dir();
    if (!data)
        return;
    char ck[512];
    snprintf(ck, sizeof ck, "%s/cli-best.ckpt", t_tmp_dir());
    /* one network answered by its head: what a checkpoint holds (best's
     * preset averages an ensemble over shifted views) */
    if (run("train --model best --epochs 1 --ensemble 1 --tta 1 --decide head --save '%s' "
            "--data '%s'", ck, data))
        return;
    CHECK_MSG(res.status == 0, "train: exit %d: %s", res.status, res.err);
    if (res.status != 0)
        return;
    const double tt = last_acc(res.out, "test acc "), tr = last_acc(res.out, "train acc ");
    if (run("eval --load '%s' --data '%s'", ck, data))
        return;
    CHECK_MSG(res.status == 0, "eval: exit %d: %s", res.status, res.err);
    CHECK_MSG(last_acc(res.out, "test acc ") == tt && last_acc(res.out, "train acc ") == tr,
              "eval printed train %g test %g, train printed %g %g", last_acc(res.out, "train acc "),
              last_acc(res.out, "test acc "), tr, tt);
}

/* --dropout 0.99999999 is below 1 as the double the parser checks, but
 * rounds to 1.0f in the model options, which pn_dropout refuses: the run
 * must not end as exit 1 "graph construction failed ... (a bug in the
 * model)". Either refused as a usage error naming --dropout (exit 2), or
 * accepted and trained (exit 0). Needs the data: the model is built after
 * loading it. */
static void cli_dropout_rounding_to_1_is_not_a_model_bug(void)
{
    if (!bin())
        return;
    const char *data = t_data_dir();
    if (!data)
        return;
    if (run("train --model cnn --dropout 0.99999999 --epochs 1 --data '%s'", data))
        return;
    CHECK_MSG(res.status == 0 || (res.status == 2 && one_line(res.err) &&
                                  strstr(res.err, "--dropout")),
              "`train --model cnn --dropout 0.99999999`: exit %d, want 2 naming --dropout (or "
              "0); stderr: %s", res.status, res.err);
}


/* --jobs and --threads are bounded like the thread array they size: beyond
 * the bound a one-line usage error, at it an accepted value. */
static void cli_jobs_bounded(void)
{
    if (!bin())
        return;
    expect_fail(2, "bench --jobs 257 " NODATA, "--jobs", "257", NULL);
    expect_fail(2, "bench --jobs 0 " NODATA, "--jobs", NULL);
    expect_fail(2, "train --model mlp --threads 257 " NODATA, "--threads", NULL);
    static const char *ok[] = {"bench --jobs 256 --out", "train --model mlp --threads 256 --save"};
    static const char *path[] = {"cli-jobs", "cli-jobs.ckpt"};
    for (size_t i = 0; i < 2; i++) {
        if (run("%s '%s/%s' " NODATA, ok[i], t_tmp_dir(), path[i]))
            return;
        CHECK_MSG(res.status == 3, "`%s`: exit %d, want 3 (stderr: %s)", ok[i], res.status,
                  res.err);
    }
}

/* The batch-size checks need the configured pair count, and bench applies
 * them to every model as train does, before loading anything. */
static void cli_bench_bs_checked(void)
{
    if (!bin())
        return;
    expect_fail(2, "bench --bs 1 " NODATA, "--bs", NULL);
    expect_fail(2, "bench --models mlp,cnn --bs 3 " NODATA, "--bs 3", "1000", NULL);
    expect_fail(2, "train --model cnn --bs 999 " NODATA, "--bs 999", "1000", NULL);
}

/* --help states what the registry holds: every model name, the study's
 * models as bench's default list, and each model's own preset where it
 * differs from the specification's. */
static void cli_help_from_registry(void)
{
    if (!bin())
        return;
    if (run("bench --help"))
        return;
    CHECK_MSG(res.status == 0, "exit %d", res.status);
    size_t n;
    const pn_model_info *m = pn_model_list(&n);
    char line[1024];
    help_line("--models", line, sizeof line);
    char study[256] = "";
    for (size_t i = 0, len = 0; i < pn_study_model_count(); i++)
        len += (size_t)snprintf(study + len, sizeof study - len, "%s%s", i ? "," : "", m[i].name);
    CHECK_MSG(strstr(line, study) != NULL, "--models' help lacks '%s': '%s'", study, line);
    if (run("train --help"))
        return;
    CHECK_MSG(res.status == 0, "exit %d", res.status);
    help_line("--model", line, sizeof line);
    for (size_t i = 0; i < n; i++) {
        char word[64];
        snprintf(word, sizeof word, " %s", m[i].name);
        const char *at = strstr(line, word);
        CHECK_MSG(at && strchr(" ,)", at[strlen(word)]),
                  "--model's help does not name %s: '%s'", m[i].name, line);
    }
    /* every model's own learning rate and batch size */
    for (size_t i = 0; i < n; i++) {
        char want_lr[64], want_bs[64], lr_line[1024];
        snprintf(want_lr, sizeof want_lr, " %s %g", m[i].name, m[i].lr);
        snprintf(want_bs, sizeof want_bs, " %s %zu", m[i].name, m[i].bs);
        CHECK_MSG(strstr(help_line("--lr", lr_line, sizeof lr_line), want_lr),
                  "--lr's help lacks '%s': '%s'", want_lr, lr_line);
        CHECK_MSG(strstr(help_line("--bs", lr_line, sizeof lr_line), want_bs),
                  "--bs's help lacks '%s': '%s'", want_bs, lr_line);
    }
    /* the specification's defaults (the study's models), and every model
     * whose own default differs named with it */
    pn_train_cfg spec, own;
    pn_train_cfg_default(&spec, &m[0]);
    char want[128];
    help_line("--epochs", line, sizeof line);
    snprintf(want, sizeof want, "(default: %zu", spec.epochs);
    CHECK_MSG(strstr(line, want) != NULL, "--epochs' help lacks '%s': '%s'", want, line);
    size_t differ = 0;
    for (size_t i = 0; i < n; i++) {
        pn_train_cfg_default(&own, &m[i]);
        if (own.epochs != spec.epochs) {
            differ++;
            snprintf(want, sizeof want, "%s: %zu", m[i].name, own.epochs);
            help_line("--epochs", line, sizeof line);
            CHECK_MSG(strstr(line, want) != NULL, "--epochs' help lacks '%s': '%s'", want, line);
        }
        if (own.optimizer != spec.optimizer) {
            differ++;
            snprintf(want, sizeof want, "%s: %s", m[i].name, pn_optimizer_name(own.optimizer));
            help_line("--optimizer", line, sizeof line);
            CHECK_MSG(strstr(line, want) != NULL, "--optimizer's help lacks '%s': '%s'", want,
                      line);
        }
    }
    CHECK_MSG(differ >= 2, "no model's own epochs and optimizer were checked");
}

/* A write error on stdout, as coreutils reports it: "pairnet: write error:
 * <reason>" on stderr, exit 1, for a full device, a closed descriptor and a
 * pipe without a reader (SIGPIPE ignored, so the write fails with EPIPE). */
static void cli_write_errors(void)
{
    const char *b = bin();
    if (!b)
        return;
    static const struct { const char *redirect, *reason; } cases[] = {
        {">/dev/full", "No space left on device"}, {">&-", "Bad file descriptor"}};
    static const char *cmds[] = {"models", "--help", "--version", "train --help"};
    for (size_t i = 0; i < 2; i++)
        for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
            run_sh("'%s' %s %s", b, cmds[k], cases[i].redirect);
            char want[128];
            snprintf(want, sizeof want, "pairnet: write error: %s\n", cases[i].reason);
            CHECK_MSG(res.status == 1 && strcmp(res.err, want) == 0,
                      "`pairnet %s %s`: exit %d, stderr '%s', want 1 and '%s'", cmds[k],
                      cases[i].redirect, res.status, res.err, want);
        }
    /* the reader is gone before pairnet writes (it sleeps first) */
    char st[512];
    snprintf(st, sizeof st, "%s/cli-pipe.status", t_tmp_dir());
    run_sh("trap '' PIPE; ( sleep 0.5; '%s' models; echo $? >'%s' ) | true", b, st);
    char status[32];
    t_read_file(st, status, sizeof status);
    CHECK_MSG(strcmp(status, "1\n") == 0 && strcmp(res.err, "pairnet: write error: Broken "
                                                   "pipe\n") == 0,
              "`pairnet models | true` with SIGPIPE ignored: exit %s, stderr '%s'", status,
              res.err);
    /* a failure keeps its own status and message; a closed stdin or stderr
     * that nothing is written to is no error */
    run_sh("'%s' frobnicate >/dev/full", b);
    CHECK_MSG(res.status == 2 && strstr(res.err, "unknown command"), "exit %d: %s", res.status,
              res.err);
    run_sh("'%s' models <&- 2>&- >/dev/null", b);
    CHECK_MSG(res.status == 0, "`pairnet models <&- 2>&-`: exit %d", res.status);
    run_sh("'%s' frobnicate 2>/dev/full", b);
    CHECK_MSG(res.status == 2, "an error message lost to a full stderr: exit %d", res.status);
    run_sh("'%s' models >/dev/null", b);
    CHECK_MSG(res.status == 0 && res.err[0] == '\0', "models: exit %d (%s)", res.status,
              res.err);
}

/* With stdout closed, the round store that bench opens must not become fd 1
 * (where the final table would be printed into it): the run reports the
 * write error, and running it again finds a clean store and finishes. */
static void cli_closed_stdout_keeps_files(void)
{
    const char *b = bin();
    if (!b)
        return;
    const char *data = t_data_dir();
    if (!data)
        return;
    char out[512], journal[600], ck[512];
    snprintf(out, sizeof out, "%s/cli-closed", t_tmp_dir());
    snprintf(journal, sizeof journal, "%s/rounds.pnr", out);
    run_sh("'%s' bench --models mlp --rounds 1 --epochs 1 --out '%s' --data '%s' >&-", b, out,
           data);
    CHECK_MSG(res.status == 1 && strstr(res.err, "pairnet: write error: Bad file descriptor"),
              "bench >&-: exit %d, stderr '%s'", res.status, res.err);
    static char text[65536];
    t_read_file(journal, text, sizeof text);
    CHECK_MSG(text[0] && !strstr(text, "params") && !strstr(text, "wrote "),
              "the round store holds stdout's lines:\n%s", text);
    if (run("bench --models mlp --rounds 1 --epochs 1 --out '%s' --data '%s'", out, data))
        return;
    CHECK_MSG(res.status == 0, "bench after the closed-stdout run: exit %d (%s)", res.status,
              res.err);
    /* and a checkpoint written with stdout closed evaluates */
    snprintf(ck, sizeof ck, "%s/cli-closed.ckpt", t_tmp_dir());
    run_sh("'%s' train --model mlp --epochs 1 --save '%s' --data '%s' >&-", b, ck, data);
    CHECK_MSG(res.status == 1 && strstr(res.err, "write error"), "train >&-: exit %d (%s)",
              res.status, res.err);
    if (run("eval --load '%s' --data '%s'", ck, data))
        return;
    CHECK_MSG(res.status == 0 && strstr(res.out, "test acc "), "eval: exit %d (%s)", res.status,
              res.err);
}

/* train --save is checked before any training (NODATA would fail with 3
 * later), with a fix; a successful save is confirmed. */
static void cli_save_path_checked(void)
{
    if (!bin())
        return;
    char args[1024];
    snprintf(args, sizeof args, "train --model mlp --save '%s' " NODATA, t_tmp_dir());
    expect_fail(2, args, "--save", t_tmp_dir(), "is a directory", "model.safetensors", NULL);
    snprintf(args, sizeof args, "train --model mlp --save '%s/' " NODATA, t_tmp_dir());
    expect_fail(2, args, "is a directory", NULL);
    snprintf(args, sizeof args, "train --model mlp --save '%s/no-such-dir/m.ckpt' " NODATA,
             t_tmp_dir());
    expect_fail(2, args, "no-such-dir", "does not exist", "mkdir -p", NULL);
    expect_fail(2, "train --model mlp --save /dev/null/m.ckpt " NODATA, "Not a directory", NULL);
    expect_fail(2, "train --model mlp --save /dev/null " NODATA, "not a regular file", NULL);
    if (geteuid() != 0) /* root may write anywhere */
        expect_fail(2, "train --model mlp --save /proc/m.ckpt " NODATA, "cannot write", NULL);
}

/* The binary as nobody can run it, into out: root runs a copy in a fresh
 * folder of the scratch directory, because the clone may live in a private
 * directory (mktemp -d, mode 700) that nobody cannot enter; anyone else
 * runs b itself (absolute). A script (the qemu wrapper) runs in place: it
 * finds its binary beside itself. Returns 0, or -1 after a failed CHECK. */
static int nobody_bin(const char *b, char *out, size_t cap)
{
    char cwd[1024];
    int n;
    if (b[0] == '/')
        n = snprintf(out, cap, "%s", b);
    else if (getcwd(cwd, sizeof cwd))
        n = snprintf(out, cap, "%s/%s", cwd, b);
    else {
        CHECK_MSG(0, "getcwd failed: cannot make PAIRNET_BIN=%s absolute", b);
        return -1;
    }
    if (n < 0 || (size_t)n >= cap) {
        CHECK_MSG(0, "the path of PAIRNET_BIN=%s is too long for this test", b);
        return -1;
    }
    size_t len = 0;
    unsigned char *exe = geteuid() == 0 ? slurp(out, &len) : NULL;
    if (!exe || (len >= 2 && exe[0] == '#' && exe[1] == '!')) {
        free(exe);
        return 0;
    }
    char dir[512];
    snprintf(dir, sizeof dir, "%s/cli-nobody-bin", t_tmp_dir());
    mkdir(dir, 0755);
    snprintf(out, cap, "%s/pairnet", dir);
    const int ok = chmod(dir, 0755) == 0 && spit(out, exe, len) == 0 && chmod(out, 0755) == 0;
    free(exe);
    CHECK_MSG(ok, "cannot copy the binary to %s for nobody", out);
    return ok ? 0 : -1;
}

#define NOBODY_SKIP (-2)

/* Runs `BINARY args` through sh, as nobody (uid 65534) when root (root
 * reads everything), in a forked child whose stderr the parent opened into
 * res.err. Returns the exit status, -1 if it did not exit, or NOBODY_SKIP
 * after t_skip when nobody cannot reach the binary (never a silent pass). */
static int run_as_nobody(const char *b, const char *args)
{
    char exe[1024], line[4096], err[600];
    if (nobody_bin(b, exe, sizeof exe) != 0)
        return -1;
    snprintf(line, sizeof line, "'%s' %s", exe, args);
    snprintf(err, sizeof err, "%s/cli-nobody.err", t_tmp_dir());
    const int root = geteuid() == 0;
    if (root)
        CHECK(chmod(t_tmp_dir(), 0755) == 0); /* nobody must reach the directory */
    int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    fflush(NULL);
    pid_t pid = fd >= 0 ? fork() : -1;
    if (pid == 0) {
        if (dup2(fd, 2) < 0 || (root && (setgid(65534) != 0 || setuid(65534) != 0)))
            _exit(125);
        if (access(exe, X_OK) != 0)
            _exit(124);
        execl("/bin/sh", "sh", "-c", line, (char *)NULL);
        _exit(126);
    }
    int st = -1;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
    if (fd >= 0)
        close(fd);
    if (root)
        CHECK(chmod(t_tmp_dir(), 0700) == 0);
    const int status = pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    t_read_file(err, res.err, sizeof res.err);
    CHECK_MSG(status != 125, "cannot become nobody (uid 65534)");
    if (status == 124) {
        char why[1200];
        snprintf(why, sizeof why, "nobody (uid 65534) cannot run %s: a folder above it is "
                 "closed to others", exe);
        t_skip(why);
        return NOBODY_SKIP;
    }
    return status;
}

/* Paths to the data that are wrong in different ways get different
 * messages, each naming the path and the errno's words. */
static void cli_data_path_errors(void)
{
    const char *b = bin();
    if (!b)
        return;
    char loop[512], file[512], empty[512], args[1200];
    snprintf(loop, sizeof loop, "%s/cli-loop", t_tmp_dir());
    snprintf(file, sizeof file, "%s/cli-file", t_tmp_dir());
    snprintf(empty, sizeof empty, "%s/cli-empty-mnist", t_tmp_dir());
    unlink(loop);
    CHECK(symlink("cli-loop", loop) == 0);
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    mkdir(empty, 0755);
    snprintf(args, sizeof args, "train --model mlp --data '%s'", loop);
    expect_fail(3, args, loop, "Too many levels of symbolic links", "loop", NULL);
    snprintf(args, sizeof args, "train --model mlp --data '%s'", file);
    expect_fail(3, args, file, "is a file, not a directory", "Not a directory", NULL);
    snprintf(args, sizeof args, "train --model mlp --data '%s/x'", file);
    expect_fail(3, args, file, "Not a directory", NULL);
    snprintf(args, sizeof args, "train --model mlp --data '%s'", empty);
    expect_fail(3, args, empty, "make data", NULL);
    expect_fail(3, "train --model mlp --data /nonexistent-pairnet-dir", "/nonexistent-pairnet-dir",
                "No such file or directory", "make data", NULL);
    /* PAIRNET_DATA the same */
    run_sh("PAIRNET_DATA='%s' '%s' train --model mlp >/dev/null", file, b);
    CHECK_MSG(res.status == 3 && one_line(res.err) && strstr(res.err, file) &&
                  strstr(res.err, "is a file, not a directory"),
              "PAIRNET_DATA=<a file>: exit %d: %s", res.status, res.err);
    /* an unreadable file: EACCES (as nobody: root reads everything) */
    char dir[512], img[600];
    snprintf(dir, sizeof dir, "%s/cli-unreadable", t_tmp_dir());
    snprintf(img, sizeof img, "%s/train-images-idx3-ubyte", dir);
    mkdir(dir, 0755);
    f = fopen(img, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    snprintf(args, sizeof args, "%s/train-labels-idx1-ubyte", dir);
    f = fopen(args, "w");
    if (f)
        fclose(f);
    CHECK(chmod(img, 0) == 0);
    char line[2048];
    snprintf(line, sizeof line, "train --model mlp --data '%s' >/dev/null", dir);
    const int st = run_as_nobody(b, line);
    if (st == NOBODY_SKIP)
        return;
    res.status = st;
    CHECK_MSG(res.status == 3 && one_line(res.err) && strstr(res.err, img) &&
                  strstr(res.err, "Permission denied") && strstr(res.err, "chmod"),
              "an unreadable %s: exit %d: %s", img, res.status, res.err);
}

/* A path of 1000 characters still leaves room for the fix at the end of
 * the message, and an option of 1500 for its. */
static void cli_long_path_keeps_fix(void)
{
    if (!bin())
        return;
    char path[1100] = "/nonexistent-pairnet-dir";
    while (strlen(path) < 1000)
        strcat(path, "/aaaaaaaaaaaaaaaaaaaa");
    char args[1200];
    snprintf(args, sizeof args, "eval --load '%s'", path);
    expect_fail(3, args, path, NULL);
    const char *fix = "(write one with pairnet train --save FILE)\n";
    CHECK_MSG(strlen(res.err) > strlen(fix) &&
                  strcmp(res.err + strlen(res.err) - strlen(fix), fix) == 0,
              "the fix is lost: %s", res.err);
    char opt[1600] = "--";
    memset(opt + 2, 'x', 1500);
    opt[1502] = '\0';
    char cmd[1700];
    snprintf(cmd, sizeof cmd, "train %s", opt);
    expect_fail(2, cmd, "--xxxxxxxx", NULL);
    CHECK_MSG(strstr(res.err, "(pairnet train --help lists its options)\n") != NULL,
              "the fix is lost: %s", res.err);
}

/* `train --lr 100` diverges (exit 4) with one line naming the epoch. */
static void cli_train_lr_100_diverges(void)
{
    if (!bin())
        return;
    const char *data = t_data_dir();
    if (!data)
        return;
    if (run("train --model mlp --lr 100 --data '%s'", data))
        return;
    CHECK_MSG(res.status == 4 && one_line(res.err) && strstr(res.err, "diverged") &&
                  strstr(res.err, "epoch ") && strstr(res.err, "--lr"),
              "train --lr 100: exit %d, stderr '%s'", res.status, res.err);
    CHECK_MSG(!strstr(res.out, "+-") && !strstr(res.out, "\xc2\xb1"), "%s", res.out);
}

void suite_cli(void)
{
    RUN(cli_usage_errors);
    RUN(cli_range_edges_accepted);
    RUN(cli_bs_1_refused);
    RUN(cli_help_version);
    RUN(cli_no_arguments);
    RUN(cli_option_equals_value);
    RUN(cli_unknown_suggests);
    RUN(cli_models);
    RUN(cli_data_and_checkpoint_errors);
    RUN(cli_train_save_eval);
    RUN(cli_diverged_run);
    RUN(cli_new_option_errors);
    RUN(cli_new_option_edges_accepted);
    RUN(cli_models_lists_best);
    RUN(cli_train_best_deterministic);
    RUN(cli_best_save_eval);
    RUN(cli_dropout_rounding_to_1_is_not_a_model_bug);
    RUN(cli_jobs_bounded);
    RUN(cli_bench_bs_checked);
    RUN(cli_help_from_registry);
    RUN(cli_write_errors);
    RUN(cli_closed_stdout_keeps_files);
    RUN(cli_save_path_checked);
    RUN(cli_data_path_errors);
    RUN(cli_long_path_keeps_fix);
    RUN(cli_train_lr_100_diverges);
}
