/* The JSON beside the tables (docs/formats.md): table2.json read back by
 * python3 (tests/check_json.py) must give table2.csv's figures, runs.csv's
 * rounds and table2.md's effects; a hostile folder name reads back as
 * itself; table1.json gives table1.csv's cells. python3 is the independent
 * parser: without it these tests are skipped, never passed. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/base/buf.h"
#include "pairnet/ops/kset.h"
#include "pairnet/report/json.h"
#include "pairnet/report/provenance.h"

static const char *bin(void)
{
    const char *b = getenv("PAIRNET_BIN");
    return b && *b ? b : "./pairnet";
}

static int have_python(void)
{
    if (t_sh("command -v python3 >/dev/null 2>&1") == 0)
        return 1;
    t_skip("python3 is not installed: nothing independent to parse the JSON with");
    return 0;
}

/* A bench of mlp and cnn, rounds rounds of one epoch, into the folder
 * $PN_OUT names. */
static int bench_rounds(const char *out, int rounds)
{
    char cmd[4096];
    setenv("PN_OUT", out, 1);
    snprintf(cmd, sizeof cmd, "%s bench --models mlp,cnn --rounds %d --epochs 1 --data '%s' "
             "--out \"$PN_OUT\" >/dev/null 2>&1", bin(), rounds, t_data_dir());
    return t_sh(cmd);
}

static int small_bench(const char *out) { return bench_rounds(out, 3); }

static void table2_json_equals_the_tables(void)
{
    if (!t_data_dir() || !have_python())
        return;
    char out[1024], cmd[4096];
    snprintf(out, sizeof out, "%s/json-bench", t_tmp_dir());
    CHECK(small_bench(out) == 0);
    snprintf(cmd, sizeof cmd, "python3 tests/check_json.py table2 '%s' >/dev/null", out);
    CHECK_MSG(t_sh(cmd) == 0, "table2.json differs from the tables: python3 tests/check_json.py "
              "table2 %s", out);
    /* one round: its standard deviations are null, as the CSV's are empty */
    snprintf(out, sizeof out, "%s/json-one-round", t_tmp_dir());
    CHECK(bench_rounds(out, 1) == 0);
    snprintf(cmd, sizeof cmd, "python3 tests/check_json.py table2 '%s' >/dev/null && "
             "python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))[\"models\"]; "
             "sys.exit(0 if all(x[\"summary\"][\"test_std\"] is None and "
             "x[\"summary\"][\"train_std\"] is None for x in m) else 1)' '%s/table2.json'",
             out, out);
    CHECK_MSG(t_sh(cmd) == 0, "one round's table2.json has a std that is not null: %s", out);
}

/* Quotes, a backslash, a newline, control bytes and a byte that is no
 * UTF-8 in --out: the JSON still parses, and the command in its provenance
 * holds the name's printable parts as they were. */
static void table2_json_escapes_a_hostile_name(void)
{
    if (!t_data_dir() || !have_python())
        return;
    char out[1024], cmd[4096];
    snprintf(out, sizeof out, "%s/we\"ird\\na\nme\x01\x1f\x7f'\xff", t_tmp_dir());
    CHECK(small_bench(out) == 0);
    snprintf(cmd, sizeof cmd, "python3 -c 'import json,os,sys; d=os.environ[\"PN_OUT\"]; "
             "j=json.load(open(d.encode(\"utf-8\",\"surrogateescape\")+b\"/table2.json\", "
             "encoding=\"utf-8\")); c=j[\"provenance\"][\"command\"]; "
             "sys.exit(0 if \"we\\\"ird\\\\na\" in c and j[\"models\"][1][\"model\"]==\"cnn\" "
             "else 1)' 2>&1");
    CHECK_MSG(t_sh(cmd) == 0, "table2.json under a hostile --out is no JSON or lost the name");
}

/* The writer's own escaping, without a bench: every control byte as an
 * escape, quotes and backslashes escaped, NaN as null. */
static void json_writer_escapes_every_control_byte(void)
{
    pn_buf b = {0};
    pn_json j = pn_json_on(&b);
    pn_json_open(&j, '{');
    pn_json_key(&j, "a\"b");
    pn_json_str(&j, "q\"\\\n\t\x01\x1f\x7f\xff");
    pn_json_key(&j, "nan");
    pn_json_num(&j, 0.0 / 0.0);
    pn_json_key(&j, "f");
    pn_json_float(&j, 0.1f);
    pn_json_close(&j);
    CHECK(b.data && !b.failed);
    CHECK_MSG(b.data && strcmp(b.data, "{\n  \"a\\\"b\": \"q\\\"\\\\\\n\\t\\u0001\\u001f\\u007f"
                                       "\\ufffd\",\n  \"nan\": null,\n  \"f\": 0.1\n}\n") == 0,
              "%s", b.data ? b.data : "(nothing)");
    pn_buf_free(&b);
}

static void table1_json_equals_its_csv(void)
{
    if (!have_python())
        return;
    char cmd[2048];
    const char *t = t_tmp_dir();
    snprintf(cmd, sizeof cmd, "%s table1 --validation tests/table1/validation --test "
             "tests/table1/test --out '%s/t1json' --command 'make table1' >/dev/null 2>&1",
             bin(), t);
    CHECK(t_sh(cmd) == 0);
    snprintf(cmd, sizeof cmd, "python3 tests/check_json.py table1 '%s/t1json' >/dev/null", t);
    CHECK_MSG(t_sh(cmd) == 0, "table1.json differs from table1.csv: python3 "
              "tests/check_json.py table1 %s/t1json", t);
}

/* The compiler this test was built with, as the binary's provenance must
 * name it (the same make builds both): "gcc <__VERSION__>" or "clang
 * X.Y.Z (<__VERSION__>)". */
static void provenance_names_this_compiler(void)
{
    const char *c = pn_compiler();
#if defined(__clang__)
    CHECK_MSG(strncmp(c, "clang ", 6) == 0, "compiler '%s' is not clang", c);
#elif defined(__GNUC__)
    CHECK_MSG(strncmp(c, "gcc ", 4) == 0, "compiler '%s' is not gcc", c);
#endif
#if defined(__VERSION__)
    CHECK_MSG(strstr(c, __VERSION__) != NULL, "compiler '%s' lacks '%s'", c, __VERSION__);
#endif
    CHECK_MSG(strstr(pn_build_flags(), "-ffp-contract=off") != NULL, "flags '%s'",
              pn_build_flags());
}

/* table2's and table1's provenance, Markdown and JSON: the compiler, the
 * flags, the kernel set, the CPU's vendor, family and model as
 * /proc/cpuinfo gives them, and the MNIST files with the digests
 * scripts/get-mnist.sh checks (tests/check_json.py reads those itself). */
static void provenance_names_compiler_kernels_cpu_and_data(void)
{
    if (!t_data_dir() || !have_python())
        return;
    char out[1024], cmd[4096];
    snprintf(out, sizeof out, "%s/json-prov", t_tmp_dir());
    CHECK(small_bench(out) == 0);
    setenv("PN_COMPILER", pn_compiler(), 1);
    setenv("PN_KSET", pn_kset_name(), 1);
    snprintf(cmd, sizeof cmd, "python3 tests/check_json.py provenance '%s/table2.json' "
             "'%s/table2.md' \"$PN_COMPILER\" \"$PN_KSET\"", out, out);
    CHECK_MSG(t_sh(cmd) == 0, "table2's provenance is wrong (above)");
    snprintf(cmd, sizeof cmd, "PAIRNET_DATA='%s' %s table1 --validation tests/table1/validation "
             "--test tests/table1/test --out '%s/t1' >/dev/null 2>&1", t_data_dir(), bin(), out);
    CHECK(t_sh(cmd) == 0);
    snprintf(cmd, sizeof cmd, "python3 tests/check_json.py provenance '%s/t1/table1.json' "
             "'%s/t1/table1.md' \"$PN_COMPILER\" \"$PN_KSET\"", out, out);
    CHECK_MSG(t_sh(cmd) == 0, "table1's provenance is wrong (above)");
}

/* What nobody filled in is said to be unknown, never left out or made up:
 * "unknown" in the Markdown, null or [] in the JSON. */
static void provenance_says_unknown(void)
{
    pn_run_info info;
    memset(&info, 0, sizeof info);
    snprintf(info.cpu, sizeof info.cpu, "unknown");
    pn_buf md = {0}, js = {0};
    pn_provenance_md(&md, &info);
    pn_json j = pn_json_on(&js);
    pn_provenance_json(&j, &info);
    CHECK(md.data && js.data);
    if (!md.data || !js.data)
        return;
    CHECK_MSG(strstr(md.data, "\n- machine: unknown\n") &&
                  strstr(md.data, "\n- compiler: unknown\n") &&
                  strstr(md.data, "\n- flags: unknown\n") &&
                  strstr(md.data, "\n- kernel set: unknown\n") &&
                  strstr(md.data, "\n- MNIST files (md5): unknown\n"), "%s", md.data);
    CHECK_MSG(strstr(js.data, "\"vendor\": null") && strstr(js.data, "\"family\": null") &&
                  strstr(js.data, "\"name\": null") && strstr(js.data, "\"compiler\": null") &&
                  strstr(js.data, "\"kernel_set\": null") && strstr(js.data, "\"mnist\": []"),
              "%s", js.data);
    pn_buf_free(&md);
    pn_buf_free(&js);
}

void suite_json(void)
{
    RUN(json_writer_escapes_every_control_byte);
    RUN(table2_json_equals_the_tables);
    RUN(table2_json_escapes_a_hostile_name);
    RUN(table1_json_equals_its_csv);
    RUN(provenance_names_this_compiler);
    RUN(provenance_says_unknown);
    RUN(provenance_names_compiler_kernels_cpu_and_data);
}
