/* The JSON writer (include/pairnet/report/json.h). */
#include "pairnet/report/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/report/escape.h"

pn_json pn_json_on(pn_buf *b)
{
    pn_json j;
    memset(&j, 0, sizeof j);
    j.b = b;
    return j;
}

static void indent(pn_json *j)
{
    pn_buf_printf(j->b, "\n%*s", 2 * j->depth, "");
}

/* Before any value: the comma after its sibling and its line, unless it
 * follows its key on the key's line. */
static void before_value(pn_json *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->depth > 0) {
        if (j->count[j->depth - 1]++)
            pn_buf_printf(j->b, ",");
        indent(j);
    }
}

void pn_json_open(pn_json *j, char kind)
{
    before_value(j);
    if (j->depth == PN_JSON_DEPTH) {
        j->b->failed = 1;
        return;
    }
    pn_buf_printf(j->b, "%c", kind == '[' ? '[' : '{');
    j->close[j->depth] = kind == '[' ? ']' : '}';
    j->count[j->depth] = 0;
    j->depth++;
}

void pn_json_close(pn_json *j)
{
    if (j->depth == 0) {
        j->b->failed = 1;
        return;
    }
    j->depth--;
    if (j->count[j->depth])
        indent(j);
    pn_buf_printf(j->b, "%c", j->close[j->depth]);
    if (j->depth == 0)
        pn_buf_printf(j->b, "\n");
}

void pn_json_key(pn_json *j, const char *key)
{
    before_value(j);
    pn_buf_printf(j->b, "\"");
    pn_esc_json(j->b, key);
    pn_buf_printf(j->b, "\": ");
    j->after_key = 1;
}

void pn_json_str(pn_json *j, const char *s)
{
    before_value(j);
    pn_buf_printf(j->b, "\"");
    pn_esc_json(j->b, s);
    pn_buf_printf(j->b, "\"");
}

/* x with the fewest significant digits in [lo, hi] that read back to x
 * (as a float when as_float); null when not finite. */
static void shortest(pn_json *j, double x, int lo, int hi, int as_float)
{
    if (!isfinite(x)) {
        pn_json_null(j);
        return;
    }
    before_value(j);
    char s[40];
    for (int digits = lo; digits <= hi; digits++) {
        snprintf(s, sizeof s, "%.*g", digits, x);
        const double back = strtod(s, NULL);
        if (as_float ? (float)back == (float)x : back == x)
            break;
    }
    pn_buf_printf(j->b, "%s", s);
}

void pn_json_num(pn_json *j, double x) { shortest(j, x, 15, 17, 0); }

void pn_json_float(pn_json *j, float x) { shortest(j, (double)x, 6, 9, 1); }

void pn_json_uint(pn_json *j, uint64_t x)
{
    before_value(j);
    pn_buf_printf(j->b, "%" PRIu64, x);
}

void pn_json_bool(pn_json *j, int x)
{
    before_value(j);
    pn_buf_printf(j->b, "%s", x ? "true" : "false");
}

void pn_json_null(pn_json *j)
{
    before_value(j);
    pn_buf_printf(j->b, "null");
}

void pn_esc_json(pn_buf *b, const char *s)
{
    const size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned cp;
        const size_t len = pn_utf8_char(s + i, n - i, &cp);
        if (len == 0) { /* no UTF-8: JSON text must be Unicode */
            pn_buf_printf(b, "\\ufffd");
            i++;
            continue;
        }
        if (cp == '"' || cp == '\\')
            pn_buf_printf(b, "\\%c", (char)cp);
        else if (cp == '\n')
            pn_buf_printf(b, "\\n");
        else if (cp == '\t')
            pn_buf_printf(b, "\\t");
        else if (cp < 0x20 || cp == 0x7f)
            pn_buf_printf(b, "\\u%04x", cp);
        else if (cp == 0x2028 || cp == 0x2029) /* valid JSON, but not JavaScript */
            pn_buf_printf(b, "\\u%04x", cp);
        else
            pn_buf_put(b, s + i, len);
        i += len;
    }
}
