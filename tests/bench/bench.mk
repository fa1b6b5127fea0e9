# bench.mk: benchmarks, included by the Makefile. Other benchmarks add
# themselves with "bench: bench-xxx".
# bench-match: our matching engine against LEMON (needs liblemon-dev, g++) on
# ILN-like pools of 1,000 (every allowed pair), 10,000 and 100,000 people
# (pruned, k=50): each solver runs as its own process on the same graph file
# (time of the solve, peak memory of the process); then the whole
# `ilnbot match --dry-run` process on a store of 1,000 people against the
# whole LEMON process reading the same graph. BENCH_MATCH_SIZES overrides the
# sizes (100000 is left out by default: its pruned graph of 4.8M edges leaves
# 23% of the people unmatched, and both solvers take minutes on it: ours
# 143 s, LEMON 197 s CPU, same pairs and weight), BENCH_MATCH_PROCESS the
# size of the whole-process run.

BENCH_MATCH_SIZES ?= 1000 10000
BENCH_MATCH_PROCESS ?= 1000
BENCH_CXX ?= g++

# bench-adjust: MATCH with three adjustments (a lock, an unpair, an exclusion) on a
# pool of BENCH_ADJUST_SIZE (10,000, pruned): each re-solve's whole `ilnbot match`
# process against a plain MATCH of the same pool (limit 1.2x), and peak memory.
BENCH_ADJUST_SIZE ?= 10000

.PHONY: bench bench-match bench-adjust
bench: bench-match bench-adjust

bench-adjust: $(BUILD)/ilnbot
	python3 tests/bench/bench_adjust.py $(BUILD)/ilnbot $(BUILD)/bench/adjust $(BENCH_ADJUST_SIZE)

$(BUILD)/bench/bench_match: tests/bench/bench_match.c $(BUILD)/libilnbot.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ILN_CFLAGS) -O2 -g -o $@ tests/bench/bench_match.c \
	  $(BUILD)/libilnbot.a $(LDLIBS)

$(BUILD)/bench/lemon_match: tests/bench/lemon_match.cc
	@mkdir -p $(dir $@)
	$(BENCH_CXX) -O2 -o $@ $<

bench-match: $(BUILD)/ilnbot $(BUILD)/bench/bench_match $(BUILD)/bench/lemon_match
	$(BUILD)/bench/bench_match $(BUILD)/bench/lemon_match $(BUILD)/bench/match_graph.txt $(BENCH_MATCH_SIZES)
	$(BUILD)/bench/bench_match --process $(BUILD)/ilnbot $(BUILD)/bench/lemon_match \
	  $(BUILD)/bench/match_process $(BENCH_MATCH_PROCESS)
