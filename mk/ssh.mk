# `make test-ssh`: the grid over ssh as README's cluster section gives it,
# `scripts/grid.sh --print | parallel --sshloginfile FILE`, against a real
# throw-away sshd on 127.0.0.1, into a folder whose path holds a space;
# every cell is compared with the same grid run here (tests/ssh/test.sh:
# installs Debian's openssh-server and GNU parallel when missing, touches
# neither /etc/ssh nor ~/.ssh, stops its sshd on every way out).
# Included from the main Makefile after its variables (BIN_OUT, NEED_DATA).

# Keep `all` the default goal whatever the order of the fragments.
ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := all
endif

.PHONY: test-ssh
test-ssh: $(BIN_OUT)
	@$(NEED_DATA) PAIRNET_DATA=$$d tests/ssh/test.sh ./$(BIN_OUT)
