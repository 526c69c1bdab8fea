/* The graph arena's allocator: big blocks are 2 MiB aligned and zeroed,
 * small ones come from calloc, and freeing returns big blocks to the
 * system at once (mapped directly, outside malloc's heap). */
#include "test.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pairnet/base/bigalloc.h"

/* The resident set in KiB from /proc/self/statm; 0 where there is none. */
static size_t resident_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, res = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%lu %lu", &size, &res) != 2)
        res = 0;
    fclose(f);
    return (size_t)res * 4;
}

static void big_blocks_aligned_zeroed(void)
{
    const size_t sizes[] = {1, 1000, (1u << 19) - 1, 1u << 19, 3000001};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        float *p = pn_big_calloc(sizes[i], sizeof(float));
        CHECK(p != NULL);
        if (!p)
            continue;
        if (sizes[i] * sizeof(float) >= (2u << 20))
            CHECK_MSG((uintptr_t)p % (2u << 20) == 0, "%zu floats at %p", sizes[i], (void *)p);
        size_t nonzero = 0;
        for (size_t j = 0; j < sizes[i]; j++)
            nonzero += p[j] != 0.0f;
        CHECK(nonzero == 0);
        p[sizes[i] - 1] = 1.0f; /* the whole block is writable */
        pn_big_free(p, sizes[i], sizeof(float));
    }
    CHECK(pn_big_calloc(SIZE_MAX / 2, 4) == NULL);
    pn_big_free(NULL, 10, 4);
}

/* Blocks of shrinking size, each filled and freed before the next, as
 * bench's rounds build and free their graphs: freed blocks leave the
 * process, so the resident set does not keep them. */
static void freed_big_blocks_leave_the_process(void)
{
    const size_t before = resident_kib();
    if (!before) {
        t_skip("no /proc/self/statm to read the resident set from");
        return;
    }
    const size_t mib[] = {24, 12, 12, 6, 24, 12};
    for (size_t i = 0; i < sizeof mib / sizeof mib[0]; i++) {
        const size_t n = mib[i] << 20;
        unsigned char *p = pn_big_calloc(n, 1);
        CHECK(p != NULL);
        if (!p)
            return;
        memset(p, 1, n);
        pn_big_free(p, n, 1);
    }
    const size_t after = resident_kib();
    CHECK_MSG(after < before + 4096, "resident set %zu KiB before, %zu KiB after", before, after);
}

void suite_bigalloc(void)
{
    RUN(big_blocks_aligned_zeroed);
    RUN(freed_big_blocks_leave_the_process);
}
