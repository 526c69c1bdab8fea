#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "pairnet/base/file.h"
#include "pairnet/report/markdown.h"
#include "pairnet/report/progress.h"
#include "pairnet/report/results.h"
#include "pairnet/report/store.h"

/* ---- helpers ------------------------------------------------------------- */

/* A fresh directory under the runner's scratch directory. */
static const char *test_dir(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", t_tmp_dir(), name);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        t_fail(__FILE__, __LINE__, "mkdir %s: %s", path, strerror(errno));
    return path;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    size_t got;
    while (s && (got = fread(s + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2) {
            char *p = realloc(s, cap *= 2);
            if (!p) {
                free(s);
                s = NULL;
            } else
                s = p;
        }
    }
    fclose(f);
    if (s)
        s[len] = '\0';
    return s;
}

static char *read_in(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return read_all(path);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

/* Leftovers of an atomic write in dir: names with ".tmp." (older
 * pairnet) or hidden ones (".NAME.XXXXXXXX", base/file.h). */
static size_t temp_files_in(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strstr(e->d_name, ".tmp.") != NULL ||
             (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."));
    closedir(d);
    return n;
}

/* Plausible fake rounds: n_models x rounds x epochs, accuracy rising over
 * the epochs; round `diverge` of model 1 diverges after 3 epochs (none if
 * it is out of range). Per-epoch test accuracies only when per_epoch.
 * Models 2 and up (cnn_ws, ...) have digit logits: digit_acc = final + 0.1,
 * argmax_acc = final + 0.05; the others NaN, as real rounds. */
typedef struct fake {
    pn_round_rec *r;
    size_t n;
} fake;

static const char *const fake_names[] = {"mlp", "cnn", "cnn_ws", "cnn_al", "cnn_ws_al"};

static fake fake_rounds(size_t n_models, size_t rounds, size_t epochs, size_t diverge,
                        int per_epoch)
{
    fake f = {calloc(n_models * rounds, sizeof(pn_round_rec)), n_models * rounds};
    for (size_t m = 0; f.r && m < n_models; m++) {
        for (size_t i = 0; i < rounds; i++) {
            pn_round_rec *r = &f.r[m * rounds + i];
            snprintf(r->model, sizeof r->model, "%s", fake_names[m % 5]);
            r->round = i;
            r->seed = 1000 + i;
            r->diverged = m == 1 && i == diverge;
            r->n_epochs = r->diverged ? 3 : epochs;
            r->epochs = calloc(r->n_epochs, sizeof *r->epochs);
            double final = 0.80 + 0.02 * (double)m + 0.004 * (double)((i * 7) % 5);
            r->seconds = 0;
            for (size_t e = 0; r->epochs && e < r->n_epochs; e++) {
                pn_epoch_rec *ep = &r->epochs[e];
                double t = (double)(e + 1) / (double)epochs;
                ep->epoch = e + 1;
                ep->lr = 0.005;
                ep->loss = r->diverged && e == 2 ? INFINITY : 0.7 * (1 - t) + 0.05;
                int last = e + 1 == r->n_epochs;
                ep->test_acc = (per_epoch || last) && !r->diverged ? final - 0.3 * (1 - t) : NAN;
                ep->train_acc = (per_epoch || last) && !r->diverged ? fmin(1.0, ep->test_acc + 0.1)
                                                                     : NAN;
                ep->seconds = 0.1;
                r->seconds += 0.1;
            }
            r->train_acc = r->diverged ? NAN : fmin(1.0, final + 0.1);
            r->test_acc = r->diverged ? NAN : final;
            r->digit_acc = r->diverged || m % 5 < 2 ? NAN : final + 0.1;
            r->argmax_acc = r->diverged || m % 5 < 2 ? NAN : final + 0.05;
        }
    }
    return f;
}

static void fake_free(fake *f)
{
    for (size_t i = 0; f->r && i < f->n; i++)
        free(f->r[i].epochs);
    free(f->r);
}

static size_t fake_summaries(const fake *f, size_t n_models, pn_model_summary *s)
{
    size_t per = f->n / n_models;
    for (size_t m = 0; m < n_models; m++) {
        pn_summarize(f->r + m * per, per, &s[m]);
        s[m].params = 1000 * (m + 1) + 7;
        s[m].lr = 0.005;
        s[m].bs = 100;
    }
    return n_models;
}

static pn_run_info fake_info(void)
{
    pn_run_info info;
    memset(&info, 0, sizeof info);
    snprintf(info.command, sizeof info.command, "./pairnet bench --rounds 4 --out <dir>");
    snprintf(info.date, sizeof info.date, "2024-01-02T03:04:05Z");
    snprintf(info.cpu, sizeof info.cpu, "Test CPU 3000");
    info.cores = 8;
    snprintf(info.revision, sizeof info.revision, "abc1234-dirty");
    info.wall_seconds = 3725.0;
    return info;
}

/* ---- buffer and atomic writes -------------------------------------------- */

static void results_buf_printf_grows(void)
{
    pn_buf b = {0};
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int i = 0; i < 1000; i++)
        pn_buf_printf(&b, "%d,", i);
    pn_buf_printf(&b, "%s", big);
    CHECK(!b.failed);
    CHECK(b.len == strlen(b.data));
    CHECK(strncmp(b.data, "0,1,2,", 6) == 0);
    CHECK(strstr(b.data, "998,999,xxx") != NULL);
    CHECK(b.len == 3890 + 2999); /* 10*2 + 90*3 + 900*4 digits+commas, then big */
    pn_buf_free(&b);
    CHECK(b.data == NULL && b.len == 0);
}

static void results_atomic_write_round_trips(void)
{
    const char *dir = test_dir("atomic");
    char path[600];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    pn_err err = {0};
    CHECK(pn_write_atomic(path, "first\n", 6, &err) == 0);
    CHECK(pn_write_atomic(path, "second, longer\n", 15, &err) == 0);
    char *s = read_all(path);
    CHECK(s && strcmp(s, "second, longer\n") == 0);
    free(s);
    CHECK(pn_write_atomic(path, "", 0, &err) == 0); /* empty files too */
    s = read_all(path);
    CHECK(s && s[0] == '\0');
    free(s);
    CHECK(temp_files_in(dir) == 0);
}

static void results_atomic_write_missing_dir_fails(void)
{
    const char *dir = test_dir("atomic_missing");
    char path[600];
    snprintf(path, sizeof path, "%s/no/such/dir/table2.md", dir);
    pn_err err = {0};
    CHECK(pn_write_atomic(path, "x", 1, &err) == PN_ERR_RUNTIME);
    CHECK(err.code == PN_ERR_RUNTIME);
    CHECK_MSG(strstr(err.msg, path) != NULL, "message does not name the path: %s", err.msg);
    CHECK_MSG(strstr(err.msg, "No such file") || strstr(err.msg, "exist"), "msg: %s", err.msg);
    CHECK(temp_files_in(dir) == 0);
}

/* A directory where the file should go: the temporary file is written, the
 * rename fails, and the temporary file must go while the directory stays. */
static void results_atomic_write_late_failure_cleans_up(void)
{
    const char *dir = test_dir("atomic_late");
    char path[600];
    snprintf(path, sizeof path, "%s/taken", dir);
    CHECK(mkdir(path, 0755) == 0);
    pn_err err = {0};
    CHECK(pn_write_atomic(path, "new", 3, &err) == PN_ERR_RUNTIME);
    CHECK(strstr(err.msg, path) != NULL);
    struct stat st;
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK_MSG(temp_files_in(dir) == 0, "a temporary file was left in %s", dir);
}

static void results_atomic_write_read_only_keeps_old(void)
{
    const char *dir = test_dir("atomic_ro");
    char path[600];
    snprintf(path, sizeof path, "%s/keep.csv", dir);
    pn_err err = {0};
    CHECK(pn_write_atomic(path, "old\n", 4, &err) == 0);
    CHECK(chmod(dir, 0555) == 0);
    if (access(dir, W_OK) != 0) {
        CHECK(pn_write_atomic(path, "new\n", 4, &err) == PN_ERR_RUNTIME);
        CHECK(strstr(err.msg, path) != NULL);
        CHECK_MSG(strstr(err.msg, "read-only") != NULL, "no hint in: %s", err.msg);
    } else if (geteuid() == 0) {
        /* root ignores permissions: try it as nobody, in a child */
        CHECK(chmod(t_tmp_dir(), 0755) == 0);
        CHECK(chmod(path, 0644) == 0);
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            pn_err e = {0};
            if (setgid(65534) != 0 || setuid(65534) != 0)
                _exit(3);
            const int rc = pn_write_atomic(path, "new\n", 4, &e);
            _exit(rc == PN_ERR_RUNTIME && strstr(e.msg, path) && strstr(e.msg, "read-only") ? 0 : 1);
        }
        int status = 0;
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) != 3, "cannot become nobody");
        CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "a write into a read-only directory was not refused with a hint");
        CHECK(chmod(t_tmp_dir(), 0700) == 0);
    } else {
        t_skip("the directory stays writable after chmod 0555");
    }
    CHECK(chmod(dir, 0755) == 0);
    char *s = read_all(path);
    CHECK(s && strcmp(s, "old\n") == 0);
    free(s);
    CHECK(temp_files_in(dir) == 0);
}

static void results_run_info_fill(void)
{
    pn_run_info info;
    memset(&info, 0, sizeof info);
    strcpy(info.command, "keep me");
    info.wall_seconds = 12.5;
    pn_run_info_fill(&info);
    int y, mo, d, h, mi, s;
    char z = 0;
    CHECK_MSG(sscanf(info.date, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &z) == 7 &&
                  z == 'Z' && strlen(info.date) == 20,
              "date '%s' is not ISO 8601 UTC", info.date);
    CHECK(y >= 2024 && mo >= 1 && mo <= 12);
    CHECK(info.cpu[0] != '\0' && info.revision[0] != '\0');
    /* the binary's revision, baked in at build time, not the cwd's git */
    CHECK_MSG(strcmp(info.revision, pn_revision()) == 0, "%s vs %s", info.revision,
              pn_revision());
    CHECK(info.cores >= 1);
    CHECK(strcmp(info.command, "keep me") == 0 && info.wall_seconds == 12.5);
}

/* ---- writers ------------------------------------------------------------- */

/* Splits one CSV line (no quoting needed here) into at most cap fields. */
static size_t split_csv(char *line, char **field, size_t cap)
{
    size_t n = 0;
    field[n++] = line;
    for (char *p = line; *p && n < cap; p++)
        if (*p == ',') {
            *p = '\0';
            field[n++] = p + 1;
        }
    return n;
}

static void results_table2_csv_parses_back(void)
{
    const char *dir = test_dir("table2");
    fake f = fake_rounds(3, 5, 10, 2, 1);
    pn_model_summary s[3];
    fake_summaries(&f, 3, s);
    pn_run_info info = fake_info();
    pn_err err = {0};
    CHECK(pn_write_table2(dir, s, 3, NULL, 0, &info, &err) == 0);

    char *csv = read_in(dir, "table2.csv");
    CHECK(csv != NULL);
    if (!csv) {
        fake_free(&f);
        return;
    }
    const char *header = "model,params,lr,bs,epochs,rounds,diverged,train_mean,train_std,"
                         "test_mean,test_std,digit_mean,digit_std,argmax_mean,argmax_std\n";
    CHECK(strncmp(csv, header, strlen(header)) == 0);
    CHECK(count_lines(csv) == 4);
    char *save = NULL, *line = strtok_r(csv, "\n", &save);
    for (size_t m = 0; m < 3 && line; m++) {
        line = strtok_r(NULL, "\n", &save);
        if (!line)
            break;
        char *fld[16];
        CHECK(split_csv(line, fld, 16) == 15);
        CHECK(strcmp(fld[0], s[m].model) == 0);
        CHECK(strtoul(fld[1], NULL, 10) == s[m].params);
        CHECK_NEAR(strtod(fld[2], NULL), 0.005, 1e-12);
        CHECK(strtoul(fld[3], NULL, 10) == 100 && strtoul(fld[4], NULL, 10) == 10);
        CHECK(strtoul(fld[5], NULL, 10) == s[m].rounds);
        CHECK(strtoul(fld[6], NULL, 10) == s[m].diverged);
        CHECK_NEAR(strtod(fld[7], NULL), s[m].train_mean, 1e-6);
        CHECK_NEAR(strtod(fld[8], NULL), s[m].train_std, 1e-6);
        CHECK_NEAR(strtod(fld[9], NULL), s[m].test_mean, 1e-6);
        CHECK_NEAR(strtod(fld[10], NULL), s[m].test_std, 1e-6);
        if (m < 2) /* mlp and cnn: no digit logits, empty fields */
            CHECK(!*fld[11] && !*fld[12] && !*fld[13] && !*fld[14]);
        else {
            CHECK_NEAR(strtod(fld[11], NULL), s[m].digit_mean, 1e-6);
            CHECK_NEAR(strtod(fld[12], NULL), s[m].digit_std, 1e-6);
            CHECK_NEAR(strtod(fld[13], NULL), s[m].argmax_mean, 1e-6);
            CHECK_NEAR(strtod(fld[14], NULL), s[m].argmax_std, 1e-6);
        }
    }
    CHECK(s[1].diverged == 1 && s[1].rounds == 4);
    free(csv);

    char *md = read_in(dir, "table2.md");
    CHECK(md != NULL);
    if (md) {
        CHECK(strstr(md, "| model | parameters | lr | batch size |") != NULL);
        CHECK(strstr(md, "| cnn | 2007 | 0.005 | 100 |") != NULL);
        CHECK(strstr(md, "4 (+1 diverged)") != NULL);
        CHECK(strstr(md, "diverged") != NULL);
        CHECK(strstr(md, "```sh\n./pairnet bench --rounds 4 --out <dir>\n```") != NULL);
        CHECK(strstr(md, "2024-01-02T03:04:05Z") && strstr(md, "Test CPU 3000, 8 cores"));
        CHECK(strstr(md, "abc1234-dirty") && strstr(md, "1 h 02 min 05 s"));
        CHECK(strstr(md, "; 10 epochs per round") != NULL);
        /* mlp: mean of 0.80 + 0.004 * {0,2,4,1,3} = 0.808 -> 80.80 */
        CHECK_MSG(strstr(md, "| 80.80 \xc2\xb1 ") != NULL, "%s", md);
    }
    free(md);
    CHECK(temp_files_in(dir) == 0);
    fake_free(&f);
}

static void results_runs_csv_rows(void)
{
    const char *dir = test_dir("runs");
    fake f = fake_rounds(2, 3, 7, 0, 0); /* round 0 of model 1 diverges after 3 */
    pn_err err = {0};
    CHECK(pn_write_runs_csv(dir, f.r, f.n, &err) == 0);
    char *csv = read_in(dir, "runs.csv");
    CHECK(csv != NULL);
    if (csv) {
        const char *header = "model,round,seed,epoch,lr,loss,train_acc,test_acc,seconds,"
                             "digit_acc,argmax_acc\n";
        CHECK(strncmp(csv, header, strlen(header)) == 0);
        CHECK_MSG(count_lines(csv) == 1 + 5 * 7 + 3, "%zu lines", count_lines(csv));
        /* Not evaluated: empty accuracy fields; the diverged round's epochs
         * are there, its infinite loss spelled out. */
        CHECK(strstr(csv, "\nmlp,0,1000,1,0.005,") != NULL);
        CHECK(strstr(csv, ",,,0.100,,\n") != NULL);
        CHECK(strstr(csv, "\ncnn,0,1000,3,0.005,inf,,,0.100,,\n") != NULL);
        CHECK(strstr(csv, "\nmlp,2,1002,7,0.005,0.05,0.916000,0.816000,0.100,,\n") != NULL);
    }
    free(csv);
    fake_free(&f);
}

static void results_fig4_svg(void)
{
    const char *dir = test_dir("fig4");
    fake f = fake_rounds(5, 15, 4, 3, 1);
    snprintf(f.r[0].model, sizeof f.r[0].model, "a&b<c>"); /* a one-round model */
    pn_err err = {0};
    CHECK(pn_write_fig4_svg(dir, f.r, f.n, &err) == 0);
    char *svg = read_in(dir, "fig4.svg");
    CHECK(svg != NULL);
    if (svg) {
        CHECK(strncmp(svg, "<svg", 4) == 0);
        CHECK(strstr(svg, "</svg>\n") != NULL);
        CHECK(strstr(svg, "Test accuracy over 15 rounds") != NULL);
        CHECK(strstr(svg, "1 diverged round excluded") != NULL);
        CHECK(strstr(svg, "test accuracy (%)") != NULL);
        for (size_t m = 1; m < 5; m++)
            CHECK_MSG(strstr(svg, fake_names[m]), "no label %s", fake_names[m]);
        CHECK(strstr(svg, "a&amp;b&lt;c&gt;") != NULL && strstr(svg, "a&b") == NULL);
        CHECK(strstr(svg, "viewBox=") && strstr(svg, "font-family=\"sans-serif\""));
        CHECK(strstr(svg, "n = 14") != NULL); /* cnn without its diverged round */
        CHECK(strstr(svg, "nan") == NULL && strstr(svg, "inf") == NULL);
    }
    free(svg);
    fake_free(&f);
}

static void results_fig4_all_diverged(void)
{
    const char *dir = test_dir("fig4_empty");
    fake f = fake_rounds(2, 1, 4, 0, 1); /* model 1's only round diverges */
    pn_err err = {0};
    CHECK(pn_write_fig4_svg(dir, f.r, f.n, &err) == 0);
    char *svg = read_in(dir, "fig4.svg");
    CHECK(svg && strstr(svg, ">all diverged<"));
    CHECK(svg && strstr(svg, "nan") == NULL);
    free(svg);
    CHECK(pn_write_fig4_svg(dir, NULL, 0, &err) == 0);
    svg = read_in(dir, "fig4.svg");
    CHECK(svg && strstr(svg, "no rounds to plot"));
    free(svg);
    fake_free(&f);
}

static void results_curves_svg(void)
{
    const char *dir = test_dir("curves");
    fake f = fake_rounds(5, 6, 45, 2, 1);
    pn_err err = {0};
    CHECK(pn_write_curves_svg(dir, f.r, f.n, &err) == 0);
    char *svg = read_in(dir, "curves.svg");
    CHECK(svg != NULL);
    if (svg) {
        CHECK(strncmp(svg, "<svg", 4) == 0);
        CHECK(strstr(svg, "Learning curves: loss, train and test accuracy") != NULL);
        CHECK(strstr(svg, ">epoch</text>") && strstr(svg, ">test accuracy (%)</text>"));
        CHECK(strstr(svg, ">training loss</text>") && strstr(svg, ">train accuracy (%)</text>"));
        for (size_t m = 0; m < 5; m++)
            CHECK_MSG(strstr(svg, fake_names[m]), "no legend entry %s", fake_names[m]);
        CHECK(strstr(svg, "<polyline") && strstr(svg, "fill-opacity=\"0.15\""));
        CHECK(strstr(svg, "no per-epoch") == NULL);
        CHECK(strstr(svg, "nan") == NULL && strstr(svg, "inf") == NULL);
    }
    free(svg);
    fake_free(&f);
}

/* Models evaluated only at the end of a round: a point with an error bar,
 * no line, and nothing silently missing. */
static void results_curves_without_per_epoch_accuracy(void)
{
    const char *dir = test_dir("curves_sparse");
    fake f = fake_rounds(2, 4, 10, 99, 0);
    for (size_t i = 0; i < 4; i++) /* mlp: not even the last epoch */
        f.r[i].epochs[9].test_acc = NAN;
    pn_err err = {0};
    CHECK(pn_write_curves_svg(dir, f.r, f.n, &err) == 0);
    char *svg = read_in(dir, "curves.svg");
    CHECK(svg != NULL);
    if (svg) {
        CHECK_MSG(strstr(svg, "no per-epoch test accuracy recorded for: mlp<"), "%s", svg);
        CHECK(strstr(svg, "one evaluated epoch only (no curve) for: cnn<") != NULL);
        CHECK(strstr(svg, "<circle") != NULL); /* the lone points; the loss panel has lines */
        CHECK(strstr(svg, "nan") == NULL);
    }
    free(svg);
    CHECK(pn_write_curves_svg(dir, NULL, 0, &err) == 0);
    svg = read_in(dir, "curves.svg");
    CHECK(svg && strstr(svg, ">nothing recorded<"));
    free(svg);
    fake_free(&f);
}

static void results_index_html(void)
{
    const char *dir = test_dir("index");
    fake f = fake_rounds(5, 4, 6, 1, 1);
    pn_model_summary s[5];
    fake_summaries(&f, 5, s);
    pn_run_info info = fake_info();
    pn_err err = {0};
    CHECK(pn_write_table2(dir, s, 5, NULL, 0, &info, &err) == 0);
    CHECK(pn_write_fig4_svg(dir, f.r, f.n, &err) == 0);
    CHECK(pn_write_curves_svg(dir, f.r, f.n, &err) == 0);
    char t1[600];
    snprintf(t1, sizeof t1, "%s/table1.md", dir);
    const char *table1 = "# Table I: grid search\n\nBest cell in **bold**.\n\n"
                         "| model | best lr |\n|:---|---:|\n| cnn_ws | **0.01** |\n";
    CHECK(pn_write_atomic(t1, table1, strlen(table1), &err) == 0);
    CHECK(pn_write_index_html(dir, s, 5, NULL, 0, &info, &err) == 0);

    char *html = read_in(dir, "index.html");
    CHECK(html != NULL);
    if (html) {
        CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0);
        CHECK(strstr(html, "</html>\n") != NULL);
        CHECK(strstr(html, "<th>test acc (%) mean \xc2\xb1 std</th>") != NULL);
        CHECK(strstr(html, "<td>cnn_ws_al</td><td>5007</td>") != NULL);
        CHECK(strstr(html, "Test accuracy over 4 rounds") != NULL);   /* fig4 inlined */
        CHECK(strstr(html, "Learning curves: loss") != NULL); /* curves inlined */
        const char *svg = strstr(html, "<svg");
        CHECK(svg && strstr(svg + 1, "<svg")); /* both */
        CHECK(strstr(html, "<h2>Table I: grid search</h2>") != NULL);
        CHECK(strstr(html, "<p>Best cell in <strong>bold</strong>.</p>") != NULL);
        CHECK(strstr(html, "<tr><th>model</th><th>best lr</th></tr>") != NULL);
        CHECK(strstr(html, "<tr><td>cnn_ws</td><td><strong>0.01</strong></td></tr>") != NULL);
        CHECK(strstr(html, ":---") == NULL); /* the alignment row is not a table row */
        CHECK(strstr(html, "./pairnet bench --rounds 4 --out &lt;dir&gt;") != NULL);
        CHECK(strstr(html, "Test CPU 3000, 8 cores") && strstr(html, "abc1234-dirty"));
        /* Self-contained: no scripts, no external resources. */
        CHECK(strstr(html, "<script") == NULL && strstr(html, "src=") == NULL);
        CHECK(strstr(html, "href=") == NULL && strstr(html, "@import") == NULL);
    }
    free(html);

    /* Without table1.md the section is left out. */
    CHECK(remove(t1) == 0);
    CHECK(pn_write_index_html(dir, s, 5, NULL, 0, &info, &err) == 0);
    html = read_in(dir, "index.html");
    CHECK(html && !strstr(html, "Table I:") && strstr(html, "<svg"));
    free(html);
    CHECK(temp_files_in(dir) == 0);
    fake_free(&f);
}

/* ---- digit-level accuracies: journal, tables, figure ----------------------- */

static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* digit_acc and argmax_acc survive the round store to the bit, NaN
 * included, and so does a diverged epoch's infinite loss. */
static void results_store_round_trips_digits(void)
{
    const char *dir = test_dir("store_digits");
    char path[600];
    snprintf(path, sizeof path, "%s/rounds.pnr", dir);
    remove(path);
    fake f = fake_rounds(3, 2, 4, 1, 1); /* mlp (NaN), cnn (round 1 diverged), cnn_ws */
    f.r[4].digit_acc = 1.0 / 3.0;         /* a value %.6f would not keep */
    f.r[5].argmax_acc = 0.1 + 0.2;
    CHECK(isinf(f.r[3].epochs[2].loss));
    pn_err err = {0};
    pn_store *s = NULL;
    CHECK_MSG(pn_store_open(dir, NULL, &s, &err) == PN_OK, "%s", err.msg);
    for (size_t i = 0; s && i < f.n; i++)
        CHECK_MSG(pn_store_add(s, f.r[i].model, &f.r[i], &err) == PN_OK, "%s", err.msg);
    pn_store_close(s);
    s = NULL;
    CHECK_MSG(pn_store_open(dir, NULL, &s, &err) == PN_OK, "reopen: %s", err.msg);
    if (!s)
        return;
    CHECK(pn_store_count(s) == f.n);
    for (size_t i = 0; i < f.n; i++) {
        const pn_round_rec *o = pn_store_find(s, f.r[i].model, f.r[i].seed);
        CHECK_MSG(o != NULL, "round %zu not found", i);
        if (!o)
            continue;
        CHECK(strcmp(o->model, f.r[i].model) == 0 && o->seed == f.r[i].seed);
        CHECK(o->diverged == f.r[i].diverged && o->n_epochs == f.r[i].n_epochs);
        CHECK(same_double(o->test_acc, f.r[i].test_acc));
        CHECK_MSG(same_double(o->digit_acc, f.r[i].digit_acc), "round %zu: digit %.17g, "
                  "stored %.17g", i, f.r[i].digit_acc, o->digit_acc);
        CHECK_MSG(same_double(o->argmax_acc, f.r[i].argmax_acc), "round %zu: argmax %.17g, "
                  "stored %.17g", i, f.r[i].argmax_acc, o->argmax_acc);
        for (size_t e = 0; e < o->n_epochs && e < f.r[i].n_epochs; e++)
            CHECK(same_double(o->epochs[e].loss, f.r[i].epochs[e].loss));
    }
    CHECK(isnan(pn_store_find(s, "mlp", 1000)->digit_acc));
    CHECK(isinf(pn_store_find(s, "cnn", 1001)->epochs[2].loss));
    CHECK(pn_store_find(s, "cnn_ws", 1000)->digit_acc == 1.0 / 3.0);
    CHECK(pn_store_find(s, "cnn_ws", 1001)->argmax_acc == 0.1 + 0.2);
    pn_store_close(s);
    fake_free(&f);
}

static void results_table2_digit_columns(void)
{
    const char *dir = test_dir("table2_digits");
    fake f = fake_rounds(3, 5, 6, 99, 1); /* mlp, cnn, cnn_ws */
    pn_model_summary s[3];
    fake_summaries(&f, 3, s);
    CHECK(isnan(s[0].digit_mean) && isnan(s[1].argmax_std));
    CHECK_NEAR(s[2].digit_mean, 0.948, 1e-12); /* 0.84 + 0.008 + 0.1 */
    CHECK_NEAR(s[2].argmax_mean, 0.898, 1e-12);
    CHECK_NEAR(s[2].digit_std, 0.004 * sqrt(2.5), 1e-12);
    pn_run_info info = fake_info();
    pn_err err = {0};
    CHECK(pn_write_table2(dir, s, 3, NULL, 0, &info, &err) == 0);
    char *md = read_in(dir, "table2.md");
    CHECK(md != NULL);
    if (md) {
        CHECK(strstr(md, "| test acc (%) mean \xc2\xb1 std | the study's test acc (%) | test digit "
                         "acc (%) mean \xc2\xb1 std | test acc, digits compared (%) mean \xc2\xb1 std "
                         "| rounds |") != NULL);
        CHECK_MSG(strstr(md, "| cnn_ws | 3007 | 0.005 | 100 | 94.80 \xc2\xb1 0.63 | 84.80 \xc2\xb1 "
                             "0.63 | 84.16 | 94.80 \xc2\xb1 0.63 | 89.80 \xc2\xb1 0.63 | 5 |") != NULL,
                  "%s", md);
        CHECK(strstr(md, "| 80.80 \xc2\xb1 0.63 | 76.50 | \xe2\x80\x94 | \xe2\x80\x94 | 5 |") != NULL);
        CHECK(strstr(md, "digits compared: the pair accuracy") != NULL);
    }
    free(md);
    char *csv = read_in(dir, "table2.csv");
    CHECK(csv && strstr(csv, "\nmlp,1007,0.005,100,6,5,0,0.908000,0.006325,0.808000,0.006325,,,,\n"));
    CHECK(csv && strstr(csv, ",0.948000,0.006325,0.898000,0.006325\n"));
    free(csv);

    /* one round: no spread, a dash in the Markdown and an empty field in
     * the CSV, never 0 (one rule: docs/spec.md, docs/statistics.md) */
    pn_model_summary one = s[2];
    one.rounds = 1;
    one.train_std = one.test_std = one.digit_std = one.argmax_std = 0.0;
    CHECK(pn_write_table2(dir, &one, 1, NULL, 0, &info, &err) == 0);
    md = read_in(dir, "table2.md");
    CHECK_MSG(md && strstr(md, "| 84.80 \xc2\xb1 \xe2\x80\x94 |") && !strstr(md, "\xc2\xb1 0.00"),
              "%s", md ? md : "");
    free(md);
    csv = read_in(dir, "table2.csv");
    CHECK_MSG(csv && strstr(csv, ",1,0,0.948000,,0.848000,,0.948000,,0.898000,\n"), "%s",
              csv ? csv : "");
    free(csv);

    /* mlp alone: no digit columns at all, and the note is left out. */
    CHECK(pn_write_table2(dir, s, 1, NULL, 0, &info, &err) == 0);
    md = read_in(dir, "table2.md");
    CHECK(md && !strstr(md, "digit") &&
          strstr(md, "| test acc (%) mean \xc2\xb1 std | the study's test acc (%) | rounds |"));
    free(md);
    fake_free(&f);
}

static void results_runs_csv_digits_on_last_epoch(void)
{
    const char *dir = test_dir("runs_digits");
    fake f = fake_rounds(3, 2, 3, 99, 1);
    f.r[4].digit_acc = 0.9505;
    pn_err err = {0};
    CHECK(pn_write_runs_csv(dir, f.r, f.n, &err) == 0);
    char *csv = read_in(dir, "runs.csv");
    CHECK(csv != NULL);
    if (csv) {
        CHECK_MSG(strstr(csv, "\ncnn_ws,0,1000,2,0.005,0.283333,0.840000,0.740000,0.100,,\n"),
                  "%s", csv);
        CHECK(strstr(csv, "\ncnn_ws,0,1000,3,0.005,0.05,0.940000,0.840000,0.100,0.950500,"
                          "0.890000\n") != NULL);
        CHECK(strstr(csv, "\nmlp,1,1001,3,0.005,0.05,0.908000,0.808000,0.100,,\n") != NULL);
    }
    free(csv);
    fake_free(&f);
}

static size_t occurrences(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

static void results_digits_svg(void)
{
    const char *dir = test_dir("digits");
    fake f = fake_rounds(5, 4, 3, 0, 1); /* cnn round 0 diverged; cnn_ws.. have digits */
    snprintf(f.r[8].model, sizeof f.r[8].model, "x<y"); /* a one-round model of its own */
    pn_err err = {0};
    CHECK(pn_write_digits_svg(dir, f.r, f.n, &err) == 0);
    char *svg = read_in(dir, "digits.svg");
    CHECK(svg != NULL);
    if (svg) {
        CHECK(strncmp(svg, "<svg", 4) == 0 && strstr(svg, "</svg>\n"));
        CHECK(strstr(svg, "The digit tower and the head on the test set") != NULL);
        CHECK(strstr(svg, ">tower: digit accuracy<") &&
              strstr(svg, ">pairs: its answer (Table II)<"));
        CHECK(strstr(svg, ">answers by its head<") != NULL);
        CHECK(strstr(svg, ">pairs: predicted digits compared<") != NULL);
        CHECK(strstr(svg, ">cnn_al<") && strstr(svg, ">cnn_ws_al<") && strstr(svg, ">x&lt;y<"));
        CHECK(strstr(svg, ">n = 3<") && strstr(svg, ">n = 1<"));
        /* the bars' labels: cnn_al's mean test accuracy 0.86 + 0.004 * (0+2+4+1)/4 */
        CHECK_MSG(strstr(svg, ">86.7<") && strstr(svg, ">96.7<") && strstr(svg, ">91.7<"),
                  "missing bar labels");
        CHECK_MSG(strstr(svg, "not shown: mlp, cnn (no digit logits)"), "%s", svg);
        CHECK(strstr(svg, ">mlp<") == NULL); /* no bars, no axis label */
        CHECK(strstr(svg, "nan") == NULL && strstr(svg, "inf") == NULL);
    }
    free(svg);

    /* mlp only, then nothing at all: a message, never an empty plot */
    CHECK(pn_write_digits_svg(dir, f.r, 4, &err) == 0);
    svg = read_in(dir, "digits.svg");
    CHECK(svg && strstr(svg, "no model with digit logits to plot") &&
          strstr(svg, "not shown: mlp (no digit logits)") &&
          occurrences(svg, "fill-opacity=\"0.85\"") == 3); /* the legend's, no bar */
    free(svg);
    CHECK(pn_write_digits_svg(dir, NULL, 0, &err) == 0);
    svg = read_in(dir, "digits.svg");
    CHECK(svg && strstr(svg, "no model with digit logits to plot") && !strstr(svg, "nan"));
    free(svg);
    CHECK(temp_files_in(dir) == 0);
    fake_free(&f);
}

/* index.html inlines digits.svg when a model has digit logits, and the
 * table's digit columns with their note. */
static void results_index_html_digits(void)
{
    const char *dir = test_dir("index_digits");
    fake f = fake_rounds(3, 3, 4, 99, 1);
    pn_model_summary s[3];
    fake_summaries(&f, 3, s);
    pn_run_info info = fake_info();
    pn_err err = {0};
    CHECK(pn_write_digits_svg(dir, f.r, f.n, &err) == 0);
    CHECK(pn_write_index_html(dir, s, 3, NULL, 0, &info, &err) == 0);
    char *html = read_in(dir, "index.html");
    CHECK(html && strstr(html, "The digit tower and the head on the test set</title>"));
    CHECK(html && strstr(html, "<th>test digit acc (%) mean \xc2\xb1 std</th>"));
    CHECK(html && strstr(html, "first \xe2\x89\xa4 second"));
    free(html);
    CHECK(pn_write_index_html(dir, s, 2, NULL, 0, &info, &err) == 0); /* mlp and cnn */
    html = read_in(dir, "index.html");
    CHECK(html && !strstr(html, "digit acc") && !strstr(html, "digit tower"));
    free(html);
    fake_free(&f);
}


/* ---- journal configuration, paths, Markdown, progress ------------------------ */

/* The store key of a configuration holds every option that changes a
 * round's numbers, exactly (0.123456789 is not 0.123457), and the versions;
 * changing any one option changes it. */
static void cfg_lr(pn_train_cfg *c) { c->lr = 0.01000000001; }
static void cfg_bs(pn_train_cfg *c) { c->bs = 25; }
static void cfg_epochs(pn_train_cfg *c) { c->epochs = 7; }
static void cfg_opt(pn_train_cfg *c) { c->optimizer = PN_OPT_ADAM; }
static void cfg_mom(pn_train_cfg *c) { c->momentum = 0.9; }
static void cfg_wd(pn_train_cfg *c) { c->weight_decay = 1e-4; }
static void cfg_step(pn_train_cfg *c) { c->lr_step = 3; }
static void cfg_gamma(pn_train_cfg *c) { c->lr_gamma = 0.123456789; }
static void cfg_aux(pn_train_cfg *c) { c->mopts.aux_weight = 0.3f; }
static void cfg_drop(pn_train_cfg *c) { c->mopts.dropout = 0.1f; }
static void cfg_swap(pn_train_cfg *c) { c->aug_swap = 1; }
static void cfg_repair(pn_train_cfg *c) { c->aug_repair = 1; }
static void cfg_shift(pn_train_cfg *c) { c->aug_shift = 2; }
static void cfg_eval(pn_train_cfg *c) { c->eval_epochs = !c->eval_epochs; }
static void cfg_pairs(pn_train_cfg *c) { c->n_pairs = 300; }
static void cfg_model(pn_train_cfg *c) { c->model = pn_model_find("cnn_ws"); }

static void results_store_key_whole(void)
{
    static const struct { const char *what; void (*edit)(pn_train_cfg *); } v[] = {
        {"lr", cfg_lr},         {"bs", cfg_bs},         {"epochs", cfg_epochs},
        {"optimizer", cfg_opt}, {"momentum", cfg_mom},  {"weight decay", cfg_wd},
        {"lr step", cfg_step},  {"lr gamma", cfg_gamma}, {"aux weight", cfg_aux},
        {"dropout", cfg_drop},  {"swap", cfg_swap},     {"repair", cfg_repair},
        {"shift", cfg_shift},   {"eval", cfg_eval},     {"pairs", cfg_pairs},
        {"model", cfg_model}};
    enum { NV = sizeof v / sizeof v[0] };
    char *key[NV + 1] = {0};
    pn_err err = {0};
    pn_train_cfg c;
    pn_train_cfg_default(&c, pn_model_find("cnn"));
    CHECK_MSG(pn_store_key_of(&c, &key[0], &err) == PN_OK && key[0], "%s", err.msg);
    for (size_t i = 0; i < NV; i++) {
        pn_train_cfg_default(&c, pn_model_find("cnn"));
        v[i].edit(&c);
        CHECK_MSG(pn_store_key_of(&c, &key[i + 1], &err) == PN_OK && key[i + 1], "%s", err.msg);
    }
    for (size_t i = 0; i <= NV; i++)
        for (size_t j = i + 1; key[i] && j <= NV; j++)
            CHECK_MSG(key[j] && strcmp(key[i], key[j]) != 0, "%s and %s give the same key: %s",
                      i ? v[i - 1].what : "the default", v[j - 1].what, key[i]);
    const char *k0 = key[0] ? key[0] : "";
    CHECK_MSG(strncmp(k0, "model=cnn;epochs=", 17) == 0 && !strpbrk(k0, "\t\n"), "%s", k0);
    CHECK_MSG(strstr(k0, ";lr=0.01;bs=50;") && strstr(k0, ";eval=epoch;") &&
                  strstr(k0, ";pairs=1000;"), "%s", k0);
    const char *tail = ";protocol=1;numeric=1";
    CHECK_MSG(strlen(k0) > strlen(tail) && strcmp(k0 + strlen(k0) - strlen(tail), tail) == 0,
              "the key does not end in the versions: %s", k0);
    CHECK_MSG(key[8] && strstr(key[8], ";lr_gamma=0.123456789;"), "%s", key[8]);
    CHECK_MSG(key[1] && strstr(key[1], ";lr=0.01000000001;"), "%s", key[1]);
    CHECK_MSG(key[9] && strstr(key[9], ";aux_weight=0.3;"), "%s", key[9]);
    /* the store takes it, and checks its epochs= against the rounds */
    const char *dir = test_dir("store_key");
    char path[600];
    snprintf(path, sizeof path, "%s/rounds.pnr", dir);
    remove(path);
    pn_store *s = NULL;
    fake f = fake_rounds(2, 1, 7, 99, 1);
    CHECK(pn_store_open(dir, NULL, &s, &err) == PN_OK);
    if (s && key[3])
        CHECK_MSG(pn_store_add(s, key[3], &f.r[1], &err) == PN_OK, "%s", err.msg); /* epochs=7 */
    pn_store_close(s);
    s = NULL;
    CHECK_MSG(pn_store_open(dir, NULL, &s, &err) == PN_OK, "%s", err.msg);
    CHECK(s && key[3] && pn_store_find(s, key[3], 1000) != NULL);
    pn_store_close(s);
    fake_free(&f);
    for (size_t i = 0; i <= NV; i++)
        free(key[i]);
}

/* The provenance says how many rounds this run computed; its wall time is
 * the run's elapsed time alone, and the rounds' own times, stored ones
 * included, are added up under their own name, never called wall time. */
static void results_provenance_counts_all_rounds(void)
{
    pn_run_info info = fake_info();
    info.wall_seconds = 50.0;
    info.rounds_total = 15;
    info.rounds_now = 5;
    info.round_seconds = 150.0;
    pn_buf b = {0};
    pn_provenance_md(&b, &info);
    const char *t = b.data ? b.data : "";
    CHECK_MSG(strstr(t, "- wall time: 50.0 s\n"), "%s", t);
    CHECK_MSG(strstr(t, "- summed round time: 150.0 s (2 min 30 s), the times of the 15 rounds "
                        "added up (rounds run side by side, some may come from earlier runs)\n"),
              "%s", t);
    CHECK_MSG(strstr(t, "- rounds computed in this run: 5 of 15\n"), "%s", t);
    pn_buf_free(&b);
    info.rounds_now = 15;
    pn_buf c = {0};
    pn_provenance_html(&c, &info);
    t = c.data ? c.data : "";
    CHECK_MSG(strstr(t, "<dt>wall time</dt><dd>50.0 s</dd>") && !strstr(t, "total"), "%s", t);
    CHECK_MSG(strstr(t, "<dt>rounds computed in this run</dt><dd>15 of 15</dd>"), "%s", t);
    pn_buf_free(&c);
    /* no counts given: no such line */
    info.rounds_total = info.rounds_now = 0;
    pn_buf d = {0};
    pn_provenance_md(&d, &info);
    CHECK(d.data && !strstr(d.data, "rounds computed") && !strstr(d.data, "summed round"));
    pn_buf_free(&d);
}

static void results_path_join_refuses_truncation(void)
{
    char out[16];
    pn_err err = {0};
    CHECK(pn_path_join(out, sizeof out, "dir", "name.csv", &err) == 0);
    CHECK(strcmp(out, "dir/name.csv") == 0);
    CHECK(pn_path_join(out, sizeof out, "directory", "name.csv", &err) == PN_ERR_RUNTIME);
    CHECK(strstr(err.msg, "directory/name.csv") != NULL);
    CHECK(pn_path_join(out, 13, "dir", "name.csv", NULL) == 0);  /* exactly fits */
    CHECK(pn_path_join(out, 12, "dir", "name.csv", NULL) != 0);
}

static void results_markdown_to_html(void)
{
    pn_buf b = {0};
    pn_md_to_html(&b, "# Title\n\nsome *text* with **bold**, `a<b` and \\*\n"
                      "second line\n\n```\nx < y && z\n```\n"
                      "| a | b\\|c |\n|---|:-:|\n| 1 | 2 |\n![a figure](f.svg)\n", NULL, NULL);
    CHECK(!b.failed && b.data != NULL);
    const char *h = b.data ? b.data : "";
    CHECK_MSG(strstr(h, "<h2>Title</h2>\n") != NULL, "%s", h); /* demoted */
    CHECK_MSG(strstr(h, "<p>some *text* with <strong>bold</strong>, <code>a&lt;b</code> and "
                        "*\nsecond line</p>\n") != NULL, "%s", h);
    CHECK_MSG(strstr(h, "<pre><code>x &lt; y &amp;&amp; z\n</code></pre>\n") != NULL, "%s", h);
    CHECK_MSG(strstr(h, "<table><tbody>\n<tr><th>a</th><th>b|c</th></tr>\n"
                        "<tr><td>1</td><td>2</td></tr>\n</tbody></table>\n") != NULL, "%s", h);
    CHECK(strstr(h, "---") == NULL);
    CHECK_MSG(strstr(h, "<p><img src=\"f.svg\" alt=\"\"></p>\n") != NULL, "%s", h);
    pn_buf_free(&b);
}

/* In a log (not a terminal), one line per finished round, the resumed
 * rounds counted in; nothing on epochs. */
static void results_progress_log_lines(void)
{
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    const char *names[] = {"mlp", "cnn_ws"};
    const double cost[] = {1.0, 3.0};
    const size_t epochs[] = {2, 2}, done[] = {1, 0};
    pn_progress p;
    pn_err err = {0};
    CHECK(pn_progress_init(&p, f, 2, names, cost, 2, epochs, done, &err) == PN_OK);
    pn_round_rec r = {.model = "cnn_ws", .round = 0, .seed = 4, .n_epochs = 2,
                      .train_acc = 0.5, .test_acc = 0.25, .seconds = 1.0};
    pn_progress_epoch(&p, 1, 1);
    pn_progress_round(&p, 1, &r);
    r.diverged = 1;
    r.round = 1;
    r.seed = 5;
    pn_progress_round(&p, 1, &r);
    pn_progress_end(&p);
    pn_progress_free(&p);
    char text[2048] = "";
    rewind(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    CHECK_MSG(strstr(text, "resuming: 1 of 4 rounds already finished\n") == text, "%s", text);
    /* rounds counted from 0 as in runs.csv, accuracies in percent as in the tables */
    CHECK_MSG(strstr(text, "\n[2/4] cnn_ws round 0 seed 4: train 50.00% test 25.00% (1.0 s)"),
              "%s", text);
    CHECK_MSG(strstr(text, "\n[3/4] cnn_ws round 1 seed 5: DIVERGED after 2 epochs"), "%s", text);
    CHECK_MSG(!strstr(text, "epoch 1/2") && !strchr(text, '\033'), "%s", text);
}

void suite_results(void)
{
    RUN(results_buf_printf_grows);
    RUN(results_atomic_write_round_trips);
    RUN(results_atomic_write_missing_dir_fails);
    RUN(results_atomic_write_late_failure_cleans_up);
    RUN(results_atomic_write_read_only_keeps_old);
    RUN(results_run_info_fill);
    RUN(results_table2_csv_parses_back);
    RUN(results_runs_csv_rows);
    RUN(results_fig4_svg);
    RUN(results_fig4_all_diverged);
    RUN(results_curves_svg);
    RUN(results_curves_without_per_epoch_accuracy);
    RUN(results_index_html);
    RUN(results_store_round_trips_digits);
    RUN(results_store_key_whole);
    RUN(results_provenance_counts_all_rounds);
    RUN(results_path_join_refuses_truncation);
    RUN(results_markdown_to_html);
    RUN(results_progress_log_lines);
    RUN(results_table2_digit_columns);
    RUN(results_runs_csv_digits_on_last_epoch);
    RUN(results_digits_svg);
    RUN(results_index_html_digits);
}
