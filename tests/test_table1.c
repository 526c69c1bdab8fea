/* pairnet table1 and pairnet models' machine-readable forms: Table I as
 * the scripts' awk wrote it, byte for byte. tests/table1/ holds a tiny grid
 * pair (2 models x 2 lr x 2 bs of scripts/grid.sh, one all-diverged and one
 * partly diverged cell, and a model beyond the study with a learning rate
 * of its own) and, in expected/, the tables the awk scripts wrote from it
 * before the binary took over, since edited where the binary says more
 * (the rounds and epochs of a cell; no study columns off the study's
 * protocol); their provenance lines differ by nature: date, machine,
 * revision, wall time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "pairnet/models/models.h"
#include "pairnet/report/results.h"
#include "pairnet/report/table1.h"
#include "test.h"

#define FIX "tests/table1"

static const char *bin(void)
{
    const char *b = getenv("PAIRNET_BIN");
    return b && *b ? b : "./pairnet";
}

/* text cut right after the provenance's command block: what follows (date,
 * machine, revision, wall time) differs from run to run. Returns what was
 * cut off. */
static char *cut_after_command(char *text)
{
    char *p = strstr(text, "## Provenance\n");
    char *fence = p ? strstr(p, "\n```\n") : NULL;
    if (!fence)
        return NULL;
    fence += 5;
    static char rest[4096];
    snprintf(rest, sizeof rest, "%s", fence);
    *fence = '\0';
    return rest;
}

static void table1_study_matches_the_scripts_tables(void)
{
    char cmd[2048], path[1024];
    static char want[65536], got[65536];
    const char *t = t_tmp_dir();
    snprintf(cmd, sizeof cmd, "%s table1 --validation " FIX "/validation --test " FIX "/test "
             "--out '%s/t1' --command 'make table1' 2>/dev/null", bin(), t);
    CHECK(t_sh(cmd) == 0);
    t_read_file(FIX "/expected/table1.md", want, sizeof want);
    snprintf(path, sizeof path, "%s/t1/table1.md", t);
    t_read_file(path, got, sizeof got);
    char *rest = cut_after_command(got);
    CHECK_MSG(cut_after_command(want) && rest, "no provenance command block");
    CHECK_MSG(strcmp(want, got) == 0, "table1.md differs from the scripts' before its "
              "provenance lines:\n%s", got);
    CHECK_MSG(rest && strstr(rest, "\n- date: ") && strstr(rest, "\n- revision: ") &&
                  strstr(rest, "\n- machine: "), "provenance lines missing: %s", rest);
    t_read_file(FIX "/expected/table1.csv", want, sizeof want);
    snprintf(path, sizeof path, "%s/t1/table1.csv", t);
    t_read_file(path, got, sizeof got);
    CHECK_MSG(want[0] && strcmp(want, got) == 0, "table1.csv differs:\n%s", got);
}

static void table1_single_grid_matches_the_scripts_table(void)
{
    char cmd[2048], path[1024];
    static char want[65536], got[65536];
    snprintf(path, sizeof path, "%s/single.md", t_tmp_dir());
    snprintf(cmd, sizeof cmd, "%s table1 --grid " FIX "/test/ --md '%s' 2>/dev/null", bin(), path);
    CHECK(t_sh(cmd) == 0);
    t_read_file(FIX "/expected/single.md", want, sizeof want);
    t_read_file(path, got, sizeof got);
    CHECK_MSG(want[0] && strcmp(want, got) == 0, "single.md differs:\n%s", got);
}

/* Table I says its rounds and epochs, and sets pairnet's figures beside
 * the study's only when every cell ran the study's protocol (15 rounds of
 * 45 epochs): the fixture's 2 rounds of 1 epoch get a note instead; the
 * same grid relabelled as 15 rounds of 45 epochs gets the columns. */
static void table1_study_columns_only_at_the_study_protocol(void)
{
    char cmd[4096], path[1024];
    static char got[65536];
    const char *t = t_tmp_dir();
    snprintf(cmd, sizeof cmd, "%s table1 --validation " FIX "/validation --test " FIX "/test "
             "--out '%s/t1short' 2>/dev/null", bin(), t);
    CHECK(t_sh(cmd) == 0);
    snprintf(path, sizeof path, "%s/t1short/table1.md", t);
    t_read_file(path, got, sizeof got);
    CHECK_MSG(strstr(got, "2 rounds of 1 epoch per cell;") && !strstr(got, "study's test acc") &&
                  strstr(got, "No column sets these figures beside the study's: its Table II "
                              "comes from 15 rounds of 45 epochs per cell, this grid ran 2 "
                              "rounds of 1 epoch per cell."), "%s", got);
    /* every cell relabelled: epochs 45, rounds + diverged 15 */
    snprintf(cmd, sizeof cmd, "rm -rf '%s/g45' && mkdir -p '%s/g45' && cp -R " FIX "/validation "
             FIX "/test '%s/g45/' && for f in $(find '%s/g45' -name table2.csv); do "
             "awk -F, -v OFS=, 'NR > 1 { $5 = 45; $6 = 15 - $7 } { print }' \"$f\" > \"$f.new\" "
             "&& mv \"$f.new\" \"$f\"; done && %s table1 --validation '%s/g45/validation' "
             "--test '%s/g45/test' --out '%s/t1study' 2>/dev/null", t, t, t, t, bin(), t, t, t);
    CHECK(t_sh(cmd) == 0);
    snprintf(path, sizeof path, "%s/t1study/table1.md", t);
    t_read_file(path, got, sizeof got);
    CHECK_MSG(strstr(got, "15 rounds of 45 epochs per cell (the study's protocol);") &&
                  strstr(got, "| the study: lr / bs | study's test acc | pairnet, study's cell, "
                              "test acc |") && !strstr(got, "No column sets"), "%s", got);
}

/* The heatmaps: one figure per cell, the chosen cells outlined, the
 * study's dashed, a model name that is markup shown as text. */
static void table1_heatmaps_escape_and_mark(void)
{
    char cmd[4096], path[1024];
    static char svg[65536];
    const char *t = t_tmp_dir();
    snprintf(cmd, sizeof cmd, "d='%s/hm' && rm -rf \"$d\" && mkdir -p \"$d/v/x/c\" \"$d/t/x/c\" && "
             "cp -R " FIX "/validation/mlp \"$d/v/\" && cp -R " FIX "/test/mlp \"$d/t/\" && "
             "for s in v t; do printf 'model,lr,bs,epochs,rounds,diverged,train_mean,train_std,"
             "test_mean,test_std\\n<b>&x,0.01,50,1,2,0,0.5,0.1,0.5,0.1\\n' > \"$d/$s/x/c/table2.csv\"; "
             "done && %s table1 --validation \"$d/v\" --test \"$d/t\" --out \"$d/out\" 2>/dev/null",
             t, bin());
    CHECK(t_sh(cmd) == 0);
    snprintf(path, sizeof path, "%s/hm/out/heatmap-validation.svg", t);
    t_read_file(path, svg, sizeof svg);
    CHECK_MSG(strstr(svg, "&lt;b&gt;&amp;x") && !strstr(svg, "<b>"), "model name not escaped");
    CHECK_MSG(strstr(svg, ">77.50</text>") && strstr(svg, "stroke=\"#D55E00\"") &&
                  strstr(svg, "stroke-dasharray"), "no figure, chosen or study outline:\n%s", svg);
    size_t n = strlen(svg);
    CHECK_MSG(n > 7 && strcmp(svg + n - 7, "</svg>\n") == 0, "heatmap not closed");
}

static void table1_refuses_what_it_cannot_read(void)
{
    char cmd[2048], err[2048], path[700];
    snprintf(path, sizeof path, "%s/t1-err.txt", t_tmp_dir());
    snprintf(cmd, sizeof cmd, "%s table1 --grid /no/such --md /dev/null 2>'%s'", bin(), path);
    CHECK(t_sh(cmd) == 3);
    t_read_file(path, err, sizeof err);
    CHECK_MSG(strstr(err, "no grid cell in '/no/such'") && strstr(err, "run scripts/grid.sh"),
              "%s", err);
    snprintf(cmd, sizeof cmd, "%s table1 --grid " FIX "/test 2>'%s'", bin(), path);
    CHECK(t_sh(cmd) == 2);
    snprintf(cmd, sizeof cmd, "%s table1 --grid " FIX "/test --md x --out y 2>'%s'", bin(), path);
    CHECK(t_sh(cmd) == 2);
}

/* table1.csv read back (what index.html shows) gives the very choice rows
 * of its table1.md: for the fixture's and for the committed results/table1/
 * (which stays as it is). */
static void table1_csv_reads_back_to_the_choice_rows(void)
{
    static const char *const dirs[] = {FIX "/expected", "results/table1"};
    for (size_t d = 0; d < 2; d++) {
        char path[256];
        static char md[1 << 16];
        pn_t1 t = {0};
        pn_err err = {0};
        snprintf(path, sizeof path, "%s/table1.csv", dirs[d]);
        CHECK_MSG(pn_t1_read_study_csv(&t, path, &err) == PN_OK, "%s", err.msg);
        snprintf(path, sizeof path, "%s/table1.md", dirs[d]);
        t_read_file(path, md, sizeof md);
        CHECK(t.n_models >= 3);
        for (size_t m = 0; m < t.n_models; m++) {
            pn_t1_text cell[PN_T1_CHOICE_COLS];
            char row[1024];
            pn_t1_choice_cells(&t, m, cell);
            int n = snprintf(row, sizeof row, "| %s | %s | %s | **%s** | %s | %s |", t.models[m],
                             cell[0], cell[1], cell[2], cell[3], cell[4]);
            /* the study's columns only at its protocol (the committed run is) */
            CHECK(pn_t1_study_protocol(&t) == (d == 1));
            if (pn_t1_study_protocol(&t))
                n += snprintf(row + n, sizeof row - (size_t)n, " %s | %s | %s |", cell[5],
                              cell[6], cell[7]);
            snprintf(row + n, sizeof row - (size_t)n, "\n");
            CHECK_MSG(strstr(md, row) != NULL, "%s: no row %s", dirs[d], row);
        }
        pn_t1_free(&t);
    }
}

/* index.html's Table I comes from table1.csv, heatmaps inlined. */
static void table1_index_html_from_the_data(void)
{
    char dir[400], cmd[1600];
    snprintf(dir, sizeof dir, "%s/t1page", t_tmp_dir());
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s/table1' && cp results/table1/table1.csv "
             "results/table1/heatmap-*.svg '%s/table1/'", dir, dir, dir);
    CHECK(t_sh(cmd) == 0);
    pn_model_summary s;
    memset(&s, 0, sizeof s);
    snprintf(s.model, sizeof s.model, "mlp");
    s.rounds = 1;
    pn_run_info info;
    memset(&info, 0, sizeof info);
    pn_err err = {0};
    CHECK(pn_write_index_html(dir, &s, 1, NULL, 0, &info, &err) == PN_OK);
    static char h[1 << 20];
    char path[700];
    snprintf(path, sizeof path, "%s/index.html", dir);
    t_read_file(path, h, sizeof h);
    CHECK_MSG(strstr(h, "<tr><td>cnn_ws_al</td><td>0.1 / 25</td><td>94.21 \xc2\xb1 0.79</td>"
                        "<td><strong>94.18 \xc2\xb1 1.22</strong></td>") &&
                  strstr(h, "Table I grid, validation rounds") &&
                  strstr(h, "Table I grid, test rounds"),
              "no Table I from table1.csv with its heatmaps");
}

/* What scripts read instead of spelling the models: the registry's list. */
static void models_machine_readable_is_the_registry(void)
{
    char cmd[2048], path[700], out[4096], want[4096] = "model\tlr\tbs\tstudy_test\n";
    size_t n;
    const pn_model_info *m = pn_model_list(&n);
    for (size_t i = 0; i < n; i++) {
        char line[256];
        if (i < pn_study_model_count())
            snprintf(line, sizeof line, "%s\t%g\t%zu\t%g\n", m[i].name, m[i].lr, m[i].bs,
                     m[i].study_test);
        else
            snprintf(line, sizeof line, "%s\t%g\t%zu\t\n", m[i].name, m[i].lr, m[i].bs);
        strcat(want, line);
    }
    snprintf(path, sizeof path, "%s/models.tsv", t_tmp_dir());
    snprintf(cmd, sizeof cmd, "%s models --tsv > '%s'", bin(), path);
    CHECK(t_sh(cmd) == 0);
    t_read_file(path, out, sizeof out);
    CHECK_MSG(strcmp(out, want) == 0, "models --tsv:\n%s\nwant:\n%s", out, want);
    snprintf(cmd, sizeof cmd, "%s models --study > '%s'", bin(), path);
    CHECK(t_sh(cmd) == 0);
    t_read_file(path, out, sizeof out);
    CHECK_MSG(strcmp(out, "mlp\ncnn\ncnn_ws\ncnn_al\ncnn_ws_al\n") == 0, "models --study: %s", out);
    snprintf(cmd, sizeof cmd, "%s models --names | tail -n 1 | grep -qx best", bin());
    CHECK(t_sh(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s models --bogus 2>/dev/null", bin());
    CHECK(t_sh(cmd) == 2);
}

void suite_table1(void)
{
    RUN(table1_study_matches_the_scripts_tables);
    RUN(table1_single_grid_matches_the_scripts_table);
    RUN(table1_study_columns_only_at_the_study_protocol);
    RUN(table1_heatmaps_escape_and_mark);
    RUN(table1_refuses_what_it_cannot_read);
    RUN(table1_csv_reads_back_to_the_choice_rows);
    RUN(table1_index_html_from_the_data);
    RUN(models_machine_readable_is_the_registry);
}
