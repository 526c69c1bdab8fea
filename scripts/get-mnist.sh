#!/usr/bin/env bash
# Fetches the four original MNIST files (gzip IDX) into DIR and checks their
# md5 sums.
#
#   scripts/get-mnist.sh [DIR]          DIR defaults to data/mnist
#   MNIST_SRC=/path scripts/get-mnist.sh [DIR]
#                                       copy from a local directory instead
#                                       of downloading (offline machines, CI)
#
# Downloads use curl or wget and try each mirror in turn. Every file is
# written to a temporary name and renamed only after its md5 matches, so an
# interrupted or corrupt download never leaves a file that looks complete.
# Files already present with the right md5 are kept.
set -euo pipefail
here=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh" # LC_ALL=C, refuse_control, not_option

usage() {
    echo "usage: $0 [--] [DIR]" >&2
    echo "  fetches the 4 MNIST .gz files into DIR (default data/mnist);" >&2
    echo "  set MNIST_SRC=DIR to copy them from a local directory instead" >&2
    exit 2
}

case "${1:-}" in
--) shift ;; # a DIR starting with - follows
-h | --help) usage ;;
-*) echo "error: unknown option '$1'" >&2; usage ;;
esac
[[ $# -le 1 ]] || usage
refuse_control get-mnist.sh DIR "${1:-}"
refuse_control get-mnist.sh MNIST_SRC "${MNIST_SRC:-}"
dir=$(not_option "${1:-data/mnist}")

mirrors=(
    https://ossci-datasets.s3.amazonaws.com/mnist
    https://storage.googleapis.com/cvdf-datasets/mnist
)

# name md5 (the canonical sums, as in torchvision)
files=(
    "train-images-idx3-ubyte.gz f68b3c2dcbeaaa9fbdd348bbdeb94873"
    "train-labels-idx1-ubyte.gz d53e105ee54ea40749a09fcbcd1e9432"
    "t10k-images-idx3-ubyte.gz 9fb629c4189551a2d022fa330f9573f3"
    "t10k-labels-idx1-ubyte.gz ec29112dd5afa0611ce80d1b7f02629c"
)

command -v md5sum >/dev/null || { echo "error: md5sum not found (install coreutils)" >&2; exit 1; }
md5_of() { md5sum -- "$1" | cut -d' ' -f1; }

# fetch URL OUT: one download attempt with whichever client exists.
fetch() {
    if command -v curl >/dev/null; then
        curl -fsSL --retry 2 --connect-timeout 20 -o "$2" "$1"
    elif command -v wget >/dev/null; then
        wget -q --tries=3 --timeout=20 -O "$2" "$1"
    else
        echo "error: neither curl nor wget is installed (or set MNIST_SRC to a local copy)" >&2
        return 1
    fi
}

mkdir -p -- "$dir"
tmp=""
cleanup() { [[ -z $tmp ]] || rm -f "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

for entry in "${files[@]}"; do
    name=${entry% *}
    want=${entry#* }
    dest=$dir/$name
    if [[ -f $dest ]]; then
        have=$(md5_of "$dest")
        if [[ $have == "$want" ]]; then
            echo "ok    $dest (already present)"
            continue
        fi
        echo "bad   $dest has md5 $have, expected $want: deleted, fetching again" >&2
        rm -f "$dest"
    fi
    tmp=$(mktemp "$dir/.$name.XXXXXX")
    if [[ -n ${MNIST_SRC:-} ]]; then
        if [[ ! -f $MNIST_SRC/$name ]]; then
            echo "error: $MNIST_SRC/$name not found (MNIST_SRC must hold the 4 .gz files)" >&2
            exit 1
        fi
        cp -- "$MNIST_SRC/$name" "$tmp"
    else
        got=0
        for m in "${mirrors[@]}"; do
            echo "fetch $m/$name"
            if fetch "$m/$name" "$tmp"; then
                got=1
                break
            fi
            echo "warn: $m/$name failed, trying the next mirror" >&2
        done
        if [[ $got -ne 1 ]]; then
            echo "error: could not download $name from any mirror; download it by hand into" \
                "$dir or set MNIST_SRC to a directory that has it" >&2
            exit 1
        fi
    fi
    have=$(md5_of "$tmp")
    if [[ $have != "$want" ]]; then
        rm -f "$tmp"
        tmp=""
        echo "error: $name has md5 $have, expected $want: corrupt or wrong file, deleted" \
            "(run this script again)" >&2
        exit 1
    fi
    chmod a+r "$tmp" # mktemp made it private; the data is public
    mv -fT -- "$tmp" "$dest" # -T: never into a folder a planted link names
    tmp=""
    echo "ok    $dest"
done
echo "MNIST is in $dir"
