/* The study's Figs. 1-3: a model's network drawn from the graph its
 * builder makes (src/models/), before finalize fuses conv -> BN -> ReLU ->
 * pool, so every logical layer is a box with its kind, output shape and
 * parameter count. A shared tower is drawn once, shaded, with both images
 * feeding it; the comparison head and every loss (the auxiliary digit
 * losses too) are boxes of their own. */
#ifndef PAIRNET_FIG_NETWORK_H
#define PAIRNET_FIG_NETWORK_H

#include <stddef.h>

#include "pairnet/base/buf.h"
#include "pairnet/base/error.h"
#include "pairnet/graph/graph.h"
#include "pairnet/models/models.h"

/* One box of the figure: node `node` of the builder graph. */
typedef struct pn_net_box {
    size_t node;
    size_t row, lane; /* row: longest path from the input; lane: column */
    double x;         /* its left edge in the figure (pn_network_svg places it) */
    size_t params;    /* its weights and biases (0: none) */
    char kind[64];    /* "conv 3x3, 32 filters", "cross-entropy vs digits" */
    char shape[48];   /* one example's output: "32x12x12", "2 x 10" (both images) */
} pn_net_box;

/* The boxes of graph g (built, not finalized), one per node, in node
 * order; box has room for g->n_nodes. Returns the number of lanes. */
size_t pn_net_boxes(const pn_graph *g, pn_net_box *box);

/* The figure of model m built with options o into b (an SVG document).
 * subtitle_extra (or NULL) is appended to the subtitle. */
int pn_network_svg(pn_buf *b, const pn_model_info *m, const pn_model_opts *o,
                   const char *subtitle_extra, pn_err *err);

/* The figure of model m with its preset's options (what bench trains by
 * default; an ensemble and a decision rule other than the head are said
 * in the subtitle), without the closing tag (pn_svg_save adds it). */
int pn_network_svg_preset(pn_buf *b, const pn_model_info *m, pn_err *err);

/* dir/net-<model>.svg of model m with its preset's options (what bench
 * trains by default; an ensemble is said in the subtitle). */
int pn_write_network_svg(const char *dir, const pn_model_info *m, pn_err *err);

/* "net-<model>.svg" into out. */
void pn_network_svg_name(char *out, size_t cap, const char *model);

#endif
