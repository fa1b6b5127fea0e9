#!/usr/bin/env bash
# tests/e2e/poison.sh BINARY: the quarantine of a message that crashes ilnbot. 50 HELP
# messages from distinct senders and, in the middle, one holding the test hook's marker
# (ILNBOT_TEST_CRASH_MARKER: processing it calls abort()) go into a Maildir; `ilnbot once`
# is run until it exits 0. The crashes must stop after at most 3 runs, every good sender
# get exactly one reply, the poison message land in .Rejected/ unanswered, the coordinator
# get exactly one alert, and a further pass do nothing. Prints "N passed, N failed".
set -u
BIN=$(realpath "${1:-build/ilnbot}")
TOP=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/ilnbot-poison.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
NOW=2026-03-02T10:00:00Z
MARKER=ILNBOT-POISON-7f3a9c
GOOD=50
POISON_AT=26
pass=0
fail=0

check() {
	local what=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
		echo "ok: $what"
	else
		fail=$((fail + 1))
		echo "FAILED: $what"
	fi
}

cat >"$WORK/ilnbot.conf" <<CONF
[network]
name = Example Librarians Network
address = iln@example.org
coordinators = coord@example.org
trusted_authserv_id = mx.example.org
[store]
path = var/ilnbot.db
[inbound]
transport = maildir
maildir = var/inbox
[outbound]
transport = maildir
maildir = var/outbox
[program]
templates = $TOP/templates
CONF
mkdir -p "$WORK/var/inbox/new" "$WORK/var/inbox/cur" "$WORK/var/inbox/tmp"

# message N FROM BODY: one HELP message, file N in name order.
message() {
	printf 'From: %s\nTo: iln@example.org\nSubject: HELP\nDate: Mon, 02 Mar 2026 09:00:00 +0000\nMessage-ID: <poison-test-%s@client.example>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n' \
		"$2" "$1" "$3" >"$WORK/var/inbox/new/$(printf '%06d' "$1").test"
}
n=0
for i in $(seq 1 $GOOD); do
	n=$((n + 1))
	if [ $n -eq $POISON_AT ]; then
		message $n poison@example.net "Please help. $MARKER"
		n=$((n + 1))
	fi
	message $n "$(printf 'user%02d@example.net' "$i")" "Please send the help."
done
POISON_ID=$(printf '%06d.test' $POISON_AT)

# once: one pass with the hook armed; the subshell keeps bash's "Aborted" notice quiet.
once() {
	(ILNBOT_TEST_CRASH_MARKER=$MARKER "$BIN" once -c "$WORK/ilnbot.conf" --now "$NOW" \
		>>"$WORK/log" 2>&1; exit $?) 2>/dev/null
}

# Until a clean exit, at most 6 runs; every other exit must be the abort of the hook.
crashes=0
clean=false
aborts=true
start=$(date +%s%N)
for run in 1 2 3 4 5 6; do
	once
	rc=$?
	if [ $rc -eq 0 ]; then
		clean=true
		break
	fi
	crashes=$((crashes + 1))
	[ $rc -eq 134 ] || aborts=false
	echo "run $run: exit $rc"
done
ms=$((($(date +%s%N) - start) / 1000000))
echo "$crashes crashing runs, then $($clean && echo a clean one || echo none clean), in $ms ms"

# outbound: the recipient (To:) of every mail written, one per line
recipients() {
	local f
	for f in "$WORK"/var/outbox/new/* "$WORK"/var/outbox/cur/*; do
		[ -f "$f" ] || continue
		tr -d '\r' <"$f" | sed -n '/^$/q; s/^To: *//Ip' | head -1 | tr 'A-Z' 'a-z'
	done
}
outcount() { recipients | wc -l; }

good_replies_once() {
	local i r
	r=$(recipients)
	for i in $(seq 1 $GOOD); do
		[ "$(grep -cx "$(printf 'user%02d@example.net' "$i")" <<<"$r")" -eq 1 ] || return 1
	done
}
alerts() { recipients | grep -cx 'coord@example.org'; }
alert_file() { grep -l -i '^To: coord@example.org' "$WORK"/var/outbox/new/* | head -1; }
rejected() { ls "$WORK/var/inbox/.Rejected/cur" 2>/dev/null | wc -l; }
poison_rejected() {
	local f=("$WORK/var/inbox/.Rejected/cur/$POISON_ID"*)
	[ -f "${f[0]}" ] && grep -q "$MARKER" "${f[0]}"
}
attempts_left() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("select count(*) from inbound_attempts where tries < 3").fetchone()[0])' \
		"$WORK/var/ilnbot.db"
}
logged_rejected() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("select count(*) from inbound where outcome = ? and detail like ?",
                ("rejected", "quarantined%")).fetchone()[0])' "$WORK/var/ilnbot.db"
}

check "a clean run within 6" $clean
check "the hook crashed at least once (got $crashes)" test $crashes -ge 1
check "at most 3 crashing runs (got $crashes)" test $crashes -le 3
check "every crash is the hook's SIGABRT" $aborts
check "each of the $GOOD good senders has exactly one reply" good_replies_once
check "no reply to the poison message's sender" test "$(recipients | grep -c poison@)" -eq 0
check "exactly one alert to the coordinator (got $(alerts))" test "$(alerts)" -eq 1
check "nothing else was sent ($(outcount) mails)" test "$(outcount)" -eq $((GOOD + 1))
check "the poison message is in .Rejected/" poison_rejected
check "nothing else is in .Rejected/ ($(rejected))" test "$(rejected)" -eq 1
check "the inbox is empty" test "$(ls "$WORK/var/inbox/new" | wc -l)" -eq 0
check "the good messages are in cur/" test "$(ls "$WORK/var/inbox/cur" | wc -l)" -eq $GOOD
check "the alert names the message, not its text" \
	bash -c 'f=$1; grep -q "$2" "$f" && ! grep -qi "poison@\|$3" "$f"' _ "$(alert_file)" \
	"$POISON_ID" "$MARKER"
check "the log names the quarantined message" grep -q "$POISON_ID.*quarantined" "$WORK/log"
check "the inbound log records it as quarantined" test "$(logged_rejected)" -eq 1
check "no try counts are left but the quarantined one's" test "$(attempts_left)" -eq 0

before=$(outcount)
once
rc=$?
check "another pass exits 0" test $rc -eq 0
check "another pass sends nothing" test "$(outcount)" -eq "$before"
check "another pass rejects nothing more" test "$(rejected)" -eq 1

# A copy of the quarantined message fetched again is set aside at once, unparsed (no
# crash), and not alerted about twice.
cp "$WORK/var/inbox/.Rejected/cur/$POISON_ID"* "$WORK/var/inbox/new/000999.test"
once
rc=$?
check "a copy of it is set aside without a crash (exit $rc)" test $rc -eq 0
check "the copy is in .Rejected/ too" test "$(rejected)" -eq 2
check "and brings no second alert" test "$(alerts)" -eq 1

if [ $fail -ne 0 ]; then
	echo "--- log"
	cat "$WORK/log"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
