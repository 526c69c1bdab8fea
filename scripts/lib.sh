# Helpers shared by the bash scripts of scripts/ (sourced, never run): how
# they take paths and arguments, and how they write them into commands,
# Markdown and SVG. One copy, so every script quotes and escapes alike.
# shellcheck shell=bash

# Numbers are read and written with a decimal point whatever the user's
# locale (awk, printf and sort follow LC_NUMERIC: 0,97 under de_DE).
export LC_ALL=C

# ---- messages: every script sets me=NAME.sh before sourcing this file -----
me=${me:-scripts}

# die_usage MSG...: "$me: MSG" and where its help is; exit 2.
die_usage() {
    echo "$me: $*" >&2
    echo "$me: see scripts/$me --help" >&2
    exit 2
}

# die_line MSG...: a refusal whose one line already says the fix; exit 2.
die_line() {
    echo "$me: $*" >&2
    exit 2
}

# cpus: the number of online CPUs; fails (prints nothing) when unknown.
cpus() {
    nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null
}

# quote WORD: WORD as one word any POSIX shell reads back unchanged, in
# single quotes unless it is plainly safe. A word that looks like an
# assignment (NAME=...) is quoted too: in command position the shell would
# take it as one. (printf %q is bash-only, and its $'..' is not POSIX.)
quote() {
    if [[ $1 =~ ^[A-Za-z0-9_./:=+,@%-]+$ && ! $1 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; then
        printf '%s' "$1"
    else
        printf "'%s'" "${1//\'/\'\\\'\'}"
    fi
}

# quote_all WORD...: the words quoted and joined by spaces.
quote_all() {
    local a s=""
    for a in "$@"; do
        s+="${s:+ }$(quote "$a")"
    done
    printf '%s' "$s"
}

# refuse_control SCRIPT OPTION VALUE: exit 2 with one line if VALUE holds a
# newline, a tab or another control character. The scripts keep one cell
# or command per line (cells.txt, --print), so such a value would split a
# line, or inject one; every other character works.
refuse_control() {
    if [[ $3 == *[[:cntrl:]]* ]]; then
        echo "$1: $2 holds a newline, tab or other control character;" \
            "use a path or value without one (rename the folder, or make a symlink to it)" >&2
        exit 2
    fi
}

# absolute PATH: PATH made absolute against $PWD (not resolved: symlinks
# stay); the commands the scripts write must work from any directory, on
# other hosts and in jobs without an environment. A path starting with "-"
# can then never be read as an option.
absolute() {
    if [[ $1 == /* ]]; then printf '%s' "$1"; else printf '%s/%s' "$PWD" "${1#./}"; fi
}

# not_option PATH: PATH with "./" in front if it starts with "-", so that
# no tool reads it as an option (mkdir, mktemp, nice...); others unchanged.
not_option() {
    if [[ $1 == -* ]]; then printf './%s' "$1"; else printf '%s' "$1"; fi
}

# Markdown escapes, in awk so that the scripts' awk programs use
# the very same functions on strings they read from files (model names in
# a table2.csv): prepend "$AWK_ESCAPES" to the program.
#   md_text(s)       s in Markdown running text or a table cell, shown as it
#                    is: \ ` * | ~ [ ] escaped, _ unless inside a word (so
#                    cnn_ws_al stays readable), < before a letter / ! ?
#                    (raw HTML, autolinks) and & before a letter or # (an
#                    entity); control characters become spaces, so a cell
#                    stays on its line
#   md_code(s, cell) s as a code span: fenced by one backtick more than its
#                    longest run of them (padded when it starts or ends with
#                    one); with cell=1 for a table cell, every | escaped and
#                    the backslashes right before it doubled, so the row
#                    never splits (such backslashes then show doubled: GFM
#                    cuts cells before it reads code spans)
# shellcheck disable=SC2016 # awk code, not shell
AWK_ESCAPES='
function md_text(s,    out, i, n, c, p, q) {
    out = ""; n = length(s)
    for (i = 1; i <= n; i++) {
        c = substr(s, i, 1); p = substr(s, i - 1, 1); q = substr(s, i + 1, 1)
        if (c ~ /[[:cntrl:]]/) c = " "
        else if (index("\\`*|~[]", c)) c = "\\" c
        else if (c == "_" && !(p ~ /[A-Za-z0-9]/ && q ~ /[A-Za-z0-9]/)) c = "\\_"
        else if (c == "<" && q ~ /[A-Za-z\/!?]/) c = "\\<"
        else if (c == "&" && q ~ /[A-Za-z#]/) c = "\\&"
        out = out c
    }
    return out
}
function md_longest_run(s,    i, n, run, best) {
    best = run = 0; n = length(s)
    for (i = 1; i <= n; i++) {
        if (substr(s, i, 1) == "`") { if (++run > best) best = run } else run = 0
    }
    return best
}
function md_code(s, cell,    fence, best, out, i, n, c, k) {
    gsub(/[[:cntrl:]]/, " ", s)
    best = md_longest_run(s); fence = "`"
    while (length(fence) <= best) fence = fence "`"
    if (substr(s, 1, 1) == "`" || substr(s, length(s), 1) == "`") s = " " s " "
    if (!cell) return fence s fence
    out = ""; k = 0; n = length(s)
    for (i = 1; i <= n; i++) {
        c = substr(s, i, 1)
        if (c == "|") { while (k-- > 0) out = out "\\"; out = out "\\|"; k = 0; continue }
        k = (c == "\\") ? k + 1 : 0
        out = out c
    }
    return fence out fence
}
'

# The same from the shell: md_text TEXT, md_code TEXT [cell].
# (The text goes through the environment: awk -v would read backslashes
# in it as escapes.)
md_awk() {
    MD_F=$1 MD_S=$2 MD_CELL=${3:-} awk "$AWK_ESCAPES"'BEGIN {
        s = ENVIRON["MD_S"]; f = ENVIRON["MD_F"]
        if (f == "text") printf "%s", md_text(s)
        else printf "%s", md_code(s, ENVIRON["MD_CELL"] == "cell") }'
}
md_text() { md_awk text "$1"; }
md_code() { md_awk code "$1" "${2:-}"; }

# ---- writing files: never through a link, never into a file we did not make
# A colleague who can write a shared results folder (or a stale file from
# an older run) may have put a symlink or a hard link at any name a script
# writes; `>` and `>>` would then truncate or append to the file it points
# to, and a planted job script would be run. So every file is written as
# a new one: a temporary made by mktemp in the target's folder (O_EXCL,
# random name: never an existing file), renamed over the target. rename(2)
# replaces a link planted there, never writes through it; mv -T never moves
# the file into a directory a planted name points to. (This defends against
# files planted before a script runs; a folder others can change while it
# runs is not safe anyway: cells.txt holds the commands the grid runs.)

# new_temp FILE: create an empty private temporary next to FILE and print
# its name (the caller writes it, then commit_file; its trap removes it).
new_temp() {
    mktemp -- "$1.tmp.XXXXXXXX"
}

# commit_file [-x] TEMP FILE: give TEMP the mode `>` would (rw by the
# umask; -x: executable as well, for job scripts) and rename it to FILE.
commit_file() {
    local mode=0666
    if [[ $1 == -x ]]; then mode=0777; shift; fi
    chmod "$(printf '%o' $((mode & ~0$(umask))))" -- "$1" && mv -fT -- "$1" "$2"
}

# write_new [-x] FILE: stdin into FILE as a new file (new_temp, commit_file);
# the temporary is removed when something fails. `write_new FILE </dev/null`
# makes a fresh empty log that a command then appends to by name.
write_new() {
    local x=() tmp
    if [[ $1 == -x ]]; then x=(-x); shift; fi
    tmp=$(new_temp "$1") || return 1
    if cat >"$tmp" && commit_file "${x[@]+"${x[@]}"}" "$tmp" "$1"; then return 0; fi
    rm -f -- "$tmp"
    return 1
}

# append_ok WHO FILE: 0 if FILE may be appended to: absent, or a regular
# file with one link; else one line naming FILE and the fix, and 1. For the
# logs kept across runs (a grid cell's bench.log), which cannot be renamed
# over: a symlink, a FIFO or device, or a hard link to some other file is
# refused rather than opened. (find -P looks at FILE itself, not where a
# link points; -links +1: more than one name.)
append_ok() {
    if [[ -n $(find "$(not_option "$2")" -prune \( ! -type f -o -links +1 \) 2>/dev/null) ]]; then
        echo "$1: refusing to append to $2: it is a symbolic link, not a regular file or has" \
            "another hard link; move it away and run again (nothing was written to it)" >&2
        return 1
    fi
}

# pairnet_bin: the binary the scripts ask: $PAIRNET, else the pairnet at the
# top of this checkout (beside scripts/); a bare name is looked up in PATH.
pairnet_bin() {
    local b=${PAIRNET:-$(dirname -- "${BASH_SOURCE[0]}")/../pairnet}
    refuse_control scripts PAIRNET "$b"
    if [[ $b != */* ]] && command -v -- "$b" >/dev/null 2>&1; then b=$(command -v -- "$b"); fi
    [[ $b == */* ]] || b=./$b
    if [[ ! -f $b || ! -x $b ]]; then
        echo "scripts: '$b' is not an executable file; build it with 'make' or set PAIRNET" >&2
        exit 2
    fi
    printf '%s' "$b"
}
