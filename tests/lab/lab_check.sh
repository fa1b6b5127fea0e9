#!/bin/bash
# lab_check.sh: the lab itself works: start it, send a mail to alice through Postfix
# (STARTTLS submission, SASL), read it back over IMAPS with curl against the lab's
# certificate, stop it. Prints "N passed, N failed"; exit 0 only when none failed.
# Needs root (Postfix) and: dovecot-imapd dovecot-lmtpd postfix swaks openssl curl.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lab.sh"

pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

if [ "$(id -u)" != 0 ]; then
	echo "lab_check: needs root for Postfix; skipped"
	echo "0 passed, 0 failed"
	exit 0
fi
dir=$(mktemp -d /tmp/ilnlab.XXXXXX)
trap 'lab_stop "$dir"; rm -rf "$dir"' EXIT
if lab_start "$dir"; then ok "lab starts"; else bad "lab starts"; echo "$pass passed, $fail failed"; exit 1; fi
. "$dir/env"

token=check-$RANDOM$RANDOM
if swaks --server 127.0.0.1 --port "$LAB_SMTP_PORT" -tls --auth PLAIN \
    --auth-user iln@example.org --auth-password "$LAB_PASSWORD" \
    --from iln@example.org --to alice@example.org \
    --header "Subject: $token" --body "lab check" > "$dir/log/swaks.out" 2>&1; then
	ok "swaks submits through STARTTLS + AUTH"
else
	bad "swaks submits through STARTTLS + AUTH (see $dir/log/swaks.out)"
fi

got=
for ((i = 0; i < 50; i++)); do
	got=$(curl -s --max-time 5 --cacert "$LAB_CA" -u "alice@example.org:$LAB_PASSWORD" \
	    "imaps://127.0.0.1:$LAB_IMAPS_PORT/INBOX;UID=1" 2>/dev/null)
	case $got in *"$token"*) break ;; esac
	sleep 0.1
done
case $got in *"$token"*) ok "mail reaches alice's INBOX, read over IMAPS" ;;
*) bad "mail reaches alice's INBOX, read over IMAPS" ;; esac

if curl -s --max-time 5 -u "alice@example.org:$LAB_PASSWORD" \
    "imaps://127.0.0.1:$LAB_IMAPS_PORT/INBOX;UID=1" > /dev/null 2>&1; then
	bad "IMAPS without the lab CA is refused"
else
	ok "IMAPS without the lab CA is refused"
fi

if swaks --server 127.0.0.1 --port "$LAB_SMTP_PORT" --from x@example.org \
    --to someone@elsewhere.example --quit-after RCPT 2>&1 | grep -q '^<\*\* *554'; then
	ok "relaying to another domain is refused"
else
	bad "relaying to another domain is refused"
fi

if lab_stop "$dir"; then ok "lab stops"; else bad "lab stops"; fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
