/* A round's training configuration (pn_train_cfg) and its table of options,
 * PN_TRAIN_OPTIONS: one row per option says everything the rest derives
 * from it, so an option is written once. From the table come the
 * specification's defaults, the command line (name, metavar, range, help;
 * parsing into a pn_train_cfg plus a set-mask), the --help defaults (read
 * from every model's default configuration), the round store's key, the
 * run summary of the settings beyond the study and `pairnet models`.
 *
 * It lives with the models because a model's registry entry carries its
 * training recipe (the study's Table I lr and batch size, best's preset):
 * registry.c writes presets as assignments to a pn_train_cfg, so the type
 * must be visible there; train consumes it.
 *
 * Adding an option: a field in pn_train_cfg (or pn_model_opts), a row
 * below, and the code that uses the field. Rows added after the key format
 * froze are group LATER: they enter the store key only when not at their
 * default, so every existing key stays byte for byte what it was. */
#ifndef PAIRNET_TRAIN_CFG_H
#define PAIRNET_TRAIN_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "pairnet/base/error.h"
#include "pairnet/data/warp.h"
#include "pairnet/models/models.h"
#include "pairnet/ops/optim.h"

/* The protocol's pair count: this many train and as many test pairs. */
#define PN_PAIRS 1000
/* The largest batch size (the whole train set). */
#define PN_MAX_BATCH PN_PAIRS
/* The max views of --tta. */
#define PN_MAX_TTA 9

typedef struct pn_train_cfg {
    const pn_model_info *model;
    pn_model_opts mopts;
    double lr;
    size_t bs;
    size_t epochs;
    pn_optimizer optimizer;
    double momentum, weight_decay; /* momentum: SGD only */
    size_t lr_step;
    double lr_gamma;
    size_t n_pairs;  /* train pairs, and as many test pairs (PN_PAIRS) */
    int eval_epochs; /* 1: evaluate after every epoch; 0: only after the last */
    /* augmentation of the training pairs, drawn afresh every epoch */
    int aug_swap;     /* swap the two images of a pair with probability 1/2 */
    int aug_repair;   /* pair the 2n training digits anew */
    size_t aug_shift; /* move each image by up to this many pixels in x and y */
    /* Beyond the study; at their defaults the round is what it was without
     * them, number for number. */
    pn_warp_cfg warp; /* a random affine/elastic warp of every training image
                         (after the shift), from the augmentation stream */
    double ema;       /* evaluate an exponential moving average of the weights
                         and BN statistics with this decay (0: the weights) */
    size_t tta;       /* test-time augmentation: average the probabilities over
                         this many fixed views (0, 1: none; 5: centre and the
                         four 1-pixel shifts; 9: the 3x3 shifts) */
    size_t ensemble;  /* train this many networks (their own initialization,
                         order, augmentation, dropout) and average their
                         probabilities (0, 1: one); costs that many rounds */
    int decide;       /* pn_decide: the rule whose answers are the round's
                         train and test accuracies */
    int lr_cosine;    /* 1: lr0 (1 + cos(pi e / epochs)) / 2 in epoch e, not the
                         step decay */
} pn_train_cfg;

/* The options, in the order of the store key (and of --help). Columns:
 *   ID       PN_TOPT_<ID>, the option's index
 *   FIELD    its field of pn_train_cfg
 *   KIND     D double, F float (parsed as a double), Z size_t, B flag (int
 *            0/1), C choice (an int named by NAMES)
 *   CLI      --name, or NULL when the command line does not set it
 *   META     the value's name in --help (NULL for a flag)
 *   MIN MAX  the accepted range (C: 0 and the last choice);
 *   OPEN     1: MIN excluded, 2: MAX excluded
 *   DFLT     the specification's default (lr, bs: every model has its own)
 *   ZERO     what 0 stands for, as --help and the summary show it (or 0)
 *   NEEDS    the option that must be on for this one to act (or NONE)
 *   KEY      its name in the round store's key
 *   GROUP    STUDY: always in the key; BEYOND: in the key when any BEYOND
 *            option is on, and in the run summary when on; LATER: in the
 *            key and summary only when not at its default. STUDY_NEG: a
 *            study flag whose --name sets the field to 0; STUDY_MODEL: a
 *            study option whose default is the model's own (the registry's).
 *   NAMES    C (and a flag named in the key): int -> name
 *   SUMMARY  how the run summary says it ("%s": the value; a flag's only
 *            when on), or NULL
 *   HELP     --help's text (the default is appended from the models) */
#define PN_MAX_BATCH_TEXT PN_TOPT_STR_(PN_MAX_BATCH)
#define PN_TOPT_STR_(x) PN_TOPT_STR2_(x)
#define PN_TOPT_STR2_(x) #x
#define PN_TRAIN_OPTIONS(X)                                                                   \
    X(EPOCHS, epochs, Z, "--epochs", "N", 1, 100000, 0, 45, 0, NONE, "epochs", STUDY, NULL,  \
      "%s epochs", "epochs per round")                                                              \
    X(LR, lr, D, "--lr", "RATE", 0, 1000, 1, 0, 0, NONE, "lr", STUDY_MODEL, NULL, "lr %s",   \
      "learning rate in (0, 1000]")                                                          \
    X(BS, bs, Z, "--bs", "N", 1, PN_MAX_BATCH, 0, 0, 0, NONE, "bs", STUDY_MODEL, NULL,       \
      "batch %s", "batch size, 2.." PN_MAX_BATCH_TEXT)                                                   \
    X(OPTIMIZER, optimizer, C, "--optimizer", "NAME", 0, PN_OPT_ADAMW, 0, PN_OPT_SGD, 0,     \
      NONE, "opt", STUDY, optimizer_name, "%s", "sgd, adam or adamw")                        \
    X(MOMENTUM, momentum, D, "--momentum", "M", 0, 1, 2, 0, 0, NONE, "momentum", STUDY,      \
      NULL, "momentum %s", "SGD momentum in [0, 1)")                                                  \
    X(WEIGHT_DECAY, weight_decay, D, "--weight-decay", "WD", 0, 1, 0, 0, 0, NONE,            \
      "weight_decay", STUDY, NULL, "weight decay %s",                                        \
      "weight decay in [0, 1]: L2 for sgd and adam, decoupled for adamw")                    \
    X(LR_STEP, lr_step, Z, "--lr-step", "N", 0, 100000, 0, 15, 0, NONE, "lr_step", STUDY,    \
      NULL, "lr decay every %s epochs", "epochs between lr decays, 0 = none")                                      \
    X(LR_GAMMA, lr_gamma, D, "--lr-gamma", "G", 0, 1, 1, 0.5, 0, NONE, "lr_gamma", STUDY,    \
      NULL, "lr decay x%s", "lr decay factor in (0, 1]")                                               \
    X(AUX_WEIGHT, mopts.aux_weight, F, "--aux-weight", "W", 0, 1000, 0, 1, 0, NONE,          \
      "aux_weight", STUDY, NULL, "aux weight %s",                                            \
      "weight of the auxiliary digit losses, 0..1000")                                       \
    X(DROPOUT, mopts.dropout, F, "--dropout", "P", 0, 1, 2, 0, 0, NONE, "dropout", STUDY,    \
      NULL, "dropout %s", "drop probability in [0, 1) after the hidden FC layers")                   \
    X(AUG_SWAP, aug_swap, B, "--aug-swap", NULL, 0, 1, 0, 0, 0, NONE, "aug_swap", STUDY,     \
      NULL, "swap", "swap the two images of a pair at random each epoch")                      \
    X(AUG_REPAIR, aug_repair, B, "--aug-repair", NULL, 0, 1, 0, 0, 0, NONE, "aug_repair",    \
      STUDY, NULL, "re-pair", "pair the training digits anew each epoch")                         \
    X(AUG_SHIFT, aug_shift, Z, "--aug-shift", "PIXELS", 0, 4, 0, 0, 0, NONE, "aug_shift",    \
      STUDY, NULL, "shift %s px", "shift each image by up to PIXELS, 0..4")                           \
    X(EVAL_EPOCHS, eval_epochs, B, "--eval-final", NULL, 0, 1, 0, 1, 0, NONE, "eval",        \
      STUDY_NEG, eval_name, "test evaluated after the last epoch only",                      \
      "evaluate the test pairs only after the last epoch, not after every one")              \
    X(N_PAIRS, n_pairs, Z, NULL, NULL, 1, PN_PAIRS, 0, PN_PAIRS, 0, NONE, "pairs", STUDY,    \
      NULL, "%s pairs", "train pairs, and as many test pairs")                                     \
    X(ROTATE, warp.rotate, F, "--aug-rotate", "DEG", 0, 90, 0, 0, 0, NONE, "rotate", BEYOND, \
      NULL, "rotate %s deg", "warp: rotate each training image by up to DEG degrees")        \
    X(SCALE, warp.scale, F, "--aug-scale", "F", 0, 0.5, 0, 0, 0, NONE, "scale", BEYOND,      \
      NULL, "scale %s", "warp: scale each training image by 1 +- up to F")                   \
    X(SHEAR, warp.shear, F, "--aug-shear", "DEG", 0, 45, 0, 0, 0, NONE, "shear", BEYOND,     \
      NULL, "shear %s deg", "warp: shear each training image by up to DEG degrees")          \
    X(TRANSLATE, warp.translate, F, "--aug-translate", "PX", 0, 4, 0, 0, 0, NONE,            \
      "translate", BEYOND, NULL, "translate %s px",                                          \
      "warp: move each training image by up to PX pixels, sub-pixel")                        \
    X(ELASTIC, warp.elastic, F, "--aug-elastic", "ALPHA", 0, 100, 0, 0, 0, NONE, "elastic",  \
      BEYOND, NULL, "elastic alpha %s",                                                      \
      "warp: elastic distortion of strength ALPHA px, 0 = none (8 at 14 px ~ Simard's 34 "   \
      "at 28 px)")                                                                           \
    X(ELASTIC_SIGMA, warp.elastic_sigma, F, "--aug-elastic-sigma", "PX", 0, 14, 1, 0,        \
      PN_WARP_ELASTIC_SIGMA, ELASTIC, "elastic_sigma", BEYOND, NULL, "sigma %s",             \
      "warp: smoothing sigma of the elastic field in pixels")                                \
    X(EMA, ema, D, "--ema", "DECAY", 0, 1, 2, 0, 0, NONE, "ema", BEYOND, NULL,               \
      "weights averaged (ema %s)",                                                           \
      "evaluate a moving average of the weights with this decay in [0, 1), 0 = off")         \
    X(TTA, tta, Z, "--tta", "VIEWS", 1, PN_MAX_TTA, 0, 1, 1, NONE, "tta", BEYOND, NULL,      \
      "tta %s views",                                                                        \
      "test-time augmentation: average 1, 5 or 9 shifted views (as many evaluations)")       \
    X(ENSEMBLE, ensemble, Z, "--ensemble", "K", 1, 16, 0, 1, 1, NONE, "ensemble", BEYOND,    \
      NULL, "ensemble of %s",                                                                \
      "train K networks per round and average them (K times the cost)")                      \
    X(WIDTH, mopts.width, Z, "--width", "N", 1, 8, 0, 1, 1, NONE, "width", BEYOND, NULL,     \
      "width x%s", "digit towers with N times the channels and hidden units")                \
    X(HEAD, mopts.prob_head, C, "--head", "KIND", 0, 1, 0, 0, 0, NONE, "head", BEYOND,       \
      head_name, "head %s",                                                                  \
      "best's head: learned, or prob (P(d1<=d2) of the digit softmaxes, no weights)")        \
    X(DECIDE, decide, C, "--decide", "RULE", 0, PN_DECIDE_PROB, 0, PN_DECIDE_HEAD, 0, NONE,  \
      "decide", BEYOND, pn_decide_name, "decide %s",                                            \
      "answer a pair by: head, argmax (compare the digits) or prob (P(d1<=d2) >= 1/2)")      \
    X(LR_COSINE, lr_cosine, B, "--lr-cosine", NULL, 0, 1, 0, 0, 0, NONE, "lr_cosine",        \
      BEYOND, NULL, "cosine lr", "cosine learning-rate schedule instead of the step decay")   \
    X(LABEL_SMOOTHING, mopts.label_smoothing, F, "--label-smoothing", "EPS", 0, 1, 2, 0, 0,  \
      NONE, "label_smoothing", LATER, NULL, "label smoothing %s",                            \
      "every cross-entropy loss against (1 - EPS) one-hot + EPS/K over its K classes, EPS "  \
      "in [0, 1)")

typedef enum pn_topt_id {
#define PN_TOPT_ENUM_(ID, ...) PN_TOPT_##ID,
    PN_TRAIN_OPTIONS(PN_TOPT_ENUM_)
#undef PN_TOPT_ENUM_
    PN_N_TOPTS,
    PN_TOPT_NONE = PN_N_TOPTS
} pn_topt_id;

typedef enum pn_topt_kind {
    PN_TOPT_D, /* double */
    PN_TOPT_F, /* float */
    PN_TOPT_Z, /* size_t */
    PN_TOPT_B, /* flag: int 0 or 1 */
    PN_TOPT_C  /* choice: int named by names() */
} pn_topt_kind;

enum {
    PN_TOPT_STUDY = 0,
    PN_TOPT_BEYOND = 1,
    PN_TOPT_LATER = 2,
    PN_TOPT_NEG = 4,
    PN_TOPT_MODEL = 8,
    PN_TOPT_STUDY_NEG = PN_TOPT_STUDY | PN_TOPT_NEG,
    PN_TOPT_STUDY_MODEL = PN_TOPT_STUDY | PN_TOPT_MODEL
};

/* One row of the table, as data. */
typedef struct pn_train_opt {
    pn_topt_kind kind;
    size_t off; /* into pn_train_cfg */
    const char *cli, *metavar;
    double min, max;
    int open;
    double dflt, zero;
    pn_topt_id needs;
    const char *key;
    unsigned group;
    const char *(*names)(int v); /* NULL past the last choice */
    const char *summary, *help;
} pn_train_opt;

/* The rows, indexed by pn_topt_id. */
extern const pn_train_opt pn_train_opts[PN_N_TOPTS];

/* A set of options: bit PN_TOPT_<ID>. */
typedef uint64_t pn_topt_mask;
#define PN_TOPT_BIT(id) ((pn_topt_mask)1 << (id))

/* Option id of c as a double (a flag or choice: its int). */
double pn_topt_get(const pn_train_cfg *c, pn_topt_id id);
void pn_topt_set(pn_train_cfg *c, pn_topt_id id, double v);
/* Option id of c as --help and the summary show it ("0.01", "on", "adam";
 * 0 as what it stands for). */
void pn_topt_text(const pn_train_cfg *c, pn_topt_id id, char *out, size_t cap);
/* Parses the value text v of option id (its range, its names) into c. */
int pn_topt_parse(pn_train_cfg *c, pn_topt_id id, const char *v, pn_err *err);
/* 1 if option id acts in c: not at its default, and its NEEDS on. */
int pn_topt_on(const pn_train_cfg *c, pn_topt_id id);
/* Every option of `from` in mask copied into c. */
void pn_topt_copy(pn_train_cfg *c, const pn_train_cfg *from, pn_topt_mask mask);

/* The specification's defaults (the table's), for model m: its lr and
 * batch size, then its preset. */
void pn_train_cfg_default(pn_train_cfg *c, const pn_model_info *m);

/* The run summary, for run headers and `pairnet models`. The study's
 * settings as text ("45 epochs, lr 0.01, batch 50, sgd, ..."; a flag when
 * on); with base, only those that differ from base's; with per_model 0,
 * without those every model has its own (lr, batch). */
void pn_train_cfg_study_text(const pn_train_cfg *c, const pn_train_cfg *base, int per_model,
                             char *out, size_t cap);
/* The settings that go beyond the study (or were added after it) that cfg
 * turns on, as text ("rotate 12 deg, ensemble of 3, ..."; "" if none). */
void pn_train_cfg_extras(const pn_train_cfg *cfg, char *out, size_t cap);

/* "head", "argmax", "prob" (pn_decide); NULL for another value. */
const char *pn_decide_name(int d);

#endif
