/* Benchmark progress on stderr: on a terminal of 60 columns or more, one
 * bar per model redrawn in place, as wide as the terminal allows (rounds
 * done, the epoch of rounds in flight), and a line with the elapsed time,
 * the rate (rounds/min, or epochs/s before the first round ends) and the
 * ETA; in a log or a narrower terminal, one plain line per finished round.
 * The width is read again (TIOCGWINSZ) at every update, so a resized
 * terminal (SIGWINCH) gets a frame that fits at the next one. Not
 * thread-safe: the bench calls it under its mutex. */
#ifndef PAIRNET_PROGRESS_H
#define PAIRNET_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

#include "pairnet/base/error.h"
#include "pairnet/train/record.h"

typedef struct pn_progress_model {
    const char *name;
    size_t epochs;        /* per round */
    double cost;          /* relative cost of one round */
    size_t done;          /* rounds finished (resumed ones included) */
    size_t running_epoch; /* latest epoch reported by a round in flight */
} pn_progress_model;

typedef struct pn_progress {
    FILE *out;
    int tty;
    size_t n_models, rounds;
    pn_progress_model *m; /* [n_models] */
    size_t resumed;       /* rounds taken from the round store */
    size_t finished_now;  /* rounds finished by this process */
    double cost_now;      /* cost of the rounds finished by this process */
    size_t epochs_now;    /* epochs reported by rounds of this process */
    double t0, last_draw;
    int drawn;            /* lines of the last terminal frame */
    int cols;             /* width the last frame was drawn for */
    int force_cols;       /* pn_progress_set_width */
} pn_progress;

/* cost[m]: relative cost of one round of model m (e.g. its multiply-adds),
 * so that the ETA does not assume a cheap mlp round predicts a CNN round.
 * names must outlive p. Fails only for want of memory. */
int pn_progress_init(pn_progress *p, FILE *out, size_t n_models, const char *const *names,
                     const double *cost, size_t rounds, const size_t *epochs,
                     const size_t *done, pn_err *err);
/* Draws as a terminal of cols columns would get it, whatever out is (for
 * tests; 0: ask the terminal again). */
void pn_progress_set_width(pn_progress *p, int cols);
void pn_progress_epoch(pn_progress *p, size_t model, size_t epoch);
void pn_progress_round(pn_progress *p, size_t model, const pn_round_rec *r);
/* Draws the last frame (on a terminal). */
void pn_progress_end(pn_progress *p);
void pn_progress_free(pn_progress *p);

#endif
