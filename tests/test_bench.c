/* The benchmark through the binary: its table is independent of --jobs; it
 * resumes from its round store after a torn write, an interruption or a
 * signal, grows by the rounds it lacks, shares a folder between
 * configurations and between two processes, refuses a damaged store and
 * lists what a store holds. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <stdatomic.h>
#include <unistd.h>

/* Runs a small bench of mlp and cnn_ws_al into out; returns the exit status. */
static int bench(const char *out, const char *extra)
{
    const char *b = getenv("PAIRNET_BIN");
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "%s bench --models mlp,cnn_ws_al --rounds 3 --epochs 2 --seed 5 --data '%s' "
             "--out '%s/%s' %s >/dev/null 2>&1",
             b && *b ? b : "./pairnet", t_data_dir(), t_tmp_dir(), out, extra);
    return t_sh(cmd);
}

/* table2.csv holds no timing: two runs of the same seeds must give the
 * same file byte for byte. */
static void check_same_table(const char *a, const char *b)
{
    static char ta[65536], tb[65536];
    char pa[1024], pb[1024];
    snprintf(pa, sizeof pa, "%s/%s/table2.csv", t_tmp_dir(), a);
    snprintf(pb, sizeof pb, "%s/%s/table2.csv", t_tmp_dir(), b);
    t_read_file(pa, ta, sizeof ta);
    t_read_file(pb, tb, sizeof tb);
    CHECK_MSG(ta[0] && tb[0], "missing table2.csv in %s or %s", a, b);
    CHECK_MSG(strcmp(ta, tb) == 0, "%s/table2.csv differs from %s's:\n%s---\n%s", a, b, ta, tb);
}

static void bench_same_table_for_any_jobs(void)
{
    if (!t_data_dir())
        return;
    CHECK(bench("jobs1", "--jobs 1") == 0);
    CHECK(bench("jobs2", "--jobs 2") == 0);
    check_same_table("jobs1", "jobs2");
}

/* A store cut in the middle of a record (as kill -9 during a write leaves
 * it) resumes from the complete rounds and gives the same table. */
static void bench_resumes_from_torn_store(void)
{
    if (!t_data_dir())
        return;
    CHECK(bench("jobs1", "--jobs 1") == 0); /* resumes instantly if already there */
    char cmd[2048];
    const char *t = t_tmp_dir();
    snprintf(cmd, sizeof cmd, "rm -rf '%s/torn'; mkdir -p '%s/torn' && head -c $(( $(wc -c < "
             "'%s/jobs1/rounds.pnr') * 2 / 3 )) '%s/jobs1/rounds.pnr' > '%s/torn/rounds.pnr'",
             t, t, t, t, t);
    CHECK(t_sh(cmd) == 0);
    CHECK(bench("torn", "--jobs 2") == 0);
    check_same_table("jobs1", "torn");
}

/* SIGINT stops with status 130 and keeps the finished rounds; the same
 * command then completes the table. */
static void bench_interrupt_then_resume(void)
{
    if (!t_data_dir())
        return;
    char cmd[2048];
    const char *b = getenv("PAIRNET_BIN");
    snprintf(cmd, sizeof cmd,
             "%s bench --models mlp,cnn_ws_al --rounds 3 --epochs 2 --seed 5 --data '%s' "
             "--out '%s/intr' --jobs 1 >/dev/null 2>&1 & pid=$!; sleep 1; kill -INT $pid 2>/dev/null; "
             "wait $pid",
             b && *b ? b : "./pairnet", t_data_dir(), t_tmp_dir());
    CHECK(bench("jobs1", "--jobs 1") == 0);
    int st = t_sh(cmd);
    /* 130 if the signal came while rounds remained; 0 if the run was faster */
    CHECK_MSG(st == 130 || st == 0, "interrupted bench exited %d", st);
    CHECK(bench("intr", "--jobs 1") == 0);
    check_same_table("jobs1", "intr");
}

/* SIGINT and SIGTERM reach the rounds running in every job: a bench far
 * too long to finish, signalled once its first round is journaled (the
 * handler is installed by then), stops with 130, keeping complete rounds
 * only. A lost SIGINT (ignored in a background job) would let it run until
 * `timeout` kills it (137); SIGTERM without the handler kills it (143). */
static void bench_stops_on_signal(void)
{
    if (!t_data_dir())
        return;
    static const char *sigs[] = {"INT", "TERM"};
    const char *b = getenv("PAIRNET_BIN");
    for (size_t i = 0; i < 2; i++) {
        char cmd[8192], out[512];
        snprintf(out, sizeof out, "%s/signal-%s", t_tmp_dir(), sigs[i]);
        snprintf(cmd, sizeof cmd,
                 "rm -rf '%s'; timeout -s KILL 60 %s bench --models cnn_ws_al --rounds 400 "
                 "--epochs 5 --data '%s' --out '%s' --jobs 2 >/dev/null 2>'%s.err' & pid=$!; "
                 "for i in $(seq 400); do [ \"$(wc -l 2>/dev/null < '%s/rounds.pnr')\" -ge 2 ] "
                 "2>/dev/null && break; sleep 0.1; done; kill -%s $pid; wait $pid",
                 out, b && *b ? b : "./pairnet", t_data_dir(), out, out, out, sigs[i]);
        int st = t_sh(cmd);
        char err[4096], path[600];
        snprintf(path, sizeof path, "%s.err", out);
        t_read_file(path, err, sizeof err);
        CHECK_MSG(st == 130, "SIG%s: bench exited %d, want 130 (stderr: %s)", sigs[i], st, err);
        CHECK_MSG(strstr(err, "interrupted") != NULL, "SIG%s: stderr: %s", sigs[i], err);
        /* the store ends on a complete round, and every line of it reads back */
        static char j[1 << 20];
        snprintf(path, sizeof path, "%s/rounds.pnr", out);
        t_read_file(path, j, sizeof j);
        const size_t n = strlen(j);
        CHECK_MSG(n > 0 && j[n - 1] == '\n', "SIG%s: the store does not end on a complete round",
                  sigs[i]);
        snprintf(cmd, sizeof cmd, "%s bench --list --out '%s' >/dev/null 2>&1",
                 b && *b ? b : "./pairnet", out);
        CHECK_MSG(t_sh(cmd) == 0, "SIG%s: the store does not read back", sigs[i]);
    }
}

/* Lines of the file at path (0 if unreadable). */
static size_t lines_in(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    int c;
    if (!f)
        return 0;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static const char *pairnet_bin(void)
{
    const char *b = getenv("PAIRNET_BIN");
    return b && *b ? b : "./pairnet";
}

/* The key of every stored round holds the whole configuration of its
 * model, to the last digit of --lr-gamma and the versions: a cut or rounded
 * one could match another benchmark's rounds. */
static void bench_store_keys_hold_whole_configuration(void)
{
    if (!t_data_dir())
        return;
    char cmd[2048], path[600];
    snprintf(path, sizeof path, "%s/config-all", t_tmp_dir());
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s'; %s bench --models mlp,cnn,cnn_ws,cnn_al,cnn_ws_al,best --rounds 1 "
             "--epochs 1 --seed 7 --lr-gamma 0.123456789 --data '%s' --out '%s' >/dev/null 2>&1",
             path, pairnet_bin(), t_data_dir(), path);
    CHECK(t_sh(cmd) == 0);
    static char j[1 << 20];
    char jp[700];
    snprintf(jp, sizeof jp, "%s/rounds.pnr", path);
    t_read_file(jp, j, sizeof j);
    static const char *models[] = {"mlp", "cnn", "cnn_ws", "cnn_al", "cnn_ws_al", "best"};
    size_t found = 0, records = 0;
    for (char *line = strchr(j, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char *key = strchr(line + 1, '\t');
        if (!key)
            break;
        key++;
        records++;
        char k[2048];
        snprintf(k, sizeof k, "%.*s", (int)strcspn(key, "\t"), key);
        const char *tail = ";protocol=1;numeric=1";
        CHECK_MSG(strlen(k) > strlen(tail) && strcmp(k + strlen(k) - strlen(tail), tail) == 0,
                  "key does not end in '%s': %s", tail, k);
        CHECK_MSG(strstr(k, ";pairs=1000;") != NULL, "no pair count in the key: %s", k);
        /* best's preset goes beyond the study: its key says how */
        if (strncmp(k, "model=best;", 11) == 0)
            CHECK_MSG(strstr(k, ";ensemble=3;") && strstr(k, ";decide=prob;") &&
                          strstr(k, ";shear=10;"), "best's key lacks its recipe: %s", k);
        else
            CHECK_MSG(!strstr(k, "ensemble="), "a study model's key names best's options: %s", k);
        CHECK_MSG(strstr(k, ";lr_gamma=0.123456789;") && strstr(k, ";epochs=1;"), "%s", k);
        for (size_t i = 0; i < 6; i++) {
            char want[64];
            snprintf(want, sizeof want, "model=%s;", models[i]);
            if (strncmp(k, want, strlen(want)) == 0)
                found |= (size_t)1 << i;
        }
    }
    CHECK_MSG(found == 63 && records == 6, "want one round of each model under its own key "
              "(mask %zx, %zu records):\n%s", found, records, j);
}

/* Other configurations share the folder: each table shows only the one
 * asked for, and asking for the first again computes nothing. */
static void bench_configurations_share_a_folder(void)
{
    if (!t_data_dir())
        return;
    CHECK(bench("jobs1", "--jobs 1") == 0);
    const char *t = t_tmp_dir();
    char cmd[2048], path[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/mixed' && cp -r '%s/jobs1' '%s/mixed'", t, t, t);
    CHECK(t_sh(cmd) == 0);
    CHECK(bench("mixed", "--epochs 3 --rounds 1") == 0);
    static char csv[65536], md[65536];
    snprintf(path, sizeof path, "%s/mixed/table2.csv", t);
    t_read_file(path, csv, sizeof csv);
    CHECK_MSG(strstr(csv, "\nmlp,") && strstr(csv, "\ncnn_ws_al,"), "%s", csv);
    CHECK_MSG(strstr(csv, ",100,3,1,0,") && !strstr(csv, ",100,2,"), "rows of the other "
              "configuration in the table:\n%s", csv);
    snprintf(path, sizeof path, "%s/mixed/runs.csv", t);
    CHECK_MSG(lines_in(path) == 1 + 2 * 3, "runs.csv has %zu lines, want 7 (2 models x 1 round "
              "x 3 epochs)", lines_in(path));
    CHECK(bench("mixed", "") == 0); /* the first configuration again: all stored */
    check_same_table("jobs1", "mixed");
    snprintf(path, sizeof path, "%s/mixed/table2.md", t);
    t_read_file(path, md, sizeof md);
    CHECK_MSG(strstr(md, "- rounds computed in this run: 0 of 6\n"), "%s", md);
    snprintf(path, sizeof path, "%s/mixed/rounds.pnr", t);
    CHECK(lines_in(path) == 1 + 6 + 2);
}

/* More rounds, or another model, than an earlier bench: only the missing
 * rounds are trained, and the table is a fresh run's byte for byte. */
static void bench_grows_to_a_fresh_runs_table(void)
{
    if (!t_data_dir())
        return;
    CHECK(bench("jobs1", "--jobs 1") == 0); /* the fresh run: 3 rounds of both models */
    const char *t = t_tmp_dir();
    char cmd[1024], path[1024], store[1024];
    static char md[65536];
    snprintf(path, sizeof path, "%s/grow/table2.md", t);
    snprintf(store, sizeof store, "%s/grow/rounds.pnr", t);
    snprintf(cmd, sizeof cmd, "rm -rf '%s/grow'", t);
    CHECK(t_sh(cmd) == 0);
    CHECK(bench("grow", "--rounds 2") == 0);
    CHECK(bench("grow", "") == 0); /* 2 then 3 rounds */
    check_same_table("jobs1", "grow");
    t_read_file(path, md, sizeof md);
    CHECK_MSG(strstr(md, "- rounds computed in this run: 2 of 6\n"), "%s", md);
    /* the rounds' times added up over all 6, under their own name */
    CHECK_MSG(strstr(md, "- summed round time: ") && strstr(md, "the times of the 6 rounds added "
              "up") && !strstr(md, "total wall time"), "%s", md);
    CHECK_MSG(lines_in(store) == 1 + 6, "the store holds %zu lines, want a header and 6 rounds",
              lines_in(store));
    /* a model added: only its rounds */
    CHECK(t_sh(cmd) == 0);
    CHECK(bench("grow", "--models mlp --rounds 2") == 0);
    CHECK(bench("grow", "") == 0);
    check_same_table("jobs1", "grow");
    t_read_file(path, md, sizeof md);
    CHECK_MSG(strstr(md, "- rounds computed in this run: 4 of 6\n"), "%s", md);
    CHECK_MSG(lines_in(store) == 1 + 6, "the store holds %zu lines, want a header and 6 rounds",
              lines_in(store));
}

/* A damaged record is refused with exit 3, naming file:line, and the store
 * is left as it was; an empty store file is a new store; an --out that
 * cannot be made is one line naming it. */
static void bench_refuses_a_damaged_store(void)
{
    if (!t_data_dir())
        return;
    CHECK(bench("jobs1", "--jobs 1") == 0);
    const char *t = t_tmp_dir();
    char cmd[2048], path[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/dmg' && cp -r '%s/jobs1' '%s/dmg' && "
             "sed -i '2s/;bs=/;bS=/' '%s/dmg/rounds.pnr' && cp '%s/dmg/rounds.pnr' '%s/dmg.pnr'",
             t, t, t, t, t, t);
    CHECK(t_sh(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s bench --models mlp,cnn_ws_al --rounds 3 --epochs 2 --seed 5 "
             "--data '%s' --out '%s/dmg' >/dev/null 2>'%s/dmg.err'", pairnet_bin(),
             t_data_dir(), t, t);
    CHECK_MSG(t_sh(cmd) == 3, "a damaged store was not refused with exit 3");
    static char err[4096];
    snprintf(path, sizeof path, "%s/dmg.err", t);
    t_read_file(path, err, sizeof err);
    CHECK_MSG(strstr(err, "dmg/rounds.pnr:2: damaged round record") &&
                  strchr(err, '\n') == err + strlen(err) - 1, "stderr: %s", err);
    snprintf(cmd, sizeof cmd, "cmp -s '%s/dmg/rounds.pnr' '%s/dmg.pnr'", t, t);
    CHECK_MSG(t_sh(cmd) == 0, "the refused store was changed");
    /* --list refuses it the same way */
    snprintf(cmd, sizeof cmd, "%s bench --list --out '%s/dmg' >/dev/null 2>&1", pairnet_bin(), t);
    CHECK(t_sh(cmd) == 3);

    snprintf(cmd, sizeof cmd, "rm -rf '%s/emptystore' && mkdir '%s/emptystore' && "
             ": > '%s/emptystore/rounds.pnr'", t, t, t);
    CHECK(t_sh(cmd) == 0);
    CHECK(bench("emptystore", "--models mlp --rounds 1 --epochs 1") == 0);

    snprintf(cmd, sizeof cmd, "%s bench --models mlp --rounds 1 --epochs 1 --data '%s' "
             "--out /proc/pairnet-no/out >/dev/null 2>'%s/unwritable.err'", pairnet_bin(),
             t_data_dir(), t);
    const int st = t_sh(cmd);
    snprintf(path, sizeof path, "%s/unwritable.err", t);
    t_read_file(path, err, sizeof err);
    CHECK_MSG(st != 0 && strstr(err, "/proc/pairnet-no") && strstr(err, "--out") &&
                  strchr(err, '\n') == err + strlen(err) - 1,
              "exit %d, stderr: %s", st, err);
}

/* --list: one line per configuration, its options and seeds; no data. */
static void bench_list_shows_the_store(void)
{
    if (!t_data_dir())
        return;
    CHECK(bench("jobs1", "--jobs 1") == 0);
    const char *t = t_tmp_dir();
    char cmd[2048], path[1024];
    snprintf(cmd, sizeof cmd, "env -u PAIRNET_DATA %s bench --list --out '%s/jobs1' "
             "--data /nonexistent-pairnet-dir >'%s/list.out' 2>&1", pairnet_bin(), t, t);
    CHECK(t_sh(cmd) == 0);
    static char out[8192];
    snprintf(path, sizeof path, "%s/list.out", t);
    t_read_file(path, out, sizeof out);
    CHECK_MSG(lines_in(path) == 2, "want one line per model:\n%s", out);
    static const char *models[] = {"mlp ", "cnn_ws_al "};
    for (size_t i = 0; i < 2; i++) {
        const char *line = strstr(out, models[i]);
        CHECK_MSG(line && (line == out || line[-1] == '\n'), "no line for %s:\n%s", models[i],
                  out);
        if (!line)
            continue;
        char l[2048];
        snprintf(l, sizeof l, "%.*s", (int)strcspn(line, "\n"), line);
        CHECK_MSG(strstr(l, " epochs=2 ") && strstr(l, " lr=") && strstr(l, " eval=epoch ") &&
                      strstr(l, "  3 rounds, seeds 5-7"), "%s", l);
    }
}

/* Two benches on one folder at once: the second waits for the first (and
 * says which pid it waits for), then finds the rounds done. Each round is
 * stored once. */
static void bench_two_processes_share_the_work(void)
{
    if (!t_data_dir())
        return;
    CHECK(bench("jobs1", "--jobs 1") == 0);
    const char *t = t_tmp_dir();
    char cmd[4096], path[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/two'; for i in 1 2; do %s bench --models mlp,cnn_ws_al "
             "--rounds 3 --epochs 2 --seed 5 --data '%s' --out '%s/two' >'%s/two.'$i'.out' "
             "2>'%s/two.'$i'.err' & done; wait %%1 && wait %%2",
             t, pairnet_bin(), t_data_dir(), t, t, t);
    snprintf(path, sizeof path, "%s/two.sh", t);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fprintf(f, "%s\n", cmd);
    fclose(f);
    snprintf(cmd, sizeof cmd, "bash '%s'", path);
    CHECK(t_sh(cmd) == 0);
    static char e1[8192], e2[8192];
    snprintf(path, sizeof path, "%s/two.1.err", t);
    t_read_file(path, e1, sizeof e1);
    snprintf(path, sizeof path, "%s/two.2.err", t);
    t_read_file(path, e2, sizeof e2);
    CHECK_MSG(strstr(e1, "by another pairnet (pid ") || strstr(e2, "by another pairnet (pid "),
              "neither bench said it waited:\n%s\n---\n%s", e1, e2);
    snprintf(path, sizeof path, "%s/two/rounds.pnr", t);
    CHECK_MSG(lines_in(path) == 1 + 6, "the store holds %zu lines, want a header and 6 rounds",
              lines_in(path));
    static char o1[8192], o2[8192];
    snprintf(path, sizeof path, "%s/two.1.out", t);
    t_read_file(path, o1, sizeof o1);
    snprintf(path, sizeof path, "%s/two.2.out", t);
    t_read_file(path, o2, sizeof o2);
    CHECK_MSG((strstr(o1, "computed in this run: 6 of 6") && strstr(o2, "computed in this run: 0 of 6")) ||
                  (strstr(o2, "computed in this run: 6 of 6") && strstr(o1, "computed in this run: 0 of 6")),
              "the work was not done once:\n%s\n---\n%s", o1, o2);
    check_same_table("jobs1", "two");
}

void suite_bench(void)
{
    RUN(bench_same_table_for_any_jobs);
    RUN(bench_resumes_from_torn_store);
    RUN(bench_interrupt_then_resume);
    RUN(bench_configurations_share_a_folder);
    RUN(bench_grows_to_a_fresh_runs_table);
    RUN(bench_refuses_a_damaged_store);
    RUN(bench_list_shows_the_store);
    RUN(bench_two_processes_share_the_work);
    RUN(bench_stops_on_signal);
    RUN(bench_store_keys_hold_whole_configuration);
}
