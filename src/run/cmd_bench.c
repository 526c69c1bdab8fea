#include "pairnet/run.h"

int pn_cmd_bench(const pn_cli_opts *o, pn_err *err)
{
    (void)o;
    return pn_fail(err, PN_ERR_RUNTIME, "bench is not implemented yet");
}
