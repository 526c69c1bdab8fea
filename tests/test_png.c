/* The PNG and PGM readers (src/data/png.c, pgm.c): every colour type, bit
 * depth and filter read back to the pixels written, compressed and stored
 * image data, alpha composited, and every malformed file refused with one
 * line (PN_ERR_DATA). The PNGs are made here: chunks with their CRC, a zlib
 * stream of stored deflate blocks (or fixed-Huffman literals) and Adler-32. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "png_writer.h"
#include "pairnet/base/crc32.h"
#include "pairnet/data/image.h"
#include "test.h"

static int decode(const pngw *w, pn_image *img, pn_err *err)
{
    return pn_image_decode(w->b, w->n, "t.png", img, err);
}

/* The 8-bit gray ramp of w x h decodes to itself with every filter. */
static void test_png_gray8_filters(void)
{
    enum { W = 7, H = 11 };
    uint8_t px[W * H];
    uint32_t r = 1;
    for (int i = 0; i < W * H; i++) { /* pseudo-random: every case of every filter */
        r = r * 1103515245u + 12345u;
        px[i] = (uint8_t)(r >> 16);
    }
    for (int f = -1; f <= 4; f++)
        for (int fixed = 0; fixed < 2; fixed++) {
            static pngw w;
            spec s = {W, H, 8, 0, 0, f, fixed, NULL, 0, NULL, 0};
            png_make(&w, &s, px);
            pn_image img;
            pn_err err = {0, ""};
            int rc = decode(&w, &img, &err);
            CHECK_MSG(rc == 0, "filter %d fixed %d: %s", f, fixed, err.msg);
            if (rc != 0)
                continue;
            CHECK(img.w == W && img.h == H);
            for (int i = 0; i < W * H; i++)
                CHECK_NEAR(img.gray[i], px[i] / 255.0, 1e-6);
            pn_image_free(&img);
        }
}

/* Packs w x h pixels of c samples each (depth bits) into PNG rows. */
static void pack(uint8_t *px, const unsigned *smp, size_t w, size_t h, size_t c, unsigned depth)
{
    const size_t rb = (w * c * depth + 7) / 8;
    memset(px, 0, rb * h);
    for (size_t y = 0; y < h; y++)
        for (size_t i = 0; i < w * c; i++) {
            const unsigned v = smp[y * w * c + i];
            uint8_t *row = px + y * rb;
            if (depth == 16) {
                row[2 * i] = (uint8_t)(v >> 8);
                row[2 * i + 1] = (uint8_t)v;
            } else if (depth == 8) {
                row[i] = (uint8_t)v;
            } else {
                row[i * depth / 8] |= (uint8_t)(v << (8 - depth - (i * depth) % 8));
            }
        }
}

static float luma(float r, float g, float b) { return 0.299f * r + 0.587f * g + 0.114f * b; }

/* Gray at 1, 2, 4, 8, 16 bits; RGB and gray+alpha and RGBA (opaque) at 8 and
 * 16; palettes at 1, 2, 4, 8 bits: every pixel read back. */
static void test_png_colour_types(void)
{
    enum { W = 5, H = 3 };
    static const struct { unsigned ct, depth, ch; } t[] = {
        {0, 1, 1}, {0, 2, 1}, {0, 4, 1}, {0, 8, 1}, {0, 16, 1}, {2, 8, 3}, {2, 16, 3},
        {4, 8, 2}, {4, 16, 2}, {6, 8, 4}, {6, 16, 4}, {3, 1, 1}, {3, 2, 1}, {3, 4, 1}, {3, 8, 1}};
    static const uint8_t plte[3 * 4] = {0, 0, 0, 255, 255, 255, 200, 10, 30, 5, 90, 250};
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        const unsigned top = (1u << t[k].depth) - 1, n_plte = t[k].depth == 1 ? 2 : 4;
        unsigned smp[W * H * 4];
        float want[W * H];
        for (unsigned i = 0; i < W * H; i++) {
            unsigned *s = smp + i * t[k].ch;
            for (unsigned c = 0; c < t[k].ch; c++)
                s[c] = (i * 2654435761u + c * 40503u) % (top + 1);
            if (t[k].ct >= 4)
                s[t[k].ch - 1] = top; /* opaque */
            if (t[k].ct == 3)
                s[0] %= n_plte;
            const float f = (float)top;
            want[i] = t[k].ct == 3 ? luma(plte[3 * s[0]] / 255.f, plte[3 * s[0] + 1] / 255.f,
                                          plte[3 * s[0] + 2] / 255.f)
                      : t[k].ch >= 3 ? luma(s[0] / f, s[1] / f, s[2] / f) : s[0] / f;
        }
        static uint8_t px[W * H * 8];
        pack(px, smp, W, H, t[k].ch, t[k].depth);
        static pngw w;
        spec s = {W, H, t[k].depth, t[k].ct, 0, -1, 0, t[k].ct == 3 ? plte : NULL, n_plte,
                  NULL, 0};
        png_make(&w, &s, px);
        pn_image img;
        pn_err err = {0, ""};
        int rc = decode(&w, &img, &err);
        CHECK_MSG(rc == 0, "type %u depth %u: %s", t[k].ct, t[k].depth, err.msg);
        if (rc != 0)
            continue;
        for (int i = 0; i < W * H; i++)
            CHECK_MSG(fabsf(img.gray[i] - want[i]) < 1e-5f, "type %u depth %u pixel %d: %g, "
                      "want %g", t[k].ct, t[k].depth, i, (double)img.gray[i], (double)want[i]);
        pn_image_free(&img);
    }
}

/* A 3 x 1 picture with alpha: ink (opaque), half transparent ink, nothing. */
static void alpha_case(unsigned ct, unsigned ink, float bg)
{
    unsigned smp[3 * 4];
    static const unsigned a[3] = {255, 128, 0};
    for (int i = 0; i < 3; i++) {
        const unsigned ch = ct == 4 ? 2 : 4;
        for (unsigned c = 0; c + 1 < ch; c++)
            smp[i * ch + c] = ink;
        smp[i * ch + ch - 1] = a[i];
    }
    uint8_t px[12];
    pack(px, smp, 3, 1, ct == 4 ? 2 : 4, 8);
    static pngw w;
    spec s = {3, 1, 8, ct, 0, 0, 0, NULL, 0, NULL, 0};
    png_make(&w, &s, px);
    pn_image img;
    pn_err err = {0, ""};
    CHECK_MSG(decode(&w, &img, &err) == 0, "%s", err.msg);
    if (!img.gray)
        return;
    const float v = ink / 255.f;
    CHECK_NEAR(img.gray[0], v, 1e-6);
    CHECK_NEAR(img.gray[1], 128 / 255.f * v + (1 - 128 / 255.f) * bg, 1e-6);
    CHECK_NEAR(img.gray[2], bg, 1e-6);
    pn_image_free(&img);
}

/* Transparency is composited over the background that contrasts with the
 * ink: black ink on white, white ink on black; a palette's tRNS too. */
static void test_png_alpha(void)
{
    alpha_case(4, 0, 1.0f);
    alpha_case(4, 255, 0.0f);
    alpha_case(6, 10, 1.0f);
    alpha_case(6, 240, 0.0f);
    static const uint8_t plte[6] = {128, 128, 128, 255, 255, 255}, trns[1] = {0};
    const unsigned smp[4] = {0, 1, 1, 0};
    uint8_t px[1];
    pack(px, smp, 4, 1, 1, 1);
    static pngw w;
    spec s = {4, 1, 1, 3, 0, 0, 0, plte, 2, trns, 1}; /* entry 0 transparent gray, 1 white */
    png_make(&w, &s, px);
    pn_image img;
    pn_err err = {0, ""};
    CHECK_MSG(decode(&w, &img, &err) == 0, "%s", err.msg);
    if (img.gray) /* white ink: transparent pixels become black */
        CHECK(img.gray[0] == 0.0f && img.gray[1] == 1.0f && img.gray[3] == 0.0f);
    pn_image_free(&img);
}

/* The PNG is refused: PN_ERR_DATA, one line naming the problem (what). */
static void refused_at(int line, const uint8_t *b, size_t n, const char *what)
{
    pn_image img;
    pn_err err = {0, ""};
    int rc = pn_image_decode(b, n, "t.png", &img, &err);
    CHECK_MSG(rc == 3 && err.code == 3, "line %d: rc %d (%s)", line, rc, err.msg);
    CHECK_MSG(img.gray == NULL, "line %d: pixels left after a refusal", line);
    CHECK_MSG(!strchr(err.msg, '\n'), "line %d: not one line: %s", line, err.msg);
    CHECK_MSG(strstr(err.msg, what) != NULL, "line %d: '%s' does not say '%s'", line, err.msg,
              what);
    pn_image_free(&img);
}
#define REFUSED(b, n, what) refused_at(__LINE__, b, n, what)

/* A 4 x 4 gray PNG from spec s whose zlib stream is z (raw: n bytes of
 * rows), or the good stream when z is NULL. */
static void gray4(pngw *w, const spec *s)
{
    static uint8_t px[4 * 4 * 8];
    for (size_t i = 0; i < sizeof px; i++)
        px[i] = (uint8_t)(i * 13);
    png_make(w, s, px);
}

static const spec GRAY4 = {4, 4, 8, 0, 0, -1, 0, NULL, 0, NULL, 0};

/* Rewrites the CRC of the chunk whose data starts at b[at] (n bytes). */
static void fix_crc(uint8_t *b, size_t at, size_t n)
{
    png_be32(b + at + n, pn_crc32(0, b + at - 4, n + 4));
}

/* IHDR's fields and the file's framing. */
static void test_png_refuses_header(void)
{
    static pngw w;
    static const struct { uint32_t w, h; unsigned depth, ct, il; const char *what; } bad[] = {
        {0, 4, 8, 0, 0, "has none"}, {4, 0, 8, 0, 0, "has none"},
        {10000, 1, 8, 0, 0, "more than pairnet reads"}, {5000, 5000, 8, 0, 0, "more than"},
        {0x80000000u, 1, 8, 0, 0, "more than"}, {4, 4, 8, 1, 0, "colour type 1"},
        {4, 4, 8, 5, 0, "colour type 5"}, {4, 4, 8, 7, 0, "colour type 7"},
        {4, 4, 3, 0, 0, "bit depth 3"}, {4, 4, 16, 3, 0, "bit depth 16"},
        {4, 4, 4, 2, 0, "bit depth 4"}, {4, 4, 8, 0, 1, "interlaced"},
        {4, 4, 8, 0, 2, "interlace method 2"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        spec s = GRAY4;
        const uint8_t z[] = {0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0, 0, 0, 1};
        s.w = bad[k].w;
        s.h = bad[k].h;
        s.depth = bad[k].depth;
        s.ctype = bad[k].ct;
        s.interlace = bad[k].il;
        png_assemble(&w, &s, z, sizeof z);
        REFUSED(w.b, w.n, bad[k].what);
    }
    gray4(&w, &GRAY4);
    w.b[8 + 8 + 3] ^= 1; /* a bit of IHDR's width, CRC unchanged */
    REFUSED(w.b, w.n, "CRC-32 of PNG chunk 'IHDR'");
    gray4(&w, &GRAY4);
    w.b[w.n - 20] ^= 0x40; /* the last IDAT's data */
    REFUSED(w.b, w.n, "CRC-32 of PNG chunk 'IDAT'");
    gray4(&w, &GRAY4);
    REFUSED(w.b, w.n - 12, "no IEND");
    gray4(&w, &GRAY4);
    w.b[w.n++] = 0;
    REFUSED(w.b, w.n, "after the PNG's IEND");
    gray4(&w, &GRAY4);
    w.b[0] = 'x';
    REFUSED(w.b, w.n, "neither PNG nor PGM");
    w.b[0] = 0x89;
    w.b[6] = '\n';
    REFUSED(w.b, w.n, "bad signature");
    gray4(&w, &GRAY4);
    memcpy(w.b + 12, "IHDr", 4); /* ancillary look, but still first: not IHDR */
    fix_crc(w.b, 16, 13);
    REFUSED(w.b, w.n, "first PNG chunk is not IHDR");
    gray4(&w, &GRAY4);
    memcpy(w.b + 33 + 4, "ABCD", 4); /* the tEXt chunk becomes an unknown critical one */
    fix_crc(w.b, 41, 12);
    REFUSED(w.b, w.n, "unknown critical PNG chunk 'ABCD'");
    memcpy(w.b + 33 + 4, "abCD", 4); /* an unknown ancillary chunk is skipped */
    fix_crc(w.b, 41, 12);
    pn_image img;
    pn_err err = {0, ""};
    CHECK_MSG(pn_image_decode(w.b, w.n, "t.png", &img, &err) == 0, "%s", err.msg);
    pn_image_free(&img);
}

/* Every prefix of a good PNG is refused (a truncated file). */
static void test_png_refuses_truncated(void)
{
    static pngw w;
    gray4(&w, &GRAY4);
    for (size_t n = 0; n < w.n; n++) {
        pn_image img;
        pn_err err = {0, ""};
        CHECK_MSG(pn_image_decode(w.b, n, "t.png", &img, &err) == 3, "prefix of %zu bytes "
                  "accepted", n);
        CHECK(img.gray == NULL && err.msg[0] && !strchr(err.msg, '\n'));
    }
}

/* The image data: zlib header, Adler-32, its size, trailing bytes, filter
 * types, palette indices. */
static void test_png_refuses_data(void)
{
    static pngw w;
    static uint8_t raw[256], z[512];
    static uint8_t px[16];
    for (int i = 0; i < 16; i++)
        px[i] = (uint8_t)(i * 16);
    const size_t n = png_rows(&GRAY4, px, raw);
    size_t zn = png_zlib(z, raw, n, 0);
    z[1] = 0x02; /* FCHECK wrong */
    png_assemble(&w, &GRAY4, z, zn);
    REFUSED(w.b, w.n, "not a zlib deflate stream");
    z[0] = 0x79; /* CM 9 */
    png_assemble(&w, &GRAY4, z, zn);
    REFUSED(w.b, w.n, "not a zlib deflate stream");
    z[0] = 0x78;
    z[1] = 0x20 | (31 - (0x7820 % 31)); /* FDICT, valid FCHECK */
    png_assemble(&w, &GRAY4, z, zn);
    REFUSED(w.b, w.n, "preset zlib dictionary");
    zn = png_zlib(z, raw, n, 0);
    z[zn - 1] ^= 1;
    png_assemble(&w, &GRAY4, z, zn);
    REFUSED(w.b, w.n, "Adler-32");
    zn = png_zlib(z, raw, n, 0);
    z[zn] = 0;
    png_assemble(&w, &GRAY4, z, zn + 1);
    REFUSED(w.b, w.n, "trailing garbage in the IDAT");
    png_assemble(&w, &GRAY4, z, zn - 2);
    REFUSED(w.b, w.n, "no Adler-32");
    zn = png_zlib(z, raw, n - 5, 0); /* a row short */
    png_assemble(&w, &GRAY4, z, zn);
    REFUSED(w.b, w.n, "needs 20");
    zn = png_zlib(z, raw, n + 5, 0); /* a row too many */
    png_assemble(&w, &GRAY4, z, zn);
    REFUSED(w.b, w.n, "larger than the limit of 20");
    raw[5] = 5;
    zn = png_zlib(z, raw, n, 0);
    png_assemble(&w, &GRAY4, z, zn);
    REFUSED(w.b, w.n, "filter type 5");
    static const uint8_t plte[6] = {0, 0, 0, 255, 255, 255};
    spec s = {4, 4, 8, 3, 0, 0, 0, plte, 2, NULL, 0};
    uint8_t idx[16] = {0, 1, 1, 0, 2};
    png_make(&w, &s, idx);
    REFUSED(w.b, w.n, "palette index 2 beyond the 2 colours");
    s.plte = NULL;
    png_make(&w, &s, idx);
    REFUSED(w.b, w.n, "without a PLTE");
}

/* PGM: plain and raw, 8 and 16 bits, comments; and its refusals. */
static void test_pgm(void)
{
    static const char p2[] = "P2\n# a comment\n3 2 # another\n1000\n0 500 1000\n# mid\n1 2 3\n";
    pn_image img;
    pn_err err = {0, ""};
    CHECK_MSG(pn_image_decode((const uint8_t *)p2, strlen(p2), "t.pgm", &img, &err) == 0, "%s",
              err.msg);
    if (img.gray) {
        CHECK(img.w == 3 && img.h == 2);
        CHECK_NEAR(img.gray[1], 0.5, 1e-7);
        CHECK_NEAR(img.gray[5], 0.003, 1e-7);
    }
    pn_image_free(&img);
    static const uint8_t p5[] = "P5 2 1 65535\n\x12\x34\xff\xff";
    CHECK_MSG(pn_image_decode(p5, sizeof p5 - 1, "t.pgm", &img, &err) == 0, "%s", err.msg);
    if (img.gray)
        CHECK(img.gray[0] == 0x1234 / 65535.0f && img.gray[1] == 1.0f);
    pn_image_free(&img);
    static const struct { const char *f; size_t n; const char *what; } bad[] = {
        {"P5 2 1 255\n\x01", 12, "truncated PGM"},
        {"P5 2 1 255\n\x01\x02\x03", 14, "1 bytes after the PGM image"},
        {"P5 2 1 0\n\x01\x02", 11, "maxval is 0"},
        {"P5 2 1 70000\n\x01\x02", 15, "larger than 65535"},
        {"P5 2 1 100\n\x01\x65", 13, "sample 1 is 101, above maxval 100"},
        {"P2 2 1 9\n1 10\n", 14, "above maxval 9"},
        {"P2 2 1 9\n1\n", 11, "ends before the sample"},
        {"P2 2 1 9\n1 2 x\n", 15, "bytes after the PGM image"},
        {"P5 0 1 255\n", 11, "has none"},
        {"P5 9000 9000 255\n", 17, "more than pairnet reads"},
        {"P5 2 x 255\n", 11, "height expected"},
        {"P5 2", 4, "ends before the height"},
        {"P52 1 255\n", 10, "not followed by whitespace"},
        {"P6 2 1 255\n", 11, "P6 file"},
        {"P5 2 1 255", 10, "no samples"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        refused_at(__LINE__ * 1000 + (int)k, (const uint8_t *)bad[k].f, bad[k].n, bad[k].what);
}

void suite_png(void)
{
    RUN(test_png_gray8_filters);
    RUN(test_png_colour_types);
    RUN(test_png_alpha);
    RUN(test_png_refuses_header);
    RUN(test_png_refuses_truncated);
    RUN(test_png_refuses_data);
    RUN(test_pgm);
}
