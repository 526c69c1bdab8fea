/* A small JSON writer (src/report/json.c): objects, arrays, strings and
 * numbers appended to a pn_buf, indented two spaces a level, with the
 * commas and the escaping done here so no caller can get them wrong.
 * Strings are escaped per RFC 8259 (" \ and control characters; a byte
 * that is no UTF-8 becomes U+FFFD, so the output is always valid UTF-8);
 * a number that is NaN or infinite is written as null (JSON has neither).
 *
 *   pn_json j = pn_json_on(&buf);
 *   pn_json_open(&j, '{');
 *   pn_json_key(&j, "seeds");  pn_json_uint(&j, 15);
 *   pn_json_key(&j, "models"); pn_json_open(&j, '['); pn_json_str(&j, "cnn");
 *   pn_json_close(&j); pn_json_close(&j);   -- then buf holds the document
 */
#ifndef PAIRNET_JSON_H
#define PAIRNET_JSON_H

#include <stdint.h>

#include "pairnet/base/buf.h"

enum { PN_JSON_DEPTH = 16 };

typedef struct pn_json {
    pn_buf *b;
    int depth;
    char close[PN_JSON_DEPTH]; /* '}' or ']' of each open level */
    int count[PN_JSON_DEPTH];  /* values written at each level */
    int after_key;             /* a key was written: its value comes next */
} pn_json;

pn_json pn_json_on(pn_buf *b);
/* '{' or '['; a level past PN_JSON_DEPTH marks the buffer failed. */
void pn_json_open(pn_json *j, char kind);
/* Closes the innermost level; the document ends with a newline at level 0. */
void pn_json_close(pn_json *j);
/* The key of the next value, inside an object. */
void pn_json_key(pn_json *j, const char *key);
void pn_json_str(pn_json *j, const char *s);
void pn_json_num(pn_json *j, double x); /* the shortest form that reads back exactly */
/* A float in the fewest digits that read back to the same float: 0.1f is
 * 0.1, not the double 0.10000000149011612 it widens to. */
void pn_json_float(pn_json *j, float x);
void pn_json_uint(pn_json *j, uint64_t x);
void pn_json_bool(pn_json *j, int x);
void pn_json_null(pn_json *j);

/* s as the body of a JSON string (without its quotes). */
void pn_esc_json(pn_buf *b, const char *s);

#endif
