/* A user's picture of a digit brought to MNIST's form: the five steps of
 * digit_image.h, one function each. */
#include "pairnet/data/digit_image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SIDE PN_DIGIT_CANVAS

static int cmp_float(const void *a, const void *b)
{
    const float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The median of the pixels on the picture's outer frame; -1 out of memory. */
static float border_median(const pn_image *img)
{
    const size_t w = img->w, h = img->h;
    const size_t n = h <= 2 || w <= 2 ? w * h : 2 * w + 2 * (h - 2);
    float *v = malloc(n * sizeof *v);
    if (!v)
        return -1.0f;
    size_t k = 0;
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++)
            if (y == 0 || y == h - 1 || x == 0 || x == w - 1)
                v[k++] = img->gray[y * w + x];
    qsort(v, k, sizeof *v, cmp_float);
    const float m = k % 2 ? v[k / 2] : 0.5f * (v[k / 2 - 1] + v[k / 2]);
    free(v);
    return m;
}

/* Steps 1-2: ink in [0, 1] over a 0 background, into ink[h * w]. */
static void ink_levels(const pn_image *img, float bg, float *ink)
{
    const int invert = bg > 0.5f;
    const float base = invert ? 1.0f - bg : bg, span = 1.0f - base;
    for (size_t i = 0; i < img->w * img->h; i++) {
        const float v = invert ? 1.0f - img->gray[i] : img->gray[i];
        const float s = span > 0.0f ? (v - base) / span : 0.0f;
        ink[i] = s < 0.0f ? 0.0f : s > 1.0f ? 1.0f : s;
    }
}

typedef struct box {
    size_t x0, y0, w, h;
} box;

/* Step 3: the bounding box of the pixels above PN_DIGIT_INK; 0 if none. */
static int ink_box(const float *ink, size_t w, size_t h, box *b)
{
    size_t x0 = w, y0 = h, x1 = 0, y1 = 0;
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++)
            if (ink[y * w + x] > PN_DIGIT_INK) {
                x0 = x < x0 ? x : x0;
                x1 = x > x1 ? x : x1;
                y0 = y < y0 ? y : y0;
                y1 = y > y1 ? y : y1;
            }
    if (x0 == w)
        return 0;
    *b = (box){x0, y0, x1 - x0 + 1, y1 - y0 + 1};
    return 1;
}

/* Area averaging along one axis: n source values (stride ss) to m outputs
 * (stride ds), each the mean of the source interval [o n/m, (o+1) n/m) with
 * the source piecewise constant. */
static void area_axis(const float *src, size_t n, size_t ss, float *dst, size_t m, size_t ds)
{
    const double step = (double)n / (double)m;
    for (size_t o = 0; o < m; o++) {
        const double lo = (double)o * step, hi = (double)(o + 1) * step;
        double sum = 0.0;
        for (size_t i = (size_t)lo; i < n && (double)i < hi; i++) {
            const double a = (double)i > lo ? (double)i : lo;
            const double b = (double)(i + 1) < hi ? (double)(i + 1) : hi;
            sum += (b - a) * src[i * ss];
        }
        dst[o * ds] = (float)(sum / step);
    }
}

/* Step 4: the box of ink (width iw) scaled to *ow x *oh within PN_DIGIT_BOX,
 * into out; -1 out of memory. */
static int fit_box(const float *ink, size_t iw, box b, float *out, size_t *ow, size_t *oh)
{
    const size_t big = b.w > b.h ? b.w : b.h;
    size_t w = (size_t)lround((double)b.w * PN_DIGIT_BOX / (double)big);
    size_t h = (size_t)lround((double)b.h * PN_DIGIT_BOX / (double)big);
    w = w ? w : 1;
    h = h ? h : 1;
    float *tmp = malloc(w * b.h * sizeof *tmp); /* scaled across, full height */
    if (!tmp)
        return -1;
    for (size_t y = 0; y < b.h; y++)
        area_axis(ink + (b.y0 + y) * iw + b.x0, b.w, 1, tmp + y * w, w, 1);
    for (size_t x = 0; x < w; x++)
        area_axis(tmp + x, b.h, w, out + x, h, w);
    free(tmp);
    *ow = w;
    *oh = h;
    return 0;
}

/* Where a w-pixel run with centre of mass c (pixel index) starts so that c
 * lands on pixel SIDE / 2 (14: where MNIST's digits have theirs, on
 * average (14.01, 13.99) over the test set), kept inside the canvas. */
static size_t place(double c, size_t w)
{
    const long at = lround(SIDE / 2.0 - c), last = (long)(SIDE - w);
    return (size_t)(at < 0 ? 0 : at > last ? last : at);
}

/* Step 5: the w x h fitted digit onto the canvas, centred by its mass. */
static void centre(const float *d, size_t w, size_t h, uint8_t *out)
{
    double m = 0.0, mx = 0.0, my = 0.0;
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++) {
            m += d[y * w + x];
            mx += (double)x * d[y * w + x];
            my += (double)y * d[y * w + x];
        }
    const size_t ox = place(m > 0.0 ? mx / m : (w - 1) / 2.0, w);
    const size_t oy = place(m > 0.0 ? my / m : (h - 1) / 2.0, h);
    memset(out, 0, SIDE * SIDE);
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++)
            out[(oy + y) * SIDE + ox + x] = (uint8_t)lroundf(255.0f * d[y * w + x]);
}

int pn_digit_from_image(const pn_image *img, uint8_t out[SIDE * SIDE], const char *name,
                        pn_err *err)
{
    float fitted[PN_DIGIT_BOX * PN_DIGIT_BOX];
    const float bg = border_median(img);
    float *ink = bg < 0.0f ? NULL : malloc(img->w * img->h * sizeof *ink);
    if (!ink)
        return pn_fail(err, PN_ERR_RUNTIME, "%s: out of memory for %zu x %zu pixels", name,
                       img->w, img->h);
    ink_levels(img, bg, ink);
    box b;
    size_t w = 0, h = 0;
    int rc = PN_OK;
    if (!ink_box(ink, img->w, img->h, &b))
        rc = pn_fail(err, PN_ERR_DATA, "%s: no digit found: every pixel is within %.0f%% of the "
                     "background (a blank or very faint picture?)", name, 100.0 * PN_DIGIT_INK);
    else if (fit_box(ink, img->w, b, fitted, &w, &h) != 0)
        rc = pn_fail(err, PN_ERR_RUNTIME, "%s: out of memory scaling the digit", name);
    else
        centre(fitted, w, h, out);
    free(ink);
    return rc;
}
