/* The round record's copy and release (pairnet/train/record.h). */
#include "pairnet/train/record.h"

#include <stdlib.h>
#include <string.h>

int pn_round_rec_copy(pn_round_rec *dst, const pn_round_rec *src)
{
    *dst = *src;
    dst->epochs = calloc(src->n_epochs + 1, sizeof *dst->epochs);
    if (!dst->epochs) {
        dst->n_epochs = 0;
        return -1;
    }
    memcpy(dst->epochs, src->epochs, src->n_epochs * sizeof *src->epochs);
    return 0;
}

void pn_round_rec_free(pn_round_rec *r)
{
    free(r->epochs);
    r->epochs = NULL;
    r->n_epochs = 0;
}
