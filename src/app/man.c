/* `pairnet --man`: the manual page in troff (man(7) macros), written from
 * the same command and option tables as --help, so that the installed page
 * never disagrees with the binary it came with. */
#include "opttable.h"

#include <stdio.h>
#include <string.h>

#include "pairnet/models/models.h"


/* s as troff text: a backslash printed as \e, '-' as \- (an option's
 * dash, not a hyphen), the no-break space of --help as "\ ", and a line
 * that would start with '.' or '\'' guarded by \&. */
static void roff(FILE *f, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", f);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else if (*s == NBSP[0])
            fputs("\\ ", f);
        else
            fputc(*s, f);
    }
}

static void command_section(FILE *f, const pn_cmd_def *c)
{
    fputs(".SS \"", f);
    roff(f, c->synopsis);
    fputs("\"\n", f);
    roff(f, c->about);
    fputs(".\n", f);
    for (size_t i = 0; i < N_OPTS; i++) {
        if (!pn_opt_of(&opts[i], c->cmd))
            continue;
        char left[64], text[1024];
        pn_opt_describe(&opts[i], c->cmd, left, sizeof left, text, sizeof text);
        fputs(".TP\n.B ", f);
        roff(f, left);
        fputc('\n', f);
        roff(f, text);
        fputc('\n', f);
    }
}

static void header(FILE *f)
{
    fprintf(f, ".TH PAIRNET 1 \"\" \"pairnet %s\" \"User Commands\"\n", PAIRNET_VERSION);
    fputs(".SH NAME\npairnet \\- is the first of two MNIST digits <= the second? "
          "Train, benchmark and evaluate the study's networks\n.SH SYNOPSIS\n", f);
    for (size_t c = 0; c < N_COMMANDS; c++) {
        fputs(".B pairnet\n", f);
        roff(f, commands[c].synopsis);
        fputs("\n.br\n", f);
    }
    fputs(".B pairnet\n\\-\\-help | \\-\\-version | \\-\\-man\n", f);
    size_t n;
    const pn_model_info *m = pn_model_list(&n);
    const size_t study = pn_study_model_count();
    fputs(".SH DESCRIPTION\n"
          "pairnet trains small networks that decide whether the first of two 14x14 "
          "MNIST digits is less than or equal to the second, and reproduces the study's "
          "tables. Its models: the study's", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%s", i == 0 ? " " : i == study ? "; beyond the study, " : ", ", m[i].name);
    fputs(". Every round is a pure function of its seed and configuration: the same "
          "command gives the same numbers on every CPU.\n.SH COMMANDS\n", f);
}

static void footer(FILE *f)
{
    fputs(".SH ENVIRONMENT\n.TP\n.B PAIRNET_DATA\n"
          "the MNIST directory when \\-\\-data is not given (else data/mnist)\n"
          ".TP\n.B PAIRNET_KERNEL\n"
          "the kernel set: avx512, avx2, scalar or neon (default: the best this CPU runs; "
          "every set gives the same bits)\n.SH EXIT STATUS\n", f);
    for (size_t i = 0; i < pn_n_exit_codes; i++)
        fprintf(f, ".TP\n.B %d\n%s\n", pn_exit_codes[i].code, pn_exit_codes[i].meaning);
    fputs(".SH FILES\n.TP\n.I OUT/rounds.pnr\n"
          "bench's round store: every finished round, reused by any later bench of the "
          "same configuration and seed\n"
          ".SH SEE ALSO\n"
          "README.md and docs/ (spec, formats, performance, statistics, numerics, security), "
          "installed under share/doc/pairnet.\n", f);
}

void pn_man_page(FILE *f)
{
    header(f);
    for (size_t c = 0; c < N_COMMANDS; c++)
        command_section(f, &commands[c]);
    footer(f);
}
