#!/usr/bin/env bash
# Table I of the study: a grid search over learning rate x batch size. Every
# (model, lr, batch size) cell is one single-threaded `pairnet bench` run in
# its own directory, OUT/<model>/lr<X>_bs<Y>; the cells run in parallel
# (GNU parallel if installed, which can also spread them over machines,
# else xargs -P) and scripts/table1.sh gathers them at the end. A cell that
# already finished with the same rounds and epochs is skipped, so an
# interrupted grid resumes where it stopped. Needs bash, coreutils and awk.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
    cat <<'EOF'
usage: scripts/grid.sh [options] [-- extra pairnet bench arguments]

Runs `pairnet bench` once per (model, learning rate, batch size) cell and
writes Table I with scripts/table1.sh.

  --models LIST      comma-separated models (default mlp,cnn,cnn_ws,cnn_al,cnn_ws_al)
  --lr "X ..."       learning rates (default "0.001 0.005 0.01 0.05 0.1")
  --bs "Y ..."       batch sizes (default "25 50 100 200")
  --rounds R         rounds per cell (default 15)
  --epochs E         epochs per round (default 45)
  --jobs N           cells run at the same time (default: number of CPUs)
  --out DIR          grid directory (default results/grid); cell results go
                     to DIR/<model>/lr<X>_bs<Y>/ with their log in bench.log
  --table1 FILE      where Table I goes (default results/table1.md)
  --bin PATH         the pairnet binary (default ./pairnet)
  --print            print one shell command per cell and exit (for Slurm
                     arrays or any other scheduler); paths are absolute
  --sshloginfile F   with GNU parallel: spread the cells over the hosts in F
                     (they need the same paths, e.g. a shared file system)
  --force            rerun cells that already have a table2.csv
  -h, --help         this text

Lists may be separated by spaces or commas. Everything after `--` is passed
to every `pairnet bench` (for example: -- --seed 7).

Examples:
  scripts/grid.sh --rounds 3 --epochs 10
  scripts/grid.sh --print > cells.txt   # then, in a Slurm array job:
      sed -n "${SLURM_ARRAY_TASK_ID}p" cells.txt | bash
EOF
}

die_usage() {
    echo "grid.sh: $*" >&2
    echo "grid.sh: see scripts/grid.sh --help" >&2
    exit 2
}

cpus() { nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1; }

models="mlp,cnn,cnn_ws,cnn_al,cnn_ws_al"
lrs="0.001 0.005 0.01 0.05 0.1"
bss="25 50 100 200"
rounds=15
epochs=45
jobs=$(cpus)
out=results/grid
table1=results/table1.md
bin=./pairnet
print=0
force=0
sshloginfile=""
extra=()

while [[ $# -gt 0 ]]; do
    # --opt=value is the same as --opt value.
    if [[ $1 == --*=* ]]; then
        set -- "${1%%=*}" "${1#*=}" "${@:2}"
    fi
    case $1 in
    --models | --lr | --bs | --rounds | --epochs | --jobs | --out | --table1 | --bin | --sshloginfile)
        [[ $# -ge 2 ]] || die_usage "$1 needs a value"
        case $1 in
        --models) models=$2 ;;
        --lr) lrs=$2 ;;
        --bs) bss=$2 ;;
        --rounds) rounds=$2 ;;
        --epochs) epochs=$2 ;;
        --jobs) jobs=$2 ;;
        --out) out=$2 ;;
        --table1) table1=$2 ;;
        --bin) bin=$2 ;;
        --sshloginfile) sshloginfile=$2 ;;
        esac
        shift 2
        ;;
    --print) print=1; shift ;;
    --force) force=1; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) die_usage "unknown argument '$1'" ;;
    esac
done

# ---- validation: every mistake is reported before anything runs ----------

split_list() { tr ',' ' ' <<<"$1"; }
read -r -a model_list <<<"$(split_list "$models")"
read -r -a lr_list <<<"$(split_list "$lrs")"
read -r -a bs_list <<<"$(split_list "$bss")"

[[ ${#model_list[@]} -gt 0 ]] || die_usage "--models is empty"
[[ ${#lr_list[@]} -gt 0 ]] || die_usage "--lr is empty"
[[ ${#bs_list[@]} -gt 0 ]] || die_usage "--bs is empty"
for m in "${model_list[@]}"; do
    [[ $m =~ ^[A-Za-z0-9_]+$ ]] || die_usage "bad model name '$m'"
done
for x in "${lr_list[@]}"; do
    [[ $x =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$ && ! $x =~ ^[0.]+([eE].*)?$ ]] ||
        die_usage "bad learning rate '$x' (want a positive number such as 0.01)"
done
for v in "${bs_list[@]}"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || die_usage "bad batch size '$v' (want a positive integer)"
done
for pair in "--rounds:$rounds" "--epochs:$epochs" "--jobs:$jobs"; do
    [[ ${pair#*:} =~ ^[1-9][0-9]*$ ]] || die_usage "${pair%%:*} must be a positive integer, not '${pair#*:}'"
done
if [[ -n $sshloginfile && ! -r $sshloginfile ]]; then
    die_usage "--sshloginfile '$sshloginfile' is not a readable file"
fi
if [[ -n $sshloginfile && $print -eq 0 ]] && ! command -v parallel >/dev/null 2>&1; then
    die_usage "--sshloginfile needs GNU parallel, which is not installed"
fi

# Absolute paths: the commands must work from any directory and on other
# hosts (--print, --sshloginfile).
absolute() { if [[ $1 == /* ]]; then printf '%s' "$1"; else printf '%s/%s' "$PWD" "${1#./}"; fi; }
out=$(absolute "${out%/}")
if [[ $bin == */* ]]; then
    bin=$(absolute "$bin")
elif command -v "$bin" >/dev/null 2>&1; then
    bin=$(command -v "$bin")
fi

# Shell quoting that any POSIX shell reads back (printf %q is bash-only).
quote() {
    if [[ $1 =~ ^[A-Za-z0-9_./:=+,@%-]+$ ]]; then
        printf '%s' "$1"
    else
        printf "'%s'" "${1//\'/\'\\\'\'}"
    fi
}

extra_q=""
for a in "${extra[@]+"${extra[@]}"}"; do
    extra_q+=" $(quote "$a")"
done

cell_dir() { printf '%s/%s/lr%s_bs%s' "$out" "$1" "$2" "$3"; }

# The one command of a cell: its directory, the run, its log.
cell_command() {
    local d
    d=$(cell_dir "$1" "$2" "$3")
    printf 'mkdir -p %s && %s bench --models %s --lr %s --bs %s --rounds %s --epochs %s --jobs 1 --out %s%s >%s 2>&1' \
        "$(quote "$d")" "$(quote "$bin")" "$(quote "$1")" "$2" "$3" "$rounds" "$epochs" \
        "$(quote "$d")" "$extra_q" "$(quote "$d/bench.log")"
}

# A cell is done when its table2.csv accounts for the requested rounds and
# epochs (a run with other settings is not reused).
cell_done() {
    local csv
    csv="$(cell_dir "$1" "$2" "$3")/table2.csv"
    [[ -s $csv ]] || return 1
    awk -F, -v r="$rounds" -v e="$epochs" '
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        NF > 1 { ok = ($c["epochs"] == e && $c["rounds"] + $c["diverged"] == r) }
        END { exit !ok }' "$csv"
}

if [[ $print -eq 1 ]]; then
    for m in "${model_list[@]}"; do
        for lr in "${lr_list[@]}"; do
            for bs in "${bs_list[@]}"; do
                cell_command "$m" "$lr" "$bs"
                echo
            done
        done
    done
    exit 0
fi

# ---- run -------------------------------------------------------------------

if [[ ! -f $bin || ! -x $bin ]]; then
    echo "grid.sh: '$bin' is not an executable file; build it with 'make' or pass --bin PATH" >&2
    exit 2
fi

mkdir -p "$out"
cmds=$(mktemp "${TMPDIR:-/tmp}/pairnet-grid.XXXXXX")
trap 'rm -f "$cmds"' EXIT

total=0
skipped=0
for m in "${model_list[@]}"; do
    for lr in "${lr_list[@]}"; do
        for bs in "${bs_list[@]}"; do
            total=$((total + 1))
            if [[ $force -eq 0 ]] && cell_done "$m" "$lr" "$bs"; then
                skipped=$((skipped + 1))
                continue
            fi
            name="$m lr=$lr bs=$bs"
            log=$(cell_dir "$m" "$lr" "$bs")/bench.log
            # Each cell reports when it ends, so a long grid shows progress.
            printf '%s && echo "grid: done   %s" >&2 || { echo "grid: FAILED %s (see %s)" >&2; exit 1; }\n' \
                "$(cell_command "$m" "$lr" "$bs")" "$name" "$name" "$(quote "$log")" >>"$cmds"
        done
    done
done

todo=$((total - skipped))
echo "grid: $total cells, $skipped already done, $todo to run, $jobs at a time; output in $out" >&2
status=0
if [[ $todo -gt 0 ]]; then
    if command -v parallel >/dev/null 2>&1; then
        popts=(--jobs "$jobs" --joblog "$out/joblog.txt")
        if [[ -n $sshloginfile ]]; then
            popts+=(--sshloginfile "$sshloginfile")
        fi
        parallel "${popts[@]}" <"$cmds" || status=$?
    else
        tr '\n' '\0' <"$cmds" | xargs -0 -n 1 -P "$jobs" bash -c || status=$?
    fi
fi

if [[ $status -ne 0 ]]; then
    echo "grid: some cells failed (exit status $status); Table I is built from the others" >&2
fi
"$here/table1.sh" "$out" "$table1" || status=1
exit $((status != 0))
