/* Optimizers over the graph's flat parameter array, and the step
 * learning-rate schedule. PyTorch semantics throughout:
 *   SGD:   g += wd * p; v = momentum * v + g; p -= lr * v
 *   Adam:  g += wd * p (L2 in the gradient); m, v moments with bias correction
 *          (beta1 0.9, beta2 0.999)
 *   AdamW: p -= lr * wd * p (decoupled decay), then Adam without the L2 term */
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

typedef enum pn_optimizer { PN_OPT_SGD, PN_OPT_ADAM, PN_OPT_ADAMW } pn_optimizer;

typedef struct pn_adam {
    float beta1, beta2, eps, weight_decay;
    int decoupled; /* 1: AdamW */
    float *m, *v;  /* [n] each, one allocation */
    size_t n;
    unsigned long t; /* steps taken */
} pn_adam;

/* Returns 0, or -1 when the moment buffers cannot be allocated. */
int pn_adam_init(pn_adam *a, size_t n, float weight_decay, int decoupled);
void pn_adam_free(pn_adam *a);
void pn_adam_step(pn_adam *a, float *params, const float *grads, float lr);

/* One of the three, behind one call; momentum is SGD's only (Adam's
 * moments are fixed). Returns 0, or -1 when a buffer cannot be allocated. */
typedef struct pn_optim {
    pn_optimizer kind;
    pn_sgd sgd;
    pn_adam adam;
} pn_optim;
int pn_optim_init(pn_optim *o, pn_optimizer kind, size_t n, float momentum, float weight_decay);
void pn_optim_free(pn_optim *o);
void pn_optim_step(pn_optim *o, float *params, const float *grads, float lr);
/* "sgd", "adam", "adamw" */
const char *pn_optimizer_name(pn_optimizer k);
/* Returns 0 and sets *k, or -1 for an unknown name. */
int pn_optimizer_parse(const char *name, pn_optimizer *k);

/* lr0 * gamma^floor(epoch / step), epoch 0-based (step 0: constant). */
double pn_lr_at(double lr0, size_t epoch, size_t step, double gamma);

#endif
