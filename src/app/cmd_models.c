#include <stdio.h>

#include "pairnet/models/models.h"
#include "pairnet/app/cli.h"
#include "pairnet/train/train.h"

/* Model m's default training configuration: the study's options in one
 * line, then the settings beyond the study it turns on. */
static void print_defaults(const pn_model_info *m, const char *who)
{
    pn_train_cfg c;
    pn_train_cfg_default(&c, m);
    char aug[64] = " none";
    if (c.aug_swap || c.aug_repair || c.aug_shift)
        snprintf(aug, sizeof aug, "%s%s shift %zu", c.aug_swap ? " swap," : "",
                 c.aug_repair ? " re-pair," : "", c.aug_shift);
    printf("\n%s: %s, %zu epochs (lr x%g every %zu), weight decay %g, dropout %g, "
           "aux weight %g; augmentation:%s\n", who, pn_optimizer_name(c.optimizer), c.epochs,
           c.lr_gamma, c.lr_step, c.weight_decay, (double)c.mopts.dropout,
           (double)c.mopts.aux_weight, aug);
    char extras[512];
    pn_train_cfg_extras(&c, extras, sizeof extras);
    if (extras[0])
        printf("  and: %s\n", extras);
}

int pn_cmd_models(void)
{
    size_t n;
    const pn_model_info *m = pn_model_list(&n);
    printf("%-10s %10s %6s %5s  %s\n", "model", "parameters", "lr", "bs", "network");
    for (size_t i = 0; i < n; i++) {
        pn_model_opts o = {.aux_weight = 1.0f};
        pn_err err;
        pn_model_size size;
        if (pn_model_measure(&m[i], &o, &size, &err) != PN_OK) {
            fprintf(stderr, "pairnet models: %s\n", err.msg);
            return err.code;
        }
        printf("%-10s %10zu %6g %5zu  %s\n", m[i].name, size.params, m[i].lr, m[i].bs,
               m[i].about);
    }
    /* the study's models share the specification's defaults: print them once */
    for (size_t i = 0; i < n; i++)
        if (i == 0 || m[i].preset)
            print_defaults(&m[i], m[i].preset ? m[i].name : "the study's models");
    return 0;
}
