/* Provenance printed under every table: command, date, machine, revision,
 * wall time, summed round time. */
#ifndef PAIRNET_PROVENANCE_H
#define PAIRNET_PROVENANCE_H

#include <stddef.h>

#include "pairnet/base/buf.h"
#include "pairnet/report/json.h"

typedef struct pn_run_info {
    char command[1024]; /* the command line, shell-quoted (pn_shell_command) */
    char date[64];      /* ISO 8601, UTC */
    char cpu[128];      /* CPU model name */
    size_t cores;
    char revision[64];  /* the binary's revision (pn_revision) */
    double wall_seconds; /* this run's elapsed time (NAN: unknown) */
    /* The rounds in the tables and how many this run computed (0, 0: not
     * counted, their lines are left out); round_seconds adds up the times
     * of all rounds_total rounds, those taken from the store included. */
    size_t rounds_total, rounds_now;
    double round_seconds;
} pn_run_info;

/* The revision the binary was built from (`git describe --always --dirty`
 * when it was built, baked in by the Makefile), or "unknown". */
const char *pn_revision(void);

/* Fills date, cpu, cores and revision (command is left to the caller). */
void pn_run_info_fill(pn_run_info *info);

/* The provenance section: Markdown (for table2.md), HTML (for index.html). */
void pn_provenance_md(pn_buf *b, const pn_run_info *info);
void pn_provenance_html(pn_buf *b, const pn_run_info *info);
/* The provenance as a JSON object, the next value of j (docs/formats.md). */
void pn_provenance_json(pn_json *j, const pn_run_info *info);

#endif
