/* Paired effects (src/report/effects.c) on rounds made here, and the fact
 * the pairing rests on: a seed alone decides a round's pairs. */
#include "test.h"

#include "pairnet/data/mnist.h"
#include "pairnet/report/effects.h"
#include "pairnet/report/results.h"
#include "pairnet/train/train.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static pn_round_rec rec(const char *model, uint64_t seed, double test, int diverged)
{
    pn_round_rec r;
    memset(&r, 0, sizeof r);
    snprintf(r.model, sizeof r.model, "%s", model);
    r.seed = seed;
    r.test_acc = diverged ? NAN : test;
    r.diverged = diverged;
    return r;
}

static void effects_pair_by_seed(void)
{
    /* cnn seeds 0..4; cnn_ws the same seeds in another order, +1 point each
     * except seed 3 (+3), seed 2 diverged; mlp absent: no cnn - mlp effect */
    pn_round_rec r[10];
    const double base[5] = {0.80, 0.82, 0.79, 0.81, 0.83};
    for (int s = 0; s < 5; s++)
        r[s] = rec("cnn", (uint64_t)s, base[s], 0);
    const int order[5] = {4, 2, 0, 3, 1};
    for (int i = 0; i < 5; i++) {
        const int s = order[i];
        r[5 + i] = rec("cnn_ws", (uint64_t)s, base[s] + (s == 3 ? 0.03 : 0.01), s == 2);
    }
    pn_effect e[PN_MAX_EFFECTS];
    const size_t n = pn_effects(r, 10, e);
    CHECK(n == 1);
    if (n != 1)
        return;
    CHECK(strcmp(e[0].a, "cnn_ws") == 0 && strcmp(e[0].b, "cnn") == 0);
    CHECK(strcmp(e[0].what, "weight sharing") == 0);
    CHECK(e[0].r.n == 4); /* seed 2 dropped: it diverged for cnn_ws */
    CHECK_NEAR(e[0].r.mean, (1.0 + 1.0 + 3.0 + 1.0) / 4.0, 1e-9);
    CHECK(e[0].r.n_a == 4 && e[0].r.n_b == 0);
    CHECK_NEAR(e[0].r.p_wilcoxon, 2.0 / 16.0, 1e-12);

    pn_buf b = {0};
    pn_effects_markdown(&b, e, n);
    CHECK(!b.failed && b.data && strstr(b.data, "| weight sharing | cnn_ws − cnn | 4 | +1.50 |"));
    pn_buf_free(&b);
    pn_err err = {0};
    CHECK(pn_write_effects_svg(t_tmp_dir(), e, n, &err) == 0);
    char path[600], svg[16384];
    snprintf(path, sizeof path, "%s/effects.svg", t_tmp_dir());
    t_read_file(path, svg, sizeof svg);
    CHECK(strstr(svg, "<svg") && strstr(svg, "weight sharing") && strstr(svg, "+1.50"));
}

static void effects_of_the_study_in_order(void)
{
    static const char *models[] = {"mlp", "cnn", "cnn_ws", "cnn_al", "cnn_ws_al", "best"};
    pn_round_rec r[6 * 3];
    for (size_t m = 0; m < 6; m++)
        for (size_t s = 0; s < 3; s++)
            r[m * 3 + s] = rec(models[m], s, 0.7 + 0.05 * (double)m + 0.001 * (double)s, 0);
    pn_effect e[PN_MAX_EFFECTS];
    CHECK(pn_effects(r, 18, e) == 7);
    CHECK(strcmp(e[3].a, "cnn_ws_al") == 0 && strcmp(e[3].b, "cnn_al") == 0);
    CHECK(strcmp(e[6].a, "best") == 0);
    CHECK_NEAR(e[1].r.mean, 10.0, 1e-9); /* cnn_al - cnn: two steps of 5 points */
    CHECK(e[1].r.sd == 0.0 && isnan(e[1].r.p_t)); /* no spread: no t */
    /* nothing to compare */
    CHECK(pn_effects(r, 3, e) == 0);
}

/* The pairs of a round depend on its seed alone: every model of a bench
 * with the same seed trains and is tested on the same pairs. */
static void same_seed_same_pairs(void)
{
    const char *dir = t_data_dir();
    if (!dir)
        return;
    pn_mnist m;
    pn_err err = {0};
    if (pn_mnist_load(dir, &m, &err) != 0) {
        t_fail(__FILE__, __LINE__, "%s", err.msg);
        return;
    }
    pn_round_data a, b, c;
    CHECK(pn_round_data_make(&m, PN_PAIRS, 7, &a, &err) == 0);
    CHECK(pn_round_data_make(&m, PN_PAIRS, 7, &b, &err) == 0);
    CHECK(pn_round_data_make(&m, PN_PAIRS, 8, &c, &err) == 0);
    const size_t ni = 2 * PN_PAIRS * sizeof(size_t), nx = PN_PAIRS * 2 * 14 * 14 * sizeof(float);
    CHECK(memcmp(a.train.index, b.train.index, ni) == 0 && memcmp(a.test.index, b.test.index, ni) == 0);
    CHECK(memcmp(a.train.x, b.train.x, nx) == 0 && memcmp(a.test.x, b.test.x, nx) == 0);
    CHECK(memcmp(a.test.index, c.test.index, ni) != 0);
    pn_round_data_free(&a);
    pn_round_data_free(&b);
    pn_round_data_free(&c);
    pn_mnist_free(&m);
}

/* fig4.svg marks the study's mean beside the models it reports, and only those. */
static void fig4_marks_the_study(void)
{
    pn_round_rec r[4] = {rec("cnn", 0, 0.80, 0), rec("cnn", 1, 0.82, 0), rec("best", 0, 0.98, 0),
                         rec("best", 1, 0.99, 0)};
    char dir[600], path[700], svg[65536];
    pn_err err = {0};
    snprintf(dir, sizeof dir, "%s", t_tmp_dir());
    snprintf(path, sizeof path, "%s/fig4.svg", dir);
    CHECK(pn_write_fig4_svg(dir, r, 4, &err) == 0);
    t_read_file(path, svg, sizeof svg);
    CHECK_MSG(strstr(svg, "mean test accuracy (its Table II)") != NULL, "no study marker legend");
    CHECK(pn_write_fig4_svg(dir, r + 2, 2, &err) == 0); /* best alone: the study has no figure */
    t_read_file(path, svg, sizeof svg);
    CHECK(strstr(svg, "<svg") && !strstr(svg, "(its Table II)"));
}

static pn_model_summary summary(const char *model, size_t rounds, size_t diverged)
{
    pn_model_summary m;
    memset(&m, 0, sizeof m);
    snprintf(m.model, sizeof m.model, "%s", model);
    m.rounds = rounds;
    m.diverged = diverged;
    m.train_mean = m.test_mean = rounds ? 0.8123 : NAN;
    m.train_std = m.test_std = rounds > 1 ? 0.01 : rounds ? 0.0 : NAN;
    m.digit_mean = m.digit_std = m.argmax_mean = m.argmax_std = NAN;
    return m;
}

/* One round has no spread (a dash, not 0.00); a model whose rounds all
 * diverged says so; the effects stand under Table II and in index.html. */
static void table2_one_round_diverged_and_effects(void)
{
    pn_model_summary s[3] = {summary("cnn", 1, 0), summary("cnn_ws", 0, 3), summary("mlp", 4, 1)};
    pn_round_rec r[4] = {rec("cnn", 0, 0.80, 0), rec("cnn", 1, 0.82, 0), rec("cnn_ws", 0, 0.83, 0),
                         rec("cnn_ws", 1, 0.86, 0)};
    pn_effect e[PN_MAX_EFFECTS];
    const size_t ne = pn_effects(r, 4, e);
    pn_run_info info;
    memset(&info, 0, sizeof info);
    pn_err err = {0};
    char dir[600], path[700];
    static char md[65536], html[262144];
    snprintf(dir, sizeof dir, "%s", t_tmp_dir());
    CHECK(pn_write_table2(dir, s, 3, e, ne, &info, &err) == 0);
    snprintf(path, sizeof path, "%s/table2.md", dir);
    t_read_file(path, md, sizeof md);
    CHECK_MSG(strstr(md, "| 81.23 \xc2\xb1 \xe2\x80\x94 |"), "one round shows a spread:\n%s", md);
    CHECK_MSG(!strstr(md, "\xc2\xb1 0.00"), "a std of 0.00 for one round:\n%s", md);
    CHECK_MSG(strstr(md, "diverged (3 of 3 rounds)"), "no 'diverged (3 of 3 rounds)':\n%s", md);
    CHECK_MSG(!strstr(md, "| nan") && !strstr(md, "nan \xc2\xb1"), "a nan in:\n%s", md);
    CHECK_MSG(strstr(md, "## Paired effects") && strstr(md, "| weight sharing | cnn_ws − cnn | 2 |"),
              "no effects under Table II:\n%s", md);
    CHECK(pn_write_effects_svg(dir, e, ne, &err) == 0);
    CHECK(pn_write_index_html(dir, s, 3, e, ne, &info, &err) == 0);
    snprintf(path, sizeof path, "%s/index.html", dir);
    t_read_file(path, html, sizeof html);
    CHECK(strstr(html, "Paired effects") && strstr(html, "Paired effects on test accuracy"));
}

/* The effects of one table are one family: each p beside its Holm
 * adjustment over the table's effects (pn_holm, tested in test_paired.c),
 * for the t-tests and the Wilcoxon tests apart. */
static void effects_holm_over_the_table(void)
{
    const double cnn[5] = {0.800, 0.820, 0.790, 0.810, 0.830};
    const double ws[5] = {0.812, 0.826, 0.805, 0.812, 0.845}; /* +1.2 +0.6 +1.5 +0.1 +1.5 */
    const double al[5] = {0.803, 0.818, 0.794, 0.815, 0.832}; /* +0.3 -0.2 +0.4 +0.5 +0.2 */
    pn_round_rec r[15];
    for (int s = 0; s < 5; s++) {
        r[s] = rec("cnn", (uint64_t)s, cnn[s], 0);
        r[5 + s] = rec("cnn_ws", (uint64_t)s, ws[s], 0);
        r[10 + s] = rec("cnn_al", (uint64_t)s, al[s], 0);
    }
    pn_effect e[PN_MAX_EFFECTS];
    const size_t n = pn_effects(r, 15, e);
    CHECK(n == 2);
    if (n != 2)
        return;
    const double pt[2] = {e[0].r.p_t, e[1].r.p_t}, pw[2] = {e[0].r.p_wilcoxon, e[1].r.p_wilcoxon};
    const double lo = pt[0] < pt[1] ? pt[0] : pt[1], hi = pt[0] < pt[1] ? pt[1] : pt[0];
    CHECK(pt[0] < 0.05 && pt[1] < 0.5); /* both tests ran */
    for (int i = 0; i < 2; i++) {
        const double want = pt[i] == lo ? 2 * lo : (hi > 2 * lo ? hi : 2 * lo);
        CHECK_NEAR(e[i].p_t_holm, want < 1 ? want : 1, 1e-15);
        const double wlo = pw[0] < pw[1] ? pw[0] : pw[1];
        const double wwant = pw[i] == wlo ? 2 * wlo : (pw[i] > 2 * wlo ? pw[i] : 2 * wlo);
        CHECK_NEAR(e[i].p_wilcoxon_holm, wwant < 1 ? wwant : 1, 1e-15);
    }
    pn_buf b = {0};
    pn_effects_markdown(&b, e, n);
    char row[256];
    snprintf(row, sizeof row, "| %.4f | %.4f | %.4f | %.4f |", pt[0], e[0].p_t_holm, pw[0],
             e[0].p_wilcoxon_holm);
    CHECK_MSG(b.data && strstr(b.data, row) && strstr(b.data, "| Holm t p |") &&
                  strstr(b.data, "Holm adjustment over the 2 effects of this table"),
              "no '%s' in:\n%s", row, b.data ? b.data : "");
    pn_buf_free(&b);
}

void suite_effects(void)
{
    RUN(effects_holm_over_the_table);
    RUN(table2_one_round_diverged_and_effects);
    RUN(fig4_marks_the_study);
    RUN(effects_pair_by_seed);
    RUN(effects_of_the_study_in_order);
    RUN(same_seed_same_pairs);
}
