/* The exponential moving average of the weights (ema.h). */
#include "pairnet/graph/ema.h"

#include <stdlib.h>
#include <string.h>

int pn_ema_init(pn_ema *e, const pn_graph *g, double decay)
{
    memset(e, 0, sizeof *e);
    e->n_params = g->n_params;
    e->n_state = g->n_state;
    e->decay = decay;
    e->params = malloc((e->n_params + e->n_state + 1) * sizeof *e->params);
    if (!e->params)
        return -1;
    e->state = e->params + e->n_params;
    memcpy(e->params, g->params, e->n_params * sizeof *e->params);
    if (e->n_state)
        memcpy(e->state, g->state, e->n_state * sizeof *e->state);
    return 0;
}

void pn_ema_free(pn_ema *e)
{
    free(e->params);
    memset(e, 0, sizeof *e);
}

static void blend(float *avg, const float *x, size_t n, float d)
{
    const float a = 1.0f - d;
    for (size_t i = 0; i < n; i++)
        avg[i] += a * (x[i] - avg[i]);
}

void pn_ema_update(pn_ema *e, const pn_graph *g)
{
    const double t = (double)e->steps++;
    const double warm = (1.0 + t) / (10.0 + t);
    const float d = (float)(e->decay < warm ? e->decay : warm);
    blend(e->params, g->params, e->n_params, d);
    blend(e->state, g->state, e->n_state, d);
}

static void swap_floats(float *a, float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const float t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

void pn_ema_swap(pn_ema *e, pn_graph *g)
{
    swap_floats(e->params, g->params, e->n_params);
    swap_floats(e->state, g->state, e->n_state);
    e->swapped = !e->swapped;
}
