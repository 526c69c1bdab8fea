/* Part of kern_body.h, the body of one kernel set: the BatchNorm sums and
 * the pooling windows of the fused conv block, in the lane order every set
 * keeps (docs/numerics.md). Included by kern_body.h only, after its
 * definitions (VW, the vector types, min_sz). */
/* ==== BatchNorm sums and pooling windows of the fused conv block ======== */


/* Sum of a row: 16 float lanes over chunks of PN_CHUNK values, each
 * chunk's lanes then added in order into a double; the values past the
 * last whole group of 16 go straight into the double. */
static double row_sum(const float *x, size_t n)
{
    double s = 0.0;
    size_t i = 0;
    float acc[PN_LANES];
    while (i + PN_LANES <= n) {
        const size_t end = n - i < PN_CHUNK ? i + (n - i) / PN_LANES * PN_LANES : i + PN_CHUNK;
        v16 v = z16();
        for (; i < end; i += PN_LANES)
            v = add16(v, ld16(x + i));
        st16(acc, v);
        s += pn_lanes_to_double(acc);
    }
    for (; i < n; i++)
        s += x[i];
    return s;
}

/* Sum of (x - mean)^2 over a row, in the same order as row_sum. */
static double row_sq_dev(const float *x, size_t n, float mean)
{
    double s = 0.0;
    size_t i = 0;
    float acc[PN_LANES];
    const v16 m = set16(mean);
    while (i + PN_LANES <= n) {
        const size_t end = n - i < PN_CHUNK ? i + (n - i) / PN_LANES * PN_LANES : i + PN_CHUNK;
        v16 v = z16();
        for (; i < end; i += PN_LANES) {
            const v16 d = sub16(ld16(x + i), m);
            v = add16(v, mul16(d, d));
        }
        st16(acc, v);
        s += pn_lanes_to_double(acc);
    }
    for (; i < n; i++)
        s += (double)(x[i] - mean) * (x[i] - mean);
    return s;
}

/* One pooling window over n batch entries: x0..x3 are the window's four
 * positions in reading order. o = relu(max of x*s + t); a = the winner, the
 * first maximum in reading order as max-pool has it; win = the winner's x,
 * so that backward's sums read one position instead of four. */
KB_NOINLINE static void window_arg(const float *restrict x0, const float *restrict x1,
                                   const float *restrict x2, const float *restrict x3, float s,
                                   float t, float *restrict o, float *restrict a,
                                   float *restrict win, size_t n)
{
    for (size_t b = 0; b < n; b++) {
        const float v0 = x0[b] * s + t, v1 = x1[b] * s + t;
        const float v2 = x2[b] * s + t, v3 = x3[b] * s + t;
        const float m0 = v1 > v0 ? v1 : v0, m1 = v3 > v2 ? v3 : v2;
        const float m = m1 > m0 ? m1 : m0;
        o[b] = m > 0.0f ? m : 0.0f;
        a[b] = v0 == m ? 0.0f : v1 == m ? 1.0f : v2 == m ? 2.0f : 3.0f;
        win[b] = v0 == m ? x0[b] : v1 == m ? x1[b] : v2 == m ? x2[b] : x3[b];
    }
}

KB_NOINLINE static void window_eval(const float *restrict x0, const float *restrict x1,
                                    const float *restrict x2, const float *restrict x3, float s,
                                    float t, float *restrict o, size_t n)
{
    for (size_t b = 0; b < n; b++) {
        const float v0 = x0[b] * s + t, v1 = x1[b] * s + t;
        const float v2 = x2[b] * s + t, v3 = x3[b] * s + t;
        const float m0 = v1 > v0 ? v1 : v0, m1 = v3 > v2 ? v3 : v2;
        const float m = m1 > m0 ? m1 : m0;
        o[b] = m > 0.0f ? m : 0.0f;
    }
}

/* Adds to the lanes as, ax the sums over n entries of one window: the
 * gradient reaching the winner (g where the pooled value o passed ReLU,
 * else zero), and that times the winner's xhat. Entries past the last whole
 * group of 16 go straight into the doubles. */
KB_NOINLINE static void window_sums(const float *restrict win, const float *restrict o,
                                    const float *restrict g, float mean, float is, size_t n,
                                    float *restrict as, float *restrict ax, double *sd,
                                    double *sdx)
{
    size_t b = 0;
    v16 vs = ld16(as), vx = ld16(ax);
    const v16 vm = set16(mean), vi = set16(is);
    for (; b + PN_LANES <= n; b += PN_LANES) {
        const v16 gm = keep_pos16(ld16(o + b), ld16(g + b));
        vs = add16(vs, gm);
        vx = add16(vx, mul16(gm, mul16(sub16(ld16(win + b), vm), vi)));
    }
    st16(as, vs);
    st16(ax, vx);
    for (; b < n; b++) {
        const float gm = o[b] > 0.0f ? g[b] : 0.0f;
        *sd += gm;
        *sdx += (double)gm * ((win[b] - mean) * is);
    }
}

/* c ? w : +0.0f by bit mask: the same value as the ternary, but the
 * multiply that makes w is then used unconditionally, which lets the
 * AVX2 and SSE vectorizers if-convert the loop (with a conditional use
 * they keep a branch, not allowed to speculate a multiply that might
 * trap; AVX-512 masks it). */
KB_INLINE float pick(int c, float w)
{
    uint32_t u;
    memcpy(&u, &w, sizeof u);
    u &= 0u - (uint32_t)c;
    memcpy(&w, &u, sizeof w);
    return w;
}

/* dx over one window's four positions: base + (x - mean) slope, plus k dy
 * at the winner */
KB_NOINLINE static void window_dx(const float *restrict x0, const float *restrict x1,
                                  const float *restrict x2, const float *restrict x3,
                                  float *restrict d0, float *restrict d1, float *restrict d2,
                                  float *restrict d3, const float *restrict a,
                                  const float *restrict o, const float *restrict g, float mean,
                                  float base, float slope, float kc, size_t n)
{
    for (size_t b = 0; b < n; b++) {
        const float w = kc * pick(o[b] > 0.0f, g[b]), ab = a[b];
        d0[b] = base + (x0[b] - mean) * slope + pick(ab == 0.0f, w);
        d1[b] = base + (x1[b] - mean) * slope + pick(ab == 1.0f, w);
        d2[b] = base + (x2[b] - mean) * slope + pick(ab == 2.0f, w);
        d3[b] = base + (x3[b] - mean) * slope + pick(ab == 3.0f, w);
    }
}

