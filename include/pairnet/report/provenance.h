/* Provenance printed under every table and in its JSON: command, date,
 * machine (CPU vendor, family, model, name, cores), revision, compiler,
 * flags, kernel set, the MNIST files' MD5s, wall time, summed round time. */
#ifndef PAIRNET_PROVENANCE_H
#define PAIRNET_PROVENANCE_H

#include <stddef.h>

#include "pairnet/base/buf.h"
#include "pairnet/data/mnist.h"
#include "pairnet/report/json.h"

typedef struct pn_run_info {
    char command[1024]; /* the command line, shell-quoted (pn_shell_command) */
    char date[64];      /* ISO 8601, UTC */
    char cpu[128];      /* CPU model name, or "unknown" */
    /* /proc/cpuinfo's vendor_id, cpu family and model of the first CPU
     * ("" where the system does not say: not Linux, not x86) */
    char cpu_vendor[32], cpu_family[16], cpu_model[16];
    size_t cores;
    char revision[64];  /* the binary's revision (pn_revision) */
    /* What built and runs the code (NULL: unknown): pn_compiler(),
     * pn_build_flags(), pn_kset_name() */
    const char *compiler, *flags, *kernel_set;
    /* The MNIST files the rounds were computed from (pn_mnist.files;
     * pn_run_info_mnist); a file whose name is "" is unknown. */
    pn_mnist_file mnist[PN_MNIST_FILES];
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

/* The compiler that built this code: "gcc 12.2.0", "clang 14.0.6 (Debian
 * Clang 14.0.6)" (its __VERSION__ in parentheses where it says more). */
const char *pn_compiler(void);
/* The flags it was compiled with (the Makefile's, baked in like the
 * revision; warnings left out), or "unknown". */
const char *pn_build_flags(void);

/* Fills date, the CPU, cores, revision, compiler, flags and kernel set
 * (command and the MNIST files are left to the caller). */
void pn_run_info_fill(pn_run_info *info);
/* The MNIST files into info: m's when it was loaded, else those in dir
 * checksummed now (the rounds came from the store); left unknown when dir
 * has none. */
void pn_run_info_mnist(pn_run_info *info, const pn_mnist *m, const char *dir);

/* The provenance section: Markdown (for table2.md), HTML (for index.html). */
void pn_provenance_md(pn_buf *b, const pn_run_info *info);
void pn_provenance_html(pn_buf *b, const pn_run_info *info);
/* The provenance as a JSON object, the next value of j (docs/formats.md). */
void pn_provenance_json(pn_json *j, const pn_run_info *info);

#endif
