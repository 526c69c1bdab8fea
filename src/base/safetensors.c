/* The safetensors container (safetensors.h): the writer and the reader. */
#include "pairnet/base/safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/base/buf.h"

static const struct {
    const char *name;
    size_t bytes;
} dtypes[] = {
#define PN_ST_ROW_(name, bytes) {#name, bytes},
    PN_ST_DTYPES(PN_ST_ROW_)
#undef PN_ST_ROW_
};

const char *pn_st_dtype_name(pn_st_dtype t) { return dtypes[t].name; }
size_t pn_st_dtype_size(pn_st_dtype t) { return dtypes[t].bytes; }

/* ---- writing ---- */

static void putc_(pn_buf *b, char c) { pn_buf_put(b, &c, 1); }
static void puts_(pn_buf *b, const char *s) { pn_buf_put(b, s, strlen(s)); }

static int host_is_le(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* A JSON string: quotes, and escapes for '"', '\\' and control characters
 * (names and metadata are the writer's own text, but a path or a value
 * may hold anything). */
static void put_json_str(pn_buf *b, const char *s)
{
    putc_(b, '"');
    for (; *s; s++) {
        const unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            pn_buf_printf(b, "\\%c", c);
        else if (c < 0x20)
            pn_buf_printf(b, "\\u%04x", c);
        else
            putc_(b, (char)c);
    }
    putc_(b, '"');
}

/* The bytes of every element the shape holds, or 0 on overflow of a size_t
 * with *ok cleared. */
static size_t shape_bytes(const uint64_t *shape, size_t ndim, pn_st_dtype t, int *ok)
{
    uint64_t n = pn_st_dtype_size(t);
    *ok = 1;
    for (size_t d = 0; d < ndim; d++) {
        if (shape[d] && n > (uint64_t)SIZE_MAX / shape[d]) {
            *ok = 0;
            return 0;
        }
        n *= shape[d];
    }
    return (size_t)n;
}

static int check_out(const pn_st_tensor *t, size_t n, pn_err *err)
{
    for (size_t i = 0; i < n; i++) {
        int ok;
        if (strcmp(t[i].name, "__metadata__") == 0 || t[i].ndim > PN_ST_MAX_DIMS ||
            shape_bytes(t[i].shape, t[i].ndim, t[i].dtype, &ok) != t[i].nbytes || !ok)
            return pn_fail(err, PN_ERR_RUNTIME, "safetensors writer: tensor '%s' has a reserved "
                           "name or a shape that does not match its %zu bytes (a bug)",
                           t[i].name, t[i].nbytes);
        for (size_t j = 0; j < i; j++)
            if (strcmp(t[i].name, t[j].name) == 0)
                return pn_fail(err, PN_ERR_RUNTIME, "safetensors writer: tensor '%s' given "
                               "twice (a bug)", t[i].name);
    }
    return PN_OK;
}

/* The JSON header of t and meta, padded with spaces to make 8 + its
 * length a multiple of 8. */
static void put_header(pn_buf *b, const pn_st_tensor *t, size_t n, const pn_st_meta *meta,
                       size_t n_meta)
{
    putc_(b, '{');
    if (n_meta) {
        puts_(b, "\"__metadata__\":{");
        for (size_t i = 0; i < n_meta; i++) {
            if (i)
                putc_(b, ',');
            put_json_str(b, meta[i].key);
            putc_(b, ':');
            put_json_str(b, meta[i].val);
        }
        putc_(b, '}');
    }
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (i || n_meta)
            putc_(b, ',');
        put_json_str(b, t[i].name);
        pn_buf_printf(b, ":{\"dtype\":\"%s\",\"shape\":[", pn_st_dtype_name(t[i].dtype));
        for (size_t d = 0; d < t[i].ndim; d++)
            pn_buf_printf(b, "%s%llu", d ? "," : "", (unsigned long long)t[i].shape[d]);
        pn_buf_printf(b, "],\"data_offsets\":[%zu,%zu]}", at, at + t[i].nbytes);
        at += t[i].nbytes;
    }
    putc_(b, '}');
    while (b->len % 8)
        putc_(b, ' ');
}

/* n bytes of elements of size es from host order to little-endian. */
static void put_le(uint8_t *o, const uint8_t *src, size_t n, size_t es)
{
    if (host_is_le() || es == 1) {
        memcpy(o, src, n);
        return;
    }
    for (size_t i = 0; i < n; i += es)
        for (size_t k = 0; k < es; k++)
            o[i + k] = src[i + es - 1 - k];
}

int pn_st_encode(const pn_st_tensor *t, size_t n, const pn_st_meta *meta, size_t n_meta,
                 uint8_t **out, size_t *out_len, pn_err *err)
{
    *out = NULL;
    *out_len = 0;
    int rc = check_out(t, n, err);
    if (rc != PN_OK)
        return rc;
    pn_buf h = {0};
    put_header(&h, t, n, meta, n_meta);
    size_t data = 0;
    for (size_t i = 0; i < n; i++)
        data += t[i].nbytes;
    uint8_t *buf = h.failed ? NULL : malloc(8 + h.len + data);
    if (!buf) {
        pn_buf_free(&h);
        return pn_fail(err, PN_ERR_RUNTIME, "out of memory writing a safetensors file");
    }
    for (int k = 0; k < 8; k++)
        buf[k] = (uint8_t)((uint64_t)h.len >> (8 * k));
    memcpy(buf + 8, h.data, h.len);
    uint8_t *o = buf + 8 + h.len;
    for (size_t i = 0; i < n; i++) {
        put_le(o, t[i].data, t[i].nbytes, pn_st_dtype_size(t[i].dtype));
        o += t[i].nbytes;
    }
    *out_len = 8 + h.len + data;
    *out = buf;
    pn_buf_free(&h);
    return PN_OK;
}

/* ---- reading ---- */

/* What every refusal of a malformed file adds: how to get a good one. */
#define REWRITE "(write it again with pairnet train --save or safetensors' save_file)"

static int bad_entry(const char *name, const char *tensor, const char *what, pn_err *err)
{
    return pn_fail(err, PN_ERR_DATA, "%s: tensor '%s': %s " REWRITE, name, tensor, what);
}

static int parse_dtype(const pn_json_val *v, pn_st_dtype *t)
{
    if (v->type != PN_JSON_STRING)
        return -1;
    for (size_t k = 0; k < PN_ST_N_DTYPES; k++)
        if (strcmp(v->str, dtypes[k].name) == 0) {
            *t = (pn_st_dtype)k;
            return 0;
        }
    return -1;
}

/* Array i of at most cap non-negative integers into out; their count, or
 * -1 if i is not such an array. */
static long u64_array(const pn_json_doc *d, size_t i, uint64_t *out, size_t cap)
{
    if (d->v[i].type != PN_JSON_ARRAY || d->v[i].n > cap)
        return -1;
    size_t c = pn_json_first(d, i);
    for (size_t k = 0; k < d->v[i].n; k++, c = d->v[c].next)
        if (pn_json_u64(&d->v[c], &out[k]) != 0)
            return -1;
    return (long)d->v[i].n;
}

/* One tensor's entry (member e of the header) into *t with its offsets. */
static int parse_entry(const pn_json_doc *d, size_t e, const char *name, pn_st_tensor *t,
                       uint64_t off[2], pn_err *err)
{
    const char *tn = d->v[e].key;
    t->name = tn;
    const size_t dt = pn_json_member(d, e, "dtype"), sh = pn_json_member(d, e, "shape"),
                 of = pn_json_member(d, e, "data_offsets");
    if (d->v[e].type != PN_JSON_OBJECT || dt == (size_t)-1 || sh == (size_t)-1 ||
        of == (size_t)-1 || d->v[e].n != 3)
        return bad_entry(name, tn, "an entry must be an object of exactly dtype, shape and "
                         "data_offsets", err);
    if (parse_dtype(&d->v[dt], &t->dtype) != 0)
        return bad_entry(name, tn, "unknown dtype (F32, I64, U8, ... as the format names them)",
                         err);
    const long nd = u64_array(d, sh, t->shape, PN_ST_MAX_DIMS);
    if (nd < 0)
        return bad_entry(name, tn, "shape must be a list of at most 8 non-negative integers",
                         err);
    t->ndim = (size_t)nd;
    if (u64_array(d, of, off, 2) != 2)
        return bad_entry(name, tn, "data_offsets must be two non-negative integers", err);
    if (off[0] > off[1])
        return bad_entry(name, tn, "data_offsets are reversed (begin after end)", err);
    int ok;
    const size_t bytes = shape_bytes(t->shape, t->ndim, t->dtype, &ok);
    if (!ok || bytes != off[1] - off[0])
        return bad_entry(name, tn, "its shape and dtype do not fill its data_offsets exactly",
                         err);
    t->nbytes = bytes;
    return PN_OK;
}

/* The __metadata__ member m: an object of strings. */
static int parse_meta(const pn_json_doc *d, size_t m, const char *name, pn_st_file *f,
                      pn_err *err)
{
    if (d->v[m].type != PN_JSON_OBJECT)
        return pn_fail(err, PN_ERR_DATA, "%s: __metadata__ must be an object of strings "
                       REWRITE, name);
    f->meta = malloc((d->v[m].n + 1) * sizeof *f->meta);
    if (!f->meta)
        return pn_fail(err, PN_ERR_RUNTIME, "%s: out of memory", name);
    size_t c = pn_json_first(d, m);
    for (size_t k = 0; k < d->v[m].n; k++, c = d->v[c].next) {
        if (d->v[c].type != PN_JSON_STRING)
            return pn_fail(err, PN_ERR_DATA, "%s: __metadata__ value of '%s' is not a string "
                           REWRITE, name, d->v[c].key);
        f->meta[f->n_meta++] = (pn_st_meta){d->v[c].key, d->v[c].str};
    }
    return PN_OK;
}

typedef struct placed {
    pn_st_tensor t;
    uint64_t off[2];
} placed;

static int cmp_placed(const void *a, const void *b)
{
    const placed *x = a, *y = b;
    if (x->off[0] != y->off[0])
        return x->off[0] < y->off[0] ? -1 : 1;
    return x->off[1] < y->off[1] ? -1 : x->off[1] > y->off[1];
}

/* The tensors, sorted by offset, must tile the data section exactly. */
static int tile(placed *p, size_t n, const pn_st_file *f, const char *name, pn_err *err)
{
    qsort(p, n, sizeof *p, cmp_placed);
    uint64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i].off[0] != at)
            return bad_entry(name, p[i].t.name, p[i].off[0] > at
                                 ? "leaves a hole before its data_offsets (the data must be "
                                   "contiguous from 0)"
                                 : "its data_offsets overlap another tensor's", err);
        at = p[i].off[1];
    }
    if (at != f->data_len)
        return pn_fail(err, PN_ERR_DATA, "%s: the tensors end at byte %llu of the data, the "
                       "file has %zu bytes of data (%s) " REWRITE, name, (unsigned long long)at,
                       f->data_len, at < f->data_len ? "trailing bytes" : "truncated");
    return PN_OK;
}

/* The header's members into f. */
static int parse_members(pn_st_file *f, const char *name, pn_err *err)
{
    const pn_json_doc *d = &f->doc;
    placed *p = malloc((d->v[0].n + 1) * sizeof *p);
    if (!p)
        return pn_fail(err, PN_ERR_RUNTIME, "%s: out of memory", name);
    int rc = PN_OK;
    size_t n = 0, c = pn_json_first(d, 0);
    for (size_t k = 0; k < d->v[0].n && rc == PN_OK; k++, c = d->v[c].next) {
        if (strcmp(d->v[c].key, "__metadata__") == 0)
            rc = parse_meta(d, c, name, f, err);
        else if ((rc = parse_entry(d, c, name, &p[n].t, p[n].off, err)) == PN_OK)
            n++;
    }
    if (rc == PN_OK)
        rc = tile(p, n, f, name, err);
    if (rc == PN_OK && !(f->t = malloc((n + 1) * sizeof *f->t)))
        rc = pn_fail(err, PN_ERR_RUNTIME, "%s: out of memory", name);
    for (size_t i = 0; rc == PN_OK && i < n; i++) {
        f->t[i] = p[i].t;
        f->t[i].data = f->data + p[i].off[0];
    }
    if (rc == PN_OK)
        f->n = n;
    free(p);
    return rc;
}

int pn_st_parse(const uint8_t *buf, size_t len, const char *name, pn_st_file *f, pn_err *err)
{
    memset(f, 0, sizeof *f);
    if (len < 8)
        return pn_fail(err, PN_ERR_DATA, "%s: %zu bytes, too short for a safetensors file (it "
                       "starts with an 8-byte header length) " REWRITE, name, len);
    uint64_t hn = 0;
    for (int k = 7; k >= 0; k--)
        hn = hn << 8 | buf[k];
    if (hn > PN_ST_MAX_HEADER || hn > len - 8)
        return pn_fail(err, PN_ERR_DATA, "%s: header length %llu is %s " REWRITE, name,
                       (unsigned long long)hn, hn > PN_ST_MAX_HEADER
                           ? "over the format's limit of 100 MB"
                           : "past the end of the file (truncated?)");
    if (hn < 2 || buf[8] != '{')
        return pn_fail(err, PN_ERR_DATA, "%s: the header does not start with '{' (not a "
                       "safetensors file?) " REWRITE, name);
    int rc = pn_json_parse((const char *)buf + 8, (size_t)hn, name, &f->doc, err);
    if (rc != PN_OK)
        return rc;
    f->data = buf + 8 + hn;
    f->data_len = len - 8 - (size_t)hn;
    if (f->doc.v[0].type != PN_JSON_OBJECT)
        rc = pn_fail(err, PN_ERR_DATA, "%s: the header is not one JSON object " REWRITE, name);
    else
        rc = parse_members(f, name, err);
    if (rc != PN_OK)
        pn_st_free(f);
    return rc;
}

void pn_st_free(pn_st_file *f)
{
    free(f->t);
    free(f->meta);
    pn_json_free(&f->doc);
    memset(f, 0, sizeof *f);
}

const pn_st_tensor *pn_st_find(const pn_st_file *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0)
            return &f->t[i];
    return NULL;
}

const char *pn_st_meta_get(const pn_st_file *f, const char *key)
{
    for (size_t i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta[i].key, key) == 0)
            return f->meta[i].val;
    return NULL;
}

static uint64_t get_le(const pn_st_tensor *t, size_t i, size_t es)
{
    const uint8_t *p = (const uint8_t *)t->data + i * es;
    uint64_t v = 0;
    for (size_t k = es; k-- > 0;)
        v = v << 8 | p[k];
    return v;
}

float pn_st_get_f32(const pn_st_tensor *t, size_t i)
{
    const uint32_t u = (uint32_t)get_le(t, i, 4);
    float x;
    memcpy(&x, &u, 4);
    return x;
}

int64_t pn_st_get_i64(const pn_st_tensor *t, size_t i)
{
    const uint64_t u = get_le(t, i, 8);
    int64_t x;
    memcpy(&x, &u, 8);
    return x;
}
