# `make test-interop`: pairnet's safetensors files in NumPy and in the
# `safetensors` package (tests/interop/numpy-check.sh; installs Debian's
# python3-numpy and the package from PyPI when they are missing). Not part
# of `make test`, which needs nothing but a C compiler: CI runs it as its
# own step.

# Included from the main Makefile, possibly before its `all`.
ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := all
endif

.PHONY: test-interop

test-interop: $(BIN_OUT)
	@$(NEED_DATA) tests/interop/numpy-check.sh ./$(BIN_OUT) "$$d"
