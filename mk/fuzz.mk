# `make fuzz-idx`: libFuzzer run of the gzip and IDX parsers
# (tests/fuzz/fuzz_idx.c) for FUZZ_SECONDS (default 60) under ASan + UBSan.
#
# Needs clang with its fuzzer and sanitizer runtimes. On Debian 12 that is
# `apt-get install clang libclang-rt-14-dev` (libclang-rt-N-dev for clang N;
# without it the link fails with "cannot find libclang_rt.fuzzer").
#
# Everything goes to build-fuzz/: the binary, the seeds (small valid files
# made here, plus the real t10k labels when data/mnist or PAIRNET_DATA has
# them) and the growing corpus, which later runs start from. A crash leaves
# its input as build-fuzz/crash-*; replay it with
# `build-fuzz/fuzz_idx build-fuzz/crash-...`.

# Included from the main Makefile, possibly before its `all`: keep `all` the
# default goal rather than the first rule below.
ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := all
endif

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_OUT     := build-fuzz
FUZZ_CFLAGS  := -std=c11 -g -O1 -fno-omit-frame-pointer \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_IDX_SRC := tests/fuzz/fuzz_idx.c src/base/crc32.c src/data/gzip.c src/data/inflate.c \
                src/data/inftrees.c src/data/idx.c src/base/error.c
FUZZ_MNIST   := $(or $(PAIRNET_DATA),data/mnist)

.PHONY: fuzz-idx

$(FUZZ_OUT)/fuzz_idx: $(FUZZ_IDX_SRC) src/data/inflate.h $(wildcard include/pairnet/data/*.h) \
                      include/pairnet/base/error.h include/pairnet/base/crc32.h
	@mkdir -p $(FUZZ_OUT)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Wall -Wextra -Wpedantic -Iinclude -o $@ $(FUZZ_IDX_SRC)

# Seeds: raw IDX labels and images, their gzip (fixed-Huffman blocks), a
# dynamic-Huffman gzip, and a hand-made stored-block gzip.
$(FUZZ_OUT)/seeds-idx.stamp: mk/fuzz.mk
	@rm -rf $(FUZZ_OUT)/seeds-idx
	@mkdir -p $(FUZZ_OUT)/seeds-idx
	cd $(FUZZ_OUT)/seeds-idx && \
	printf '\0\0\010\001\0\0\0\005\001\002\003\004\005' > labels.idx && \
	printf '\0\0\010\003\0\0\0\002\0\0\0\002\0\0\0\002abcdefgh' > images.idx && \
	gzip -9nc labels.idx > labels.idx.gz && \
	gzip -9nc images.idx > images.idx.gz && \
	seq 1 600 | gzip -9nc > dynamic.gz && \
	printf '\037\213\010\000\000\000\000\000\000\003\001\026\000\351\377\163\164\157\162\145\144\072\040\162\141\167\040\142\171\164\145\163\040\000\001\002\377\140\337\075\265\026\000\000\000' > stored.gz
	@if [ -f $(FUZZ_MNIST)/t10k-labels-idx1-ubyte.gz ]; then \
	    cp $(FUZZ_MNIST)/t10k-labels-idx1-ubyte.gz $(FUZZ_OUT)/seeds-idx/; fi
	@touch $@

fuzz-idx: $(FUZZ_OUT)/fuzz_idx $(FUZZ_OUT)/seeds-idx.stamp
	@mkdir -p $(FUZZ_OUT)/corpus-idx
	cd $(FUZZ_OUT) && ./fuzz_idx -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 corpus-idx seeds-idx \
	    $(FUZZ_REGRESS)

# ---- `make fuzz-ckpt`: libFuzzer run of the checkpoint parser
# (tests/fuzz/fuzz_ckpt.c, pn_checkpoint_parse and a save/parse round trip)
# for FUZZ_SECONDS under ASan + UBSan. The round trip stays in memory
# (pn_checkpoint_encode); checkpoint.c links with the base files it uses
# (crc32.c, file.c, error.c) and nothing else of the library.
#
# Seeds in build-fuzz/seeds-ckpt: two hand-made checkpoints (3 + 2 values, and
# none), plus, when a working pairnet ($PAIRNET_BIN, else ./pairnet or
# $(BIN_OUT)) and the MNIST files are there, a real mlp checkpoint from
# `pairnet train --epochs 1 --save` cut down to its header and 16 + 4 of its
# values (the full file is far too large to mutate usefully). Delete
# build-fuzz/seeds-ckpt.stamp to remake them. The corpus grows in
# build-fuzz/corpus-ckpt; crashes are left as build-fuzz/crash-*; replay one
# with `build-fuzz/fuzz_ckpt build-fuzz/crash-...`.
#
# `make fuzz`: fuzz-idx, fuzz-ckpt, fuzz-png, then fuzz-safetensors, FUZZ_SECONDS each.
#
# Inputs that once crashed are kept in tests/bad/regress/ (when there are
# any); both targets start from them too.

FUZZ_CKPT_SRC := tests/fuzz/fuzz_ckpt.c src/train/checkpoint.c src/base/crc32.c src/base/file.c \
                 src/base/error.c
FUZZ_REGRESS  := $(wildcard $(CURDIR)/tests/bad/regress)

.PHONY: fuzz-ckpt fuzz

$(FUZZ_OUT)/fuzz_ckpt: $(FUZZ_CKPT_SRC) $(wildcard include/pairnet/*/*.h)
	@mkdir -p $(FUZZ_OUT)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Wall -Wextra -Wpedantic -Iinclude -o $@ $(FUZZ_CKPT_SRC)

# A checkpoint is its body followed by the CRC-32 of the body, little-endian:
# exactly the first 4 bytes of gzip's trailer.
FUZZ_CKPT_CRC = { cat $(1); gzip -c $(1) | tail -c 8 | head -c 4; }

$(FUZZ_OUT)/seeds-ckpt.stamp: mk/fuzz.mk
	@rm -rf $(FUZZ_OUT)/seeds-ckpt
	@mkdir -p $(FUZZ_OUT)/seeds-ckpt
	cd $(FUZZ_OUT)/seeds-ckpt && \
	{ printf 'PNCK\001\000\000\000mlp'; head -c 29 /dev/zero; \
	  printf '\000\000\200\077\007\000\000\000\000\000\000\000'; \
	  printf '\350\003\000\000\000\000\000\000\144\000\000\000\000\000\000\000'; } > head.tmp && \
	{ cat head.tmp; printf '\003\000\000\000\000\000\000\000\002\000\000\000\000\000\000\000'; \
	  printf '\000\000\200\077\000\000\000\300\000\000\300\177\000\000\000\000\000\000\200\077'; \
	} > tiny.tmp && \
	$(call FUZZ_CKPT_CRC,tiny.tmp) > tiny.ckpt && \
	{ cat head.tmp; head -c 16 /dev/zero; } > empty.tmp && \
	$(call FUZZ_CKPT_CRC,empty.tmp) > no-values.ckpt && \
	rm -f head.tmp tiny.tmp empty.tmp
	@bin=$(firstword $(PAIRNET_BIN) $(wildcard ./$(BIN) ./$(BIN_OUT))); \
	if [ -n "$$bin" ] && $$bin train --model mlp --epochs 1 --save $(FUZZ_OUT)/mlp.ckpt \
	        --data $(FUZZ_MNIST) > /dev/null 2>&1; then \
	    echo "seed: a real mlp checkpoint from $$bin, cut down"; \
	    cd $(FUZZ_OUT)/seeds-ckpt && \
	    { head -c 68 ../mlp.ckpt; \
	      printf '\020\000\000\000\000\000\000\000\004\000\000\000\000\000\000\000'; \
	      tail -c +85 ../mlp.ckpt | head -c 80; } > mlp.tmp && \
	    $(call FUZZ_CKPT_CRC,mlp.tmp) > mlp-small.ckpt && rm -f mlp.tmp; \
	else \
	    echo "seed: no ./pairnet or no MNIST in $(FUZZ_MNIST), hand-made checkpoints only"; \
	fi
	@touch $@

fuzz-ckpt: $(FUZZ_OUT)/fuzz_ckpt $(FUZZ_OUT)/seeds-ckpt.stamp
	@mkdir -p $(FUZZ_OUT)/corpus-ckpt
	cd $(FUZZ_OUT) && ./fuzz_ckpt -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 corpus-ckpt seeds-ckpt \
	    $(FUZZ_REGRESS)

# ---- `make fuzz-safetensors`: libFuzzer run of the safetensors readers
# (tests/fuzz/fuzz_safetensors.c: the container, its JSON header and the
# model layer above it, with round trips through both writers) for
# FUZZ_SECONDS under ASan + UBSan. The model layer builds networks, so the
# harness links the whole library, compiled for fuzzing into
# build-fuzz/lib/ by this Makefile itself (BUILD=build-fuzz/lib). Seeds:
# tests/fuzz/safetensors-seeds.sh (small containers and a pairnet model's
# metadata). Corpus in build-fuzz/corpus-st; crashes as build-fuzz/crash-*.

FUZZ_ST_LIB := $(FUZZ_OUT)/lib/libpairnet.a

.PHONY: fuzz-safetensors fuzz-st-lib

# the sub-make brings the library up to date (its own rule, its own objects)
fuzz-st-lib:
	$(MAKE) BUILD=$(FUZZ_OUT)/lib CC=$(FUZZ_CC) OPT="-O1" \
	    SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
	    $(FUZZ_ST_LIB)

$(FUZZ_OUT)/fuzz_safetensors: tests/fuzz/fuzz_safetensors.c fuzz-st-lib
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Wall -Wextra -Wpedantic -Iinclude -o $@ \
	    tests/fuzz/fuzz_safetensors.c $(FUZZ_ST_LIB) -lm -lpthread

fuzz-safetensors: $(FUZZ_OUT)/fuzz_safetensors
	@rm -rf $(FUZZ_OUT)/seeds-st
	sh tests/fuzz/safetensors-seeds.sh $(FUZZ_OUT)/seeds-st
	@mkdir -p $(FUZZ_OUT)/corpus-st
	cd $(FUZZ_OUT) && ./fuzz_safetensors -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 corpus-st seeds-st \
	    $(FUZZ_REGRESS)

# One after the other (each uses one core).
fuzz:
	$(MAKE) fuzz-idx
	$(MAKE) fuzz-ckpt
	$(MAKE) fuzz-png
	$(MAKE) fuzz-safetensors

# ---- `make fuzz-png`: libFuzzer run of `pairnet predict`'s picture readers
# (tests/fuzz/fuzz_png.c: PNG, PGM, and the digit preprocessing of whatever
# decodes) for FUZZ_SECONDS under ASan + UBSan. Seeds in build-fuzz/seeds-png
# come from tests/fuzz/png_seeds.py (every PNG colour type, several depths,
# all five filters, zlib-compressed; PGM P2 and P5), or, without python3, two
# PGMs made here. Corpus in build-fuzz/corpus-png; crashes as
# build-fuzz/crash-*; replay one with `build-fuzz/fuzz_png build-fuzz/crash-...`.

FUZZ_PNG_SRC := tests/fuzz/fuzz_png.c src/data/png.c src/data/pgm.c src/data/image.c \
                src/data/digit_image.c src/data/inflate.c src/data/inftrees.c \
                src/base/crc32.c src/base/file.c src/base/error.c

.PHONY: fuzz-png

$(FUZZ_OUT)/fuzz_png: $(FUZZ_PNG_SRC) src/data/inflate.h $(wildcard include/pairnet/*/*.h)
	@mkdir -p $(FUZZ_OUT)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Wall -Wextra -Wpedantic -Iinclude -o $@ $(FUZZ_PNG_SRC) -lm

$(FUZZ_OUT)/seeds-png.stamp: mk/fuzz.mk tests/fuzz/png_seeds.py
	@rm -rf $(FUZZ_OUT)/seeds-png
	@mkdir -p $(FUZZ_OUT)/seeds-png
	@if command -v python3 > /dev/null; then python3 tests/fuzz/png_seeds.py $(FUZZ_OUT)/seeds-png; \
	else printf 'P2\n3 2\n15\n0 7 15\n1 2 3\n' > $(FUZZ_OUT)/seeds-png/p2.pgm; \
	     printf 'P5 2 1 255\n\001\377' > $(FUZZ_OUT)/seeds-png/p5.pgm; fi
	@touch $@

fuzz-png: $(FUZZ_OUT)/fuzz_png $(FUZZ_OUT)/seeds-png.stamp
	@mkdir -p $(FUZZ_OUT)/corpus-png
	cd $(FUZZ_OUT) && ./fuzz_png -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 corpus-png seeds-png \
	    $(FUZZ_REGRESS)
