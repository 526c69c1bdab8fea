# GEMM benchmark: `make perf-gemm` builds $(BUILD)/perf_gemm against the
# library and runs it (GFLOP/s per layer shape vs. the measured FMA peak).
# Included from the main Makefile; uses its CC, flags, BUILD and LIB.

# Keep whatever default goal the including Makefile has (an empty value
# lets the next target it defines become the default).
pn_perf_saved_goal := $(.DEFAULT_GOAL)

.PHONY: perf-gemm

$(BUILD)/perf_gemm: $(BUILD)/bench/perf_gemm.o $(PEAK_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

perf-gemm: $(BUILD)/perf_gemm
	./$(BUILD)/perf_gemm $(PERF_ARGS)


.DEFAULT_GOAL := $(pn_perf_saved_goal)
