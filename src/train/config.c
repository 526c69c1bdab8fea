/* A round's configuration: the specification's defaults and a model's
 * preset, the names of the decision rules, the settings beyond the study as
 * text, and the learning-rate schedule. */
#include "pairnet/train/train.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pairnet/ops/optim.h"

void pn_train_cfg_default(pn_train_cfg *c, const pn_model_info *m)
{
    const pn_preset *p = pn_model_preset(m);
    memset(c, 0, sizeof *c);
    c->model = m;
    c->lr = m->lr;
    c->bs = m->bs;
    c->n_pairs = PN_PAIRS;
    c->eval_epochs = 1;
    c->optimizer = p->optimizer;
    c->epochs = p->epochs;
    c->lr_step = p->lr_step;
    c->lr_gamma = p->lr_gamma;
    c->weight_decay = p->weight_decay;
    c->momentum = p->momentum;
    c->mopts.aux_weight = p->aux_weight;
    c->mopts.dropout = p->dropout;
    c->aug_swap = p->aug_swap;
    c->aug_repair = p->aug_repair;
    c->aug_shift = p->aug_shift;
    c->warp = p->warp;
    c->ema = p->ema;
    c->tta = p->tta;
    c->ensemble = p->ensemble;
    c->decide = p->decide;
    c->lr_cosine = p->lr_cosine;
    c->mopts.width = p->width;
    c->mopts.prob_head = p->prob_head;
}

const char *pn_decide_name(int d)
{
    return d == PN_DECIDE_ARGMAX ? "argmax" : d == PN_DECIDE_PROB ? "prob" : "head";
}

int pn_decide_parse(const char *s, int *d)
{
    static const int all[] = {PN_DECIDE_HEAD, PN_DECIDE_ARGMAX, PN_DECIDE_PROB};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(s, pn_decide_name(all[i])) == 0) {
            *d = all[i];
            return 0;
        }
    return -1;
}

void pn_train_cfg_extras(const pn_train_cfg *c, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
#define ADD(...)                                                                      \
    do {                                                                              \
        if (n < cap) {                                                                \
            int k_ = snprintf(out + n, cap - n, "%s", n ? ", " : "");                \
            n += k_ > 0 ? (size_t)k_ : 0;                                             \
        }                                                                             \
        if (n < cap) {                                                                \
            int k_ = snprintf(out + n, cap - n, __VA_ARGS__);                         \
            n += k_ > 0 ? (size_t)k_ : 0;                                             \
        }                                                                             \
    } while (0)
    const pn_warp_cfg *w = &c->warp;
    if (w->rotate > 0.0f || w->scale > 0.0f || w->shear > 0.0f || w->translate > 0.0f)
        ADD("affine warp (rotate %g deg, scale %g, shear %g deg, translate %g px)",
            (double)w->rotate, (double)w->scale, (double)w->shear, (double)w->translate);
    if (w->elastic > 0.0f)
        ADD("elastic alpha %g sigma %g", (double)w->elastic,
            w->elastic_sigma > 0.0f ? (double)w->elastic_sigma : 2.0);
    if (c->ensemble > 1)
        ADD("ensemble of %zu", c->ensemble);
    if (c->ema > 0.0)
        ADD("weights averaged (ema %g)", c->ema);
    if (c->tta > 1)
        ADD("tta %zu views", c->tta);
    if (c->mopts.width > 1)
        ADD("width x%zu", c->mopts.width);
    if (c->mopts.prob_head)
        ADD("head P(d1 <= d2)");
    if (c->lr_cosine)
        ADD("cosine lr");
    if (c->decide != PN_DECIDE_HEAD)
        ADD("decide %s", pn_decide_name(c->decide));
#undef ADD
}

double pn_train_lr(const pn_train_cfg *cfg, size_t e)
{
    if (cfg->lr_cosine)
        return cfg->lr * 0.5 * (1.0 + cos(3.14159265358979323846 * (double)e /
                                          (double)(cfg->epochs ? cfg->epochs : 1)));
    return pn_lr_at(cfg->lr, e, cfg->lr_step, cfg->lr_gamma);
}
