/* Provenance: where, when and from which revision a benchmark's tables
 * come, and the command that made them; printed under Table II (Markdown)
 * and on the HTML page. */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/report/provenance.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pairnet/report/escape.h"

/* Strips leading and trailing white space and squeezes inner runs to one
 * space (CPU names come padded: "Intel(R) Xeon(R) CPU   E5-2680"). */
static void squeeze_spaces(char *s)
{
    char *w = s;
    int space = 1; /* drop leading space */
    for (const char *r = s; *r; r++) {
        int is_space = *r == ' ' || *r == '\t' || *r == '\n' || *r == '\r';
        if (is_space) {
            if (!space)
                *w++ = ' ';
            space = 1;
        } else {
            *w++ = *r;
            space = 0;
        }
    }
    if (w > s && w[-1] == ' ')
        w--;
    *w = '\0';
}

/* s into out[cap], cut at a character boundary when it does not fit: a
 * CPU name is text from the machine, and a cut inside a UTF-8 character
 * would leave a byte no reader can show. */
static void copy_cut(char *out, size_t cap, const char *s)
{
    const size_t n = pn_utf8_cut(s, strlen(s), cap - 1);
    memcpy(out, s, n);
    out[n] = '\0';
}

/* The CPU's model name, with its family and model numbers where
 * /proc/cpuinfo gives them: "AMD EPYC" alone does not tell Zen 4 (family
 * 25) from Zen 5 (family 26), which differ in how they run AVX-512. */
static void read_cpu_model(char *out, size_t cap)
{
    snprintf(out, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512], name[256] = "", family[32] = "", model[32] = "";
    while (fgets(line, sizeof line, f) && line[0] != '\n') { /* the first CPU only */
        if (!strchr(line, '\n') && !feof(f)) { /* an over-long line: skipped whole */
            int c;
            while ((c = getc(f)) != EOF && c != '\n')
                ;
            continue;
        }
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        squeeze_spaces(colon + 1);
        if (!strncmp(line, "model name", 10))
            copy_cut(name, sizeof name, colon + 1);
        else if (!strncmp(line, "cpu family", 10))
            copy_cut(family, sizeof family, colon + 1);
        else if (!strncmp(line, "model", 5) && (line[5] == '\t' || line[5] == ' '))
            copy_cut(model, sizeof model, colon + 1);
    }
    fclose(f);
    if (!name[0])
        return;
    char whole[512];
    if (family[0] && model[0])
        snprintf(whole, sizeof whole, "%.255s (family %.31s, model %.31s)", name, family, model);
    else
        snprintf(whole, sizeof whole, "%s", name);
    copy_cut(out, cap, whole);
}

/* The revision this binary was built from: $(BUILD)/version.h, which the
 * Makefile writes from `git describe --always --dirty` (or a tarball's
 * VERSION file) and rewrites only when it changes. Asking git at run time
 * would name the revision of whatever directory the run starts in. */
#include "version.h"

const char *pn_revision(void) { return PN_REVISION; }

void pn_run_info_fill(pn_run_info *info)
{
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(info->date, sizeof info->date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        snprintf(info->date, sizeof info->date, "unknown");
    read_cpu_model(info->cpu, sizeof info->cpu);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    info->cores = cores > 0 ? (size_t)cores : 0; /* 0: unknown */
    snprintf(info->revision, sizeof info->revision, "%s", pn_revision());
}

/* Provenance as label/value pairs, shared by the Markdown and the HTML
 * (the command is printed apart, as code). The wall time is the run's
 * elapsed time, nothing added: a rerun that computed nothing took seconds.
 * The rounds' own times, added up, are a separate line under their own
 * name: rounds run side by side and some ran in earlier runs, so the sum is
 * no wall time. */
enum { PROV_N = 6, PROV_WALL = 3, PROV_SUM = 4 };
typedef char prov_value[512];
static const char *const prov_label[PROV_N] = {"date", "machine", "revision", "wall time",
                                               "summed round time",
                                               "rounds computed in this run"};

static void format_duration(char *out, size_t cap, double s)
{
    if (!(s >= 0 && s < 1e9)) { /* 30 years: beyond, the cast below could overflow */
        snprintf(out, cap, "unknown");
        return;
    }
    unsigned long whole = (unsigned long)(s + 0.5);
    unsigned long h = whole / 3600, m = whole / 60 % 60, sec = whole % 60;
    if (h)
        snprintf(out, cap, "%.1f s (%lu h %02lu min %02lu s)", s, h, m, sec);
    else if (m)
        snprintf(out, cap, "%.1f s (%lu min %02lu s)", s, m, sec);
    else
        snprintf(out, cap, "%.1f s", s);
}

static void prov_values(const pn_run_info *info, prov_value v[PROV_N])
{
    snprintf(v[0], sizeof v[0], "%s", info->date);
    if (info->cores)
        snprintf(v[1], sizeof v[1], "%s, %zu cores", info->cpu, info->cores);
    else
        snprintf(v[1], sizeof v[1], "%s", info->cpu);
    snprintf(v[2], sizeof v[2], "%s", info->revision);
    format_duration(v[PROV_WALL], sizeof v[PROV_WALL], info->wall_seconds);
    char sum[96];
    format_duration(sum, sizeof sum, info->round_seconds);
    const size_t n = info->rounds_total;
    snprintf(v[PROV_SUM], sizeof v[PROV_SUM], "%s, the times of the %zu round%s added up "
             "(rounds run side by side, some may come from earlier runs)", sum, n,
             n == 1 ? "" : "s");
    snprintf(v[5], sizeof v[5], "%zu of %zu", info->rounds_now, info->rounds_total);
}

/* The round lines only when the caller counted the rounds. */
static int prov_shown(const pn_run_info *info, size_t i)
{
    return info->rounds_total || i < PROV_SUM;
}

void pn_provenance_md(pn_buf *b, const pn_run_info *info)
{
    prov_value v[PROV_N];
    prov_values(info, v);
    /* the command is already shell-quoted (pn_shell_command); the fence
     * keeps any line of it inside the block */
    pn_buf_printf(b, "## Provenance\n\nCommand:\n\n");
    pn_esc_md_code(b, "sh", info->command);
    pn_buf_printf(b, "\n");
    for (size_t i = 0; i < PROV_N; i++) {
        if (!prov_shown(info, i))
            continue;
        pn_buf_printf(b, "- %s: ", prov_label[i]);
        pn_esc_md(b, v[i]);
        pn_buf_printf(b, "\n");
    }
}

void pn_provenance_html(pn_buf *b, const pn_run_info *info)
{
    prov_value v[PROV_N];
    prov_values(info, v);
    /* "of this bench": a Table I on the same page has a provenance too */
    pn_buf_printf(b, "<h2>Provenance of this bench</h2>\n<dl>\n<dt>command</dt><dd><pre><code>");
    pn_esc_html(b, info->command);
    pn_buf_printf(b, "</code></pre></dd>\n");
    for (size_t i = 0; i < PROV_N; i++) {
        if (!prov_shown(info, i))
            continue;
        pn_buf_printf(b, "<dt>%s</dt><dd>", prov_label[i]);
        pn_esc_html(b, v[i]);
        pn_buf_printf(b, "</dd>\n");
    }
    pn_buf_printf(b, "</dl>\n");
}

void pn_provenance_json(pn_json *j, const pn_run_info *info)
{
    pn_json_open(j, '{');
    pn_json_key(j, "command");
    pn_json_str(j, info->command);
    pn_json_key(j, "date");
    pn_json_str(j, info->date);
    pn_json_key(j, "revision");
    pn_json_str(j, info->revision);
    pn_json_key(j, "cpu");
    pn_json_str(j, info->cpu);
    pn_json_key(j, "cores");
    if (info->cores)
        pn_json_uint(j, info->cores);
    else
        pn_json_null(j);
    pn_json_key(j, "wall_seconds");
    pn_json_num(j, info->wall_seconds);
    if (info->rounds_total) {
        pn_json_key(j, "rounds_total");
        pn_json_uint(j, info->rounds_total);
        pn_json_key(j, "rounds_computed_now");
        pn_json_uint(j, info->rounds_now);
        pn_json_key(j, "summed_round_seconds");
        pn_json_num(j, info->round_seconds);
    }
    pn_json_close(j);
}
