#!/usr/bin/env bash
# tests/make-bad.sh [OUTDIR]: writes the malformed-input corpus that
# tests/test_bad.c feeds to the CLI, one case per entry of OUTDIR (default
# tests/bad/generated; never commit it), named as in tests/bad/EXPECTED:
#
#   idx_* gz_*   a directory that looks like an MNIST directory: symlinks to
#                three of the real files in $PAIRNET_DATA (the loader wants
#                exactly 60000 + 10000 items, so small stand-ins would fail for
#                the wrong reason) and ONE broken file in place of the fourth
#   ckpt_*       one broken checkpoint file, derived from a real one
#
# plus two controls that must work: control_data/ (the four real files, as
# symlinks) and control.ckpt (`pairnet train --model mlp --epochs 1 --save X.pn`).
#
# Environment: PAIRNET_BIN (default ./pairnet), PAIRNET_DATA (default
# data/mnist). Needs bash, coreutils and gzip only. Existing case entries of
# OUTDIR are replaced; nothing else in it is touched.
set -Eeuo pipefail

out=${1:-tests/bad/generated}
bin=${PAIRNET_BIN:-./pairnet}
data=${PAIRNET_DATA:-data/mnist}

die() {
    printf 'make-bad.sh: %s\n' "$*" >&2
    exit 1
}
trap 'die "line $LINENO: a command failed (status $?)"' ERR

[[ -x $bin && -f $bin ]] || die "PAIRNET_BIN=$bin is not an executable (run make, or set PAIRNET_BIN)"
[[ -d $data ]] || die "PAIRNET_DATA=$data is not a directory (run scripts/get-mnist.sh)"
data=$(cd "$data" && pwd -P) # the symlinks must resolve from anywhere
mkdir -p "$out"
out=$(cd "$out" && pwd -P)

bases=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte
       t10k-labels-idx1-ubyte)

# ---- bytes ----------------------------------------------------------------

# One byte, value $1 mod 256 (NUL included).
# shellcheck disable=SC2059 # the format is the octal escape itself
byte() { printf "\\$(printf '%03o' "$(($1 & 255))")"; }
u32be() { byte $(($1 >> 24)); byte $(($1 >> 16)); byte $(($1 >> 8)); byte "$1"; }
u32le() { byte "$1"; byte $(($1 >> 8)); byte $(($1 >> 16)); byte $(($1 >> 24)); }
u64le() { u32le $(($1 & 0xffffffff)); u32le $((($1 >> 32) & 0xffffffff)); }
zeros() { head -c "$1" /dev/zero; }

size() { wc -c <"$1" | tr -d ' '; }
# Byte $2 of file $1, as a decimal number.
peek() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' \n'; }
# Little-endian u64 at offset $2 of file $1 (values below 2^63).
peek_u64() {
    local v=0 i
    for ((i = 7; i >= 0; i--)); do v=$(((v << 8) | $(peek "$1" $(($2 + i))))); done
    printf '%s\n' "$v"
}
# stdin overwrites file $1 from offset $2.
poke() { dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
# Byte $2 of file $1 ^= $3.
flip() { byte $(($(peek "$1" "$2") ^ $3)) | poke "$1" "$2"; }
# CRC-32 of the first $2 bytes of file $1, as 4 little-endian bytes: gzip's
# trailer is exactly that (CRC-32, then ISIZE).
crc32le() { head -c "$2" "$1" | gzip -1 -c | tail -c 8 | head -c 4; }
# Rewrites a checkpoint's last 4 bytes with the CRC-32 of everything before.
fix_crc() {
    local n
    n=$(size "$1")
    crc32le "$1" $((n - 4)) | poke "$1" $((n - 4))
}

# IDX header: 4 magic bytes, then the big-endian dimensions.
idx_header() {
    byte "$1"; byte "$2"; byte "$3"; byte "$4"
    shift 4
    local d
    for d in "$@"; do u32be "$d"; done
}

# ---- cases ----------------------------------------------------------------

# The real file for base $1 (.gz preferred, as the loader does).
real() {
    if [[ -f $data/$1.gz ]]; then
        printf '%s\n' "$data/$1.gz"
    elif [[ -f $data/$1 ]]; then
        printf '%s\n' "$data/$1"
    else
        die "no $1(.gz) in $data"
    fi
}

# A fresh case directory $out/$1 with symlinks to the real files of every
# base except $2 (pass "" for all four); prints its path.
new_case() {
    local d=$out/$1 b r
    rm -rf "$d"
    mkdir "$d"
    for b in "${bases[@]}"; do
        [[ $b == "$2" ]] && continue
        r=$(real "$b")
        ln -s "$r" "$d/${r##*/}"
    done
    printf '%s\n' "$d"
}

IMG=train-images-idx3-ubyte
LBL=train-labels-idx1-ubyte

# Real bytes decompressed (or copied, for raw files) from the start of a real
# file: $1 base, $2 count. Reading stops early, so gzip's SIGPIPE is expected.
real_head() {
    { gzip -dcf "$(real "$1")" || true; } | head -c "$2"
}

# A valid 10-image IDX (the loader later refuses it for its count only).
small_images() { idx_header 0 0 8 3 10 28 28; zeros 7840; }

# -- IDX content (the images file fails before the 47 MB training images
# would be inflated, except where the labels must be the broken file)
d=$(new_case idx_wrong_magic $IMG)
{ idx_header 1 2 8 3 10 28 28; zeros 7840; } >"$d/$IMG"

d=$(new_case idx_wrong_type $IMG)
{ idx_header 0 0 13 3 10 28 28; zeros 31360; } >"$d/$IMG" # 0x0d: float32

d=$(new_case idx_wrong_ndims $IMG) # a labels header under the images name, gzipped
{ idx_header 0 0 8 1 10; zeros 10; } | gzip -9nc >"$d/$IMG.gz"

d=$(new_case idx_27x27 $IMG)
{ idx_header 0 0 8 3 10 27 27; zeros 7290; } >"$d/$IMG"

d=$(new_case idx_count_mismatch $IMG) # 10 images next to the 60000 real labels
small_images >"$d/$IMG"

d=$(new_case idx_truncated $IMG) # the full-size header, 1000 of its 47040000 bytes
{ idx_header 0 0 8 3 60000 28 28; zeros 1000; } >"$d/$IMG"

d=$(new_case idx_trailing_garbage $IMG)
{ small_images; printf 'garbage'; } >"$d/$IMG"

d=$(new_case idx_empty $IMG)
: >"$d/$IMG"

d=$(new_case idx_directory $IMG)
mkdir "$d/$IMG.gz"

d=$(new_case idx_fifo $IMG) # a named pipe nobody writes to: must not hang
mkfifo "$d/$IMG.gz"

d=$(new_case idx_label_10 $LBL) # the real labels with label 12345 set to 10
real_head $LBL 60008 >"$d/$LBL"
[[ $(size "$d/$LBL") == 60008 ]] || die "could not read the real $LBL"
byte 10 | poke "$d/$LBL" $((8 + 12345))
gzip -9n "$d/$LBL"

# -- gzip container
d=$(new_case gz_empty $LBL) # an empty file named .gz
: >"$d/$LBL.gz"

d=$(new_case gz_truncated $IMG) # real pixels, the gzip stream cut in half
real_head $IMG 200000 | gzip -9nc >"$out/gz_truncated.tmp"
n=$(size "$out/gz_truncated.tmp")
((n > 10000)) || die "gzip of 200000 real image bytes is only $n bytes"
head -c $((n / 2)) "$out/gz_truncated.tmp" >"$d/$IMG.gz"
rm -f "$out/gz_truncated.tmp"

d=$(new_case gz_bad_crc $IMG) # first byte of the CRC-32 in the trailer flipped
small_images | gzip -9nc >"$d/$IMG.gz"
flip "$d/$IMG.gz" $(($(size "$d/$IMG.gz") - 8)) 1

d=$(new_case gz_bad_isize $IMG) # ISIZE 7857 for 7856 bytes
small_images | gzip -9nc >"$d/$IMG.gz"
flip "$d/$IMG.gz" $(($(size "$d/$IMG.gz") - 4)) 1

d=$(new_case gz_block_type3 $IMG) # gzip header, then BFINAL=1 BTYPE=11
{ printf '\037\213\010\000'; zeros 4; printf '\000\003'; byte 7; zeros 16; } >"$d/$IMG.gz"

d=$(new_case gz_trailing_garbage $IMG)
{ small_images | gzip -9nc; printf 'junk!'; } >"$d/$IMG.gz"

# -- checkpoints: "PNCK" | u32 version | model[32] | f32 aux | u64 seed |
# u64 n_pairs | u64 batch | u64 n_params | u64 n_state | f32... | u32 CRC
# (train --save writes the .pn format only for a name ending .pn)
ck=$out/control.ckpt
rm -f "$ck" "$out/control.pn"
"$bin" train --model mlp --epochs 1 --save "$out/control.pn" --data "$data" >/dev/null ||
    die "$bin train --model mlp --epochs 1 --save $out/control.pn failed"
mv "$out/control.pn" "$ck"
n=$(size "$ck")
np=$(peek_u64 "$ck" 68)
ns=$(peek_u64 "$ck" 76)
((n == 84 + 4 * (np + ns) + 4)) || die "$ck: $n bytes, header says $np + $ns values"
# The CRC trick must reproduce the stored CRC, or every "valid CRC" case below
# would fail for the wrong reason.
[[ $(crc32le "$ck" $((n - 4)) | od -An -tx1) == $(tail -c 4 "$ck" | od -An -tx1) ]] ||
    die "gzip's CRC-32 does not match $ck's: the CRC trick does not work here"

# A copy of the control checkpoint as case $1; prints its path.
ck_case() {
    rm -rf "${out:?}/$1"
    cp "$ck" "$out/$1"
    chmod u+w "$out/$1"
    printf '%s\n' "$out/$1"
}

c=$(ck_case ckpt_empty)
: >"$c"

c=$(ck_case ckpt_short_header) # cut inside the header
head -c 60 "$ck" >"$c"

c=$(ck_case ckpt_truncated) # cut inside the parameters
head -c $((n / 2)) "$ck" >"$c"

c=$(ck_case ckpt_padded) # one value too many
{ cat "$ck"; zeros 4; } >"$c"

c=$(ck_case ckpt_wrong_magic)
printf 'PNCX' | poke "$c" 0

c=$(ck_case ckpt_flip_header) # in the seed
flip "$c" 44 1

c=$(ck_case ckpt_flip_params) # in weight 1000
flip "$c" $((84 + 4 * 1000 + 2)) 0x20

c=$(ck_case ckpt_flip_crc)
flip "$c" $((n - 1)) 0x80

# Valid CRC from here on: only the field named is wrong.
c=$(ck_case ckpt_version2)
u32le 2 | poke "$c" 4
fix_crc "$c"

c=$(ck_case ckpt_unknown_model)
{ printf 'resnet50'; zeros 24; } | poke "$c" 8
fix_crc "$c"

c=$(ck_case ckpt_unterminated_name) # 32 letters, no NUL
printf 'x%.0s' {1..32} | poke "$c" 8
fix_crc "$c"

c=$(ck_case ckpt_param_count) # the last parameter cut out, n_params - 1
{ head -c $((84 + 4 * (np - 1))) "$ck"; tail -c +$((84 + 4 * np + 1)) "$ck"; } >"$c"
u64le $((np - 1)) | poke "$c" 68
fix_crc "$c"

c=$(ck_case ckpt_count_wrap) # n_params + 2^62: 4 * (n_params + n_state) wraps to the body size
u64le $(((1 << 62) + np)) | poke "$c" 68
fix_crc "$c"

c=$(ck_case ckpt_batch_0)
u64le 0 | poke "$c" 60
fix_crc "$c"

c=$(ck_case ckpt_pairs_huge)
u64le 1000000 | poke "$c" 52
fix_crc "$c"

c=$(ck_case ckpt_nan_weight) # weight 1000 a quiet NaN: a model that diverged, CRC valid
{ byte 0; byte 0; byte 0xc0; byte 0x7f; } | poke "$c" $((84 + 4 * 1000))
fix_crc "$c"

c=$(ck_case ckpt_inf_state) # the last BatchNorm running statistic +inf
{ byte 0; byte 0; byte 0x80; byte 0x7f; } | poke "$c" $((84 + 4 * (np + ns - 1)))
fix_crc "$c"

# -- the controls: the same inputs, unbroken
new_case control_data "" >/dev/null

printf 'make-bad.sh: corpus written to %s\n' "$out"
