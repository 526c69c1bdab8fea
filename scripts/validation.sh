#!/usr/bin/env bash
# How best's preset was chosen: each candidate recipe trained on validation
# rounds (seeds 1000..1005, never the reported seeds 0..14) and summarized
# into OUT/summary.md. The runs behind best's preset are in
# results/validation/.
#
#   scripts/validation.sh [--out DIR] [NAME...]  run the candidates (or only
#                                                these) not yet in DIR, then
#                                                summarize
#   scripts/validation.sh --out DIR --summary    only summarize DIR, e.g.
#                                                --out results/validation
#
# DIR (or $OUT) defaults to a fresh runs/validation-<UTC date-time>: only an
# explicit --out writes into results/.
# Every candidate is `pairnet bench --models best --seed 1000 --rounds 6
# --eval-final --jobs 2 OPTIONS --out DIR/NAME` (two rounds side by side, one
# thread each, under nice -n 19: the machine is shared); its row of the
# summary is read from what bench writes for machines, DIR/NAME/table2.csv
# (accuracies) and runs.csv (seconds). A rerun reuses the finished rounds.
# The older candidates of results/validation/ ran as `pairnet train` logs
# (DIR/NAME.log, two runs of three seeds); their rows are still read from
# those logs as they are (read_train_log below), never rerun.
# Environment: PAIRNET (binary, ./pairnet), PAIRNET_DATA.
# Numbers are read and written with a decimal point whatever the locale; a
# log or table whose accuracy cannot be read stops the summary (exit 1).
set -euo pipefail
here=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh" # LC_ALL=C, refuse_control, not_option, AWK_ESCAPES, write_new
PAIRNET=${PAIRNET:-./pairnet}
refuse_control validation.sh PAIRNET "$PAIRNET"
[[ $PAIRNET == */* ]] || PAIRNET=./$PAIRNET
OUT=${OUT:-}
summary=0
only=""
while [ $# -gt 0 ]; do
    case $1 in
    --out)
        [ $# -ge 2 ] || { echo "validation.sh: --out needs a value" >&2; exit 2; }
        OUT=$2
        shift 2
        ;;
    --out=*) OUT=${1#--out=}; shift ;;
    --summary) summary=1; shift ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    -*) echo "validation.sh: unknown option '$1' (see scripts/validation.sh --help)" >&2; exit 2 ;;
    *) only="$only $1"; shift ;;
    esac
done
if [ -z "$OUT" ]; then
    if [ "$summary" -eq 1 ]; then
        echo "validation.sh: --summary needs --out DIR, the folder of the logs (e.g. --out results/validation)" >&2
        exit 2
    fi
    OUT=runs/validation-$(date -u +%Y%m%d-%H%M%S)
fi
refuse_control validation.sh "--out (or OUT)" "$OUT"
OUT=$(not_option "$OUT")

# name | options on top of best's preset (the first line of each log
# records the configuration that ran). E1-base and W48 were run from other
# builds (before the softmax head; with a 48/96/256 tower) and are kept as
# logs. The E/C/F candidates chose the preset of 2026-11 (aux 2, dropout
# 0.5, batch 50, 100 epochs, shift 1); the G/H candidates (issue 16) are
# on top of it -- G0 is that preset on this build, and their options
# override it, so once the preset changed their logs stay as they ran.
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
F2-aux2-bs50-d5 | --aux-weight 2 --dropout 0.5 --bs 50 --epochs 100 --lr-step 25 --aug-shift 1
G1-ema          | --ema 0.999
G2-affine       | --aug-rotate 12 --aug-scale 0.1 --aug-shear 10
G3-elastic      | --aug-elastic 8
G4-aff-elastic  | --aug-rotate 12 --aug-scale 0.1 --aug-shear 10 --aug-elastic 8
G5-G4-ema-tta   | --aug-rotate 12 --aug-scale 0.1 --aug-shear 10 --aug-elastic 8 --ema 0.999 --tta 5
G6-G4-ema-e200  | --aug-rotate 12 --aug-scale 0.1 --aug-shear 10 --aug-elastic 8 --ema 0.999 --epochs 200 --lr-step 50
G7-G4-probhead  | --aug-rotate 12 --aug-scale 0.1 --aug-shear 10 --aug-elastic 8 --head prob
H1-ens3-ema     | --ensemble 3 --ema 0.999
H2-ens3-ema-tta | --ensemble 3 --ema 0.999 --tta 5
H3-ens3-ema-aff | --ensemble 3 --ema 0.999 --aug-rotate 12 --aug-scale 0.1 --aug-shear 10
H4-ema-tta      | --ema 0.999 --tta 5
H5-ens3-ema-tta9 | --ensemble 3 --ema 0.999 --tta 9
H6-ens4-e75-ema-tta | --ensemble 4 --epochs 75 --lr-step 19 --ema 0.999 --tta 5
H7-ens3-ema-aff-tta | --ensemble 3 --ema 0.999 --aug-rotate 12 --aug-scale 0.1 --aug-shear 10 --tta 5
'

mkdir -p -- "$OUT"
if [ "$summary" -eq 0 ]; then
    echo "$CANDIDATES" | while IFS='|' read -r name opts; do
        name=$(echo "$name" | tr -d ' ')
        [ -n "$name" ] || continue
        [ -s "$OUT/$name.log" ] && continue # a train log of before: kept as it ran
        if [ -n "$only" ]; then
            case " $only " in *" $name "*) ;; *) continue ;; esac
        fi
        echo "validation: $name" >&2
        # bench keeps its finished rounds: an interrupted candidate continues
        # shellcheck disable=SC2086 # the options are words
        if ! nice -n 19 "$PAIRNET" bench --models best --seed 1000 --rounds 6 --eval-final \
            --jobs 2 $opts --out "$OUT/$name" >"$OUT/$name.bench.log" 2>&1; then
            echo "validation.sh: $name failed; see $OUT/$name.bench.log" >&2
            exit 1
        fi
    done
fi

# One row of summary.md from a candidate's table2.csv (accuracies, columns
# found by name) and runs.csv (the seconds of each epoch of each round).
# shellcheck disable=SC2016 # awk code, not shell
read_bench='
BEGIN { FS = "," }
FNR == 1 { delete col; for (i = 1; i <= NF; i++) col[$i] = i; next }
FILENAME ~ /table2[.]csv$/ && NF > 1 {
    if (!("test_mean" in col) || $col["test_mean"] !~ /^[0-9]*[.]?[0-9]+$/) {
        printf "validation.sh: %s: no test accuracy; rerun the candidate\n", FILENAME > "/dev/stderr"
        bad = 1; exit 1
    }
    m = $col["test_mean"]; sd = $col["test_std"]; d = $col["digit_mean"]; a = $col["argmax_mean"]; n = $col["rounds"]
}
FILENAME ~ /runs[.]csv$/ && NF > 1 { secs += $col["seconds"]; if (!($col["round"] in seen)) { seen[$col["round"]] = 1; nr++ } }
END {
    if (bad) exit 1
    printf "| %s | %.2f ± %.2f | %s | %s | — | %d | %.1f |\n", md_text(ENVIRON["VAL_NAME"]), 100 * m, 100 * sd,
           d == "" ? "—" : sprintf("%.2f", 100 * d), a == "" ? "—" : sprintf("%.2f", 100 * a), n, nr ? secs / nr : 0 }'

# One row of summary.md from one `pairnet train` log of before (the
# candidates of results/validation/ up to H7 ran so): every figure is read as a whole
# token (up to ", ", ";", " " or ")"): one that is not a number (0,97
# from a log written under another locale, a garbled line) stops the
# summary, naming file:line, rather than being taken as 0.
# shellcheck disable=SC2016 # awk code, not shell
read_train_log='
function num(s, what) {
    sub(/[;,)]*( .*)?$/, "", s)
    if (s !~ /^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$/) {
        printf "validation.sh: %s:%d: cannot read the %s from \"%s\"; is this a pairnet train log?\n", \
            ENVIRON["VAL_FILE"], NR, what, s > "/dev/stderr"
        bad = 1
        exit 1
    }
    return s + 0
}
function after(pat,    t) { t = $0; sub(pat, "", t); return t } # pat: a string, not /re/
/^round .*test acc/ { t = num(after(".*test acc "), "test accuracy"); s += t; ss += t * t; n++
                      secs += num(after(".*, "), "seconds") }
/test digits/ {
    dsum += num(after(".*tower accuracy "), "tower accuracy")
    asum += num(after(".*predicted digits "), "digit comparison accuracy"); nd++
    if ($0 ~ /P\(d1 <= d2\)/) { p = num(after(".*P[(]d1 <= d2[)] "), "P(d1 <= d2) accuracy"); psum += p; pss += p * p; np++ }
    if ($0 ~ /the head: /) { h = num(after(".*the head: "), "head accuracy"); hs += h; hss += h * h; nh++ } }
END {
    if (bad) exit 1
    if (n < 2) exit
    if (nh == n) { s = hs; ss = hss }
    m = s / n; sd = sqrt((ss - n * m * m) / (n - 1))
    pc = "—"
    if (np > 1) { pm = psum / np; pc = sprintf("%.2f ± %.2f", 100 * pm, 100 * sqrt((pss - np * pm * pm) / (np - 1))) }
    printf "| %s | %.2f ± %.2f | %.2f | %.2f | %s | %d | %.1f |\n", md_text(ENVIRON["VAL_NAME"]), 100 * m, 100 * sd,
           nd ? 100 * dsum / nd : 0, nd ? 100 * asum / nd : 0, pc, n, secs / n }'

# written as a new file and renamed (new_temp, commit_file): a link
# planted at summary.md is replaced, never written through
tmp=$(new_temp "$OUT/summary.md")
trap 'rm -f "$tmp"' EXIT
{
    echo "# Validation rounds of best's candidate recipes"
    echo
    echo "Seeds 1000..1005 (6 rounds each; the reported figures use seeds 0..14)."
    echo "Made by \`scripts/validation.sh\`; each log's first line is its configuration."
    echo "Accuracies in %, mean over the rounds (± sample std for the head):"
    echo "*head*, the learned head's answers (with \`--head prob\`, P(d1 <= d2) as the head);"
    echo "*digits*, the tower's digit accuracy; *argmax*, comparing the predicted digits;"
    echo "*prob*, answering P(d1 <= d2) >= 1/2 from the two digit softmaxes (± std),"
    echo "logged from the G candidates on; s/round: the rounds' wall time, two rounds"
    echo "sharing the machine's 2 cores with other jobs (nice 19), so an upper bound."
    echo
    # said only when there are such rows, so that the summary of the train
    # logs alone (results/validation/) reads as it always did
    if compgen -G "$(not_option "$OUT")/*/table2.csv" >/dev/null; then
        echo "Candidates run by \`pairnet bench\` (a folder of the candidate's name) are read"
        echo "from its table2.csv and runs.csv: bench records no prob (—); s/round sums the"
        echo "epochs' seconds of each round."
        echo
    fi
    echo "| candidate | head (%) mean ± std | digits (%) | argmax (%) | prob (%) mean ± std | rounds | s/round |"
    echo "|:---|---:|---:|---:|---:|---:|---:|"
    # one row per candidate, in name order: a bench folder (DIR/NAME/
    # table2.csv) or a train log of before (DIR/NAME.log)
    for f in "$OUT"/*/table2.csv "$OUT"/*.log; do
        [[ -e $f ]] || continue
        case $f in
        */table2.csv) name=$(basename -- "$(dirname -- "$f")") ;;
        *.bench.log) continue ;;
        *) name=$(basename -- "$f" .log) ;;
        esac
        printf '%s\t%s\n' "$name" "$f"
    done | sort -t "$(printf '\t')" -k1,1 | while IFS=$'\t' read -r name f; do
        if [[ $f == */table2.csv ]]; then
            # absolute: an operand such as a=b/table2.csv would be an assignment
            VAL_NAME=$name awk "$AWK_ESCAPES$read_bench" "$(absolute "$f")" \
                "$(absolute "$(dirname -- "$f")/runs.csv")"
        else
            # the log on stdin: an operand such as a=b/x.log would be an assignment
            VAL_NAME=$name VAL_FILE=$f awk "$AWK_ESCAPES$read_train_log" <"$f"
        fi
    done
} >"$tmp"
commit_file "$tmp" "$OUT/summary.md"
trap - EXIT
echo "wrote $OUT/summary.md" >&2
