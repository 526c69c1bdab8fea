/* The round store: every finished round of a benchmark, kept under the key
 * of everything that changes its numbers, so that rounds are computed once
 * and any benchmark asking for them again reuses them (src/report/store.c).
 *
 * One folder holds one store, DIR/rounds.pnr: a header line, then one line
 * per round with its own CRC-32. A second process on the same folder waits
 * for the first (an fcntl lock on DIR/rounds.lock, an empty file that is
 * never written; the holder's pid comes from the lock itself). Neither file
 * is ever opened through a symbolic link or written when it has other hard
 * links or is not a regular file. Reading is bounded (256 MiB, lines of 16
 * MiB), never blocks (a FIFO is refused) and strict: every field is parsed
 * whole and checked (accuracies in [0, 1], a round's final accuracies those
 * of its last epoch, times finite and at most 1e7 s, epochs as the key
 * says, seeds whole numbers). Whatever follows the last newline (a crash in
 * the middle of an append: a partial line, NUL bytes, garbage) is cut off
 * silently; a damaged line anywhere else is refused, naming the file and
 * line. */
#ifndef PAIRNET_STORE_H
#define PAIRNET_STORE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"
#include "pairnet/base/buf.h"
#include "pairnet/report/results.h"
#include "pairnet/train/train.h"

typedef struct pn_store pn_store;

/* The tail of every key: the data protocol and the numeric version of the
 * kernels (train.h). A round of another version is never reused. */
#define PN_STORE_VERSIONS_(p, n) ";protocol=" #p ";numeric=" #n
#define PN_STORE_VERSIONS(p, n) PN_STORE_VERSIONS_(p, n)
#define PN_STORE_KEY_VERSIONS PN_STORE_VERSIONS(PN_PROTOCOL_VERSION, PN_NUMERIC_VERSION)

/* The key of the rounds of configuration c, in *key (malloc'ed, never cut):
 * everything that changes a round's numbers except the seed, which is the
 * record's own field:
 *
 *   model=cnn;epochs=45;lr=0.05;bs=50;opt=sgd;momentum=0;weight_decay=0;
 *   lr_step=15;lr_gamma=0.5;aux_weight=1;dropout=0;aug_swap=0;aug_repair=0;
 *   aug_shift=0;eval=epoch;pairs=1000;protocol=1;numeric=1
 *
 * (one line; numbers with the fewest digits that read back exactly). */
int pn_store_key_of(const pn_train_cfg *c, char **key, pn_err *err);

/* Opens (creating if needed) the store in dir, taking its lock (waiting,
 * with a note on stderr naming the pid that holds it, until it is free or
 * *stop is non-zero, as pn_round_hooks' stop; stop may be NULL). */
int pn_store_open(const char *dir, atomic_int *stop, pn_store **out, pn_err *err);
void pn_store_close(pn_store *s);

/* The round stored for (key, seed), or NULL. The record stays owned by the store. */
const pn_round_rec *pn_store_find(const pn_store *s, const char *key, uint64_t seed);
/* Appends a finished round under key (no tab or newline in key) and fsyncs. */
int pn_store_add(pn_store *s, const char *key, const pn_round_rec *r, pn_err *err);

/* Iteration, in file order: the number of rounds, and the key and record of round i. */
size_t pn_store_count(const pn_store *s);
const char *pn_store_key(const pn_store *s, size_t i);
const pn_round_rec *pn_store_round(const pn_store *s, size_t i);
/* What the store holds, one line per key in file order: the model, the
 * key's other fields space-separated, the number of rounds (and of diverged
 * ones) and the seeds as ranges ("0-14"). Fails only for want of memory. */
int pn_store_describe(const pn_store *s, pn_buf *out);
/* Opens the store in dir to read only, without its lock and changing
 * nothing (a torn last line is skipped, not cut): for looking at a store a
 * bench may be writing. A missing store reads as empty. */
int pn_store_read(const char *dir, pn_store **out, pn_err *err);
/* The store's file, for messages. */
const char *pn_store_path(const pn_store *s);

#endif
