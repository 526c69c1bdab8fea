#!/usr/bin/env bash
# `make install` and `make uninstall` into a throw-away DESTDIR whose path
# holds a space, as a packager runs them: the binary runs from there, its
# man page renders, the docs are there, and uninstall leaves no file behind.
# Prints "N passed, N failed, N skipped" like the suite.
set -uo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest="$tmp/stage dir"
pass=0 fail=0 skip=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

if make -s install DESTDIR="$dest" PREFIX=/usr >"$tmp/install.log" 2>&1; then
    ok install_runs
else
    bad install_runs; cat "$tmp/install.log"
fi
check installed_binary_runs '"$dest/usr/bin/pairnet" --version | grep -q "^pairnet "'
check installed_docs '[[ -f "$dest/usr/share/doc/pairnet/README.md" && -f "$dest/usr/share/doc/pairnet/spec.md" ]]'
if command -v man >/dev/null; then
    check man_page_renders 'MANWIDTH=80 man -l "$dest/usr/share/man/man1/pairnet.1" 2>/dev/null | grep -q "EXIT STATUS"'
else
    echo "skip man_page_renders (man is not installed: apt-get install man-db)"; skip=$((skip + 1))
fi
make -s uninstall DESTDIR="$dest" PREFIX=/usr >"$tmp/uninstall.log" 2>&1
check uninstall_leaves_no_file '[[ -z "$(find "$dest" -type f)" ]]'
echo "$pass passed, $fail failed, $skip skipped"
[[ $fail -eq 0 ]]
