#include <math.h>
#include <stdlib.h>

#include "pairnet/optim.h"

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
