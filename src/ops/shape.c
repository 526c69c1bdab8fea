/* The ops that move samples between the pair layout [B, 2, ...] and the
 * tower layouts; they are what lets one shared tower see all 2B images as
 * one batch. */
#include <string.h>

#include "pairnet/ops/ops.h"

static void add_to(float *d, const float *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] += s[i];
}

void pn_select_forward(float *out, const float *in, size_t B, size_t nch, size_t ch, size_t S)
{
    for (size_t b = 0; b < B; b++)
        memcpy(out + b * S, in + (b * nch + ch) * S, S * sizeof *out);
}

void pn_select_backward(float *din, const float *dout, size_t B, size_t nch, size_t ch, size_t S)
{
    for (size_t b = 0; b < B; b++)
        add_to(din + (b * nch + ch) * S, dout + b * S, S);
}

void pn_unstack_forward(float *out, const float *in, size_t B, size_t S)
{
    pn_select_forward(out, in, B, 2, 0, S);
    pn_select_forward(out + B * S, in, B, 2, 1, S);
}

void pn_unstack_backward(float *din, const float *dout, size_t B, size_t S)
{
    pn_select_backward(din, dout, B, 2, 0, S);
    pn_select_backward(din, dout + B * S, B, 2, 1, S);
}

void pn_restack_forward(float *out, const float *in, size_t B, size_t F)
{
    pn_concat_forward(out, in, in + B * F, B, F, F);
}

void pn_restack_backward(float *din, const float *dout, size_t B, size_t F)
{
    pn_concat_backward(din, din + B * F, dout, B, F, F);
}

void pn_concat_forward(float *out, const float *a, const float *b, size_t B, size_t Fa, size_t Fb)
{
    for (size_t r = 0; r < B; r++) {
        memcpy(out + r * (Fa + Fb), a + r * Fa, Fa * sizeof *out);
        memcpy(out + r * (Fa + Fb) + Fa, b + r * Fb, Fb * sizeof *out);
    }
}

void pn_concat_backward(float *da, float *db, const float *dout, size_t B, size_t Fa, size_t Fb)
{
    for (size_t r = 0; r < B; r++) {
        if (da)
            add_to(da + r * Fa, dout + r * (Fa + Fb), Fa);
        if (db)
            add_to(db + r * Fb, dout + r * (Fa + Fb) + Fa, Fb);
    }
}
