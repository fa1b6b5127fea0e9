#!/bin/bash
# run.sh: every test against the real mail servers of the private lab (lab.sh):
#   lab_check.sh       the lab itself (Postfix submission, Dovecot IMAPS)
#   transport_test.sh  the IMAP and SMTP transports on their own
#   e2e.py --transport lab   the whole conversation suite over IMAP in, SMTP out
#   round.py --transport lab a whole round, introductions read from the mailboxes
#   timeline.py --transport lab the round's calendar: digests, check-ins, reminder, close
#   partnership.py --transport lab reports, nudges, dissolving, re-matching, cc's
#   pipe_test.py       the guide's Postfix pipe transport to `ilnbot deliver`, as written
#   faults.py          cut connections, 4xx/421/5xx relays, silent servers, untrusted
#                      certificates, kill -9 during a 1,000-message batch
#   oauth2.py          imap_auth / smtp_auth = oauth2: Dovecot's XOAUTH2 and OAUTHBEARER
#                      against a loopback token and introspection endpoint the test runs
# e2e and faults share one lab started here. Prints a line per part, then
# "N passed, N failed". Needs dovecot-imapd dovecot-lmtpd swaks openssl curl python3 and
# an SMTP server for the lab: Postfix as root, else relay.py (python3-aiosmtpd), which
# runs as any user (LAB_SMTP=relay picks it as root too); faults' smtp-sink test also
# needs postfix installed (not root). Otherwise prints a skip line and "0 passed, 0 failed".
# Usage: tests/lab/run.sh [BINARY]   (default build/ilnbot)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/build/ilnbot}")

. "$here/lab.sh"
missing=
for c in dovecot doveadm swaks openssl curl python3; do
	command -v "$c" > /dev/null 2>&1 || missing="$missing $c"
done
smtp=$(lab_smtp_server)
case $smtp in
postfix) command -v postqueue > /dev/null 2>&1 || missing="$missing postqueue" ;;
none) missing="$missing postfix-as-root-or-python3-aiosmtpd" ;;
esac
if [ -n "$missing" ]; then
	echo "lab: skipped (missing:$missing)"
	echo "0 passed, 0 failed"
	exit 0
fi
[ -x "$bin" ] || { echo "lab: $bin not built"; echo "0 passed, 1 failed"; exit 1; }
echo "lab: SMTP server $smtp ($([ "$smtp" = postfix ] && echo Postfix || echo "relay.py, aiosmtpd")), as $(id -un)"
export LAB_SMTP=$smtp
pass=0 fail=0 lines=()
t_all=$SECONDS

# part NAME CMD...: run, show the output, add its last "N passed, N failed".
part() {
	local name=$1 out rc p f t0=$SECONDS
	shift
	out=$(mktemp)
	timeout 900 "$@" > "$out" 2>&1
	rc=$?
	cat "$out"
	p=$(sed -n 's/^\(.*: \)\{0,1\}\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$out" | tail -1)
	f=$(sed -n 's/^\(.*: \)\{0,1\}\([0-9]*\) passed, \([0-9]*\) failed.*/\3/p' "$out" | tail -1)
	p=${p:-0} f=${f:-0}
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	rm -f "$out"
	pass=$((pass + p)) fail=$((fail + f))
	lines+=("$name: $p passed, $f failed ($((SECONDS - t0)) s)")
}

part lab_check bash "$here/lab_check.sh"
part transport_test bash "$here/transport_test.sh"

work=$(mktemp -d /tmp/ilnrun.XXXXXX)
chmod 755 "$work"           # our own folder: the mail user must traverse it
dir=$work/lab
mkdir "$dir"
trap 'lab_stop "$dir"; rm -rf "$work"' EXIT
if lab_start "$dir" > "$work/lab_start.out" 2>&1; then
	export LAB_ENV=$dir/env
	part "e2e (lab)" python3 "$root/tests/e2e/e2e.py" --transport lab "$bin"
	part "round (lab)" python3 "$root/tests/e2e/round.py" --transport lab "$bin"
	part "timeline (lab)" python3 "$root/tests/e2e/timeline.py" --transport lab "$bin"
	part "partnership (lab)" python3 "$root/tests/e2e/partnership.py" --transport lab "$bin"
	part "erase (lab)" python3 "$root/tests/e2e/erase.py" --transport lab "$bin"
	part "bounce (lab)" python3 "$root/tests/e2e/bounce.py" --transport lab "$bin"
	part "pipe (lab)" python3 "$here/pipe_test.py" "$bin"
	part faults python3 "$here/faults.py" "$bin"
	part "oauth2 (lab)" python3 "$here/oauth2.py" "$bin"
else
	cat "$work/lab_start.out"
	lines+=("lab start: 0 passed, 1 failed")
	fail=$((fail + 1))
fi
lab_stop "$dir"

echo
for l in "${lines[@]}"; do echo "$l"; done
echo "lab total: $((SECONDS - t_all)) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
