/* Every option of the command line, once: the application's own (name,
 * metavar, kind, where it is stored, its range, the commands that take it,
 * its help and where --help finds its default) around the training options,
 * which come from their table (models/train_cfg.h). */
#include "opttable.h"

#include "pairnet/models/train_cfg.h"

#define OFF(f) offsetof(pn_cli_opts, f)
#define TB (C_TRAIN | C_BENCH)
/* A row of the training table as train and bench take it. */
#define TRAIN_ROW(ID, FIELD, KIND, CLI, META, MIN, MAX, OPEN, DFLT, ZERO, NEEDS, KEY, GROUP, \
                  NAMES, SUMMARY, HELP)                                                     \
    {CLI, META, K_TRAIN, PN_TOPT_##ID, MIN, MAX, TB, HELP, D_TRAIN},
const optdef pn_opts[] = {
    {"--model", "NAME", K_MODEL, OFF(models), 0, 0, C_TRAIN, "the model to train (required), one of:", D_MODEL},
    {"--models", "LIST", K_MODELS, OFF(models), 0, 0, C_BENCH, "comma-separated models", D_MODELS},
    PN_TRAIN_OPTIONS(TRAIN_ROW)
    {"--rounds", "N", K_SIZE, OFF(rounds), 1, 100000, TB, "rounds, with seeds SEED..SEED+N-1", D_ROUNDS},
    {"--seed", "SEED", K_U64, OFF(seed), 0, 0, TB, "seed of the first round (default: 0)", D_TEXT},
    {"--seed", "SEED", K_U64, OFF(seed), 0, 0, C_EVAL, "seed of the pairs to evaluate on (default: the checkpoint's)", D_TEXT},
    {"--threads", "N", K_SIZE, OFF(threads), 1, PN_MAX_THREADS, C_TRAIN, "threads for one training run", D_THREADS},
    {"--jobs", "N", K_SIZE, OFF(threads), 1, PN_MAX_THREADS, C_BENCH, "rounds run in parallel", D_THREADS},
    {"--data", "DIR", K_STR, OFF(data), 0, 0, C_TRAIN | C_BENCH | C_EVAL | C_PREDICT, "MNIST directory (default: $PAIRNET_DATA, else data/mnist)", D_TEXT},
    {"--out", "DIR", K_STR, OFF(out), 0, 0, C_BENCH, "results directory and round store", D_OUT},
    {"--list", NULL, K_SWITCH, OFF(list), 0, 0, C_BENCH, "print what the round store in --out holds, and exit", D_TEXT},
    {"--save-models", "DIR", K_STR, OFF(save_models), 0, 0, C_BENCH, "write the networks of every round computed now to DIR/MODEL-seedSEED.safetensors (default: none)", D_TEXT},
    {"--save", "FILE", K_STR, OFF(save), 0, 0, C_TRAIN, "write the trained networks of the last round to FILE: safetensors with PyTorch names (FILE.pn: the old .pn, one network) (default: none)", D_TEXT},
    {"--models", "A,B", K_MODELS, OFF(models), 0, 0, C_COMPARE, "the model of A and the model of B, when they differ; one NAME: only that model (default: every model both hold, each against itself); more folders before B: each against B, Holm over all", D_TEXT},
    {"--format", "FMT", K_STR, OFF(format), 0, 0, C_COMPARE, "what standard output gets: text (a table for people), json or tsv (default: text)", D_TEXT},
    {"--json", "FILE", K_STR, OFF(json), 0, 0, C_COMPARE, "also write the comparison as JSON to FILE (default: none)", D_TEXT},
    {"--key-a", "FIELDS", K_STR, OFF(key_a), 0, 0, C_COMPARE, "take A's rounds from its round store, those whose key has every FIELD=VALUE of FIELDS (e.g. lr=0.1,epochs=1; pairnet bench --list shows the keys) instead of its runs.csv (default: runs.csv)", D_TEXT},
    {"--key-b", "FIELDS", K_STR, OFF(key_b), 0, 0, C_COMPARE, "the same for B: two configurations of one store are compared by naming its folder twice", D_TEXT},
    {"--load", "FILE", K_STR, OFF(load), 0, 0, C_EVAL, "the model to evaluate, written by train --save (required; safetensors, or .pn of earlier versions)", D_TEXT},
    {"--export", "FILE", K_STR, OFF(export_answers), 0, 0, C_EVAL, "write the test pairs, labels and answers to FILE (safetensors; examples/numpy_forward.py checks them)", D_TEXT},
    {"--load", "FILE", K_STR, OFF(load), 0, 0, C_PREDICT, "the model: a file written by train --save (required; safetensors or .pn)", D_TEXT},
    {"--names", NULL, K_SWITCH, OFF(names), 0, 0, C_MODELS, "every model's name, one a line", D_TEXT},
    {"--study", NULL, K_SWITCH, OFF(study), 0, 0, C_MODELS, "the study's models, one a line (bench's default list)", D_TEXT},
    {"--tsv", NULL, K_SWITCH, OFF(tsv), 0, 0, C_MODELS, "a header, then each model's name, study lr, bs and the study's Table II test accuracy, tab-separated", D_TEXT},
    {"--svg", "DIR", K_STR, OFF(svg), 0, 0, C_MODELS, "write each model's network as DIR/net-<model>.svg: every layer's kind, output shape and parameters", D_TEXT},
    {"--validation", "VDIR", K_STR, OFF(validation), 0, 0, C_TABLE1, "the grid on validation seeds (scripts/grid.sh --seed 1000), where each model's cell is chosen", D_TEXT},
    {"--test", "TDIR", K_STR, OFF(test), 0, 0, C_TABLE1, "the same grid on the test seeds, where the chosen cells are reported", D_TEXT},
    {"--out", "DIR", K_STR, OFF(out), 0, 0, C_TABLE1, "writes DIR/table1.md, table1.csv, table1.json, heatmap-validation.svg and heatmap-test.svg", D_TEXT},
    {"--command", "TEXT", K_STR, OFF(t1_command), 0, 0, C_TABLE1, "the command the provenance records (default: this one)", D_TEXT},
    {"--grid", "DIR", K_STR, OFF(grid), 0, 0, C_TABLE1, "instead: one grid's Table I (each model's best cell and its whole grid)...", D_TEXT},
    {"--md", "FILE", K_STR, OFF(md), 0, 0, C_TABLE1, "...into the Markdown file FILE", D_TEXT},
    {"--show", "DIR", K_STR, OFF(show), 0, 0, C_PREDICT, "write what the network saw to DIR: A-28.pgm, A-14.pgm, B-28.pgm, B-14.pgm (default: none)", D_TEXT},
};
const size_t pn_n_opts = sizeof pn_opts / sizeof pn_opts[0];

const pn_cmd_def pn_commands[] = {
    {"train", C_TRAIN, "train --model NAME [options]", "train R rounds of one model"},
    {"bench", C_BENCH, "bench [options]", "the study's tables and figures"},
    {"eval", C_EVAL, "eval --load FILE [options]", "evaluate a saved model"},
    {"predict", C_PREDICT, "predict --load FILE A B", "ask a saved model: is picture A <= B? (PNG, PGM)"},
    {"models", C_MODELS, "models [options]", "list the models and their presets"},
    {"table1", C_TABLE1, "table1 [options]", "Table I from the grids of scripts/grid.sh"},
    {"compare", C_COMPARE, "compare A... B [options]", "the paired effect of bench folder A over B"},
};
const size_t pn_n_commands = sizeof pn_commands / sizeof pn_commands[0];

const pn_exit_def pn_exit_codes[] = {
    {PN_OK, "ok", "success"},
    {PN_ERR_RUNTIME, "runtime failure or write error",
     "a runtime failure (out of memory, a write error such as a full disk)"},
    {PN_ERR_USAGE, "usage error",
     "a usage error: an unknown option, a value out of range, a bad combination"},
    {PN_ERR_DATA, "bad data or checkpoint",
     "bad data: missing or corrupt MNIST, checkpoint, round store or input file"},
    {PN_ERR_DIVERGED, "a round diverged", "a training round diverged (a non-finite loss or weight)"},
    {PN_EXIT_HANGUP, "hangup", "stopped by SIGHUP (the terminal went away); what was finished is kept"},
    {PN_ERR_INTERRUPTED, "interrupted",
     "interrupted by SIGINT or SIGTERM; what was finished is kept"},
};
const size_t pn_n_exit_codes = sizeof pn_exit_codes / sizeof pn_exit_codes[0];
