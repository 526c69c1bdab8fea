/* SGD over the graph's flat parameter array, and the step learning-rate
 * schedule. PyTorch semantics: g += wd * p; v = momentum * v + g; p -= lr * v. */
#ifndef PAIRNET_OPTIM_H
#define PAIRNET_OPTIM_H

#include <stddef.h>

typedef struct pn_sgd {
    float momentum, weight_decay;
    float *velocity; /* [n], NULL when momentum == 0 */
    size_t n;
} pn_sgd;

/* Returns 0, or -1 when the velocity buffer cannot be allocated. */
int pn_sgd_init(pn_sgd *s, size_t n, float momentum, float weight_decay);
void pn_sgd_free(pn_sgd *s);
void pn_sgd_step(pn_sgd *s, float *params, const float *grads, float lr);

/* lr0 * gamma^floor(epoch / step), epoch 0-based (step 0: constant). */
double pn_lr_at(double lr0, size_t epoch, size_t step, double gamma);

#endif
