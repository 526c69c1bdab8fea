#!/bin/sh
# Seeds for fuzz_safetensors (mk/fuzz.mk) into directory $1: small
# safetensors files made here, each an 8-byte little-endian header length,
# the JSON header padded with spaces to a multiple of 8, and its data.
set -eu
dir=$1
mkdir -p "$dir"

# st FILE HEADER DATA-BYTES (the data as printf escapes)
st() {
    h=$2
    while [ $(( (${#h} + 8) % 8 )) -ne 0 ]; do h="$h "; done
    n=${#h}
    {
        i=0
        while [ $i -lt 8 ]; do
            printf "\\$(printf '%03o' $(( (n >> (8 * i)) & 255 )))"
            i=$((i + 1))
        done
        printf '%s' "$h"
        printf "$3"
    } > "$dir/$1"
}

st empty.safetensors '{}' ''
st two.safetensors '{"__metadata__":{"k":"v\u00e9"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I64","shape":[],"data_offsets":[8,16]}}' \
    '\000\000\200\077\000\000\000\300\007\000\000\000\000\000\000\000'
st zero-size.safetensors '{"z":{"dtype":"U8","shape":[0,3],"data_offsets":[0,0]},"u":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}}' \
    '\001\002\003'
# A pairnet model header without its tensors: reaches the metadata and the
# name checks (the checksum is the CRC of no bytes).
meta='"format":"pairnet-model-1","model":"mlp","seed":"0","epochs":"1","lr":"0.01","bs":"100","opt":"sgd","pairs":"1000","tta":"1","ensemble":"1","width":"1","head":"learned","decide":"head","dropout":"0","checksum":"crc32:00000000"'
st mlp-meta.safetensors "{\"__metadata__\":{$meta}}" ''
st mlp-one.safetensors "{\"__metadata__\":{$meta},\"fc3.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}" \
    '\000\000\200\077\000\000\000\300'
