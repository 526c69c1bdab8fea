/* The safetensors container (src/base/safetensors.c), by the format's
 * specification: an 8-byte little-endian header length N, N bytes of JSON
 * (an object: each tensor's name -> {"dtype", "shape", "data_offsets"}, and
 * an optional "__metadata__" object of strings), then the tensors' bytes,
 * little-endian, C order. This file knows the container only; what the
 * tensors of a pairnet model are is src/train/model_safetensors.c.
 *
 * The writer pads the header with spaces to a multiple of 8 bytes and lays
 * the tensors out in the order given, contiguous. The reader enforces all
 * of the format and refuses, with one line: a header length over
 * PN_ST_MAX_HEADER or past the end of the file, a header that is not strict
 * JSON (json_read.h: duplicate keys included) or does not start with '{',
 * an entry with other or missing fields, an unknown dtype, a shape whose
 * byte size does not match its offsets, offsets reversed (begin > end),
 * overlapping, leaving a hole, not starting at 0, or not ending at the end
 * of the file (trailing bytes), and metadata that is not string -> string.
 * The entries may come in any order in the JSON (the specification's
 * writers sort them as they like); the offsets must tile the data. */
#ifndef PAIRNET_SAFETENSORS_H
#define PAIRNET_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"
#include "pairnet/base/json_read.h"

#define PN_ST_MAX_HEADER ((uint64_t)100 << 20) /* the specification's limit */
#define PN_ST_MAX_DIMS 8

/* The dtypes with a fixed byte size (the specification's; the 8-bit float
 * kinds are read as 1-byte values nobody here interprets). */
#define PN_ST_DTYPES(X) \
    X(BOOL, 1) X(U8, 1) X(I8, 1) X(F8_E5M2, 1) X(F8_E4M3, 1) X(I16, 2) X(U16, 2) X(F16, 2) \
    X(BF16, 2) X(I32, 4) X(U32, 4) X(F32, 4) X(F64, 8) X(I64, 8) X(U64, 8)

typedef enum pn_st_dtype {
#define PN_ST_ENUM_(name, bytes) PN_ST_##name,
    PN_ST_DTYPES(PN_ST_ENUM_)
#undef PN_ST_ENUM_
    PN_ST_N_DTYPES
} pn_st_dtype;

const char *pn_st_dtype_name(pn_st_dtype t);
size_t pn_st_dtype_size(pn_st_dtype t);

/* One tensor. For writing, data points to its values in host byte order
 * (the writer stores them little-endian); for reading, to its bytes in the
 * file (little-endian, possibly unaligned: read them with pn_st_get_*). */
typedef struct pn_st_tensor {
    const char *name;
    pn_st_dtype dtype;
    size_t ndim;
    uint64_t shape[PN_ST_MAX_DIMS];
    const void *data;
    size_t nbytes;
} pn_st_tensor;

/* A metadata entry (string -> string). */
typedef struct pn_st_meta {
    const char *key, *val;
} pn_st_meta;

/* The bytes of a file of tensors t[0..n) (in that order) and metadata
 * meta[0..n_meta) (none: no "__metadata__"), in a malloc'ed *out of
 * *out_len bytes. Refuses (PN_ERR_RUNTIME) names or values that the
 * format cannot hold: a tensor named "__metadata__", a name given twice,
 * nbytes that do not match the shape. */
int pn_st_encode(const pn_st_tensor *t, size_t n, const pn_st_meta *meta, size_t n_meta,
                 uint8_t **out, size_t *out_len, pn_err *err);

/* A parsed file: its tensors (in the order of their offsets) and metadata
 * (in header order), pointing into the buffer and the parsed header. */
typedef struct pn_st_file {
    pn_st_tensor *t;
    size_t n;
    pn_st_meta *meta;
    size_t n_meta;
    const uint8_t *data; /* the data section: every tensor's bytes */
    size_t data_len;
    pn_json_doc doc;
} pn_st_file;

/* Parses buf[0..len) (name for messages; buf must outlive f). PN_ERR_DATA
 * with one line naming the problem, PN_ERR_RUNTIME for memory; f is then
 * empty. */
int pn_st_parse(const uint8_t *buf, size_t len, const char *name, pn_st_file *f, pn_err *err);
void pn_st_free(pn_st_file *f);
/* The tensor named name, or NULL. */
const pn_st_tensor *pn_st_find(const pn_st_file *f, const char *name);
/* The metadata value of key, or NULL. */
const char *pn_st_meta_get(const pn_st_file *f, const char *key);

/* Element i of a tensor's little-endian bytes. */
float pn_st_get_f32(const pn_st_tensor *t, size_t i);
int64_t pn_st_get_i64(const pn_st_tensor *t, size_t i);

#endif
