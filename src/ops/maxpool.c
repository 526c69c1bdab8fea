/* 2x2 max pooling, stride 2, floor, as the models write it. It runs only
 * as part of BN_RELU_POOL (src/ops/bnpool.c), which picks the first maximum
 * of each window in reading order, as PyTorch does. */
#include "op_helpers.h"

static int maxpool2_shape(const pn_shape *in, size_t n_in, pn_op_attr *a, pn_shape *out,
                          pn_op_sizes *sz)
{
    (void)n_in;
    (void)a;
    (void)sz;
    *out = (pn_shape){.rmul = in->rmul, .c = in->c, .h = in->h / 2, .w = in->w / 2};
    return in->h >= 2 && in->w >= 2;
}

const pn_op_desc pn_op_maxpool2 = {
    .name = "maxpool",
    .flags = PN_OPF_PATTERN,
    .shape = maxpool2_shape,
};
