#!/bin/bash
# transport_test.sh: builds tests/lab/transport_test.c against the two mail transports
# (make, with the project's flags; BUILD picks the build), starts the lab, runs it (pass --valgrind to run under valgrind), stops the lab.
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
bin=$root/${BUILD:-build}/tools/transport_test
make -s -C "$root" "${BUILD:-build}/tools/transport_test" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$work/wrong-key.pem" -out "$work/wrong-ca.pem" 2>/dev/null || exit 1
mkdir "$dir"
lab_start "$dir" || exit 1
. "$dir/env"
export WRONG_CA=$work/wrong-ca.pem
if [ "$1" = --valgrind ]; then
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=3 \
	    "$bin"
else
	"$bin"
fi
