/* Machine single-precision FMA peak, measured rather than looked up, so the
 * GEMM benchmark can report what fraction of the hardware it reaches. */
#ifndef PAIRNET_PEAK_H
#define PAIRNET_PEAK_H

#include <stddef.h>

/* GFLOP/s (an FMA counts as 2 flops) of independent FMA chains in the
 * vector width of the kernel set in use (pn_kset_name), summed over `threads` threads running at once
 * for about 0.2 s. Returns 0 if a thread cannot be started. */
double pn_fma_peak_gflops(size_t threads);

#endif
