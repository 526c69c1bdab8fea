/* The probabilistic comparison head: from the two digit distributions of a
 * pair, the probability that the first digit is <= the second, as the two
 * log-probabilities cross-entropy expects. No parameters. */
#include <math.h>

#include "op_helpers.h"
#include "pairnet/ops/kernels.h"

float pn_prob_le_of(const float *p1, const float *p2)
{
    /* sum_j p2(j) * C1(j), C1(j) = sum_{i <= j} p1(i) */
    float c1 = 0.0f, P = 0.0f;
    for (int j = 0; j < 10; j++) {
        c1 += p1[j];
        P += p2[j] * c1;
    }
    return P;
}

static float clamp_p(float P)
{
    return P < PN_PROB_EPS ? PN_PROB_EPS : P > 1.0f - PN_PROB_EPS ? 1.0f - PN_PROB_EPS : P;
}

void pn_prob_le_forward(float *out, const float *in, size_t R)
{
    for (size_t r = 0; r < R; r++) {
        const float P = clamp_p(pn_prob_le_of(in + 20 * r, in + 20 * r + 10));
        out[2 * r] = logf(1.0f - P);
        out[2 * r + 1] = logf(P);
    }
}

void pn_prob_le_backward(float *din, const float *dout, const float *in, size_t R)
{
    for (size_t r = 0; r < R; r++) {
        const float *p1 = in + 20 * r, *p2 = p1 + 10;
        const float raw = pn_prob_le_of(p1, p2), P = clamp_p(raw);
        if (raw != P) /* clamped: flat */
            continue;
        const float gP = dout[2 * r + 1] / P - dout[2 * r] / (1.0f - P);
        float *d1 = din + 20 * r, *d2 = d1 + 10;
        /* dP/dp1(i) = sum_{j >= i} p2(j); dP/dp2(j) = sum_{i <= j} p1(i) */
        float tail = 0.0f, c1 = 0.0f;
        for (int i = 9; i >= 0; i--) {
            tail += p2[i];
            d1[i] += gP * tail;
        }
        for (int j = 0; j < 10; j++) {
            c1 += p1[j];
            d2[j] += gP * c1;
        }
    }
}

static int prob_le_shape(const pn_shape *in, size_t n_in, pn_op_attr *a, pn_shape *out,
                         pn_op_sizes *sz)
{
    (void)a;
    (void)sz;
    if (n_in != 1 || in[0].rmul != 1 || in[0].c * in[0].h * in[0].w != 20)
        return 0;
    *out = (pn_shape){.rmul = 1, .c = 2, .h = 1, .w = 1};
    return 1;
}

static void prob_le_forward(const pn_op_call *c)
{
    pn_prob_le_forward(c->out.val, c->in[0].val, c->out.rows);
}

static void prob_le_backward(const pn_op_call *c)
{
    if (c->in[0].grad)
        pn_prob_le_backward(c->in[0].grad, c->out.grad, c->in[0].val, c->out.rows);
}

const pn_op_desc pn_op_prob_le = {
    .name = "prob_le",
    .shape = prob_le_shape,
    .forward = prob_le_forward,
    .backward = prob_le_backward,
};
