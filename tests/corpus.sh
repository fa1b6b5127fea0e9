#!/usr/bin/env bash
# tests/corpus.sh BINARY: every message of ../shared/corpus, and the generated monsters of
# tests/corpus/, through `ilnbot deliver`: each must exit 0 (a reply or a logged
# rejection), never crash or leak, within 10 s. Prints "N passed, N failed".
set -u
BIN=$(realpath "$1")
TOP=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${ILNBOT_CORPUS:-$TOP/../shared/corpus}
WORK=$(mktemp -d /tmp/ilnbot-corpus.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
pass=0
fail=0
cat >"$WORK/ilnbot.conf" <<CONF
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
replies_per_sender_per_day = 100000
CONF
python3 "$TOP/tests/corpus/generate.py" "$WORK/gen"
files=()
if [ -d "$CORPUS" ]; then
	while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$CORPUS" -type f \( -name '*.eml' -o -name '*.msg' \) -print0 | sort -z)
else
	echo "corpus: $CORPUS is absent: the shared corpus part is skipped"
fi
while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$WORK/gen" "$TOP/tests/corpus" -type f -name '*.eml' -print0 | sort -z)
for f in "${files[@]}"; do
	timeout 10 "$BIN" deliver -c "$WORK/ilnbot.conf" --now 2026-03-02T10:00:00Z <"$f" >"$WORK/log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL ($rc) $f"
		tail -20 "$WORK/log"
	fi
done
echo "corpus: $pass passed, $fail failed"
[ $fail -eq 0 ]
