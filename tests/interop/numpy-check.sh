#!/bin/sh
# `make test-interop`: every model, trained briefly by pairnet and saved
# with --save FILE.safetensors, runs in NumPy alone (examples/numpy_forward.py)
# and gives pairnet's answer on every test pair (or differs only where
# pairnet's margin is within float rounding) and pairnet's accuracy; the
# `safetensors` package from PyPI reads every file as an independent check
# of the format. Models: the five of the study and best as its preset
# trains it (three members with their moving averages, five views, the
# prob rule), plus best with its prob head and with the argmax rule.
#
# Installs what is missing: Debian's python3-numpy (apt-get) for the
# system python3 and `safetensors` (pip, --break-system-packages on a
# Debian python that refuses system-wide pip installs).
# Usage: tests/interop/numpy-check.sh PAIRNET-BINARY MNIST-DIR
set -eu
bin=$1
data=$2
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if ! "$py" -c 'import numpy' 2>/dev/null; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-numpy >/dev/null
fi
if ! "$py" -c 'import safetensors.numpy' 2>/dev/null; then
    "$py" -m pip --version >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-pip >/dev/null; }
    "$py" -m pip install -q safetensors 2>/dev/null ||
        "$py" -m pip install -q --break-system-packages safetensors
fi
"$py" -c 'import numpy, safetensors; print("numpy", numpy.__version__, "safetensors", safetensors.__version__)'

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
here=$(cd "$(dirname "$0")/../.." && pwd)
fail=0
check() { # NAME TRAIN-ARGS...
    name=$1
    shift
    "$bin" train "$@" --epochs 1 --seed 3 --save "$tmp/$name.safetensors" --data "$data" \
        > "$tmp/$name.train" || { echo "$name: train failed"; fail=1; return; }
    trained=$(sed -n 's/^round 0 seed 3: .*test acc \([0-9.]*%\),.*/\1/p' "$tmp/$name.train")
    "$bin" eval --load "$tmp/$name.safetensors" --export "$tmp/$name.pairs.safetensors" \
        --data "$data" > "$tmp/$name.eval" || { echo "$name: eval failed"; fail=1; return; }
    evaluated=$(sed -n 's/.*test acc \([0-9.]*%\)$/\1/p' "$tmp/$name.eval")
    if [ -z "$trained" ] || [ "$trained" != "$evaluated" ]; then
        echo "$name: training printed test acc '$trained', eval of the saved file '$evaluated'"
        fail=1
    fi
    echo "== $name: $*"
    "$py" "$here/examples/numpy_forward.py" "$tmp/$name.safetensors" \
        "$tmp/$name.pairs.safetensors" || fail=1
}
for m in mlp cnn cnn_ws cnn_al cnn_ws_al best; do
    check "$m" --model "$m"
done
check best-prob-head --model best --head prob --ensemble 2
check best-argmax --model best --ensemble 1 --tta 9 --decide argmax
[ "$fail" -eq 0 ] && echo "interop: numpy agrees with pairnet on every model" && exit 0
echo "interop: FAILED" >&2
exit 1
