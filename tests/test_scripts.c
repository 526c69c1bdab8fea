/* The scripts take any path (issue 20): a folder or value with spaces,
 * quotes, $(...), a glob, a | or a leading dash works in the commands they
 * print, run and submit, and never runs anything; a newline or tab is
 * refused with one line; options the grid owns are refused after --;
 * numbers are read and written alike under a comma-decimal locale;
 * Markdown cells are escaped. Every grid here is one cell of one round of
 * one epoch. The awkward strings reach the scripts through the
 * environment ("$T_OUT"), so this file needs no shell quoting of its own. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "test.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A name with every character that once broke a script: a leading dash,
 * spaces, $(...) that would create PWNED, both quotes, a glob and a |. */
#define AWKWARD "$(touch PWNED) 'q' \"dq\" * |x"

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* The scratch folder of these tests, T_DIR=<tmp>/scripts, with T_REPO
 * (the clone), T_BIN (the binary) and T_DATA (MNIST) set as absolute
 * paths; 0 when the test cannot run (skipped or failed already). */
static int scripts_env(char *dir, size_t cap)
{
    static char repo[PATH_MAX], bin[PATH_MAX], data[PATH_MAX];
    const char *d = t_data_dir(), *b = getenv("PAIRNET_BIN");
    if (!d)
        return 0;
    if (!getcwd(repo, sizeof repo) || !realpath(b && *b ? b : "./pairnet", bin) ||
        !realpath(d, data)) {
        CHECK_MSG(0, "cannot resolve the clone, the binary or the MNIST folder");
        return 0;
    }
    snprintf(dir, cap, "%s/scripts", t_tmp_dir());
    mkdir(dir, 0700);
    setenv("T_DIR", dir, 1);
    setenv("T_REPO", repo, 1);
    setenv("T_BIN", bin, 1);
    setenv("T_DATA", data, 1);
    return 1;
}

/* True if no file named PWNED exists under T_DIR or in the clone. */
static int nothing_ran(void)
{
    return sh("test -z \"$(find \"$T_DIR\" -name PWNED)\" && ! test -e PWNED") == 0;
}

/* --print: run line by line with sh from another folder, as GNU parallel
 * or any scheduler would, the one cell lands in --out; --data "-P" (a
 * symlink to MNIST) stays a path, never `cd -P` (that is $HOME). */
static void scripts_grid_print_any_path(void)
{
    char dir[PATH_MAX], path[2 * PATH_MAX], text[8192];
    if (!scripts_env(dir, sizeof dir))
        return;
    setenv("T_D", "-d " AWKWARD, 1);
    setenv("T_OUT", "-o " AWKWARD, 1);
    int st = sh("cd \"$T_DIR\" && ln -sfn -- \"$T_DATA\" \"$T_D\" && ln -sfn -- \"$T_DATA\" -P && "
                "mkdir -p elsewhere && bash \"$T_REPO/scripts/grid.sh\" --models mlp --lr 0.01 "
                "--bs 100 --rounds 1 --epochs 1 --bin \"$T_BIN\" --data \"$T_D\" --out \"$T_OUT\" "
                "--print >print.txt 2>print.err");
    snprintf(path, sizeof path, "%s/print.err", dir);
    t_read_file(path, text, sizeof text);
    CHECK_MSG(st == 0, "grid.sh --print exited %d: %s", st, text);
    snprintf(path, sizeof path, "%s/print.txt", dir);
    t_read_file(path, text, sizeof text);
    CHECK_MSG(count_lines(text) == 1, "not one command for one cell:\n%s", text);
    st = sh("cd \"$T_DIR/elsewhere\" && while IFS= read -r l; do sh -c \"$l\" || exit 1; done "
            "<\"$T_DIR/print.txt\"");
    CHECK_MSG(st == 0, "a printed command failed (exit %d):\n%s", st, text);
    snprintf(path, sizeof path, "%s/-o " AWKWARD "/mlp/lr0.01_bs100/table2.csv", dir);
    CHECK_MSG(access(path, R_OK) == 0, "the cell is not in --out: no %s", path);
    CHECK_MSG(nothing_ran(), "a printed command ran the $(...) of a path");

    st = sh("cd \"$T_DIR\" && bash \"$T_REPO/scripts/grid.sh\" --models mlp --lr 0.01 --bs 100 "
            "--bin \"$T_BIN\" --data -P --out o --print >dashp.txt 2>&1");
    snprintf(path, sizeof path, "%s/dashp.txt", dir);
    t_read_file(path, text, sizeof text);
    char want[PATH_MAX + 16];
    snprintf(want, sizeof want, " --data %s/-P ", dir);
    CHECK_MSG(st == 0 && strstr(text, want), "--data -P is not the folder -P (exit %d): %s", st,
              text);
}

/* The grid run here (run-cell.sh, cells.txt, xargs or GNU parallel) into
 * an --out and from a --data with every awkward character. */
static void scripts_grid_run_any_path(void)
{
    char dir[PATH_MAX], path[2 * PATH_MAX], text[8192];
    if (!scripts_env(dir, sizeof dir))
        return;
    setenv("T_D", "-d " AWKWARD, 1);
    setenv("T_OUT", "-g " AWKWARD, 1);
    int st = sh("cd \"$T_DIR\" && ln -sfn -- \"$T_DATA\" \"$T_D\" && bash \"$T_REPO/scripts/grid.sh\" "
                "--models mlp --lr 0.01 --bs 100 --rounds 1 --epochs 1 --bin \"$T_BIN\" "
                "--data \"$T_D\" --out \"$T_OUT\" >run.out 2>run.err");
    snprintf(path, sizeof path, "%s/run.err", dir);
    t_read_file(path, text, sizeof text);
    CHECK_MSG(st == 0, "grid.sh exited %d: %s", st, text);
    snprintf(path, sizeof path, "%s/-g " AWKWARD "/mlp/lr0.01_bs100/table2.csv", dir);
    CHECK_MSG(access(path, R_OK) == 0, "no %s", path);
    snprintf(path, sizeof path, "%s/-g " AWKWARD "/table1.md", dir);
    t_read_file(path, text, sizeof text);
    CHECK_MSG(strstr(text, "| mlp | 0.01 | 100 |"), "no Table I in --out: %s", text);
    CHECK_MSG(nothing_ran(), "the grid ran the $(...) of a path");
}

/* --slurm against a stand-in sbatch that records its arguments: each
 * --sbatch is one argument, no path is in an #SBATCH line (sbatch reads
 * those unquoted: "Invalid directive"), and the job script run as Slurm
 * would run task 0 runs the cell and writes the task's log. */
static void scripts_grid_slurm_job_any_path(void)
{
    char dir[PATH_MAX], path[2 * PATH_MAX], text[8192];
    if (!scripts_env(dir, sizeof dir))
        return;
    setenv("T_OUT", "my runs " AWKWARD, 1);
    int st = sh("cd \"$T_DIR\" && mkdir -p fakebin && printf '%s\\n' '#!/bin/sh' "
                "'for a; do printf \"%s\\n\" \"$a\"; done >\"$T_DIR/sbatch.args\"' 'echo 42' "
                ">fakebin/sbatch && chmod +x fakebin/sbatch && PATH=\"$T_DIR/fakebin:$PATH\" "
                "bash \"$T_REPO/scripts/grid.sh\" --models mlp --lr 0.01 --bs 100 --rounds 1 "
                "--epochs 1 --bin \"$T_BIN\" --data \"$T_DATA\" --out \"$T_OUT\" --slurm "
                "--sbatch \"--job-name=my grid\" --sbatch=--export=NONE >slurm.out 2>slurm.err");
    snprintf(path, sizeof path, "%s/slurm.err", dir);
    t_read_file(path, text, sizeof text);
    CHECK_MSG(st == 0, "grid.sh --slurm exited %d: %s", st, text);
    snprintf(path, sizeof path, "%s/sbatch.args", dir);
    t_read_file(path, text, sizeof text);
    CHECK_MSG(strstr(text, "\n--job-name=my grid\n") && strstr(text, "\n--export=NONE\n"),
              "the --sbatch values did not reach sbatch one argument each:\n%s", text);
    CHECK_MSG(sh("! grep '^#SBATCH.*/' \"$T_DIR/$T_OUT/slurm-job.sh\"") == 0,
              "a path in an #SBATCH line of slurm-job.sh");
    st = sh("cd / && SLURM_ARRAY_JOB_ID=42 SLURM_ARRAY_TASK_ID=0 bash \"$T_DIR/$T_OUT/slurm-job.sh\"");
    CHECK_MSG(st == 0, "task 0 of the job script exited %d", st);
    snprintf(path, sizeof path, "%s/my runs " AWKWARD "/mlp/lr0.01_bs100/table2.csv", dir);
    CHECK_MSG(access(path, R_OK) == 0, "task 0 did not run the cell: no %s", path);
    snprintf(path, sizeof path, "%s/my runs " AWKWARD "/slurm-42_0.out", dir);
    CHECK_MSG(access(path, R_OK) == 0, "no task log %s", path);
    CHECK_MSG(nothing_ran(), "the job ran the $(...) of a path");

    st = sh("bash scripts/grid.sh --slurm --print --sbatch '--partition=cpu --time=1:00:00' "
            ">/dev/null 2>\"$T_DIR/multi.err\"");
    snprintf(path, sizeof path, "%s/multi.err", dir);
    t_read_file(path, text, sizeof text);
    CHECK_MSG(st == 2 && count_lines(text) == 1 && strstr(text, "one per --sbatch"),
              "several options in one --sbatch: exit %d, %s", st, text);
}

/* Each command must exit 2 with one line on stderr that holds `names`. */
static void refused(const char *cmd, const char *names)
{
    char full[2048], text[4096], path[PATH_MAX + 16];
    snprintf(full, sizeof full, "%s >/dev/null 2>\"$T_DIR/refused.err\"", cmd);
    int st = sh(full);
    snprintf(path, sizeof path, "%s/refused.err", getenv("T_DIR"));
    t_read_file(path, text, sizeof text);
    CHECK_MSG(st == 2 && count_lines(text) == 1 && strstr(text, names),
              "%s: exit %d (want 2), want one line naming '%s': %s", cmd, st, names, text);
}

/* A newline or tab in a path or value: one line naming the option, exit
 * 2, before anything runs. An option the grid sets in every cell, given
 * again after --: refused the same way. */
static void scripts_refuse_control_and_overrides(void)
{
    char dir[PATH_MAX];
    if (!scripts_env(dir, sizeof dir))
        return;
    setenv("T_NL", "a\nb", 1);
    setenv("T_TAB", "a\tb", 1);
    refused("bash scripts/grid.sh --print --out \"$T_DIR/$T_NL\"", "--out");
    refused("bash scripts/grid.sh --print --data \"$T_TAB\"", "--data");
    refused("bash scripts/grid.sh --print -- --aux-weight \"2$T_NL\"", "after --");
    refused("bash scripts/ablation.sh --print --out \"$T_NL\"", "argument");
    refused("bash scripts/table1.sh \"$T_NL\"", "DIR");
    refused("bash scripts/validation.sh --summary --out \"$T_DIR/$T_NL\"", "--out");
    refused("bash scripts/get-mnist.sh \"$T_DIR/$T_NL\"", "DIR");
    CHECK_MSG(sh("test -z \"$(find \"$T_DIR\" -name 'a*b')\"") == 0,
              "a refused path was created");

    static const char *owned[] = {"--lr 0.05", "--lr=0.05", "--bs 50", "--models cnn",
                                  "--seed 3", "--rounds 2", "--epochs 2", "--out x",
                                  "--data=x", "--jobs 2", "--eval-final", "--list"};
    char cmd[512], name[32];
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
        snprintf(cmd, sizeof cmd, "bash scripts/grid.sh --lr 0.01,0.1 --print -- %s", owned[i]);
        snprintf(name, sizeof name, "%.*s after --", (int)strcspn(owned[i], " ="), owned[i]);
        refused(cmd, name);
    }
    CHECK_MSG(sh("bash scripts/grid.sh --models mlp --lr 0.01 --bs 50 --print -- --aux-weight 2 "
                 "2>/dev/null | grep -q -- '--eval-final --jobs 1 .* --aux-weight 2 >>'") == 0,
              "an option the grid does not own is not passed on after --");
}

/* A German locale (generated here: localedef into the scratch folder,
 * LOCPATH) writes 0.5 as 0,50 in mawk and printf: validation.sh must still
 * read "0.9920" and write 98.47, and stop on a figure it cannot read. */
static void scripts_validation_comma_locale(void)
{
    char dir[PATH_MAX], path[2 * PATH_MAX], text[8192];
    if (!scripts_env(dir, sizeof dir))
        return;
    if (sh("cd \"$T_DIR\" && mkdir -p loc && { test -d loc/de_DE.UTF-8 || localedef -i de_DE "
           "-f UTF-8 loc/de_DE.UTF-8; } >/dev/null 2>&1 && test \"$(LOCPATH=\"$T_DIR/loc\" "
           "LC_ALL=de_DE.UTF-8 locale decimal_point 2>/dev/null)\" = ,")) {
        t_skip("no comma-decimal locale: localedef -i de_DE failed (install glibc's locales)");
        return;
    }
    int st = sh("cd \"$T_DIR\" && rm -rf val && mkdir val && "
                "cp \"$T_REPO/results/validation/C1-aux2-bs50.log\" val/ && "
                "LOCPATH=\"$T_DIR/loc\" LC_ALL=de_DE.UTF-8 bash \"$T_REPO/scripts/validation.sh\" "
                "--out val --summary 2>val.err");
    snprintf(path, sizeof path, "%s/val/summary.md", dir);
    t_read_file(path, text, sizeof text);
    CHECK_MSG(st == 0 && strstr(text, "| C1-aux2-bs50 | 98.47 \xc2\xb1 0.45 | 98.13 | 98.62 | "
                                      "\xe2\x80\x94 | 6 | 35.5 |"),
              "validation.sh under de_DE.UTF-8 (exit %d) wrote:\n%s", st, text);

    st = sh("cd \"$T_DIR\" && sed 's/test acc 0.9920/test acc 0,9920/' "
            "\"$T_REPO/results/validation/C1-aux2-bs50.log\" >val/comma.log && "
            "bash \"$T_REPO/scripts/validation.sh\" --out val --summary 2>val.err");
    snprintf(path, sizeof path, "%s/val.err", dir);
    t_read_file(path, text, sizeof text);
    CHECK_MSG(st == 1 && strstr(text, "comma.log:104: cannot read the test accuracy"),
              "an unreadable accuracy: exit %d (want 1): %s", st, text);
}

/* validation.sh --summary: the committed train logs of results/validation/
 * still give the committed summary.md byte for byte, and a candidate run
 * by bench (a folder with table2.csv and runs.csv) gives its row from
 * those tables. */
static void scripts_validation_summary_logs_and_bench(void)
{
    char dir[PATH_MAX], path[2 * PATH_MAX], text[8192];
    if (!scripts_env(dir, sizeof dir))
        return;
    int st = sh("cd \"$T_DIR\" && rm -rf vs && mkdir vs && cp \"$T_REPO\"/results/validation/*.log "
                "vs/ && bash \"$T_REPO/scripts/validation.sh\" --out vs --summary 2>/dev/null && "
                "cmp -s vs/summary.md \"$T_REPO/results/validation/summary.md\"");
    CHECK_MSG(st == 0, "the train logs of results/validation/ no longer give its summary.md");
    st = sh("cd \"$T_DIR\" && mkdir -p vs/Z9-bench && printf '%s\\n' "
            "model,rounds,diverged,test_mean,test_std,digit_mean,argmax_mean "
            "best,2,0,0.985000,0.001000,0.980000,, >vs/Z9-bench/table2.csv && printf '%s\\n' "
            "model,round,seed,epoch,seconds best,0,1000,1,1.5 best,0,1000,2,2.5 "
            "best,1,1001,1,2.0 best,1,1001,2,2.0 >vs/Z9-bench/runs.csv && "
            "bash \"$T_REPO/scripts/validation.sh\" --out vs --summary 2>/dev/null");
    snprintf(path, sizeof path, "%s/vs/summary.md", dir);
    t_read_file(path, text, sizeof text);
    CHECK_MSG(st == 0 && strstr(text, "| Z9-bench | 98.50 \xc2\xb1 0.10 | 98.00 | \xe2\x80\x94 | "
                                      "\xe2\x80\x94 | 2 | 4.0 |\n") &&
                  strstr(text, "| C1-aux2-bs50 | 98.47") && strstr(text, "read\nfrom its table2.csv"),
              "no bench row, or no word on it (exit %d):\n%s", st, text);
}

/* Cells of a GitHub table row: the | that are not backslash-escaped (GFM
 * reads \ before any ASCII punctuation as an escape pair). */
static size_t gfm_pipes(const char *line, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '\\' && i + 1 < len && ispunct((unsigned char)line[i + 1]))
            i++;
        else
            n += line[i] == '|';
    }
    return n;
}

/* Every row of the table starting at `header` in md has as many cells as
 * the header; 0 if not (or no such table). */
static int rows_intact(const char *md, const char *header)
{
    const char *row = strstr(md, header);
    if (!row)
        return 0;
    size_t want = gfm_pipes(row, strcspn(row, "\n"));
    for (; *row == '|'; row += strcspn(row, "\n") + (row[strcspn(row, "\n")] == '\n'))
        if (gfm_pipes(row, strcspn(row, "\n")) != want)
            return 0;
    return 1;
}

/* ablation.md with a | in --out and --data (so in the command cell) and
 * table1.md from a planted table2.csv whose model is "a|b<script>": no
 * row splits, nothing becomes markup. */
static void scripts_markdown_cells_escaped(void)
{
    char dir[PATH_MAX], path[2 * PATH_MAX];
    static char md[32768];
    if (!scripts_env(dir, sizeof dir))
        return;
    setenv("T_OUT", "ab|l `x` *", 1);
    setenv("T_D", "mn|ist", 1);
    int st = sh("cd \"$T_DIR\" && ln -sfn -- \"$T_DATA\" \"$T_D\" && bash \"$T_REPO/scripts/ablation.sh\" "
                "--bin \"$T_BIN\" --out \"$T_OUT\" --variants no-dropout --rounds 1 --epochs 1 "
                "--ensemble 1 --tta 1 --data \"$T_D\" >abl.log 2>&1");
    snprintf(path, sizeof path, "%s/ab|l `x` */ablation.md", dir);
    t_read_file(path, md, sizeof md);
    CHECK_MSG(st == 0 && md[0], "ablation.sh exited %d, ablation.md: %s", st, md);
    CHECK_MSG(rows_intact(md, "| variant |") && strstr(md, "| no-dropout | `--dropout 0` |") &&
                  strstr(md, "--data 'mn\\|ist'"),
              "a | in the command splits ablation.md's row:\n%s", md);

    st = sh("cd \"$T_DIR\" && rm -rf t1 && mkdir -p t1/m/lr0.01_bs50 && printf '%s\\n' "
            "model,lr,bs,epochs,rounds,diverged,train_mean,train_std,test_mean,test_std "
            "'a|b<script>,0.01,50,1,1,0,0.5,0,0.5,0' >t1/m/lr0.01_bs50/table2.csv && "
            "PAIRNET=\"$T_BIN\" bash \"$T_REPO/scripts/table1.sh\" t1 t1.md 2>/dev/null");
    snprintf(path, sizeof path, "%s/t1.md", dir);
    t_read_file(path, md, sizeof md);
    CHECK_MSG(st == 0 && strstr(md, "| a\\|b\\<script\\> |") && !strstr(md, "b<script>") &&
                  rows_intact(md, "| model |"),
              "table1.sh did not escape a model name (exit %d):\n%s", st, md);
}

/* quote() of scripts/lib.sh, read back by sh (dash, not bash): every
 * word comes back as it was and nothing in it runs. */
static void scripts_quote_reads_back(void)
{
    char dir[PATH_MAX], path[2 * PATH_MAX], text[4096];
    if (!scripts_env(dir, sizeof dir))
        return;
    int st = sh("cd \"$T_DIR\" && set -- \"$(printf 'a b')\" \"it's\" '$(touch PWNED)' '`touch PWNED`' "
                "'*' '-x' 'X=1' '' 'a\\b\"c' '~' '|;&' && Q=$(bash -c '. \"$T_REPO/scripts/lib.sh\"; "
                "quote_all \"$@\"' _ \"$@\") && Q=$Q sh -c 'eval \"set -- $Q\"; "
                "for a; do printf \"[%s]\" \"$a\"; done' >quote.txt");
    snprintf(path, sizeof path, "%s/quote.txt", dir);
    t_read_file(path, text, sizeof text);
    CHECK_MSG(st == 0 && strcmp(text, "[a b][it's][$(touch PWNED)][`touch PWNED`][*][-x][X=1][]"
                                      "[a\\b\"c][~][|;&]") == 0,
              "quote_all read back by sh as: %s", text);
    CHECK_MSG(nothing_ran(), "a quoted word ran");
}

/* Planted links (issue 20): victims V/<name> hold "precious" (V/dir is a
 * folder holding it), and V/job.sh would touch PWNED if run. plant(NAME,
 * VICTIM) makes a symlink at "$T_DIR/$T_OUT/NAME" to "$T_DIR/V/VICTIM". */
#define VICTIMS                                                                             \
    "cd \"$T_DIR\" && rm -rf V \"$T_OUT\" && mkdir -p V/dir && printf 'precious\\n' >V/ref && " \
    "for f in a b c d e f g h i dir/x; do cp V/ref V/$f; done && : >V/empty && "               \
    "printf '#!/bin/sh\\ntouch PWNED\\n' >V/job.sh && chmod +x V/job.sh && cp V/job.sh V/jobref && " \
    "plant() { mkdir -p \"$(dirname \"$T_OUT/$1\")\" && ln -s \"$T_DIR/V/$2\" \"$T_OUT/$1\"; } && "

/* 1 if every victim is as it was (names of the changed ones in `bad`). */
static int victims_intact(char *bad, size_t cap)
{
    char path[PATH_MAX + 16];
    int st = sh("cd \"$T_DIR/V\" && { for f in a b c d e f g h i dir/x; do cmp -s ref $f || echo $f; "
                "done; test -s empty && echo empty; cmp -s jobref job.sh || echo job.sh; "
                "test \"$(ls dir)\" = x || echo dir; } >\"$T_DIR/changed.txt\" 2>&1");
    snprintf(path, sizeof path, "%s/changed.txt", getenv("T_DIR"));
    t_read_file(path, bad, cap);
    return st == 0 && !bad[0];
}

/* grid.sh run here with links planted at every file it writes: its lists
 * and their old temporaries (one a hard link), start (to an empty file:
 * it is written only when empty), run-cell.sh (a script that would touch
 * PWNED), joblog.txt, a cell's seconds and table1.md (to a folder): the
 * grid runs, every victim is unchanged and nothing planted runs. */
static void scripts_grid_planted_links(void)
{
    char dir[PATH_MAX], path[2 * PATH_MAX], text[8192], bad[1024];
    if (!scripts_env(dir, sizeof dir))
        return;
    setenv("T_OUT", "planted grid", 1);
    int st = sh(VICTIMS "plant cells.tsv a && plant cells.tsv.tmp b && plant cells.txt.tmp c && "
                "plant todo.txt d && ln V/e \"$T_OUT/todo.txt.tmp\" && plant start empty && "
                "plant run-cell.sh job.sh && plant joblog.txt f && "
                "plant mlp/lr0.01_bs100/seconds g && plant table1.md dir && "
                "bash \"$T_REPO/scripts/grid.sh\" --models mlp --lr 0.01 --bs 100 --rounds 1 "
                "--epochs 1 --bin \"$T_BIN\" --data \"$T_DATA\" --out \"$T_OUT\" >pl.out 2>pl.err");
    snprintf(path, sizeof path, "%s/pl.err", dir);
    t_read_file(path, text, sizeof text);
    CHECK_MSG(st == 0, "grid.sh with planted links exited %d: %s", st, text);
    CHECK_MSG(victims_intact(bad, sizeof bad), "grid.sh wrote through a planted link into: %s", bad);
    CHECK_MSG(nothing_ran(), "grid.sh ran a planted run-cell.sh");
    snprintf(path, sizeof path, "%s/planted grid/table1.md", dir);
    t_read_file(path, text, sizeof text);
    CHECK_MSG(strstr(text, "| mlp | 0.01 | 100 |"), "no Table I of its own: %s", text);
}

/* A cell's bench.log, kept across runs and appended to, planted as a link
 * (or a hard link): grid.sh refuses with one line before anything runs,
 * the --print command refuses too; the victim is unchanged. */
static void scripts_grid_bench_log_refused(void)
{
    char dir[PATH_MAX], path[2 * PATH_MAX], text[8192], bad[1024];
    if (!scripts_env(dir, sizeof dir))
        return;
    setenv("T_OUT", "log grid", 1);
    static const char *plants[] = {"plant mlp/lr0.01_bs100/bench.log a",
                                   "mkdir -p \"$T_OUT/mlp/lr0.01_bs100\" && "
                                   "ln V/b \"$T_OUT/mlp/lr0.01_bs100/bench.log\""};
    for (size_t i = 0; i < 2; i++) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 VICTIMS "%s && bash \"$T_REPO/scripts/grid.sh\" --models mlp --lr 0.01 --bs 100 "
                         "--rounds 1 --epochs 1 --bin \"$T_BIN\" --data \"$T_DATA\" --out \"$T_OUT\" "
                         ">lg.out 2>lg.err",
                 plants[i]);
        int st = sh(cmd);
        snprintf(path, sizeof path, "%s/lg.err", dir);
        t_read_file(path, text, sizeof text);
        CHECK_MSG(st == 2 && count_lines(text) == 1 && strstr(text, "bench.log") &&
                      strstr(text, "move it away"),
                  "plant %zu: grid.sh exit %d (want 2, one line naming bench.log): %s", i, st,
                  text);
        CHECK_MSG(victims_intact(bad, sizeof bad), "plant %zu: bench.log written into: %s", i, bad);
    }
    int st = sh(VICTIMS "plant mlp/lr0.01_bs100/bench.log a && bash \"$T_REPO/scripts/grid.sh\" "
                "--models mlp --lr 0.01 --bs 100 --rounds 1 --epochs 1 --bin \"$T_BIN\" --data "
                "\"$T_DATA\" --out \"$T_DIR/$T_OUT\" --print >lg.txt && sh -c \"$(cat lg.txt)\" "
                "2>lg.err");
    CHECK_MSG(st != 0, "the --print command appended to a planted bench.log (exit %d)", st);
    CHECK_MSG(victims_intact(bad, sizeof bad), "the --print command wrote into: %s", bad);
}

/* --slurm (a stand-in sbatch) with slurm-job.sh planted as a link to a
 * script that would touch PWNED, and the task's log planted as a link:
 * the job script is made anew, task 0 runs the cell, the victims stay. */
static void scripts_grid_slurm_planted_links(void)
{
    char dir[PATH_MAX], path[2 * PATH_MAX], text[8192], bad[1024];
    if (!scripts_env(dir, sizeof dir))
        return;
    setenv("T_OUT", "slurm planted", 1);
    int st = sh(VICTIMS "plant slurm-job.sh job.sh && plant slurm-42_0.out a && mkdir -p fakebin && "
                "printf '#!/bin/sh\\necho 42\\n' >fakebin/sbatch && chmod +x fakebin/sbatch && "
                "PATH=\"$T_DIR/fakebin:$PATH\" bash \"$T_REPO/scripts/grid.sh\" --models mlp --lr 0.01 "
                "--bs 100 --rounds 1 --epochs 1 --bin \"$T_BIN\" --data \"$T_DATA\" --out \"$T_OUT\" "
                "--slurm >sp.out 2>sp.err && cd / && SLURM_ARRAY_JOB_ID=42 SLURM_ARRAY_TASK_ID=0 "
                "bash \"$T_DIR/$T_OUT/slurm-job.sh\"");
    snprintf(path, sizeof path, "%s/sp.err", dir);
    t_read_file(path, text, sizeof text);
    CHECK_MSG(st == 0, "grid.sh --slurm and its task 0 exited %d: %s", st, text);
    CHECK_MSG(victims_intact(bad, sizeof bad), "--slurm wrote through a planted link into: %s", bad);
    CHECK_MSG(nothing_ran(), "a planted slurm-job.sh ran");
    snprintf(path, sizeof path, "%s/slurm planted/slurm-42_0.out", dir);
    t_read_file(path, text, sizeof text);
    CHECK_MSG(strstr(text, "grid: done mlp"), "task 0 wrote no log of its own: %s", text);
}

/* ablation.sh (a variant's bench.log, ablation.md to a folder),
 * table1.sh (OUT to a folder) and validation.sh --summary (summary.md and
 * its old temporary) with links planted: each writes its own file. */
static void scripts_reports_planted_links(void)
{
    char dir[PATH_MAX], path[2 * PATH_MAX], text[8192], bad[1024];
    if (!scripts_env(dir, sizeof dir))
        return;
    setenv("T_OUT", "abl planted", 1);
    int st = sh(VICTIMS "plant ablation/no-dropout/bench.log a && plant ablation.md dir && "
                "bash \"$T_REPO/scripts/ablation.sh\" --bin \"$T_BIN\" --out \"$T_OUT\" --variants "
                "no-dropout --rounds 1 --epochs 1 --ensemble 1 --tta 1 --data \"$T_DATA\" >ap.log 2>&1");
    snprintf(path, sizeof path, "%s/ap.log", dir);
    t_read_file(path, text, sizeof text);
    CHECK_MSG(st == 0, "ablation.sh with planted links exited %d: %s", st, text);
    CHECK_MSG(victims_intact(bad, sizeof bad), "ablation.sh wrote through a link into: %s", bad);
    snprintf(path, sizeof path, "%s/abl planted/ablation.md", dir);
    t_read_file(path, text, sizeof text);
    CHECK_MSG(strstr(text, "| no-dropout |"), "no ablation.md of its own: %s", text);

    setenv("T_OUT", "t1 planted", 1);
    st = sh(VICTIMS "plant table1.md dir && mkdir -p \"$T_OUT/m/lr0.01_bs50\" && printf '%s\\n' "
            "model,lr,bs,epochs,rounds,diverged,train_mean,train_std,test_mean,test_std "
            "'mlp,0.01,50,1,1,0,0.5,0,0.5,0' >\"$T_OUT/m/lr0.01_bs50/table2.csv\" && "
            "PAIRNET=\"$T_BIN\" bash \"$T_REPO/scripts/table1.sh\" \"$T_OUT\" \"$T_OUT/table1.md\" 2>/dev/null && "
            "test -f \"$T_OUT/table1.md\" && ! test -L \"$T_OUT/table1.md\"");
    CHECK_MSG(st == 0, "table1.sh did not replace a planted table1.md (exit %d)", st);
    CHECK_MSG(victims_intact(bad, sizeof bad), "table1.sh wrote through a link into: %s", bad);

    setenv("T_OUT", "val planted", 1);
    st = sh(VICTIMS "plant summary.md a && plant summary.md.tmp b && "
            "cp \"$T_REPO/results/validation/C1-aux2-bs50.log\" \"$T_OUT/\" && "
            "bash \"$T_REPO/scripts/validation.sh\" --out \"$T_OUT\" --summary 2>vp.err && "
            "grep -q '^| C1-aux2-bs50 |' \"$T_OUT/summary.md\"");
    CHECK_MSG(st == 0, "validation.sh did not write its own summary.md (exit %d)", st);
    CHECK_MSG(victims_intact(bad, sizeof bad), "validation.sh wrote through a link into: %s", bad);
}

void suite_scripts(void)
{
    RUN(scripts_grid_print_any_path);
    RUN(scripts_grid_run_any_path);
    RUN(scripts_grid_slurm_job_any_path);
    RUN(scripts_refuse_control_and_overrides);
    RUN(scripts_validation_comma_locale);
    RUN(scripts_validation_summary_logs_and_bench);
    RUN(scripts_markdown_cells_escaped);
    RUN(scripts_quote_reads_back);
    RUN(scripts_grid_planted_links);
    RUN(scripts_grid_bench_log_refused);
    RUN(scripts_grid_slurm_planted_links);
    RUN(scripts_reports_planted_links);
}
