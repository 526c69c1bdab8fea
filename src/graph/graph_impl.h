/* What the graph's files share (not part of the API). */
#ifndef PAIRNET_GRAPH_IMPL_H
#define PAIRNET_GRAPH_IMPL_H

#include "pairnet/graph/graph.h"

static inline size_t pn_rows_of(const pn_node *n, size_t batch)
{
    return n->rmul ? n->rmul * batch : 1;
}

static inline const pn_op_desc *pn_desc(const pn_node *n) { return pn_op_desc_of(n->op); }

/* The call of node i's kernels at `batch` pairs. With pointers == 0 (the
 * layout pass) no value, gradient, parameter or buffer is set. */
pn_op_call pn_node_call(const pn_graph *g, size_t i, size_t batch, int training, int pointers);

/* The node that reads node i, if exactly one node reads it exactly once. */
size_t pn_sole_reader(const pn_graph *g, size_t i);

/* The index of the port called name among ports[0..n), or of the target
 * called name; PN_NONE if there is none (src/graph/build.c). */
size_t pn_port_index(const pn_port *ports, size_t n, const char *name);
size_t pn_target_index(const pn_graph *g, const char *name);

/* The fusion pass (src/graph/fuse.c). */
void pn_graph_fuse(pn_graph *g);
void pn_graph_fuse_first_convs(pn_graph *g);

#endif
