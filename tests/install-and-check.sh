#!/usr/bin/env bash
# Installs everything the build and the tests need from Debian's packages, builds, and
# runs every test (make check). Run as root or through sudo on Debian 12.
set -eu
cd "$(dirname "$0")/.."
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
	build-essential pkg-config libetpan-dev libcurl4-gnutls-dev libgnutls28-dev \
	libsqlite3-dev libpcre2-dev libinih-dev libjson-c-dev libidn2-dev iso-codes \
	libcmocka-dev clang libclang-rt-14-dev libfuzzer-14-dev python3 python3-networkx \
	sqlite3 valgrind liblemon-dev g++ \
	dovecot-imapd dovecot-lmtpd postfix python3-aiosmtpd swaks libnet-ssleay-perl libio-socket-ssl-perl openssl curl ca-certificates >/dev/null
# Warnings are errors here: the build must stay clean with gcc and (ASan, fuzz) clang.
make -j2 WERROR=1 all unit
make WERROR=1 check
