/* README.md says what the committed results and the binary say: every
 * figure of its results tables is read back from results/table2.csv and
 * results/best/table2.csv (never typed by hand), its paired effects from
 * results/table2.md, its models table and best's recipe from the registry
 * and `pairnet models`, its scripts row from scripts/. A figure that drifts
 * from its source fails here. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/models/models.h"
#include "test.h"

#define PM " \xc2\xb1 "

static char readme[1 << 17];

static const char *read_readme(void)
{
    t_read_file("README.md", readme, sizeof readme);
    CHECK_MSG(readme[0], "README.md is not readable from the working directory");
    return readme;
}

/* The row of model in a table2.csv: its fields split at commas (none
 * quoted: the committed files hold plain model names). */
enum { F_MODEL, F_PARAMS, F_LR, F_BS, F_EPOCHS, F_ROUNDS, F_DIV, F_TRAIN, F_TRAIN_STD, F_TEST,
       F_TEST_STD, F_N = 15 };
static int csv_row(const char *path, const char *model, double f[F_N])
{
    static char text[1 << 14];
    t_read_file(path, text, sizeof text);
    char key[64];
    snprintf(key, sizeof key, "\n%s,", model);
    const char *p = strstr(text, key);
    if (!p)
        return 0;
    p += strlen(key);
    for (int i = 1; i < F_N; i++) {
        f[i] = *p == ',' || *p == '\n' ? NAN : strtod(p, NULL);
        p += strcspn(p, ",\n");
        if (*p == ',')
            p++;
    }
    return 1;
}

/* "98.43 ± 0.38" from a mean and std as fractions, as table2.md prints it. */
static void pm_text(char *out, size_t cap, double mean, double std)
{
    snprintf(out, cap, "%.2f" PM "%.2f", 100.0 * mean, 100.0 * std);
}

/* The cells of README's line that begins with prefix, or 0. */
static int readme_cells(const char *text, const char *prefix, char cell[8][64])
{
    const char *p = strstr(text, prefix);
    if (!p)
        return 0;
    int n = 0;
    p = strchr(p, '|');
    while (p && *p == '|' && n < 8) {
        p++;
        size_t len = strcspn(p, "|\n");
        while (len && p[len - 1] == ' ')
            len--;
        while (*p == ' ' && len)
            p++, len--;
        snprintf(cell[n++], 64, "%.*s", (int)len, p);
        p += strcspn(p, "|\n");
    }
    return n;
}

/* README's Table II: each model's train and test figure is results/
 * table2.csv's, and every model of the csv has its row. */
static void readme_table2_is_the_committed_csv(void)
{
    const char *text = strstr(read_readme(), "| model | pairnet train | pairnet test |");
    CHECK_MSG(text, "README has no Table II");
    if (!text)
        return;
    for (size_t m = 0; m < pn_study_model_count(); m++) {
        const char *name = pn_model_list(&(size_t){0})[m].name;
        double f[F_N];
        CHECK_MSG(csv_row("results/table2.csv", name, f), "results/table2.csv has no %s", name);
        char prefix[64], cell[8][64], train[64], test[64];
        snprintf(prefix, sizeof prefix, "\n| `%s` |", name);
        const int n = readme_cells(text, prefix, cell);
        CHECK_MSG(n >= 3, "README's Table II has no row for %s", name);
        if (n < 3)
            continue;
        pm_text(train, sizeof train, f[F_TRAIN], f[F_TRAIN_STD]);
        pm_text(test, sizeof test, f[F_TEST], f[F_TEST_STD]);
        CHECK_MSG(!strcmp(cell[1], train), "README: %s train %s, results/table2.csv %s", name,
                  cell[1], train);
        CHECK_MSG(!strcmp(cell[2], test), "README: %s test %s, results/table2.csv %s", name,
                  cell[2], test);
    }
}

/* Each paired effect README quotes, "+4.30 points (95% CI [+3.63, +4.97])"
 * or "+9.23 [+8.70, +9.75]", is a row of results/table2.md. */
static void readme_effects_are_the_committed_table(void)
{
    const char *text = read_readme();
    static char md[1 << 16];
    t_read_file("results/table2.md", md, sizeof md);
    const char *results = strstr(text, "\n## Results\n");
    const char *end = results ? strstr(results + 1, "\n## ") : NULL;
    CHECK_MSG(results && end, "README has no Results section");
    size_t found = 0;
    for (const char *p = results; p && p < end; p++) {
        p = strchr(p, '[');
        if (!p || p >= end)
            break;
        char lo[16], hi[16];
        if (sscanf(p, "[%15[-+0-9.], %15[-+0-9.]]", lo, hi) != 2)
            continue;
        /* the mean: the last signed number before the interval */
        const char *q = p;
        while (q > results && !((q[0] == '+' || q[0] == '-') && q[1] >= '0' && q[1] <= '9'))
            q--;
        char mean[16];
        if (sscanf(q, "%15[-+0-9.]", mean) != 1)
            continue;
        char row[96], ci[64];
        snprintf(row, sizeof row, "| %s | [%s, %s] |", mean, lo, hi);
        snprintf(ci, sizeof ci, "[%s, %s]", lo, hi);
        CHECK_MSG(strstr(md, row), "README's effect %s %s is no row of results/table2.md", mean,
                  ci);
        found++;
    }
    CHECK_MSG(found >= 3, "README quotes %zu paired effects, expected 3", found);
}

/* best's figures: "99.08 ± 0.38%" is results/best/table2.csv's, the intro's
 * "to 99.1%" its rounding, the single network's the no-ensemble ablation's. */
static void readme_best_is_the_committed_csv(void)
{
    const char *text = read_readme();
    double f[F_N];
    CHECK(csv_row("results/best/table2.csv", "best", f));
    char want[96];
    snprintf(want, sizeof want, "it reaches **%.2f" PM "%.2f%%**", 100 * f[F_TEST],
             100 * f[F_TEST_STD]);
    CHECK_MSG(strstr(text, want), "README does not say '%s' (results/best/table2.csv)", want);
    snprintf(want, sizeof want, "to %.1f%% on the same protocol", 100 * f[F_TEST]);
    CHECK_MSG(strstr(text, want), "README's intro does not say '%s'", want);
    CHECK(csv_row("results/ablation/no-ensemble/table2.csv", "best", f));
    snprintf(want, sizeof want, "one network alone reaches %.2f" PM "%.2f", 100 * f[F_TEST],
             100 * f[F_TEST_STD]);
    CHECK_MSG(strstr(text, want), "README does not say '%s' (the no-ensemble ablation)", want);
}

/* README's models table: parameters, lr and batch size of every model are
 * the registry's (pairnet models prints the same). */
static void readme_models_table_is_the_registry(void)
{
    const char *text = strstr(read_readme(), "| model | what it is | parameters | lr | batch |");
    CHECK_MSG(text, "README has no models table");
    if (!text)
        return;
    size_t n;
    const pn_model_info *list = pn_model_list(&n);
    for (size_t m = 0; m < n; m++) {
        pn_model_size size;
        pn_model_opts mo = {.aux_weight = 1.0};
        pn_err err = {0};
        CHECK_MSG(pn_model_measure(&list[m], &mo, &size, &err) == PN_OK, "%s", err.msg);
        char prefix[64], cell[8][64], want[32];
        snprintf(prefix, sizeof prefix, "\n| `%s` | ", list[m].name);
        const int k = readme_cells(text, prefix, cell);
        CHECK_MSG(k >= 5, "README's models table has no row for %s", list[m].name);
        if (k < 5)
            continue;
        snprintf(want, sizeof want, "%zu", size.params);
        CHECK_MSG(!strncmp(cell[2], want, strlen(want)) &&
                      (cell[2][strlen(want)] == '\0' || cell[2][strlen(want)] == ' '),
                  "README: %s has %s parameters, the registry %s", list[m].name, cell[2], want);
        snprintf(want, sizeof want, "%g", list[m].lr);
        CHECK_MSG(!strcmp(cell[3], want), "README: %s lr %s, the registry %s", list[m].name,
                  cell[3], want);
        snprintf(want, sizeof want, "%zu", list[m].bs);
        CHECK_MSG(!strcmp(cell[4], want), "README: %s batch %s, the registry %s", list[m].name,
                  cell[4], want);
    }
}

/* best's recipe, in README and docs/spec.md, is what `pairnet models`
 * prints: its "best:" line and the "  and:" line under it, verbatim. */
static void readme_best_recipe_is_pairnet_models(void)
{
    const char *bin = getenv("PAIRNET_BIN");
    if (!bin || !*bin) {
        t_skip("needs PAIRNET_BIN (run through make test)");
        return;
    }
    char cmd[1200], out[4096] = "";
    snprintf(cmd, sizeof cmd, "'%s' models", bin);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    if (!p)
        return;
    size_t len = fread(out, 1, sizeof out - 1, p);
    out[len] = '\0';
    CHECK(pclose(p) == 0);
    const char *best = strstr(out, "\nbest: ");
    CHECK_MSG(best, "pairnet models prints no best: line:\n%s", out);
    if (!best)
        return;
    char lines[2][512];
    const char *l = best + 1;
    for (int i = 0; i < 2; i++) {
        size_t n = strcspn(l, "\n");
        snprintf(lines[i], sizeof lines[i], "%.*s\n", (int)n, l);
        l += n + (l[n] == '\n');
    }
    CHECK_MSG(!strncmp(lines[1], "  and: ", 7), "no '  and:' line under best's:\n%s", out);
    static char spec[1 << 16];
    t_read_file("docs/spec.md", spec, sizeof spec);
    const char *text = read_readme();
    for (int i = 0; i < 2; i++) {
        CHECK_MSG(strstr(text, lines[i]), "README does not hold pairnet models' line %s",
                  lines[i]);
        CHECK_MSG(strstr(spec, lines[i]), "docs/spec.md does not hold pairnet models' line %s",
                  lines[i]);
    }
}

/* The layout table's scripts row names every script in scripts/. */
static void readme_names_every_script(void)
{
    const char *text = read_readme();
    const char *row = strstr(text, "\n| `scripts/` |");
    CHECK_MSG(row, "README's layout table has no scripts/ row");
    if (!row)
        return;
    char line[2048];
    snprintf(line, sizeof line, "%.*s", (int)strcspn(row + 1, "\n"), row + 1);
    DIR *d = opendir("scripts");
    CHECK(d != NULL);
    if (!d)
        return;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        const size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".sh"))
            continue;
        n++;
        CHECK_MSG(strstr(line, e->d_name), "README's scripts row does not name %s", e->d_name);
    }
    closedir(d);
    CHECK(n >= 5);
}

void suite_readme(void)
{
    RUN(readme_table2_is_the_committed_csv);
    RUN(readme_effects_are_the_committed_table);
    RUN(readme_best_is_the_committed_csv);
    RUN(readme_models_table_is_the_registry);
    RUN(readme_best_recipe_is_pairnet_models);
    RUN(readme_names_every_script);
}
