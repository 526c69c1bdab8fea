#define _POSIX_C_SOURCE 200809L
#include "pairnet/report/progress.h"
#include "pairnet/base/clock.h"
#include "pairnet/report/escape.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* Below this width a bar would be too short to read: a line per round. */
#define MIN_BAR_COLS 60

static void hms(char *buf, size_t cap, double s)
{
    if (!(s >= 0) || s > 1e7) {
        snprintf(buf, cap, "--:--");
        return;
    }
    unsigned long t = (unsigned long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, cap, "%lu:%02lu", t / 60, t % 60);
}

static size_t total_done(const pn_progress *p)
{
    size_t d = 0;
    for (size_t i = 0; i < p->n_models; i++)
        d += p->m[i].done;
    return d;
}

/* Remaining time from this process's own pace (resumed rounds cost nothing). */
static double eta(const pn_progress *p, double elapsed)
{
    double left = 0.0;
    for (size_t i = 0; i < p->n_models; i++)
        left += p->m[i].cost * (double)(p->rounds - p->m[i].done);
    if (p->cost_now <= 0.0)
        return -1;
    return elapsed / p->cost_now * left;
}

int pn_progress_init(pn_progress *p, FILE *out, size_t n_models, const char *const *names,
                     const double *cost, size_t rounds, const size_t *epochs,
                     const size_t *done, pn_err *err)
{
    memset(p, 0, sizeof *p);
    p->m = calloc(n_models ? n_models : 1, sizeof *p->m);
    if (!p->m)
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory for the progress display");
    p->out = out;
    p->tty = isatty(fileno(out));
    p->n_models = n_models;
    p->rounds = rounds;
    for (size_t i = 0; i < n_models; i++) {
        p->m[i].name = names[i];
        p->m[i].epochs = epochs[i];
        p->m[i].cost = cost[i];
        p->m[i].done = done[i];
        p->resumed += done[i];
    }
    p->t0 = pn_now();
    if (p->resumed)
        fprintf(out, "resuming: %zu of %zu rounds already finished\n", p->resumed,
                n_models * rounds);
    return PN_OK;
}

void pn_progress_free(pn_progress *p)
{
    free(p->m);
    p->m = NULL;
    p->n_models = 0;
}

void pn_progress_set_width(pn_progress *p, int cols) { p->force_cols = cols > 0 ? cols : 0; }

/* The terminal's width (or the forced one), 0 for a log. */
static int term_cols(const pn_progress *p)
{
    int cols = p->force_cols;
    if (!cols && p->tty) {
        struct winsize ws;
        if (ioctl(fileno(p->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
            cols = ws.ws_col;
        else
            cols = 80;
    }
    return cols;
}

/* The width frames are drawn for now, or 0 for a line per round. */
static int frame_cols(const pn_progress *p)
{
    const int cols = term_cols(p);
    return cols >= MIN_BAR_COLS ? cols : 0;
}

/* "2.5 rounds/min", or "0.81 epochs/s" before the first round ends. */
static void rate(const pn_progress *p, double elapsed, char *buf, size_t cap)
{
    if (p->finished_now > 0 && elapsed > 0)
        snprintf(buf, cap, "%.3g rounds/min", 60.0 * (double)p->finished_now / elapsed);
    else if (p->epochs_now > 0 && elapsed > 0)
        snprintf(buf, cap, "%.3g epochs/s", (double)p->epochs_now / elapsed);
    else
        snprintf(buf, cap, "-- rounds/min");
}

static int digits(size_t v)
{
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

/* One line of a frame, cut to cols - 1 bytes (the last column would wrap
 * on some terminals), between characters. */
static void frame_line(pn_progress *p, const char *line, int cols)
{
    const size_t n = pn_utf8_cut(line, strlen(line), (size_t)cols - 1);
    fprintf(p->out, "\r\033[K%.*s\n", (int)n, line);
}

/* A model's name as the progress shows it: escaped for the terminal (it may
 * come from a store file) and at most 40 bytes, cut between characters. */
static const char *shown_name(char out[44], const char *name) { return pn_term_str(out, 44, name); }

static void draw(pn_progress *p, int force)
{
    const double t = pn_now();
    const int cols = frame_cols(p);
    if (!cols) {
        p->drawn = 0; /* a line per round from now on */
        return;
    }
    if (!force && t - p->last_draw < 0.25)
        return;
    p->last_draw = t;
    /* After a resize the old frame has been reflowed by the terminal: draw
     * the new one below it rather than over lines we cannot count. */
    if (p->drawn && cols == p->cols)
        fprintf(p->out, "\033[%dA", p->drawn);
    p->cols = cols;
    char el[32], et[32], rt[48], line[512];
    hms(el, sizeof el, t - p->t0);
    hms(et, sizeof et, eta(p, t - p->t0));
    rate(p, t - p->t0, rt, sizeof rt);
    int namew = 6, epochw = 1;
    char nm[44];
    for (size_t i = 0; i < p->n_models; i++) {
        if ((int)strlen(shown_name(nm, p->m[i].name)) > namew)
            namew = (int)strlen(nm);
        if (digits(p->m[i].epochs) > epochw)
            epochw = digits(p->m[i].epochs);
    }
    const int roundw = digits(p->rounds);
    /* name [bar] done/rounds rounds  epoch e/E */
    const int fixed = namew + 2 + 2 + 2 * roundw + 1 + 7 + 8 + 2 * epochw + 1;
    int width = cols - 1 - fixed;
    if (width > 60)
        width = 60;
    if (width < 10)
        width = 10;
    for (size_t i = 0; i < p->n_models; i++) {
        const pn_progress_model *m = &p->m[i];
        const double frac = p->rounds ? (double)m->done / (double)p->rounds : 1.0;
        const int fill = (int)(frac * width + 0.5);
        char bar[64];
        for (int k = 0; k < width; k++)
            bar[k] = k < fill ? '#' : '.';
        bar[width] = 0;
        char ep[64] = ""; /* the widths are digit counts, <= 20 */
        if (m->done < p->rounds && m->running_epoch)
            snprintf(ep, sizeof ep, "  epoch %*zu/%zu", epochw & 31, m->running_epoch, m->epochs);
        snprintf(line, sizeof line, "%-*s [%s] %*zu/%zu rounds%s", namew & 63,
                 shown_name(nm, m->name), bar,
                 roundw & 31, m->done, p->rounds, ep);
        frame_line(p, line, cols);
    }
    snprintf(line, sizeof line, "%zu/%zu rounds  elapsed %s  %s  eta %s", total_done(p),
             p->n_models * p->rounds, el, rt, et);
    frame_line(p, line, cols);
    p->drawn = (int)p->n_models + 1;
    fflush(p->out);
}

void pn_progress_epoch(pn_progress *p, size_t model, size_t epoch)
{
    p->m[model].running_epoch = epoch;
    p->epochs_now++;
    draw(p, 0);
}

void pn_progress_round(pn_progress *p, size_t model, const pn_round_rec *r)
{
    p->m[model].done++;
    p->finished_now++;
    p->cost_now += p->m[model].cost;
    p->m[model].running_epoch = 0;
    if (frame_cols(p)) {
        draw(p, 1);
        return;
    }
    const double t = pn_now() - p->t0;
    char el[32], et[32], rt[48];
    hms(el, sizeof el, t);
    hms(et, sizeof et, eta(p, t));
    rate(p, t, rt, sizeof rt);
    const int narrow = term_cols(p);
    char name[44];
    shown_name(name, r->model);
    if (narrow) { /* a terminal too narrow for bars: a short line that fits */
        char line[256];
        if (r->diverged)
            snprintf(line, sizeof line, "[%zu/%zu] %s round %zu: DIVERGED, eta %s", total_done(p),
                     p->n_models * p->rounds, name, r->round, et);
        else
            snprintf(line, sizeof line, "[%zu/%zu] %s round %zu: test %.2f%%, eta %s",
                     total_done(p), p->n_models * p->rounds, name, r->round,
                     100.0 * r->test_acc, et);
        fprintf(p->out, "%.*s\n", (int)pn_utf8_cut(line, strlen(line), (size_t)narrow - 1), line);
    } else if (r->diverged)
        fprintf(p->out, "[%zu/%zu] %s round %zu seed %llu: DIVERGED after %zu epoch%s"
                        "  (elapsed %s, %s, eta %s)\n", total_done(p), p->n_models * p->rounds,
                name, r->round, (unsigned long long)r->seed, r->n_epochs, r->n_epochs == 1 ? "" : "s", el, rt, et);
    else
        fprintf(p->out, "[%zu/%zu] %s round %zu seed %llu: train %.2f%% test %.2f%% (%.1f s)"
                        "  elapsed %s, %s, eta %s\n", total_done(p), p->n_models * p->rounds,
                name, r->round, (unsigned long long)r->seed, 100.0 * r->train_acc,
                100.0 * r->test_acc, r->seconds, el, rt, et);
    fflush(p->out);
}

void pn_progress_end(pn_progress *p) { draw(p, 1); }
