/* The avx512 kernel set (kern_body.h), built with the Makefile's avx512 flags
 * on x86-64 only; kernel.c runs it only where cpuid and xgetbv allow. */
#if defined(__x86_64__)
#define KB_AVX512 1
#define KB_TABLE pn_kern_avx512
#define KB_NAME "avx512"
#include "kern_body.h"
#else
typedef int pn_kern_avx512_absent; /* not an x86-64 target: no avx512 set */
#endif
