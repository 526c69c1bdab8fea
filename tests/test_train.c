/* End to end on real MNIST pairs: training learns, is deterministic per seed,
 * reports divergence; the benchmark is independent of --jobs and resumes
 * from its journal after an interruption. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "pairnet/pool.h"
#include "pairnet/train.h"

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
    /* chance is 0.55 (P(d1 <= d2)); five epochs already reach ~0.85 */
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

/* A journal cut in the middle of a record (as kill -9 during a write leaves
 * it) resumes from the complete rounds and gives the same table. */
static void bench_resumes_from_torn_journal(void)
{
    if (!t_data_dir())
        return;
    CHECK(bench("jobs1", "--jobs 1") == 0); /* resumes instantly if already there */
    char cmd[2048];
    const char *t = t_tmp_dir();
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/torn' && head -c $(( $(wc -c < '%s/jobs1/"
             "journal.csv') * 2 / 3 )) '%s/jobs1/journal.csv' > '%s/torn/journal.csv'",
             t, t, t, t);
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
             "--out '%s/intr' --jobs 1 >/dev/null 2>&1 & pid=$!; sleep 1; kill -INT $pid; "
             "wait $pid",
             b && *b ? b : "./pairnet", t_data_dir(), t_tmp_dir());
    CHECK(bench("jobs1", "--jobs 1") == 0);
    int st = sh(cmd);
    /* 130 if the signal came while rounds remained; 0 if the run was faster */
    CHECK_MSG(st == 130 || st == 0, "interrupted bench exited %d", st);
    CHECK(bench("intr", "--jobs 1") == 0);
    check_same_table("jobs1", "intr");
}

static void bench_refuses_other_configuration(void)
{
    if (!t_data_dir())
        return;
    char cmd[2048];
    const char *b = getenv("PAIRNET_BIN");
    snprintf(cmd, sizeof cmd,
             "%s bench --models mlp,cnn_ws_al --rounds 3 --epochs 3 --seed 5 --data '%s' "
             "--out '%s/jobs1' >/dev/null 2>&1", b && *b ? b : "./pairnet", t_data_dir(),
             t_tmp_dir());
    CHECK(sh(cmd) == 2);
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
    snprintf(cmd, sizeof cmd, "%s --out '%s/grid' --table1 '%s/table1.md' --bin '%s' -- "
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

void suite_train(void)
{
    RUN(e2e_cnn_ws_al_learns);
    RUN(train_is_deterministic_per_seed);
    RUN(train_same_bits_for_any_threads);
    RUN(train_reports_divergence);
    RUN(bench_same_table_for_any_jobs);
    RUN(bench_resumes_from_torn_journal);
    RUN(bench_interrupt_then_resume);
    RUN(bench_refuses_other_configuration);
    RUN(grid_scripts_tiny_grid);
    if (state == 1)
        pn_mnist_free(&m);
    state = 0;
}
