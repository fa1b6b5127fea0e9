#!/usr/bin/env python3
"""Benchmarks of the round's calendar (issue 12), each beside a reference measured in the
same run:

(d) A digest to N subscribers (10,000, then 100,000), queued and sent through SMTP to
    smtp-sink by one `ilnbot once` on the digest's day, beside `smtp-source` sending N
    messages of the same size to the same sink over one session. Goal: ratio >= 1.0;
    peak memory <= 64 MiB at both sizes (the fan-out is streamed, never held whole).
(e) A pass with nothing due on a store of 100,000 participants in a running round (50,000
    partnerships): the whole `ilnbot once` process, beside the same pass on an empty
    store. Goal: <= 1.2x (the schedule is decided per round, not by scanning people).

Peak memory is /usr/bin/time's maximum RSS. Usage: bench_digest.py BINARY WORKDIR [N...]
"""
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import time

BOT = "iln@example.org"
STARTS = 1773532800          # 2026-03-15 00:00 UTC
ENDS = 1784073600            # 2026-07-15
DIGEST_DAY = "2026-03-29T00:30:00Z"   # starts + 14 days
QUIET_DAY = "2026-03-20T00:30:00Z"    # nothing due


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start_sink(port, log):
    cmd = ["smtp-sink"] + (["-u", "nobody"] if os.getuid() == 0 else []) + \
          [f"127.0.0.1:{port}", "256"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(log, "ab"))
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return p
        except OSError:
            time.sleep(0.05)
    p.kill()
    sys.exit("smtp-sink did not start")


def write_conf(d, port):
    os.makedirs(os.path.join(d, "var", "inbox", "new"), exist_ok=True)
    out = ("transport = smtp\nsmtp_host = 127.0.0.1\nsmtp_port = %d\nsmtp_tls = none\n"
           "bounce_address = bounces@example.org\n" % port) if port else \
        "transport = maildir\nmaildir = var/outbox\n"
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    cfg = os.path.join(d, "ilnbot.conf")
    with open(cfg, "w") as f:
        f.write(f"""[network]
name = Example Librarians Network
address = {BOT}
coordinators = coord@example.org

[store]
path = var/ilnbot.db

[inbound]
transport = maildir
maildir = var/inbox

[outbound]
{out}
[program]
templates = {top}/templates
""")
    return cfg


def run_once(binary, cfg, now, log):
    t = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", binary, "once", "-c", cfg,
                        "--now", now], capture_output=True, text=True)
    secs = time.monotonic() - t
    with open(log, "a") as f:
        f.write(r.stderr)
    m = re.search(r"(\d+) ([\d.]+) ([\d.]+)\s*$", r.stderr)
    rss = int(m.group(1)) / 1024 if m else 0
    return secs, rss, r.returncode


def make_store(binary, d, cfg):
    """The schema, by a first pass on an empty store."""
    r = subprocess.run([binary, "once", "-c", cfg, "--now", "2026-03-01T00:00:00Z"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"setup: {r.stderr}")
    return os.path.join(d, "var", "ilnbot.db")


def add_round(con):
    con.execute("INSERT INTO rounds(name, signup_closes, starts, ends, months, status, "
                "created_at) VALUES ('2026A', ?, ?, ?, 4, 'running', ?)",
                (STARTS - 5 * 86400, STARTS, ENDS, STARTS - 20 * 86400))
    return con.execute("SELECT id FROM rounds").fetchone()[0]


def part_d(binary, work, n):
    d = os.path.join(work, f"d{n}")
    port = free_port()
    sink = start_sink(port, os.path.join(work, "sink.log"))
    try:
        cfg = write_conf(d, port)
        db = make_store(binary, d, cfg)
        con = sqlite3.connect(db)
        add_round(con)
        con.executemany("INSERT INTO subscribers(email, created_at) VALUES (?, 0)",
                        ((f"reader{i:06d}@lib{i % 97}.example.net",) for i in range(n)))
        con.execute("INSERT INTO topics(title, body, author, created_at) VALUES (?, ?, ?, ?)",
                    ("Open access in small libraries",
                     ("How do small libraries make their collections open? " * 40 + "\n\n") * 3 +
                     "See https://example.org/open-access for background.\n",
                     "coord@example.org", STARTS))
        con.commit()
        con.close()
        secs, rss, rc = run_once(binary, cfg, DIGEST_DAY, os.path.join(d, "once.log"))
        con = sqlite3.connect(db)
        st = dict(con.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())
        avg = con.execute("SELECT avg(length(o.raw) + coalesce(length(s.raw), 0)) FROM outbox o "
                          "LEFT JOIN outbox_shared s ON s.id = o.shared_id "
                          "WHERE o.kind = 'digest'").fetchone()[0]
        con.close()
        ok = rc == 0 and st.get("sent", 0) == n and len(st) == 1
        size = int(avg or 3000)
        t = time.monotonic()
        r = subprocess.run(["smtp-source", "-d", "-s", "1", "-m", str(n), "-l", str(size),
                            "-f", BOT, "-t", "reader@example.net", f"127.0.0.1:{port}"],
                           capture_output=True, text=True)
        src = time.monotonic() - t
        if r.returncode != 0:
            sys.exit(f"smtp-source: {r.stderr}")
    finally:
        sink.terminate()
        sink.wait()
    return dict(n=n, secs=secs, rss=rss, ok=ok, st=st, size=size, src=src)


def part_e(binary, work, n):
    def median_pass(cfg, runs=15):
        times = []
        for _ in range(runs):
            secs, _, rc = run_once(binary, cfg, QUIET_DAY, os.path.join(work, "e.log"))
            if rc != 0:
                sys.exit("(e) ilnbot once failed; see e.log")
            times.append(secs)
        return statistics.median(times)

    big = os.path.join(work, "e_big")
    empty = os.path.join(work, "e_empty")
    cfg_big, cfg_empty = write_conf(big, 0), write_conf(empty, 0)
    db = make_store(binary, big, cfg_big)
    make_store(binary, empty, cfg_empty)
    con = sqlite3.connect(db)
    rid = add_round(con)
    cols = ("email, name, country, sector, workplace, years, interests, languages, "
            "partner_sector, partner_stage, digest, agreed_at, created_at, updated_at")
    con.executemany(f"INSERT INTO participants({cols}) VALUES (?,?,?,?,?,?,?,?,?,?,?,0,0,0)",
                    ((f"p{i:06d}@lib{i % 97}.example.net", f"Person {i}",
                      ("BR", "AU", "DE", "FR", "JP")[i % 5], "academic", "Library", i % 30,
                      "cataloguing", "eng", "same", "different", 1) for i in range(n)))
    con.executemany("INSERT INTO partnerships(round_id, a, b, weight, why, status, created_at, "
                    "introduced_at) VALUES (?, ?, ?, 0, '', 'active', 0, 0)",
                    ((rid, 2 * i + 1, 2 * i + 2) for i in range(n // 2)))
    con.executemany("INSERT INTO subscribers(email, created_at) VALUES (?, 0)",
                    ((f"p{i:06d}@lib{i % 97}.example.net",) for i in range(0, n, 2)))
    con.commit()
    con.close()
    # warm both (page cache), then alternate
    median_pass(cfg_big, 2)
    median_pass(cfg_empty, 2)
    tb = median_pass(cfg_big)
    te = median_pass(cfg_empty)
    return dict(n=n, big=tb, empty=te)


def main():
    binary, work = sys.argv[1], sys.argv[2]
    sizes = [int(x) for x in sys.argv[3:]] or [10000, 100000]
    os.makedirs(work, exist_ok=True)
    print(f"{'':56s}{'mails':>8s}{'s':>8s}{'mail/s':>9s}{'MiB':>7s}")
    worst = None
    for n in sizes:
        r = part_d(binary, work, n)
        rate, srate = r["n"] / r["secs"], r["n"] / r["src"]
        ratio = rate / srate
        worst = ratio if worst is None else min(worst, ratio)
        print(f"{'(d) smtp-source -d -s 1 -l ' + str(r['size']) + ' to smtp-sink':56s}"
              f"{n:8d}{r['src']:8.2f}{srate:9.0f}")
        print(f"{'(d) ilnbot once: queue and send the digest to smtp-sink':56s}"
              f"{n:8d}{r['secs']:8.2f}{rate:9.0f}{r['rss']:7.1f}"
              + ("" if r["ok"] else f"  <-- UNEXPECTED outbox {r['st']}"))
        print(f"(d) digest ratio ilnbot / smtp-source at {n}: {ratio:.3f}   goal >= 1.0: "
              f"{'met' if ratio >= 1.0 else 'NOT met'}; peak {r['rss']:.1f} MiB, goal <= 64: "
              f"{'met' if r['rss'] <= 64 else 'NOT met'}")
    e = part_e(binary, work, 100000)
    ratio = e["big"] / e["empty"]
    print(f"(e) ilnbot once, nothing due: empty store {e['empty'] * 1000:.1f} ms, "
          f"{e['n']} participants in a running round {e['big'] * 1000:.1f} ms (medians of 15): "
          f"ratio {ratio:.3f}   goal <= 1.2: {'met' if ratio <= 1.2 else 'NOT met'}")


if __name__ == "__main__":
    main()
