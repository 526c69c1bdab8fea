/* The kernel set that runs the loops whose speed depends on the vector
 * ISA (the GEMM, the fused BatchNorm -> ReLU -> pool block): "avx512",
 * "avx2" (AVX2 + FMA) or "scalar" on x86-64, "neon" or "scalar" on aarch64.
 * It is chosen once, before main runs: the best the CPU and OS support, or
 * the one PAIRNET_KERNEL names (empty or "auto": the best). A name this
 * build does not know, or a set this machine cannot run, leaves the best
 * set in use and makes pn_kset_env_check fail: the application says so
 * and stops (the CLI: one line on stderr, exit status 2). Every set gives
 * the same bits (docs/numerics.md), so the choice changes speed only. */
#ifndef PAIRNET_KSET_H
#define PAIRNET_KSET_H

#include <stddef.h>

#include "pairnet/base/error.h"

/* The set in use, e.g. "avx512" (for --version and benchmarks). */
const char *pn_kset_name(void);

/* The sets this machine can run, best first: fills names[0 .. min(n, cap))
 * and returns n (at most 4). */
size_t pn_kset_list(const char **names, size_t cap);

/* Switches to the named set (tests, benchmarks; never while kernels run
 * on other threads). Returns 0, or -1 if the name is unknown or the set
 * cannot run here (nothing changes then). */
int pn_kset_use(const char *name);

/* PN_OK if the choice honoured PAIRNET_KERNEL (or it is unset, empty or
 * "auto"); else PN_ERR_USAGE and a one-line message in err naming the
 * value, why it was refused and the names that would work. */
int pn_kset_env_check(pn_err *err);

#endif
