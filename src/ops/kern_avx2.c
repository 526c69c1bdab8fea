/* The avx2 kernel set (kern_body.h), built with the Makefile's avx2 flags
 * on x86-64 only; kernel.c runs it only where cpuid and xgetbv allow. */
#if defined(__x86_64__)
#define KB_AVX2 1
#define KB_TABLE pn_kern_avx2
#define KB_NAME "avx2"
#include "kern_body.h"
#else
typedef int pn_kern_avx2_absent; /* not an x86-64 target: no avx2 set */
#endif
