#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/ops/optim.h"

int pn_sgd_init(pn_sgd *s, size_t n, float momentum, float weight_decay)
{
    s->momentum = momentum;
    s->weight_decay = weight_decay;
    s->n = n;
    s->velocity = NULL;
    if (momentum != 0.0f) {
        s->velocity = calloc(n ? n : 1, sizeof *s->velocity);
        if (!s->velocity)
            return -1;
    }
    return 0;
}

void pn_sgd_free(pn_sgd *s)
{
    free(s->velocity);
    s->velocity = NULL;
}

void pn_sgd_step(pn_sgd *s, float *p, const float *g, float lr)
{
    const float wd = s->weight_decay, mu = s->momentum;
    float *v = s->velocity;
    if (!v) {
        for (size_t i = 0; i < s->n; i++)
            p[i] -= lr * (g[i] + wd * p[i]);
        return;
    }
    for (size_t i = 0; i < s->n; i++) {
        v[i] = mu * v[i] + g[i] + wd * p[i];
        p[i] -= lr * v[i];
    }
}

double pn_lr_at(double lr0, size_t epoch, size_t step, double gamma)
{
    return step ? lr0 * pow(gamma, (double)(epoch / step)) : lr0;
}

int pn_adam_init(pn_adam *a, size_t n, float weight_decay, int decoupled)
{
    a->beta1 = 0.9f;
    a->beta2 = 0.999f;
    a->eps = 1e-8f;
    a->weight_decay = weight_decay;
    a->decoupled = decoupled;
    a->n = n;
    a->t = 0;
    a->m = calloc(2 * n + 1, sizeof *a->m);
    a->v = a->m ? a->m + n : NULL;
    return a->m ? 0 : -1;
}

void pn_adam_free(pn_adam *a)
{
    free(a->m);
    a->m = a->v = NULL;
}

void pn_adam_step(pn_adam *a, float *p, const float *g, float lr)
{
    a->t++;
    const float b1 = a->beta1, b2 = a->beta2, wd = a->weight_decay;
    /* bias corrections in double: beta2^t is 1 - 1e-3 t for small t */
    const float c1 = (float)(1.0 - pow(b1, (double)a->t));
    const float c2 = (float)sqrt(1.0 - pow(b2, (double)a->t));
    const float step = lr / c1, eps = a->eps;
    const float l2 = a->decoupled ? 0.0f : wd, shrink = a->decoupled ? 1.0f - lr * wd : 1.0f;
    float *m = a->m, *v = a->v;
    for (size_t i = 0; i < a->n; i++) {
        const float gi = g[i] + l2 * p[i];
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        /* PyTorch: p -= lr/c1 * m / (sqrt(v)/sqrt(c2') + eps) */
        p[i] = p[i] * shrink - step * m[i] / (sqrtf(v[i]) / c2 + eps);
    }
}

int pn_optim_init(pn_optim *o, pn_optimizer kind, size_t n, float momentum, float weight_decay)
{
    o->kind = kind;
    o->sgd.velocity = NULL;
    o->adam.m = NULL;
    if (kind == PN_OPT_SGD)
        return pn_sgd_init(&o->sgd, n, momentum, weight_decay);
    return pn_adam_init(&o->adam, n, weight_decay, kind == PN_OPT_ADAMW);
}

void pn_optim_free(pn_optim *o)
{
    pn_sgd_free(&o->sgd);
    pn_adam_free(&o->adam);
}

void pn_optim_step(pn_optim *o, float *params, const float *grads, float lr)
{
    if (o->kind == PN_OPT_SGD)
        pn_sgd_step(&o->sgd, params, grads, lr);
    else
        pn_adam_step(&o->adam, params, grads, lr);
}

static const char *const opt_names[] = {"sgd", "adam", "adamw"};

const char *pn_optimizer_name(pn_optimizer k) { return opt_names[k]; }

int pn_optimizer_parse(const char *name, pn_optimizer *k)
{
    for (size_t i = 0; i < sizeof opt_names / sizeof opt_names[0]; i++)
        if (strcmp(name, opt_names[i]) == 0) {
            *k = (pn_optimizer)i;
            return 0;
        }
    return -1;
}
