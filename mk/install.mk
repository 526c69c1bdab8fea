# `make install`, `make uninstall` and `make help`, as Unix tools do them:
# PREFIX (default /usr/local) and DESTDIR (a staging root for packagers)
# place the binary in bin/, its man page in share/man/man1/ and the docs in
# share/doc/pairnet/. The man page is written by the binary itself from its
# option table (`pairnet --man`), so it never disagrees with --help.
# Included from the main Makefile after its variables (BIN_OUT, BUILD).

ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := all
endif

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/pairnet
INSTALL ?= install
MAN_PAGE := $(BUILD)/pairnet.1
DOCS    := README.md $(sort $(wildcard docs/*.md))

$(MAN_PAGE): $(BIN_OUT)
	@mkdir -p $(dir $@)
	./$(BIN_OUT) --man > $@.tmp && mv -f $@.tmp $@

.PHONY: install uninstall help man
man: $(MAN_PAGE)

install: $(BIN_OUT) $(MAN_PAGE)
	$(INSTALL) -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(MANDIR)/man1' '$(DESTDIR)$(DOCDIR)'
	$(INSTALL) -m 755 $(BIN_OUT) '$(DESTDIR)$(BINDIR)/pairnet'
	$(INSTALL) -m 644 $(MAN_PAGE) '$(DESTDIR)$(MANDIR)/man1/pairnet.1'
	$(INSTALL) -m 644 $(DOCS) '$(DESTDIR)$(DOCDIR)/'

uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/pairnet' '$(DESTDIR)$(MANDIR)/man1/pairnet.1'
	rm -f $(foreach d,$(notdir $(DOCS)),'$(DESTDIR)$(DOCDIR)/$(d)')
	-rmdir '$(DESTDIR)$(DOCDIR)' 2>/dev/null

# One line per target a user runs; the comments above each rule say more.
help:
	@printf '%s\n' \
	  'make              build ./pairnet (NATIVE=1: -march=native; CC=clang works too)' \
	  'make test         the test suite (fetches MNIST into data/mnist when missing)' \
	  'make bench        the study'"'"'s Table II into results/ (BENCH_ARGS=...)' \
	  'make best         best beside cnn_ws_al into results/best/ (BEST_ARGS=...)' \
	  'make table1       the study'"'"'s Table I grid into results/table1/ (TABLE1_ARGS=...)' \
	  'make ablation     the ablation of best into results/ablation/ (ABLATION_ARGS=...)' \
	  'make perf         FMA peak and seconds per training epoch per model' \
	  'make data         fetch MNIST into data/mnist (MNIST_SRC=DIR copies a local one)' \
	  'make test-asan    the suite under AddressSanitizer and UBSan' \
	  'make test-slurm   the grid as a Slurm job array on a throw-away local cluster' \
	  'make test-ssh     the grid over ssh with GNU parallel on a local sshd' \
	  'make test-valgrind the suite under valgrind memcheck (AVX2 kernels)' \
	  'make fuzz         the IDX and checkpoint fuzzers (clang libFuzzer)' \
	  'make install      binary, man page and docs under PREFIX (/usr/local), DESTDIR too' \
	  'make uninstall    remove what make install put there' \
	  'make test-install both into a throw-away DESTDIR' \
	  'make man          write the man page build/pairnet.1 (man ./build/pairnet.1)' \
	  'make clean        remove build/ and ./pairnet'

# The two above into a throw-away DESTDIR (tests/install/test.sh).
.PHONY: test-install
test-install: $(BIN_OUT)
	tests/install/test.sh
