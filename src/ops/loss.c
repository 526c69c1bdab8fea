#include <math.h>

#include "pairnet/ops/ops.h"

float pn_cross_entropy_forward(float *prob, const float *logits, const uint8_t *labels,
                               size_t R, size_t K)
{
    double total = 0.0;
    for (size_t r = 0; r < R; r++) {
        const float *z = logits + r * K;
        float *p = prob + r * K;
        float mx = z[0];
        for (size_t j = 1; j < K; j++)
            mx = z[j] > mx ? z[j] : mx;
        double se = 0.0;
        for (size_t j = 0; j < K; j++) {
            p[j] = expf(z[j] - mx);
            se += p[j];
        }
        const float inv = (float)(1.0 / se);
        for (size_t j = 0; j < K; j++)
            p[j] *= inv;
        /* -log softmax(z)[y] = log(sum exp(z - mx)) - (z[y] - mx) */
        total += log(se) - (double)(z[labels[r]] - mx);
    }
    return (float)(total / (double)R);
}

void pn_cross_entropy_backward(float *dlogits, const float *prob, const uint8_t *labels,
                               float dloss, size_t R, size_t K)
{
    const float s = dloss / (float)R;
    for (size_t r = 0; r < R; r++) {
        const float *p = prob + r * K;
        float *d = dlogits + r * K;
        for (size_t j = 0; j < K; j++)
            d[j] += s * (p[j] - (j == labels[r] ? 1.0f : 0.0f));
    }
}
