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
FUZZ_IDX_SRC := tests/fuzz/fuzz_idx.c src/data/inflate.c src/data/idx.c src/core/error.c
FUZZ_MNIST   := $(or $(PAIRNET_DATA),data/mnist)

.PHONY: fuzz-idx

$(FUZZ_OUT)/fuzz_idx: $(FUZZ_IDX_SRC) include/pairnet/data.h include/pairnet/error.h
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
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 corpus-idx seeds-idx
