#!/usr/bin/env bash
# Table I of the study: a grid search over learning rate x batch size. Every
# (model, lr, batch size) cell is one single-threaded `pairnet bench` in its
# own folder, OUT/<model>/lr<X>_bs<Y>, evaluated at the end of each round.
# A bench keeps every finished round, so an interrupted grid resumes where
# it stopped, and a finished cell is not run again. The cells run here in
# parallel (GNU parallel if installed, which can also spread them over
# machines, else xargs -P), or as one Slurm job array (--slurm).
# Needs bash, coreutils and awk.
set -euo pipefail

me=grid.sh
here=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh" # LC_ALL=C, die_usage, die_line, cpus, quote, refuse_control, absolute, write_new, append_ok

usage() {
    cat <<'EOF'
usage: scripts/grid.sh [options] [-- extra pairnet bench arguments]

Runs `pairnet bench --eval-final` once per (model, learning rate, batch
size) cell, each in its own folder, and gathers them into Table I
(`pairnet table1 --grid`).

  --models LIST      comma-separated models (default: the study's five,
                     `pairnet models --study`)
  --lr "X ..."       learning rates (default "0.001 0.005 0.01 0.05 0.1")
  --bs "Y ..."       batch sizes (default "25 50 100 200")
  --rounds R         rounds per cell (default 15)
  --epochs E         epochs per round (default 45)
  --seed S           first seed: rounds use seeds S..S+R-1 (default 1000:
                     validation seeds, apart from Table II's test seeds
                     0..14; a cell chosen on the test seeds and reported on
                     them is optimistic, and Table I says so)
  --data DIR         MNIST folder (default $PAIRNET_DATA, else data/mnist);
                     every cell command carries it as an absolute path
  --jobs N           cells run at the same time here (default: number of CPUs)
  --out DIR          grid folder (default runs/grid-<date>); cell results go
                     to DIR/<model>/lr<X>_bs<Y>/, their log appended to bench.log
  --table1 FILE      also gather the cells into FILE (default DIR/table1.md)
  --bin PATH         the pairnet binary (default ./pairnet)
  --print            print one self-contained shell command per cell and exit
                     (absolute paths, --data included: for any scheduler)
  --sshloginfile F   with GNU parallel: spread the cells over the hosts in F
                     (they need the same paths, e.g. a shared file system)
  --slurm            submit the cells as one Slurm job array instead of
                     running them here; --wait waits for the array and then
                     gathers Table I
  --sbatch ARG       (with --slurm) one more argument for sbatch, passed as
                     it is; repeat it for more: --sbatch --partition=cpu
                     --sbatch --job-name='my grid' (a value holding several
                     options, "--partition=cpu --time=1:00:00", is refused)
  --force            rerun cells that already have their rounds
  -h, --help         this text

Lists may be separated by spaces or commas. Everything after `--` is passed
to every `pairnet bench` (for example: -- --aux-weight 2), except the
options the grid sets itself (--models, --lr, --bs, --rounds, --epochs,
--seed, --data, --out, --jobs, --eval-final, --list): those are refused
there; use the grid's own options.

Paths may hold any character but a newline, a tab or another control
character (refused): spaces, quotes, $, * and a leading - all work. The
commands are written with every word shell-quoted.

Examples:
  scripts/grid.sh --rounds 3 --epochs 10
  scripts/grid.sh --slurm --sbatch --partition=cpu --sbatch --time=2:00:00 --wait
  scripts/grid.sh --print | parallel --sshloginfile hosts.txt
EOF
}


models="" # the study's, asked of the binary once it is known
lrs="0.001 0.005 0.01 0.05 0.1"
bss="25 50 100 200"
rounds=15
epochs=45
seed=1000 # validation seeds: choose here, report on the test seeds 0..14
data=""
jobs=$(cpus || echo 1)
out=""
table1=""
bin=./pairnet
print=0
force=0
slurm=0
wait=0
sbatch_args=()
sshloginfile=""
extra=()

while [[ $# -gt 0 ]]; do
    # --opt=value is the same as --opt value.
    if [[ $1 == --*=* ]]; then
        set -- "${1%%=*}" "${1#*=}" "${@:2}"
    fi
    case $1 in
    --models | --lr | --bs | --rounds | --epochs | --seed | --data | --jobs | --out | --table1 | \
        --bin | --sshloginfile | --sbatch)
        [[ $# -ge 2 ]] || die_usage "$1 needs a value"
        refuse_control grid.sh "$1" "$2"
        case $1 in
        --models) models=$2 ;;
        --lr) lrs=$2 ;;
        --bs) bss=$2 ;;
        --rounds) rounds=$2 ;;
        --epochs) epochs=$2 ;;
        --seed) seed=$2 ;;
        --data) data=$2 ;;
        --jobs) jobs=$2 ;;
        --out) out=$2 ;;
        --table1) table1=$2 ;;
        --bin) bin=$2 ;;
        --sshloginfile) sshloginfile=$2 ;;
        --sbatch) sbatch_args+=("$2") ;;
        esac
        shift 2
        ;;
    --print) print=1; shift ;;
    --force) force=1; shift ;;
    --slurm) slurm=1; shift ;;
    --wait) wait=1; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) die_usage "unknown argument '$1'" ;;
    esac
done

# ---- validation: every mistake is reported before anything runs ----------

# The options each cell gets from the grid: given again after `--` they
# would override the cell's own (every cell the same --lr, one --out for
# all) and the grid would report what did not run.
for a in "${extra[@]+"${extra[@]}"}"; do
    refuse_control grid.sh "an argument after --" "$a"
    case ${a%%=*} in
    --models | --lr | --bs | --rounds | --epochs | --seed | --data | --out | --jobs | \
        --eval-final | --no-eval-final | --list | --no-list | -h | --help)
        die_line "${a%%=*} after -- would override what the grid sets in every cell;" \
            "give it to grid.sh itself, before --"
        ;;
    esac
done
# One sbatch argument per --sbatch: split at spaces, a value such as
# --job-name='my grid' lost its quoting. Several options in one value
# (the form before repeating) would reach sbatch as one word.
for a in "${sbatch_args[@]+"${sbatch_args[@]}"}"; do
    if [[ $a == -* && $a =~ [[:space:]]- ]]; then
        die_line "--sbatch '$a' holds several options; give one per --sbatch:" \
            "--sbatch ${a%%[[:space:]]*} --sbatch ..."
    fi
done

# The binary first: it knows the models and which cells are done.
if [[ $bin == */* ]]; then
    bin=$(absolute "$bin")
elif [[ $bin != -* ]] && command -v -- "$bin" >/dev/null 2>&1; then
    bin=$(command -v -- "$bin")
else
    bin=$(absolute "$bin")
fi
# (--print with --models needs no binary here: the cells may run elsewhere)
if [[ ( $print -eq 0 || -z $models ) && ( ! -f $bin || ! -x $bin ) ]]; then
    echo "grid.sh: '$bin' is not an executable file; build it with 'make' or pass --bin PATH" >&2
    exit 2
fi
if [[ -z $models ]]; then
    models=$("$bin" models --study | tr '\n' ' ') ||
        die_line "'$bin models --study' failed; is --bin a pairnet binary?"
fi

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
[[ $seed =~ ^[0-9]+$ ]] || die_usage "--seed must be a whole number, not '$seed'"
if [[ -n $sshloginfile && ( ! -f $sshloginfile || ! -r $sshloginfile ) ]]; then
    die_usage "--sshloginfile '$sshloginfile' is not a readable file"
fi
if [[ -n $sshloginfile && $print -eq 0 ]] && ! command -v parallel >/dev/null 2>&1; then
    die_usage "--sshloginfile needs GNU parallel, which is not installed"
fi
if [[ $slurm -eq 1 && -n $sshloginfile ]]; then
    die_usage "--slurm and --sshloginfile do not go together"
fi
if [[ $slurm -eq 0 && ( $wait -eq 1 || ${#sbatch_args[@]} -gt 0 ) ]]; then
    die_usage "--wait and --sbatch go with --slurm"
fi
if [[ $slurm -eq 1 && $print -eq 0 ]] && ! command -v sbatch >/dev/null 2>&1; then
    die_usage "--slurm needs sbatch (Slurm's client), which is not on PATH"
fi

# Absolute paths: the commands must work from any directory, on other hosts
# and in jobs that inherit no environment (sbatch --export=NONE, ssh).
[[ -n $out ]] || out=runs/grid-$(date -u +%Y%m%d-%H%M%S)
[[ $out == / ]] || out=${out%/}
out=$(absolute "$out")
if [[ -n $table1 ]]; then table1=$(absolute "$table1"); else table1=$out/table1.md; fi
[[ -z $sshloginfile ]] || sshloginfile=$(absolute "$sshloginfile")
[[ -n $data ]] || data=${PAIRNET_DATA:-data/mnist}
refuse_control grid.sh "--data (or PAIRNET_DATA)" "$data"
if [[ ! -d $data ]]; then
    echo "grid.sh: MNIST folder '$data' not found: run 'make data', or pass --data DIR" >&2
    exit 3
fi
data=$(CDPATH='' cd -- "$(absolute "$data")" && pwd)

extra_q=""
for a in "${extra[@]+"${extra[@]}"}"; do
    extra_q+=" $(quote "$a")"
done

cell_dir() { printf '%s/%s/lr%s_bs%s' "$out" "$1" "$2" "$3"; }

# The one command of a cell: self-contained (absolute paths, the data
# folder), its output into the cell's folder.
cell_command() {
    local d
    d=$(cell_dir "$1" "$2" "$3")
    printf '%s bench --models %s --lr %s --bs %s --rounds %s --epochs %s --seed %s --eval-final --jobs 1 --data %s --out %s%s' \
        "$(quote "$bin")" "$(quote "$1")" "$2" "$3" "$rounds" "$epochs" "$seed" \
        "$(quote "$data")" "$(quote "$d")" "$extra_q"
}

# cell_done DIR MODEL LR BS: whether the cell's round store (`pairnet bench
# --list`) holds, under this model, lr, batch size and epochs evaluated at
# the end, every seed the cell asks for (diverged rounds count: bench does
# not rerun them). Rounds of another protocol or numeric version are not
# reused by bench, so not counted here either.
cell_done() {
    local list
    [[ -d $1 ]] || return 1
    list=$("$bin" bench --list --out "$1" 2>/dev/null) || return 1
    awk -v m="$2" -v lr="$3" -v bs="$4" -v e="$epochs" -v s="$seed" -v r="$rounds" '
        function field(name,    i) {
            for (i = 2; i <= NF; i++) if (index($i, name "=") == 1) return substr($i, length(name) + 2)
            return ""
        }
        $1 == m && field("lr") + 0 == lr + 0 && field("bs") == bs && field("epochs") == e &&
        field("eval") == "final" && !/another protocol/ {
            t = $0; sub(/.*, seeds? /, "", t); sub(/ .*/, "", t)
            n = split(t, part, ","); got = 0
            for (i = 1; i <= n; i++) {
                lo = hi = part[i]
                if (index(part[i], "-")) { split(part[i], ab, "-"); lo = ab[1]; hi = ab[2] }
                a = (lo + 0 > s + 0) ? lo + 0 : s + 0; b = (hi + 0 < s + r - 1) ? hi + 0 : s + r - 1
                if (b >= a) got += b - a + 1
            }
            if (got == r) ok = 1
        }
        END { exit !ok }' <<<"$list"
}

if [[ $print -eq 1 ]]; then
    for m in "${model_list[@]}"; do
        for lr in "${lr_list[@]}"; do
            for bs in "${bs_list[@]}"; do
                d=$(cell_dir "$m" "$lr" "$bs")
                log=$(quote "$d/bench.log")
                # the check of append_ok, in sh: a planted link is refused,
                # never appended to (false, not exit: the line may be pasted)
                # shellcheck disable=SC2016 # the $(...) is for sh, not here
                printf 'mkdir -p %s && { test -z "$(find %s -prune \\( ! -type f -o -links +1 \\) 2>/dev/null)" || { echo %s >&2; false; }; } && %s >>%s 2>&1\n' \
                    "$(quote "$d")" "$log" \
                    "$(quote "grid: refusing to append to $d/bench.log: it is a symbolic link, not a regular file or has another hard link; move it away")" \
                    "$(cell_command "$m" "$lr" "$bs")" "$log"
            done
        done
    done
    exit 0
fi

# ---- the grid's files ------------------------------------------------------
# OUT/cells.tsv     n, model, lr, bs, folder of every cell
# OUT/cells.txt     the command of cell n on line n
# OUT/todo.txt      the cells still to run, one number a line
# OUT/run-cell.sh   runs cell n: appends to its bench.log
# OUT/slurm-job.sh  (--slurm) the array job: task i runs line i+1 of todo.txt

mkdir -p "$out"
tsv="" txt="" todo_list=""
total=0
for m in "${model_list[@]}"; do
    for lr in "${lr_list[@]}"; do
        for bs in "${bs_list[@]}"; do
            total=$((total + 1))
            d=$(cell_dir "$m" "$lr" "$bs")
            # refused here, before any cell runs, rather than by its task
            append_ok grid.sh "$d/bench.log" || exit 2
            tsv+=$(printf '%s\t%s\t%s\t%s\t%s' "$total" "$m" "$lr" "$bs" "$d")$'\n'
            txt+=$(cell_command "$m" "$lr" "$bs")$'\n'
            if [[ $force -eq 1 ]] || ! cell_done "$d" "$m" "$lr" "$bs"; then
                todo_list+=$total$'\n'
            fi
        done
    done
done
# new files renamed into place (write_new): a link planted at any of these
# names is replaced, never written through
printf '%s' "$tsv" | write_new "$out/cells.tsv"
printf '%s' "$txt" | write_new "$out/cells.txt"
printf '%s' "$todo_list" | write_new "$out/todo.txt"
todo=$(wc -l <"$out/todo.txt")
# the grid's clock, for Table I's wall time (kept across reruns; anything
# but a regular file of ours is replaced)
[[ -f $out/start && ! -L $out/start && -s $out/start ]] || date +%s | write_new "$out/start"

# run-cell.sh and slurm-job.sh are made anew by every run (write_new -x):
# one planted in the folder is replaced, never run as it is.
run_cell_script() {
    cat <<'EOF'
#!/usr/bin/env bash
# Runs cell N of this grid (line N of cells.txt), appending to its bench.log.
set -uo pipefail
export LC_ALL=C
EOF
    # the file helpers of scripts/lib.sh, so that this script stands alone
    declare -f not_option append_ok
    cat <<'EOF'
grid=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
n=${1:-}
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "run-cell.sh: usage: run-cell.sh N" >&2; exit 2; }
IFS=$'\t' read -r _ model lr bs dir < <(sed -n "${n}p" "$grid/cells.tsv")
cmd=$(sed -n "${n}p" "$grid/cells.txt")
[[ -n $cmd && -n ${dir:-} ]] || { echo "run-cell.sh: no cell $n in $grid/cells.txt" >&2; exit 2; }
mkdir -p "$dir"
# bench.log is kept across reruns, so appended to: a link is refused
append_ok run-cell.sh "$dir/bench.log" || exit 2
echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) $(hostname): $cmd" >>"$dir/bench.log"
bash -c "$cmd" >>"$dir/bench.log" 2>&1
rc=$?
name="$model lr=$lr bs=$bs"
if [[ $rc -eq 130 ]]; then
    echo "grid: interrupted $name (its finished rounds are kept)" >&2
    exit 130
elif [[ $rc -ne 0 ]]; then
    echo "grid: FAILED $name (exit $rc; see $dir/bench.log)" >&2
    exit "$rc"
fi
echo "grid: done $name" >&2
exit 0
EOF
}
run_cell_script | write_new -x "$out/run-cell.sh"

gather() {
    mkdir -p -- "$(dirname -- "$table1")" && "$bin" table1 --grid "$out" --md "$table1"
}

cells_finished() {
    local k=0 d
    while IFS=$'\t' read -r _ m lr bs d; do
        if cell_done "$d" "$m" "$lr" "$bs"; then k=$((k + 1)); fi
    done <"$out/cells.tsv"
    echo "$k"
}

# ---- Slurm: one job array -------------------------------------------------

if [[ $slurm -eq 1 ]]; then
    if [[ $todo -eq 0 ]]; then
        echo "grid: all $total cells are done; gathering Table I" >&2
        gather
        exit
    fi
    # No path in an #SBATCH line: sbatch reads those unquoted, so a space
    # is an "Invalid directive". The job finds its grid through a quoted
    # assignment and writes its own log there: Slurm reads an --output
    # path as a pattern, so a % or \ in a folder name would move it.
    {
        cat <<'EOF'
#!/usr/bin/env bash
#SBATCH --job-name=pairnet-grid
#SBATCH --cpus-per-task=1
# Task i (0-based) of the array runs line i+1 of todo.txt. No pipe: the
# cell's exit status is the task's.
set -euo pipefail
export LC_ALL=C
EOF
        # the file helpers of scripts/lib.sh: the task's log is a new file
        declare -f new_temp commit_file write_new
        printf 'grid=%s\n' "$(quote "$out")"
        cat <<'EOF'
log=$grid/slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}.out
write_new "$log" </dev/null
exec >>"$log" 2>&1
n=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" "$grid/todo.txt")
[[ -n $n ]] || { echo "no cell for task $SLURM_ARRAY_TASK_ID in $grid/todo.txt" >&2; exit 2; }
exec "$grid/run-cell.sh" "$n"
EOF
    } | write_new -x "$out/slurm-job.sh"
    wait_opt=()
    [[ $wait -eq 1 ]] && wait_opt=(--wait)
    echo "grid: $total cells, $((total - todo)) already done, submitting $todo as a Slurm job array" >&2
    set +e
    job=$(sbatch --parsable --array="0-$((todo - 1))" --chdir="$out" --output=/dev/null \
        "${sbatch_args[@]+"${sbatch_args[@]}"}" "${wait_opt[@]+"${wait_opt[@]}"}" \
        "$out/slurm-job.sh")
    status=$?
    set -e
    job=${job%%;*}
    if [[ $wait -eq 0 ]]; then
        [[ $status -eq 0 ]] || { echo "grid: sbatch failed (exit $status)" >&2; exit 1; }
        echo "grid: submitted job array $job ($todo cells; logs $out/slurm-${job}_*.out);" \
            "when it has finished, run the same command again to gather Table I" >&2
        exit 0
    fi
    done_now=$(cells_finished)
    if [[ $status -ne 0 ]]; then
        echo "grid: job array $job: $done_now of $total cells finished, some tasks failed" \
            "(their logs: $out/slurm-${job}_*.out); rerun the same command to retry them" >&2
        gather || true
        exit 1
    fi
    echo "grid: job array $job finished: $done_now of $total cells" >&2
    gather
    exit
fi

# ---- here: GNU parallel or xargs -P ----------------------------------------

echo "grid: $total cells, $((total - todo)) already done, $todo to run, $jobs at a time; output in $out" >&2
status=0
if [[ $todo -gt 0 ]]; then
    interrupted=0
    trap 'interrupted=1' INT TERM
    if command -v parallel >/dev/null 2>&1; then
        # parallel opens its joblog following links: a new file of ours
        write_new "$out/joblog.txt" </dev/null
        popts=(--jobs "$jobs" --joblog "$out/joblog.txt")
        if [[ -n $sshloginfile ]]; then
            popts+=(--sshloginfile "$sshloginfile")
        fi
        # parallel runs its command through a shell: one quoted word
        parallel "${popts[@]}" "$(quote "$out/run-cell.sh")" <"$out/todo.txt" || status=$?
    else
        xargs -P "$jobs" -n 1 "$out/run-cell.sh" <"$out/todo.txt" || status=$?
    fi
    trap - INT TERM
    if [[ $interrupted -eq 1 ]]; then
        echo "grid: interrupted: $(cells_finished) of $total cells finished; rerun the same" \
            "command to continue" >&2
        exit 130
    fi
fi

if [[ $status -ne 0 ]]; then
    echo "grid: some cells failed (see 'grid: FAILED' above); Table I is built from the others" >&2
fi
gather || status=1
exit $((status != 0))
