/* The avx2 kernel set (kset_body.inc), built with the Makefile's avx2 flags
 * on x86-64 only; kset.c runs it only where cpuid and xgetbv allow. */
#if defined(__x86_64__)
#define KB_AVX2 1
#define KB_TABLE pn_kset_avx2
#define KB_NAME "avx2"
#include "kset_body.inc"
#else
typedef int pn_kset_avx2_absent; /* not an x86-64 target: no avx2 set */
#endif
