/* The NEON kernel set (kset_body.inc), aarch64 only (Advanced SIMD is part
 * of the base architecture there: no extra flags). */
#if defined(__aarch64__)
#define KB_NEON 1
#define KB_TABLE pn_kset_neon
#define KB_NAME "neon"
#include "kset_body.inc"
#else
typedef int pn_kset_neon_absent; /* not an aarch64 target: no NEON set */
#endif
