#!/bin/sh
# How best's preset was chosen: each candidate recipe trained on validation
# rounds (seeds 1000..1005, never the reported seeds 0..14), one log per
# candidate in OUT, summarized into OUT/summary.md. The logs behind best's
# preset are in results/validation/.
#
#   scripts/validation.sh [--out DIR]            run the candidates without a log in DIR,
#                                                then summarize
#   scripts/validation.sh --out DIR --summary    only summarize the logs in DIR, e.g.
#                                                --out results/validation
#
# DIR (or $OUT) defaults to a fresh runs/validation-<UTC date-time>: only an
# explicit --out writes into results/. Environment: PAIRNET (binary,
# ./pairnet), PAIRNET_DATA.
set -eu
PAIRNET=${PAIRNET:-./pairnet}
OUT=${OUT:-}
summary=0
while [ $# -gt 0 ]; do
    case $1 in
    --out)
        [ $# -ge 2 ] || { echo "validation.sh: --out needs a value" >&2; exit 2; }
        OUT=$2
        shift 2
        ;;
    --out=*) OUT=${1#--out=}; shift ;;
    --summary) summary=1; shift ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "validation.sh: unknown argument '$1' (see scripts/validation.sh --help)" >&2; exit 2 ;;
    esac
done
if [ -z "$OUT" ]; then
    if [ "$summary" -eq 1 ]; then
        echo "validation.sh: --summary needs --out DIR, the folder of the logs (e.g. --out results/validation)" >&2
        exit 2
    fi
    OUT=runs/validation-$(date -u +%Y%m%d-%H%M%S)
fi

# name | options on top of best's preset (the first line of each log
# records the configuration that ran). E1-base and W48 were run from other
# builds (before the softmax head; with a 48/96/256 tower) and are kept as logs.
CANDIDATES='
E2-softmax      | --aux-weight 1 --dropout 0.25 --bs 100
E3-shift2       | --aux-weight 1 --dropout 0.25 --bs 100 --aug-shift 2
E4-ep200        | --aux-weight 1 --dropout 0.25 --bs 100 --epochs 200 --lr-step 50
E5-drop50       | --aux-weight 1 --dropout 0.5 --bs 100
E6-aux2         | --aux-weight 2 --dropout 0.25 --bs 100
E7-bs50         | --aux-weight 1 --dropout 0.25 --bs 50
E8-lr2e-3       | --aux-weight 1 --dropout 0.25 --bs 100 --lr 0.002
C1-aux2-bs50    | --aux-weight 2 --dropout 0.25 --bs 50
F1-aux2-d5-e150 | --aux-weight 2 --dropout 0.5 --bs 100 --epochs 150 --lr-step 40
F2-aux2-bs50-d5 |
'

mkdir -p "$OUT"
if [ "$summary" -eq 0 ]; then
    echo "$CANDIDATES" | while IFS='|' read -r name opts; do
        name=$(echo "$name" | tr -d ' ')
        [ -n "$name" ] || continue
        [ -s "$OUT/$name.log" ] && continue
        echo "validation: $name" >&2
        # shellcheck disable=SC2086 # the options are words
        if ! "$PAIRNET" train --model best --seed 1000 --rounds 6 --eval-final $opts \
            > "$OUT/$name.log.tmp"; then
            echo "validation.sh: $name failed; see $OUT/$name.log.tmp" >&2
            exit 1
        fi
        mv "$OUT/$name.log.tmp" "$OUT/$name.log"
    done
fi

{
    echo "# Validation rounds of best's candidate recipes"
    echo
    echo "Seeds 1000..1005 (6 rounds each; the reported figures use seeds 0..14)."
    echo "Made by \`scripts/validation.sh\`; each log's first line is its configuration."
    echo
    echo "| candidate | test acc (%) mean ± std | tower digit acc (%) | digits compared (%) | rounds |"
    echo "|:---|---:|---:|---:|---:|"
    for f in "$OUT"/*.log; do
        awk -v name="$(basename "$f" .log)" '
            /^round .*test acc/ { t = $0; sub(/.*test acc /, "", t); t += 0; s += t; ss += t * t; n++ }
            /test digits/ {
                d = $0; sub(/.*tower accuracy /, "", d); dsum += d + 0
                a = $0; sub(/.*predicted digits /, "", a); asum += a + 0; nd++ }
            END {
                if (n < 2) exit
                m = s / n; sd = sqrt((ss - n * m * m) / (n - 1))
                printf "| %s | %.2f ± %.2f | %.2f | %.2f | %d |\n", name, 100 * m, 100 * sd,
                       nd ? 100 * dsum / nd : 0, nd ? 100 * asum / nd : 0, n }' "$f"
    done
} > "$OUT/summary.md"
echo "wrote $OUT/summary.md" >&2
