#!/bin/sh
# run.sh: build the matching driver (make, with the project's flags) and compare it with NetworkX on random
# graphs and pools (needs python3-networkx). Ends with "N passed, N failed".
# Usage: tests/oracle/run.sh [seed [graphs [pools]]]
set -e
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
make -s "$build/tools/match_driver"
exec python3 tests/oracle/oracle.py "$build/tools/match_driver" "${1:-1}" "${2:-300}" "${3:-200}"
