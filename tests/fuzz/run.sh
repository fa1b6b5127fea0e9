#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS]: short libFuzzer runs, SECONDS in all (default 60): the
# whole inbound path, seeded with the shared corpus and tests/corpus; then the
# Authentication-Results parser for a quarter of the time (at most 15 s), seeded with
# tests/fuzz/auth_results_seeds. Prints "fuzz: N passed, N failed" (1 run per target);
# what a target found is copied to build/fuzz/crashers/.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SECS=${1:-60}
AR_SECS=$((SECS / 4))
[ "$AR_SECS" -gt 15 ] && AR_SECS=15
[ "$AR_SECS" -lt 1 ] && AR_SECS=1
IN_SECS=$((SECS - AR_SECS))
[ "$IN_SECS" -lt 1 ] && IN_SECS=1
WORK=$(mktemp -d /tmp/ilnbot-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PASSED=0
FAILED=0

# fuzz_one TARGET SECONDS CORPUS [libFuzzer flags...]
fuzz_one() {
	local name=$1 secs=$2 corpus=$3 rc
	shift 3
	mkdir -p "$WORK/artifacts/$name"
	ILNBOT_TOP="$TOP" "$TOP/build/fuzz/$name" -max_total_time="$secs" -rss_limit_mb=512 \
		-timeout=5 -artifact_prefix="$WORK/artifacts/$name/" -print_final_stats=1 "$@" \
		"$corpus" >"$WORK/$name.log" 2>&1
	rc=$?
	echo "--- $name, $secs s"
	tail -15 "$WORK/$name.log"
	if [ $rc -eq 0 ] && [ -z "$(ls "$WORK/artifacts/$name")" ]; then
		PASSED=$((PASSED + 1))
	else
		FAILED=$((FAILED + 1))
		mkdir -p "$TOP/build/fuzz/crashers"
		cp "$WORK/artifacts/$name"/* "$TOP/build/fuzz/crashers/" 2>/dev/null
		echo "$name: crashers copied to build/fuzz/crashers/"
	fi
}

mkdir -p "$WORK/corpus" "$WORK/auth_results_corpus"
for d in "$TOP/../shared/corpus" "$TOP/tests/corpus"; do
	[ -d "$d" ] && find "$d" -type f \( -name '*.eml' -o -name '*.msg' \) -size -200k -exec cp {} "$WORK/corpus/" \; 2>/dev/null
done
cp "$TOP"/tests/fuzz/auth_results_seeds/* "$WORK/auth_results_corpus/"
cd "$WORK"
fuzz_one fuzz_inbound "$IN_SECS" "$WORK/corpus"
# values past the 2048-byte cap, and undefined behaviour is a finding too
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 fuzz_one fuzz_auth_results "$AR_SECS" \
	"$WORK/auth_results_corpus" -max_len=8192 -dict="$TOP/tests/fuzz/auth_results.dict"
echo "fuzz: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
