/* SGD against PyTorch's torch.optim.SGD (dampening 0, no Nesterov):
 *   g = grad + wd * p;  v = mu * v + g (v = g on the first step);  p -= lr * v
 * and the step learning-rate schedule (StepLR). */
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/ops/optim.h"

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

/* ---- Adam / AdamW against torch.optim.Adam / AdamW, written out in double:
 *   Adam:  g += wd * p
 *   AdamW: p *= 1 - lr * wd
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * with b1 0.9, b2 0.999, eps 1e-8 (PyTorch's defaults, as doubles). */

typedef struct adam_ref {
    double p[64], m[64], v[64];
    int t;
} adam_ref;

static void adam_ref_step(adam_ref *r, size_t n, const float *g, double lr, double wd,
                          int decoupled)
{
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    r->t++;
    const double bc1 = 1.0 - pow(b1, r->t), bc2 = 1.0 - pow(b2, r->t);
    for (size_t i = 0; i < n; i++) {
        double gi = g[i];
        if (decoupled)
            r->p[i] *= 1.0 - lr * wd;
        else
            gi += wd * r->p[i];
        r->m[i] = b1 * r->m[i] + (1.0 - b1) * gi;
        r->v[i] = b2 * r->v[i] + (1.0 - b2) * gi * gi;
        const double denom = sqrt(r->v[i]) / sqrt(bc2) + eps;
        r->p[i] -= lr / bc1 * r->m[i] / denom;
    }
}

/* Largest |got - want| / max(|want|, 0.1) over n parameters. */
static double adam_rel_err(const float *got, const double *want, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double e = fabs((double)got[i] - want[i]) / fmax(fabs(want[i]), 0.1);
        worst = e > worst || isnan(e) ? e : worst;
    }
    return worst;
}

/* Seven steps with changing learning rates and gradients that change sign
 * and scale; element 0 has gradients of 1e-8, where eps matters (eps inside
 * the sqrt, or sqrt(v) not bias-corrected, would move it by 1000x less or
 * more); element 1 gets a zero gradient at the first step. */
static void adam_case(const char *name, float wd, int decoupled, int through_dispatch)
{
    enum { N = 41, T = 7 };
    pn_adam a;
    pn_optim o;
    adam_ref r;
    memset(&r, 0, sizeof r);
    float p[N], g[N];
    for (int i = 0; i < N; i++) {
        p[i] = (float)(0.3 + 0.05 * i) * (i % 3 == 0 ? -1.0f : 1.0f);
        r.p[i] = p[i];
    }
    if (through_dispatch) {
        const pn_optimizer k = decoupled ? PN_OPT_ADAMW : PN_OPT_ADAM;
        CHECK(pn_optim_init(&o, k, N, 0.0f, wd) == 0);
        CHECK(o.kind == k);
    } else {
        CHECK(pn_adam_init(&a, N, wd, decoupled) == 0);
    }
    const double lrs[T] = {0.01, 0.01, 0.02, 0.005, 0.005, 0.1, 0.001};
    for (int t = 0; t < T; t++) {
        for (int i = 0; i < N; i++)
            g[i] = (float)(sin(0.37 * i + 1.3 * t) * (t % 2 ? -0.5 : 2.0) * (1.0 + 0.1 * i));
        g[0] = t % 3 == 2 ? -1e-8f : 1e-8f;
        if (t == 0)
            g[1] = 0.0f;
        const float lr = (float)lrs[t];
        if (through_dispatch)
            pn_optim_step(&o, p, g, lr);
        else
            pn_adam_step(&a, p, g, lr);
        adam_ref_step(&r, N, g, (double)lr, (double)wd, decoupled);
        const double e = adam_rel_err(p, r.p, N);
        CHECK_MSG(e <= 1e-6, "%s step %d: largest relative deviation %.3g (p[0] %.9g want %.9g, "
                  "p[5] %.9g want %.9g)", name, t + 1, e, (double)p[0], r.p[0], (double)p[5],
                  r.p[5]);
    }
    const pn_adam *s = through_dispatch ? &o.adam : &a;
    CHECK(s->t == T);
    /* the moments, relative to their largest magnitude (v: float's 1 - 0.999
     * is 1.3e-5 off, which the bias correction cancels in the step) */
    double em = 0.0, ev = 0.0, mm = 0.0, mv = 0.0;
    for (int i = 0; i < N; i++) {
        em = fmax(em, fabs(s->m[i] - r.m[i]));
        ev = fmax(ev, fabs(s->v[i] - r.v[i]));
        mm = fmax(mm, fabs(r.m[i]));
        mv = fmax(mv, fabs(r.v[i]));
    }
    CHECK_MSG(em <= 1e-6 * mm && ev <= 1e-4 * mv,
              "%s: moments deviate (m %.3g, v %.3g of the largest)", name, em / mm, ev / mv);
    if (through_dispatch)
        pn_optim_free(&o);
    else
        pn_adam_free(&a);
}

static void adam_matches_reference(void) { adam_case("adam", 0.0f, 0, 0); }
static void adam_weight_decay_matches_reference(void) { adam_case("adam wd", 0.05f, 0, 0); }
static void adamw_matches_reference(void) { adam_case("adamw", 0.0f, 1, 0); }
static void adamw_weight_decay_matches_reference(void) { adam_case("adamw wd", 0.05f, 1, 0); }
static void optim_dispatch_adam_matches_reference(void)
{
    adam_case("pn_optim adam", 0.1f, 0, 1);
    adam_case("pn_optim adamw", 0.1f, 1, 1);
}

/* By hand: the first Adam step moves every parameter by lr against the sign
 * of its gradient, whatever the gradient's size (m/sqrt(v) = g/|g| after
 * bias correction); AdamW first shrinks p by 1 - lr wd, Adam with the same
 * wd instead adds wd p to the gradient (only the sign survives). */
static void adam_first_step_by_hand(void)
{
    pn_adam a, w, l2;
    CHECK(pn_adam_init(&a, 3, 0.0f, 0) == 0);
    CHECK(pn_adam_init(&w, 3, 0.5f, 1) == 0);
    CHECK(pn_adam_init(&l2, 3, 0.5f, 0) == 0);
    float pa[3] = {1.0f, -2.0f, 0.5f}, pw[3] = {1.0f, -2.0f, 0.5f}, pl[3] = {1.0f, -2.0f, 0.5f};
    const float g[3] = {3.0f, 1e-3f, -0.25f};
    pn_adam_step(&a, pa, g, 0.1f);
    pn_adam_step(&w, pw, g, 0.1f);
    pn_adam_step(&l2, pl, g, 0.1f);
    CHECK_NEAR(pa[0], 0.9, 1e-6);
    CHECK_NEAR(pa[1], -2.1, 1e-5); /* 1e-3 / (1e-3 + 1e-8) */
    CHECK_NEAR(pa[2], 0.6, 1e-6);
    /* AdamW: p (1 - 0.05) - 0.1 sign(g) */
    CHECK_NEAR(pw[0], 0.95 - 0.1, 1e-6);
    CHECK_NEAR(pw[1], -1.9 - 0.1, 1e-5);
    CHECK_NEAR(pw[2], 0.475 + 0.1, 1e-6);
    /* Adam + L2: g' = g + 0.5 p = 3.5, -0.999, 0: signs +, -, and a zero step */
    CHECK_NEAR(pl[0], 0.9, 1e-6);
    CHECK_NEAR(pl[1], -1.9, 1e-5);
    CHECK_NEAR(pl[2], 0.5, 1e-6);
    pn_adam_free(&a);
    pn_adam_free(&w);
    pn_adam_free(&l2);
    CHECK(a.m == NULL);
}

/* pn_optim with sgd is pn_sgd, step for step. */
static void optim_dispatch_sgd(void)
{
    pn_optim o;
    pn_sgd s;
    CHECK(pn_optim_init(&o, PN_OPT_SGD, 5, 0.9f, 0.01f) == 0);
    CHECK(pn_sgd_init(&s, 5, 0.9f, 0.01f) == 0);
    float p1[5] = {1, 2, 3, 4, 5}, p2[5] = {1, 2, 3, 4, 5};
    for (int t = 0; t < 4; t++) {
        const float g[5] = {0.5f, -1.0f, 0.25f * (float)t, 2.0f, -0.125f};
        pn_optim_step(&o, p1, g, 0.1f);
        pn_sgd_step(&s, p2, g, 0.1f);
    }
    CHECK(memcmp(p1, p2, sizeof p1) == 0);
    pn_optim_free(&o);
    pn_sgd_free(&s);
}

static void optimizer_names(void)
{
    static const pn_optimizer all[] = {PN_OPT_SGD, PN_OPT_ADAM, PN_OPT_ADAMW};
    static const char *want[] = {"sgd", "adam", "adamw"};
    for (size_t i = 0; i < 3; i++) {
        CHECK_MSG(strcmp(pn_optimizer_name(all[i]), want[i]) == 0, "name of %zu: %s", i,
                  pn_optimizer_name(all[i]));
        pn_optimizer k = (pn_optimizer)(-1);
        CHECK(pn_optimizer_parse(want[i], &k) == 0 && k == all[i]);
        CHECK(pn_optimizer_parse(pn_optimizer_name(all[i]), &k) == 0 && k == all[i]);
    }
    static const char *bad[] = {"foo", "", "Adam", "ADAMW", "adam ", " sgd", "adamw2", "ada",
                                "sgd,adam", "adamax"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pn_optimizer k = PN_OPT_SGD;
        CHECK_MSG(pn_optimizer_parse(bad[i], &k) == -1, "'%s' accepted", bad[i]);
    }
}

void suite_optim(void)
{
    RUN(sgd_plain);
    RUN(sgd_weight_decay);
    RUN(sgd_momentum_three_steps_by_hand);
    RUN(sgd_momentum_vector_reference);
    RUN(lr_schedule);
    RUN(adam_matches_reference);
    RUN(adam_weight_decay_matches_reference);
    RUN(adamw_matches_reference);
    RUN(adamw_weight_decay_matches_reference);
    RUN(optim_dispatch_adam_matches_reference);
    RUN(adam_first_step_by_hand);
    RUN(optim_dispatch_sgd);
    RUN(optimizer_names);
}
