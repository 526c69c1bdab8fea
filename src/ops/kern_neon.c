/* The NEON kernel set (kern_body.h), aarch64 only (Advanced SIMD is part
 * of the base architecture there: no extra flags). */
#if defined(__aarch64__)
#define KB_NEON 1
#define KB_TABLE pn_kern_neon
#define KB_NAME "neon"
#include "kern_body.h"
#else
typedef int pn_kern_neon_absent; /* not an aarch64 target: no NEON set */
#endif
