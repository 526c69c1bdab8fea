/* The one table of ops, indexed by pn_op (the list is PN_OPS in op_desc.h). */
#include "pairnet/ops/op_desc.h"

static const pn_op_desc *const table[PN_N_OPS] = {
#define PN_OP_ENTRY_(e, d) [PN_OP_##e] = &pn_op_##d,
    PN_OPS(PN_OP_ENTRY_)
#undef PN_OP_ENTRY_
};

const pn_op_desc *pn_op_desc_of(pn_op op) { return (size_t)op < PN_N_OPS ? table[op] : NULL; }
