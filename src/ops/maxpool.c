#include <string.h>

#include "pairnet/ops/ops.h"

/* c ? a : b through the bits, so no compiler turns it into a branch: on real
 * activations such a branch is a coin flip, and mispredicting it made this
 * loop several times slower. */
static inline float select(int c, float a, float b)
{
    uint32_t ua, ub, r, m = (uint32_t)0 - (uint32_t)c;
    float f;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    r = (ua & m) | (ub & ~m);
    memcpy(&f, &r, sizeof f);
    return f;
}

void pn_maxpool2_forward(float *restrict out, float *restrict arg, const float *restrict in,
                         size_t B, size_t C, size_t H, size_t W)
{
    const size_t OH = H / 2, OW = W / 2;
    for (size_t bc = 0; bc < B * C; bc++)
        for (size_t oy = 0; oy < OH; oy++) {
            const float *r0 = in + (bc * H + 2 * oy) * W, *r1 = r0 + W;
            float *o = out + (bc * OH + oy) * OW, *a = arg + (bc * OH + oy) * OW;
            for (size_t ox = 0; ox < OW; ox++) {
                /* Strict '>': the best of each row, then row 1 only if
                 * strictly larger, keeps the first maximum in reading order
                 * (PyTorch's choice on ties). */
                const float p = r0[2 * ox], q = r0[2 * ox + 1], s = r1[2 * ox], t = r1[2 * ox + 1];
                const int c0 = q > p, c1 = t > s;
                const float m0 = select(c0, q, p), m1 = select(c1, t, s);
                const int c = m1 > m0;
                o[ox] = select(c, m1, m0);
                a[ox] = select(c, select(c1, 3.0f, 2.0f), select(c0, 1.0f, 0.0f));
            }
        }
}

void pn_maxpool2_backward(float *din, const float *dout, const float *arg, size_t B, size_t C,
                          size_t H, size_t W)
{
    const size_t OH = H / 2, OW = W / 2;
    for (size_t bc = 0; bc < B * C; bc++)
        for (size_t oy = 0; oy < OH; oy++) {
            float *d = din + (bc * H + 2 * oy) * W;
            const float *g = dout + (bc * OH + oy) * OW, *a = arg + (bc * OH + oy) * OW;
            for (size_t ox = 0; ox < OW; ox++) {
                const size_t k = (size_t)a[ox];
                d[(k >> 1) * W + 2 * ox + (k & 1)] += g[ox];
            }
        }
}
