/* pn_expf, pn_log (pairnet/base/mathf.h). */
#include "pairnet/base/mathf.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static uint64_t bits64(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static double double_of(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* ---- expf ------------------------------------------------------------ */

/* 2^(i/32) rounded to double, minus i << 47 in its bit pattern, so that
 * adding k << 47 (k = the integer part times 32 + i) builds 2^(k/32). */
static const uint64_t exp2_tab[32] = {
    0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
    0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
    0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
    0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
    0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
    0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
    0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
    0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
};

/* exp(x) = 2^(k/32) 2^(r/32), k = round(x 32/ln 2), |r| <= 1/2, with
 * 2^(r/32) ~ 1 + c2 r + c1 r^2 + c0 r^3. */
float pn_expf(float x)
{
    const double inv_ln2_32 = 0x1.71547652b82fep+0 * 32, shift = 0x1.8p+52;
    const double c0 = 0x1.c6af84b912394p-5 / 32 / 32 / 32, c1 = 0x1.ebfce50fac4f3p-3 / 32 / 32;
    const double c2 = 0x1.62e42ff0c52d6p-1 / 32;
    uint32_t ux;
    memcpy(&ux, &x, sizeof ux);
    if ((ux >> 20 & 0x7ff) >= 0x42b) { /* |x| >= 88, inf or nan */
        if (ux == 0xff800000u)
            return 0.0f;
        if ((ux >> 20 & 0x7ff) >= 0x7f8)
            return x + x;
        if (x > 0x1.62e42ep6f) /* above log(FLT_MAX): overflow */
            return (float)HUGE_VAL;
        if (x < -0x1.9fe368p6f) /* below log(2^-150): underflow to 0 */
            return 0.0f;
    }
    const double xd = x;
    /* k in the low bits of kd: adding 1.5 * 2^52 rounds to an integer */
    double kd = fma(inv_ln2_32, xd, shift);
    const uint64_t ki = bits64(kd);
    kd -= shift;
    const double r = fma(inv_ln2_32, xd, -kd);
    const double s = double_of(exp2_tab[ki % 32] + (ki << 47));
    const double z = fma(c0, r, c1), r2 = r * r;
    const double y = fma(z, r2, fma(c2, r, 1.0));
    return (float)(y * s);
}

/* ---- log ------------------------------------------------------------- */

/* log(x) = e ln 2 + log(m), m in [sqrt(1/2), sqrt(2)); with f = m - 1
 * (exact) and s = f / (2 + f), log(m) = 2 atanh(s) = f - s (f - R), where
 * R = 2 (s^2/3 + s^4/5 + ...): the series to s^22, past which the terms
 * are below 2^-60 of the result. ln 2 = LN2_HI + LN2_LO, LN2_HI with 41
 * significant bits, so that e LN2_HI is exact. */
double pn_log(double x)
{
    const double ln2_hi = 0x1.62e42fefa3800p-1, ln2_lo = 0x1.ef35793c76730p-45;
    if (!(x > 0.0))
        return x == 0.0 ? -HUGE_VAL : (x - x) / (x - x); /* -inf; nan for x < 0 or nan */
    if (x == HUGE_VAL)
        return x;
    int e = 0;
    if (x < 0x1p-1022) { /* subnormal: scale into the normal range */
        x *= 0x1p54;
        e = -54;
    }
    const uint64_t u = bits64(x);
    e += (int)(u >> 52) - 1023;
    double m = double_of((u & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
    if (m > 0x1.6a09e667f3bcdp+0) { /* sqrt(2) */
        m *= 0.5;
        e++;
    }
    const double f = m - 1.0, s = f / (2.0 + f), z = s * s;
    double R = 2.0 / 23.0;
    for (int n = 21; n >= 3; n -= 2)
        R = R * z + 2.0 / n;
    R *= z;
    const double ed = (double)e;
    return ed * ln2_hi + ((f - s * (f - R)) + ed * ln2_lo);
}
