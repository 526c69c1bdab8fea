#!/usr/bin/env bash
# Runs one short bench of every model with each binary given and checks
# that every table2.csv and runs.csv (timing column left out) is the same
# byte for byte: the same numbers from another compiler, build or kernel.
#   scripts/same-bits.sh BIN BIN...     (MNIST from --data / $PAIRNET_DATA)
set -euo pipefail
here=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh" # LC_ALL=C
[[ $# -ge 2 ]] || { echo "usage: $0 BIN BIN..." >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# every model, as the first binary that can list them lists them (an
# older pairnet, compared against, may not know `models --names`)
models=""
for bin in "$@"; do
    models=$("$bin" models --names 2>/dev/null | paste -sd, -) && [[ -n $models ]] && break
done
[[ -n $models ]] || { echo "error: none of $* lists its models (pairnet models --names)" >&2; exit 1; }
args=(bench --models "$models" --rounds 2 --epochs 3 --jobs 2)
i=0
for bin in "$@"; do
    "$bin" "${args[@]}" --out "$tmp/$i" >"$tmp/$i.log" 2>&1 ||
        { echo "error: $bin ${args[*]} failed:" >&2; tail -n 3 "$tmp/$i.log" >&2; exit 1; }
    cut -d, -f1-8,10- "$tmp/$i/runs.csv" >"$tmp/$i/runs.notime"
    if [[ $i -gt 0 ]]; then
        for f in table2.csv runs.notime; do
            cmp -s "$tmp/0/$f" "$tmp/$i/$f" ||
                { echo "error: $1 and $bin differ in $f:" >&2; diff "$tmp/0/$f" "$tmp/$i/$f" | head -n 8 >&2; exit 1; }
        done
    fi
    i=$((i + 1))
done
echo "same bits: $* (table2.csv and runs.csv of a 6-model short bench)"
