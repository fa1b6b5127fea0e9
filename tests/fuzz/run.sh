#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS]: the short libFuzzer run of `make check`: every target of
# build/fuzz (make fuzz), SECONDS in all (default 60, seeding included), shared out by
# weight: the whole inbound path 3, the message parse 2, the others (Authentication-
# Results, the form, the Subject parser, templates) 1 each. Seeds come from
# tests/fuzz/seeds.py (the shared corpus, blns.txt, tests/corpus, tests/fuzz/*_seeds),
# fresh in a temporary folder. Prints "fuzz: N passed, N failed" (1 run per target);
# what a target found is copied to build/fuzz/crashers/.
#
# tests/fuzz/run.sh --long [SECONDS]: the long run of `make fuzz-long`: each target for
# SECONDS (default 600), one after the other, from build/fuzz/long/corpus/TARGET (seeded
# the same way, kept and grown from run to run), on copies of the binaries so that a
# rebuild meanwhile does not disturb it. A crash does not end a target's time: the input
# is kept in build/fuzz/long/crashers/TARGET/ and libFuzzer starts again for the time
# left. Writes the table build/fuzz/long-summary.txt (target, seconds, executions,
# exec/s, cov, ft, corpus size, crashes) and the logs build/fuzz/long/TARGET.log.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TARGETS="fuzz_inbound fuzz_msg_parse fuzz_auth_results fuzz_form fuzz_subject fuzz_tmpl fuzz_bounce"
export ILNBOT_TOP="$TOP"
# undefined behaviour is a finding too
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

weight() {
	case $1 in
	fuzz_inbound) echo 3 ;;
	fuzz_msg_parse) echo 2 ;;
	*) echo 1 ;;
	esac
}

# The flags of a target beyond the common ones.
target_flags() {
	case $1 in
	fuzz_inbound | fuzz_msg_parse) echo "-dict=$TOP/tests/fuzz/msg.dict" ;;
	fuzz_auth_results) echo "-max_len=8192 -dict=$TOP/tests/fuzz/auth_results.dict" ;;
	fuzz_form) echo "-max_len=16384 -dict=$TOP/tests/fuzz/form.dict" ;;
	fuzz_subject) echo "-max_len=4096 -dict=$TOP/tests/fuzz/subject.dict" ;;
	fuzz_tmpl) echo "-max_len=16384 -dict=$TOP/tests/fuzz/tmpl.dict" ;;
	fuzz_bounce) echo "-max_len=65536 -dict=$TOP/tests/fuzz/msg.dict" ;;
	esac
}

# Seconds one input may take before libFuzzer calls it a hang: 5 in the long run, on a
# quiet machine; 20 in the short one, which runs on CI machines shared with other work
# (an input that slow on a quiet machine is still a finding of the long run).
LONG_TIMEOUT=5
SHORT_TIMEOUT=20

# run_fuzzer BIN SECONDS CORPUS ARTIFACTS LOG TIMEOUT: one libFuzzer run; its exit status.
run_fuzzer() {
	local bin=$1 secs=$2 corpus=$3 art=$4 log=$5 timeout=$6 name
	name=$(basename "$bin")
	# shellcheck disable=SC2046
	"$bin" -max_total_time="$secs" -rss_limit_mb=512 -timeout="$timeout" -artifact_prefix="$art/" \
		-print_final_stats=1 $(target_flags "$name") "$corpus" >"$log" 2>&1
}

# finding TARGET: a few lines saying what TARGET found in the short run (its exit, the
# sanitizer's or the harness's own words) and each input it saved, in base64 when small,
# so that a CI log alone is enough to reproduce it.
finding() {
	local t=$1 f
	echo "FAIL $t (exit $rc, -timeout=$SHORT_TIMEOUT s):"
	grep -aE '==[0-9]+==ERROR|^SUMMARY|^fuzz_[a-z_]+: |ALARM|out-of-memory|deadly signal|runtime error' \
		"$work/$t.log" | head -8
	for f in "$work/artifacts/$t"/*; do
		[ -f "$f" ] || continue
		if [ "$(stat -c %s "$f")" -le 3000 ]; then
			echo "  $(basename "$f") (base64 -d to reproduce):"
			base64 -w 100 "$f" | sed 's/^/    /'
		else
			echo "  $(basename "$f"): $(stat -c %s "$f") bytes, sha1 $(sha1sum "$f" | cut -c1-40)"
		fi
	done
}

short_run() {
	local secs=${1:-60} start left total=0 rc t s
	local passed=0 failed=0
	work=$(mktemp -d /tmp/ilnbot-fuzz.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	start=$(date +%s)
	python3 "$TOP/tests/fuzz/seeds.py" "$work/corpus" $TARGETS >"$work/seeds.log" ||
		{ cat "$work/seeds.log"; echo "fuzz: seeding failed"; return 1; }
	left=$((secs - ($(date +%s) - start)))
	for t in $TARGETS; do total=$((total + $(weight "$t"))); done
	cd "$work" || return 1
	for t in $TARGETS; do
		s=$((left * $(weight "$t") / total))
		[ "$s" -lt 1 ] && s=1
		mkdir -p "$work/artifacts/$t"
		run_fuzzer "$TOP/build/fuzz/$t" "$s" "$work/corpus/$t" "$work/artifacts/$t" "$work/$t.log" \
			"$SHORT_TIMEOUT"
		rc=$?
		echo "--- $t, $s s"
		grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec)' \
			"$work/$t.log"
		if [ $rc -eq 0 ] && [ -z "$(ls "$work/artifacts/$t")" ]; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			tail -40 "$work/$t.log"
			mkdir -p "$TOP/build/fuzz/crashers"
			cp "$work/artifacts/$t"/* "$TOP/build/fuzz/crashers/" 2>/dev/null
			echo "$t: crashers copied to build/fuzz/crashers/"
			finding "$t" >>"$work/findings"
		fi
	done
	# what was found, once more at the end, where a CI log's tail shows it
	[ -s "$work/findings" ] && cat "$work/findings"
	echo "fuzz: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# the last value of "KEY: N" in libFuzzer's status lines of a log
last_stat() {
	grep -oE "$2: *[0-9]+" "$1" | tail -1 | grep -oE '[0-9]+$'
}

long_run() {
	local secs=${1:-600} dir="$TOP/build/fuzz/long" t start left n execs cov ft corp crashes
	local sum="$TOP/build/fuzz/long-summary.txt" e runs
	mkdir -p "$dir/bin" "$dir/seeds"
	for t in $TARGETS; do
		cp "$TOP/build/fuzz/$t" "$dir/bin/$t" || return 1
	done
	python3 "$TOP/tests/fuzz/seeds.py" "$dir/corpus" $TARGETS || return 1
	{
		echo "# make fuzz-long, $(date -u '+%Y-%m-%d %H:%M UTC'), $secs s per target, commit" \
			"$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null)"
		printf '%-18s %7s %12s %8s %6s %7s %8s %7s\n' target seconds execs exec/s cov ft \
			corpus crashes
	} >"$sum"
	cd "$dir" || return 1
	for t in $TARGETS; do
		mkdir -p "$dir/crashers/$t"
		: >"$dir/$t.log"
		start=$(date +%s)
		execs=0
		runs=0
		while :; do
			left=$((secs - ($(date +%s) - start)))
			[ "$left" -lt 1 ] && break
			runs=$((runs + 1))
			run_fuzzer "$dir/bin/$t" "$left" "$dir/corpus/$t" "$dir/crashers/$t" \
				"$dir/$t.run.log" "$LONG_TIMEOUT"
			cat "$dir/$t.run.log" >>"$dir/$t.log"
			e=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$dir/$t.run.log" |
				grep -oE '[0-9]+$')
			[ -z "$e" ] && e=$(grep -oE '^#[0-9]+' "$dir/$t.run.log" | tail -1 | tr -d '#')
			execs=$((execs + ${e:-0}))
			# a clean finish ends the target; after a finding, go on for the time left
			grep -qE '^#[0-9]+[[:space:]]+DONE' "$dir/$t.run.log" && break
			[ "$runs" -ge 50 ] && break
		done
		n=$(($(date +%s) - start))
		cov=$(last_stat "$dir/$t.log" 'cov')
		ft=$(last_stat "$dir/$t.log" 'ft')
		corp=$(find "$dir/corpus/$t" -type f | wc -l)
		crashes=$(find "$dir/crashers/$t" -type f | wc -l)
		printf '%-18s %7s %12s %8s %6s %7s %8s %7s\n' "$t" "$n" "$execs" \
			"$((execs / (n > 0 ? n : 1)))" "${cov:-?}" "${ft:-?}" "$corp" "$crashes" >>"$sum"
		rm -f "$dir/$t.run.log"
	done
	cat "$sum"
}

if [ "${1:-}" = "--long" ]; then
	long_run "${2:-600}"
else
	short_run "${1:-60}"
fi
