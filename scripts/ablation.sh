#!/usr/bin/env bash
# Ablation of the `best` model: what each ingredient of its recipe is worth.
# Every variant of the table below is one `pairnet bench --models best
# --eval-final` in its own directory, OUT/ablation/<variant>/ (table2.csv,
# table2.md, runs.csv, figures, round store, bench.log); the variants run one
# after the other, each on all cores (bench spreads its rounds). At the end
# the numbers are read back from each run's table2.csv and table2.md into
# OUT/ablation.md. OUT is runs/ablation-<UTC date-time> unless --out says
# otherwise (`make ablation` passes --out results). An interrupted ablation
# resumes with the same --out: every bench takes the rounds its round store
# already holds. Needs bash, coreutils and awk.
set -euo pipefail
me=ablation.sh
here=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh" # LC_ALL=C, die_usage, cpus, quote, refuse_control, md_text, md_code, write_new

# ---- the variants: edit here --------------------------------------------------
# One variant a line: name | pairnet bench options | what it tests.
# The options are added to `pairnet bench --models best --eval-final`
# (they override best's preset); REFERENCE is the variant the others are
# compared with (the paired "Δ vs full" columns, by `pairnet compare`).
VARIANTS='
full        |                                            | the preset as it is
no-ensemble | --ensemble 1                               | one network instead of an ensemble of three (the single-model figure)
no-ema      | --ema 0                                    | the last weights instead of their moving average
no-tta      | --tta 1                                    | no test-time shifts: each test image seen once
no-affine   | --aug-rotate 0 --aug-scale 0 --aug-shear 0 | no random rotation, scale and shear of the training digits
head        | --decide head                              | the learned head answers instead of P(d1 <= d2) of the digit softmaxes
argmax      | --decide argmax                            | comparing the two predicted digits answers instead of P(d1 <= d2)
no-dropout  | --dropout 0                                | no dropout
no-shift    | --aug-shift 0                              | no random shifts of the images
no-repair   | --no-aug-repair                             | the training digits are not paired anew each epoch
no-swap     | --no-aug-swap                               | the two images of a pair are never swapped
no-aux      | --aux-weight 0                             | no auxiliary digit losses
sgd         | --optimizer sgd --lr 0.05                  | SGD without momentum, as in the study, instead of Adam
short       | --epochs 45 --lr-step 15                   | 45 epochs with lr halved every 15, as in the study, instead of 100
'
REFERENCE=full

usage() {
    cat <<'EOF'
usage: scripts/ablation.sh [options] [pairnet bench options]

Runs `pairnet bench --models best --eval-final --out OUT/ablation/<variant>
<variant options> <pairnet bench options>` for every variant of the table
at the top of this script, then writes OUT/ablation.md: per variant its
options, test accuracy (%) mean ± std, the paired effect against `full`
(points, 95% CI, t and Wilcoxon p-values raw and Holm-adjusted),
seconds per round, rounds and the exact command.

  --out DIR        where everything goes (default: a fresh
                   runs/ablation-<UTC date-time>; make ablation passes
                   results): the runs in DIR/ablation/<variant>/, the
                   table in DIR/ablation.md
  --variants LIST  run only these variants, comma- or space-separated
                   (default: $ABLATION_VARIANTS, else all of them)
  --bin PATH       the pairnet binary (default: $PAIRNET, else $PAIRNET_BIN,
                   else ./pairnet)
  --list           print the variants and exit
  --print          print the bench command of every variant and exit
  -h, --help       this text

Every other argument (and everything after `--`) goes to every `pairnet
bench`, after the variant's own options, so it wins over them; for a quick
look: scripts/ablation.sh --rounds 2 --epochs 2. The MNIST directory comes
from --data or $PAIRNET_DATA, as for pairnet itself. Running it again with
the same --out after an interruption continues where it stopped (and with
more rounds, computes only the rounds the variants lack).

Paths and values may hold any character but a newline, a tab or another
control character (refused): spaces, quotes, $, |, * and a leading - work;
the commands shown are shell-quoted, ablation.md escapes every cell.

Exit status: 0 ok (also when some rounds diverged: they are counted apart),
1 a bench failed, 2 usage error, 130 interrupted.
EOF
}

trim() {
    local s=$1
    s=${s#"${s%%[![:space:]]*}"}
    s=${s%"${s##*[![:space:]]}"}
    printf '%s' "$s"
}

# ---- the table ------------------------------------------------------------------

names=()
declare -A opts_of desc_of
while IFS='|' read -r name opts desc; do
    name=$(trim "$name")
    [[ -z $name || $name == \#* ]] && continue
    [[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || die_usage "bad variant name '$name' in the table (letters, digits, . _ -)"
    [[ -z ${opts_of[$name]+x} ]] || die_usage "variant '$name' is twice in the table"
    names+=("$name")
    opts_of[$name]=$(trim "${opts:-}")
    desc_of[$name]=$(trim "${desc:-}")
done <<<"$VARIANTS"
[[ ${#names[@]} -gt 0 ]] || die_usage "the variant table is empty"

# ---- arguments --------------------------------------------------------------------

invocation=$(printf '%s' "$0")
orig_args=("$@")
for a in "$@"; do
    refuse_control ablation.sh "an argument" "$a"
done
refuse_control ablation.sh "ABLATION_VARIANTS" "${ABLATION_VARIANTS:-}"
refuse_control ablation.sh "PAIRNET_DATA" "${PAIRNET_DATA:-}"
out=
out_given=0
selection=${ABLATION_VARIANTS:-}
bin=${PAIRNET:-${PAIRNET_BIN:-./pairnet}}
list=0
print=0
extra=()
while [[ $# -gt 0 ]]; do
    if [[ $1 == --*=* ]]; then
        set -- "${1%%=*}" "${1#*=}" "${@:2}"
    fi
    case $1 in
    --out | --variants | --bin)
        [[ $# -ge 2 ]] || die_usage "$1 needs a value"
        case $1 in
        --out) out=$2; out_given=1 ;;
        --variants) selection=$2 ;;
        --bin) bin=$2 ;;
        esac
        shift 2
        ;;
    --list) list=1; shift ;;
    --print) print=1; shift ;;
    -h | --help) usage; exit 0 ;;
    --models) die_usage "--models is not settable: the ablation is of 'best'" ;;
    --) shift; extra+=("$@"); break ;;
    *) extra+=("$1"); shift ;;
    esac
done

if [[ $list -eq 1 ]]; then
    for v in "${names[@]}"; do
        printf '%-12s %-28s %s\n' "$v" "${opts_of[$v]:-(preset)}" "${desc_of[$v]}"
    done
    exit 0
fi

selected=()
if [[ -n $selection ]]; then
    read -r -a wanted <<<"$(tr ',' ' ' <<<"$selection")"
    [[ ${#wanted[@]} -gt 0 ]] || die_usage "--variants is empty"
    for v in "${wanted[@]}"; do
        [[ -n ${opts_of[$v]+x} ]] ||
            die_usage "unknown variant '$v' (the table has: ${names[*]})"
    done
    # Table order, whatever the order asked.
    for v in "${names[@]}"; do
        for w in "${wanted[@]}"; do
            if [[ $v == "$w" ]]; then
                selected+=("$v")
                break
            fi
        done
    done
else
    selected=("${names[@]}")
fi
if [[ $out_given -eq 0 ]]; then
    # quick looks never write into results/: that is for `make ablation`
    out=runs/ablation-$(date -u +%Y%m%d-%H%M%S)
fi
[[ -n $out ]] || die_usage "--out is empty"
out=${out%/}
[[ -n $out ]] || out=/
# mkdir, mktemp and bench never take a leading - of it for an option
out=$(not_option "$out")

run_dir() { printf '%s/ablation/%s' "$out" "$1"; }

# The bench command of variant $1, as an array in `cmd`.
make_cmd() {
    local -a vopts=()
    read -r -a vopts <<<"${opts_of[$1]}"
    cmd=("$bin" bench --models best --eval-final --out "$(run_dir "$1")"
        "${vopts[@]+"${vopts[@]}"}" "${extra[@]+"${extra[@]}"}")
}

if [[ $print -eq 1 ]]; then
    for v in "${selected[@]}"; do
        make_cmd "$v"
        quote_all "${cmd[@]}"
        echo
    done
    exit 0
fi

# ---- run --------------------------------------------------------------------------

if [[ $bin != */* && $bin != -* ]] && command -v -- "$bin" >/dev/null 2>&1; then
    bin=$(command -v -- "$bin")
elif [[ $bin != */* ]]; then
    bin=./$bin
fi
if [[ ! -f $bin || ! -x $bin ]]; then
    echo "ablation.sh: '$bin' is not an executable file; build it with 'make' or pass --bin PATH" >&2
    exit 2
fi

# An option given both by a variant and on the command line: the command
# line wins (it comes last); say so, since the variant then tests nothing.
for v in "${selected[@]}"; do
    read -r -a vopts <<<"${opts_of[$v]}"
    for o in "${vopts[@]+"${vopts[@]}"}"; do
        [[ $o == --* ]] || continue
        for e in "${extra[@]+"${extra[@]}"}"; do
            if [[ $e == "$o" || $e == "$o="* ]]; then
                echo "ablation.sh: note: $o on the command line overrides variant $v's '${opts_of[$v]}'" >&2
                break
            fi
        done
    done
done

start=$SECONDS
resumed=()
n=${#selected[@]}
i=0
for v in "${selected[@]}"; do
    i=$((i + 1))
    d=$(run_dir "$v")
    mkdir -p "$d"
    log=$d/bench.log
    make_cmd "$v"
    echo "ablation: [$i/$n] $v: $(quote_all "${cmd[@]}")" >&2
    t0=$SECONDS
    st=0
    # a new log for each run (write_new): a link planted at bench.log is
    # replaced, never written through
    write_new "$log" </dev/null
    "${cmd[@]}" >>"$log" 2>&1 || st=$?
    if [[ $st -eq 130 ]]; then
        again="run the same command again"
        if [[ $out_given -eq 0 ]]; then
            again="run the same command with --out $(quote "$out") again"
        fi
        echo "ablation.sh: interrupted in variant $v; the finished rounds are kept, $again to continue" >&2
        exit 130
    fi
    if [[ $st -ne 0 && $st -ne 4 ]]; then
        why=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 || true)
        echo "ablation.sh: variant $v failed (pairnet bench exit $st): ${why:-no message} (log: $log)" >&2
        exit 1
    fi
    if [[ ! -s $d/table2.csv || ! -s $d/table2.md ]]; then
        echo "ablation.sh: variant $v: pairnet bench wrote no table2.csv/table2.md in $d (log: $log)" >&2
        exit 1
    fi
    # rounds taken from the store: this variant was (partly) computed earlier
    if ! grep -q '^- rounds computed in this run: \([0-9]*\) of \1$' "$d/table2.md"; then
        resumed+=("$v")
    fi
    note=""
    if [[ $st -eq 4 ]]; then
        note=", some rounds diverged (counted apart)"
    fi
    echo "ablation: [$i/$n] $v done in $((SECONDS - t0)) s$note" >&2
done
wall=$((SECONDS - start))

# ---- ablation.md ------------------------------------------------------------------

# The value of column $3 in the row of model $2 of CSV $1 (columns by name,
# so that columns added to table2.csv later shift nothing).
csv_get() {
    awk -F, -v m="$2" -v k="$3" '
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; if (!(k in c)) exit 2; next }
        $1 == m { print $c[k]; found = 1; exit }
        END { if (!found) exit 1 }' <"$1" || {
        echo "ablation.sh: $1 has no column '$3' for model '$2' (pairnet older than this script?)" >&2
        exit 1
    }
}

# The cell of column $3 in the row of model $2 of the Markdown table of $1.
md_get() {
    awk -F'|' -v m="$2" -v k="$3" '
        function strip(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
        /^\| model \|/ { for (i = 2; i < NF; i++) c[strip($i)] = i; next }
        (k in c) && strip($2) == m { print strip($c[k]); found = 1; exit }
        END { if (!found) exit 1 }' <"$1" || {
        echo "ablation.sh: $1 has no '$3' for model '$2'" >&2
        exit 1
    }
}

# Percent "mean ± std" of two fractions; a dash when there is no mean.
pm() { awk -v m="$1" -v s="$2" 'BEGIN { if (m == "") print "—"; else printf "%.2f ± %.2f\n", 100 * m, 100 * s }'; }

# A count read from a table2.csv: digits, or the run is refused (bash
# would evaluate anything else in $(( )) or -gt, a[$(cmd)] included).
count() {
    [[ $2 =~ ^[0-9]+$ ]] || {
        echo "ablation.sh: $1: '$2' is not a count; the file is damaged: rerun that variant" >&2
        exit 1
    }
    printf '%s' "$2"
}
# A number read from a table2.csv (a fraction or seconds), or empty.
number() {
    [[ -z $2 || $2 =~ ^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$ ]] || {
        echo "ablation.sh: $1: '$2' is not a number; the file is damaged: rerun that variant" >&2
        exit 1
    }
    printf '%s' "$2"
}

duration() {
    local s=$1
    if ((s >= 3600)); then
        printf '%d s (%d h %02d min %02d s)' "$s" $((s / 3600)) $((s / 60 % 60)) $((s % 60))
    elif ((s >= 60)); then
        printf '%d s (%d min %02d s)' "$s" $((s / 60)) $((s % 60))
    else
        printf '%d s' "$s"
    fi
}

cpu=$(awk -F: '/^model name/ { sub(/^[ \t]+/, "", $2); gsub(/[ \t]+/, " ", $2); print $2; exit }' \
    /proc/cpuinfo 2>/dev/null || true)
cores=$(cpus || echo "?")
revisions=""
for v in "${selected[@]}"; do
    r=$(sed -n 's/^- revision: //p' "$(run_dir "$v")/table2.md" | head -n 1)
    if [[ -n $r && " $revisions " != *" $r "* ]]; then
        revisions+="${revisions:+ }$r"
    fi
done
# `make ablation` names itself through ABLATION_COMMAND.
command_line=${ABLATION_COMMAND:-$(quote_all "$invocation" "${orig_args[@]+"${orig_args[@]}"}")}
if [[ -n ${ABLATION_VARIANTS:-} && $command_line != *--variants* ]]; then
    command_line="ABLATION_VARIANTS=$(quote "$ABLATION_VARIANTS") $command_line"
fi

# The paired effect of every variant against REFERENCE over the seeds both
# finished, with the statistics of table2.md's paired effects (Holm over
# the variants, which the table tests together): computed by `pairnet
# compare`, one tab-separated line per variant in the order given; this
# script only places its cells.
declare -A paired_of
others=()
has_ref=0
for v in "${selected[@]}"; do
    if [[ $v == "$REFERENCE" ]]; then
        has_ref=1
    else
        others+=("$v")
    fi
done
if [[ $has_ref -eq 1 && ${#others[@]} -gt 0 ]]; then
    dirs=()
    for v in "${others[@]}"; do
        dirs+=("$(run_dir "$v")")
    done
    tsv=$("$bin" compare --models best --format tsv -- "${dirs[@]}" "$(run_dir "$REFERENCE")") || {
        echo "ablation.sh: pairnet compare of the variants with $REFERENCE failed (message above)" >&2
        exit 1
    }
    i=0
    # skip the header; columns: a b seeds mean ci95 p_t p_t_holm p_wilcoxon p_wilcoxon_holm a_b_tie
    while IFS=$'\t' read -r _ _ _ mean_d ci pt pth pw pwh _; do
        paired_of[${others[$i]}]="$mean_d|$ci|$pt|$pth|$pw|$pwh"
        i=$((i + 1))
    done < <(tail -n +2 <<<"$tsv")
fi

md=$out/ablation.md
tmp=$(new_temp "$md")
trap 'rm -f "$tmp"' EXIT
{
    echo "# Ablation of \`best\`"
    echo
    echo "- command: $(md_code "$command_line")"
    echo "- machine: $(md_text "${cpu:-unknown CPU}, $cores cores (nproc)")"
    echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    if [[ ${#resumed[@]} -gt 0 ]]; then
        joined=$(printf ', %s' "${resumed[@]}")
        echo "- wall time: $(duration "$wall") (this invocation; resumed from an earlier one: ${joined#, })"
    else
        echo "- wall time: $(duration "$wall")"
    fi
    echo "- pairnet revision: $(md_text "${revisions:-unknown}")"
    if [[ -n ${PAIRNET_DATA:-} ]]; then
        echo "- data: $(md_code "PAIRNET_DATA=$PAIRNET_DATA")"
    fi
    echo
    echo "Each variant is one \`pairnet bench --models best --eval-final\` with the options shown" \
        "(the preset otherwise). Test accuracy of the pairs in percent, mean ± sample standard" \
        "deviation over the rounds (diverged rounds left out and counted apart); Δ: the" \
        "paired effect of the variant against \`$REFERENCE\`: the mean per-seed difference of" \
        "test accuracy over the seeds both finished, in points, with its 95% confidence" \
        "interval and the two-sided p-values of the paired t-test and the exact Wilcoxon" \
        "signed-rank test, each beside its Holm adjustment over the variants of this table" \
        "(\`pairnet compare\`, the statistics of table2.md's paired effects;" \
        "docs/statistics.md); test digit acc: the digit tower's accuracy on the test images;" \
        "s/round: mean seconds per round. From each run's table2.csv, table2.md and runs.csv" \
        "in $(md_code "$out/ablation/<variant>/")."
    echo
    echo "| variant | options | what changes | test acc (%) mean ± std | Δ vs $REFERENCE (points) | 95% CI | paired t p | Holm t p | Wilcoxon p | Holm Wilcoxon p | test digit acc (%) mean ± std | s/round | rounds | command |"
    echo "|:---|:---|:---|---:|---:|:---:|---:|---:|---:|---:|---:|---:|---:|:---|"
    for v in "${selected[@]}"; do
        d=$(run_dir "$v")
        csv=$d/table2.csv
        mean=$(number "$csv" "$(csv_get "$csv" best test_mean)")
        std=$(number "$csv" "$(csv_get "$csv" best test_std)")
        dmean=$(number "$csv" "$(csv_get "$csv" best digit_mean)")
        dstd=$(number "$csv" "$(csv_get "$csv" best digit_std)")
        rounds=$(count "$csv" "$(csv_get "$csv" best rounds)")
        diverged=$(count "$csv" "$(csv_get "$csv" best diverged)")
        spr=$(md_get "$d/table2.md" best s/round)
        if [[ $v == "$REFERENCE" ]]; then
            paired="reference | — | — | — | — | —"
        elif [[ -n ${paired_of[$v]+x} ]]; then
            IFS='|' read -r mean_d ci pt pth pw pwh <<<"${paired_of[$v]}"
            paired="$mean_d | $ci | $pt | $pth | $pw | $pwh"
        else
            paired="— | — | — | — | — | —"
        fi
        if [[ ${diverged:-0} -gt 0 ]]; then
            rounds="$rounds (+$diverged diverged)"
        fi
        opts="(none)"
        if [[ -n ${opts_of[$v]} ]]; then
            opts=$(md_code "${opts_of[$v]}" cell)
        fi
        make_cmd "$v"
        # every cell escaped: a | in a path or a description must not
        # split the row
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(md_text "$v")" "$opts" \
            "$(md_text "${desc_of[$v]}")" "$(pm "$mean" "$std")" "$paired" "$(pm "$dmean" "$dstd")" \
            "$(md_text "$spr")" "$rounds" "$(md_code "$(quote_all "${cmd[@]}")" cell)"
    done
} >"$tmp"
commit_file "$tmp" "$md"
trap - EXIT
echo "ablation: wrote $md (${#selected[@]} variants, $(duration "$wall"))" >&2
