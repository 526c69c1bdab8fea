/* scripts/ablation.sh on a tiny ablation, and a quick one in a clean clone
 * that must stay clean. */
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

/* Two variants of two rounds of one epoch on the real data, chosen through
 * ABLATION_VARIANTS: ablation.md has a row per variant whose accuracy,
 * rounds are those of the benches' table2.csv and whose paired columns are
 * those of pairnet compare (two rounds, so that they hold an interval). */
static void ablation_script_tiny(void)
{
    if (!t_data_dir())
        return;
    const char *b = getenv("PAIRNET_BIN"), *t = t_tmp_dir();
    static char md[16384], csv[2][4096];
    char cmd[4096], path[1024];
    snprintf(cmd, sizeof cmd,
             "ABLATION_VARIANTS=full,no-dropout bash scripts/ablation.sh --bin '%s' --out '%s/abl' "
             "--rounds 2 --epochs 1 --data '%s' >'%s/abl.log' 2>&1",
             b && *b ? b : "./pairnet", t, t_data_dir(), t);
    int st = t_sh(cmd);
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
        CHECK_MSG(strcmp(r, "2") == 0 && strstr(line, " | 2 | `"), "rounds: %s", line);
        snprintf(want, sizeof want, "bench --models best --eval-final --out %s/abl/ablation/%s%s "
                 "--rounds 2 --epochs 1 --data", t, name[v], v ? " --dropout 0" : "");
        CHECK_MSG(strstr(line, want), "row lacks the command '%s': %s", want, line);
        if (v == 1) {
            snprintf(want, sizeof want, "| %+.2f |", 100 * (mean[1] - mean[0]));
            CHECK_MSG(strstr(line, want), "row lacks the difference '%s': %s", want, line);
            /* the paired columns are pairnet compare's, cell for cell */
            char tsv[1024], cells[512];
            snprintf(cmd, sizeof cmd, "'%s' compare --models best --format tsv '%s/abl/ablation/"
                     "no-dropout' '%s/abl/ablation/full' | tail -n 1 | cut -f 4-9 | "
                     "sed 's/\t/ | /g' >'%s/abl_tsv.txt'", b && *b ? b : "./pairnet", t, t, t);
            CHECK(t_sh(cmd) == 0);
            snprintf(path, sizeof path, "%s/abl_tsv.txt", t);
            t_read_file(path, tsv, sizeof tsv);
            snprintf(cells, sizeof cells, "| %.*s |", (int)strcspn(tsv, "\n"), tsv);
            CHECK_MSG(tsv[0] && strstr(line, cells), "row lacks compare's cells '%s': %s", cells,
                      line);
        } else
            CHECK(strstr(line, "| reference | \xe2\x80\x94 | \xe2\x80\x94 |") != NULL);
    }
    CHECK(strstr(md, "| no-shift |") == NULL); /* only the two chosen */
    CHECK(strstr(md, "| Δ vs full (points) | 95% CI | paired t p | Holm t p | Wilcoxon p | "
                     "Holm Wilcoxon p |") != NULL);
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
    st = t_sh(cmd);
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
    if (t_sh("command -v git >/dev/null 2>&1 && git rev-parse --show-toplevel >/dev/null 2>&1")) {
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
    CHECK_MSG(t_sh(cmd) == 0, "git clone of %s failed", root);
    snprintf(cmd, sizeof cmd, "cd '%s/clone' && '%s' bench --models mlp --rounds 1 --epochs 1 "
             "--data '%s' >'%s/clone.out' 2>'%s/clone.err'", t, bin, t_data_dir(), t, t);
    int st = t_sh(cmd);
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
    CHECK_MSG(t_sh(cmd) == 0, "the clone is not clean after a bench without --out");

    snprintf(cmd, sizeof cmd, "cd '%s/clone' && bash '%s/scripts/ablation.sh' --bin '%s' "
             "--rounds 1 --epochs 1 --variants full --data '%s' >'%s/clone-abl.log' 2>&1 && "
             "ls runs/ablation-*/ablation.md runs/ablation-*/ablation/full/table2.csv >/dev/null",
             t, root, bin, t_data_dir(), t);
    st = t_sh(cmd);
    snprintf(path, sizeof path, "%s/clone-abl.log", t);
    t_read_file(path, out, sizeof out);
    CHECK_MSG(st == 0, "quick ablation in the clone: exit %d, or no runs/ablation-*:\n%s", st,
              out);
    snprintf(cmd, sizeof cmd, "cd '%s/clone' && test -z \"$(git status --porcelain)\"", t);
    CHECK_MSG(t_sh(cmd) == 0, "the clone is not clean after a quick ablation");
}

void suite_ablation(void)
{
    RUN(ablation_script_tiny);
    RUN(runner_clean_clone_stays_clean);
}
