#!/usr/bin/env bash
# Old against new, interleaved: runs two perf binaries alternately (A B A B
# ...) so that both see the same load, and prints, per model, the best and
# the median over the rounds of each one's s/epoch (itself the median of
# the epochs of a run), and new/old of both.
#   bench/ab.sh OLD_PERF NEW_PERF [threads] [rounds] [epochs] [model]
# defaults: 2 threads, 5 rounds, 7 epochs, every model. Example, with the
# old binary built from another checkout (make BUILD=build-old build-old/perf):
#   bench/ab.sh ../old/build-old/perf build/perf 1 7
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 OLD_PERF NEW_PERF [threads] [rounds] [epochs] [model]" >&2; exit 2; }
old=$1 new=$2 threads=${3:-2} rounds=${4:-5} epochs=${5:-7} model=${6:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((r = 0; r < rounds; r++)); do
    for side in old new; do
        bin=$old
        [[ $side == new ]] && bin=$new
        # the table rows: model, bs, s/epoch, ...
        "$bin" "$threads" "$epochs" $model | awk -v s="$side" \
            '/^model /{t=1; next} t && NF==8 {print s, $1, $3} /^$/{t=0}' >>"$tmp/all"
    done
done
echo "$threads thread(s), $rounds interleaved rounds of $epochs epochs; s/epoch best and median"
printf "%-10s %10s %10s %10s %10s %8s %8s\n" model "old best" "new best" "old med" "new med" \
    new/old "(median)"
awk '{ v[$1" "$2] = v[$1" "$2] " " $3; m[$2] = 1 }
function stats(list, out,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    out["best"] = a[1]; out["med"] = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
END {
    for (k in m) {
        stats(v["old " k], o); stats(v["new " k], n)
        printf "%-10s %10.4f %10.4f %10.4f %10.4f %8.3f %8.3f\n", k, o["best"], n["best"], o["med"], n["med"], n["best"] / o["best"], n["med"] / o["med"]
    }
}' "$tmp/all" | sort
