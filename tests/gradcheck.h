/* Finite-difference gradient checking of a finalized graph. */
#ifndef PAIRNET_GRADCHECK_H
#define PAIRNET_GRADCHECK_H

#include <stddef.h>

#include "pairnet/graph/graph.h"
#include "pairnet/models/models.h"

typedef struct gc_result {
    size_t checked, skipped, bad;
    double worst; /* largest |numeric - analytic| / (abs_tol + rel_tol * |analytic|) */
    double worst_numeric, worst_analytic; /* the two gradients at that coordinate */
} gc_result;

/* The node the model named PN_OUT_LOGITS (PN_NONE if none). */
size_t gc_logits(const pn_graph *g);

/* Fills the input with N(0,1)-ish values and random labels for `batch`
 * pairs (digit classes 0..9, target from them), using seed. */
void gc_random_batch(pn_graph *g, size_t batch, unsigned seed);

/* Compares backward's gradients with central differences for up to
 * max_params parameters and max_inputs input values (0: all; spread evenly; the
 * first input only if g->input_grad). A
 * coordinate whose one-sided slopes disagree sits on a ReLU or max-pool
 * kink and is skipped. */
gc_result gc_check(pn_graph *g, size_t batch, size_t max_params, size_t max_inputs);

#endif
