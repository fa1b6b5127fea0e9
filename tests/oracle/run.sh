#!/bin/sh
# run.sh: build the matching driver and compare it with NetworkX on random
# graphs and pools (needs python3-networkx). Ends with "N passed, N failed".
# Usage: tests/oracle/run.sh [seed [graphs [pools]]]
set -e
cd "$(dirname "$0")/../.."
out=${BUILD:-build}/oracle
mkdir -p "$out"
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Wformat=2 -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
	-Wno-unused-parameter -Isrc -o "$out/match_driver" \
	tests/oracle/match_driver.c src/match.c src/match_blossom.c \
	src/util.c src/log.c
exec python3 tests/oracle/oracle.py "$out/match_driver" "${1:-1}" "${2:-300}" "${3:-200}"
