#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE */
#include "pairnet/base/bigalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#define HUGE_PAGE ((size_t)2 << 20)

void *pn_big_calloc(size_t n, size_t size)
{
    if (n && size > SIZE_MAX / n)
        return NULL;
    size_t bytes = n * size;
    if (bytes < HUGE_PAGE) /* not worth a huge page */
        return calloc(n ? n : 1, size ? size : 1);
    bytes = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, bytes) != 0)
        return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    (void)madvise(p, bytes, MADV_HUGEPAGE); /* advice only: fine if refused */
#endif
    memset(p, 0, bytes);
    return p;
}
