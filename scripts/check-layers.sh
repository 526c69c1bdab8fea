#!/bin/sh
# The layer check: every #include "pairnet/L/..." in src/ and include/ (.c,
# .h and the .inc fragments) must
# name a layer at or below the including file's own. The layers, bottom-up:
#
#   base            errors, allocation, thread pool, rng, clock, crc32, files, parsing, text buffer
#   ops  data       kernels, GEMM and the optimizer steps | inflate, IDX, MNIST, pairs, augmentation
#   graph           the autograd graph and its weight average (EMA)
#   models          the model builders and their registry
#   train           one round, evaluation, checkpoints, the round record
#   report          tables, figures, HTML, the round store, progress
#   app             argument parsing, commands, signals
#
# ops and data stand side by side on base: neither may include the other.
# Usage: scripts/check-layers.sh [ROOT]   (exit 1 and one line per violation)
set -u
root=${1:-.}
cd "$root" || exit 2

rank() {
    case $1 in
    base) echo 0 ;;
    ops | data) echo 1 ;;
    graph) echo 2 ;;
    models) echo 3 ;;
    train) echo 4 ;;
    report) echo 5 ;;
    app) echo 6 ;;
    *) echo -1 ;;
    esac
}

bad=0
for f in $(find src include/pairnet -name '*.[ch]' -o -name '*.inc' | sort); do
    case $f in
    src/*) layer=$(echo "$f" | cut -d/ -f2) ;;
    include/pairnet/*) layer=$(echo "$f" | cut -d/ -f3) ;;
    esac
    r=$(rank "$layer")
    if [ "$r" -lt 0 ]; then
        echo "$f: not in a layer folder (one of base ops data graph models train report app)"
        bad=1
        continue
    fi
    for used in $(sed -n 's|^[[:space:]]*#[[:space:]]*include[[:space:]]*"pairnet/\([a-z_]*\)/.*|\1|p' "$f" | sort -u); do
        u=$(rank "$used")
        if [ "$u" -lt 0 ] || [ "$u" -gt "$r" ] || { [ "$u" -eq "$r" ] && [ "$used" != "$layer" ]; }; then
            echo "$f: includes pairnet/$used/ from layer $layer (runs up or sideways)"
            bad=1
        fi
    done
    if grep -q '^[[:space:]]*#[[:space:]]*include[[:space:]]*"pairnet/[a-z_]*\.h"' "$f"; then
        echo "$f: includes a pairnet header outside the layer folders"
        bad=1
    fi
done
exit $bad
