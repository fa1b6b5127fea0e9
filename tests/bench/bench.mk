# bench.mk: benchmarks, included by the Makefile. Other benchmarks add
# themselves with "bench: bench-xxx".
# bench-match: our matching engine against LEMON (needs liblemon-dev, g++) on
# ILN-like pools of 1,000 (every allowed pair), 10,000 and 100,000 people
# (pruned, k=50). BENCH_MATCH_SIZES overrides the sizes.

BENCH_MATCH_SIZES ?= 1000 10000 100000
BENCH_CXX ?= g++
BENCH_MATCH_SRCS := tests/bench/bench_match.c src/match.c src/match_blossom.c src/util.c src/log.c

.PHONY: bench bench-match
bench: bench-match

$(BUILD)/bench/bench_match: $(BENCH_MATCH_SRCS) src/match.h src/match_blossom.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O2 -g -D_GNU_SOURCE -Isrc -o $@ $(BENCH_MATCH_SRCS)

$(BUILD)/bench/lemon_match: tests/bench/lemon_match.cc
	@mkdir -p $(dir $@)
	$(BENCH_CXX) -O2 -o $@ $<

bench-match: $(BUILD)/bench/bench_match $(BUILD)/bench/lemon_match
	$(BUILD)/bench/bench_match $(BUILD)/bench/lemon_match $(BUILD)/bench/match_graph.txt $(BENCH_MATCH_SIZES)
