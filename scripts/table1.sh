#!/usr/bin/env bash
# Table I of one grid of scripts/grid.sh: `pairnet table1 --grid DIR --md
# OUT` (the binary reads the cells, picks the best (lr, batch size) per
# model and writes the Markdown); kept for its old command line.
set -euo pipefail
here=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh" # refuse_control, not_option, pairnet_bin

usage() {
    cat <<'EOF2'
usage: scripts/table1.sh [--] DIR [OUT]

Gathers every DIR/*/*/table2.csv written by `pairnet bench` (one per grid
cell, see scripts/grid.sh) into OUT (default results/table1.md), through
`pairnet table1 --grid DIR --md OUT`:
  - per model, the best (learning rate, batch size) by mean test accuracy;
  - per model, the full grid: rows = learning rate, columns = batch size,
    cells = test accuracy (%) mean ± std over the rounds.

The binary is $PAIRNET, else the pairnet beside scripts/. DIR and OUT may be
any path without a newline, tab or other control character (after --, also
one starting with -).
EOF2
}

if [[ $# -eq 1 && ( $1 == -h || $1 == --help ) ]]; then
    usage
    exit 0
fi
if [[ ${1:-} == -- ]]; then
    shift
elif [[ ${1:-} == -* ]]; then
    usage >&2
    exit 2
fi
if [[ $# -lt 1 || $# -gt 2 ]]; then
    usage >&2
    exit 2
fi
refuse_control table1.sh DIR "$1"
refuse_control table1.sh OUT "${2:-}"
out=${2:-results/table1.md}
bin=$(pairnet_bin) || exit 2
mkdir -p -- "$(dirname -- "$out")"
# (the binary takes the word after --grid or --md as its value, even "-x")
exec "$bin" table1 --grid "$1" --md "$out"
