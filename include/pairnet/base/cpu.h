/* What the CPU and the operating system let this process run: x86-64
 * vector extensions from cpuid, confirmed by xgetbv (the OS must save the
 * wider registers on a context switch, or using them corrupts state), and
 * NEON on aarch64 (always present there). Read once, then cached. */
#ifndef PAIRNET_CPU_H
#define PAIRNET_CPU_H

enum {
    PN_CPU_AVX2_FMA = 1u << 0, /* AVX2 + FMA3, YMM state enabled by the OS */
    PN_CPU_AVX512 = 1u << 1,   /* AVX-512 F, DQ, BW, VL, ZMM and opmask state enabled */
    PN_CPU_NEON = 1u << 2,     /* aarch64 Advanced SIMD */
};

/* The PN_CPU_ bits this machine supports. Thread-safe. */
unsigned pn_cpu_features(void);

#endif
