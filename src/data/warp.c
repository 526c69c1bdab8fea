/* Random affine and elastic warps of one 14x14 digit (see warp.h). */
#include "pairnet/data/warp.h"

#include <math.h>
#include <string.h>

#include "pairnet/data/pairs.h"

int pn_warp_active(const pn_warp_cfg *c)
{
    return c->rotate > 0.0f || c->scale > 0.0f || c->shear > 0.0f || c->translate > 0.0f ||
           c->elastic > 0.0f;
}

static float sample(const float *in, float sx, float sy, float fill)
{
    const int S = PN_SIDE;
    const float fx0 = floorf(sx), fy0 = floorf(sy);
    const int x0 = (int)fx0, y0 = (int)fy0;
    const float ax = sx - fx0, ay = sy - fy0;
    float v[4];
    for (int k = 0; k < 4; k++) {
        const int x = x0 + (k & 1), y = y0 + (k >> 1);
        v[k] = x >= 0 && x < S && y >= 0 && y < S ? in[y * S + x] : fill;
    }
    return (1.0f - ay) * ((1.0f - ax) * v[0] + ax * v[1]) + ay * ((1.0f - ax) * v[2] + ax * v[3]);
}

void pn_image_affine(float *out, const float *in, const float m[4], float tx, float ty,
                     const float *fx, const float *fy, float fill)
{
    const int S = PN_SIDE;
    const float c = 0.5f * (float)(S - 1);
    for (int y = 0; y < S; y++) {
        const float v = (float)y - c;
        for (int x = 0; x < S; x++) {
            const float u = (float)x - c;
            float sx = c + m[0] * u + m[1] * v + tx, sy = c + m[2] * u + m[3] * v + ty;
            if (fx) {
                sx += fx[y * S + x];
                sy += fy[y * S + x];
            }
            out[y * S + x] = sample(in, sx, sy, fill);
        }
    }
}

void pn_field_smooth(float *f, float sigma)
{
    enum { S = PN_SIDE, RMAX = 3 * PN_SIDE };
    float k[2 * RMAX + 1], tmp[PN_PIXELS];
    int r = (int)ceilf(3.0f * sigma);
    if (r > RMAX)
        r = RMAX;
    float sum = 0.0f;
    for (int i = -r; i <= r; i++) {
        k[i + r] = expf(-0.5f * (float)(i * i) / (sigma * sigma));
        sum += k[i + r];
    }
    for (int i = 0; i <= 2 * r; i++)
        k[i] /= sum;
    /* rows, then columns; a sample beyond the border reads the border */
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            float s = 0.0f;
            for (int i = -r; i <= r; i++) {
                const int xx = x + i < 0 ? 0 : x + i >= S ? S - 1 : x + i;
                s += k[i + r] * f[y * S + xx];
            }
            tmp[y * S + x] = s;
        }
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            float s = 0.0f;
            for (int i = -r; i <= r; i++) {
                const int yy = y + i < 0 ? 0 : y + i >= S ? S - 1 : y + i;
                s += k[i + r] * tmp[yy * S + x];
            }
            f[y * S + x] = s;
        }
}

void pn_image_warp(float *out, const float *in, const pn_warp_cfg *c, float fill, pn_rng *rng)
{
    const float deg = 3.14159265358979f / 180.0f;
    const float th = c->rotate > 0.0f ? pn_rng_sym(rng, c->rotate) * deg : 0.0f;
    const float sc = c->scale > 0.0f ? 1.0f + pn_rng_sym(rng, c->scale) : 1.0f;
    const float sh = c->shear > 0.0f ? tanf(pn_rng_sym(rng, c->shear) * deg) : 0.0f;
    const float tx = c->translate > 0.0f ? pn_rng_sym(rng, c->translate) : 0.0f;
    const float ty = c->translate > 0.0f ? pn_rng_sym(rng, c->translate) : 0.0f;
    /* source = rotation * shear (x += sh * y) * scale applied to the output
     * coordinates */
    const float cs = cosf(th) * sc, sn = sinf(th) * sc;
    const float m[4] = {cs, cs * sh - sn, sn, sn * sh + cs};
    float fx[PN_PIXELS], fy[PN_PIXELS];
    const int elastic = c->elastic > 0.0f;
    if (elastic) {
        const float sigma = c->elastic_sigma > 0.0f ? c->elastic_sigma : PN_WARP_ELASTIC_SIGMA;
        for (size_t i = 0; i < PN_PIXELS; i++)
            fx[i] = pn_rng_sym(rng, 1.0f);
        for (size_t i = 0; i < PN_PIXELS; i++)
            fy[i] = pn_rng_sym(rng, 1.0f);
        pn_field_smooth(fx, sigma);
        pn_field_smooth(fy, sigma);
        for (size_t i = 0; i < PN_PIXELS; i++) {
            fx[i] *= c->elastic;
            fy[i] *= c->elastic;
        }
    }
    pn_image_affine(out, in, m, tx, ty, elastic ? fx : NULL, elastic ? fy : NULL, fill);
}
