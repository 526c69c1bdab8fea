#!/usr/bin/env bash
# Table I of the study: the grid search over learning rate x batch size.
# Gathers DIR/*/*/table2.csv (one per grid cell, as scripts/grid.sh lays
# them out: DIR/<model>/lr<X>_bs<Y>/table2.csv) into one Markdown file:
# the best (lr, batch size) per model by mean test accuracy, then the whole
# grid of each model. Needs bash, coreutils and awk only.
set -euo pipefail
here=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh" # LC_ALL=C, refuse_control, md_code, AWK_ESCAPES, new_temp

usage() {
    cat <<'EOF'
usage: scripts/table1.sh [--] DIR [OUT]

Gathers every DIR/*/*/table2.csv written by `pairnet bench` (one per grid
cell, see scripts/grid.sh) into OUT (default results/table1.md):
  - per model, the best (learning rate, batch size) by mean test accuracy;
  - per model, the full grid: rows = learning rate, columns = batch size,
    cells = test accuracy (%) mean ± std over the rounds.

DIR and OUT may be any path without a newline, tab or other control
character (after --, also one starting with -).
EOF
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
dir=$1
[[ $dir == / ]] || dir=${dir%/}
out=$(not_option "${2:-results/table1.md}")
if [[ ! -d $dir ]]; then
    echo "table1.sh: '$dir' is not a directory (pass the --out of scripts/grid.sh)" >&2
    exit 2
fi

shopt -s nullglob
# "./" before a relative DIR: awk takes an operand such as a=b/... for an
# assignment, not a file
fdir=$dir
[[ $fdir == /* ]] || fdir=./$fdir
files=("$fdir"/*/*/table2.csv)
if [[ ${#files[@]} -eq 0 ]]; then
    echo "table1.sh: no grid cell in '$dir' (expected $dir/<model>/lr<X>_bs<Y>/table2.csv;" \
        "run scripts/grid.sh first)" >&2
    exit 1
fi

# The awk program. Columns are found by name in each header, so a column
# added to table2.csv later does not shift anything. Fractions become
# percent here. Only POSIX awk (mawk, gawk, busybox): no asort, no
# length(array).
read -r -d '' prog <<'AWK' || true
function need(name) {
    if (!(name in col)) {
        printf "table1.sh: %s: no column \047%s\047 in the header\n", FILENAME, name > "/dev/stderr"
        bad = 1
        exit 1
    }
    return col[name]
}
function add_unique(list, n, v,    i) {        # returns the new count
    for (i = 1; i <= n; i++) if (list[i] == v) return n
    list[n + 1] = v
    return n + 1
}
function sort_numeric(list, n,    i, j, v) {     # insertion sort, ascending
    for (i = 2; i <= n; i++) {
        v = list[i]
        for (j = i - 1; j >= 1 && list[j] + 0 > v + 0; j--) list[j + 1] = list[j]
        list[j + 1] = v
    }
}
function pm(mean, std) { return sprintf("%.2f ± %.2f", 100 * mean, 100 * std) }
function has_mean(k) { return tm[k] != "" && rounds[k] + 0 > 0 }
function cell(k,    s) {
    if (!(k in tm)) return "—"
    if (!has_mean(k)) return "all " md_text(diverged[k]) " diverged"
    s = pm(tm[k], ts[k])
    if (k == best[km[k]]) s = "**" s "**"
    if (diverged[k] + 0 > 0) s = s " (" diverged[k] + 0 " div.)"
    return s
}
BEGIN { FS = ","; nm = 0; nlr = 0; nbs = 0; ncanon = split("mlp cnn cnn_ws cnn_al cnn_ws_al", canon, " "); src = ENVIRON["T1_SRC"] }
FNR == 1 {
    for (c in col) delete col[c]
    for (i = 1; i <= NF; i++) col[$i] = i
    cm = need("model"); clr = need("lr"); cbs = need("bs"); ctm = need("test_mean")
    cts = need("test_std"); ctrm = need("train_mean"); ctrs = need("train_std")
    cr = need("rounds"); cd = need("diverged"); ce = need("epochs")
    next
}
NF > 1 {
    m = $cm; lr = $clr + 0; bs = $cbs + 0
    k = m SUBSEP lr SUBSEP bs
    if (k in tm)
        printf "table1.sh: %s: cell %s lr=%s bs=%s seen twice, keeping this one\n", FILENAME, m, lr, bs > "/dev/stderr"
    tm[k] = $ctm; ts[k] = $cts; trm[k] = $ctrm; trs[k] = $ctrs
    rounds[k] = $cr; diverged[k] = $cd; km[k] = m
    if (!(m in seen_model)) { seen_model[m] = 1; order[++nm] = m }
    nlr = add_unique(lrs, nlr, lr); nbs = add_unique(bss, nbs, bs)
    ncells++
    if (!((($cr + $cd) SUBSEP $ce) in seen_re)) { seen_re[($cr + $cd) SUBSEP $ce] = 1; nre++; re_r = $cr + $cd; re_e = $ce }
}
END {
    if (bad) exit 1
    sort_numeric(lrs, nlr); sort_numeric(bss, nbs)
    # Canonical models first, in the study's order; others as found.
    n = 0
    for (i = 1; i <= ncanon; i++) if (canon[i] in seen_model) { models[++n] = canon[i]; placed[canon[i]] = 1 }
    for (i = 1; i <= nm; i++) if (!(order[i] in placed)) models[++n] = order[i]
    # Best cell per model; ties go to the smaller lr, then the smaller bs.
    for (i = 1; i <= n; i++)
        for (a = 1; a <= nlr; a++)
            for (b = 1; b <= nbs; b++) {
                k = models[i] SUBSEP lrs[a] SUBSEP bss[b]
                if ((k in tm) && has_mean(k) && (!(models[i] in best) || tm[k] + 0 > tm[best[models[i]]] + 0))
                    best[models[i]] = k
            }

    print "# Table I: grid search over learning rate and batch size"
    print ""
    how = (nre == 1) ? sprintf("%d rounds of %d epochs per cell", re_r, re_e) : "rounds and epochs differ between cells"
    printf "Test accuracy (%%), mean ± sample standard deviation over the rounds; %s; %d cells from %s. ", how, ncells, src
    print "The best cell of each model (highest mean test accuracy) is in bold; rounds that diverged are left out of the means and counted in parentheses."
    print ""
    print "## Best learning rate and batch size per model"
    print ""
    print "| model | lr | batch size | test acc (%) mean ± std | train acc (%) mean ± std | rounds |"
    print "|:---|---:|---:|---:|---:|---:|"
    for (i = 1; i <= n; i++) {
        m = models[i]
        if (!(m in best)) { printf "| %s | — | — | every cell diverged | — | — |\n", md_text(m); continue }
        k = best[m]; split(k, p, SUBSEP)
        r = rounds[k] + 0; if (diverged[k] + 0 > 0) r = r " (+" diverged[k] + 0 " diverged)"
        printf "| %s | %s | %s | %s | %s | %s |\n", md_text(m), p[2], p[3], pm(tm[k], ts[k]), pm(trm[k], trs[k]), r
    }
    for (i = 1; i <= n; i++) {
        m = models[i]
        printf "\n## %s\n\n| lr \\ batch size |", md_text(m)
        for (b = 1; b <= nbs; b++) printf " %s |", bss[b]
        printf "\n|:---|"
        for (b = 1; b <= nbs; b++) printf "---:|"
        printf "\n"
        for (a = 1; a <= nlr; a++) {
            printf "| %s |", lrs[a]
            for (b = 1; b <= nbs; b++) printf " %s |", cell(m SUBSEP lrs[a] SUBSEP bss[b])
            printf "\n"
        }
    }
}
AWK

mkdir -p -- "$(dirname -- "$out")"
# Written next to OUT and renamed, so a reader never sees half a table.
# (new_temp, commit_file: a link planted at OUT is replaced, not written through)
tmp=$(new_temp "$out")
trap 'rm -f "$tmp"' EXIT
T1_SRC=$(md_code "$dir") awk "$AWK_ESCAPES$prog" "${files[@]}" >"$tmp"
commit_file "$tmp" "$out"
trap - EXIT
echo "table1.sh: wrote $out from ${#files[@]} cells" >&2
