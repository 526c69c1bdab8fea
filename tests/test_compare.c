/* pairnet compare (src/report/compare.c, src/app/cmd_compare.c): the
 * paired effect between two bench folders equals table2.md's for the same
 * pair, seeds only one side holds are left out and said so, refusals are
 * one line, and the JSON form parses back. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pairnet/base/buf.h"
#include "pairnet/report/compare.h"
#include "pairnet/report/json.h"

static const char *bin(void)
{
    const char *b = getenv("PAIRNET_BIN");
    return b && *b ? b : "./pairnet";
}

/* Writes a runs.csv into t_tmp_dir()/name: one row per round (one epoch),
 * "model,seed,acc" triples in rows[]; acc < 0 is a diverged round. */
static void fake_bench(const char *name, const char *const *model, const int *seed,
                       const double *acc, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", t_tmp_dir(), name);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/runs.csv", t_tmp_dir(), name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fprintf(f, "model,round,seed,epoch,lr,loss,train_acc,test_acc,seconds,digit_acc,argmax_acc\n");
    for (size_t i = 0; i < n; i++) {
        if (acc[i] < 0)
            fprintf(f, "%s,%zu,%d,1,0.05,inf,,,0.1,,\n", model[i], i, seed[i]);
        else
            fprintf(f, "%s,%zu,%d,1,0.05,0.5,0.9,%.6f,0.1,,\n", model[i], i, seed[i], acc[i]);
    }
    fclose(f);
}

/* Runs `pairnet compare ARGS`, stdout into out, stderr into errs; returns the status. */
static int compare(const char *args, char *out, size_t cap, char *errs, size_t ecap)
{
    char cmd[4096], po[1024], pe[1024];
    snprintf(po, sizeof po, "%s/cmp.out", t_tmp_dir());
    snprintf(pe, sizeof pe, "%s/cmp.err", t_tmp_dir());
    snprintf(cmd, sizeof cmd, "'%s' compare %s >'%s' 2>'%s'", bin(), args, po, pe);
    const int st = t_sh(cmd);
    t_read_file(po, out, cap);
    t_read_file(pe, errs, ecap);
    return st;
}

/* A line of text that starts with prefix, into line[cap] (without its newline). */
static int line_with(const char *text, const char *prefix, char *line, size_t cap)
{
    for (const char *s = text; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : s)
        if (strncmp(s, prefix, strlen(prefix)) == 0) {
            snprintf(line, cap, "%.*s", (int)strcspn(s, "\n"), s);
            return 1;
        }
    return 0;
}

/* Two benches of the binary: A (cnn, cnn_ws, seeds 0-2) and B (cnn with
 * --lr 0.1, seeds 1-3). compare A A --models cnn_ws,cnn prints table2.md's
 * weight-sharing row; A against B pairs cnn over seeds 1-2 only and says
 * which seeds it left out. */
static void compare_matches_table2_and_leaves_out_seeds(void)
{
    if (!t_data_dir())
        return;
    char cmd[4096], args[2048], line[1024], want[1024];
    static char md[65536], out[65536], errs[4096];
    const char *t = t_tmp_dir();
    snprintf(cmd, sizeof cmd, "'%s' bench --models cnn,cnn_ws --rounds 3 --epochs 1 --data '%s' "
             "--out '%s/A' >/dev/null 2>&1 && '%s' bench --models cnn --lr 0.1 --seed 1 "
             "--rounds 3 --epochs 1 --data '%s' --out '%s/B' >/dev/null 2>&1", bin(),
             t_data_dir(), t, bin(), t_data_dir(), t);
    CHECK(t_sh(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s/A/table2.md", t);
    t_read_file(cmd, md, sizeof md);
    snprintf(args, sizeof args, "'%s/A' '%s/A' --models cnn_ws,cnn", t, t);
    CHECK(compare(args, out, sizeof out, errs, sizeof errs) == 0);
    /* the same cells after the label: the same statistics, the same rounding */
    CHECK_MSG(line_with(md, "| weight sharing | cnn_ws − cnn |", want, sizeof want),
              "no weight-sharing row in table2.md:\n%s", md);
    CHECK_MSG(line_with(out, "| cnn_ws vs cnn | cnn_ws − cnn |", line, sizeof line),
              "no row in compare's output:\n%s", out);
    CHECK_MSG(strcmp(strstr(want, "− cnn |"), strstr(line, "− cnn |")) == 0,
              "compare and table2.md differ:\n%s\n%s", line, want);
    CHECK(strstr(out, "left out: none") != NULL);

    snprintf(args, sizeof args, "'%s/A' '%s/B'", t, t);
    CHECK(compare(args, out, sizeof out, errs, sizeof errs) == 0);
    CHECK_MSG(strstr(out, "2 seeds both finished") && strstr(out, "seed 0 only in A") &&
                  strstr(out, "seed 3 only in B"),
              "seeds left out not said:\n%s", out);
    CHECK_MSG(strstr(out, "| A vs B | cnn − cnn | 2 |") && !strstr(out, "cnn_ws − cnn_ws"),
              "not cnn alone over 2 seeds:\n%s", out);

    /* two configurations of one store: B's rounds benched into A's folder
     * too, then picked from its round store by key */
    snprintf(args, sizeof args, "'%s/B' '%s/A' --models cnn", t, t);
    CHECK(compare(args, out, sizeof out, errs, sizeof errs) == 0);
    CHECK(line_with(out, "| B vs A | cnn − cnn |", want, sizeof want));
    snprintf(cmd, sizeof cmd, "'%s' bench --models cnn --lr 0.1 --seed 1 --rounds 3 --epochs 1 "
             "--data '%s' --out '%s/A' >/dev/null 2>&1", bin(), t_data_dir(), t);
    CHECK(t_sh(cmd) == 0);
    snprintf(args, sizeof args, "'%s/A' '%s/A' --models cnn --key-a lr=0.1 --key-b lr=0.01", t, t);
    CHECK_MSG(compare(args, out, sizeof out, errs, sizeof errs) == 0, "%s", errs);
    CHECK_MSG(line_with(out, "| lr=0.1 vs lr=0.01 | cnn − cnn |", line, sizeof line) &&
                  strcmp(strstr(want, "− cnn |"), strstr(line, "− cnn |")) == 0,
              "the store's configurations differ from the folders':\n%s\n%s", line, want);
    snprintf(args, sizeof args, "'%s/A' '%s/A' --models cnn --key-a epochs=1 --key-b lr=0.01", t,
             t);
    CHECK(compare(args, out, sizeof out, errs, sizeof errs) == 2 &&
          strstr(errs, "matches two configurations of cnn"));
    snprintf(args, sizeof args, "'%s/A' '%s/A' --key-a lr=0.3 --key-b lr=0.01", t, t);
    CHECK(compare(args, out, sizeof out, errs, sizeof errs) == 3 &&
          strstr(errs, "has a key with lr=0.3"));
}

/* The statistics of compare on hand-made folders: A - B over the common
 * seeds in A's order, the diverged seed and the one-sided ones left out. */
static void compare_pairs_by_seed_in_the_library(void)
{
    const char *m[6] = {"cnn", "cnn", "cnn", "cnn", "cnn", "mlp"};
    const int sa[6] = {0, 1, 2, 3, 4, 0}, sb[4] = {4, 2, 1, 0};
    const double aa[6] = {0.9, 0.8, 0.85, 0.7, -1, 0.5}, ab[4] = {0.6, 0.80, 0.75, 0.88};
    fake_bench("LA", m, sa, aa, 6);
    fake_bench("LB", m, sb, ab, 4);
    char da[1024], db[1024];
    snprintf(da, sizeof da, "%s/LA", t_tmp_dir());
    snprintf(db, sizeof db, "%s/LB", t_tmp_dir());
    pn_bench_runs a, b;
    pn_err err;
    CHECK(pn_bench_runs_read(da, &a, &err) == 0 && pn_bench_runs_read(db, &b, &err) == 0);
    pn_comparison c;
    CHECK(pn_compare(&a, "cnn", &b, "cnn", &c, &err) == 0);
    /* seeds 0, 1, 2: differences 2, 5, 5 points; 3 only in A; 4 diverged in A */
    pn_paired want;
    const double x[3] = {90, 80, 85}, y[3] = {88, 75, 80};
    pn_paired_compare(x, y, 3, &want);
    CHECK(c.e.r.n == 3 && fabs(c.e.r.mean - 4.0) < 1e-12 && c.e.r.mean == want.mean);
    CHECK(c.e.r.p_t == want.p_t && c.e.r.ci_lo == want.ci_lo && c.e.r.n_a == 3);
    CHECK(c.n_only_a == 1 && strcmp(c.only_a, "3") == 0 && c.n_only_b == 0);
    CHECK(c.n_diverged == 1 && strcmp(c.diverged, "4") == 0);
    CHECK(pn_compare(&a, "mlp", &b, "mlp", &c, &err) == PN_ERR_DATA);
    CHECK_MSG(strstr(err.msg, "no finished seed in common"), "%s", err.msg);
    pn_bench_runs_free(&a);
    pn_bench_runs_free(&b);
}

/* Missing folder, no common seeds, different models without --models,
 * one folder: each refused with one line and a non-zero status. */
static void compare_refusals(void)
{
    const char *m1[2] = {"mlp", "mlp"}, *m2[2] = {"cnn", "cnn"};
    const int s1[2] = {0, 1}, s2[2] = {5, 6};
    const double acc[2] = {0.6, 0.7};
    fake_bench("R1", m1, s1, acc, 2);
    fake_bench("R2", m2, s2, acc, 2);
    fake_bench("R3", m1, s2, acc, 2);
    static char out[8192], errs[4096];
    char args[2048];
    const char *t = t_tmp_dir();
    const struct {
        const char *fmt, *says;
        int status;
    } cases[] = {
        {"'%s/R1' '%s/nowhere'", "has no runs.csv", 3},
        {"'%s/R1' '%s/R3'", "no finished seed in common", 3},
        {"'%s/R1' '%s/R2'", "no model in common; say which to pair with --models", 2},
        {"'%s/R1' '%s/R1'", "same folder", 2},
        {"'%s/R1' '%s/R2' --models mlp,cnn_ws", "has no rounds of cnn_ws", 3},
        {"'%s/R1%s'", "needs two bench folders", 2},
        {"'%s/R1' '%s/R1' --models mlp --format xml", "--format 'xml'", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(args, sizeof args, cases[i].fmt, t, i == 5 ? "" : t);
        const int st = compare(args, out, sizeof out, errs, sizeof errs);
        const char *nl = strchr(errs, '\n');
        CHECK_MSG(st == cases[i].status && strstr(errs, cases[i].says) && nl && !nl[1],
                  "compare %s: status %d, stderr:\n%s", args, st, errs);
    }
    /* --models pairs two different models: mlp of R1 against cnn of R2 has no common seed */
    snprintf(args, sizeof args, "'%s/R2' '%s/R1' --models cnn,mlp", t, t);
    CHECK(compare(args, out, sizeof out, errs, sizeof errs) == 3);
}

/* --json FILE and --format json: well-formed JSON (parsed back by python3
 * when there is one), escaping a folder named with a quote, a backslash
 * and a newline; the numbers unrounded. */
static void compare_json_parses_back(void)
{
    const char *m[3] = {"cnn", "cnn", "cnn"};
    const int s[3] = {0, 1, 2};
    const double a[3] = {0.9, 0.8, 0.85}, b[3] = {0.88, 0.79, 0.80};
    fake_bench("J\"o\\d\nd", m, s, a, 3);
    fake_bench("JB", m, s, b, 3);
    static char out[16384], errs[4096], js[16384];
    char args[2048], path[1024];
    const char *t = t_tmp_dir();
    snprintf(path, sizeof path, "%s/cmp.json", t);
    snprintf(args, sizeof args, "\"%s/J\\\"o\\\\d\n\"'d' '%s/JB' --json '%s'", t, t, path);
    CHECK_MSG(compare(args, out, sizeof out, errs, sizeof errs) == 0, "%s", errs);
    t_read_file(path, js, sizeof js);
    CHECK_MSG(strstr(js, "/J\\\"o\\\\d\\nd\"") != NULL, "not escaped:\n%s", js);
    CHECK(strstr(js, "\"n\": 3,") && strstr(js, "\"p_t_holm\": "));
    if (t_sh("command -v python3 >/dev/null 2>&1") == 0) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d[\"comparisons\"][0]; "
                 "assert c[\"a\"][\"dir\"].endswith(\"/J\\\"o\\\\d\\nd\"), c; assert c[\"n\"]==3; "
                 "assert abs(c[\"mean\"]-(2+1+5)/3)<1e-9; assert c[\"ci_lo\"]<c[\"mean\"]<c[\"ci_hi\"]; assert c[\"n_a_better\"]==3' "
                 "'%s'", path);
        CHECK_MSG(t_sh(cmd) == 0, "python3 cannot read %s:\n%s", path, js);
        snprintf(args, sizeof args, "'%s/JB' '%s/JB' --models cnn --format json", t, t);
        CHECK(compare(args, out, sizeof out, errs, sizeof errs) == 0);
        snprintf(path, sizeof path, "%s/cmp.out", t);
        snprintf(cmd, sizeof cmd, "python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))"
                 "[\"comparisons\"][0]; assert c[\"mean\"]==0 and c[\"p_t\"] is None and "
                 "c[\"p_wilcoxon\"]==1' '%s'", path);
        CHECK_MSG(t_sh(cmd) == 0, "--format json, every difference 0:\n%s", out);
    }
}

/* The JSON writer alone: nesting, commas, escapes of control characters
 * and of bytes that are no UTF-8, null for NaN. */
static void json_writer_escapes_and_nests(void)
{
    pn_buf b = {0};
    pn_json j = pn_json_on(&b);
    pn_json_open(&j, '{');
    pn_json_key(&j, "s");
    pn_json_str(&j, "a\"b\\c\x01\t\xff\xc3\xa9");
    pn_json_key(&j, "v");
    pn_json_open(&j, '[');
    pn_json_num(&j, 0.1);
    pn_json_num(&j, NAN);
    pn_json_uint(&j, 7);
    pn_json_close(&j);
    pn_json_key(&j, "e");
    pn_json_open(&j, '[');
    pn_json_close(&j);
    pn_json_close(&j);
    CHECK_MSG(b.data && strcmp(b.data, "{\n  \"s\": \"a\\\"b\\\\c\\u0001\\t\\ufffd\xc3\xa9\",\n"
                                       "  \"v\": [\n    0.1,\n    null,\n    7\n  ],\n"
                                       "  \"e\": []\n}\n") == 0,
              "%s", b.data ? b.data : "(null)");
    pn_buf_free(&b);
}

void suite_compare(void)
{
    RUN(json_writer_escapes_and_nests);
    RUN(compare_pairs_by_seed_in_the_library);
    RUN(compare_refusals);
    RUN(compare_json_parses_back);
    RUN(compare_matches_table2_and_leaves_out_seeds);
}
