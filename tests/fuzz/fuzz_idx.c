/* libFuzzer harness for the MNIST input path: the bytes go to pn_gunzip
 * (capped at 1 MiB of output) and, raw and inflated, to the IDX parser with
 * each dimension count. Besides the sanitizers it checks the error contract:
 * a failure sets err.code to the returned code, writes a message and leaves
 * no output behind; a success stays within max_out.
 *
 * Built and run by `make fuzz-idx` (mk/fuzz.mk). */
#include <stdlib.h>
#include <string.h>

#include "pairnet/data/data.h"

#define FUZZ_MAX_OUT ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() is what libFuzzer reports as a crash, with the input saved. */
static void require(int cond)
{
    if (!cond)
        abort();
}

static void check_failure(int rc, const pn_err *err)
{
    require(rc == PN_ERR_DATA || rc == PN_ERR_RUNTIME);
    require(err->code == rc);
    require(err->msg[0] != '\0' && strlen(err->msg) < sizeof err->msg);
}

static void parse_idx(const uint8_t *data, size_t size, const char *name)
{
    for (size_t nd = 1; nd <= 3; nd++) {
        pn_idx idx;
        pn_err err = {0, ""};
        int rc = pn_idx_parse(data, size, nd, &idx, name, &err);
        if (rc == 0) {
            size_t items = 1;
            require(idx.ndims == nd && idx.data != NULL);
            for (size_t i = 0; i < nd; i++)
                items *= idx.dims[i];
            require(items == size - 4 - 4 * nd);
            pn_idx_free(&idx);
        } else {
            check_failure(rc, &err);
            require(idx.data == NULL);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    pn_err err = {0, ""};
    int rc = pn_gunzip(data, size, FUZZ_MAX_OUT, &out, &out_len, "fuzz.gz", &err);
    if (rc == 0) {
        require(out != NULL && out_len <= FUZZ_MAX_OUT);
        parse_idx(out, out_len, "fuzz.gz");
        free(out);
    } else {
        check_failure(rc, &err);
        require(out == NULL && out_len == 0);
    }
    parse_idx(data, size, "fuzz.idx");
    return 0;
}
