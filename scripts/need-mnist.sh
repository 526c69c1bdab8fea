#!/usr/bin/env bash
# Prints the MNIST directory (an absolute path) that make's targets should
# use, fetching the data first when it is missing:
#   1. $PAIRNET_DATA, when set and it holds the four files;
#   2. else data/mnist, when it holds them;
#   3. else scripts/get-mnist.sh data/mnist (download, or a copy from
#      $MNIST_SRC), its output kept in data/get-mnist.log.
# On failure: one line on stderr saying how to provide the data, exit 1.
set -uo pipefail
cd -- "$(dirname -- "$0")/.." || exit 1
# shellcheck source=scripts/lib.sh
. scripts/lib.sh # LC_ALL=C, refuse_control, absolute, write_new

names="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"
# has DIR: all four files there, gzip or already uncompressed (as pairnet reads them)
has() {
    local n
    for n in $names; do
        [[ -f $1/$n.gz || -f $1/$n ]] || return 1
    done
}

fix="provide it with 'make data MNIST_SRC=DIR' (a folder holding the 4 .gz files), or point --data DIR / PAIRNET_DATA=DIR at one"

if [[ -n ${PAIRNET_DATA:-} ]]; then
    # the folder is printed as one line for make: no newline in it
    refuse_control need-mnist.sh PAIRNET_DATA "$PAIRNET_DATA"
    if has "$PAIRNET_DATA"; then
        (CDPATH='' cd -- "$(absolute "$PAIRNET_DATA")" && pwd)
        exit 0
    fi
    echo "error: PAIRNET_DATA=$PAIRNET_DATA does not hold the four MNIST files; unset it to use data/mnist, or $fix" >&2
    exit 1
fi
refuse_control need-mnist.sh "the clone's path" "$PWD"
if has data/mnist; then
    echo "$PWD/data/mnist"
    exit 0
fi
mkdir -p data
echo "MNIST is not in data/mnist: fetching it (scripts/get-mnist.sh, log in data/get-mnist.log)" >&2
# a new log (write_new): a link planted at its name is replaced
write_new data/get-mnist.log </dev/null || exit 1
if scripts/get-mnist.sh data/mnist >>data/get-mnist.log 2>&1; then
    echo "$PWD/data/mnist"
    exit 0
fi
why=$(grep '^error:' data/get-mnist.log | tail -n 1 | sed 's/^error: //')
echo "error: could not fetch MNIST into data/mnist (${why:-see data/get-mnist.log}); $fix" >&2
exit 1
