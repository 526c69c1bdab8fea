/* The graph's input, which the caller fills before forward, and the node a
 * fused op took over (src/graph/fuse.c), which keeps its place in the node
 * order (and so every node's id) but runs and holds nothing. */
#include "pairnet/ops/op_desc.h"

static int input_shape(const pn_shape *in, size_t n_in, pn_op_attr *a, pn_shape *out,
                       pn_op_sizes *sz)
{
    (void)in;
    (void)n_in;
    (void)sz;
    *out = (pn_shape){.rmul = 1, .c = a->input.c, .h = a->input.h, .w = a->input.w};
    return a->input.c && a->input.h && a->input.w;
}

const pn_op_desc pn_op_input = {
    .name = "input",
    .shape = input_shape,
};

const pn_op_desc pn_op_absorbed = {
    .name = "absorbed",
    .flags = PN_OPF_NO_VALUE,
};
