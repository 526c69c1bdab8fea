/* An exponential moving average of a graph's weights and BatchNorm running
 * statistics (src/graph/ema.c), for evaluation: after every training step
 * shadow = d * shadow + (1 - d) * live, with d = min(decay, (1 + t) / (10 + t))
 * at step t (the usual warm-up, so that the first steps' random weights
 * fade fast). Evaluation swaps the shadow in and back out. */
#ifndef PAIRNET_GRAPH_EMA_H
#define PAIRNET_GRAPH_EMA_H

#include <stddef.h>

#include "pairnet/graph/graph.h"

typedef struct pn_ema {
    float *params, *state; /* [n_params], [n_state] of the graph, one allocation */
    size_t n_params, n_state;
    double decay;
    size_t steps;
    int swapped; /* 1 while the shadow is in the graph */
} pn_ema;

/* Starts the average at g's current weights. 0, or -1 out of memory. */
int pn_ema_init(pn_ema *e, const pn_graph *g, double decay);
void pn_ema_free(pn_ema *e);
/* One step of the average (after an optimizer step). */
void pn_ema_update(pn_ema *e, const pn_graph *g);
/* Exchanges the graph's weights and statistics with the average (twice:
 * back to where it was). */
void pn_ema_swap(pn_ema *e, pn_graph *g);

#endif
