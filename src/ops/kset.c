/* Choosing the kernel set (pairnet/ops/kset.h): cpuid + xgetbv say what
 * the CPU and OS support (base/cpu.c); PAIRNET_KERNEL may force a set. */
#include "kset_table.h"
#include "pairnet/base/cpu.h"
#include "pairnet/base/error.h"
#include "pairnet/ops/kset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Alignas(64) _Thread_local float pn_pack_a[PACK_A_FLOATS];
_Alignas(64) _Thread_local float pn_pack_b[PACK_B_FLOATS];

/* The sets of this target, best first, with the CPU feature each needs. */
static const struct {
    const pn_kset *k;
    unsigned needs;
} sets[] = {
#if defined(__x86_64__)
    {&pn_kset_avx512, PN_CPU_AVX512},
    {&pn_kset_avx2, PN_CPU_AVX2_FMA},
#elif defined(__aarch64__)
    {&pn_kset_neon, PN_CPU_NEON},
#endif
    {&pn_kset_scalar, 0},
};
#define N_SETS (sizeof sets / sizeof sets[0])

/* Until the constructor runs (or without one): the set every CPU runs. */
const pn_kset *pn_kset_cur = &pn_kset_scalar;

static int runnable(size_t i) { return (pn_cpu_features() & sets[i].needs) == sets[i].needs; }

static int find(const char *name)
{
    for (size_t i = 0; i < N_SETS; i++)
        if (!strcmp(sets[i].k->name, name))
            return (int)i;
    return -1;
}

const char *pn_kset_name(void) { return pn_kset_cur->name; }

size_t pn_kset_list(const char **names, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < N_SETS; i++)
        if (runnable(i)) {
            if (n < cap)
                names[n] = sets[i].k->name;
            n++;
        }
    return n;
}

int pn_kset_use(const char *name)
{
    const int i = find(name);
    if (i < 0 || !runnable((size_t)i))
        return -1;
    pn_kset_cur = sets[i].k;
    return 0;
}

/* "a, b, c": the runnable sets (all = 0) or every set of this build. */
static void names_of(char *buf, size_t cap, int all)
{
    buf[0] = '\0';
    for (size_t i = 0; i < N_SETS; i++)
        if (all || runnable(i)) {
            if (buf[0])
                strncat(buf, ", ", cap - strlen(buf) - 1);
            strncat(buf, sets[i].k->name, cap - strlen(buf) - 1);
        }
}

/* The PAIRNET_KERNEL value the choice could not honour ("": none). A copy:
 * getenv's pointer may not outlive a later setenv. */
static char refused[64];

/* The best set this machine runs (the scalar one runs everywhere). */
static void use_best(void)
{
    for (size_t i = 0; i < N_SETS; i++)
        if (runnable(i)) {
            pn_kset_cur = sets[i].k;
            return;
        }
}

/* Before main: the set PAIRNET_KERNEL names, else the best. A value it
 * cannot honour is only recorded (a library must not end its process):
 * pn_kset_env_check tells the application, which refuses to run. */
#if defined(__GNUC__)
__attribute__((constructor))
#endif
static void choose(void)
{
    const char *want = getenv("PAIRNET_KERNEL");
    if (want && *want && strcmp(want, "auto") != 0 && pn_kset_use(want) == 0)
        return;
    use_best();
    if (want && *want && strcmp(want, "auto") != 0)
        snprintf(refused, sizeof refused, "%s", want);
}

int pn_kset_env_check(pn_err *err)
{
    if (!refused[0])
        return PN_OK;
    char list[64];
    const int known = find(refused) >= 0;
    names_of(list, sizeof list, !known);
    return pn_fail(err, PN_ERR_USAGE, "PAIRNET_KERNEL=%s: %s (%s: %s); unset it or set one of "
                   "those", refused, known ? "this CPU cannot run that kernel set" :
                   "no such kernel set", known ? "it runs" : "known", list);
}
