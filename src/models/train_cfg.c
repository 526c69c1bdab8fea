/* The table of training options as data (pn_train_opts), and what every
 * user of an option needs from its row: its value read and written through
 * the row's offset, parsed from the command line, shown as text; the
 * specification's defaults; the run summary of what goes beyond the study. */
#include "pairnet/models/train_cfg.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pairnet/base/parse.h"

/* a choice is stored as an int: pn_optimizer must be one */
_Static_assert(sizeof(pn_optimizer) == sizeof(int), "pn_optimizer is stored as an int");

static const char *optimizer_name(int v)
{
    return v >= PN_OPT_SGD && v <= PN_OPT_ADAMW ? pn_optimizer_name((pn_optimizer)v) : NULL;
}

static const char *eval_name(int v) { return v ? "epoch" : "final"; }

static const char *head_name(int v) { return v == 0 ? "learned" : v == 1 ? "prob" : NULL; }

const char *pn_decide_name(int d)
{
    return d == PN_DECIDE_HEAD ? "head" : d == PN_DECIDE_ARGMAX ? "argmax"
         : d == PN_DECIDE_PROB ? "prob" : NULL;
}

const pn_train_opt pn_train_opts[PN_N_TOPTS] = {
#define PN_TOPT_ROW_(ID, FIELD, KIND, CLI, META, MIN, MAX, OPEN, DFLT, ZERO, NEEDS, KEY,   \
                     GROUP, NAMES, SUMMARY, HELP)                                          \
    [PN_TOPT_##ID] = {PN_TOPT_##KIND, offsetof(pn_train_cfg, FIELD), CLI, META, MIN, MAX,  \
                      OPEN, DFLT, ZERO, PN_TOPT_##NEEDS, KEY, PN_TOPT_##GROUP, NAMES,      \
                      SUMMARY, HELP},
    PN_TRAIN_OPTIONS(PN_TOPT_ROW_)
#undef PN_TOPT_ROW_
};

double pn_topt_get(const pn_train_cfg *c, pn_topt_id id)
{
    const pn_train_opt *d = &pn_train_opts[id];
    const char *p = (const char *)c + d->off;
    double dv;
    float fv;
    size_t zv;
    int iv;
    switch (d->kind) {
    case PN_TOPT_D: memcpy(&dv, p, sizeof dv); return dv;
    case PN_TOPT_F: memcpy(&fv, p, sizeof fv); return (double)fv;
    case PN_TOPT_Z: memcpy(&zv, p, sizeof zv); return (double)zv;
    case PN_TOPT_B:
    case PN_TOPT_C: memcpy(&iv, p, sizeof iv); return (double)iv;
    }
    return NAN;
}

void pn_topt_set(pn_train_cfg *c, pn_topt_id id, double v)
{
    const pn_train_opt *d = &pn_train_opts[id];
    char *p = (char *)c + d->off;
    const float fv = (float)v;
    const size_t zv = (size_t)v;
    const int iv = (int)v;
    switch (d->kind) {
    case PN_TOPT_D: memcpy(p, &v, sizeof v); break;
    case PN_TOPT_F: memcpy(p, &fv, sizeof fv); break;
    case PN_TOPT_Z: memcpy(p, &zv, sizeof zv); break;
    case PN_TOPT_B:
    case PN_TOPT_C: memcpy(p, &iv, sizeof iv); break;
    }
}

void pn_topt_copy(pn_train_cfg *c, const pn_train_cfg *from, pn_topt_mask mask)
{
    for (int id = 0; id < PN_N_TOPTS; id++)
        if (mask & PN_TOPT_BIT(id))
            pn_topt_set(c, (pn_topt_id)id, pn_topt_get(from, (pn_topt_id)id));
}

void pn_topt_text(const pn_train_cfg *c, pn_topt_id id, char *out, size_t cap)
{
    const pn_train_opt *d = &pn_train_opts[id];
    double v = pn_topt_get(c, id);
    if (v == 0.0 && d->zero != 0.0)
        v = d->zero;
    if (d->kind == PN_TOPT_C)
        snprintf(out, cap, "%s", d->names((int)v) ? d->names((int)v) : "?");
    else if (d->kind == PN_TOPT_B) /* as the command line's flag says it */
        snprintf(out, cap, "%s", (v != 0.0) != ((d->group & PN_TOPT_NEG) != 0) ? "on" : "off");
    else if (d->kind == PN_TOPT_Z)
        snprintf(out, cap, "%zu", (size_t)v);
    else
        snprintf(out, cap, "%g", v);
}

/* A choice by name: "--optimizer: unknown 'x' (sgd, adam, adamw)". */
static int parse_choice(pn_train_cfg *c, pn_topt_id id, const char *v, pn_err *err)
{
    const pn_train_opt *d = &pn_train_opts[id];
    char all[128] = "";
    for (int k = (int)d->min, len = 0; k <= (int)d->max && d->names(k); k++) {
        if (strcmp(v, d->names(k)) == 0) {
            pn_topt_set(c, id, k);
            return PN_OK;
        }
        len += snprintf(all + len, sizeof all - (size_t)len, "%s%s", len ? ", " : "",
                        d->names(k));
    }
    return pn_fail(err, PN_ERR_USAGE, "%s: unknown '%s' (%s)", d->cli, v, all);
}

int pn_topt_parse(pn_train_cfg *c, pn_topt_id id, const char *v, pn_err *err)
{
    const pn_train_opt *d = &pn_train_opts[id];
    if (d->kind == PN_TOPT_C)
        return parse_choice(c, id, v, err);
    if (d->kind == PN_TOPT_Z) {
        size_t x;
        int rc = pn_parse_size(d->cli, v, (size_t)d->min, (size_t)d->max, &x, err);
        if (rc == PN_OK)
            pn_topt_set(c, id, (double)x);
        return rc;
    }
    /* any finite number, then the range with its open ends as they are */
    double x;
    int rc = pn_parse_double(d->cli, v, -DBL_MAX, DBL_MAX, 0, &x, err);
    if (rc == PN_OK && (x < d->min || x > d->max || (x == d->min && (d->open & 1)) ||
                        (x == d->max && (d->open & 2))))
        rc = pn_fail(err, PN_ERR_USAGE, "%s: %s is out of range, expected %s%g, %g%s", d->cli, v,
                     d->open & 1 ? "(" : "[", d->min, d->max, d->open & 2 ? ")" : "]");
    /* 0.99999999 is below 1 as a double but 1 as a float */
    if (rc == PN_OK && d->kind == PN_TOPT_F && (d->open & 2) && !((float)x < (float)d->max))
        rc = pn_fail(err, PN_ERR_USAGE, "%s %.9g rounds to %g as a float, out of [%g, %g); use "
                     "a value below %.9g", d->cli, x, d->max, d->min, d->max,
                     (double)nextafterf((float)d->max, 0.0f));
    if (rc == PN_OK)
        pn_topt_set(c, id, x);
    return rc;
}

int pn_topt_on(const pn_train_cfg *c, pn_topt_id id)
{
    const pn_train_opt *d = &pn_train_opts[id];
    if (d->needs != PN_TOPT_NONE && !pn_topt_on(c, d->needs))
        return 0;
    const double v = pn_topt_get(c, id);
    /* 0 where 0 stands for the default (tta, ensemble, width) is off too */
    return v != d->dflt && !(v == 0.0 && d->zero == d->dflt && d->zero != 0.0);
}

void pn_train_cfg_default(pn_train_cfg *c, const pn_model_info *m)
{
    memset(c, 0, sizeof *c);
    for (int id = 0; id < PN_N_TOPTS; id++)
        pn_topt_set(c, (pn_topt_id)id, pn_train_opts[id].dflt);
    c->model = m;
    c->lr = m->lr;
    c->bs = m->bs;
    if (m->preset)
        m->preset(c);
}

/* Row id's SUMMARY with its value for "%s", after ", " unless first; a
 * value of 1 takes the singular ("1 epoch", "every 1 epoch", "1 view"):
 * the plural s that ends the word after it is left out. */
static size_t say(const pn_train_cfg *c, pn_topt_id id, char *out, size_t n, size_t cap)
{
    const char *fmt = pn_train_opts[id].summary, *at = strstr(fmt, "%s");
    char v[64];
    pn_topt_text(c, id, v, sizeof v);
    const char *rest = at ? at + 2 : "";
    size_t word = strcspn(rest + (rest[0] == ' '), " ,") + (rest[0] == ' ');
    int singular = at && !strcmp(v, "1") && word > 2 && rest[word - 1] == 's';
    const int k = snprintf(out + n, cap - n, "%s%.*s%s%.*s%s", n ? ", " : "",
                           at ? (int)(at - fmt) : (int)strlen(fmt), fmt, at ? v : "",
                           (int)(singular ? word - 1 : word), rest, rest + word);
    return n + (k > 0 ? (size_t)k : 0);
}

/* Whether the summary of c names row id (it has a summary; a flag is on; an
 * option beyond the study acts), given base (NULL, or only what differs) and
 * per_model (0: not lr, batch). */
static int said(const pn_train_cfg *c, pn_topt_id id, const pn_train_cfg *base, int per_model)
{
    const pn_train_opt *d = &pn_train_opts[id];
    if (!d->summary || (!per_model && (d->group & PN_TOPT_MODEL)))
        return 0;
    if (base && pn_topt_get(c, id) == pn_topt_get(base, id))
        return 0;
    if (d->group & (PN_TOPT_BEYOND | PN_TOPT_LATER))
        return pn_topt_on(c, id);
    return d->kind != PN_TOPT_B || (pn_topt_get(c, id) != 0.0) != ((d->group & PN_TOPT_NEG) != 0);
}

void pn_train_cfg_study_text(const pn_train_cfg *c, const pn_train_cfg *base, int per_model,
                             char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (int id = 0; id < PN_N_TOPTS && n < cap; id++)
        if (!(pn_train_opts[id].group & (PN_TOPT_BEYOND | PN_TOPT_LATER)) &&
            said(c, (pn_topt_id)id, base, per_model))
            n = say(c, (pn_topt_id)id, out, n, cap);
}

void pn_train_cfg_extras(const pn_train_cfg *c, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (int id = 0; id < PN_N_TOPTS && n < cap; id++)
        if ((pn_train_opts[id].group & (PN_TOPT_BEYOND | PN_TOPT_LATER)) &&
            said(c, (pn_topt_id)id, NULL, 1))
            n = say(c, (pn_topt_id)id, out, n, cap);
}
