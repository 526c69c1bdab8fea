#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>

#include "pairnet/models/models.h"
#include "pairnet/app/cli.h"
#include "pairnet/train/train.h"
#include "pairnet/report/escape.h"
#include "pairnet/report/fig_network.h"

/* Model m's default training configuration (not its lr and batch size,
 * listed above): the study's settings, only those its preset changes for a
 * model that has one, then the settings beyond the study it turns on. */
static void print_defaults(const pn_model_info *m)
{
    pn_model_info plain = *m;
    plain.preset = NULL;
    pn_train_cfg c, spec;
    pn_train_cfg_default(&c, m);
    pn_train_cfg_default(&spec, &plain);
    char study[512], extras[512];
    pn_train_cfg_study_text(&c, m->preset ? &spec : NULL, 0, study, sizeof study);
    pn_train_cfg_extras(&c, extras, sizeof extras);
    printf("\n%s: %s\n", m->preset ? m->name : "the study's models", study);
    if (extras[0])
        printf("  and: %s\n", extras);
}

static int models_table(void)
{
    size_t n;
    const pn_model_info *m = pn_model_list(&n);
    printf("%-10s %10s %6s %5s  %s\n", "model", "parameters", "lr", "bs", "network");
    for (size_t i = 0; i < n; i++) {
        /* the network its defaults build; an ensemble trains K of them */
        pn_train_cfg c;
        pn_train_cfg_default(&c, &m[i]);
        pn_err err;
        pn_model_size size;
        if (pn_model_measure(&m[i], &c.mopts, &size, &err) != PN_OK) {
            fprintf(stderr, "pairnet models: %s\n", err.msg);
            return err.code;
        }
        char params[32];
        if (c.ensemble > 1)
            snprintf(params, sizeof params, "%zu x %zu", c.ensemble, size.params);
        else
            snprintf(params, sizeof params, "%zu", size.params);
        printf("%-10s %10s %6g %5zu  %s\n", m[i].name, params, m[i].lr, m[i].bs, m[i].about);
    }
    /* the study's models share the specification's defaults: print them once */
    for (size_t i = 0; i < n; i++)
        if (i == 0 || m[i].preset)
            print_defaults(&m[i]);
    return 0;
}

/* --svg DIR: every model's network figure, DIR/net-<model>.svg (DIR is
 * made if missing; its parent must exist). */
static int models_svg(const char *dir, pn_err *err)
{
    size_t n;
    const pn_model_info *m = pn_model_list(&n);
    struct stat st;
    char shown[4096];
    if ((mkdir(dir, 0777) != 0 && errno != EEXIST) || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return pn_fail(err, PN_ERR_USAGE, "--svg %s: not a directory and cannot be made (give a "
                       "folder whose parent exists)", pn_term_str(shown, sizeof shown, dir));
    int rc = PN_OK;
    for (size_t i = 0; rc == PN_OK && i < n; i++)
        rc = pn_write_network_svg(dir, &m[i], err);
    if (rc == PN_OK) {
        printf("wrote %zu network figures to %s (net-<model>.svg)\n", n,
               pn_term_str(shown, sizeof shown, dir));
    }
    return rc;
}

/* The registry for scripts (grid.sh, table1.sh, same-bits.sh), so that no
 * script spells the list of models or the study's figures: --names every
 * model, --study the study's five (bench's default list), one a line;
 * --tsv a header, then name, study lr, study bs and the study's Table II
 * test accuracy (%, empty beyond the study), tab-separated. */
static void models_list(const pn_cli_opts *o)
{
    size_t n;
    const pn_model_info *m = pn_model_list(&n);
    if (o->tsv)
        printf("model\tlr\tbs\tstudy_test\n");
    const size_t shown = o->study ? pn_study_model_count() : n;
    for (size_t i = 0; i < shown; i++) {
        if (!o->tsv) {
            printf("%s\n", m[i].name);
            continue;
        }
        printf("%s\t%g\t%zu\t", m[i].name, m[i].lr, m[i].bs);
        if (!isnan(m[i].study_test))
            printf("%g", m[i].study_test);
        printf("\n");
    }
}

int pn_cmd_models(const pn_cli_opts *o, pn_err *err)
{
    if (o->svg)
        return models_svg(o->svg, err);
    if (o->names || o->study || o->tsv) {
        models_list(o);
        return PN_OK;
    }
    return models_table();
}
