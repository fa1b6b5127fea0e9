#!/usr/bin/env bash
# tests/valgrind.sh: no leaks and no memory errors under valgrind: every unit test, and
# the real binary through a few whole conversations and the generated monsters.
# Prints "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
WORK=$(mktemp -d /tmp/ilnbot-vg.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
VG=(valgrind -q --suppressions="$TOP/tests/valgrind.supp" --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99)
pass=0
fail=0
check() {
	local name=$1 rc
	shift
	"$@" >"$WORK/out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL ($rc) $name"
		tail -30 "$WORK/out"
	fi
}
for t in build/tests/test_*; do
	case "$t" in *.d) continue ;; esac
	check "$(basename "$t")" "${VG[@]}" --trace-children=no "$t"
done
cat >"$WORK/ilnbot" <<WRAP
#!/bin/sh
exec ${VG[*]} $TOP/build/ilnbot "\$@"
WRAP
chmod +x "$WORK/ilnbot"
check "e2e under valgrind" env E2E_ONLY=signup_confirm_show python3 tests/e2e/e2e.py "$WORK/ilnbot"
check "e2e change under valgrind" env E2E_ONLY=change_address python3 tests/e2e/e2e.py "$WORK/ilnbot"
check "round under valgrind" env E2E_ONLY=whole_round python3 tests/e2e/round.py "$WORK/ilnbot"
python3 tests/corpus/generate.py "$WORK/gen"
cat >"$WORK/c.conf" <<CONF
[network]
address = iln@example.org
[store]
path = db
[inbound]
maildir = in
[outbound]
maildir = out
[program]
templates = $TOP/templates
CONF
for f in "$WORK"/gen/nest-rfc822-100.eml "$WORK"/gen/parts-999.eml "$WORK"/gen/signup-hostile.eml \
	 "$WORK"/gen/bad-charset.eml "$WORK"/gen/oversize-11MB.eml "$WORK"/gen/nul-bytes.eml; do
	check "deliver $(basename "$f")" sh -c "\"\$0\" deliver -c \"\$1\" <\"\$2\"" "$WORK/ilnbot" "$WORK/c.conf" "$f"
done
echo "valgrind: $pass passed, $fail failed"
[ $fail -eq 0 ]
