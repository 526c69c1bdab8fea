/* The closing summary of a bench on the terminal: one row per model
 * (parameters, lr, batch size, train and test accuracy in percent, seconds
 * per round) when the table fits the width, else one block of two short
 * lines per model, so that a narrow terminal never wraps a cell. */
#ifndef PAIRNET_SUMMARY_TERM_H
#define PAIRNET_SUMMARY_TERM_H

#include <stddef.h>
#include <stdio.h>

#include "pairnet/report/stats.h"

/* The columns of the terminal out writes to: its width (TIOCGWINSZ) when
 * it is one, else $COLUMNS when set, else 0 (a file or a pipe: no limit). */
int pn_term_width(FILE *out);

/* The summary of s[0..n-1] for a width of cols columns (0: no limit). */
void pn_summary_print(FILE *out, const pn_model_summary *s, size_t n, int cols);

#endif
