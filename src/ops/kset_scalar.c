/* The scalar kernel set (kset_body.inc): plain C for any CPU, the same bits
 * as the vector sets (software fmaf where the CPU has no FMA: slow, but
 * exact). */
#define KB_SCALAR 1
#define KB_TABLE pn_kset_scalar
#define KB_NAME "scalar"
#include "kset_body.inc"
