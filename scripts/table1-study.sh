#!/usr/bin/env bash
# The study's Table I, chosen honestly: each model's (learning rate, batch
# size) is picked on validation rounds (other seeds, hence other training
# and test pairs) and reported on the test seeds; beside it, the cell that
# picking on the test seeds would give (an optimistic figure) and the
# study's own choice. Reads two grids laid out by scripts/grid.sh and writes
# OUT/table1.md, OUT/table1.csv and the heatmaps OUT/heatmap-validation.svg
# and OUT/heatmap-test.svg. bash, coreutils and awk only.
set -euo pipefail
here=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh" # LC_ALL=C, quote_all, refuse_control, AWK_ESCAPES, commit_file

usage() {
    cat <<'EOF'
usage: scripts/table1-study.sh --validation VDIR --test TDIR --out DIR [--command TEXT]

VDIR and TDIR are two grids of scripts/grid.sh over the same cells: the
validation seeds (e.g. --seed 1000) and the test seeds (--seed 0). Writes
DIR/table1.md, DIR/table1.csv, DIR/heatmap-validation.svg, DIR/heatmap-test.svg.
--command is the command recorded as the tables' provenance. Paths may
hold any character but a newline, a tab or another control character.
EOF
}

vdir="" tdir="" out="" command_text=""
orig_args=("$@")
# A folder argument without its trailing /, "./" before a relative one:
# awk takes an operand such as a=b/... for an assignment, and mkdir or
# mktemp a leading - for an option.
dir_arg() {
    local d=$1
    [[ $d == / ]] || d=${d%/}
    [[ $d == /* || $d == ./* ]] || d=./$d
    printf '%s' "$d"
}
while [[ $# -gt 0 ]]; do
    case $1 in
    --validation | --test | --out | --command)
        [[ $# -ge 2 ]] || { echo "table1-study.sh: $1 needs a value" >&2; exit 2; }
        refuse_control table1-study.sh "$1" "$2"
        case $1 in
        --validation) vdir=$(dir_arg "$2") ;;
        --test) tdir=$(dir_arg "$2") ;;
        --out) out=$(dir_arg "$2") ;;
        --command) command_text=$2 ;;
        esac
        shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done
[[ -n $vdir && -n $tdir && -n $out ]] || { usage >&2; exit 2; }
shopt -s nullglob
vfiles=("$vdir"/*/*/table2.csv)
tfiles=("$tdir"/*/*/table2.csv)
for pair in "validation:$vdir:${#vfiles[@]}" "test:$tdir:${#tfiles[@]}"; do
    IFS=: read -r what d n <<<"$pair"
    if [[ $n -eq 0 ]]; then
        echo "table1-study.sh: no grid cell in '$d' (the $what grid; run scripts/grid.sh first)" >&2
        exit 1
    fi
done
mkdir -p -- "$out"

read -r -d '' prog <<'AWK' || true
function need(name) {
    if (!(name in col)) { printf "table1-study.sh: %s: no column '%s'\n", FILENAME, name > "/dev/stderr"; bad = 1; exit 1 }
    return col[name]
}
function add_unique(list, n, v,    i) { for (i = 1; i <= n; i++) if (list[i] == v) return n; list[n + 1] = v; return n + 1 }
function sort_numeric(list, n,    i, j, v) {
    for (i = 2; i <= n; i++) { v = list[i]; for (j = i - 1; j >= 1 && list[j] + 0 > v + 0; j--) list[j + 1] = list[j]; list[j + 1] = v }
}
function pct(x) { return sprintf("%.2f", 100 * x) }
function pm(s, k) { return ((s, k) in mean) ? (rounds[s, k] + 0 > 1 ? pct(mean[s, k]) " ± " pct(sd[s, k]) : pct(mean[s, k])) : "—" }
function best_cell(s, m,    a, b, k, bk) {
    bk = ""
    for (a = 1; a <= nlr; a++) for (b = 1; b <= nbs; b++) {
        k = m SUBSEP lrs[a] SUBSEP bss[b]
        if (((s, k) in mean) && (bk == "" || mean[s, k] + 0 > mean[s, bk] + 0)) bk = k
    }
    return bk
}
function lr_of(k,    p) { split(k, p, SUBSEP); return p[2] }
function bs_of(k,    p) { split(k, p, SUBSEP); return p[3] }
function colour(v, lo, hi,    t, r, g, b) {
    t = (hi > lo) ? (v - lo) / (hi - lo) : 1
    r = int(247 - t * (247 - 8)); g = int(251 - t * (251 - 69)); b = int(255 - t * (255 - 148))
    return sprintf("#%02x%02x%02x", r, g, b)
}
function heatmap(s, file, title, chosen_label,    i, m, a, b, k, x0, y0, cw, ch, lo, hi, v, fill, tc, W, H, pw, ck, sk, lab) {
    cw = 58; ch = 26; pw = 70 + nbs * cw
    W = 40 + 3 * pw; H = 110 + (nm > 3 ? 2 : 1) * (60 + nlr * ch) + 10
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\">\n", W, H, W, H > file
    printf "<title>%s</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", title > file
    printf "<text x=\"%d\" y=\"28\" font-size=\"17\" text-anchor=\"middle\">%s</text>\n", W / 2, title > file
    printf "<text x=\"%d\" y=\"48\" font-size=\"12\" fill=\"#555\" text-anchor=\"middle\">mean test accuracy (%%) of each cell, colour scaled per model</text>\n", W / 2 > file
    printf "<text x=\"%d\" y=\"64\" font-size=\"12\" fill=\"#555\" text-anchor=\"middle\">solid outline: %s; dashed: the study's choice</text>\n", W / 2, chosen_label > file
    for (i = 1; i <= nm; i++) {
        m = models[i]
        x0 = 30 + ((i - 1) % 3) * pw + 60; y0 = 110 + int((i - 1) / 3) * (60 + nlr * ch)
        lo = 2; hi = -1
        for (a = 1; a <= nlr; a++) for (b = 1; b <= nbs; b++) {
            k = m SUBSEP lrs[a] SUBSEP bss[b]
            if ((s, k) in mean) { v = mean[s, k] + 0; if (v < lo) lo = v; if (v > hi) hi = v }
        }
        printf "<text x=\"%d\" y=\"%d\" font-size=\"14\" font-weight=\"bold\">%s</text>\n", x0, y0 - 22, xml_text(m) > file
        for (b = 1; b <= nbs; b++)
            printf "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">bs %s</text>\n", x0 + (b - 0.5) * cw, y0 - 5, bss[b] > file
        for (a = 1; a <= nlr; a++) {
            printf "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">lr %s</text>\n", x0 - 6, y0 + (a - 0.5) * ch + 4, lrs[a] > file
            for (b = 1; b <= nbs; b++) {
                k = m SUBSEP lrs[a] SUBSEP bss[b]
                if ((s, k) in mean) { v = mean[s, k] + 0; fill = colour(v, lo, hi); tc = ((hi > lo ? (v - lo) / (hi - lo) : 1) > 0.55) ? "white" : "black"; lab = pct(v) }
                else { fill = "#dddddd"; tc = "#555"; lab = ((s, k) in divd) ? "div." : "—" }
                printf "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"white\"/>\n", x0 + (b - 1) * cw, y0 + (a - 1) * ch, cw, ch, fill > file
                printf "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" fill=\"%s\">%s</text>\n", x0 + (b - 0.5) * cw, y0 + (a - 0.5) * ch + 4, tc, lab > file
                if (k == chosen[s, m])
                    printf "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#D55E00\" stroke-width=\"3\"/>\n", x0 + (b - 1) * cw + 1.5, y0 + (a - 1) * ch + 1.5, cw - 3, ch - 3 > file
                if ((m in study_lr) && lrs[a] + 0 == study_lr[m] + 0 && bss[b] + 0 == study_bs[m] + 0)
                    printf "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"black\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\n", x0 + (b - 1) * cw + 4, y0 + (a - 1) * ch + 4, cw - 8, ch - 8 > file
            }
        }
    }
    print "</svg>" > file
    close(file)
}
BEGIN {
    FS = ","; nm = 0; nlr = 0; nbs = 0
    ncanon = split("mlp cnn cnn_ws cnn_al cnn_ws_al", canon, " ")
    # the study's Table I (lr, batch size) and its Table II test accuracy
    split("0.01 0.01 0.05 0.05 0.05", slr, " "); split("100 50 50 50 100", sbs, " ")
    split("76.5 81.62 84.16 86.71 92.42", sacc, " ")
    for (i = 1; i <= ncanon; i++) { study_lr[canon[i]] = slr[i]; study_bs[canon[i]] = sbs[i]; study_acc[canon[i]] = sacc[i] }
}
FNR == 1 {
    set = (index(FILENAME, ENVIRON["T1_VDIR"] "/") == 1) ? "v" : "t"
    for (c in col) delete col[c]
    for (i = 1; i <= NF; i++) col[$i] = i
    cm = need("model"); clr = need("lr"); cbs = need("bs"); ctm = need("test_mean"); cts = need("test_std")
    cr = need("rounds"); cd = need("diverged"); ce = need("epochs")
    next
}
NF > 1 {
    m = $cm; k = m SUBSEP ($clr + 0) SUBSEP ($cbs + 0)
    if ($cr + 0 > 0) { mean[set, k] = $ctm; sd[set, k] = $cts }
    rounds[set, k] = $cr; div[set, k] = $cd; epochs[set, k] = $ce
    if ($cd + 0 > 0) divd[set, k] = 1
    if (!(m in seen)) { seen[m] = 1; order[++no] = m }
    nlr = add_unique(lrs, nlr, $clr + 0); nbs = add_unique(bss, nbs, $cbs + 0)
    if (set == "v") nv++; else nt++
}
END {
    if (bad) exit 1
    sort_numeric(lrs, nlr); sort_numeric(bss, nbs)
    for (i = 1; i <= ncanon; i++) if (canon[i] in seen) { models[++nm] = canon[i]; placed[canon[i]] = 1 }
    for (i = 1; i <= no; i++) if (!(order[i] in placed)) models[++nm] = order[i]
    for (i = 1; i <= nm; i++) { chosen["v", models[i]] = best_cell("v", models[i]); chosen["t", models[i]] = best_cell("t", models[i]) }
    outdir = ENVIRON["T1_OUTDIR"]; md = outdir "/table1.md"; csv = outdir "/table1.csv"
    print "# Table I: learning rate and batch size, chosen on validation rounds" > md
    print "" > md
    printf "Each model's cell is chosen by the highest mean test accuracy over the **validation rounds** (seeds %s: other training and test pairs drawn from the same MNIST sets) and reported over the **test rounds** (seeds %s), the seeds of Table II. Choosing on the test rounds themselves would pick the cell in the column \"chosen on test\", whose figure is optimistic: it is the maximum of %d noisy means. Grid: lr %s x batch size %s; %d validation and %d test cells; accuracies in percent, mean ± sample standard deviation over the rounds of a cell; every round evaluated once, at its end.\n\n", vseeds, tseeds, nlr * nbs, lrlist(), bslist(), nv, nt > md
    print "| model | chosen on validation: lr / bs | its validation acc | **its test acc** | chosen on test: lr / bs | its test acc (optimistic) | the study: lr / bs | study's test acc | pairnet, study's cell, test acc |" > md
    print "|:---|:---:|---:|---:|:---:|---:|:---:|---:|---:|" > md
    print "model,set,lr,bs,epochs,rounds,diverged,test_mean,test_std,chosen_on_validation,chosen_on_test,study_choice" > csv
    for (i = 1; i <= nm; i++) {
        m = models[i]; kv = chosen["v", m]; kt = chosen["t", m]
        sk = (m in study_lr) ? m SUBSEP (study_lr[m] + 0) SUBSEP (study_bs[m] + 0) : ""
        printf "| %s | %s | %s | **%s** | %s | %s | %s | %s | %s |\n", md_text(m), \
            kv == "" ? "—" : lr_of(kv) " / " bs_of(kv), kv == "" ? "—" : pm("v", kv), kv == "" ? "—" : pm("t", kv), \
            kt == "" ? "—" : lr_of(kt) " / " bs_of(kt), kt == "" ? "—" : pm("t", kt), \
            sk == "" ? "—" : study_lr[m] " / " study_bs[m], sk == "" ? "—" : study_acc[m], sk == "" ? "—" : pm("t", sk) > md
        for (a = 1; a <= nlr; a++) for (b = 1; b <= nbs; b++) for (si = 1; si <= 2; si++) {
            s = si == 1 ? "v" : "t"; k = m SUBSEP lrs[a] SUBSEP bss[b]
            if (!((s, k) in rounds)) continue
            printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%d,%d,%d\n", csv_field(m), s == "v" ? "validation" : "test", lrs[a], bss[b], epochs[s, k] + 0, rounds[s, k] + 0, div[s, k] + 0, \
                ((s, k) in mean) ? mean[s, k] : "", ((s, k) in mean) ? sd[s, k] : "", k == kv, k == kt, k == sk > csv
        }
    }
    print "" > md
    print "Where the choice differs from the study's, the last two columns say by how much it matters on the test rounds: the study's cell as pairnet measures it, beside the study's own figure (its Table II)." > md
    print "" > md
    print "![validation grid](heatmap-validation.svg)\n\n![test grid](heatmap-test.svg)" > md
    for (si = 1; si <= 2; si++) {
        s = si == 1 ? "v" : "t"
        printf "\n## The %s grid (seeds %s)\n", s == "v" ? "validation" : "test", s == "v" ? vseeds : tseeds > md
        for (i = 1; i <= nm; i++) {
            m = models[i]
            printf "\n### %s\n\n| lr \\ batch size |", md_text(m) > md
            for (b = 1; b <= nbs; b++) printf " %s |", bss[b] > md
            printf "\n|:---|" > md
            for (b = 1; b <= nbs; b++) printf "---:|" > md
            printf "\n" > md
            for (a = 1; a <= nlr; a++) {
                printf "| %s |", lrs[a] > md
                for (b = 1; b <= nbs; b++) {
                    k = m SUBSEP lrs[a] SUBSEP bss[b]
                    v = pm(s, k)
                    if (!((s, k) in mean) && ((s, k) in divd)) v = "all diverged"
                    else if (((s, k) in divd)) v = v " (" div[s, k] " div.)"
                    if (k == chosen[s, m]) v = "**" v "**"
                    printf " %s |", v > md
                }
                printf "\n" > md
            }
        }
    }
    cmdtext = ENVIRON["T1_COMMAND"]; gsub(/[[:cntrl:]]/, " ", cmdtext); fence = md_fence(cmdtext)
    printf "\n## Provenance\n\nCommand:\n\n%ssh\n%s\n%s\n\n- machine: %s\n- date: %s\n- revision: %s\n- wall time: %s\n", \
        fence, cmdtext, fence, md_text(ENVIRON["T1_MACHINE"]), date, md_text(ENVIRON["T1_REVISION"]), wall > md
    close(md); close(csv)
    heatmap("v", outdir "/heatmap-validation.svg", "Table I grid, validation rounds", "the cell chosen on validation")
    heatmap("t", outdir "/heatmap-test.svg", "Table I grid, test rounds", "the cell the test rounds would pick")
}
# a model name from a file as one CSV field (RFC 4180: quoted when it
# holds a comma, a quote or a line break)
function csv_field(s) {
    if (s ~ /[",\r\n]/) { gsub(/"/, "\"\"", s); s = "\"" s "\"" }
    return s
}
function lrlist(   a, s) { s = ""; for (a = 1; a <= nlr; a++) s = s (a > 1 ? ", " : "{") lrs[a]; return s "}" }
function bslist(   b, s) { s = ""; for (b = 1; b <= nbs; b++) s = s (b > 1 ? ", " : "{") bss[b]; return s "}" }
AWK

# seeds of each grid, from its cells' commands (cells.txt), for the text
seeds_of() {
    local d=$1 s r
    s=$(grep -o -- '--seed [0-9][0-9]*' "$d/cells.txt" 2>/dev/null | head -n 1 | cut -d' ' -f2)
    r=$(grep -o -- '--rounds [0-9][0-9]*' "$d/cells.txt" 2>/dev/null | head -n 1 | cut -d' ' -f2)
    if [[ -n $s && -n $r ]]; then echo "$s..$((s + r - 1))"; else echo "?"; fi
}
machine="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //') ($(getconf _NPROCESSORS_ONLN) cores)"
wall="?"
if [[ -s $vdir/start && -s $tdir/start ]]; then
    wall=$(awk -v a="$(cat "$vdir/start")" -v now="$(date +%s)" 'BEGIN { printf "%.0f min since the validation grid started", (now - a) / 60 }')
fi
revision=$(git -C "$(dirname "$0")/.." describe --always --dirty 2>/dev/null || echo unknown)
tmp=$(mktemp -d "$out/.table1.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# strings through the environment: awk -v would take their backslashes for
# escapes
T1_VDIR=$vdir T1_OUTDIR=$tmp T1_MACHINE=$machine T1_REVISION=$revision \
    T1_COMMAND=${command_text:-$(quote_all "$0" "${orig_args[@]}")} \
    awk -v vseeds="$(seeds_of "$vdir")" -v tseeds="$(seeds_of "$tdir")" \
    -v date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" -v wall="$wall" \
    "$AWK_ESCAPES$prog" "${vfiles[@]}" "${tfiles[@]}"
# written in a private folder of ours, then renamed over the targets:
# a link planted at one is replaced, never written through (commit_file)
for f in table1.md table1.csv heatmap-validation.svg heatmap-test.svg; do
    commit_file "$tmp/$f" "$out/$f"
done
echo "table1-study.sh: wrote $out/table1.md, table1.csv, heatmap-validation.svg, heatmap-test.svg" >&2
