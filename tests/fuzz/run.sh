#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS]: a short libFuzzer run of the whole inbound path, seeded
# with the shared corpus and tests/corpus; prints "N passed, N failed" (1 run).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SECS=${1:-60}
WORK=$(mktemp -d /tmp/ilnbot-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/corpus" "$WORK/artifacts"
for d in "$TOP/../shared/corpus" "$TOP/tests/corpus"; do
	[ -d "$d" ] && find "$d" -type f \( -name '*.eml' -o -name '*.msg' \) -size -200k -exec cp {} "$WORK/corpus/" \; 2>/dev/null
done
cd "$WORK"
ILNBOT_TOP="$TOP" "$TOP/build/fuzz/fuzz_inbound" -max_total_time="$SECS" -rss_limit_mb=512 -timeout=5 \
	-artifact_prefix="$WORK/artifacts/" -print_final_stats=1 "$WORK/corpus" >fuzz.log 2>&1
rc=$?
tail -15 fuzz.log
if [ $rc -eq 0 ] && [ -z "$(ls "$WORK/artifacts")" ]; then
	echo "fuzz: 1 passed, 0 failed"
else
	mkdir -p "$TOP/build/fuzz/crashers"
	cp "$WORK"/artifacts/* "$TOP/build/fuzz/crashers/" 2>/dev/null
	echo "crashers copied to build/fuzz/crashers/"
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
