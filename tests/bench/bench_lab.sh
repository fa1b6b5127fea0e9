#!/bin/bash
# bench_lab.sh: the benchmarks of issue 4 (IMAP in, SMTP out, IDLE latency) against a
# private Dovecot + Postfix (tests/lab/lab.sh) on loopback; bench_lab.py does the work.
# Usage: bench_lab.sh [BINARY] [N]. Needs root (Postfix, smtp-sink); skipped otherwise.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-$root/build/ilnbot}
n=${2:-10000}
. "$root/tests/lab/lab.sh"
if [ "$(id -u)" != 0 ]; then
	echo "bench-lab: needs root for Postfix and smtp-sink; skipped"
	exit 0
fi
for t in dovecot doveadm postfix smtp-sink smtp-source curl; do
	command -v $t >/dev/null || { echo "bench-lab: $t missing; skipped"; exit 0; }
done
work=$(mktemp -d /tmp/ilnbl.XXXXXX)
chmod 755 "$work"    # our own folder: the mail user must traverse it
trap 'lab_stop "$work/lab"; [ -n "$BENCH_KEEP" ] || rm -rf "$work"' EXIT
mkdir "$work/lab"
lab_start "$work/lab" || exit 1
. "$work/lab/env"
python3 "$here/bench_lab.py" "$bin" "$work" "$n"
