/* scripts/grid.sh as a user meets it: self-contained cell commands, Ctrl-C
 * (SIGINT to the whole process group, as a terminal sends it) exits 130 and
 * says how far the grid got, a rerun continues and appends to the logs. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *bin(void)
{
    const char *b = getenv("PAIRNET_BIN");
    return b && *b ? b : "./pairnet";
}

/* Whether the command line gives option an absolute path, bare or quoted:
 * paths under a clone in a folder with a space come quoted. */
static int absolute_arg(const char *line, const char *option)
{
    char bare[64], quoted[64];
    snprintf(bare, sizeof bare, " %s /", option);
    snprintf(quoted, sizeof quoted, " %s '/", option);
    return strstr(line, bare) || strstr(line, quoted);
}

static void grid_print_carries_data_and_paths(void)
{
    const char *data = t_data_dir();
    if (!data)
        return;
    char cmd[4096], out[8192], path[700];
    snprintf(path, sizeof path, "%s/grid-print.txt", t_tmp_dir());
    snprintf(cmd, sizeof cmd, "bash scripts/grid.sh --models mlp,cnn --lr 0.01 --bs 50,100 --rounds 1 "
             "--epochs 1 --data '%s' --out relative/grid --bin '%s' --print > '%s'", data, bin(), path);
    CHECK(sh(cmd) == 0);
    t_read_file(path, out, sizeof out);
    size_t lines = 0;
    for (char *l = out; *l;) {
        char *nl = strchr(l, '\n');
        if (nl)
            *nl = '\0';
        lines++;
        CHECK_MSG(absolute_arg(l, "--data"), "a cell without an absolute --data: %s", l);
        CHECK_MSG(absolute_arg(l, "--out") && strstr(l, "/relative/grid/"), "a relative --out: %s", l);
        CHECK_MSG(strstr(l, " --eval-final") != NULL, "a cell that evaluates every epoch: %s", l);
        /* by default on validation seeds: choosing on the test seeds is optimistic */
        CHECK_MSG(strstr(l, " --seed 1000 ") != NULL, "a cell not on validation seeds: %s", l);
        if (!nl)
            break;
        l = nl + 1;
    }
    CHECK_MSG(lines == 4, "%zu cell commands, expected 4", lines);
    snprintf(cmd, sizeof cmd, "bash scripts/grid.sh --data /no/such/dir --print >/dev/null 2>&1");
    CHECK_MSG(sh(cmd) == 3, "a missing --data is not refused before anything runs");
}

static void grid_interrupt_then_rerun_continues(void)
{
    const char *data = t_data_dir();
    if (!data)
        return;
    char cmd[4096], path[700], text[16384];
    const char *t = t_tmp_dir();
    /* 3 cells of a second or two each, one at a time: the signal lands mid-grid */
    const char *grid = "bash scripts/grid.sh --models cnn_ws_al --lr 0.01,0.05,0.1 --bs 100 "
                       "--rounds 2 --epochs 12 --jobs 1";
    snprintf(cmd, sizeof cmd, "exec %s --data '%s' --out '%s/gi' --bin '%s' > '%s/gi.out' 2> '%s/gi.err'",
             grid, data, t, bin(), t, t);
    /* its own process group with SIGINT at its default, as a terminal's
     * foreground job has (an asynchronous shell job would ignore it) */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        signal(SIGINT, SIG_DFL);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    const struct timespec wait_a_bit = {1, 0};
    nanosleep(&wait_a_bit, NULL);
    kill(-pid, SIGINT);
    int status = 0, st = -1;
    if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
        st = WEXITSTATUS(status);
    snprintf(path, sizeof path, "%s/gi.err", t);
    t_read_file(path, text, sizeof text);
    CHECK_MSG(st == 130, "an interrupted grid exited %d (want 130): %s", st, text);
    CHECK_MSG(strstr(text, "interrupted:") && strstr(text, "of 3 cells finished") &&
                  strstr(text, "rerun the same command to continue"),
              "no count of finished cells and no word on continuing: %s", text);
    snprintf(cmd, sizeof cmd, "%s --data '%s' --out '%s/gi' --bin '%s' >/dev/null 2>'%s/gi2.err'",
             grid, data, t, bin(), t);
    CHECK_MSG(sh(cmd) == 0, "the rerun did not finish the grid");
    snprintf(path, sizeof path, "%s/gi/cnn_ws_al/lr0.01_bs100/bench.log", t);
    t_read_file(path, text, sizeof text);
    size_t runs = 0;
    for (const char *p = text; (p = strstr(p, "=== ")) != NULL; p += 4)
        runs++;
    CHECK_MSG(runs == 2, "bench.log of the interrupted cell holds %zu runs, not 2 (appended)", runs);
    snprintf(path, sizeof path, "%s/gi/table1.md", t);
    t_read_file(path, text, sizeof text);
    CHECK(strstr(text, "cnn_ws_al") != NULL);
}

/* Table I on a 2 x 2 grid of one round of one epoch: four cells, each its
 * own bench, gathered by table1.sh. */
static void grid_scripts_tiny_grid(void)
{
    if (!t_data_dir())
        return;
    const char *b = getenv("PAIRNET_BIN"), *t = t_tmp_dir();
    char cmd[2048], path[1024];
    const char *grid = "bash scripts/grid.sh --models mlp --lr '0.01 0.05' --bs '50 100' "
                       "--rounds 1 --epochs 1 --jobs 2";
    snprintf(cmd, sizeof cmd, "%s --print --out '%s/grid' --bin '%s' | grep -c 'bench' | "
             "grep -qx 4", grid, t, b && *b ? b : "./pairnet");
    CHECK_MSG(t_sh(cmd) == 0, "grid.sh --print does not list 4 cells");
    snprintf(cmd, sizeof cmd, "%s --out '%s/grid' --table1 '%s/table1.md' --bin '%s' "
             "--data '%s' >/dev/null 2>&1", grid, t, t, b && *b ? b : "./pairnet", t_data_dir());
    CHECK(t_sh(cmd) == 0);
    snprintf(path, sizeof path, "%s/table1.md", t);
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "no %s", path);
    if (!f)
        return;
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    CHECK_MSG(strstr(text, "mlp") && strstr(text, "0.05") && strstr(text, "100"),
              "table1.md lacks the model or the grid values:\n%s", text);
}


void suite_grid(void)
{
    RUN(grid_scripts_tiny_grid);
    RUN(grid_print_carries_data_and_paths);
    RUN(grid_interrupt_then_rerun_continues);
}
