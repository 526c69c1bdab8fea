/* The figures as a reader sees them: well-formed SVG with every string
 * escaped, the networks (Figs. 1-3) equal to the graphs the builders make,
 * one colour per model in every figure, clean empty and diverged states,
 * Table I's colour scale and no empty band at the bottom of a figure. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pairnet/models/models.h"
#include "pairnet/models/train_cfg.h"
#include "pairnet/report/fig_network.h"
#include "pairnet/report/results.h"
#include "pairnet/report/svg.h"
#include "pairnet/report/table1.h"

/* ---- helpers ------------------------------------------------------------- */

static const char *fig_dir(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/fig_%s", t_tmp_dir(), name);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        t_fail(__FILE__, __LINE__, "mkdir %s: %s", path, strerror(errno));
    return path;
}

static char *read_fig(const char *dir, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static const size_t cap = 1 << 21;
    char *s = malloc(cap);
    size_t n = s ? fread(s, 1, cap - 1, f) : 0;
    fclose(f);
    if (s)
        s[n] = '\0';
    return s;
}

/* 1 if s[0..) starts an entity reference the SVG may hold. */
static int entity_ok(const char *s)
{
    static const char *const known[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;", NULL};
    for (size_t i = 0; known[i]; i++)
        if (strncmp(s, known[i], strlen(known[i])) == 0)
            return 1;
    return 0;
}

/* Well-formed XML, as far as pairnet's figures go: one root, every element
 * closed in order, every attribute quoted, no raw '<' or '&' in text or
 * values. why receives the first problem. */
static int xml_ok(const char *s, char *why, size_t cap)
{
    char stack[64][32];
    size_t depth = 0, roots = 0;
    for (const char *p = s; *p;) {
        if (*p == '&' && !entity_ok(p))
            return snprintf(why, cap, "raw & at %.40s", p), 0;
        if (*p != '<') {
            p++;
            continue;
        }
        const int closing = p[1] == '/';
        p += 1 + closing;
        size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
        if (!n || n >= 32)
            return snprintf(why, cap, "bad tag at %.40s", p), 0;
        if (closing) {
            if (!depth || strncmp(stack[depth - 1], p, n) || stack[depth - 1][n] || p[n] != '>')
                return snprintf(why, cap, "unbalanced </%.*s>", (int)n, p), 0;
            depth--;
            p += n + 1;
            continue;
        }
        if (depth == 0)
            roots++;
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)n, p);
        for (p += n;;) {
            p += strspn(p, " \t\n");
            if (*p == '>' || (p[0] == '/' && p[1] == '>'))
                break;
            size_t a = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-:");
            if (!a || p[a] != '=' || p[a + 1] != '"')
                return snprintf(why, cap, "bad attribute in <%s> at %.40s", name, p), 0;
            for (p += a + 2; *p != '"'; p++)
                if (!*p || *p == '<' || (*p == '&' && !entity_ok(p)))
                    return snprintf(why, cap, "bad value in <%s>", name), 0;
            p++;
        }
        if (*p == '>') {
            if (depth == 64)
                return snprintf(why, cap, "too deep"), 0;
            snprintf(stack[depth++], sizeof stack[0], "%s", name);
            p++;
        } else
            p += 2;
    }
    if (depth || roots != 1)
        return snprintf(why, cap, "%zu open elements, %zu roots", depth, roots), 0;
    return 1;
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

/* The height of the root's viewBox and the lowest y any element uses. */
static void extent(const char *svg, double *height, double *lowest)
{
    double x0, y0, w;
    *height = 0;
    *lowest = 0;
    const char *vb = strstr(svg, "viewBox=\"");
    if (vb)
        sscanf(vb, "viewBox=\"%lf %lf %lf %lf", &x0, &y0, &w, height);
    static const char *const keys[] = {" y=\"", " y1=\"", " y2=\"", " cy=\"", NULL};
    for (size_t k = 0; keys[k]; k++)
        for (const char *p = svg; (p = strstr(p, keys[k])) != NULL; p++) {
            double v = 0, h = 0;
            sscanf(p + strlen(keys[k]), "%lf", &v);
            const char *end = strchr(p, '>');
            const char *hp = strstr(p, " height=\"");
            if (hp && end && hp < end && k == 0)
                sscanf(hp + 9, "%lf", &h);
            if (v + h > *lowest && v + h < 1e6)
                *lowest = v + h;
        }
}

/* Rounds of the named models, `rounds` each over `epochs` epochs, accuracy
 * rising; every round of the models in `diverged` (a mask) diverged after
 * diverge_at epochs. */
static pn_round_rec *rounds_of(const char *const *models, size_t n_models, size_t rounds,
                               size_t epochs, unsigned diverged, size_t diverge_at)
{
    pn_round_rec *r = calloc(n_models * rounds, sizeof *r);
    for (size_t m = 0; r && m < n_models; m++)
        for (size_t i = 0; i < rounds; i++) {
            pn_round_rec *x = &r[m * rounds + i];
            snprintf(x->model, sizeof x->model, "%s", models[m]);
            x->round = i;
            x->seed = 1000 + i;
            x->diverged = (diverged >> m) & 1;
            x->n_epochs = x->diverged ? diverge_at : epochs;
            x->epochs = calloc(x->n_epochs, sizeof *x->epochs);
            const double final = 0.8 + 0.02 * (double)m + 0.003 * (double)i;
            for (size_t e = 0; x->epochs && e < x->n_epochs; e++) {
                const double t = (double)(e + 1) / (double)epochs;
                x->epochs[e] = (pn_epoch_rec){e + 1, 0.01, x->diverged && e + 1 == diverge_at
                                                             ? NAN : 0.6 * (1 - t) + 0.05,
                                              x->diverged ? NAN : final - 0.2 * (1 - t) + 0.05,
                                              x->diverged ? NAN : final - 0.2 * (1 - t), 0.1};
            }
            x->train_acc = x->diverged ? NAN : final + 0.05;
            x->test_acc = x->diverged ? NAN : final;
            x->digit_acc = x->argmax_acc = x->prob_acc = x->head_acc = NAN;
            if (!x->diverged && m > 0) {
                x->digit_acc = final + 0.1;
                x->argmax_acc = final + 0.05;
            }
        }
    return r;
}

static void rounds_free(pn_round_rec *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++)
        free(r[i].epochs);
    free(r);
}

/* The figure of model m with its preset, closed, or NULL. */
static char *network_of(const pn_model_info *m)
{
    pn_buf b = {0};
    pn_err err = {0};
    if (pn_network_svg_preset(&b, m, &err) != PN_OK) {
        pn_buf_free(&b);
        return NULL;
    }
    pn_buf_printf(&b, "</svg>\n");
    return b.failed ? NULL : b.data;
}

/* The sum of every "N params" a figure prints. */
static size_t params_drawn(const char *svg)
{
    size_t sum = 0;
    for (const char *p = svg; (p = strstr(p, " params</text>")) != NULL; p++) {
        const char *d = p;
        while (d > svg && d[-1] >= '0' && d[-1] <= '9')
            d--;
        sum += strtoul(d, NULL, 10);
    }
    return sum;
}

/* ---- the networks ---------------------------------------------------------- */

/* Every model's figure: well-formed, its parameters those pn_model_measure
 * counts (with the preset's options), every layer's shape as the graph
 * gives it. */
static void figures_network_matches_the_graph(void)
{
    size_t n;
    const pn_model_info *m = pn_model_list(&n);
    for (size_t i = 0; i < n; i++) {
        pn_train_cfg c;
        pn_train_cfg_default(&c, &m[i]);
        pn_model_size size;
        pn_err err = {0};
        CHECK(pn_model_measure(&m[i], &c.mopts, &size, &err) == PN_OK);
        char *svg = network_of(&m[i]);
        CHECK_MSG(svg != NULL, "%s not drawn", m[i].name);
        if (!svg)
            continue;
        char why[128] = "", total[64];
        CHECK_MSG(xml_ok(svg, why, sizeof why), "%s: %s", m[i].name, why);
        CHECK_MSG(params_drawn(svg) == size.params, "%s: boxes say %zu parameters, the graph %zu",
                  m[i].name, params_drawn(svg), size.params);
        snprintf(total, sizeof total, ">%zu parameters ", size.params);
        CHECK_MSG(strstr(svg, total) != NULL, "%s: no total %s", m[i].name, total);
        pn_graph *g = pn_graph_new();
        m[i].build(g, &c.mopts);
        pn_net_box *box = calloc(g->n_nodes, sizeof *box);
        pn_net_boxes(g, box);
        for (size_t k = 0; k < g->n_nodes; k++) {
            char want[80];
            snprintf(want, sizeof want, box[k].params ? ">%s \xc2\xb7 %zu params<" : ">%s<",
                     box[k].shape, box[k].params);
            CHECK_MSG(strstr(svg, want), "%s: node %zu (%s) not drawn as %s", m[i].name, k,
                      box[k].kind, want);
        }
        free(box);
        pn_graph_free(g);
        free(svg);
    }
}

/* The study's Figs. 1-3 in words: cnn's first conv on the two-channel
 * pair; a shared tower drawn once with both images feeding it; two towers
 * drawn twice; the auxiliary losses where the model has them. */
static void figures_network_towers_and_losses(void)
{
    static const struct {
        const char *model;
        size_t convs;  /* "conv 3x3, 32 filters" boxes */
        int shared;    /* the shared-tower note and both images' arrows */
        const char *aux[2];
    } want[] = {{"mlp", 0, 0, {NULL, NULL}},
                {"cnn", 1, 0, {NULL, NULL}},
                {"cnn_ws", 1, 1, {NULL, NULL}},
                {"cnn_al", 2, 0, {"cross-entropy vs digit1", "cross-entropy vs digit2"}},
                {"cnn_ws_al", 1, 1, {"cross-entropy vs digits", NULL}},
                {"best", 1, 1, {"cross-entropy vs digits", NULL}}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char *svg = network_of(pn_model_find(want[i].model));
        CHECK(svg != NULL);
        if (!svg)
            continue;
        CHECK_MSG(count(svg, ">conv 3\xc3\x97" "3, 32 filters<") == want[i].convs, "%s",
                  want[i].model);
        CHECK_MSG((strstr(svg, "one digit tower, drawn once") != NULL) == want[i].shared, "%s",
                  want[i].model);
        CHECK_MSG((count(svg, ">image 1<") + count(svg, ">image 2<") == 2) == want[i].shared,
                  "%s", want[i].model);
        size_t aux = 0;
        for (size_t k = 0; k < 2 && want[i].aux[k]; k++, aux++)
            CHECK_MSG(strstr(svg, want[i].aux[k]), "%s: no %s", want[i].model, want[i].aux[k]);
        CHECK_MSG(count(svg, ">cross-entropy vs ") == 1 + aux, "%s: %zu losses", want[i].model,
                  count(svg, ">cross-entropy vs "));
        free(svg);
    }
    char *best = network_of(pn_model_find("best"));
    CHECK(best && strstr(best, "answers by P(d1 \xe2\x89\xa4 d2)") && strstr(best, "3 such networks"));
    free(best);
    char *cnn = network_of(pn_model_find("cnn"));
    CHECK(cnn && strstr(cnn, ">32\xc3\x97" "12\xc3\x97" "12 \xc2\xb7 608 params<")); /* 2*32*9+32 */
    CHECK(cnn && strstr(cnn, ">64\xc3\x97" "2\xc3\x97" "2<"));
    free(cnn);
}

/* pairnet models --svg writes one file per model. */
static void figures_models_svg_writes_every_model(void)
{
    const char *dir = fig_dir("models_svg");
    size_t n;
    const pn_model_info *m = pn_model_list(&n);
    pn_err err = {0};
    for (size_t i = 0; i < n; i++)
        CHECK(pn_write_network_svg(dir, &m[i], &err) == PN_OK);
    for (size_t i = 0; i < n; i++) {
        char name[64];
        pn_network_svg_name(name, sizeof name, m[i].name);
        char *svg = read_fig(dir, name);
        CHECK_MSG(svg && strstr(svg, "</svg>\n"), "%s", name);
        free(svg);
    }
}

/* ---- colours, empty and diverged states ------------------------------------ */

/* A model has one colour: the same in fig4, curves and its network, in
 * whichever company and order it runs; no two models share one. */
static void figures_model_colour_fixed(void)
{
    size_t n;
    const pn_model_info *m = pn_model_list(&n);
    for (size_t i = 0; i < n; i++) {
        CHECK_MSG(strcmp(pn_svg_model_color(m[i].name), "#000000") != 0, "%s has no colour",
                  m[i].name);
        for (size_t j = 0; j < i; j++)
            CHECK_MSG(strcmp(pn_svg_model_color(m[i].name), pn_svg_model_color(m[j].name)),
                      "%s and %s share a colour", m[i].name, m[j].name);
    }
    static const char *const a[] = {"mlp", "cnn"}, *const b[] = {"best", "cnn"};
    const char *const *sets[2] = {a, b};
    const char *cnn = pn_svg_model_color("cnn");
    for (int s = 0; s < 2; s++) {
        const char *dir = fig_dir(s ? "colour_b" : "colour_a");
        pn_round_rec *r = rounds_of(sets[s], 2, 3, 4, 0, 0);
        pn_err err = {0};
        CHECK(pn_write_fig4_svg(dir, r, 6, &err) == PN_OK);
        CHECK(pn_write_curves_svg(dir, r, 6, &err) == PN_OK);
        static const char *const figs[] = {"fig4.svg", "curves.svg"};
        for (int f = 0; f < 2; f++) {
            char *svg = read_fig(dir, figs[f]);
            char stroke[40];
            snprintf(stroke, sizeof stroke, "stroke=\"%s\"", cnn);
            CHECK_MSG(svg && strstr(svg, stroke), "%s: cnn not in %s", figs[f], cnn);
            CHECK_MSG(svg && strstr(svg, pn_svg_model_color(sets[s][0])), "%s", figs[f]);
            if (s) /* mlp is not in the second run: nor is its colour */
                CHECK(svg && !strstr(svg, pn_svg_model_color("mlp")));
            free(svg);
        }
        rounds_free(r, 6);
    }
    char *net = network_of(pn_model_find("cnn"));
    CHECK(net && strstr(net, cnn));
    free(net);
}

/* Every round of every model diverged: one message per frame, not one
 * per model over it, and no epoch axis that the rounds did not have. */
static void figures_all_diverged_drawn_once(void)
{
    static const char *const models[] = {"cnn", "cnn_ws", "cnn_al"};
    const char *dir = fig_dir("all_diverged");
    pn_round_rec *r = rounds_of(models, 3, 2, 5, 7, 2);
    pn_err err = {0};
    CHECK(pn_write_fig4_svg(dir, r, 6, &err) == PN_OK);
    CHECK(pn_write_curves_svg(dir, r, 6, &err) == PN_OK);
    CHECK(pn_write_digits_svg(dir, r, 6, &err) == PN_OK);
    char *fig4 = read_fig(dir, "fig4.svg"), *curves = read_fig(dir, "curves.svg");
    char why[128] = "";
    CHECK(fig4 && count(fig4, "every round diverged") == 1);
    CHECK(fig4 && count(fig4, "all diverged") == 0);
    CHECK(fig4 && xml_ok(fig4, why, sizeof why));
    CHECK(curves && count(curves, ">nothing recorded<") == 3);
    CHECK(curves && count(curves, ">epoch<") == 0);
    CHECK(curves && strstr(curves, ">every round diverged for: cnn, cnn_ws, cnn_al<") &&
          !strstr(curves, "no per-epoch"));
    CHECK(curves && !strstr(curves, "nan") && xml_ok(curves, why, sizeof why));
    free(fig4);
    free(curves);
    rounds_free(r, 6);
}

/* One model's rounds diverged after 5 epochs, the other ran 3: the epoch
 * axis spans the 5 (it stopped at the finished rounds' before). */
static void figures_curves_axis_spans_every_round(void)
{
    static const char *const models[] = {"mlp", "cnn"};
    const char *dir = fig_dir("axis");
    pn_round_rec *r = rounds_of(models, 2, 2, 3, 2, 5);
    pn_err err = {0};
    CHECK(pn_write_curves_svg(dir, r, 4, &err) == PN_OK);
    char *svg = read_fig(dir, "curves.svg");
    CHECK_MSG(svg && count(svg, ">5</text>") == 3, "the 5th epoch is not on the axes");
    free(svg);
    rounds_free(r, 4);
}

/* digits.svg names the rule each model answers by, and best's is not its
 * head. */
static void figures_digits_say_the_answer_rule(void)
{
    static const char *const models[] = {"mlp", "cnn_ws_al", "best"};
    const char *dir = fig_dir("digits_rule");
    pn_round_rec *r = rounds_of(models, 3, 2, 3, 0, 0);
    pn_err err = {0};
    CHECK(pn_write_digits_svg(dir, r, 6, &err) == PN_OK);
    char *svg = read_fig(dir, "digits.svg");
    CHECK(svg && count(svg, ">answers by its head<") == 1); /* cnn_ws_al */
    CHECK(svg && count(svg, ">answers by P(d1 \xe2\x89\xa4 d2)<") == 1); /* best */
    CHECK(svg && !strstr(svg, "learned head<"));
    free(svg);
    rounds_free(r, 6);
}

/* Hostile model names are escaped in every figure, which stays
 * well-formed, and no figure ends in an empty band. */
static void figures_escaped_and_tight(void)
{
    static const char *const models[] = {"a<b&c\"d", "cnn"};
    const char *dir = fig_dir("escaped");
    pn_round_rec *r = rounds_of(models, 2, 3, 4, 0, 0);
    pn_err err = {0};
    CHECK(pn_write_fig4_svg(dir, r, 6, &err) == PN_OK);
    CHECK(pn_write_curves_svg(dir, r, 6, &err) == PN_OK);
    CHECK(pn_write_digits_svg(dir, r, 6, &err) == PN_OK);
    static const char *const figs[] = {"fig4.svg", "curves.svg", "digits.svg"};
    for (int f = 0; f < 3; f++) {
        char *svg = read_fig(dir, figs[f]);
        char why[128] = "";
        CHECK_MSG(svg && xml_ok(svg, why, sizeof why), "%s: %s", figs[f], why);
        CHECK_MSG(svg && strstr(svg, "a&lt;b&amp;c&quot;d"), "%s", figs[f]);
        double h, low;
        extent(svg ? svg : "", &h, &low);
        CHECK_MSG(h > 0 && low > h - 40, "%s: %g px empty under the lowest element",
                  figs[f], h - low);
        free(svg);
    }
    rounds_free(r, 6);
}

/* ---- Table I's heatmaps ---------------------------------------------------- */

/* Yellow at a model's best cell, clearly another colour 2 points lower,
 * the darkest from 5 points down; a colour bar says so; the fixture's best
 * cells drawn yellow; no empty band under the grids. */
static void figures_heatmap_scale_and_bar(void)
{
    char best[8], lower[8], far[8], farther[8];
    pn_t1_heat_colour(0.90, 0.90, best);
    pn_t1_heat_colour(0.88, 0.90, lower);
    pn_t1_heat_colour(0.85, 0.90, far);
    pn_t1_heat_colour(0.70, 0.90, farther);
    unsigned rgb[2][3];
    sscanf(best, "#%2x%2x%2x", &rgb[0][0], &rgb[0][1], &rgb[0][2]);
    sscanf(lower, "#%2x%2x%2x", &rgb[1][0], &rgb[1][1], &rgb[1][2]);
    int dist = 0;
    for (int k = 0; k < 3; k++)
        dist += abs((int)rgb[0][k] - (int)rgb[1][k]);
    CHECK_MSG(dist > 120, "best %s and 2 points lower %s too alike", best, lower);
    CHECK(strcmp(best, "#fde725") == 0 && strcmp(far, "#440154") == 0);
    CHECK(strcmp(far, farther) == 0);

    pn_t1 t = {0};
    pn_err err = {0};
    CHECK_MSG(pn_t1_read_study_csv(&t, "tests/table1/expected/table1.csv", &err) == PN_OK, "%s",
              err.msg);
    for (int set = 0; set < PN_T1_SETS; set++) {
        pn_buf b = {0};
        pn_t1_heatmap_svg(&b, &t, set);
        pn_buf_printf(&b, "</svg>\n");
        CHECK(!b.failed);
        char why[128] = "";
        CHECK_MSG(xml_ok(b.data, why, sizeof why), "%s", why);
        CHECK(strstr(b.data, ">points below the model&#39;s best cell<") != NULL);
        CHECK(count(b.data, "height=\"14\" fill=\"#") >= 40); /* the bar's steps */
        CHECK(strstr(b.data, "fill=\"#fde725\" stroke=\"white\"") != NULL); /* a best cell */
        double h, low;
        extent(b.data, &h, &low);
        CHECK_MSG(low > h - 40, "%g px empty under the heatmap", h - low);
        pn_buf_free(&b);
    }
    pn_t1_free(&t);
}

void suite_figures(void)
{
    RUN(figures_network_matches_the_graph);
    RUN(figures_network_towers_and_losses);
    RUN(figures_models_svg_writes_every_model);
    RUN(figures_model_colour_fixed);
    RUN(figures_all_diverged_drawn_once);
    RUN(figures_curves_axis_spans_every_round);
    RUN(figures_digits_say_the_answer_rule);
    RUN(figures_escaped_and_tight);
    RUN(figures_heatmap_scale_and_bar);
}
