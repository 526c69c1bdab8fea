/* The learning rate of an epoch: the step decay of the specification, or
 * the cosine schedule. */
#include "pairnet/train/train.h"

#include <math.h>

#include "pairnet/ops/optim.h"

double pn_train_lr(const pn_train_cfg *cfg, size_t e)
{
    if (cfg->lr_cosine)
        return cfg->lr * 0.5 * (1.0 + cos(3.14159265358979323846 * (double)e /
                                          (double)(cfg->epochs ? cfg->epochs : 1)));
    return pn_lr_at(cfg->lr, e, cfg->lr_step, cfg->lr_gamma);
}
