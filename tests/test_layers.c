/* The layer rule (scripts/check-layers.sh): no #include runs up a layer.
 * Run on the tree itself, and on a small tree made here with one include
 * that runs up, which it must refuse. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void layers_of_this_tree(void)
{
    int rc = system("scripts/check-layers.sh . >&2");
    CHECK_MSG(rc == 0, "scripts/check-layers.sh found includes that run up a layer (above)");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK_MSG(f != NULL, "cannot write %s", path);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void layers_check_refuses_an_upward_include(void)
{
    char root[300], path[400], cmd[800];
    snprintf(root, sizeof root, "%s/layers", t_tmp_dir());
    const char *dirs[] = {"", "/src", "/src/ops", "/src/app", "/include", "/include/pairnet",
                          "/include/pairnet/ops", "/include/pairnet/app"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, sizeof path, "%s%s", root, dirs[i]);
        mkdir(path, 0755);
    }
    snprintf(path, sizeof path, "%s/src/app/main.c", root);
    write_file(path, "#include \"pairnet/ops/kernels.h\"\n");
    snprintf(path, sizeof path, "%s/include/pairnet/ops/kernels.h", root);
    write_file(path, "/* nothing */\n");
    snprintf(cmd, sizeof cmd, "scripts/check-layers.sh '%s' >/dev/null", root);
    CHECK_MSG(system(cmd) == 0, "a downward include was refused");
    snprintf(path, sizeof path, "%s/src/ops/gemm.c", root);
    write_file(path, "#include \"pairnet/app/run.h\"\n");
    snprintf(cmd, sizeof cmd, "scripts/check-layers.sh '%s' | grep -q 'src/ops/gemm.c: includes pairnet/app/'", root);
    CHECK_MSG(system(cmd) == 0, "an include from ops up to app was not reported");
    snprintf(cmd, sizeof cmd, "scripts/check-layers.sh '%s' >/dev/null", root);
    CHECK_MSG(system(cmd) != 0, "the check exits 0 on an upward include");
}

void suite_layers(void)
{
    RUN(layers_of_this_tree);
    RUN(layers_check_refuses_an_upward_include);
}
