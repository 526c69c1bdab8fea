/* Strict parsing of option values (src/base/parse.c): the whole string must
 * be the number, finite, without overflow or wrap-around, inside the range;
 * a refusal is PN_ERR_USAGE with a message naming the option, and leaves the
 * output untouched. */
#include "test.h"

#include <float.h>
#include <stdint.h>
#include <string.h>

#include "pairnet/base/parse.h"

#define SENTINEL 12345.0

/* s must parse, inside [min, max] (min excluded if min_open), to want. */
static void double_ok_at(int line, const char *s, double min, double max, int min_open,
                         double want)
{
    pn_err err = {0, ""};
    double v = SENTINEL;
    int rc = pn_parse_double("--x", s, min, max, min_open, &v, &err);
    if (rc != PN_OK || v != want)
        t_fail(__FILE__, line, "'%s': rc %d, value %.17g, want %.17g (%s)", s, rc, v, want,
               err.msg);
}

/* s must be refused with a message containing needle. */
static void double_bad_at(int line, const char *s, double min, double max, int min_open,
                          const char *needle)
{
    pn_err err = {0, ""};
    double v = SENTINEL;
    int rc = pn_parse_double("--x", s, min, max, min_open, &v, &err);
    if (rc != PN_ERR_USAGE || err.code != PN_ERR_USAGE || v != SENTINEL ||
        !strstr(err.msg, "--x") || !strstr(err.msg, needle))
        t_fail(__FILE__, line, "'%s': rc %d, value %.17g, message '%s' (want '%s')",
               s ? s : "(null)", rc, v, err.msg, needle);
}

#define DOUBLE_OK(s, min, max, open, want) double_ok_at(__LINE__, s, min, max, open, want)
#define DOUBLE_BAD(s, min, max, open, needle) double_bad_at(__LINE__, s, min, max, open, needle)

static void size_ok_at(int line, const char *s, size_t min, size_t max, size_t want)
{
    pn_err err = {0, ""};
    size_t v = 777;
    int rc = pn_parse_size("--n", s, min, max, &v, &err);
    if (rc != PN_OK || v != want)
        t_fail(__FILE__, line, "'%s': rc %d, value %zu, want %zu (%s)", s, rc, v, want, err.msg);
}

static void size_bad_at(int line, const char *s, size_t min, size_t max, const char *needle)
{
    pn_err err = {0, ""};
    size_t v = 777;
    int rc = pn_parse_size("--n", s, min, max, &v, &err);
    if (rc != PN_ERR_USAGE || err.code != PN_ERR_USAGE || v != 777 || !strstr(err.msg, "--n") ||
        !strstr(err.msg, needle))
        t_fail(__FILE__, line, "'%s': rc %d, value %zu, message '%s' (want '%s')",
               s ? s : "(null)", rc, v, err.msg, needle);
}

#define SIZE_OK(s, min, max, want) size_ok_at(__LINE__, s, min, max, want)
#define SIZE_BAD(s, min, max, needle) size_bad_at(__LINE__, s, min, max, needle)

static void parse_double_accepts_numbers(void)
{
    DOUBLE_OK("0.5", 0, 1, 0, 0.5);
    DOUBLE_OK("1e-3", 0, 1, 1, 1e-3);
    DOUBLE_OK("+2", 0, 10, 0, 2.0);
    DOUBLE_OK("-0.25", -1, 1, 0, -0.25);
    DOUBLE_OK("0", 0, 1, 0, 0.0); /* a closed minimum is allowed */
    DOUBLE_OK("1", 0, 1, 1, 1.0); /* the maximum is always closed */
    DOUBLE_OK("1.7976931348623157e308", 0, DBL_MAX, 0, DBL_MAX);
}

static void parse_double_refuses_garbage(void)
{
    DOUBLE_BAD("", 0, 1, 0, "needs a number");
    DOUBLE_BAD(NULL, 0, 1, 0, "needs a number");
    DOUBLE_BAD(" 0.5", 0, 1, 0, "needs a number");
    DOUBLE_BAD("0.5 ", 0, 1, 0, "not a finite number");
    DOUBLE_BAD("0.5x", 0, 1, 0, "not a finite number");
    DOUBLE_BAD("1e", 0, 10, 0, "not a finite number");
    DOUBLE_BAD("0,5", 0, 1, 0, "not a finite number");
    DOUBLE_BAD("abc", 0, 1, 0, "not a finite number");
    DOUBLE_BAD("--1", -2, 1, 0, "not a finite number");
}

static void parse_double_refuses_non_finite(void)
{
    DOUBLE_BAD("nan", -1e300, 1e300, 0, "not a finite number");
    DOUBLE_BAD("NaN", -1e300, 1e300, 0, "not a finite number");
    DOUBLE_BAD("-nan", -1e300, 1e300, 0, "not a finite number");
    DOUBLE_BAD("inf", -1e300, 1e300, 0, "not a finite number");
    DOUBLE_BAD("-Infinity", -1e300, 1e300, 0, "not a finite number");
    DOUBLE_BAD("1e400", 0, DBL_MAX, 0, "not a finite number");   /* overflows to inf */
    DOUBLE_BAD("-1e400", -DBL_MAX, 0, 0, "not a finite number"); /* and to -inf */
}

static void parse_double_refuses_out_of_range(void)
{
    DOUBLE_BAD("1.5", 0, 1, 0, "out of range, expected [0, 1]");
    DOUBLE_BAD("-0.1", 0, 1, 0, "out of range, expected [0, 1]");
    DOUBLE_BAD("0", 0, 1, 1, "out of range, expected (0, 1]");
    DOUBLE_BAD("1.0000000000000002", 0, 1, 0, "out of range");
}

static void parse_size_accepts_numbers(void)
{
    SIZE_OK("0", 0, 10, 0);
    SIZE_OK("10", 0, 10, 10);
    SIZE_OK("007", 1, 10, 7); /* decimal, not octal */
#if SIZE_MAX == UINT64_MAX
    SIZE_OK("18446744073709551615", 0, SIZE_MAX, SIZE_MAX);
#endif
}

static void parse_size_refuses_garbage(void)
{
    SIZE_BAD("", 0, 10, "not a whole number");
    SIZE_BAD(NULL, 0, 10, "not a whole number");
    SIZE_BAD(" 5", 0, 10, "not a whole number");
    SIZE_BAD("5 ", 0, 10, "not a whole number");
    SIZE_BAD("5x", 0, 10, "not a whole number");
    SIZE_BAD("1.5", 0, 10, "not a whole number");
    SIZE_BAD("1e3", 0, 10000, "not a whole number");
    SIZE_BAD("0x10", 0, 100, "not a whole number");
    SIZE_BAD("+5", 0, 10, "not a whole number");
    /* strtoull would wrap it */
    SIZE_BAD("-1", 0, SIZE_MAX, "-1 is negative; give a whole number, 0 or more");
    SIZE_BAD("-5", 2, 10, "-5 is negative; give a whole number, 2 or more");
}

static void parse_size_refuses_overflow_and_range(void)
{
    SIZE_BAD("18446744073709551616", 0, SIZE_MAX, "too large");
    SIZE_BAD("99999999999999999999999", 0, SIZE_MAX, "too large");
    SIZE_BAD("11", 0, 10, "out of range, expected 0..10");
    SIZE_BAD("0", 1, 10, "out of range, expected 1..10");
}

static void parse_u64_whole_range(void)
{
    pn_err err = {0, ""};
    uint64_t v = 5;
    CHECK(pn_parse_u64("--seed", "18446744073709551615", &v, &err) == PN_OK && v == UINT64_MAX);
    CHECK(pn_parse_u64("--seed", "0", &v, &err) == PN_OK && v == 0);
    v = 5;
    CHECK(pn_parse_u64("--seed", "18446744073709551616", &v, &err) == PN_ERR_USAGE && v == 5);
    CHECK(strstr(err.msg, "--seed") && strstr(err.msg, "too large"));
    CHECK(pn_parse_u64("--seed", "-1", &v, &err) == PN_ERR_USAGE && v == 5);
    CHECK(strstr(err.msg, "0 or more") && !strstr(err.msg, "not a whole number"));
    CHECK(pn_parse_u64("--seed", "42 ", &v, &err) == PN_ERR_USAGE && v == 5);
}

void suite_parse(void)
{
    RUN(parse_double_accepts_numbers);
    RUN(parse_double_refuses_garbage);
    RUN(parse_double_refuses_non_finite);
    RUN(parse_double_refuses_out_of_range);
    RUN(parse_size_accepts_numbers);
    RUN(parse_size_refuses_garbage);
    RUN(parse_size_refuses_overflow_and_range);
    RUN(parse_u64_whole_range);
}
