/* SGD against PyTorch's torch.optim.SGD (dampening 0, no Nesterov):
 *   g = grad + wd * p;  v = mu * v + g (v = g on the first step);  p -= lr * v
 * and the step learning-rate schedule (StepLR). */
#include "test.h"

#include <math.h>
#include <stdlib.h>

#include "pairnet/optim.h"

static void sgd_plain(void)
{
    pn_sgd s;
    CHECK(pn_sgd_init(&s, 3, 0.0f, 0.0f) == 0);
    CHECK(s.velocity == NULL); /* no state without momentum */
    float p[3] = {1.0f, -2.0f, 0.5f};
    const float g[3] = {0.5f, 0.25f, -1.0f};
    pn_sgd_step(&s, p, g, 0.1f);
    CHECK_NEAR(p[0], 0.95, 1e-7);
    CHECK_NEAR(p[1], -2.025, 1e-7);
    CHECK_NEAR(p[2], 0.6, 1e-7);
    /* a second step with another lr: no hidden state, same rule */
    pn_sgd_step(&s, p, g, 0.2f);
    CHECK_NEAR(p[0], 0.85, 1e-7);
    CHECK_NEAR(p[1], -2.075, 1e-7);
    CHECK_NEAR(p[2], 0.8, 1e-7);
    pn_sgd_free(&s);
}

/* Weight decay is L2 on the current parameters: p -= lr * (g + wd * p). */
static void sgd_weight_decay(void)
{
    pn_sgd s;
    CHECK(pn_sgd_init(&s, 3, 0.0f, 0.1f) == 0);
    float p[3] = {1.0f, -2.0f, 0.0f};
    const float g[3] = {0.5f, 0.0f, 1.0f};
    pn_sgd_step(&s, p, g, 0.5f);
    /* 1 - 0.5*(0.5 + 0.1); -2 - 0.5*(0 - 0.2); 0 - 0.5*(1 + 0) */
    CHECK_NEAR(p[0], 0.7, 1e-7);
    CHECK_NEAR(p[1], -1.9, 1e-7);
    CHECK_NEAR(p[2], -0.5, 1e-7);
    pn_sgd_free(&s);
}

/* Momentum 0.9, weight decay 0.1 on one scalar p0 = 1, grads 1, -2, 0.5
 * and learning rates 0.5, 0.25, 0.5 (the lr multiplies v, it is not folded
 * into it, so changing lr between steps shows where it is applied):
 *   step 1: v = 1 + 0.1*1                     = 1.1      p = 1 - 0.55       = 0.45
 *   step 2: v = 0.99 - 2 + 0.045              = -0.965   p = 0.45 + 0.24125 = 0.69125
 *   step 3: v = -0.8685 + 0.5 + 0.069125      = -0.299375
 *                                                        p = 0.69125 + 0.1496875 = 0.8409375 */
static void sgd_momentum_three_steps_by_hand(void)
{
    pn_sgd s;
    CHECK(pn_sgd_init(&s, 1, 0.9f, 0.1f) == 0);
    CHECK(s.velocity != NULL);
    if (!s.velocity)
        return;
    float p = 1.0f;
    const float g[3] = {1.0f, -2.0f, 0.5f}, lr[3] = {0.5f, 0.25f, 0.5f};
    const double want_v[3] = {1.1, -0.965, -0.299375};
    const double want_p[3] = {0.45, 0.69125, 0.8409375};
    for (int t = 0; t < 3; t++) {
        pn_sgd_step(&s, &p, &g[t], lr[t]);
        CHECK_NEAR(s.velocity[0], want_v[t], 1e-6);
        CHECK_NEAR(p, want_p[t], 1e-6);
    }
    pn_sgd_free(&s);
    CHECK(s.velocity == NULL);
}

/* The same rule on a vector, against a double-precision reference loop,
 * with per-step gradients that change sign. */
static void sgd_momentum_vector_reference(void)
{
    enum { N = 37 };
    const double mu = 0.8, wd = 0.01;
    pn_sgd s;
    CHECK(pn_sgd_init(&s, N, (float)mu, (float)wd) == 0);
    float p[N], g[N];
    double rp[N], rv[N];
    for (int i = 0; i < N; i++) {
        p[i] = (float)(0.1 * (i - 18));
        rp[i] = p[i];
        rv[i] = 0.0;
    }
    for (int t = 0; t < 3; t++) {
        const double lr = 0.05 * (t + 1);
        for (int i = 0; i < N; i++) {
            g[i] = (float)(sin(0.7 * i + t) * (t == 1 ? -2.0 : 1.0));
            const double gg = (double)g[i] + wd * rp[i];
            rv[i] = t == 0 ? gg : mu * rv[i] + gg;
            rp[i] -= lr * rv[i];
        }
        pn_sgd_step(&s, p, g, (float)lr);
    }
    double worst = 0.0;
    for (int i = 0; i < N; i++)
        worst = fmax(worst, fabs(p[i] - rp[i]));
    CHECK_MSG(worst < 1e-6, "largest deviation from the reference: %g", worst);
    pn_sgd_free(&s);
}

/* StepLR: lr0 * gamma^floor(epoch / step), 0-based epochs; step 0 = constant. */
static void lr_schedule(void)
{
    for (size_t e = 0; e < 45; e++) {
        const double want = e < 15 ? 0.05 : e < 30 ? 0.025 : 0.0125;
        CHECK_MSG(fabs(pn_lr_at(0.05, e, 15, 0.5) - want) < 1e-15, "epoch %zu: lr %.17g, want %g",
                  e, pn_lr_at(0.05, e, 15, 0.5), want);
        CHECK_NEAR(pn_lr_at(0.05, e, 0, 0.5), 0.05, 1e-15);
        CHECK_NEAR(pn_lr_at(0.01, e, 15, 1.0), 0.01, 1e-15);
    }
    CHECK_NEAR(pn_lr_at(0.05, 45, 15, 0.5), 0.00625, 1e-15);
    CHECK_NEAR(pn_lr_at(1.0, 7, 2, 0.1), 1e-3, 1e-15);
    CHECK_NEAR(pn_lr_at(1.0, 1, 1, 0.1), 0.1, 1e-15);
}

void suite_optim(void)
{
    RUN(sgd_plain);
    RUN(sgd_weight_decay);
    RUN(sgd_momentum_three_steps_by_hand);
    RUN(sgd_momentum_vector_reference);
    RUN(lr_schedule);
}
