/* net-<model>.svg, the study's Figs. 1-3 (include/pairnet/report/fig_network.h):
 * the builder graph laid out top to bottom, one row per step of the
 * longest path from the input, parallel branches (two towers, the losses)
 * side by side. */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/report/fig_network.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/report/svg.h"
#include "pairnet/models/train_cfg.h"

#define TIMES "\xc3\x97" /* multiplication sign, UTF-8 */
#define LE "\xe2\x89\xa4" /* less-than or equal, UTF-8 */

enum { BOX_W = 320, BOX_H = 26, ROW_H = 42, LANE_W = 345, LEFT = 30, TOP = 78 };

/* The parameters of node i: its slices run from its first offset to the
 * next node's (offsets are handed out in node order, pn_graph_add). */
static size_t node_params(const pn_graph *g, size_t i)
{
    const pn_node *n = &g->nodes[i];
    const size_t start = n->w_off != PN_NONE ? n->w_off : n->b_off;
    if (start == PN_NONE)
        return 0;
    size_t end = g->n_params;
    for (size_t j = i + 1; j < g->n_nodes; j++) {
        const pn_node *m = &g->nodes[j];
        const size_t s = m->w_off != PN_NONE ? m->w_off : m->b_off;
        if (s != PN_NONE) {
            end = s;
            break;
        }
    }
    return end - start;
}

/* The name a model gave node i as an input or output, or NULL. */
static const char *port_name(const pn_graph *g, size_t i)
{
    for (size_t k = 0; k < g->n_inputs; k++)
        if (g->inputs[k].node == i)
            return g->inputs[k].name;
    for (size_t k = 0; k < g->n_outputs; k++)
        if (g->outputs[k].node == i)
            return g->outputs[k].name;
    return NULL;
}

/* What node i does, in words a reader of the study knows. */
static void node_kind(const pn_graph *g, size_t i, char *out, size_t cap)
{
    const pn_node *n = &g->nodes[i];
    const pn_op_attr *a = &n->p;
    switch (n->op) {
    case PN_OP_INPUT: snprintf(out, cap, "input"); break;
    case PN_OP_LINEAR: snprintf(out, cap, "linear %zu " "\xe2\x86\x92" " %zu", a->linear.in_f,
                                a->linear.out_f); break;
    case PN_OP_CONV2D: snprintf(out, cap, "conv %zu" TIMES "%zu, %zu filters", a->conv.k,
                                a->conv.k, a->conv.cout); break;
    case PN_OP_BATCHNORM: case PN_OP_BATCHNORM2D: snprintf(out, cap, "batch norm"); break;
    case PN_OP_RELU: snprintf(out, cap, "ReLU"); break;
    case PN_OP_MAXPOOL2: snprintf(out, cap, "max-pool 2" TIMES "2"); break;
    case PN_OP_SELECT: snprintf(out, cap, "image %zu of the pair", a->select.channel + 1); break;
    case PN_OP_UNSTACK: snprintf(out, cap, "both images, one row each"); break;
    case PN_OP_RESTACK: snprintf(out, cap, "the pair's two rows side by side"); break;
    case PN_OP_CONCAT: snprintf(out, cap, "concatenate"); break;
    case PN_OP_CROSS_ENTROPY:
        snprintf(out, cap, "cross-entropy vs %s",
                 (size_t)a->ce.labels < g->n_targets ? g->targets[a->ce.labels].name : "?");
        break;
    case PN_OP_LOSS_SUM: snprintf(out, cap, "loss: weighted sum"); break;
    case PN_OP_DROPOUT: snprintf(out, cap, "dropout p = %g", (double)a->dropout.p); break;
    case PN_OP_SOFTMAX: snprintf(out, cap, "softmax"); break;
    case PN_OP_PROB_LE: snprintf(out, cap, "P(d1 " LE " d2), no parameters"); break;
    default: snprintf(out, cap, "%s", pn_op_name(n->op)); break;
    }
}

/* One example's output: c x h x w (or c), times 2 inside a shared tower
 * (both images of the pair are rows of its batch), "scalar" for a loss. */
static void node_shape(const pn_node *n, char *out, size_t cap)
{
    char one[24];
    if (n->h * n->w > 1)
        snprintf(one, sizeof one, "%zu" TIMES "%zu" TIMES "%zu", n->c, n->h, n->w);
    else
        snprintf(one, sizeof one, "%zu", n->c);
    if (n->rmul == 0)
        snprintf(out, cap, "scalar");
    else if (n->rmul == 1)
        snprintf(out, cap, "%s", one);
    else
        snprintf(out, cap, "%zu " TIMES " %s", n->rmul, one);
}

static int is_loss(pn_op op) { return op == PN_OP_CROSS_ENTROPY || op == PN_OP_LOSS_SUM; }

/* Rows and lanes: a node sits one row below its lowest input, in its first
 * input's lane when that is free, else in the next free lane to the right
 * (so a second tower and the auxiliary losses go beside the main path). */
size_t pn_net_boxes(const pn_graph *g, pn_net_box *box)
{
    size_t lanes = 1;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const pn_node *n = &g->nodes[i];
        pn_net_box *b = &box[i];
        memset(b, 0, sizeof *b);
        b->node = i;
        b->params = node_params(g, i);
        node_kind(g, i, b->kind, sizeof b->kind);
        node_shape(n, b->shape, sizeof b->shape);
        for (size_t k = 0; k < n->n_in; k++)
            if (box[n->in[k]].row + 1 > b->row)
                b->row = box[n->in[k]].row + 1;
        size_t lane = n->n_in ? box[n->in[0]].lane : 0;
        for (int taken = 1; taken;) {
            taken = 0;
            for (size_t j = 0; j < i && !taken; j++)
                taken = box[j].row == b->row && box[j].lane == lane;
            lane += taken;
        }
        b->lane = lane;
        if (lane + 1 > lanes)
            lanes = lane + 1;
    }
    return lanes;
}

static double box_x(const pn_net_box *b) { return b->x; }
static double box_y(const pn_net_box *b) { return TOP + (double)b->row * ROW_H; }

/* An arrow from (x1, y1) down to the top of a box at (x2, y2): straight
 * down in the source's lane, across in the gap above the target's row,
 * and down into it. */
static void arrow(pn_buf *b, double x1, double y1, double x2, double y2)
{
    if (x1 == x2)
        pn_svg_line(b, x1, y1, x2, y2 - 4, "stroke=\"#777\" stroke-width=\"1.3\"");
    else
        pn_buf_printf(b, "<polyline fill=\"none\" stroke=\"#777\" stroke-width=\"1.3\" "
                         "points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\"/>\n",
                      x1, y1, x1, y2 - 9, x2, y2 - 9, x2, y2 - 4);
    pn_buf_printf(b, "<polygon fill=\"#777\" points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\"/>\n",
                  x2 - 4, y2 - 6, x2 + 4, y2 - 6, x2, y2);
}

static void edges(pn_buf *b, const pn_graph *g, const pn_net_box *box)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        const pn_node *n = &g->nodes[i];
        const double cx = box_x(&box[i]) + BOX_W / 2.0, top = box_y(&box[i]);
        for (size_t k = 0; k < n->n_in; k++) {
            const pn_net_box *s = &box[n->in[k]];
            const double sx = box_x(s) + BOX_W / 2.0, sy = box_y(s) + BOX_H;
            if (n->op != PN_OP_UNSTACK) {
                arrow(b, sx, sy, cx, top);
                continue;
            }
            /* both images of the pair feed the one tower */
            for (int img = 0; img < 2; img++) {
                const double dx = img ? 60 : -60;
                arrow(b, sx + dx, sy, cx + dx, top);
                pn_svg_text(b, cx + dx + (img ? 6 : -6), sy + 11,
                            img ? "font-size=\"10\" fill=\"#555\""
                                : "font-size=\"10\" fill=\"#555\" text-anchor=\"end\"",
                            img ? "image 2" : "image 1");
            }
        }
    }
}

/* A box: fill by what it is (parameters, loss, input/output), kind on the
 * left, shape and parameters on the right; a named output is said beside. */
static void draw_box(pn_buf *b, const pn_graph *g, const pn_net_box *x)
{
    const pn_node *n = &g->nodes[x->node];
    const char *name = port_name(g, x->node);
    const char *fill = is_loss(n->op) ? "#fdebd3" : x->params ? "#dceaf7"
                       : n->op == PN_OP_INPUT ? "#dff2e6" : "#f7f7f7";
    const double bx = box_x(x), by = box_y(x);
    pn_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"%s\" "
                     "stroke=\"%s\" stroke-width=\"%s\"/>\n", bx, by, BOX_W, BOX_H, fill,
                  name ? "#222" : "#999", name ? "1.6" : "1");
    char text[128];
    snprintf(text, sizeof text, "%s%s%s%s", x->kind, name ? " \"" : "", name ? name : "",
             name ? "\"" : "");
    pn_svg_text(b, bx + 7, by + 17, "font-size=\"11.5\"", text);
    if (x->params) {
        snprintf(text, sizeof text, "%s " PN_SVG_DOT " %zu params", x->shape, x->params);
        pn_svg_text(b, bx + BOX_W - 7, by + 17,
                    "font-size=\"11\" text-anchor=\"end\" font-weight=\"bold\"", text);
    } else
        pn_svg_text(b, bx + BOX_W - 7, by + 17, "font-size=\"11\" text-anchor=\"end\" "
                    "fill=\"#555\"", x->shape);
}

/* The shared tower: the boxes whose rows are both images of the pair,
 * shaded behind them and named beside them. */
static void shared_region(pn_buf *b, const pn_graph *g, const pn_net_box *box)
{
    size_t r0 = (size_t)-1, r1 = 0, first = 0, found = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].rmul == 2 && g->nodes[i].op != PN_OP_UNSTACK &&
            g->nodes[i].op != PN_OP_CROSS_ENTROPY) {
            r0 = box[i].row < r0 ? box[i].row : r0;
            r1 = box[i].row > r1 ? box[i].row : r1;
            first = found ? first : i;
            found = 1;
        }
    if (!found)
        return;
    const double x = box_x(&box[first]) - 10, y = TOP + (double)r0 * ROW_H - 9;
    const double h = (double)(r1 - r0) * ROW_H + BOX_H + 18;
    pn_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"#eef3fb\" "
                     "stroke=\"#7a9cc6\" stroke-dasharray=\"5 3\"/>\n", x, y, BOX_W + 20, h);
    const double tx = x + BOX_W + 30;
    pn_svg_text(b, tx, y + 16, "font-size=\"12\" font-weight=\"bold\" fill=\"#3b6aa0\"",
                "one digit tower, drawn once:");
    pn_svg_text(b, tx, y + 32, "font-size=\"12\" fill=\"#3b6aa0\"",
                "both images of every pair pass");
    pn_svg_text(b, tx, y + 47, "font-size=\"12\" fill=\"#3b6aa0\"",
                "through the same weights (2 rows)");
}

/* The legend under the boxes: what the fills and the shape column mean. */
static void legend(pn_buf *b, double y, double w)
{
    static const char *const fills[] = {"#dceaf7", "#f7f7f7", "#fdebd3", "#dff2e6"};
    static const char *const words[] = {"has parameters", "no parameters", "loss", "input"};
    double x = w / 2 - 300;
    for (size_t k = 0; k < 4; k++, x += 130) {
        pn_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"11\" fill=\"%s\" "
                         "stroke=\"#999\"/>\n", x, y - 9, fills[k]);
        pn_svg_text(b, x + 19, y, "font-size=\"11\"", words[k]);
    }
    pn_svg_text(b, x + 10, y, "font-size=\"11\" fill=\"#555\"", "bold outline: a named output");
    pn_svg_text(b, w / 2, y + 17, "font-size=\"11\" fill=\"#555\" text-anchor=\"middle\"",
                "right: one example's output shape (2 " TIMES ": both images of the pair) "
                PN_SVG_DOT " its weights and biases");
}

/* The loss's weights, which pn_loss_sum keeps in its attributes. */
static void loss_weights(const pn_graph *g, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < g->n_nodes && used < cap; i++) {
        const pn_node *n = &g->nodes[i];
        if (n->op != PN_OP_LOSS_SUM)
            continue;
        for (size_t k = 0; k < n->n_in && used < cap; k++) {
            const pn_node *l = &g->nodes[n->in[k]];
            const char *t = l->op == PN_OP_CROSS_ENTROPY && (size_t)l->p.ce.labels < g->n_targets
                                ? g->targets[l->p.ce.labels].name : "?";
            int w = snprintf(out + used, cap - used, "%s%g " PN_SVG_DOT " CE(%s)",
                             k ? " + " : "loss = ", (double)n->p.sum.weight[k], t);
            used += w > 0 ? (size_t)w : 0;
        }
    }
}

static void network_body(pn_buf *b, const pn_graph *g, const pn_net_box *box, size_t rows,
                         double w)
{
    shared_region(b, g, box);
    edges(b, g, box);
    for (size_t i = 0; i < g->n_nodes; i++)
        draw_box(b, g, &box[i]);
    char sum[256];
    loss_weights(g, sum, sizeof sum);
    const double y = TOP + (double)rows * ROW_H + 8;
    if (sum[0])
        pn_svg_text(b, w / 2, y, "font-size=\"12\" text-anchor=\"middle\"", sum);
    legend(b, y + 24, w);
}

int pn_network_svg(pn_buf *b, const pn_model_info *m, const pn_model_opts *o,
                   const char *subtitle_extra, pn_err *err)
{
    pn_graph *g = pn_graph_new();
    if (g)
        m->build(g, o);
    pn_net_box *box = g && !g->failed ? malloc((g->n_nodes + 1) * sizeof *box) : NULL;
    if (!box) {
        pn_graph_free(g);
        return pn_fail(err, PN_ERR_RUNTIME, "cannot build model %s to draw it (out of memory?)",
                       m->name);
    }
    const size_t lanes = pn_net_boxes(g, box);
    size_t rows = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        rows = box[i].row + 1 > rows ? box[i].row + 1 : rows;
    /* a shared tower's note needs a lane's room right of the tower */
    int shared = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        shared |= g->nodes[i].op == PN_OP_UNSTACK;
    const size_t shown = shared && lanes < 2 ? 2 : lanes;
    const int used = (int)shown * LANE_W - (LANE_W - BOX_W);
    const int w = LEFT * 2 + used < PN_FIG_W ? PN_FIG_W : LEFT * 2 + used;
    const int h = TOP + (int)rows * ROW_H + 60;
    for (size_t i = 0; i < g->n_nodes; i++) /* the boxes centred */
        box[i].x = (w - used) / 2.0 + (double)box[i].lane * LANE_W;
    char title[96], subtitle[256];
    snprintf(title, sizeof title, "%s: %s", m->name, m->about);
    snprintf(subtitle, sizeof subtitle, "%zu parameters %s drawn from the graph its builder makes"
             "%s%s", g->n_params, PN_SVG_DOT, subtitle_extra ? " " PN_SVG_DOT " " : "",
             subtitle_extra ? subtitle_extra : "");
    pn_svg_open_size(b, w, h, title, subtitle);
    pn_buf_printf(b, "<rect x=\"0\" y=\"0\" width=\"8\" height=\"%d\" fill=\"%s\"/>\n", h,
                  pn_svg_model_color(m->name));
    network_body(b, g, box, rows, w);
    free(box);
    pn_graph_free(g);
    return PN_OK;
}

void pn_network_svg_name(char *out, size_t cap, const char *model)
{
    snprintf(out, cap, "net-%s.svg", model);
}

int pn_network_svg_preset(pn_buf *b, const pn_model_info *m, pn_err *err)
{
    pn_train_cfg c;
    pn_train_cfg_default(&c, m);
    char extra[192] = "";
    if (c.ensemble > 1)
        snprintf(extra, sizeof extra, "trained as %zu such networks, their answers averaged",
                 c.ensemble);
    if (c.decide != PN_DECIDE_HEAD) /* the head is trained, but not what answers */
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "%sanswers by %s",
                 extra[0] ? "; " : "", pn_svg_decide_words(c.decide));
    return pn_network_svg(b, m, &c.mopts, extra[0] ? extra : NULL, err);
}

int pn_write_network_svg(const char *dir, const pn_model_info *m, pn_err *err)
{
    char name[64];
    pn_buf b = {0};
    int rc = pn_network_svg_preset(&b, m, err);
    if (rc != PN_OK) {
        pn_buf_free(&b);
        return rc;
    }
    pn_network_svg_name(name, sizeof name, m->name);
    return pn_svg_save(&b, dir, name, err);
}
