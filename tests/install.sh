#!/usr/bin/env bash
# tests/install.sh: `make install` and `make uninstall` into a temporary DESTDIR, with
# PREFIX=/usr and PREFIX=/opt/ilnbot: every file listed and compared with the expected
# list (nothing in /etc, nothing outside PREFIX), the unit naming the installed binary and
# the ilnbot user, the man pages and --version agreeing on the Makefile's VERSION; then
# `make dist` and a build from the tarball. Never installs outside its own folder.
# Prints "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/ilnbot-install.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
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
cd "$TOP"
VERSION=$(sed -n 's/^VERSION *:= *//p' Makefile)

expected() {
	local p=$1
	{
		echo "$p/bin/ilnbot"
		for t in templates/*.txt templates/*.ini templates/*/*.txt templates/*/*.ini; do
			[ -e "$t" ] && echo "$p/share/ilnbot/$t"
		done
		echo "$p/share/man/man8/ilnbot.8"
		echo "$p/share/man/man5/ilnbot.conf.5"
		echo "$p/share/man/man7/ilnbot-setup.7"
		echo "$p/share/doc/ilnbot/README.md"
		echo "$p/share/doc/ilnbot/LICENSE"
		echo "$p/share/doc/ilnbot/examples/ilnbot.conf.example"
		echo "$p/share/doc/ilnbot/examples/ilnbot-servers.conf.example"
		echo "$p/lib/systemd/system/ilnbot.service"
		echo "$p/lib/sysusers.d/ilnbot.conf"
	} | sort
}

for prefix in /usr /opt/ilnbot; do
	d=$WORK/root$(echo "$prefix" | tr / _)
	mkdir -p "$d"
	make -s install DESTDIR="$d" PREFIX="$prefix" >"$WORK/install.log" 2>&1
	check "make install PREFIX=$prefix exits 0" test $? -eq 0
	(cd "$d" && find . -type f -o -type l | sed 's|^\.||' | sort) >"$WORK/got"
	echo "--- installed with PREFIX=$prefix:"
	cat "$WORK/got"
	expected "$prefix" >"$WORK/want"
	check "PREFIX=$prefix: exactly the expected files, all under PREFIX" \
		diff -u "$WORK/want" "$WORK/got"
	check "PREFIX=$prefix: the unit runs $prefix/bin/ilnbot as User=ilnbot, no DynamicUser" \
		sh -c "grep -q '^ExecStart=$prefix/bin/ilnbot run' '$d$prefix/lib/systemd/system/ilnbot.service' &&
		       grep -q '^User=ilnbot' '$d$prefix/lib/systemd/system/ilnbot.service' &&
		       ! grep -q DynamicUser '$d$prefix/lib/systemd/system/ilnbot.service' &&
		       grep -q '^NoNewPrivileges=yes' '$d$prefix/lib/systemd/system/ilnbot.service'"
	check "PREFIX=$prefix: the examples name the installed templates" \
		grep -q "^templates = $prefix/share/ilnbot/templates" \
		"$d$prefix/share/doc/ilnbot/examples/ilnbot.conf.example" \
		"$d$prefix/share/doc/ilnbot/examples/ilnbot-servers.conf.example"
	check "PREFIX=$prefix: the man pages carry version $VERSION" \
		sh -c "for m in '$d$prefix'/share/man/man*/*; do head -1 \"\$m\" | grep -q '\"ilnbot $VERSION\"' || exit 1; done"
	check "PREFIX=$prefix: the installed binary says ilnbot $VERSION" \
		test "$("$d$prefix/bin/ilnbot" --version)" = "ilnbot $VERSION"
	check "PREFIX=$prefix: the sysusers file makes the ilnbot user" \
		grep -q '^u ilnbot ' "$d$prefix/lib/sysusers.d/ilnbot.conf"
	make -s uninstall DESTDIR="$d" PREFIX="$prefix" >>"$WORK/install.log" 2>&1
	check "make uninstall PREFIX=$prefix leaves no file" \
		test -z "$(find "$d" -type f)"
done

rm -f "ilnbot-$VERSION.tar.gz"
make -s dist >"$WORK/dist.log" 2>&1
check "make dist makes ilnbot-$VERSION.tar.gz" test -f "ilnbot-$VERSION.tar.gz"
if [ -f "ilnbot-$VERSION.tar.gz" ]; then
	mv "ilnbot-$VERSION.tar.gz" "$WORK/"
	tar -C "$WORK" -xzf "$WORK/ilnbot-$VERSION.tar.gz"
	check "the tarball holds LICENSE, the Makefile, the sources and templates" \
		test -f "$WORK/ilnbot-$VERSION/LICENSE" -a -f "$WORK/ilnbot-$VERSION/Makefile" \
		-a -f "$WORK/ilnbot-$VERSION/src/main.c" -a -f "$WORK/ilnbot-$VERSION/templates/help.txt"
	(cd "$WORK/ilnbot-$VERSION" && env -u BUILD -u CFLAGS nice make -s -j2 WERROR=1 all) >"$WORK/build.log" 2>&1
	check "the tarball builds warning-free" sh -c "test -x '$WORK/ilnbot-$VERSION/build/ilnbot' && ! grep -q warning '$WORK/build.log'"
	check "the tarball's binary says ilnbot $VERSION" \
		test "$("$WORK/ilnbot-$VERSION/build/ilnbot" --version 2>&1)" = "ilnbot $VERSION"
	check "the tarball's binary checks its own configuration" \
		sh -c "cd '$WORK/ilnbot-$VERSION' && ./build/ilnbot check-config -c conf/ilnbot.conf >/dev/null 2>&1"
fi
echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
