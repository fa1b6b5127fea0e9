#!/bin/bash
# lab_check.sh: the lab itself works: start it, send a mail to alice through its SMTP
# server (STARTTLS submission, AUTH), read it back over IMAPS with curl against the lab's
# certificate, check that another domain is refused, stop it. Done once per SMTP server
# available here: Postfix (root) and relay.py (aiosmtpd, any user); skipped when neither.
# Prints "N passed, N failed"; exit 0 only when none failed.
# Needs dovecot-imapd dovecot-lmtpd swaks openssl curl, and postfix (as root) or
# python3-aiosmtpd.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lab.sh"

pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

servers=
[ "$(LAB_SMTP=postfix lab_smtp_server)" = postfix ] && servers="$servers postfix"
[ "$(LAB_SMTP=relay lab_smtp_server)" = relay ] && servers="$servers relay"
if [ -z "$servers" ]; then
	echo "lab_check: skipped: no SMTP server (Postfix needs root; relay.py needs python3-aiosmtpd)"
	echo "0 passed, 0 failed"
	exit 0
fi
dir=
trap '[ -n "$dir" ] && { lab_stop "$dir"; rm -rf "$dir"; }' EXIT

# check SERVER: the whole round trip with that SMTP server.
check() {
	local s=$1 token got i
	dir=$(mktemp -d /tmp/ilnlab.XXXXXX)
	if LAB_SMTP=$s lab_start "$dir"; then ok "$s: lab starts"; else
		bad "$s: lab starts"; lab_stop "$dir"; rm -rf "$dir"; dir=; return; fi
	. "$dir/env"
	[ "$LAB_SMTP_SERVER" = "$s" ] && ok "$s: DIR/env names it" || bad "$s: DIR/env names it"

	token=check-$RANDOM$RANDOM
	if swaks --server 127.0.0.1 --port "$LAB_SMTP_PORT" -tls --auth PLAIN \
	    --auth-user iln@example.org --auth-password "$LAB_PASSWORD" \
	    --from iln@example.org --to alice@example.org \
	    --header "Subject: $token" --body "lab check" > "$dir/log/swaks.out" 2>&1; then
		ok "$s: swaks submits through STARTTLS + AUTH"
	else
		bad "$s: swaks submits through STARTTLS + AUTH (see $dir/log/swaks.out)"
	fi

	got=
	for ((i = 0; i < 50; i++)); do
		got=$(curl -s --max-time 5 --cacert "$LAB_CA" -u "alice@example.org:$LAB_PASSWORD" \
		    "imaps://127.0.0.1:$LAB_IMAPS_PORT/INBOX;UID=1" 2>/dev/null)
		case $got in *"$token"*) break ;; esac
		sleep 0.1
	done
	case $got in *"$token"*) ok "$s: mail reaches alice's INBOX, read over IMAPS" ;;
	*) bad "$s: mail reaches alice's INBOX, read over IMAPS" ;; esac

	if swaks --server 127.0.0.1 --port "$LAB_SMTPS_PORT" --tls-on-connect --auth LOGIN \
	    --auth-user bob@example.org --auth-password "$LAB_PASSWORD" \
	    --from bob@example.org --to 'carol+tag@example.org' > "$dir/log/swaks-tls.out" 2>&1; then
		ok "$s: swaks submits over implicit TLS + AUTH LOGIN, to user+tag"
	else
		bad "$s: swaks submits over implicit TLS + AUTH LOGIN, to user+tag (see $dir/log/swaks-tls.out)"
	fi

	if curl -s --max-time 5 -u "alice@example.org:$LAB_PASSWORD" \
	    "imaps://127.0.0.1:$LAB_IMAPS_PORT/INBOX;UID=1" > /dev/null 2>&1; then
		bad "$s: IMAPS without the lab CA is refused"
	else
		ok "$s: IMAPS without the lab CA is refused"
	fi

	if swaks --server 127.0.0.1 --port "$LAB_SMTP_PORT" --from x@example.org \
	    --to someone@elsewhere.example --quit-after RCPT 2>&1 | grep -q '^<\*\* *554'; then
		ok "$s: relaying to another domain is refused"
	else
		bad "$s: relaying to another domain is refused"
	fi
	if swaks --server 127.0.0.1 --port "$LAB_SMTP_PORT" --from x@example.org \
	    --to nosuchuser@example.org --quit-after RCPT 2>&1 | grep -q '^<\*\* *550'; then
		ok "$s: an unknown user is refused with 550"
	else
		bad "$s: an unknown user is refused with 550"
	fi

	if lab_stop "$dir"; then ok "$s: lab stops"; else bad "$s: lab stops"; fi
	rm -rf "$dir"
	dir=
}

for s in $servers; do check "$s"; done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
