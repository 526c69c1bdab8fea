/* Strict parsing of command-line values: the whole string must be a number,
 * finite, without overflow, inside [min, max]. Each returns 0 or
 * PN_ERR_USAGE with a message naming the option and the accepted range. */
#ifndef PAIRNET_PARSE_H
#define PAIRNET_PARSE_H

#include <stdint.h>

#include "pairnet/base/error.h"

int pn_parse_double(const char *opt, const char *s, double min, double max, int min_open,
                    double *out, pn_err *err);
int pn_parse_size(const char *opt, const char *s, size_t min, size_t max, size_t *out,
                  pn_err *err);
int pn_parse_u64(const char *opt, const char *s, uint64_t *out, pn_err *err);

#endif
