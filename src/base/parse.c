#include "pairnet/base/parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

int pn_parse_double(const char *opt, const char *s, double min, double max, int min_open,
                    double *out, pn_err *err)
{
    char *end;
    if (!s || !*s || isspace((unsigned char)*s))
        return pn_fail(err, PN_ERR_USAGE, "%s needs a number", opt);
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(v))
        return pn_fail(err, PN_ERR_USAGE, "%s: '%s' is not a finite number", opt, s);
    if (v < min || v > max || (min_open && v == min))
        return pn_fail(err, PN_ERR_USAGE, "%s: %s is out of range, expected %s%g, %g]", opt, s,
                       min_open ? "(" : "[", min, max);
    *out = v;
    return PN_OK;
}

/* min: the least value the option takes, named when s is negative. */
static int parse_unsigned(const char *opt, const char *s, unsigned long long min,
                          unsigned long long *out, pn_err *err)
{
    char *end;
    /* strtoull accepts "-1" and wraps it; refuse any sign or space up front */
    if (s && s[0] == '-' && isdigit((unsigned char)s[1]))
        return pn_fail(err, PN_ERR_USAGE, "%s: %s is negative; give a whole number, %llu or more",
                       opt, s, min);
    if (!s || !isdigit((unsigned char)*s))
        return pn_fail(err, PN_ERR_USAGE, "%s: '%s' is not a whole number", opt, s ? s : "");
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end)
        return pn_fail(err, PN_ERR_USAGE, "%s: '%s' is not a whole number", opt, s);
    if (errno == ERANGE)
        return pn_fail(err, PN_ERR_USAGE, "%s: %s is too large", opt, s);
    *out = v;
    return PN_OK;
}

int pn_parse_size(const char *opt, const char *s, size_t min, size_t max, size_t *out, pn_err *err)
{
    unsigned long long v = 0;
    int rc = parse_unsigned(opt, s, min, &v, err);
    if (rc)
        return rc;
    if (v < min || v > max)
        return pn_fail(err, PN_ERR_USAGE, "%s: %s is out of range, expected %zu..%zu", opt, s,
                       min, max);
    *out = (size_t)v;
    return PN_OK;
}

int pn_parse_u64(const char *opt, const char *s, uint64_t *out, pn_err *err)
{
    unsigned long long v = 0;
    int rc = parse_unsigned(opt, s, 0, &v, err);
    if (rc == PN_OK)
        *out = (uint64_t)v;
    return rc;
}
