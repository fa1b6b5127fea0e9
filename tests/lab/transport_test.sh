#!/bin/bash
# transport_test.sh: builds tests/lab/transport_test.c with the two mail transports,
# starts the lab, runs it (pass --valgrind to run under valgrind), stops the lab.
# Prints the test's "N passed, N failed". Needs the lab's packages and an SMTP server
# for it: Postfix (as root) or relay.py (python3-aiosmtpd, any user); LAB_SMTP picks one.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lab.sh"
if [ "$(lab_smtp_server)" = none ]; then
	echo "transport_test: skipped: no SMTP server (Postfix needs root; relay.py needs python3-aiosmtpd)"
	echo "0 passed, 0 failed"
	exit 0
fi
work=$(mktemp -d /tmp/ilntt.XXXXXX)
dir=$work/lab
chmod 755 "$work"    # our own folder: the mail user must traverse it
trap 'lab_stop "$dir"; rm -rf "$work"' EXIT
CC=${CC:-cc}
libs="$(pkg-config --libs libetpan libcurl gnutls | sed 's/-specs=[^ ]*//g')"
$CC -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
    -Wmissing-prototypes -Wpointer-arith -Wno-unused-parameter -I"$root/src" \
    $(pkg-config --cflags libetpan libcurl gnutls) $EXTRA_CFLAGS -o "$work/transport_test" \
    "$here/transport_test.c" "$root/src/inbound_imap.c" "$root/src/outbound_smtp.c" \
    "$root/src/net.c" "$root/src/tls_verify.c" \
    "$root/src/secret.c" "$root/src/util.c" "$root/src/log.c" $libs || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$work/wrong-key.pem" -out "$work/wrong-ca.pem" 2>/dev/null || exit 1
mkdir "$dir"
lab_start "$dir" || exit 1
. "$dir/env"
export WRONG_CA=$work/wrong-ca.pem
if [ "$1" = --valgrind ]; then
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=3 \
	    "$work/transport_test"
else
	"$work/transport_test"
fi
