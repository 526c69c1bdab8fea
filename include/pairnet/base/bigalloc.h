/* Zeroed memory for big, long-lived buffers (the graph arena). */
#ifndef PAIRNET_BIGALLOC_H
#define PAIRNET_BIGALLOC_H

#include <stddef.h>

/* Like calloc(n, size), aligned to 2 MiB and, on Linux, advised to use
 * transparent huge pages: the activations are streamed through every
 * step, and with 4 KiB pages the TLB misses cost several percent of an
 * epoch. NULL on failure. */
void *pn_big_calloc(size_t n, size_t size);
/* Releases p = pn_big_calloc(n, size) (same n and size); p may be NULL. */
void pn_big_free(void *p, size_t n, size_t size);

#endif
