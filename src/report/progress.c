#define _POSIX_C_SOURCE 200809L
#include "pairnet/report/progress.h"
#include "pairnet/base/clock.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static void draw(pn_progress *p, int force)
{
    const double t = pn_now();
    if (!p->tty || (!force && t - p->last_draw < 0.25))
        return;
    p->last_draw = t;
    if (p->drawn)
        fprintf(p->out, "\033[%dA", p->drawn);
    char el[32], et[32];
    hms(el, sizeof el, t - p->t0);
    hms(et, sizeof et, eta(p, t - p->t0));
    for (size_t i = 0; i < p->n_models; i++) {
        const int width = 30;
        const pn_progress_model *m = &p->m[i];
        const double frac = (double)m->done / (double)p->rounds;
        int fill = (int)(frac * width + 0.5);
        char bar[64];
        for (int k = 0; k < width; k++)
            bar[k] = k < fill ? '#' : '.';
        bar[width] = 0;
        fprintf(p->out, "\r\033[K%-10s [%s] %3zu/%zu rounds", m->name, bar, m->done,
                p->rounds);
        if (m->done < p->rounds && m->running_epoch)
            fprintf(p->out, "  epoch %zu/%zu", m->running_epoch, m->epochs);
        fputc('\n', p->out);
    }
    fprintf(p->out, "\r\033[Kelapsed %s  eta %s\n", el, et);
    p->drawn = (int)p->n_models + 1;
    fflush(p->out);
}

void pn_progress_epoch(pn_progress *p, size_t model, size_t epoch)
{
    p->m[model].running_epoch = epoch;
    draw(p, 0);
}

void pn_progress_round(pn_progress *p, size_t model, const pn_round_rec *r)
{
    p->m[model].done++;
    p->finished_now++;
    p->cost_now += p->m[model].cost;
    p->m[model].running_epoch = 0;
    if (p->tty) {
        draw(p, 1);
        return;
    }
    const double t = pn_now() - p->t0;
    char el[32], et[32];
    hms(el, sizeof el, t);
    hms(et, sizeof et, eta(p, t));
    if (r->diverged)
        fprintf(p->out, "[%zu/%zu] %s round %zu seed %llu: DIVERGED after %zu epochs"
                        "  (elapsed %s, eta %s)\n", total_done(p), p->n_models * p->rounds,
                r->model, r->round + 1, (unsigned long long)r->seed, r->n_epochs, el, et);
    else
        fprintf(p->out, "[%zu/%zu] %s round %zu seed %llu: train %.4f test %.4f (%.1f s)"
                        "  elapsed %s, eta %s\n", total_done(p), p->n_models * p->rounds,
                r->model, r->round + 1, (unsigned long long)r->seed, r->train_acc,
                r->test_acc, r->seconds, el, et);
    fflush(p->out);
}

void pn_progress_end(pn_progress *p) { draw(p, 1); }
