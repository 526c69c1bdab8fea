/* Provenance: where, when, from which revision, compiler, flags and data a
 * benchmark's tables come, and the command that made them; printed under
 * Table II and Table I (Markdown), on the HTML page and in their JSON. */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/report/provenance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pairnet/ops/kset.h"
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

/* The first CPU's model name, vendor, family and model from /proc/cpuinfo
 * (Linux; elsewhere the name stays "unknown" and the rest empty): "AMD
 * EPYC" alone does not tell Zen 4 (family 25) from Zen 5 (family 26),
 * which differ in how they run AVX-512. */
static void read_cpu(pn_run_info *info)
{
    snprintf(info->cpu, sizeof info->cpu, "unknown");
    info->cpu_vendor[0] = info->cpu_family[0] = info->cpu_model[0] = '\0';
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
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
            copy_cut(info->cpu, sizeof info->cpu, colon + 1);
        else if (!strncmp(line, "vendor_id", 9))
            copy_cut(info->cpu_vendor, sizeof info->cpu_vendor, colon + 1);
        else if (!strncmp(line, "cpu family", 10))
            copy_cut(info->cpu_family, sizeof info->cpu_family, colon + 1);
        else if (!strncmp(line, "model", 5) && (line[5] == '\t' || line[5] == ' '))
            copy_cut(info->cpu_model, sizeof info->cpu_model, colon + 1);
    }
    fclose(f);
    if (!info->cpu[0])
        snprintf(info->cpu, sizeof info->cpu, "unknown");
}

/* The revision this binary was built from: $(BUILD)/version.h, which the
 * Makefile writes from `git describe --always --dirty` (or a tarball's
 * VERSION file) and rewrites only when it changes. Asking git at run time
 * would name the revision of whatever directory the run starts in. */
#include "version.h"
/* The flags, from $(BUILD)/flags.h the same way. */
#include "flags.h"

const char *pn_revision(void) { return PN_REVISION; }

const char *pn_build_flags(void) { return PN_BUILD_FLAGS[0] ? PN_BUILD_FLAGS : "unknown"; }

#define PN_STR_(x) #x
#define PN_STR(x) PN_STR_(x)
const char *pn_compiler(void)
{
#if defined(__clang__)
    return "clang " PN_STR(__clang_major__) "." PN_STR(__clang_minor__) "." PN_STR(
        __clang_patchlevel__) " (" __VERSION__ ")";
#elif defined(__GNUC__)
    return "gcc " __VERSION__; /* gcc's __VERSION__ is its version: "12.2.0" */
#elif defined(__VERSION__)
    return __VERSION__;
#else
    return "unknown";
#endif
}

void pn_run_info_fill(pn_run_info *info)
{
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(info->date, sizeof info->date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        snprintf(info->date, sizeof info->date, "unknown");
    read_cpu(info);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    info->cores = cores > 0 ? (size_t)cores : 0; /* 0: unknown */
    snprintf(info->revision, sizeof info->revision, "%s", pn_revision());
    info->compiler = pn_compiler();
    info->flags = pn_build_flags();
    info->kernel_set = pn_kset_name();
}

void pn_run_info_mnist(pn_run_info *info, const pn_mnist *m, const char *dir)
{
    if (m && m->files[0].name[0]) {
        memcpy(info->mnist, m->files, sizeof info->mnist);
        return;
    }
    pn_err ignore = {0}; /* no data folder: the files stay unknown */
    if (pn_mnist_digest(dir, info->mnist, &ignore) != PN_OK)
        memset(info->mnist, 0, sizeof info->mnist);
}

/* Provenance as label/value pairs, shared by the Markdown and the HTML
 * (the command is printed apart, as code). The wall time is the run's
 * elapsed time, nothing added: a rerun that computed nothing took seconds.
 * The rounds' own times, added up, are a separate line under their own
 * name: rounds run side by side and some ran in earlier runs, so the sum is
 * no wall time. */
enum {
    PROV_DATE, PROV_MACHINE, PROV_REVISION, PROV_COMPILER, PROV_FLAGS, PROV_KSET, PROV_MNIST,
    PROV_WALL, PROV_SUM, PROV_NOW, PROV_N
};
typedef char prov_value[1024];
static const char *const prov_label[PROV_N] = {
    "date", "machine", "revision", "compiler", "flags", "kernel set", "MNIST files (md5)",
    "wall time", "summed round time", "rounds computed in this run"};

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

/* "AMD EPYC 7B13 (AuthenticAMD, family 25, model 1), 2 cores": what of
 * it the system says. */
static void machine_text(char *out, size_t cap, const pn_run_info *info)
{
    char id[128] = "";
    const char *parts[3][2] = {{"", info->cpu_vendor}, {"family ", info->cpu_family},
                               {"model ", info->cpu_model}};
    for (int i = 0, n = 0; i < 3; i++)
        if (parts[i][1][0])
            n += snprintf(id + n, sizeof id - (size_t)n, "%s%s%s", n ? ", " : "", parts[i][0],
                          parts[i][1]);
    int n = snprintf(out, cap, "%s", info->cpu);
    if (id[0])
        n += snprintf(out + n, cap - (size_t)n, " (%s)", id);
    if (info->cores)
        snprintf(out + n, cap - (size_t)n, ", %zu cores", info->cores);
}

/* "train-images-idx3-ubyte.gz f68b3c2d..., ..." or "unknown". */
static void mnist_text(char *out, size_t cap, const pn_run_info *info)
{
    int n = 0;
    for (int i = 0; i < PN_MNIST_FILES && info->mnist[i].name[0] && n < (int)cap; i++)
        n += snprintf(out + n, cap - (size_t)n, "%s%s %s", i ? ", " : "", info->mnist[i].name,
                      info->mnist[i].md5);
    if (!n)
        snprintf(out, cap, "unknown");
}

static const char *or_unknown(const char *s) { return s && *s ? s : "unknown"; }

static void prov_values(const pn_run_info *info, prov_value v[PROV_N])
{
    snprintf(v[PROV_DATE], sizeof v[0], "%s", info->date);
    machine_text(v[PROV_MACHINE], sizeof v[0], info);
    snprintf(v[PROV_REVISION], sizeof v[0], "%s", info->revision);
    snprintf(v[PROV_COMPILER], sizeof v[0], "%s", or_unknown(info->compiler));
    snprintf(v[PROV_FLAGS], sizeof v[0], "%s", or_unknown(info->flags));
    snprintf(v[PROV_KSET], sizeof v[0], "%s", or_unknown(info->kernel_set));
    mnist_text(v[PROV_MNIST], sizeof v[0], info);
    format_duration(v[PROV_WALL], sizeof v[PROV_WALL], info->wall_seconds);
    char sum[96];
    format_duration(sum, sizeof sum, info->round_seconds);
    const size_t n = info->rounds_total;
    snprintf(v[PROV_SUM], sizeof v[PROV_SUM], "%s, the times of the %zu round%s added up "
             "(rounds run side by side, some may come from earlier runs)", sum, n,
             n == 1 ? "" : "s");
    snprintf(v[PROV_NOW], sizeof v[0], "%zu of %zu", info->rounds_now, info->rounds_total);
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

/* A /proc/cpuinfo number as a JSON integer; null when unknown or no number. */
static void json_cpu_number(pn_json *j, const char *key, const char *text)
{
    pn_json_key(j, key);
    char *end;
    const unsigned long long v = strtoull(text, &end, 10);
    if (text[0] >= '0' && text[0] <= '9' && !*end)
        pn_json_uint(j, v);
    else
        pn_json_null(j);
}

static void json_text_or_null(pn_json *j, const char *key, const char *s)
{
    pn_json_key(j, key);
    if (s && *s && strcmp(s, "unknown"))
        pn_json_str(j, s);
    else
        pn_json_null(j);
}

static void json_machine(pn_json *j, const pn_run_info *info)
{
    pn_json_key(j, "cpu");
    pn_json_open(j, '{');
    json_text_or_null(j, "vendor", info->cpu_vendor);
    json_cpu_number(j, "family", info->cpu_family);
    json_cpu_number(j, "model", info->cpu_model);
    json_text_or_null(j, "name", info->cpu);
    pn_json_key(j, "cores");
    if (info->cores)
        pn_json_uint(j, info->cores);
    else
        pn_json_null(j);
    pn_json_close(j);
    json_text_or_null(j, "compiler", info->compiler);
    json_text_or_null(j, "flags", info->flags);
    json_text_or_null(j, "kernel_set", info->kernel_set);
}

static void json_mnist(pn_json *j, const pn_run_info *info)
{
    pn_json_key(j, "mnist");
    pn_json_open(j, '[');
    for (int i = 0; i < PN_MNIST_FILES; i++)
        if (info->mnist[i].name[0]) {
            pn_json_open(j, '{');
            pn_json_key(j, "file");
            pn_json_str(j, info->mnist[i].name);
            pn_json_key(j, "md5");
            pn_json_str(j, info->mnist[i].md5);
            pn_json_close(j);
        }
    pn_json_close(j);
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
    json_machine(j, info);
    json_mnist(j, info);
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
