/* Tests of the gzip reader (src/data/gzip.c, inflate.c, inftrees.c) and of
 * the CRC-32 it checks (src/base/crc32.c): the three deflate block types, the
 * gzip header/trailer checks, every refusal the brief lists, and the real
 * MNIST files against the md5 sums in shared/data/mnist/SOURCE.md. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deflate_writer.h"
#include "pairnet/base/md5.h"
#include "pairnet/base/crc32.h"
#include "pairnet/data/data.h"

/* ---- vectors ------------------------------------------------------------ */

/* Made once with Python's zlib (raw deflate, wbits -15) wrapped in a gzip
 * header with mtime 0 and OS 3:
 *   gz_stored:  level 0, one stored block of P_STORED
 *   gz_fixed:   level 9, one fixed-Huffman block of P_FIXED
 *   gz_dynamic: level 9 on words(800) with a Z_FULL_FLUSH after 400 bytes,
 *               so: dynamic block, empty stored block, final block. */
static const char P_STORED[] = "stored: raw bytes \x00\x01\x02\xff";
static const char P_FIXED[] = "hello, hello, hello, fixed Huffman codes!\n";

static const uint8_t gz_stored[45] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x01, 0x16,
    0x00, 0xe9, 0xff, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x64, 0x3a, 0x20, 0x72,
    0x61, 0x77, 0x20, 0x62, 0x79, 0x74, 0x65, 0x73, 0x20, 0x00, 0x01, 0x02,
    0xff, 0x60, 0xdf, 0x3d, 0xb5, 0x16, 0x00, 0x00, 0x00,
};

static const uint8_t gz_fixed[50] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48,
    0xcd, 0xc9, 0xc9, 0xd7, 0x51, 0xc8, 0x40, 0xa1, 0xd2, 0x32, 0x2b, 0x52,
    0x53, 0x14, 0x3c, 0x4a, 0xd3, 0xd2, 0x72, 0x13, 0xf3, 0x14, 0x92, 0xf3,
    0x53, 0x52, 0x8b, 0x15, 0xb9, 0x00, 0xc6, 0xe6, 0x45, 0x5f, 0x2a, 0x00,
    0x00, 0x00,
};

static const uint8_t gz_dynamic[296] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x5c, 0x90,
    0x6d, 0x1a, 0x82, 0x30, 0x0c, 0x83, 0xaf, 0xd2, 0xab, 0x4d, 0x40, 0xfc,
    0x64, 0x8a, 0x20, 0xe8, 0xe9, 0xe5, 0x6d, 0x1e, 0xb7, 0xb1, 0x1f, 0xdb,
    0xda, 0xa6, 0x49, 0x9b, 0x85, 0xa1, 0xb5, 0xb0, 0x9d, 0x63, 0x5c, 0x2d,
    0xbe, 0xbb, 0xd1, 0x9e, 0xf3, 0xb9, 0xb9, 0x5a, 0x1b, 0x7b, 0x9b, 0x4e,
    0x9d, 0x35, 0x61, 0xb2, 0xc3, 0x18, 0x97, 0xc1, 0x6e, 0xe1, 0xfb, 0xf1,
    0x14, 0xe8, 0x32, 0xdf, 0x1f, 0x2f, 0x6f, 0x70, 0x0e, 0x64, 0x20, 0x5e,
    0x60, 0xef, 0xf5, 0x0b, 0xe9, 0x4a, 0x56, 0x5c, 0xe5, 0x0e, 0x15, 0xfa,
    0xc2, 0xbc, 0xaa, 0x50, 0x58, 0x4d, 0x66, 0x8e, 0x6a, 0x69, 0x48, 0x1a,
    0xb4, 0xdb, 0x21, 0x55, 0xa4, 0x93, 0xd9, 0xac, 0x9e, 0x33, 0xa1, 0x48,
    0x28, 0x82, 0xcf, 0x71, 0xfa, 0xdf, 0x98, 0x06, 0x66, 0xe7, 0xd4, 0xa1,
    0xd0, 0x48, 0x9c, 0x4d, 0x83, 0x82, 0x14, 0x96, 0x0a, 0x8f, 0xc5, 0x77,
    0xd4, 0x1b, 0x6c, 0xd1, 0x0f, 0x00, 0x00, 0xff, 0xff, 0x6d, 0x50, 0x6d,
    0x16, 0x82, 0x30, 0x0c, 0xbb, 0xca, 0xae, 0x36, 0xbe, 0x14, 0x41, 0x86,
    0x08, 0x88, 0x9e, 0xde, 0x97, 0xa4, 0xd3, 0xc2, 0xe3, 0x4f, 0x97, 0xb6,
    0x49, 0xda, 0x2e, 0xf4, 0xf1, 0xf3, 0x0e, 0xf3, 0xb5, 0x0e, 0x65, 0x9c,
    0xc3, 0x63, 0x69, 0xcb, 0xce, 0x22, 0x1b, 0x82, 0x68, 0xa7, 0xb5, 0x9e,
    0xc8, 0xb9, 0x2d, 0xf7, 0xf1, 0xa9, 0xb4, 0x49, 0x9b, 0xa5, 0x68, 0xc4,
    0xa1, 0x32, 0x7e, 0x31, 0xa5, 0xd7, 0x60, 0x58, 0xfd, 0x2a, 0x5d, 0xac,
    0x4a, 0x21, 0xbd, 0xa1, 0x26, 0x10, 0x45, 0x74, 0x98, 0xfc, 0x6d, 0x81,
    0x30, 0x1c, 0x55, 0xbc, 0x79, 0x4f, 0xca, 0xe4, 0x47, 0x08, 0xfb, 0xcc,
    0x95, 0xcf, 0x8f, 0xc5, 0x79, 0x0c, 0xe2, 0x67, 0x1b, 0xb7, 0x8d, 0x77,
    0x76, 0xd7, 0x1d, 0x82, 0xdf, 0x72, 0x37, 0x14, 0x2f, 0xa4, 0x39, 0x07,
    0xde, 0x5f, 0x29, 0xd1, 0x19, 0x17, 0x87, 0xb9, 0x8f, 0xee, 0xe3, 0x17,
    0xa4, 0xbe, 0xc2, 0xe6, 0x20, 0x03, 0x00, 0x00,
};


/* words(n): the plaintext of gz_dynamic, the same LCG word salad as the
 * Python generator. */
static void words(char *out, size_t n)
{
    static const char *const w[10] = {"the ",  "quick ", "brown ", "fox ", "jumps ",
                                      "over ", "lazy ",  "dog ",   "and ", "cat "};
    uint32_t x = 1;
    size_t len = 0;
    while (len < n) {
        x = (x * 1103515245u + 12345u) & 0x7fffffffu;
        for (const char *p = w[(x >> 16) % 10]; *p && len < n; p++)
            out[len++] = *p;
    }
}

/* ---- helpers -------------------------------------------------------------- */

#define NAME "vec.gz"

/* Inflates in and checks that the output is exactly want[0..want_len). */
static void ok_at(int line, const uint8_t *in, size_t n, size_t max_out, const void *want,
                  size_t want_len)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    pn_err err = {0, ""};
    int rc = pn_gunzip(in, n, max_out, &out, &out_len, NAME, &err);
    if (rc != 0)
        t_fail(__FILE__, line, "pn_gunzip failed (%d): %s", rc, err.msg);
    else if (out_len != want_len || memcmp(out, want, want_len) != 0)
        t_fail(__FILE__, line, "output differs: %zu bytes, want %zu", out_len, want_len);
    free(out);
}

/* Checks that in is refused with PN_ERR_DATA and a message naming the file,
 * containing needle and the hint. */
static void refused_at(int line, const uint8_t *in, size_t n, size_t max_out, const char *needle)
{
    uint8_t *out = (uint8_t *)1;
    size_t out_len = 99;
    pn_err err = {0, ""};
    int rc = pn_gunzip(in, n, max_out, &out, &out_len, NAME, &err);
    if (rc != PN_ERR_DATA)
        t_fail(__FILE__, line, "rc = %d, want PN_ERR_DATA (%s)", rc, err.msg);
    if (err.code != rc)
        t_fail(__FILE__, line, "err.code = %d, rc = %d", err.code, rc);
    if (strncmp(err.msg, NAME ": ", strlen(NAME) + 2) != 0)
        t_fail(__FILE__, line, "message does not start with the name: %s", err.msg);
    if (!strstr(err.msg, needle))
        t_fail(__FILE__, line, "message lacks \"%s\": %s", needle, err.msg);
    if (!strstr(err.msg, "scripts/get-mnist.sh"))
        t_fail(__FILE__, line, "message lacks the hint: %s", err.msg);
    if (out != NULL || out_len != 0)
        t_fail(__FILE__, line, "outputs not reset on failure");
    if (rc == 0)
        free(out);
}

#define OK(in, n, want, want_len) ok_at(__LINE__, in, n, 1u << 20, want, want_len)
#define REFUSED(in, n, needle) refused_at(__LINE__, in, n, 1u << 20, needle)

/* Hand-made fixed block: "ab", then a 4-byte match at distance 2. */
static size_t fixed_ababab(uint8_t *dst)
{
    bitw w = {{0}, 0};
    bw_put(&w, 1, 1);
    bw_put(&w, 1, 2);
    bw_fixed_sym(&w, 'a');
    bw_fixed_sym(&w, 'b');
    bw_fixed_sym(&w, 258); /* length 4 */
    bw_huff(&w, 1, 5);     /* distance 2 */
    bw_fixed_sym(&w, 256);
    return gz_wrap(dst, 0, w.buf, bw_len(&w), "ababab", 6);
}

/* ---- tests ---------------------------------------------------------------- */

/* Bit-at-a-time CRC-32, the definition the table-driven one must match. */
static uint32_t crc_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

static void inflate_crc32_check_value(void)
{
    uint8_t data[64];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 37 + 11);
    /* Every length and start offset, whole and split in two calls. */
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; off + n <= sizeof data; n++) {
            uint32_t want = crc_bitwise(data + off, n);
            CHECK_MSG(pn_crc32(0, data + off, n) == want, "off %zu n %zu", off, n);
            CHECK(pn_crc32(pn_crc32(0, data + off, n / 3), data + off + n / 3, n - n / 3) == want);
        }
    CHECK(pn_crc32(0, "123456789", 9) == 0xCBF43926u);
    CHECK(pn_crc32(pn_crc32(0, "1234", 4), "56789", 5) == 0xCBF43926u);
    CHECK(pn_crc32(0, "", 0) == 0);
    /* Unaligned start and a length that is not a multiple of 4. */
    char buf[16] = "x123456789";
    CHECK(pn_crc32(0, buf + 1, 9) == 0xCBF43926u);
}

static void inflate_md5_self_test(void)
{
    static const struct {
        size_t n;
        const char *hex;
    } cases[] = {{0, "d41d8cd98f00b204e9800998ecf8427e"},
                 {55, "ef1772b6dff9a122358552954ad0df65"},
                 {56, "3b0c8ac703f828b04c6c197006d17218"},
                 {64, "014842d480b571495a4a0363793f7367"}};
    char hex[33], a[64];
    memset(a, 'a', sizeof a);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pn_md5_hex(a, cases[i].n, hex);
        CHECK_MSG(strcmp(hex, cases[i].hex) == 0, "md5 of %zu a's: %s", cases[i].n, hex);
    }
    pn_md5_hex("The quick brown fox jumps over the lazy dog", 43, hex);
    CHECK(strcmp(hex, "9e107d9d372bb6826bd81d3542a419d6") == 0);
    /* fed in pieces that straddle the 64-byte blocks: the same digest */
    static unsigned char big[1000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 7 + 3);
    char whole[33];
    pn_md5_hex(big, sizeof big, whole);
    pn_md5 m;
    pn_md5_init(&m);
    for (size_t at = 0, step = 1; at < sizeof big; at += step, step = step * 3 % 97 + 1)
        pn_md5_update(&m, big + at, at + step > sizeof big ? sizeof big - at : step);
    pn_md5_final(&m, hex);
    CHECK_MSG(strcmp(hex, whole) == 0, "md5 in pieces %s, whole %s", hex, whole);
}

static void inflate_stored_blocks(void)
{
    OK(gz_stored, sizeof gz_stored, P_STORED, sizeof P_STORED - 1);
    /* By hand: non-final "abc", empty, final "de". */
    static const uint8_t def[] = {0x00, 3, 0, 0xfc, 0xff, 'a', 'b', 'c', 0x00, 0, 0,
                                  0xff, 0xff, 0x01, 2, 0, 0xfd, 0xff, 'd', 'e'};
    uint8_t gz[64];
    size_t n = gz_wrap(gz, 0, def, sizeof def, "abcde", 5);
    OK(gz, n, "abcde", 5);
}

static void inflate_fixed_block(void)
{
    OK(gz_fixed, sizeof gz_fixed, P_FIXED, sizeof P_FIXED - 1);
    uint8_t gz[64];
    size_t n = fixed_ababab(gz);
    OK(gz, n, "ababab", 6);
}

static void inflate_dynamic_blocks(void)
{
    char want[800];
    words(want, sizeof want);
    CHECK(((gz_dynamic[10] >> 1) & 3) == 2); /* the vector starts with a dynamic block */
    OK(gz_dynamic, sizeof gz_dynamic, want, sizeof want);
}

/* The literal/length code {257: 1 bit, 'a': 2, 256: 2} and a distance code
 * with one code of length 1, which RFC 1951 allows: "a" + match(3, 1). */
static void inflate_dynamic_single_distance_code(void)
{
    static const uint8_t cl[19] = {[0] = 2, [1] = 2, [2] = 2, [18] = 2};
    static const unsigned items[][2] = {{18, 86}, {2, 0}, {18, 127}, {18, 9},
                                        {2, 0},   {1, 0}, {1, 0}};
    uint8_t lit[258] = {0}, gz[128];
    unsigned codes[258];
    lit['a'] = 2;
    lit[256] = 2;
    lit[257] = 1;
    bw_canon(lit, 258, codes);
    bitw w = {{0}, 0};
    bw_dyn_header(&w, 258, 1, cl, 18);
    bw_cl_syms(&w, cl, items, sizeof items / sizeof items[0]);
    bw_huff(&w, codes['a'], 2);
    bw_huff(&w, codes[257], 1);
    bw_huff(&w, 0, 1); /* distance 1 */
    bw_huff(&w, codes[256], 2);
    size_t n = gz_wrap(gz, 0, w.buf, bw_len(&w), "aaaa", 4);
    OK(gz, n, "aaaa", 4);
}

static void inflate_header_flags(void)
{
    uint8_t gz[128];
    /* Every optional field at once, then each alone. */
    unsigned all = GZ_FEXTRA | GZ_FNAME | GZ_FCOMMENT | GZ_FHCRC;
    const unsigned flags[] = {all, GZ_FEXTRA, GZ_FNAME, GZ_FCOMMENT, GZ_FHCRC, 0x01u /* FTEXT */};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        size_t n = gz_wrap(gz, flags[i], gz_fixed + 10, sizeof gz_fixed - 18, P_FIXED,
                        sizeof P_FIXED - 1);
        OK(gz, n, P_FIXED, sizeof P_FIXED - 1);
    }
    size_t n = gz_wrap(gz, all, gz_fixed + 10, sizeof gz_fixed - 18, P_FIXED, sizeof P_FIXED - 1);
    gz[10 + 8 + 9 + 10] ^= 1; /* header CRC */
    REFUSED(gz, n, "header CRC");
    for (unsigned bit = 0x20; bit <= 0x80; bit <<= 1) {
        n = gz_wrap(gz, bit, gz_fixed + 10, sizeof gz_fixed - 18, P_FIXED, sizeof P_FIXED - 1);
        REFUSED(gz, n, "reserved");
    }
    memcpy(gz, gz_fixed, sizeof gz_fixed);
    gz[2] = 7;
    REFUSED(gz, sizeof gz_fixed, "compression method 7");
    /* A name without its terminating zero runs into the end. */
    memcpy(gz, gz_fixed, 10);
    gz[3] = GZ_FNAME;
    memset(gz + 10, 'n', 20);
    REFUSED(gz, 30, "truncated");
}

/* 40 matches of 258 bytes from 20 bytes of fixed code. With 4 zero bytes
 * of padding after the trailer the ISIZE hint reads 0, so the output buffer
 * has to grow; max_out is checked at the exact boundary. */
static void inflate_growth_and_max_out(void)
{
    enum { REPS = 40, LEN = 1 + 258 * REPS };
    static char want[LEN];
    memset(want, 'z', sizeof want);
    bitw w = {{0}, 0};
    bw_put(&w, 1, 1);
    bw_put(&w, 1, 2);
    bw_fixed_sym(&w, 'z');
    for (int i = 0; i < REPS; i++) {
        bw_fixed_sym(&w, 285); /* length 258 */
        bw_huff(&w, 0, 5);     /* distance 1 */
    }
    bw_fixed_sym(&w, 256);
    uint8_t gz[128];
    size_t n = gz_wrap(gz, 0, w.buf, bw_len(&w), want, LEN);
    ok_at(__LINE__, gz, n, LEN, want, LEN);
    refused_at(__LINE__, gz, n, LEN - 1, "larger than the limit");
    refused_at(__LINE__, gz, n, 0, "larger than the limit");
    memset(gz + n, 0, 4);
    ok_at(__LINE__, gz, n + 4, LEN, want, LEN);
    /* A lying ISIZE is only a hint: decoding still stops at max_out. */
    gz[n - 1] = 0x7f;
    refused_at(__LINE__, gz, n, 100, "larger than the limit");
}

static void inflate_refuses_truncated(void)
{
    const uint8_t *vec[] = {gz_stored, gz_fixed, gz_dynamic};
    const size_t len[] = {sizeof gz_stored, sizeof gz_fixed, sizeof gz_dynamic};
    for (size_t v = 0; v < 3; v++) {
        for (size_t n = 2; n < len[v]; n++) {
            /* A copy, so a read past n is caught by the sanitizers. */
            uint8_t *cut = malloc(n);
            CHECK(cut != NULL);
            if (!cut)
                return;
            memcpy(cut, vec[v], n);
            refused_at(__LINE__, cut, n, 1u << 20, "truncated");
            free(cut);
        }
    }
    REFUSED(gz_fixed, 0, "truncated");
    REFUSED(gz_fixed, 1, "truncated");
}

static void inflate_refuses_bad_magic(void)
{
    uint8_t gz[sizeof gz_fixed];
    memcpy(gz, gz_fixed, sizeof gz);
    gz[1] = 0x8c;
    REFUSED(gz, sizeof gz, "not gzip");
    REFUSED((const uint8_t *)"\x00\x00\x08\x01", 4, "not gzip");
}

static void inflate_refuses_bad_crc(void)
{
    uint8_t gz[sizeof gz_dynamic];
    for (size_t i = 0; i < 4; i++) {
        memcpy(gz, gz_dynamic, sizeof gz);
        gz[sizeof gz - 8 + i] ^= 0x40;
        REFUSED(gz, sizeof gz, "CRC-32 mismatch");
    }
    /* A flipped literal in a stored block is caught by the CRC only. */
    uint8_t st[sizeof gz_stored];
    memcpy(st, gz_stored, sizeof st);
    st[20] ^= 1;
    REFUSED(st, sizeof st, "CRC-32 mismatch");
}

static void inflate_refuses_bad_isize(void)
{
    uint8_t gz[sizeof gz_dynamic];
    for (size_t i = 0; i < 4; i++) {
        memcpy(gz, gz_dynamic, sizeof gz);
        gz[sizeof gz - 4 + i] ^= 0x01;
        REFUSED(gz, sizeof gz, "size mismatch");
    }
}

static void inflate_refuses_block_type_3(void)
{
    bitw w = {{0}, 0};
    uint8_t gz[64];
    bw_put(&w, 1, 1);
    bw_put(&w, 3, 2);
    size_t n = gz_wrap(gz, 0, w.buf, bw_len(&w), "", 0);
    REFUSED(gz, n, "block type 3");
    /* Also as the second block after a valid non-final stored one. */
    static const uint8_t def[] = {0x00, 1, 0, 0xfe, 0xff, 'q', 0x07};
    n = gz_wrap(gz, 0, def, sizeof def, "q", 1);
    REFUSED(gz, n, "block type 3");
}

static void inflate_refuses_over_max_out(void)
{
    char want[800];
    words(want, sizeof want);
    ok_at(__LINE__, gz_dynamic, sizeof gz_dynamic, 800, want, 800);
    refused_at(__LINE__, gz_dynamic, sizeof gz_dynamic, 799, "larger than the limit of 799");
    refused_at(__LINE__, gz_stored, sizeof gz_stored, 5, "larger than the limit");
}

static void inflate_refuses_trailing_garbage(void)
{
    uint8_t gz[2 * sizeof gz_fixed];
    memcpy(gz, gz_fixed, sizeof gz_fixed);
    memcpy(gz + sizeof gz_fixed, "\0\0\0x", 4);
    REFUSED(gz, sizeof gz_fixed + 4, "4 bytes of trailing garbage");
    memset(gz + sizeof gz_fixed, 0, 7);
    OK(gz, sizeof gz_fixed + 7, P_FIXED, sizeof P_FIXED - 1); /* zero padding is fine */
    memcpy(gz + sizeof gz_fixed, gz_fixed, sizeof gz_fixed);
    REFUSED(gz, sizeof gz, "concatenated");
}

/* Dynamic block headers that zlib refuses too. */
static void inflate_refuses_bad_codes(void)
{
    /* code-length code {0: 2, 1: 2, 2: 2, 18: 2} as in the valid case */
    static const uint8_t cl4[19] = {[0] = 2, [1] = 2, [2] = 2, [18] = 2};
    static const struct {
        const char *needle;
        uint8_t cl[19];
        unsigned ncl, nlit, ndist;
        unsigned items[8][2];
        size_t nitems;
    } cases[] = {
        {"over-subscribed code-length code", {[16] = 1, [17] = 1, [18] = 1, [0] = 1}, 4, 257, 1,
         {{0, 0}}, 0},
        {"incomplete code-length code", {[0] = 1}, 4, 257, 1, {{0, 0}}, 0},
        {"incomplete literal/length code", {0}, 18, 258, 1,
         {{18, 86}, {2, 0}, {18, 127}, {18, 9}, {2, 0}, {0, 0}, {1, 0}}, 7},
        {"over-subscribed literal/length code", {0}, 18, 258, 1,
         {{18, 86}, {1, 0}, {18, 127}, {18, 9}, {1, 0}, {1, 0}, {1, 0}}, 7},
        {"incomplete distance code", {0}, 18, 258, 2,
         {{18, 86}, {2, 0}, {18, 127}, {18, 9}, {2, 0}, {1, 0}, {2, 0}, {2, 0}}, 8},
        {"no end-of-block code", {0}, 18, 258, 1,
         {{18, 86}, {1, 0}, {18, 127}, {18, 9}, {0, 0}, {1, 0}, {1, 0}}, 7},
        {"runs past", {0}, 18, 258, 1, {{18, 86}, {2, 0}, {18, 127}, {18, 127}}, 4},
        {"no previous length", {[0] = 1, [16] = 1}, 4, 257, 1, {{16, 0}}, 1},
        {"at most 286", {0}, 18, 287, 1, {{0, 0}}, 0},
        {"at most 286 and 30", {0}, 18, 257, 31, {{0, 0}}, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const uint8_t *cl = cases[i].ncl == 18 ? cl4 : cases[i].cl;
        bitw w = {{0}, 0};
        uint8_t gz[128];
        bw_dyn_header(&w, cases[i].nlit, cases[i].ndist, cl, cases[i].ncl);
        bw_cl_syms(&w, cl, cases[i].items, cases[i].nitems);
        bw_put(&w, 0, 32); /* so a "truncated" cannot hide the real error */
        size_t n = gz_wrap(gz, 0, w.buf, bw_len(&w), "", 0);
        refused_at(__LINE__, gz, n, 1u << 20, cases[i].needle);
    }
}

/* Fixed blocks with symbols that decode but mean nothing valid. */
static void inflate_refuses_bad_symbols(void)
{
    static const struct {
        const char *needle;
        unsigned syms[4]; /* literal/length symbols, then one distance code */
        unsigned dist;
    } cases[] = {
        {"before the start", {'a', 257}, 1},        /* distance 2 after 1 byte */
        {"invalid literal/length code", {'a', 286}, 0},
        {"invalid literal/length code", {287}, 0},
        {"invalid distance code", {'a', 257}, 30},
        {"invalid distance code", {'a', 'b', 257}, 31},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bitw w = {{0}, 0};
        uint8_t gz[64];
        bw_put(&w, 1, 1);
        bw_put(&w, 1, 2);
        for (size_t k = 0; k < 4 && cases[i].syms[k]; k++)
            bw_fixed_sym(&w, cases[i].syms[k]);
        bw_huff(&w, cases[i].dist, 5);
        bw_fixed_sym(&w, 256);
        bw_put(&w, 0, 32);
        size_t n = gz_wrap(gz, 0, w.buf, bw_len(&w), "", 0);
        refused_at(__LINE__, gz, n, 1u << 20, cases[i].needle);
    }
    static const uint8_t def[] = {0x01, 3, 0, 0xfc, 0xfe, 'a', 'b', 'c'};
    uint8_t gz[64];
    size_t n = gz_wrap(gz, 0, def, sizeof def, "abc", 3);
    REFUSED(gz, n, "complement");
}

/* ---- real data ------------------------------------------------------------ */

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    uint8_t *buf = NULL;
    *n = 0;
    if (!f)
        return NULL;
    if (fstat(fileno(f), &st) == 0 && st.st_size > 0 && (buf = malloc((size_t)st.st_size))) {
        *n = fread(buf, 1, (size_t)st.st_size, f);
        if (*n != (size_t)st.st_size) {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

/* Inflates dir/file and compares the md5 of the output with SOURCE.md. */
static void real_md5(int line, const char *dir, const char *file, size_t want_len,
                     const char *want_md5)
{
    char path[1024], hex[33];
    size_t n = 0, out_len = 0;
    uint8_t *out = NULL;
    pn_err err = {0, ""};
    snprintf(path, sizeof path, "%s/%s", dir, file);
    uint8_t *in = slurp(path, &n);
    if (!in) {
        t_fail(__FILE__, line, "cannot read %s", path);
        return;
    }
    int rc = pn_gunzip(in, n, 64u << 20, &out, &out_len, path, &err);
    if (rc != 0) {
        t_fail(__FILE__, line, "%s", err.msg);
    } else {
        pn_md5_hex(out, out_len, hex);
        if (out_len != want_len || strcmp(hex, want_md5) != 0)
            t_fail(__FILE__, line, "%s: %zu bytes, md5 %s; want %zu, %s", file, out_len, hex,
                   want_len, want_md5);
    }
    free(out);
    free(in);
}

static void inflate_real_labels_md5(void)
{
    const char *dir = t_data_dir();
    if (!dir)
        return;
    real_md5(__LINE__, dir, "t10k-labels-idx1-ubyte.gz", 10008, "27ae3e4e09519cfbb04c329615203637");
    real_md5(__LINE__, dir, "train-labels-idx1-ubyte.gz", 60008,
             "a25bea736e30d166cdddb491f175f624");
}

static void inflate_real_images_md5(void)
{
    const char *dir = t_data_dir();
    if (!dir)
        return;
    real_md5(__LINE__, dir, "t10k-images-idx3-ubyte.gz", 7840016,
             "2646ac647ad5339dbf082846283269ea");
    real_md5(__LINE__, dir, "train-images-idx3-ubyte.gz", 47040016,
             "6bbc9ace898e44ae57da46a324031adb");
}

void suite_inflate(void)
{
    RUN(inflate_crc32_check_value);
    RUN(inflate_md5_self_test);
    RUN(inflate_stored_blocks);
    RUN(inflate_fixed_block);
    RUN(inflate_dynamic_blocks);
    RUN(inflate_dynamic_single_distance_code);
    RUN(inflate_header_flags);
    RUN(inflate_growth_and_max_out);
    RUN(inflate_refuses_truncated);
    RUN(inflate_refuses_bad_magic);
    RUN(inflate_refuses_bad_crc);
    RUN(inflate_refuses_bad_isize);
    RUN(inflate_refuses_block_type_3);
    RUN(inflate_refuses_over_max_out);
    RUN(inflate_refuses_trailing_garbage);
    RUN(inflate_refuses_bad_codes);
    RUN(inflate_refuses_bad_symbols);
    RUN(inflate_real_labels_md5);
    RUN(inflate_real_images_md5);
}
