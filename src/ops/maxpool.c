#include "pairnet/ops.h"

void pn_maxpool2_forward(float *out, uint8_t *arg, const float *in,
                         size_t B, size_t C, size_t H, size_t W)
{
    const size_t OH = H / 2, OW = W / 2;
    for (size_t bc = 0; bc < B * C; bc++) {
        const float *x = in + bc * H * W;
        for (size_t oy = 0; oy < OH; oy++)
            for (size_t ox = 0; ox < OW; ox++) {
                const float *p = x + 2 * oy * W + 2 * ox;
                float v[4] = {p[0], p[1], p[W], p[W + 1]};
                uint8_t best = 0;
                /* strict '>' keeps the first maximum, as PyTorch does */
                for (uint8_t i = 1; i < 4; i++)
                    if (v[i] > v[best])
                        best = i;
                const size_t o = (bc * OH + oy) * OW + ox;
                out[o] = v[best];
                arg[o] = best;
            }
    }
}

void pn_maxpool2_backward(float *din, const float *dout, const uint8_t *arg,
                          size_t B, size_t C, size_t H, size_t W)
{
    const size_t OH = H / 2, OW = W / 2;
    for (size_t bc = 0; bc < B * C; bc++) {
        float *d = din + bc * H * W;
        for (size_t oy = 0; oy < OH; oy++)
            for (size_t ox = 0; ox < OW; ox++) {
                const size_t o = (bc * OH + oy) * OW + ox;
                const size_t a = arg[o];
                d[(2 * oy + a / 2) * W + 2 * ox + a % 2] += dout[o];
            }
    }
}
