/* The strict JSON reader (json_read.h): recursive descent over the text,
 * values appended to one growing array in document order, strings decoded
 * into one buffer as large as the text (a decoded string and its NUL never
 * take more bytes than its quoted form). */
#include "pairnet/base/json_read.h"

#include <stdlib.h>
#include <string.h>

typedef struct parser {
    const char *s;
    size_t len, at;
    pn_json_doc *doc;
    size_t cap;
    size_t text_used;
    const char *name;
    pn_err *err;
} parser;

static int bad(parser *p, const char *what)
{
    return pn_fail(p->err, PN_ERR_DATA, "%s: invalid JSON at byte %zu: %s (the header must be "
                   "strict JSON; rewrite the file with a conforming writer)", p->name, p->at,
                   what);
}

static void skip_ws(parser *p)
{
    while (p->at < p->len && (p->s[p->at] == ' ' || p->s[p->at] == '\t' ||
                              p->s[p->at] == '\n' || p->s[p->at] == '\r'))
        p->at++;
}

/* Appends a value; its index in *i. */
static int push(parser *p, pn_json_type t, const char *key, size_t *i)
{
    pn_json_doc *d = p->doc;
    if (d->n == p->cap) {
        const size_t cap = p->cap ? 2 * p->cap : 64;
        pn_json_val *v = realloc(d->v, cap * sizeof *v);
        if (!v)
            return pn_fail(p->err, PN_ERR_RUNTIME, "%s: out of memory parsing its JSON", p->name);
        d->v = v;
        p->cap = cap;
    }
    *i = d->n++;
    d->v[*i] = (pn_json_val){.type = t, .key = key};
    return PN_OK;
}

static int hex4(parser *p, unsigned *out)
{
    unsigned v = 0;
    if (p->len - p->at < 4)
        return bad(p, "truncated \\u escape");
    for (int k = 0; k < 4; k++) {
        const char c = p->s[p->at++];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return bad(p, "\\u needs four hex digits");
    }
    *out = v;
    return PN_OK;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* An escape after the backslash, decoded to o; *n bytes written. */
static int escape(parser *p, char *o, size_t *n)
{
    if (p->at >= p->len)
        return bad(p, "unterminated string");
    const char c = p->s[p->at++];
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *e = c ? strchr(from, c) : NULL;
    if (e) {
        *o = to[e - from];
        *n = 1;
        return PN_OK;
    }
    if (c != 'u')
        return bad(p, "unknown escape in a string");
    unsigned cp, lo;
    int rc = hex4(p, &cp);
    if (rc != PN_OK)
        return rc;
    if (cp >= 0xdc00 && cp < 0xe000)
        return bad(p, "a lone low surrogate in a \\u escape");
    if (cp >= 0xd800 && cp < 0xdc00) {
        if (p->len - p->at < 2 || p->s[p->at] != '\\' || p->s[p->at + 1] != 'u')
            return bad(p, "a high surrogate without its low half");
        p->at += 2;
        if ((rc = hex4(p, &lo)) != PN_OK)
            return rc;
        if (lo < 0xdc00 || lo >= 0xe000)
            return bad(p, "a high surrogate without its low half");
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    *n = put_utf8(o, cp);
    return PN_OK;
}

/* The length of the valid UTF-8 sequence at s[0..avail), or 0. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
    const unsigned c = s[0];
    size_t n;
    unsigned cp, min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c < 0xe0)
        n = 2, cp = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c < 0xf0)
        n = 3, cp = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c < 0xf5)
        n = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    if (avail < n)
        return 0;
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
        return 0;
    return n;
}

/* A string at p->at (its opening quote), decoded into the text buffer. */
static int string(parser *p, const char **out, size_t *out_len)
{
    char *o = p->doc->text + p->text_used, *start = o;
    p->at++;
    for (;;) {
        if (p->at >= p->len)
            return bad(p, "unterminated string");
        const unsigned char c = (unsigned char)p->s[p->at];
        if (c == '"')
            break;
        if (c < 0x20)
            return bad(p, "a raw control character in a string (escape it)");
        if (c == '\\') {
            p->at++;
            size_t n = 0;
            const int rc = escape(p, o, &n);
            if (rc != PN_OK)
                return rc;
            o += n;
            continue;
        }
        const size_t n = utf8_len((const unsigned char *)p->s + p->at, p->len - p->at);
        if (!n)
            return bad(p, "a string that is not valid UTF-8");
        memcpy(o, p->s + p->at, n);
        o += n;
        p->at += n;
    }
    p->at++;
    *o++ = '\0';
    *out = start;
    *out_len = (size_t)(o - start) - 1;
    p->text_used += (size_t)(o - start);
    return PN_OK;
}

static int digits(parser *p)
{
    const size_t from = p->at;
    while (p->at < p->len && p->s[p->at] >= '0' && p->s[p->at] <= '9')
        p->at++;
    return p->at > from;
}

/* A number by the grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int number(parser *p, const char *key)
{
    const size_t from = p->at;
    if (p->s[p->at] == '-')
        p->at++;
    if (p->at < p->len && p->s[p->at] == '0')
        p->at++;
    else if (!digits(p))
        return bad(p, "a number needs digits");
    if (p->at < p->len && p->s[p->at] == '.') {
        p->at++;
        if (!digits(p))
            return bad(p, "a fraction needs digits");
    }
    if (p->at < p->len && (p->s[p->at] == 'e' || p->s[p->at] == 'E')) {
        p->at++;
        if (p->at < p->len && (p->s[p->at] == '+' || p->s[p->at] == '-'))
            p->at++;
        if (!digits(p))
            return bad(p, "an exponent needs digits");
    }
    size_t i = 0;
    if (push(p, PN_JSON_NUMBER, key, &i) != PN_OK)
        return PN_ERR_RUNTIME;
    char *o = p->doc->text + p->text_used;
    const size_t n = p->at - from;
    memcpy(o, p->s + from, n);
    o[n] = '\0';
    p->text_used += n + 1;
    p->doc->v[i].str = o;
    p->doc->v[i].len = n;
    p->doc->v[i].next = i + 1;
    return PN_OK;
}

static int literal(parser *p, const char *word, pn_json_type t, const char *key)
{
    const size_t n = strlen(word);
    if (p->len - p->at < n || memcmp(p->s + p->at, word, n) != 0)
        return bad(p, "unexpected character (expected a value)");
    p->at += n;
    size_t i = 0;
    if (push(p, t, key, &i) != PN_OK)
        return PN_ERR_RUNTIME;
    p->doc->v[i].next = i + 1;
    return PN_OK;
}

static int value(parser *p, const char *key, int depth);

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Refuses object o if two of its members share a key: the keys sorted, then
 * neighbours compared (a long header stays O(n log n)). */
static int unique_keys(parser *p, size_t o)
{
    const pn_json_doc *d = p->doc;
    const size_t n = d->v[o].n;
    if (n < 2)
        return PN_OK;
    const char **keys = malloc(n * sizeof *keys);
    if (!keys)
        return pn_fail(p->err, PN_ERR_RUNTIME, "%s: out of memory parsing its JSON", p->name);
    size_t c = o + 1;
    for (size_t k = 0; k < n; k++, c = d->v[c].next)
        keys[k] = d->v[c].key;
    qsort(keys, n, sizeof *keys, cmp_str);
    size_t dup = 0;
    while (dup + 1 < n && strcmp(keys[dup], keys[dup + 1]) != 0)
        dup++;
    int rc = PN_OK;
    if (dup + 1 < n)
        rc = pn_fail(p->err, PN_ERR_DATA, "%s: invalid JSON: the key \"%.64s\" appears twice "
                     "in one object (a strict reader cannot tell which is meant; write each "
                     "key once)", p->name, keys[dup]);
    free(keys);
    return rc;
}

/* The members or elements of the array or object at p->at. */
static int container(parser *p, const char *key, int depth, int is_obj)
{
    size_t i = 0;
    if (depth >= PN_JSON_MAX_DEPTH)
        return bad(p, "nested too deep");
    if (push(p, is_obj ? PN_JSON_OBJECT : PN_JSON_ARRAY, key, &i) != PN_OK)
        return PN_ERR_RUNTIME;
    const char close = is_obj ? '}' : ']';
    p->at++;
    skip_ws(p);
    size_t n = 0;
    if (p->at < p->len && p->s[p->at] == close) {
        p->at++;
    } else {
        for (;;) {
            const char *k = NULL;
            if (is_obj) {
                size_t klen;
                if (p->at >= p->len || p->s[p->at] != '"')
                    return bad(p, "an object member needs a string key");
                const int rc = string(p, &k, &klen);
                if (rc != PN_OK)
                    return rc;
                if (memchr(k, 0, klen))
                    return bad(p, "a key holds \\u0000");
                skip_ws(p);
                if (p->at >= p->len || p->s[p->at] != ':')
                    return bad(p, "expected ':' after a key");
                p->at++;
            }
            const int rc = value(p, k, depth + 1);
            if (rc != PN_OK)
                return rc;
            n++;
            skip_ws(p);
            if (p->at < p->len && p->s[p->at] == ',') {
                p->at++;
                skip_ws(p);
                continue;
            }
            if (p->at < p->len && p->s[p->at] == close) {
                p->at++;
                break;
            }
            return bad(p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    p->doc->v[i].n = n;
    p->doc->v[i].next = p->doc->n;
    return is_obj ? unique_keys(p, i) : PN_OK;
}

static int value(parser *p, const char *key, int depth)
{
    skip_ws(p);
    if (p->at >= p->len)
        return bad(p, "the text ends where a value should be");
    const char c = p->s[p->at];
    if (c == '{' || c == '[')
        return container(p, key, depth, c == '{');
    if (c == '"') {
        size_t i = 0;
        if (push(p, PN_JSON_STRING, key, &i) != PN_OK)
            return PN_ERR_RUNTIME;
        const char *s;
        size_t n;
        const int rc = string(p, &s, &n);
        if (rc != PN_OK)
            return rc;
        p->doc->v[i].str = s;
        p->doc->v[i].len = n;
        p->doc->v[i].next = i + 1;
        return PN_OK;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return number(p, key);
    if (c == 't')
        return literal(p, "true", PN_JSON_TRUE, key);
    if (c == 'f')
        return literal(p, "false", PN_JSON_FALSE, key);
    return literal(p, "null", PN_JSON_NULL, key);
}

int pn_json_parse(const char *text, size_t len, const char *name, pn_json_doc *doc,
                  pn_err *err)
{
    memset(doc, 0, sizeof *doc);
    parser p = {.s = text, .len = len, .doc = doc, .name = name, .err = err};
    doc->text = malloc(len + 2);
    if (!doc->text)
        return pn_fail(err, PN_ERR_RUNTIME, "%s: out of memory parsing its JSON", name);
    int rc = value(&p, NULL, 0);
    if (rc == PN_OK) {
        skip_ws(&p);
        if (p.at != len)
            rc = bad(&p, "text after the value");
    }
    if (rc != PN_OK)
        pn_json_free(doc);
    return rc;
}

void pn_json_free(pn_json_doc *doc)
{
    free(doc->v);
    free(doc->text);
    memset(doc, 0, sizeof *doc);
}

size_t pn_json_first(const pn_json_doc *doc, size_t i)
{
    (void)doc;
    return i + 1;
}

size_t pn_json_member(const pn_json_doc *doc, size_t i, const char *key)
{
    if (doc->v[i].type != PN_JSON_OBJECT)
        return (size_t)-1;
    size_t c = i + 1;
    for (size_t k = 0; k < doc->v[i].n; k++, c = doc->v[c].next)
        if (strcmp(doc->v[c].key, key) == 0)
            return c;
    return (size_t)-1;
}

int pn_json_u64(const pn_json_val *v, uint64_t *out)
{
    if (v->type != PN_JSON_NUMBER || v->len == 0 || v->len > 20)
        return -1;
    uint64_t x = 0;
    for (size_t k = 0; k < v->len; k++) {
        const char c = v->str[k];
        if (c < '0' || c > '9')
            return -1;
        const uint64_t d = (uint64_t)(c - '0');
        if (x > (UINT64_MAX - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *out = x;
    return PN_OK;
}
