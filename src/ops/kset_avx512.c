/* The avx512 kernel set (kset_body.inc), built with the Makefile's avx512 flags
 * on x86-64 only; kset.c runs it only where cpuid and xgetbv allow. */
#if defined(__x86_64__)
#define KB_AVX512 1
#define KB_TABLE pn_kset_avx512
#define KB_NAME "avx512"
#include "kset_body.inc"
#else
typedef int pn_kset_avx512_absent; /* not an x86-64 target: no avx512 set */
#endif
