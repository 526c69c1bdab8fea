# pairnet: `make` builds ./pairnet; `make test` runs the test suite and
# `make bench` the study's Table II into results/ (both fetch MNIST into
# data/mnist first when it is missing: scripts/need-mnist.sh).
# One binary runs on every CPU of its target: the kernels are built once
# per ISA and chosen at start-up (PAIRNET_KERNEL=avx512|avx2|scalar forces
# one). NATIVE=1 adds -march=native for the rest; CC=clang works too.
CC      ?= cc
NATIVE  ?= 0
OPT     ?= -O3
BUILD   ?= build
SAN     ?=
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           $(if $(filter 1,$(WERROR)),-Werror)
ARCH    := $(if $(filter 1,$(NATIVE)),-march=native,)
# Per-ISA kernel sets (src/ops/kset_*.c): each gets its own flags, x86-64
# only (the aarch64 set, NEON, is base ISA there); ISA_FLAGS is empty for
# every other file.
ifneq ($(filter x86_64%,$(shell $(CC) -dumpmachine)),)
$(BUILD)/src/ops/kset_avx512.o: ISA_FLAGS := -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma
$(BUILD)/src/ops/kset_avx2.o: ISA_FLAGS := -mavx2 -mfma
endif
# aarch64 GCC 12.2 dies with an internal compiler error vectorizing an fmax
# reduction (vect_transform_reduction; tests/test_optim.c): test code is
# not vectorized on that target (the library is).
ifneq ($(filter aarch64%,$(shell $(CC) -dumpmachine)),)
$(BUILD)/tests/%.o: ISA_FLAGS := -fno-tree-vectorize
endif
CFLAGS  ?= $(OPT) -g
# No compiler may fuse a*b+c on its own (clang does by default): results are
# bit-identical across compilers only if every FMA is written in the code.
ALL_CFLAGS = -std=c11 -ffp-contract=off $(WARN) $(ARCH) $(ISA_FLAGS) $(CFLAGS) $(SAN) -Iinclude -MMD -MP
LDLIBS  := -lm -lpthread

# The library, bottom-up (docs/ and scripts/check-layers.sh say which layer
# may use which); the application on top is src/app.
LAYERS   := base ops graph models data train report
LIB_SRC  := $(sort $(foreach l,$(LAYERS),$(wildcard src/$(l)/*.c)))
APP_SRC  := $(sort $(wildcard src/app/*.c))
TEST_SRC := $(sort $(wildcard tests/*.c))
PERF_SRC := $(sort $(wildcard bench/*.c))
PEAK_OBJ := $(BUILD)/bench/peak.o

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libpairnet.a
BIN      := pairnet


# The sanitizer and portable builds put their binary next to their objects
# so that they never overwrite ./pairnet.
ifeq ($(BUILD),build)
BIN_OUT := $(BIN)
else
BIN_OUT := $(BUILD)/$(BIN)
endif

.PHONY: all best test test-slurm test-asan test-valgrind valgrind-run clean bench ablation data table1
all: $(BIN_OUT)

# MNIST for the targets that need it: $PAIRNET_DATA, else data/mnist,
# fetched (and md5-checked) when neither has it. `make data` fetches into
# data/mnist; MNIST_SRC=DIR copies from a local folder instead.
NEED_DATA = d=$$(scripts/need-mnist.sh) || exit 1;
data:
	scripts/get-mnist.sh data/mnist

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The revision baked into the binary (pn_revision, src/report/provenance.c):
# `git describe --always --dirty` of this tree, else the first line of a
# VERSION file (a tarball without .git), else "unknown". The header is
# rewritten only when that changes, so a new commit recompiles one file.
# The revision baked into the binary: `git describe`, "-dirty" when code
# differs from it (results/ does not count: a make target that writes
# results must not mark the next one's binary dirty); a tarball's VERSION.
VERSION_H := $(BUILD)/version.h
$(VERSION_H): FORCE
	@mkdir -p $(dir $@)
	@r=$$(if [ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$$(pwd -P)" ]; then \
	        git describe --always 2>/dev/null | tr -d '\n'; \
	        [ -z "$$(git status --porcelain --untracked-files=no -- . ':(exclude)results' 2>/dev/null)" ] || \
	            printf -- '-dirty'; \
	      elif [ -f VERSION ]; then head -n 1 VERSION; fi | tr -cd 'A-Za-z0-9._+-'); \
	    printf '#define PN_REVISION "%s"\n' "$${r:-unknown}" > $@.tmp; \
	    if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
# The flags the code is compiled with, baked in the same way for the
# tables' provenance (pn_build_flags): $(BUILD)/flags.h is rewritten only
# when they change, and every object depends on it, so that a build with
# other flags compiles everything again instead of mixing objects under
# one claim. The warnings are left out (they change no code: WERROR=1 and
# a plain build share their objects); the kernel sets add their ISA flags
# (ISA_FLAGS above). The text reaches the shell through the environment,
# never through its quoting.
BUILD_FLAGS = -std=c11 -ffp-contract=off $(ARCH) $(CFLAGS) $(SAN)
FLAGS_H := $(BUILD)/flags.h
$(FLAGS_H): export PN_FLAGS_TEXT = $(strip $(BUILD_FLAGS))
$(FLAGS_H): FORCE
	@mkdir -p $(dir $@)
	@printf '#define PN_BUILD_FLAGS "%s"\n' \
	    "$$(printf '%s' "$$PN_FLAGS_TEXT" | tr '\n\r\t' '   ' | sed 's/[\\"]/\\&/g')" > $@.tmp; \
	    if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
$(LIB_OBJ) $(APP_SRC:%.c=$(BUILD)/%.o) $(TEST_SRC:%.c=$(BUILD)/%.o): $(FLAGS_H)
$(BUILD)/src/report/provenance.o: $(VERSION_H)
$(BUILD)/src/report/provenance.o: ALL_CFLAGS += -I$(BUILD)
.PHONY: FORCE
FORCE:

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN_OUT): $(APP_SRC:%.c=$(BUILD)/%.o) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/run: $(TEST_SRC:%.c=$(BUILD)/%.o) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# Tests find the CLI through PAIRNET_BIN.
# Every test needs its data: without MNIST (and no way to fetch it) make
# test stops rather than count skipped tests as a pass.
test: $(BUILD)/tests/run $(BIN_OUT)
	@$(NEED_DATA) echo "PAIRNET_DATA=$$d PAIRNET_BIN=./$(BIN_OUT) ./$(BUILD)/tests/run $(T)"; \
	    PAIRNET_DATA=$$d PAIRNET_REQUIRE_DATA=1 PAIRNET_BIN=./$(BIN_OUT) ./$(BUILD)/tests/run $(T)

# The grid as a real Slurm job array on a throw-away local cluster
# (tests/slurm/: installs Debian's Slurm and munge when missing).
test-slurm: $(BIN_OUT)
	@$(NEED_DATA) PAIRNET_DATA=$$d tests/slurm/test.sh ./$(BIN_OUT)

test-asan:
	$(MAKE) test BUILD=build-asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"

# valgrind 3.19 cannot decode AVX-512: memcheck runs the AVX2 + FMA kernels.
test-valgrind:
	PAIRNET_KERNEL=avx2 $(MAKE) valgrind-run BUILD=build-valgrind OPT=-O2

valgrind-run: $(BUILD)/tests/run $(BIN_OUT)
	@$(NEED_DATA) PAIRNET_DATA=$$d PAIRNET_REQUIRE_DATA=1 PAIRNET_BIN=./$(BIN_OUT) valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect ./$(BUILD)/tests/run $(T)

# The study's Table II: five models x 15 rounds x 45 epochs into results/.
bench: $(BIN_OUT)
	@$(NEED_DATA) echo "PAIRNET_DATA=$$d ./$(BIN_OUT) bench --out results $(BENCH_ARGS)"; \
	    PAIRNET_DATA=$$d ./$(BIN_OUT) bench --out results $(BENCH_ARGS)

# The best model over the same 15 seeds, beside cnn_ws_al so that
# results/best/table2.md carries the paired effect of best's recipe.
best: $(BIN_OUT)
	@$(NEED_DATA) echo "PAIRNET_DATA=$$d ./$(BIN_OUT) bench --models cnn_ws_al,best --out results/best $(BEST_ARGS)"; \
	    PAIRNET_DATA=$$d ./$(BIN_OUT) bench --models cnn_ws_al,best --out results/best $(BEST_ARGS)

# The ablation of `best` (the variants are the table at the top of
# scripts/ablation.sh): results/ablation/<variant>/ and results/ablation.md.
# Resumable; ABLATION_ARGS go to the script, e.g. "--rounds 2 --epochs 2"
# for a quick look, "--variants full,no-aux" or "--out DIR".
ablation: $(BIN_OUT)
	@$(NEED_DATA) PAIRNET_DATA=$$d \
	ABLATION_COMMAND='make ablation$(if $(filter-out build,$(BUILD)), BUILD=$(BUILD))$(if $(ABLATION_ARGS), ABLATION_ARGS="$(ABLATION_ARGS)")' \
	    scripts/ablation.sh --bin ./$(BIN_OUT) --out results $(ABLATION_ARGS)

# The study's Table I, chosen honestly: the full grid (the five models x lr
# 0.001 0.005 0.01 0.05 0.1 x batch 25 50 100 200, 15 rounds x 45 epochs a
# cell, each round evaluated at its end) on validation seeds 1000..1014 and on
# the test seeds 0..14; each model's cell chosen on validation, reported on
# test, into results/table1/ by `pairnet table1` (tables, heatmaps and
# provenance). The cells (resumable, git-ignored) stay in
# results/table1/cells/. TABLE1_ARGS go to both grids, e.g. "--jobs 4".
T1 := results/table1
table1: $(BIN_OUT)
	@$(NEED_DATA) \
	scripts/grid.sh --data "$$d" --seed 1000 --out $(T1)/cells/validation --bin ./$(BIN_OUT) $(TABLE1_ARGS) && \
	scripts/grid.sh --data "$$d" --seed 0 --out $(T1)/cells/test --bin ./$(BIN_OUT) $(TABLE1_ARGS) && \
	PAIRNET_DATA="$$d" ./$(BIN_OUT) table1 --validation $(T1)/cells/validation --test $(T1)/cells/test \
	    --out $(T1) --command 'make table1$(if $(TABLE1_ARGS), TABLE1_ARGS="$(TABLE1_ARGS)")'

clean:
	rm -rf build build-* $(BIN)

include $(wildcard mk/*.mk)

-include $(LIB_OBJ:.o=.d) $(APP_SRC:%.c=$(BUILD)/%.d) $(TEST_SRC:%.c=$(BUILD)/%.d) $(PERF_SRC:%.c=$(BUILD)/%.d)

# `make perf`: FMA peak, seconds per training epoch per model, per-layer profile.
PERF_THREADS ?= $(shell getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
$(BUILD)/perf: $(BUILD)/bench/perf.o $(PEAK_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: perf
perf: $(BUILD)/perf
	./$(BUILD)/perf $(PERF_THREADS)
