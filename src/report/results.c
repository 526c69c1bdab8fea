/* The results writers: a growable text buffer, atomic file replacement,
 * provenance, Table II (Markdown + CSV, with the digit-level accuracies of
 * the models that have digit logits), runs.csv and the HTML page. The
 * figures are in svg.c. */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/report/results.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PM " \xc2\xb1 " /* " ± " in UTF-8, spelled out to keep the source ASCII */
#define EMDASH "\xe2\x80\x94"
#define LE "\xe2\x89\xa4" /* less-than or equal to */

/* ---- growable buffer --------------------------------------------------- */

static int buf_reserve(pn_buf *b, size_t need)
{
    if (need <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return 0;
    }
    b->data = p;
    b->cap = cap;
    return 1;
}

void pn_buf_printf(pn_buf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    /* First try into the room left; if it does not fit, vsnprintf has told
     * us the exact length, so grow once and format again. */
    size_t room = b->cap - b->len;
    int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n >= room) {
        if (buf_reserve(b, b->len + (size_t)n + 1))
            vsnprintf(b->data + b->len, b->cap - b->len, fmt, again);
        else
            n = -1;
    }
    va_end(again);
    if (n < 0) {
        b->failed = 1; /* an encoding error or no memory: the text is incomplete */
        if (b->data)
            b->data[b->len] = '\0';
        return;
    }
    b->len += (size_t)n;
}

void pn_buf_free(pn_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

void pn_buf_escape_xml(pn_buf *b, const char *s)
{
    while (*s) {
        size_t run = strcspn(s, "&<>\"'");
        if (run)
            pn_buf_printf(b, "%.*s", (int)run, s);
        s += run;
        switch (*s) {
        case '&': pn_buf_printf(b, "&amp;"); break;
        case '<': pn_buf_printf(b, "&lt;"); break;
        case '>': pn_buf_printf(b, "&gt;"); break;
        case '"': pn_buf_printf(b, "&quot;"); break;
        case '\'': pn_buf_printf(b, "&#39;"); break;
        default: return; /* end of string */
        }
        s++;
    }
}

/* ---- atomic write ------------------------------------------------------ */

/* The likely cause of a failed write, as a hint the user can act on. */
static const char *io_hint(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR: return "does the directory exist?";
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
        return "the disk (or quota) is full";
    case EACCES:
    case EPERM:
    case EROFS: return "is the directory read-only?";
    case EISDIR: return "a directory of that name is in the way";
    default: return "is the disk full or the directory read-only?";
    }
}

static int io_fail(pn_err *err, const char *what, const char *path, int e)
{
    return pn_fail(err, PN_ERR_RUNTIME, "cannot %s '%s': %s (%s)", what, path, strerror(e),
                   io_hint(e));
}

/* Writes and syncs a new file; returns 0 or an errno value. */
static int write_synced(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return errno ? errno : EIO;
    int e = 0;
    errno = 0;
    if (len && fwrite(data, 1, len, f) != len)
        e = errno ? errno : EIO;
    if (!e && fflush(f) != 0)
        e = errno ? errno : EIO;
    if (!e && fsync(fileno(f)) != 0)
        e = errno;
    /* fclose can be the first to report a delayed write error (NFS). */
    if (fclose(f) != 0 && !e)
        e = errno ? errno : EIO;
    return e;
}

/* Makes the rename itself durable; returns 0 or an errno value. */
static int sync_parent_dir(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return ENOMEM;
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0'; /* "/file" */
    else
        *slash = '\0';
    int e = 0;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        e = errno;
    else {
        if (fsync(fd) != 0)
            e = errno;
        close(fd);
    }
    free(dir);
    /* Some file systems cannot sync a directory; nothing more can be done. */
    return (e == EINVAL || e == ENOTSUP) ? 0 : e;
}

int pn_write_atomic(const char *path, const void *data, size_t len, pn_err *err)
{
    size_t cap = strlen(path) + 32;
    char *tmp = malloc(cap);
    if (!tmp)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory writing '%s'", path);
    /* The PID keeps concurrent processes writing the same file apart. */
    snprintf(tmp, cap, "%s.tmp.%ld", path, (long)getpid());
    int e = write_synced(tmp, data, len);
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        remove(tmp); /* the old file, if any, was never touched */
        free(tmp);
        return io_fail(err, "write", path, e);
    }
    free(tmp);
    e = sync_parent_dir(path);
    if (e)
        return io_fail(err, "sync the directory of", path, e);
    return 0;
}

int pn_buf_write_atomic(const char *path, const pn_buf *b, pn_err *err)
{
    if (b->failed)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory while building '%s'", path);
    return pn_write_atomic(path, b->data, b->len, err);
}

/* dir/name into out; a path that does not fit is an error, not a truncation. */
static int join_path(char *out, size_t cap, const char *dir, const char *name, pn_err *err)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap)
        return pn_fail(err, PN_ERR_RUNTIME, "path too long: '%s/%s'", dir, name);
    return 0;
}

/* Appends the text built in b to dir/name and frees b. */
static int save_buf(const char *dir, const char *name, pn_buf *b, pn_err *err)
{
    char path[4096];
    int rc = join_path(path, sizeof path, dir, name, err);
    if (!rc)
        rc = pn_buf_write_atomic(path, b, err);
    pn_buf_free(b);
    return rc;
}

/* ---- provenance -------------------------------------------------------- */

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

static void read_cpu_model(char *out, size_t cap)
{
    snprintf(out, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) != 0 || !colon)
            continue;
        squeeze_spaces(colon + 1);
        if (colon[1])
            snprintf(out, cap, "%s", colon + 1);
        break;
    }
    fclose(f);
}

/* First line of a shell command's output, trimmed; 1 if it printed anything. */
static int capture_line(const char *cmd, char *out, size_t cap)
{
    out[0] = '\0';
    FILE *p = popen(cmd, "r");
    if (!p)
        return 0;
    int any = fgets(out, (int)cap, p) != NULL;
    char drain[256];
    while (fgets(drain, sizeof drain, p))
        any = 1;
    pclose(p);
    squeeze_spaces(out);
    return any;
}

static void read_git_revision(char *out, size_t cap)
{
    char rev[48], status[256]; /* rev + "-dirty" fits the 64 of pn_run_info */
    if (!capture_line("git rev-parse --short HEAD 2>/dev/null", rev, sizeof rev) || !rev[0]) {
        snprintf(out, cap, "unknown");
        return;
    }
    /* Tracked files that differ from HEAD make the revision unreproducible;
     * untracked ones (results/, build/) do not. */
    int dirty = capture_line("git status --porcelain --untracked-files=no 2>/dev/null", status,
                             sizeof status);
    snprintf(out, cap, "%s%s", rev, dirty ? "-dirty" : "");
}

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
    read_git_revision(info->revision, sizeof info->revision);
}

/* Provenance as label/value pairs, shared by the Markdown and the HTML
 * (the command is printed apart, as code). */
enum { PROV_N = 4 };
typedef char prov_value[256];
static const char *const prov_label[PROV_N] = {"date", "machine", "revision", "total wall time"};

static void format_duration(char *out, size_t cap, double s)
{
    if (!(s >= 0)) {
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
    format_duration(v[3], sizeof v[3], info->wall_seconds);
}

/* ---- Table II ---------------------------------------------------------- */

/* The columns of Table II, shared by the Markdown and the HTML versions.
 * The two digit columns (T2_DIGIT, T2_ARGMAX) stand next to the head's test
 * accuracy and are shown only when some model has digit logits. */
enum { T2_COLS = 10, T2_DIGIT = 6, T2_ARGMAX = 7 };
typedef char t2_cell[96];
static const char *const t2_head[T2_COLS] = {
    "model", "parameters", "lr", "batch size", "train acc (%) mean" PM "std",
    "test acc (%) mean" PM "std", "test digit acc (%) mean" PM "std",
    "test acc, digits compared (%) mean" PM "std", "rounds", "s/round"};

int pn_summaries_have_digits(const pn_model_summary *s, size_t n_models)
{
    for (size_t i = 0; i < n_models; i++)
        if (!isnan(s[i].digit_mean))
            return 1;
    return 0;
}

static int t2_shown(size_t c, int digits)
{
    return digits || (c != T2_DIGIT && c != T2_ARGMAX);
}

static void format_pct(char *out, size_t cap, double mean, double std)
{
    if (isnan(mean))
        snprintf(out, cap, EMDASH);
    else
        snprintf(out, cap, "%.2f" PM "%.2f", 100.0 * mean, 100.0 * std);
}

static void t2_cells(const pn_model_summary *s, t2_cell c[T2_COLS])
{
    snprintf(c[0], sizeof c[0], "%s", s->model);
    snprintf(c[1], sizeof c[1], "%zu", s->params);
    snprintf(c[2], sizeof c[2], "%g", s->lr);
    snprintf(c[3], sizeof c[3], "%zu", s->bs);
    format_pct(c[4], sizeof c[4], s->train_mean, s->train_std);
    format_pct(c[5], sizeof c[5], s->test_mean, s->test_std);
    format_pct(c[T2_DIGIT], sizeof c[T2_DIGIT], s->digit_mean, s->digit_std);
    format_pct(c[T2_ARGMAX], sizeof c[T2_ARGMAX], s->argmax_mean, s->argmax_std);
    if (s->diverged)
        snprintf(c[8], sizeof c[8], "%zu (+%zu diverged)", s->rounds, s->diverged);
    else
        snprintf(c[8], sizeof c[8], "%zu", s->rounds);
    if (isnan(s->sec_per_round))
        snprintf(c[9], sizeof c[9], EMDASH);
    else
        snprintf(c[9], sizeof c[9], "%.2f", s->sec_per_round);
}

static size_t total_diverged(const pn_model_summary *s, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += s[i].diverged;
    return d;
}

/* One sentence on how the numbers were obtained; epochs may differ per
 * model when the caller overrides them. */
static void describe_table2(pn_buf *b, const pn_model_summary *s, size_t n)
{
    pn_buf_printf(b, "Mean" PM "sample standard deviation over the rounds of each model, "
                     "accuracies in percent");
    int same = 1;
    for (size_t i = 1; i < n; i++)
        same &= s[i].epochs == s[0].epochs;
    if (n && same)
        pn_buf_printf(b, "; %zu epochs per round.", s[0].epochs);
    else if (n) {
        pn_buf_printf(b, "; epochs per round:");
        for (size_t i = 0; i < n; i++)
            pn_buf_printf(b, "%s %s %zu", i ? "," : "", s[i].model, s[i].epochs);
        pn_buf_printf(b, ".");
    } else
        pn_buf_printf(b, ".");
}

/* What the digit columns mean, under the table when they are shown. */
static const char *const digits_note =
    "Test digit acc: the fraction of the test images (both of every test pair) whose digit "
    "the tower's ten outputs classify right. Test acc, digits compared: the pair accuracy of "
    "answering \"first " LE " second\" by comparing the two predicted digits instead of using the "
    "learned head. A dash (" EMDASH "): the model has no digit logits. A tower trained without the "
    "auxiliary digit loss (cnn_ws, or --aux-weight 0) is never taught digit classes: its "
    "columns show how far its ten outputs are from digit identities.";

static const char *const diverged_note =
    "Rounds whose training loss became non-finite (diverged) are left out of the means "
    "and standard deviations; the rounds column counts the rounds averaged.";

static void md_table2(pn_buf *b, const pn_model_summary *s, size_t n)
{
    const int digits = pn_summaries_have_digits(s, n);
    for (size_t c = 0; c < T2_COLS; c++)
        if (t2_shown(c, digits))
            pn_buf_printf(b, "| %s ", t2_head[c]);
    pn_buf_printf(b, "|\n");
    for (size_t c = 0; c < T2_COLS; c++)
        if (t2_shown(c, digits))
            pn_buf_printf(b, "|%s", c == 0 ? ":---" : "---:");
    pn_buf_printf(b, "|\n");
    for (size_t i = 0; i < n; i++) {
        t2_cell cell[T2_COLS];
        t2_cells(&s[i], cell);
        for (size_t c = 0; c < T2_COLS; c++)
            if (t2_shown(c, digits))
                pn_buf_printf(b, "| %s ", cell[c]);
        pn_buf_printf(b, "|\n");
    }
}

static void md_provenance(pn_buf *b, const pn_run_info *info)
{
    prov_value v[PROV_N];
    prov_values(info, v);
    pn_buf_printf(b, "## Provenance\n\nCommand:\n\n```sh\n%s\n```\n\n", info->command);
    for (size_t i = 0; i < PROV_N; i++)
        pn_buf_printf(b, "- %s: %s\n", prov_label[i], v[i]);
}

static int write_table2_md(const char *dir, const pn_model_summary *s, size_t n,
                           const pn_run_info *info, pn_err *err)
{
    pn_buf b = {0};
    pn_buf_printf(&b, "# Table II: accuracy of each model\n\n");
    describe_table2(&b, s, n);
    pn_buf_printf(&b, "\n\n");
    md_table2(&b, s, n);
    if (pn_summaries_have_digits(s, n))
        pn_buf_printf(&b, "\n%s\n", digits_note);
    if (total_diverged(s, n))
        pn_buf_printf(&b, "\n%s\n", diverged_note);
    pn_buf_printf(&b, "\n");
    md_provenance(&b, info);
    return save_buf(dir, "table2.md", &b, err);
}

/* CSV fields: a NaN is an empty field (what spreadsheets and pandas read
 * as missing); text is quoted only when it has to be. */
static void csv_num(pn_buf *b, const char *fmt, double v)
{
    pn_buf_printf(b, ",");
    if (!isnan(v))
        pn_buf_printf(b, fmt, v);
}

static void csv_text(pn_buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        pn_buf_printf(b, "%s", s);
        return;
    }
    pn_buf_printf(b, "\"");
    for (; *s; s++)
        pn_buf_printf(b, *s == '"' ? "\"\"" : "%c", *s);
    pn_buf_printf(b, "\"");
}

/* Only what a rerun reproduces to the bit: the same seeds give the same
 * file whatever --jobs was or whether the run was resumed. Timing stays in
 * table2.md and runs.csv. */
static int write_table2_csv(const char *dir, const pn_model_summary *s, size_t n, pn_err *err)
{
    pn_buf b = {0};
    pn_buf_printf(&b, "model,params,lr,bs,epochs,rounds,diverged,train_mean,train_std,"
                      "test_mean,test_std,digit_mean,digit_std,argmax_mean,argmax_std\n");
    for (size_t i = 0; i < n; i++) {
        csv_text(&b, s[i].model);
        pn_buf_printf(&b, ",%zu", s[i].params);
        csv_num(&b, "%g", s[i].lr);
        pn_buf_printf(&b, ",%zu,%zu,%zu,%zu", s[i].bs, s[i].epochs, s[i].rounds, s[i].diverged);
        csv_num(&b, "%.6f", s[i].train_mean);
        csv_num(&b, "%.6f", s[i].train_std);
        csv_num(&b, "%.6f", s[i].test_mean);
        csv_num(&b, "%.6f", s[i].test_std);
        csv_num(&b, "%.6f", s[i].digit_mean);
        csv_num(&b, "%.6f", s[i].digit_std);
        csv_num(&b, "%.6f", s[i].argmax_mean);
        csv_num(&b, "%.6f", s[i].argmax_std);
        pn_buf_printf(&b, "\n");
    }
    return save_buf(dir, "table2.csv", &b, err);
}

int pn_write_table2(const char *dir, const pn_model_summary *s, size_t n_models,
                    const pn_run_info *info, pn_err *err)
{
    int rc = write_table2_md(dir, s, n_models, info, err);
    return rc ? rc : write_table2_csv(dir, s, n_models, err);
}

/* ---- runs.csv ---------------------------------------------------------- */

/* One row per epoch. digit_acc and argmax_acc belong to the round, measured
 * once after its last epoch: they are on that row and empty on the others,
 * so the columns before them keep their places for existing readers. */
int pn_write_runs_csv(const char *dir, const pn_round_rec *r, size_t n_rounds, pn_err *err)
{
    pn_buf b = {0};
    pn_buf_printf(&b, "model,round,seed,epoch,lr,loss,train_acc,test_acc,seconds,digit_acc,"
                      "argmax_acc\n");
    for (size_t i = 0; i < n_rounds; i++) {
        for (size_t e = 0; e < r[i].n_epochs; e++) {
            const pn_epoch_rec *ep = &r[i].epochs[e];
            csv_text(&b, r[i].model);
            pn_buf_printf(&b, ",%zu,%" PRIu64 ",%zu", r[i].round, r[i].seed, ep->epoch);
            csv_num(&b, "%g", ep->lr);
            csv_num(&b, "%.6g", ep->loss); /* a diverged epoch's inf stays visible */
            csv_num(&b, "%.6f", ep->train_acc);
            csv_num(&b, "%.6f", ep->test_acc);
            csv_num(&b, "%.3f", ep->seconds);
            const int last = e + 1 == r[i].n_epochs;
            csv_num(&b, "%.6f", last ? r[i].digit_acc : NAN);
            csv_num(&b, "%.6f", last ? r[i].argmax_acc : NAN);
            pn_buf_printf(&b, "\n");
        }
    }
    return save_buf(dir, "runs.csv", &b, err);
}

/* ---- index.html -------------------------------------------------------- */

/* Whole file, NUL-terminated, or NULL (errno says why). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    pn_buf b = {0};
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        pn_buf_printf(&b, "%.*s", (int)got, chunk);
    int bad = ferror(f) || b.failed;
    fclose(f);
    if (bad) {
        pn_buf_free(&b);
        return NULL;
    }
    if (!b.data) /* empty file */
        return calloc(1, 1);
    return b.data;
}

/* Inline Markdown: escaping, **bold**, `code` and backslash escapes; enough
 * for table1.md, which scripts/table1.sh writes. */
static void md_inline(pn_buf *b, const char *s, size_t n)
{
    int bold = 0, code = 0;
    for (size_t i = 0; i < n; i++) {
        char ch[2] = {s[i], '\0'};
        if (s[i] == '\\' && i + 1 < n && strchr("\\`*_|#-", s[i + 1])) {
            ch[0] = s[++i];
            pn_buf_escape_xml(b, ch);
        } else if (!code && s[i] == '*' && i + 1 < n && s[i + 1] == '*') {
            pn_buf_printf(b, bold ? "</strong>" : "<strong>");
            bold = !bold;
            i++;
        } else if (s[i] == '`') {
            pn_buf_printf(b, code ? "</code>" : "<code>");
            code = !code;
        } else
            pn_buf_escape_xml(b, ch);
    }
    if (bold)
        pn_buf_printf(b, "</strong>");
    if (code)
        pn_buf_printf(b, "</code>");
}

static int md_is_separator(const char *line, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr("|-: \t", line[i]))
            return 0;
    return 1;
}

/* One "| a | b |" line as a table row of th (header) or td cells. */
static void md_table_row(pn_buf *b, const char *line, size_t n, int header)
{
    const char *tag = header ? "th" : "td";
    size_t i = line[0] == '|' ? 1 : 0;
    pn_buf_printf(b, "<tr>");
    while (i < n) {
        size_t j = i;
        while (j < n && !(line[j] == '|' && (j == 0 || line[j - 1] != '\\')))
            j++;
        if (j == n && j - i == strspn(line + i, " \t"))
            break; /* nothing after the closing bar */
        size_t a = i, z = j;
        while (a < z && (line[a] == ' ' || line[a] == '\t'))
            a++;
        while (z > a && (line[z - 1] == ' ' || line[z - 1] == '\t'))
            z--;
        pn_buf_printf(b, "<%s>", tag);
        md_inline(b, line + a, z - a);
        pn_buf_printf(b, "</%s>", tag);
        i = j + 1;
    }
    pn_buf_printf(b, "</tr>\n");
}

enum md_block { MD_NONE, MD_PARA, MD_TABLE, MD_CODE };

static void md_close(pn_buf *b, enum md_block *blk)
{
    static const char *const close[] = {"", "</p>\n", "</tbody></table>\n", "</code></pre>\n"};
    pn_buf_printf(b, "%s", close[*blk]);
    *blk = MD_NONE;
}

/* A tiny Markdown to HTML converter: headings (demoted by one level: the
 * page has its own h1), pipe tables, fenced code and paragraphs. */
static void md_to_html(pn_buf *b, const char *md)
{
    enum md_block blk = MD_NONE;
    size_t table_rows = 0;
    while (*md) {
        size_t n = strcspn(md, "\n");
        const char *line = md;
        md += n + (md[n] == '\n');
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
            n--;
        if (n >= 3 && strncmp(line, "```", 3) == 0) {
            int opening = blk != MD_CODE;
            md_close(b, &blk);
            if (opening) {
                pn_buf_printf(b, "<pre><code>");
                blk = MD_CODE;
            }
        } else if (blk == MD_CODE) {
            char *text = malloc(n + 1);
            if (text) {
                memcpy(text, line, n);
                text[n] = '\0';
                pn_buf_escape_xml(b, text);
                free(text);
            }
            pn_buf_printf(b, "\n");
        } else if (n == 0) {
            md_close(b, &blk);
        } else if (line[0] == '#') {
            md_close(b, &blk);
            size_t level = strspn(line, "#");
            size_t h = level + 1 > 6 ? 6 : level + 1;
            size_t skip = level + strspn(line + level, " ");
            pn_buf_printf(b, "<h%zu>", h);
            md_inline(b, line + skip, n > skip ? n - skip : 0);
            pn_buf_printf(b, "</h%zu>\n", h);
        } else if (line[0] == '|') {
            if (blk != MD_TABLE) {
                md_close(b, &blk);
                pn_buf_printf(b, "<table><tbody>\n");
                blk = MD_TABLE;
                table_rows = 0;
            }
            if (!md_is_separator(line, n))
                md_table_row(b, line, n, table_rows++ == 0);
        } else {
            if (blk != MD_PARA) {
                md_close(b, &blk);
                pn_buf_printf(b, "<p>");
                blk = MD_PARA;
            } else
                pn_buf_printf(b, "\n");
            md_inline(b, line, n);
        }
    }
    md_close(b, &blk);
}

static const char *const html_css =
    "body{font-family:sans-serif;color:#222;max-width:1000px;margin:2em auto;padding:0 1em;"
    "line-height:1.45}\n"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd}\n"
    "table{border-collapse:collapse;margin:.8em 0;font-size:.95em}\n"
    "th,td{padding:.3em .8em;text-align:right;white-space:nowrap;border-bottom:1px solid #e4e4e4}\n"
    "th{border-bottom:2px solid #999;background:#f6f6f6;white-space:normal;vertical-align:bottom}\n"
    "th:first-child,td:first-child{text-align:left}\n"
    "tbody tr:nth-child(even) td{background:#fafafa}\n"
    "pre{background:#f4f4f4;padding:.6em .8em;overflow-x:auto;white-space:pre-wrap}\n"
    "figure{margin:1em 0}svg{max-width:100%;height:auto}\n"
    "figcaption,.note{color:#555;font-size:.9em}\n"
    "dt{font-weight:bold;float:left;clear:left;width:9em}dd{margin-left:9.5em}\n";

static void html_table2(pn_buf *b, const pn_model_summary *s, size_t n)
{
    const int digits = pn_summaries_have_digits(s, n);
    pn_buf_printf(b, "<table>\n<thead><tr>");
    for (size_t c = 0; c < T2_COLS; c++) {
        if (!t2_shown(c, digits))
            continue;
        pn_buf_printf(b, "<th>");
        pn_buf_escape_xml(b, t2_head[c]);
        pn_buf_printf(b, "</th>");
    }
    pn_buf_printf(b, "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < n; i++) {
        t2_cell cell[T2_COLS];
        t2_cells(&s[i], cell);
        pn_buf_printf(b, "<tr>");
        for (size_t c = 0; c < T2_COLS; c++) {
            if (!t2_shown(c, digits))
                continue;
            pn_buf_printf(b, "<td>");
            pn_buf_escape_xml(b, cell[c]);
            pn_buf_printf(b, "</td>");
        }
        pn_buf_printf(b, "</tr>\n");
    }
    pn_buf_printf(b, "</tbody>\n</table>\n");
}

/* An SVG file of dir, inlined (an <img> would need a second file, and a
 * data: URI would hide the text from search). */
static void html_figure(pn_buf *b, const char *dir, const char *name, const char *caption)
{
    char path[4096];
    char *svg = NULL;
    if (!join_path(path, sizeof path, dir, name, NULL))
        svg = slurp(path);
    pn_buf_printf(b, "<figure>\n");
    const char *start = svg ? strstr(svg, "<svg") : NULL;
    if (start)
        pn_buf_printf(b, "%s", start); /* skips an XML declaration, if any */
    else
        pn_buf_printf(b, "<p class=\"note\">(%s was not written)</p>\n", name);
    pn_buf_printf(b, "<figcaption>%s</figcaption>\n</figure>\n", caption);
    free(svg);
}

static void html_table1(pn_buf *b, const char *dir)
{
    char path[4096];
    if (join_path(path, sizeof path, dir, "table1.md", NULL))
        return;
    char *md = slurp(path);
    if (!md)
        return; /* no grid search was run: the section is left out */
    if (md[0] != '#') /* table1.sh writes its own title */
        pn_buf_printf(b, "<h2>Table I: grid search</h2>\n");
    md_to_html(b, md);
    free(md);
}

static void html_provenance(pn_buf *b, const pn_run_info *info)
{
    prov_value v[PROV_N];
    prov_values(info, v);
    pn_buf_printf(b, "<h2>Provenance</h2>\n<dl>\n<dt>command</dt><dd><pre><code>");
    pn_buf_escape_xml(b, info->command);
    pn_buf_printf(b, "</code></pre></dd>\n");
    for (size_t i = 0; i < PROV_N; i++) {
        pn_buf_printf(b, "<dt>%s</dt><dd>", prov_label[i]);
        pn_buf_escape_xml(b, v[i]);
        pn_buf_printf(b, "</dd>\n");
    }
    pn_buf_printf(b, "</dl>\n");
}

int pn_write_index_html(const char *dir, const pn_model_summary *s, size_t n_models,
                        const pn_run_info *info, pn_err *err)
{
    pn_buf b = {0};
    pn_buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "<title>pairnet results</title>\n<style>\n%s</style>\n</head>\n<body>\n",
                  html_css);
    pn_buf_printf(&b, "<h1>pairnet: compare two digits</h1>\n<p class=\"note\">");
    pn_buf_escape_xml(&b, info->date);
    pn_buf_printf(&b, " &middot; revision ");
    pn_buf_escape_xml(&b, info->revision);
    pn_buf_printf(&b, "</p>\n<h2>Table II: accuracy of each model</h2>\n<p>");
    describe_table2(&b, s, n_models);
    pn_buf_printf(&b, "</p>\n");
    html_table2(&b, s, n_models);
    const int digits = pn_summaries_have_digits(s, n_models);
    if (digits) {
        pn_buf_printf(&b, "<p class=\"note\">");
        pn_buf_escape_xml(&b, digits_note);
        pn_buf_printf(&b, "</p>\n");
    }
    if (total_diverged(s, n_models))
        pn_buf_printf(&b, "<p class=\"note\">%s</p>\n", diverged_note);
    pn_buf_printf(&b, "<h2>Figures</h2>\n");
    html_figure(&b, dir, "fig4.svg",
                "Figure 4 of the study: the final test accuracy of every round, per model "
                "(diverged rounds left out).");
    html_figure(&b, dir, "curves.svg",
                "Learning curves: mean test accuracy after each epoch, with a band of "
                "&plusmn;1 standard deviation over the rounds.");
    if (digits)
        html_figure(&b, dir, "digits.svg",
                    "The digit tower at the end of training, per model with digit logits "
                    "(mean over the rounds, whiskers &plusmn;1 standard deviation): the test "
                    "images whose digit it classifies right, the test pairs answered right by "
                    "comparing its two predicted digits, and by the learned head (Table II's "
                    "test accuracy).");
    html_table1(&b, dir);
    html_provenance(&b, info);
    pn_buf_printf(&b, "</body>\n</html>\n");
    return save_buf(dir, "index.html", &b, err);
}
