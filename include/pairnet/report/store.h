/* The round store: every finished round of a benchmark, kept under the key
 * of everything that changes its numbers, so that rounds are computed once
 * and any benchmark asking for them again reuses them (src/report/store.c).
 *
 * One folder holds one store, DIR/rounds.pnr: a header line, then one line
 * per round with its own CRC-32. A second process on the same folder waits
 * for the first (an advisory lock, DIR/rounds.lock, holding the owner's pid).
 * Reading is strict: every field is parsed whole and checked (accuracies
 * finite and in [0, 1], epochs as the key says, seeds whole numbers). A torn
 * last line (a crash in the middle of an append) is cut off silently; a
 * damaged line anywhere else is refused, naming the file and line. */
#ifndef PAIRNET_STORE_H
#define PAIRNET_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"
#include "pairnet/report/results.h"

typedef struct pn_store pn_store;

/* Opens (creating if needed) the store in dir, taking its lock (waiting,
 * with a note on stderr naming the pid that holds it, until it is free or
 * stop() returns non-zero; stop may be NULL). */
int pn_store_open(const char *dir, int (*stop)(void), pn_store **out, pn_err *err);
void pn_store_close(pn_store *s);

/* The round stored for (key, seed), or NULL. The record stays owned by the store. */
const pn_round_rec *pn_store_find(const pn_store *s, const char *key, uint64_t seed);
/* Appends a finished round under key (no tab or newline in key) and fsyncs. */
int pn_store_add(pn_store *s, const char *key, const pn_round_rec *r, pn_err *err);

/* Iteration, in file order: the number of rounds, and the key and record of round i. */
size_t pn_store_count(const pn_store *s);
const char *pn_store_key(const pn_store *s, size_t i);
const pn_round_rec *pn_store_round(const pn_store *s, size_t i);
/* The store's file, for messages. */
const char *pn_store_path(const pn_store *s);

#endif
