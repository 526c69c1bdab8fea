/* CPU feature detection (pairnet/base/cpu.h). On x86-64 a feature counts
 * only if both cpuid reports it and XCR0 (read with xgetbv, itself only
 * after cpuid's OSXSAVE bit says the OS manages XCR0) shows that the OS
 * saves its register state. */
#include "pairnet/base/cpu.h"

#include <stdint.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>

/* xgetbv by hand: the intrinsic needs -mxsave, which this file must not
 * be compiled with (it runs on every x86-64 CPU). */
static uint64_t xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

static unsigned detect(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    const int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx || !fma)
        return 0;
    const uint64_t xcr = xcr0();
    if ((xcr & 0x6) != 0x6) /* SSE and AVX (YMM) state */
        return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return 0;
    unsigned f = 0;
    if ((b >> 5) & 1) /* AVX2 */
        f |= PN_CPU_AVX2_FMA;
    const unsigned avx512 = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31); /* F DQ BW VL */
    if ((f & PN_CPU_AVX2_FMA) && (b & avx512) == avx512 && (xcr & 0xe0) == 0xe0)
        f |= PN_CPU_AVX512; /* opmask, ZMM0-15 upper halves, ZMM16-31 */
    return f;
}
#elif defined(__aarch64__)
static unsigned detect(void) { return PN_CPU_NEON; }
#else
static unsigned detect(void) { return 0; }
#endif

unsigned pn_cpu_features(void)
{
    /* Racing first calls compute the same value: no lock needed. */
    static _Atomic unsigned cached; /* bit 31 marks "computed" */
    unsigned v = cached;
    if (!v) {
        v = detect() | 1u << 31;
        cached = v;
    }
    return v & ~(1u << 31);
}
