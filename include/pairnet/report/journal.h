/* The append-only record of a benchmark's finished rounds (src/report/journal.c). */
#ifndef PAIRNET_JOURNAL_H
#define PAIRNET_JOURNAL_H

#include <stdio.h>

#include "pairnet/base/error.h"
#include "pairnet/train/record.h"

/* Opens (or creates) the journal at path for appending. An existing journal
 * must have been written with the same configuration string; its complete
 * rounds are returned in *rounds (free with pn_journal_free) and a torn last
 * record is cut off. */
int pn_journal_open(const char *path, const char *config, pn_round_rec **rounds, size_t *n,
                    FILE **out, pn_err *err);
/* Appends one finished round and fsyncs. */
int pn_journal_append(FILE *f, const pn_round_rec *r, pn_err *err);
void pn_journal_free(pn_round_rec *r, size_t n);

#endif
