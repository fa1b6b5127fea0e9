#!/usr/bin/env bash
# tests/run.sh: runs every test of ilnbot and ends with one line "N passed, N failed".
#   unit tests (cmocka), end-to-end conversations on Maildirs, the mail corpus through
#   `ilnbot deliver`; then unit, end-to-end and corpus again under ASan+UBSan
#   (ILNBOT_TEST_ASAN=1), valgrind over the unit tests and a few conversations, a short
#   libFuzzer run, the matching oracle, and the mail-server
#   lab when it can run (Dovecot, and Postfix as root or the aiosmtpd relay otherwise).
# Expects `make all unit` to have run. ILNBOT_TEST_QUICK=1 skips sanitizers, valgrind and
# fuzzing; ILNBOT_TEST_ORACLE=0 the oracle; ILNBOT_TEST_LAB=0 the mail lab.
set -u
cd "$(dirname "$0")/.."
TOP=$PWD
SHARED=$(cd "$TOP/.." && pwd)/shared
export ILNBOT_CORPUS=${ILNBOT_CORPUS:-$SHARED/corpus}
export ILNBOT_BLNS=${ILNBOT_BLNS:-$SHARED/corpus/strings/blns.txt}
PASSED=0
FAILED=0
SKIPPED=0
FAILS=()
# the end of each failing suite's output, printed again just before the totals, where
# the tail of a long CI log shows it
TAILS=$(mktemp)
trap 'rm -f "$TAILS"' EXIT

note() { printf '\n=== %s\n' "$*"; }

# count OUTPUT_FILE NAME RC: adds the "N passed, N failed" (or cmocka) figures of a run.
count() {
	local out=$1 name=$2 rc=$3 p f
	p=$(sed -n 's/^.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	f=$(sed -n 's/^.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	if [ -z "$p" ]; then
		p=$(sed -n 's/^\(.*: \)\{0,1\}\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$out" | tail -1)
		f=$(sed -n 's/^\(.*: \)\{0,1\}\([0-9]*\) passed, \([0-9]*\) failed.*/\3/p' "$out" | tail -1)
	fi
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	if [ "$f" -ne 0 ]; then
		FAILS+=("$name")
		{ echo "--- the end of $name's output"; tail -n 25 "$out"; } >>"$TAILS"
	fi
	printf '%s: %d passed, %d failed\n' "$name" "$p" "$f"
}

# suite NAME CMD...: run a command, show its output, count it.
suite() {
	local name=$1 out rc
	shift
	out=$(mktemp)
	"$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	count "$out" "$name" "$rc"
	rm -f "$out"
}

run_units() {
	local dir=$1 t
	for t in "$dir"/tests/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *.d) continue ;; esac
		suite "$(basename "$t")${2:-}" "$t"
	done
}

note "unit tests"
run_units build
note "end-to-end conversations (Maildir)"
suite "e2e" python3 tests/e2e/e2e.py build/ilnbot
note "a whole round end to end (Maildir)"
suite "round" python3 tests/e2e/round.py build/ilnbot
note "the round's calendar, day by day (Maildir)"
suite "timeline" python3 tests/e2e/timeline.py build/ilnbot
note "failing partnerships: reports, nudges, dissolving, re-matching, coordinators by cc (Maildir)"
suite "partnership" python3 tests/e2e/partnership.py build/ilnbot
note "erasure that erases; odd input in the Maildir (Maildir)"
suite "erase" python3 tests/e2e/erase.py build/ilnbot
note "bounces: VERP, DSNs, digest failures, complaints, forged reports, the corpus's bounces (Maildir)"
suite "bounce" python3 tests/e2e/bounce.py build/ilnbot
note "participants from everywhere: charsets, entities, what people type is kept (Maildir)"
suite "lang" python3 tests/e2e/lang.py build/ilnbot
suite "lang_round" python3 tests/e2e/lang_round.py build/ilnbot
note "coordinators at scale: 700 through MATCH, adjustments, APPROVE, STATS (Maildir)"
suite "coords" python3 tests/e2e/coords.py build/ilnbot
note "a poison message crashes the bot until it is quarantined (Maildir)"
suite "poison" tests/e2e/poison.sh build/ilnbot
note "the operator: check-config, logs, queue, rejected, status, config (Maildir, a scripted relay)"
suite "ops" python3 tests/e2e/ops.py build/ilnbot
note "the sentences built in C are all in templates/messages.ini, every shipped language complete"
suite "messages" python3 tests/messages.py
note "install, uninstall and dist"
suite "install" tests/install.sh
note "mail corpus through ilnbot deliver"
suite "corpus" tests/corpus.sh build/ilnbot

if [ "${ILNBOT_TEST_QUICK:-0}" != 1 ]; then
	note "AddressSanitizer + UndefinedBehaviorSanitizer build"
	if make -s asan >build/asan.log 2>&1; then
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23
		export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=24
		run_units build/asan " (asan)"
		suite "e2e (asan)" python3 tests/e2e/e2e.py build/asan/ilnbot
		suite "round (asan)" python3 tests/e2e/round.py build/asan/ilnbot
		suite "timeline (asan)" python3 tests/e2e/timeline.py build/asan/ilnbot
		suite "partnership (asan)" python3 tests/e2e/partnership.py build/asan/ilnbot
		suite "erase (asan)" python3 tests/e2e/erase.py build/asan/ilnbot
		suite "bounce (asan)" python3 tests/e2e/bounce.py build/asan/ilnbot
		suite "lang (asan)" python3 tests/e2e/lang.py build/asan/ilnbot
		suite "lang_round (asan)" python3 tests/e2e/lang_round.py build/asan/ilnbot
		suite "coords (asan)" python3 tests/e2e/coords.py build/asan/ilnbot
		suite "poison (asan)" tests/e2e/poison.sh build/asan/ilnbot
		suite "ops (asan)" python3 tests/e2e/ops.py build/asan/ilnbot
		suite "corpus (asan)" tests/corpus.sh build/asan/ilnbot
		unset ASAN_OPTIONS UBSAN_OPTIONS
	else
		cat build/asan.log
		{ echo "--- the end of build/asan.log"; tail -n 25 build/asan.log; } >>"$TAILS"
		FAILED=$((FAILED + 1))
		FAILS+=("asan build")
	fi
	note "valgrind: no leaks, no memory errors"
	suite "valgrind" tests/valgrind.sh
	note "libFuzzer, briefly"
	if make -s fuzz >build/fuzz.log 2>&1; then
		suite "fuzz" tests/fuzz/run.sh "${ILNBOT_FUZZ_SECONDS:-60}"
	else
		cat build/fuzz.log
		{ echo "--- the end of build/fuzz.log"; tail -n 25 build/fuzz.log; } >>"$TAILS"
		FAILED=$((FAILED + 1))
		FAILS+=("fuzz build")
	fi
fi

if [ "${ILNBOT_TEST_ORACLE:-1}" != 0 ]; then
	note "matching against the NetworkX oracle"
	suite "oracle" tests/oracle/run.sh
fi

if [ "${ILNBOT_TEST_LAB:-1}" != 0 ]; then
	note "real mail servers (Dovecot, Postfix) on loopback"
	suite "lab" tests/lab/run.sh
fi

echo
if [ "${#FAILS[@]}" -gt 0 ]; then
	cat "$TAILS"
	echo
	echo "failing suites: ${FAILS[*]}"
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
