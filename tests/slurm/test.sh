#!/usr/bin/env bash
# make test-slurm: the grid as a real Slurm job array on a throw-away
# single-node cluster (tests/slurm/cluster.sh), against the same cells run
# here. Installs Debian's Slurm and munge when they are missing; where that
# cannot be done (not root, no apt), the tests are skipped and counted as
# such. The grids go into a folder whose name has a space, a quote, %j and
# a backslash (a path sbatch must not read as a directive or a filename
# pattern). Ends with "N passed, N failed, N skipped".
#   tests/slurm/test.sh [PAIRNET_BIN]      (MNIST from $PAIRNET_DATA)
set -uo pipefail
cd -- "$(dirname -- "$0")/../.." || exit 1
bin=$(cd "$(dirname "${1:-./pairnet}")" && pwd)/$(basename "${1:-./pairnet}")
data=${PAIRNET_DATA:-data/mnist}
passed=0 failed=0 skipped=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; shift; for l in "$@"; do echo "  $l"; done; failed=$((failed + 1)); }
skip_all() {
    for t in slurm_array_matches_local_run slurm_array_without_environment slurm_failing_cell_fails_the_job; do
        echo "skip $t ($1)"
        skipped=$((skipped + 1))
    done
    echo "$passed passed, $failed failed, $skipped skipped"
    exit 0
}

have_slurm() { command -v slurmctld && command -v slurmd && command -v sbatch && command -v munged; } >/dev/null 2>&1
if ! have_slurm; then
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        skip_all "Slurm is not installed and cannot be installed here (needs root and apt-get)"
    fi
    echo "installing slurmctld slurmd slurm-client munge (apt-get)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends slurmctld slurmd slurm-client munge; } >/dev/null 2>&1 ||
        skip_all "apt-get could not install Slurm"
    have_slurm || skip_all "Slurm still missing after apt-get"
fi
[[ $(id -u) -eq 0 ]] || skip_all "the local cluster runs its daemons as root"
[[ -x $bin ]] || { fail slurm_setup "no pairnet binary at $bin"; echo "$passed passed, $failed failed, $skipped skipped"; exit 1; }
[[ -d $data ]] || { fail slurm_setup "no MNIST in $data"; echo "$passed passed, $failed failed, $skipped skipped"; exit 1; }

tmp=$(mktemp -d /tmp/pairnet-slurm.XXXXXX)
cluster=$tmp/cluster
teardown() { tests/slurm/cluster.sh down "$cluster" >/dev/null 2>&1; rm -rf "$tmp"; }
trap teardown EXIT
trap 'exit 130' INT TERM
if ! conf=$(timeout 60 tests/slurm/cluster.sh up "$cluster" 2>"$tmp/up.log"); then
    fail slurm_cluster_up "$(tail -n 3 "$tmp/up.log")"
    echo "$passed passed, $failed failed, $skipped skipped"
    exit 1
fi
export SLURM_CONF=$conf

# shellcheck disable=SC2054 # the commas are in one argument
grid=(scripts/grid.sh --models mlp --lr 0.01,0.05 --bs 50,100 --rounds 1 --epochs 1 --data "$data" --bin "$bin")
runs="$tmp/my runs 'q' 100%j \\x"
mkdir -p "$runs"

# 1. the array runs every cell once, and each cell equals the local run
if timeout 300 "${grid[@]}" --out "$runs/local" --jobs 2 >"$tmp/local.log" 2>&1 &&
    timeout 300 "${grid[@]}" --out "$runs/array" --slurm --wait >"$tmp/array.log" 2>&1; then
    diffs=()
    for csv in "$runs"/local/*/*/table2.csv; do
        rel=${csv#"$runs/local/"}
        cmp -s "$csv" "$runs/array/$rel" || diffs+=("$rel differs or is missing")
    done
    n_local=$(find "$runs/local" -name table2.csv | wc -l)
    n_out=$(find "$runs/array" -maxdepth 1 -name 'slurm-*_*.out' | wc -l)
    [[ $n_local -eq 4 ]] || diffs+=("$n_local local cells, expected 4")
    [[ $n_out -eq 4 ]] || diffs+=("$n_out array task logs, expected 4")
    if [[ ${#diffs[@]} -eq 0 ]]; then ok slurm_array_matches_local_run; else fail slurm_array_matches_local_run "${diffs[@]}"; fi
else
    fail slurm_array_matches_local_run "$(tail -n 3 "$tmp/local.log" "$tmp/array.log")"
fi

# 2. a job with no environment at all (sbatch --export=NONE): the cell
#    commands carry their data folder and paths; a --sbatch value with a
#    space reaches sbatch as one argument (split, "grid" would be the script)
if timeout 300 "${grid[@]}" --lr 0.1 --bs 50 --out "$runs/noenv" --slurm --wait \
    --sbatch --export=NONE --sbatch --job-name='my grid' >"$tmp/noenv.log" 2>&1 &&
    [[ -s $runs/noenv/mlp/lr0.1_bs50/table2.csv ]]; then
    ok slurm_array_without_environment
else
    fail slurm_array_without_environment "$(tail -n 3 "$tmp/noenv.log")"
fi

# 3. a failing cell fails its task, the job, and grid.sh (never exit 0)
timeout 300 "${grid[@]}" --lr 0.1 --bs 50 --out "$runs/bad" --slurm --wait -- --aux-weight -1 \
    >"$tmp/bad.log" 2>&1
st=$?
if [[ $st -ne 0 && $st -ne 124 ]] && grep -q 'some tasks failed' "$tmp/bad.log"; then
    ok slurm_failing_cell_fails_the_job
else
    fail slurm_failing_cell_fails_the_job "grid.sh exited $st" "$(tail -n 3 "$tmp/bad.log")"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
