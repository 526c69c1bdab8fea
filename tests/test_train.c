/* End to end on real MNIST pairs: training learns, is deterministic per seed,
 * reports divergence; the benchmark is independent of --jobs, resumes from
 * its round store after an interruption, grows by the rounds it lacks, shares
 * a folder between configurations and between two processes. */
#define _DEFAULT_SOURCE /* realpath */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <stdatomic.h>
#include <unistd.h>

#include "pairnet/base/pool.h"
#include "pairnet/train/checkpoint.h"
#include "pairnet/train/train.h"

static pn_mnist m;
static int state; /* 0 untried, 1 loaded, 2 failed */

static pn_mnist *mnist(void)
{
    if (state == 0) {
        const char *dir = t_data_dir();
        pn_err err;
        state = 2;
        if (dir) {
            int rc = pn_mnist_load(dir, &m, &err);
            CHECK_MSG(rc == PN_OK, "%s", err.msg);
            state = rc == PN_OK ? 1 : 2;
        }
    }
    return state == 1 ? &m : NULL;
}

static int train_on(const char *model, size_t epochs, double lr, uint64_t seed, pn_pool *pool,
                    pn_round_rec *rec, pn_err *err)
{
    pn_train_cfg cfg;
    pn_round_data d;
    pn_train_cfg_default(&cfg, pn_model_find(model));
    cfg.epochs = epochs;
    if (lr > 0)
        cfg.lr = lr;
    int rc = pn_round_data_make(mnist(), cfg.n_pairs, seed, &d, err);
    if (rc != PN_OK)
        return rc;
    rc = pn_train_round(&d, &cfg, seed, pool, NULL, rec, err);
    pn_round_data_free(&d);
    return rc;
}

static int train(const char *model, size_t epochs, double lr, uint64_t seed, pn_round_rec *rec,
                 pn_err *err)
{
    return train_on(model, epochs, lr, seed, NULL, rec, err);
}

/* Threads split GEMM tiles, channels and planes, never a sum: the same bits
 * come out of one thread and of three. */
static void train_same_bits_for_any_threads(void)
{
    if (!mnist())
        return;
    pn_pool *pool = pn_pool_new(3);
    CHECK(pool != NULL);
    pn_round_rec a, b;
    pn_err err;
    CHECK(train_on("cnn_ws_al", 2, 0, 1, NULL, &a, &err) == PN_OK);
    CHECK(train_on("cnn_ws_al", 2, 0, 1, pool, &b, &err) == PN_OK);
    CHECK_MSG(a.epochs[1].loss == b.epochs[1].loss && a.test_acc == b.test_acc &&
                  a.train_acc == b.train_acc,
              "1 thread: loss %.9g test %.4f; 3 threads: loss %.9g test %.4f", a.epochs[1].loss,
              a.test_acc, b.epochs[1].loss, b.test_acc);
    pn_round_rec_free(&a);
    pn_round_rec_free(&b);
    pn_pool_free(pool);
}

static void e2e_cnn_ws_al_learns(void)
{
    if (!mnist())
        return;
    pn_round_rec rec;
    pn_err err;
    int rc = train("cnn_ws_al", 5, 0, 0, &rec, &err);
    CHECK_MSG(rc == PN_OK, "%s", err.msg);
    /* chance is 0.55 (P(d1 <= d2)) */
    CHECK_MSG(rec.test_acc > 0.75, "test accuracy %.4f after 5 epochs", rec.test_acc);
    CHECK(rec.n_epochs == 5 && rec.epochs[4].loss < rec.epochs[0].loss);
    pn_round_rec_free(&rec);
}

static void train_is_deterministic_per_seed(void)
{
    if (!mnist())
        return;
    pn_round_rec a, b, c;
    pn_err err;
    CHECK(train("mlp", 2, 0, 3, &a, &err) == PN_OK);
    CHECK(train("mlp", 2, 0, 3, &b, &err) == PN_OK);
    CHECK(train("mlp", 2, 0, 4, &c, &err) == PN_OK);
    CHECK(a.epochs[1].loss == b.epochs[1].loss && a.test_acc == b.test_acc);
    CHECK(a.epochs[1].loss != c.epochs[1].loss);
    pn_round_rec_free(&a);
    pn_round_rec_free(&b);
    pn_round_rec_free(&c);
}

static void train_reports_divergence(void)
{
    if (!mnist())
        return;
    pn_round_rec rec;
    pn_err err;
    int rc = train("cnn_ws", 3, 10.0, 0, &rec, &err);
    CHECK_MSG(rc == PN_ERR_DIVERGED, "lr 10 gave status %d", rc);
    CHECK(rec.diverged == 1);
    CHECK_MSG(strstr(err.msg, "epoch") && strstr(err.msg, "batch"), "message: %s", err.msg);
    pn_round_rec_free(&rec);
}

/* ---- the benchmark, through the binary ---- */

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs a small bench of mlp and cnn_ws_al into out; returns the exit status. */
static int bench(const char *out, const char *extra)
{
    const char *b = getenv("PAIRNET_BIN");
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "%s bench --models mlp,cnn_ws_al --rounds 3 --epochs 2 --seed 5 --data '%s' "
             "--out '%s/%s' %s >/dev/null 2>&1",
             b && *b ? b : "./pairnet", t_data_dir(), t_tmp_dir(), out, extra);
    return sh(cmd);
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
    CHECK(sh(cmd) == 0);
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
    int st = sh(cmd);
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
        int st = sh(cmd);
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
        CHECK_MSG(sh(cmd) == 0, "SIG%s: the store does not read back", sigs[i]);
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
    CHECK(sh(cmd) == 0);
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
    CHECK(sh(cmd) == 0);
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
    CHECK(sh(cmd) == 0);
    CHECK(bench("grow", "--rounds 2") == 0);
    CHECK(bench("grow", "") == 0); /* 2 then 3 rounds */
    check_same_table("jobs1", "grow");
    t_read_file(path, md, sizeof md);
    CHECK_MSG(strstr(md, "- rounds computed in this run: 2 of 6\n"), "%s", md);
    CHECK_MSG(strstr(md, "the summed times of the 4 rounds computed earlier\n"), "%s", md);
    CHECK_MSG(lines_in(store) == 1 + 6, "the store holds %zu lines, want a header and 6 rounds",
              lines_in(store));
    /* a model added: only its rounds */
    CHECK(sh(cmd) == 0);
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
    CHECK(sh(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s bench --models mlp,cnn_ws_al --rounds 3 --epochs 2 --seed 5 "
             "--data '%s' --out '%s/dmg' >/dev/null 2>'%s/dmg.err'", pairnet_bin(),
             t_data_dir(), t, t);
    CHECK_MSG(sh(cmd) == 3, "a damaged store was not refused with exit 3");
    static char err[4096];
    snprintf(path, sizeof path, "%s/dmg.err", t);
    t_read_file(path, err, sizeof err);
    CHECK_MSG(strstr(err, "dmg/rounds.pnr:2: damaged round record") &&
                  strchr(err, '\n') == err + strlen(err) - 1, "stderr: %s", err);
    snprintf(cmd, sizeof cmd, "cmp -s '%s/dmg/rounds.pnr' '%s/dmg.pnr'", t, t);
    CHECK_MSG(sh(cmd) == 0, "the refused store was changed");
    /* --list refuses it the same way */
    snprintf(cmd, sizeof cmd, "%s bench --list --out '%s/dmg' >/dev/null 2>&1", pairnet_bin(), t);
    CHECK(sh(cmd) == 3);

    snprintf(cmd, sizeof cmd, "rm -rf '%s/emptystore' && mkdir '%s/emptystore' && "
             ": > '%s/emptystore/rounds.pnr'", t, t, t);
    CHECK(sh(cmd) == 0);
    CHECK(bench("emptystore", "--models mlp --rounds 1 --epochs 1") == 0);

    snprintf(cmd, sizeof cmd, "%s bench --models mlp --rounds 1 --epochs 1 --data '%s' "
             "--out /proc/pairnet-no/out >/dev/null 2>'%s/unwritable.err'", pairnet_bin(),
             t_data_dir(), t);
    const int st = sh(cmd);
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
    CHECK(sh(cmd) == 0);
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
    CHECK(sh(cmd) == 0);
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
    CHECK_MSG(sh(cmd) == 0, "grid.sh --print does not list 4 cells");
    snprintf(cmd, sizeof cmd, "%s --out '%s/grid' --table1 '%s/table1.md' --bin '%s' "
             "--data '%s' >/dev/null 2>&1", grid, t, t, b && *b ? b : "./pairnet", t_data_dir());
    CHECK(sh(cmd) == 0);
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

/* ---- best: Adam, dropout and every augmentation ---- */

/* best's preset trained on the round of seed with cfg changed by edit
 * (pairs: 0 for the standard 1000). */
static int train_best(size_t epochs, size_t pairs, uint64_t seed, pn_pool *pool,
                      void (*edit)(pn_train_cfg *), pn_round_rec *rec, pn_err *err)
{
    pn_train_cfg cfg;
    pn_round_data d;
    pn_train_cfg_default(&cfg, pn_model_find("best"));
    cfg.epochs = epochs;
    if (pairs)
        cfg.n_pairs = pairs;
    if (edit)
        edit(&cfg);
    int rc = pn_round_data_make(mnist(), cfg.n_pairs, seed, &d, err);
    if (rc != PN_OK)
        return rc;
    rc = pn_train_round(&d, &cfg, seed, pool, NULL, rec, err);
    pn_round_data_free(&d);
    return rc;
}

/* The dropout masks are a function of (seed, step, node, element) and the
 * augmentation draws from its own stream in the training thread: one thread
 * and two give the same bits, epoch by epoch. */
static void train_best_same_bits_for_1_and_2_threads(void)
{
    if (!mnist())
        return;
    pn_pool *pool = pn_pool_new(2);
    CHECK(pool != NULL);
    pn_round_rec a, b;
    pn_err err;
    pn_train_cfg cfg;
    pn_train_cfg_default(&cfg, pn_model_find("best"));
    CHECK_MSG(cfg.optimizer == PN_OPT_ADAM && cfg.mopts.dropout > 0.0f && cfg.aug_swap &&
                  cfg.aug_repair && cfg.aug_shift > 0,
              "best's preset lacks Adam, dropout or an augmentation");
    int ra = train_best(2, 0, 2, NULL, NULL, &a, &err);
    CHECK_MSG(ra == PN_OK, "1 thread: %s", err.msg);
    int rb = train_best(2, 0, 2, pool, NULL, &b, &err);
    CHECK_MSG(rb == PN_OK, "2 threads: %s", err.msg);
    if (ra == PN_OK && rb == PN_OK) {
        for (size_t e = 0; e < 2; e++)
            CHECK_MSG(a.epochs[e].loss == b.epochs[e].loss &&
                          a.epochs[e].test_acc == b.epochs[e].test_acc &&
                          a.epochs[e].train_acc == b.epochs[e].train_acc,
                      "epoch %zu: 1 thread loss %.9g test %.4f; 2 threads loss %.9g test %.4f",
                      e + 1, a.epochs[e].loss, a.epochs[e].test_acc, b.epochs[e].loss,
                      b.epochs[e].test_acc);
        CHECK(a.digit_acc == b.digit_acc && a.argmax_acc == b.argmax_acc);
        /* learns: the tower classifies most test digits after 2 epochs (the
         * head may still be near chance then) */
        CHECK_MSG(a.digit_acc > 0.6 && a.argmax_acc > 0.6, "digit acc %.4f, argmax acc %.4f",
                  a.digit_acc, a.argmax_acc);
    }
    pn_round_rec_free(&a);
    pn_round_rec_free(&b);
    pn_pool_free(pool);
}

static void no_dropout(pn_train_cfg *c) { c->mopts.dropout = 0.0f; }
static void no_swap(pn_train_cfg *c) { c->aug_swap = 0; }
static void no_repair(pn_train_cfg *c) { c->aug_repair = 0; }
static void no_shift(pn_train_cfg *c) { c->aug_shift = 0; }
static void use_sgd(pn_train_cfg *c) { c->optimizer = PN_OPT_SGD; }
static void adam_wd(pn_train_cfg *c) { c->weight_decay = 0.1; }
static void adamw_wd(pn_train_cfg *c)
{
    c->optimizer = PN_OPT_ADAMW;
    c->weight_decay = 0.1;
}

/* Each ingredient of the preset changes the first epoch (of 300 pairs, to be
 * quick): a setting that were silently ignored would leave the loss of that
 * epoch as it was. */
static void train_best_each_option_takes_effect(void)
{
    if (!mnist())
        return;
    static const struct { const char *name; void (*edit)(pn_train_cfg *); } v[] = {
        {"no dropout", no_dropout}, {"no swap", no_swap},   {"no re-pairing", no_repair},
        {"no shift", no_shift},     {"sgd", use_sgd},       {"adam wd 0.1", adam_wd},
        {"adamw wd 0.1", adamw_wd}};
    double loss[8];
    pn_round_rec rec;
    pn_err err;
    int rc = train_best(1, 300, 6, NULL, NULL, &rec, &err);
    CHECK_MSG(rc == PN_OK, "%s", err.msg);
    if (rc != PN_OK)
        return;
    loss[0] = rec.epochs[0].loss;
    pn_round_rec_free(&rec);
    for (size_t i = 0; i < 7; i++) {
        rc = train_best(1, 300, 6, NULL, v[i].edit, &rec, &err);
        CHECK_MSG(rc == PN_OK, "%s: %s", v[i].name, err.msg);
        loss[i + 1] = rc == PN_OK ? rec.epochs[0].loss : NAN;
        pn_round_rec_free(&rec);
        CHECK_MSG(loss[i + 1] != loss[0], "%s: same first-epoch loss %.9g as the preset",
                  v[i].name, loss[0]);
    }
    /* AdamW's decoupled decay is not Adam's L2 */
    CHECK_MSG(loss[6] != loss[7], "adam and adamw with weight decay 0.1: same loss %.9g",
              loss[6]);
}

/* pn_evaluate_digits against a pair-by-pair evaluation (batch 1) of the
 * same graph, with labels set so that the right answers are known: image j
 * is labelled with its predicted class unless j % 3 == 0, and pair k's
 * target agrees with the predicted comparison unless k % 4 == 1. 21 pairs
 * through a graph of batch 8 leave a last batch of 5. */
static void evaluate_digits_by_pair(const char *model)
{
    enum { NP = 21 };
    pn_model_opts o = {.aux_weight = 1.0f};
    pn_err err;
    pn_graph *g = pn_model_build(pn_model_find(model), &o, 8, NULL, &err);
    pn_pairs p;
    CHECK_MSG(g != NULL, "%s: %s", model, err.msg);
    if (!g)
        return;
    const float *dv = pn_graph_output(g, PN_OUT_DIGITS, NULL, NULL);
    CHECK(dv != NULL);
    if (pn_pairs_alloc(&p, NP) != 0 || !dv) {
        pn_graph_free(g);
        return;
    }
    pn_rng r;
    pn_rng_seed(&r, 17, 0);
    pn_graph_init_params(g, &r);
    /* no biases: the predicted classes then vary from image to image */
    for (size_t i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].b_off != PN_NONE)
            memset(g->params + g->nodes[i].b_off, 0, g->nodes[i].c * sizeof(float));
    for (size_t i = 0; i < NP * 2 * PN_PIXELS; i++)
        p.x[i] = pn_rng_sym(&r, 2.0f);
    size_t right_digits = 0, right_pairs = 0;
    for (size_t k = 0; k < NP; k++) {
        memcpy(pn_graph_input(g, PN_IN_PAIRS), p.x + k * 2 * PN_PIXELS, 2 * PN_PIXELS * sizeof(float));
        pn_graph_forward(g, 1, 0);
        uint8_t pred[2];
        for (int s = 0; s < 2; s++) { /* batch 1: rows 0 and 1, or the two halves of row 0 */
            const float *l = dv + 10 * s;
            uint8_t best = 0;
            for (uint8_t c = 1; c < 10; c++)
                if (l[c] > l[best])
                    best = c;
            pred[s] = best;
            const size_t j = 2 * k + (size_t)s;
            p.digit[j] = j % 3 ? best : (uint8_t)((best + 1) % 10);
            right_digits += j % 3 != 0;
        }
        p.target[k] = (uint8_t)((pred[0] <= pred[1]) ^ (k % 4 == 1));
        right_pairs += k % 4 != 1;
    }
    double da = -1.0, aa = -1.0;
    pn_evaluate_digits(g, &p, &da, &aa);
    CHECK_MSG(da == (double)right_digits / (2.0 * NP) && aa == (double)right_pairs / NP,
              "%s: digit acc %.4f (want %.4f), argmax acc %.4f (want %.4f)", model, da,
              (double)right_digits / (2.0 * NP), aa, (double)right_pairs / NP);
    pn_pairs_free(&p);
    pn_graph_free(g);
}

static void evaluate_digits_matches_pairwise(void)
{
    evaluate_digits_by_pair("cnn_ws_al"); /* [2B,10] digit logits */
    evaluate_digits_by_pair("cnn_al");    /* [B,20] */
    evaluate_digits_by_pair("best");
    /* no digit logits: NaN */
    pn_model_opts o = {.aux_weight = 1.0f};
    pn_err err;
    pn_graph *g = pn_model_build(pn_model_find("mlp"), &o, 4, NULL, &err);
    pn_pairs p;
    if (g && pn_pairs_alloc(&p, 2) == 0) {
        memset(p.x, 0, 2 * 2 * PN_PIXELS * sizeof(float));
        memset(p.digit, 0, 4);
        memset(p.target, 1, 2);
        double da = 0.0, aa = 0.0;
        pn_evaluate_digits(g, &p, &da, &aa);
        CHECK(isnan(da) && isnan(aa));
        pn_pairs_free(&p);
    }
    CHECK(g != NULL);
    pn_graph_free(g);
}


/* The round's record is what evaluating the trained graph gives: the last
 * epoch's one pass over the test pairs yields the head's accuracy and the
 * digit accuracies both, with the numbers of separate evaluations. With
 * evaluation only at the end, the earlier epochs have none. */
static void round_record_matches_evaluation(void)
{
    if (!mnist())
        return;
    static const char *models[] = {"cnn_ws_al", "mlp"};
    for (size_t k = 0; k < 2; k++) {
        pn_train_cfg cfg;
        pn_round_data d;
        pn_err err;
        pn_train_cfg_default(&cfg, pn_model_find(models[k]));
        cfg.epochs = 2;
        cfg.eval_epochs = 0;
        if (pn_round_data_make(mnist(), cfg.n_pairs, 3, &d, &err) != PN_OK) {
            CHECK_MSG(0, "%s", err.msg);
            return;
        }
        pn_graph *g = NULL;
        pn_round_hooks hooks = {NULL, NULL, NULL, &g};
        pn_round_rec rec;
        int rc = pn_train_round(&d, &cfg, 3, NULL, &hooks, &rec, &err);
        CHECK_MSG(rc == PN_OK && g != NULL, "%s: %s", models[k], err.msg);
        if (rc == PN_OK && g) {
            CHECK(rec.n_epochs == 2 && isnan(rec.epochs[0].test_acc) &&
                  isnan(rec.epochs[0].train_acc));
            CHECK(rec.epochs[1].test_acc == rec.test_acc && rec.epochs[1].train_acc == rec.train_acc);
            const double train_acc = pn_evaluate(g, &d.train), test_acc = pn_evaluate(g, &d.test);
            double da, aa;
            pn_evaluate_digits(g, &d.test, &da, &aa);
            CHECK_MSG(rec.train_acc == train_acc && rec.test_acc == test_acc,
                      "%s: record train %.17g test %.17g, evaluation %.17g %.17g", models[k],
                      rec.train_acc, rec.test_acc, train_acc, test_acc);
            if (k == 0)
                CHECK_MSG(rec.digit_acc == da && rec.argmax_acc == aa && !isnan(da),
                          "%s: record digits %.17g argmax %.17g, evaluation %.17g %.17g",
                          models[k], rec.digit_acc, rec.argmax_acc, da, aa);
            else
                CHECK(isnan(rec.digit_acc) && isnan(rec.argmax_acc) && isnan(da));
        }
        pn_graph_free(g);
        pn_round_rec_free(&rec);
        pn_round_data_free(&d);
    }
}

/* A stop flag already set ends the round before its first batch: an
 * interruption, not a result, and no graph handed out. */
static void round_stops_on_flag(void)
{
    if (!mnist())
        return;
    pn_train_cfg cfg;
    pn_round_data d;
    pn_err err;
    pn_train_cfg_default(&cfg, pn_model_find("mlp"));
    if (pn_round_data_make(mnist(), cfg.n_pairs, 0, &d, &err) != PN_OK) {
        CHECK_MSG(0, "%s", err.msg);
        return;
    }
    atomic_int stop;
    atomic_init(&stop, 1);
    pn_graph *g = NULL;
    pn_round_hooks hooks = {NULL, NULL, &stop, &g};
    pn_round_rec rec;
    int rc = pn_train_round(&d, &cfg, 0, NULL, &hooks, &rec, &err);
    CHECK_MSG(rc == PN_ERR_INTERRUPTED && err.code == rc, "rc %d: %s", rc, err.msg);
    CHECK(g == NULL && rec.n_epochs == 0);
    pn_graph_free(g);
    pn_round_rec_free(&rec);
    pn_round_data_free(&d);
}

/* pn_checkpoint_save writes exactly the bytes of pn_checkpoint_encode (what
 * the fuzzer checks), and they parse back to the graph's values. */
static void checkpoint_save_is_encode(void)
{
    pn_train_cfg cfg;
    pn_train_cfg_default(&cfg, pn_model_find("cnn_ws_al"));
    pn_err err = {0, ""};
    pn_graph *g = pn_model_build(cfg.model, &cfg.mopts, 4, NULL, &err);
    CHECK_MSG(g != NULL, "%s", err.msg);
    if (!g)
        return;
    pn_rng r;
    pn_rng_seed(&r, 9, 0);
    pn_graph_init_params(g, &r);
    for (size_t i = 0; i < g->n_state; i++)
        g->state[i] = (float)i * 0.25f;
    uint8_t *bytes = NULL;
    size_t len = 0;
    CHECK(pn_checkpoint_encode(g, "cnn_ws_al", &cfg, 42, &bytes, &len, &err) == PN_OK);
    char path[600];
    snprintf(path, sizeof path, "%s/encode.ckpt", t_tmp_dir());
    CHECK_MSG(pn_checkpoint_save(path, g, "cnn_ws_al", &cfg, 42, &err) == PN_OK, "%s", err.msg);
    FILE *f = fopen(path, "rb");
    uint8_t *file = malloc(len + 1);
    size_t got = f && file ? fread(file, 1, len + 1, f) : 0;
    if (f)
        fclose(f);
    CHECK_MSG(bytes && got == len && memcmp(file, bytes, len) == 0,
              "the file (%zu bytes) is not the encoding (%zu bytes)", got, len);
    pn_checkpoint ck;
    CHECK(bytes && pn_checkpoint_parse(bytes, len, "encoded", &ck, &err) == PN_OK);
    if (bytes && err.code == 0) {
        CHECK(strcmp(ck.model, "cnn_ws_al") == 0 && ck.seed == 42 && ck.n_pairs == PN_PAIRS &&
              ck.batch == cfg.bs && ck.n_params == g->n_params && ck.n_state == g->n_state);
        CHECK(memcmp(ck.params, g->params, g->n_params * sizeof(float)) == 0);
        CHECK(memcmp(ck.state, g->state, g->n_state * sizeof(float)) == 0);
        pn_checkpoint_free(&ck);
    }
    free(file);
    free(bytes);
    pn_graph_free(g);
}

void suite_train(void)
{
    RUN(e2e_cnn_ws_al_learns);
    RUN(train_is_deterministic_per_seed);
    RUN(train_same_bits_for_any_threads);
    RUN(train_reports_divergence);
    RUN(bench_same_table_for_any_jobs);
    RUN(bench_resumes_from_torn_store);
    RUN(bench_interrupt_then_resume);
    RUN(bench_configurations_share_a_folder);
    RUN(bench_grows_to_a_fresh_runs_table);
    RUN(bench_refuses_a_damaged_store);
    RUN(bench_list_shows_the_store);
    RUN(bench_two_processes_share_the_work);
    RUN(grid_scripts_tiny_grid);
    RUN(train_best_same_bits_for_1_and_2_threads);
    RUN(train_best_each_option_takes_effect);
    RUN(evaluate_digits_matches_pairwise);
    RUN(round_record_matches_evaluation);
    RUN(round_stops_on_flag);
    RUN(checkpoint_save_is_encode);
    RUN(bench_stops_on_signal);
    RUN(bench_store_keys_hold_whole_configuration);
    if (state == 1)
        pn_mnist_free(&m);
    state = 0;
}

/* ---- scripts/ablation.sh (issue #6 item 5) ---- */

/* Field `col` of the row of `model` in CSV text (columns found by name in
 * the header); 1 if found. An empty field is found, as "". */
static int abl_csv_field(const char *csv, const char *model, const char *col, char *out,
                         size_t cap)
{
    const char *row = csv;
    size_t want = (size_t)-1, k = 0;
    for (const char *p = csv; *p && *p != '\n'; k++) {
        size_t n = strcspn(p, ",\n");
        if (n == strlen(col) && strncmp(p, col, n) == 0)
            want = k;
        p += n + (p[n] == ',');
    }
    size_t mlen = strlen(model);
    while ((row = strchr(row, '\n')) && row[1]) {
        row++;
        if (strncmp(row, model, mlen) != 0 || row[mlen] != ',')
            continue;
        const char *p = row;
        for (k = 0; k < want && *p && *p != '\n'; k++)
            p += strcspn(p, ",\n") + (p[strcspn(p, ",\n")] == ',');
        size_t n = strcspn(p, ",\n");
        if (k != want || n >= cap)
            return 0;
        memcpy(out, p, n);
        out[n] = '\0';
        return 1;
    }
    return 0;
}

/* Two variants of one round of one epoch on the real data, chosen through
 * ABLATION_VARIANTS: ablation.md has a row per variant whose accuracy,
 * difference to full and rounds are those of the benches' table2.csv. */
static void ablation_script_tiny(void)
{
    if (!t_data_dir())
        return;
    const char *b = getenv("PAIRNET_BIN"), *t = t_tmp_dir();
    static char md[16384], csv[2][4096];
    char cmd[4096], path[1024];
    snprintf(cmd, sizeof cmd,
             "ABLATION_VARIANTS=full,no-dropout bash scripts/ablation.sh --bin '%s' --out '%s/abl' "
             "--rounds 1 --epochs 1 --data '%s' >'%s/abl.log' 2>&1",
             b && *b ? b : "./pairnet", t, t_data_dir(), t);
    int st = sh(cmd);
    snprintf(path, sizeof path, "%s/abl.log", t);
    t_read_file(path, md, sizeof md);
    CHECK_MSG(st == 0, "ablation.sh exited %d:\n%s", st, md);
    snprintf(path, sizeof path, "%s/abl/ablation.md", t);
    t_read_file(path, md, sizeof md);
    CHECK_MSG(md[0], "no %s", path);
    if (!md[0])
        return;
    const char *name[2] = {"full", "no-dropout"};
    double mean[2] = {0, 0};
    for (int v = 0; v < 2; v++) {
        snprintf(path, sizeof path, "%s/abl/ablation/%s/table2.csv", t, name[v]);
        t_read_file(path, csv[v], sizeof csv[v]);
        char mn[64] = "", s[64] = "", r[64] = "", want[256];
        CHECK_MSG(abl_csv_field(csv[v], "best", "test_mean", mn, sizeof mn) &&
                      abl_csv_field(csv[v], "best", "test_std", s, sizeof s) &&
                      abl_csv_field(csv[v], "best", "rounds", r, sizeof r),
                  "%s lacks best's test_mean/test_std/rounds:\n%s", path, csv[v]);
        mean[v] = strtod(mn, NULL);
        snprintf(want, sizeof want, "| %s | %s | ", name[v], v ? "`--dropout 0`" : "(none)");
        const char *row = strstr(md, want);
        CHECK_MSG(row != NULL, "no row '%s' in ablation.md:\n%s", want, md);
        if (!row)
            continue;
        char line[2048];
        snprintf(line, sizeof line, "%.*s", (int)strcspn(row, "\n"), row);
        snprintf(want, sizeof want, "| %.2f \xc2\xb1 %.2f |", 100 * mean[v], 100 * strtod(s, NULL));
        CHECK_MSG(strstr(line, want), "row lacks '%s': %s", want, line);
        CHECK_MSG(strcmp(r, "1") == 0 && strstr(line, " | 1 | `"), "rounds: %s", line);
        snprintf(want, sizeof want, "bench --models best --eval-final --out %s/abl/ablation/%s%s "
                 "--rounds 1 --epochs 1 --data", t, name[v], v ? " --dropout 0" : "");
        CHECK_MSG(strstr(line, want), "row lacks the command '%s': %s", want, line);
        if (v == 1) {
            snprintf(want, sizeof want, "| %+.2f |", 100 * (mean[1] - mean[0]));
            CHECK_MSG(strstr(line, want), "row lacks the difference '%s': %s", want, line);
        } else
            CHECK(strstr(line, "| reference |") != NULL);
    }
    CHECK(strstr(md, "| no-shift |") == NULL); /* only the two chosen */
    CHECK(strstr(md, "- command: `ABLATION_VARIANTS=full,no-dropout ") != NULL);
    CHECK(strstr(md, "- machine: ") && strstr(md, "cores (nproc)"));
    CHECK(strstr(md, "- date: ") && strstr(md, "- wall time: "));

    /* A failing bench: one line that names the variant, exit status 1. */
    snprintf(cmd, sizeof cmd,
             "bash scripts/ablation.sh --bin '%s' --out '%s/abl_bad' --variants full --rounds 1 "
             "--epochs 1 --dropout 2 --data '%s' 2>&1 >/dev/null | tail -n 1 >'%s/abl_bad.txt'; "
             "exit ${PIPESTATUS[0]}",
             b && *b ? b : "./pairnet", t, t_data_dir(), t);
    snprintf(path, sizeof path, "%s/abl_bad.sh", t); /* bash for PIPESTATUS */
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fprintf(f, "%s\n", cmd);
    fclose(f);
    snprintf(cmd, sizeof cmd, "bash '%s'", path);
    st = sh(cmd);
    snprintf(path, sizeof path, "%s/abl_bad.txt", t);
    t_read_file(path, md, sizeof md);
    CHECK_MSG(st == 1, "a failing bench gave exit status %d", st);
    CHECK_MSG(strncmp(md, "ablation.sh: variant full failed", 32) == 0 && strstr(md, "--dropout"),
              "message: %s", md);
}

/* Quick looks never write into the repository: in a fresh clone, a bench
 * without --out and a quick ablation write under runs/ (git-ignored), each
 * in a fresh folder they name, and leave `git status` empty. */
static void runner_clean_clone_stays_clean(void)
{
    if (!t_data_dir())
        return;
    if (sh("command -v git >/dev/null 2>&1 && git rev-parse --show-toplevel >/dev/null 2>&1")) {
        t_skip("no git, or not in a git checkout");
        return;
    }
    const char *t = t_tmp_dir(), *b = getenv("PAIRNET_BIN");
    char bin[4096], root[4096], cmd[16384], path[8192];
    if (!realpath(b && *b ? b : "./pairnet", bin) || !getcwd(root, sizeof root)) {
        CHECK_MSG(0, "cannot resolve the binary or the working directory");
        return;
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s/clone' && git clone -q '%s' '%s/clone'", t, root, t);
    CHECK_MSG(sh(cmd) == 0, "git clone of %s failed", root);
    snprintf(cmd, sizeof cmd, "cd '%s/clone' && '%s' bench --models mlp --rounds 1 --epochs 1 "
             "--data '%s' >'%s/clone.out' 2>'%s/clone.err'", t, bin, t_data_dir(), t, t);
    int st = sh(cmd);
    static char out[65536];
    snprintf(path, sizeof path, "%s/clone.err", t);
    t_read_file(path, out, sizeof out);
    CHECK_MSG(st == 0, "bench in the clone exited %d: %s", st, out);
    snprintf(path, sizeof path, "%s/clone.out", t);
    t_read_file(path, out, sizeof out);
    const char *at = strstr(out, "results in runs/");
    CHECK_MSG(at == out, "bench does not say where its results are:\n%s", out);
    if (at == out) {
        char dir[512];
        snprintf(dir, sizeof dir, "%.*s", (int)strcspn(at + 11, "\n"), at + 11);
        CHECK_MSG(strlen(dir) > 20 && strcmp(dir + strlen(dir) - 4, "-mlp") == 0, "%s", dir);
        snprintf(path, sizeof path, "%s/clone/%s/table2.csv", t, dir);
        CHECK_MSG(access(path, R_OK) == 0, "no %s", path);
    }
    snprintf(cmd, sizeof cmd, "cd '%s/clone' && test -z \"$(git status --porcelain)\"", t);
    CHECK_MSG(sh(cmd) == 0, "the clone is not clean after a bench without --out");

    snprintf(cmd, sizeof cmd, "cd '%s/clone' && bash '%s/scripts/ablation.sh' --bin '%s' "
             "--rounds 1 --epochs 1 --variants full --data '%s' >'%s/clone-abl.log' 2>&1 && "
             "ls runs/ablation-*/ablation.md runs/ablation-*/ablation/full/table2.csv >/dev/null",
             t, root, bin, t_data_dir(), t);
    st = sh(cmd);
    snprintf(path, sizeof path, "%s/clone-abl.log", t);
    t_read_file(path, out, sizeof out);
    CHECK_MSG(st == 0, "quick ablation in the clone: exit %d, or no runs/ablation-*:\n%s", st,
              out);
    snprintf(cmd, sizeof cmd, "cd '%s/clone' && test -z \"$(git status --porcelain)\"", t);
    CHECK_MSG(sh(cmd) == 0, "the clone is not clean after a quick ablation");
}

void suite_ablation(void)
{
    RUN(ablation_script_tiny);
    RUN(runner_clean_clone_stays_clean);
}
