/* Every option of the command line, once: name, metavar, kind, where it is
 * stored, its range, the commands that take it, its help and where --help
 * finds its default. */
#include "opttable.h"

#include "pairnet/train/train.h"

#define OFF(f) offsetof(pn_cli_opts, f)
#define TB (C_TRAIN | C_BENCH)
const optdef pn_opts[] = {
    {"--model", "NAME", K_MODEL, OFF(models), 0, 0, 0, C_TRAIN, "the model to train (required), one of:", D_MODEL},
    {"--models", "LIST", K_MODELS, OFF(models), 0, 0, 0, C_BENCH, "comma-separated models", D_MODELS},
    {"--lr", "RATE", K_DOUBLE, OFF(lr), 0, 1000, 1, TB, "learning rate in (0, 1000]", D_LR},
    {"--bs", "N", K_SIZE, OFF(bs), 1, PN_MAX_BATCH, 0, TB, "batch size", D_BS},
    {"--epochs", "N", K_SIZE, OFF(epochs), 1, 100000, 0, TB, "epochs per round", D_EPOCHS},
    {"--rounds", "N", K_SIZE, OFF(rounds), 1, 100000, 0, TB, "rounds, with seeds SEED..SEED+N-1", D_ROUNDS},
    {"--seed", "SEED", K_U64, OFF(seed), 0, 0, 0, TB, "seed of the first round (default: 0)", D_TEXT},
    {"--seed", "SEED", K_U64, OFF(seed), 0, 0, 0, C_EVAL, "seed of the pairs to evaluate on (default: the checkpoint's)", D_TEXT},
    {"--aux-weight", "W", K_DOUBLE, OFF(aux_weight), 0, 1000, 0, TB, "weight of the auxiliary digit losses, 0..1000", D_AUX_WEIGHT},
    {"--optimizer", "NAME", K_STR, OFF(optimizer), 0, 0, 0, TB, "sgd, adam or adamw", D_OPTIMIZER},
    {"--momentum", "M", K_DOUBLE, OFF(momentum), 0, 1, 2, TB, "SGD momentum in [0, 1)", D_MOMENTUM},
    {"--weight-decay", "WD", K_DOUBLE, OFF(weight_decay), 0, 1, 0, TB, "weight decay in [0, 1]: L2 for sgd and adam, decoupled for adamw", D_WEIGHT_DECAY},
    {"--dropout", "P", K_DOUBLE, OFF(dropout), 0, 1, 2, TB, "drop probability in [0, 1) after the hidden FC layers", D_DROPOUT},
    {"--aug-swap", NULL, K_FLAG, OFF(aug_swap), 0, 0, 0, TB, "swap the two images of a pair at random each epoch", D_AUG_SWAP},
    {"--aug-repair", NULL, K_FLAG, OFF(aug_repair), 0, 0, 0, TB, "pair the training digits anew each epoch", D_AUG_REPAIR},
    {"--aug-shift", "PIXELS", K_SIZE, OFF(aug_shift), 0, 4, 0, TB, "shift each image by up to PIXELS, 0..4", D_AUG_SHIFT},
    {"--aug-rotate", "DEG", K_DOUBLE, OFF(aug_rotate), 0, 90, 0, TB, "warp: rotate each training image by up to DEG degrees", D_AUG_ROTATE},
    {"--aug-scale", "F", K_DOUBLE, OFF(aug_scale), 0, 0.5, 0, TB, "warp: scale each training image by 1 +- up to F", D_AUG_SCALE},
    {"--aug-shear", "DEG", K_DOUBLE, OFF(aug_shear), 0, 45, 0, TB, "warp: shear each training image by up to DEG degrees", D_AUG_SHEAR},
    {"--aug-translate", "PX", K_DOUBLE, OFF(aug_translate), 0, 4, 0, TB, "warp: move each training image by up to PX pixels, sub-pixel", D_AUG_TRANSLATE},
    {"--aug-elastic", "ALPHA", K_DOUBLE, OFF(aug_elastic), 0, 100, 0, TB, "warp: elastic distortion of strength ALPHA px, 0 = none (8 at 14 px ~ Simard's 34 at 28 px)", D_AUG_ELASTIC},
    {"--aug-elastic-sigma", "PX", K_DOUBLE, OFF(aug_elastic_sigma), 0, 14, 1, TB, "warp: smoothing sigma of the elastic field in pixels", D_AUG_ELASTIC_SIGMA},
    {"--ema", "DECAY", K_DOUBLE, OFF(ema), 0, 1, 2, TB, "evaluate a moving average of the weights with this decay in [0, 1), 0 = off", D_EMA},
    {"--tta", "VIEWS", K_SIZE, OFF(tta), 1, PN_MAX_TTA, 0, TB, "test-time augmentation: average 1, 5 or 9 shifted views (as many evaluations)", D_TTA},
    {"--ensemble", "K", K_SIZE, OFF(ensemble), 1, 16, 0, TB, "train K networks per round and average them (K times the cost)", D_ENSEMBLE},
    {"--width", "N", K_SIZE, OFF(width), 1, 8, 0, TB, "digit towers with N times the channels and hidden units", D_WIDTH},
    {"--decide", "RULE", K_STR, OFF(decide), 0, 0, 0, TB, "answer a pair by: head, argmax (compare the digits) or prob (P(d1<=d2) >= 1/2)", D_DECIDE},
    {"--head", "KIND", K_STR, OFF(head), 0, 0, 0, TB, "best's head: learned, or prob (P(d1<=d2) of the digit softmaxes, no weights) (default: learned)", D_TEXT},
    {"--lr-cosine", NULL, K_FLAG, OFF(lr_cosine), 0, 0, 0, TB, "cosine learning-rate schedule instead of the step decay", D_LR_COSINE},
    {"--lr-step", "N", K_SIZE, OFF(lr_step), 0, 100000, 0, TB, "epochs between lr decays, 0 = none", D_LR_STEP},
    {"--lr-gamma", "G", K_DOUBLE, OFF(lr_gamma), 0, 1, 1, TB, "lr decay factor in (0, 1]", D_LR_GAMMA},
    {"--threads", "N", K_SIZE, OFF(threads), 1, PN_MAX_THREADS, 0, C_TRAIN, "threads for one training run", D_THREADS},
    {"--jobs", "N", K_SIZE, OFF(threads), 1, PN_MAX_THREADS, 0, C_BENCH, "rounds run in parallel", D_THREADS},
    {"--eval-final", NULL, K_FLAG, OFF(eval_final), 0, 0, 0, TB, "evaluate the test pairs only after the last epoch, not after every one (default: off)", D_TEXT},
    {"--data", "DIR", K_STR, OFF(data), 0, 0, 0, C_TRAIN | C_BENCH | C_EVAL, "MNIST directory (default: $PAIRNET_DATA, else data/mnist)", D_TEXT},
    {"--out", "DIR", K_STR, OFF(out), 0, 0, 0, C_BENCH, "results directory and round store", D_OUT},
    {"--list", NULL, K_FLAG, OFF(list), 0, 0, 0, C_BENCH, "print what the round store in --out holds, and exit", D_TEXT},
    {"--save", "FILE", K_STR, OFF(save), 0, 0, 0, C_TRAIN, "write the trained model of the last round to FILE (default: none)", D_TEXT},
    {"--load", "FILE", K_STR, OFF(load), 0, 0, 0, C_EVAL, "the checkpoint to evaluate, written by train --save (required)", D_TEXT},
};
const size_t pn_n_opts = sizeof pn_opts / sizeof pn_opts[0];

const pn_cmd_def pn_commands[] = {
    {"train", C_TRAIN, "train --model NAME [options]", "train R rounds of one model"},
    {"bench", C_BENCH, "bench [options]", "the study's tables and figures"},
    {"eval", C_EVAL, "eval --load FILE [options]", "evaluate a saved model"},
    {"models", 0, "models", "list the models and their presets"},
};
const size_t pn_n_commands = sizeof pn_commands / sizeof pn_commands[0];

