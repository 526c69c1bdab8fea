/* A small strict JSON reader (RFC 8259) for headers of files pairnet loads
 * (src/base/json_read.c): the whole text must be one value, with nothing but
 * whitespace around it; strings must be valid UTF-8 without raw control
 * characters and their escapes valid (a lone surrogate is refused); numbers
 * follow the grammar exactly (no leading zeros, no "+", no NaN); an object
 * may not hold a key twice; nesting is limited to PN_JSON_MAX_DEPTH. It
 * parses into one array of values in document order, so a reader walks it
 * with indexes and frees it with one call. */
#ifndef PAIRNET_JSON_READ_H
#define PAIRNET_JSON_READ_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"

#define PN_JSON_MAX_DEPTH 32

typedef enum pn_json_type {
    PN_JSON_NULL,
    PN_JSON_FALSE,
    PN_JSON_TRUE,
    PN_JSON_NUMBER,
    PN_JSON_STRING,
    PN_JSON_ARRAY,
    PN_JSON_OBJECT
} pn_json_type;

/* One value. Its children (array elements, object members) follow it in the
 * array; next skips the whole subtree. */
typedef struct pn_json_val {
    pn_json_type type;
    const char *key; /* a member of an object: its key (decoded), else NULL */
    const char *str; /* a string: decoded, NUL-terminated; a number: its text */
    size_t len;      /* bytes of str (a string may hold "\u0000") */
    size_t n;        /* an array or object: how many children */
    size_t next;     /* index of the value after this one's subtree */
} pn_json_val;

typedef struct pn_json_doc {
    pn_json_val *v; /* v[0] is the document's value */
    size_t n;
    char *text;     /* decoded strings and number texts */
} pn_json_doc;

/* Parses text[0..len). name says whose text it is in messages; a refusal is
 * PN_ERR_DATA with a one-line message naming the byte offset and the
 * problem (PN_ERR_RUNTIME when memory runs out) and leaves doc empty. */
int pn_json_parse(const char *text, size_t len, const char *name, pn_json_doc *doc,
                  pn_err *err);
void pn_json_free(pn_json_doc *doc);

/* The first child of value i (i + 1); valid only when v[i].n > 0. */
size_t pn_json_first(const pn_json_doc *doc, size_t i);
/* The member of object i with this key, or (size_t)-1. */
size_t pn_json_member(const pn_json_doc *doc, size_t i, const char *key);
/* A number that is a non-negative integer in plain digits (no sign,
 * fraction or exponent) and fits 64 bits: 0 and *out; else -1. */
int pn_json_u64(const pn_json_val *v, uint64_t *out);

#endif
