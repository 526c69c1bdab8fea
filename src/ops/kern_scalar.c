/* The scalar kernel set (kern_body.h): plain C for any CPU, the same bits
 * as the vector sets (software fmaf where the CPU has no FMA: slow, but
 * exact). */
#define KB_SCALAR 1
#define KB_TABLE pn_kern_scalar
#define KB_NAME "scalar"
#include "kern_body.h"
