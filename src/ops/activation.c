#include <math.h>

#include "pairnet/ops/ops.h"

void pn_relu_forward(float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

void pn_relu_backward(float *din, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        din[i] += out[i] > 0.0f ? dout[i] : 0.0f;
}

void pn_softmax_forward(float *out, const float *in, size_t R, size_t K)
{
    for (size_t r = 0; r < R; r++) {
        const float *z = in + r * K;
        float *y = out + r * K;
        float mx = z[0];
        for (size_t j = 1; j < K; j++)
            mx = z[j] > mx ? z[j] : mx;
        float s = 0.0f;
        for (size_t j = 0; j < K; j++) {
            y[j] = expf(z[j] - mx); /* shifted: exp never overflows */
            s += y[j];
        }
        const float inv = 1.0f / s;
        for (size_t j = 0; j < K; j++)
            y[j] *= inv;
    }
}

void pn_softmax_backward(float *din, const float *dout, const float *out, size_t R, size_t K)
{
    for (size_t r = 0; r < R; r++) {
        const float *y = out + r * K, *dy = dout + r * K;
        float dot = 0.0f;
        for (size_t j = 0; j < K; j++)
            dot += dy[j] * y[j];
        for (size_t j = 0; j < K; j++)
            din[r * K + j] += y[j] * (dy[j] - dot);
    }
}
