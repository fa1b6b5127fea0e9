#!/usr/bin/env python3
"""Benchmarks of issue 4 against the private Dovecot + Postfix of tests/lab (run by
bench_lab.sh, which starts the lab and passes its env). Three parts:

(a) inbound: N command mails put into iln@'s INBOX with `doveadm import`; one `ilnbot once`
    (IMAP in over implicit TLS, SMTP out to smtp-sink) beside one bulk
    `UID FETCH 1:* BODY.PEEK[]` of the same mailbox with a plain Python ssl-socket client (the second fetch is the reference; the
    first builds Dovecot's cache). Goal: >= 1/4 of that rate.
(b) outbound: N replies queued by a Maildir-in run whose SMTP relay does not answer (a closed
    port), then sent by `ilnbot once` to smtp-sink, beside
    `smtp-source -d -s 1 -m N -l SIZE` to the same sink. Goal: >= 3/4 of its rate.
(c) latency: `ilnbot run` (IMAP IDLE) with 100 commands sent one at a time by SMTP through
    Postfix; from each command's arrival in the bot's mailbox (Dovecot's Maildir file name
    holds the delivery time in microseconds) to its reply's acceptance by the relay (the 250
    after DATA, seen by a timestamping pass-through proxy between the bot and Postfix).
    Goal: p99 < 1 s.
Peak memory of the bot in each part (ru_maxrss by /usr/bin/time; VmHWM for the daemon).

Usage: bench_lab.py BINARY WORKDIR [N]  (with the lab's env exported)
"""
import asyncio
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_inbound_maildir as gen  # noqa: E402  (the message generator)

BOT = gen.BOT
NOW = "2026-03-02T10:00:00Z"
LATER = "2026-03-02T12:00:00Z"      # every queued retry is due by then
E = os.environ


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def batch_mails(n, rng, senders):
    """A realistic mix with no setup: SIGNUP (1 in 10 bad), CONFIRM with an unknown token,
    SHOW and UPDATE (unregistered), HELP, ~3 KB each."""
    out = []
    for i in range(n):
        s = senders[i % len(senders)]
        nm = rng.choice(gen.NAMES)
        k = i % 10
        if k < 3:
            # SIGNUP from its own address: a fourth a day is ignored without a reply.
            s = s.replace("@", f"+{i}@")
            subj, text = "SIGNUP", gen.form(rng, nm, bad=(i % 100 == 0))
        elif k == 3:
            subj, text = f"Re: CONFIRM {rng.getrandbits(128):032x}", "Yes."
        elif k < 6:
            subj, text = "SHOW", "What do you hold about me?"
        elif k < 8:
            subj, text = "UPDATE", "Years: 7\nLanguages: English, French\n"
        else:
            subj, text = "HELP", "How does this work?"
        out.append(gen.message(rng, i + 1, s, nm, subj, text))
    return out


def conf(path, inbound, outbound, rate=100000):
    with open(path, "w") as f:
        f.write(f"""[network]
name = Example Librarians Network
address = {BOT}
coordinators = coord@example.org
trusted_authserv_id = mx.example.org
default_language = English

[store]
path = var/ilnbot.db

[inbound]
{inbound}
[outbound]
{outbound}
[program]
templates = {os.path.dirname(os.path.dirname(HERE))}/templates
token_days = 7
replies_per_sender_per_day = {rate}
""")


def imap_in(work, poll=60):
    return (f"transport = imap\nimap_host = 127.0.0.1\nimap_port = {E['LAB_IMAPS_PORT']}\n"
            f"imap_tls = implicit\nimap_user = {BOT}\nimap_password_file = {work}/imap.pass\n"
            f"imap_ca_file = {E['LAB_CA']}\nimap_mailbox = INBOX\nimap_done_mailbox = Processed\n"
            f"imap_rejects_mailbox = Rejected\npoll_seconds = {poll}\n")


def smtp_out(port):
    return (f"transport = smtp\nsmtp_host = 127.0.0.1\nsmtp_port = {port}\nsmtp_tls = none\n"
            f"bounce_address = iln-bounces@example.org\nsmtp_timeout_seconds = 10\n")


def run_once(binary, cfg, now, log, trace=None):
    """One `ilnbot once`: (seconds, peak RSS MiB, exit status, CPU seconds); trace: a file
    for `strace -f -w -c` when BENCH_STRACE is set."""
    wrap = []
    if trace and E.get("BENCH_STRACE"):
        wrap = ["strace", "-f", "-w", "-c", "-o", trace]
    elif trace and E.get("BENCH_PERF"):
        wrap = ["perf", "record", "-g", "-o", trace.replace("strace.txt", "perf.data")]
    secs, kib, rc, cpu = gen.run_measured([binary, "once", "-c", cfg, "--now", now], log, wrap)
    return secs, kib / 1024, rc, cpu


def doveadm(*args, check=True):
    return subprocess.run(["doveadm", "-c", E["LAB_DOVECOT_CONF"]] + list(args),
                          capture_output=True, text=True, check=check)


def mailbox_count(user, box):
    r = doveadm("mailbox", "status", "-u", user, "messages", box, check=False)
    m = re.search(r"messages=(\d+)", r.stdout)
    return int(m.group(1)) if m else 0


def outbox_counts(db):
    c = sqlite3.connect(db)
    d = dict(c.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())
    avg = c.execute("SELECT avg(length(raw)) FROM outbox").fetchone()[0] or 0
    c.close()
    return d, avg


def start_sink(port, log):
    p = subprocess.Popen(["smtp-sink", "-u", "nobody", f"127.0.0.1:{port}", "256"],
                         stdout=subprocess.DEVNULL, stderr=open(log, "ab"))
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return p
        except OSError:
            time.sleep(0.05)
    p.kill()
    sys.exit("smtp-sink did not start")


def stop(p):
    if p and p.poll() is None:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def bulk_fetch(user, password, port, ca):
    """A plain client: log in, EXAMINE INBOX, then time one UID FETCH 1:* BODY.PEEK[]
    read to its tagged OK. Returns (seconds, bytes)."""
    import ssl
    ctx = ssl.create_default_context(cafile=ca)
    with socket.create_connection(("127.0.0.1", port)) as raw, \
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
        def until(tag):
            buf, tail = 0, b""
            while True:
                chunk = s.recv(1 << 20)
                if not chunk:
                    sys.exit("IMAP: connection closed")
                buf += len(chunk)
                tail = (tail + chunk)[-4096:]
                m = re.search(rb"(?:^|\r\n)" + tag + rb" (OK|NO|BAD)[^\r\n]*\r\n$", tail)
                if m:
                    if m.group(1) != b"OK":
                        sys.exit(f"IMAP: {tail[-200:]!r}")
                    return buf
        s.recv(4096)
        s.sendall(f"a LOGIN {user} {password}\r\n".encode())
        until(b"a")
        s.sendall(b"b EXAMINE INBOX\r\n")
        until(b"b")
        t = time.monotonic()
        s.sendall(b"c UID FETCH 1:* BODY.PEEK[]\r\n")
        n = until(b"c")
        dt = time.monotonic() - t
        s.sendall(b"d LOGOUT\r\n")
    return dt, n


def part_a(binary, work, n, rng, sink_port):
    user = BOT
    src = os.path.join(work, "import")
    os.makedirs(src, exist_ok=True)
    senders = [f"p{i:04d}@lib{i % 61}.example.net" for i in range(3000)]
    mails = batch_mails(n, rng, senders)
    with open(os.path.join(src, "x.mbox"), "wb") as f:
        for raw in mails:
            f.write(b"From MAILER-DAEMON Mon Mar  2 09:00:00 2026\n")
            f.write(re.sub(rb"(?m)^(>*From )", rb">\1", raw))
            f.write(b"\n")
    uid = int(subprocess.check_output(["id", "-u", "nobody"]))
    for p in (src, os.path.join(src, "x.mbox")):
        os.chown(p, uid, -1)        # our own folder: import rewrites the mbox as the mail user
    t0 = time.monotonic()
    doveadm("import", "-u", user, f"mbox:{src}:INBOX={src}/x.mbox:INDEX=MEMORY", "", "all")
    got = mailbox_count(user, "INBOX")
    print(f"(a) {got} mails imported into {user} INBOX with doveadm import "
          f"({time.monotonic() - t0:.1f} s, untimed), {sum(map(len, mails)) / n:.0f} bytes on average")
    if got != n:
        sys.exit(f"(a) INBOX holds {got}, want {n}")
    # The lab trades Dovecot's fsyncs for a fast import; the bot meets Dovecot's default.
    with open(E["LAB_DOVECOT_CONF"]) as f:
        dc = f.read()
    with open(E["LAB_DOVECOT_CONF"], "w") as f:
        f.write(re.sub(r"(?m)^mail_fsync = never$", "mail_fsync = optimized", dc))
    doveadm("reload")
    time.sleep(0.5)

    def fetch():
        return bulk_fetch(user, E["LAB_PASSWORD"], int(E["LAB_IMAPS_PORT"]), E["LAB_CA"])
    f1, _ = fetch()
    f2, nbytes = fetch()
    cfg = os.path.join(work, "a", "ilnbot.conf")
    os.makedirs(os.path.dirname(cfg))
    conf(cfg, imap_in(work), smtp_out(sink_port))
    secs, rss, rc, cpu = run_once(binary, cfg, NOW, os.path.join(work, "a", "ilnbot.log"),
                                  os.path.join(work, "a", "strace.txt"))
    if rc != 0:
        sys.exit(f"(a) ilnbot once: exit {rc}; see {work}/a/ilnbot.log")
    done, left = mailbox_count(user, "Processed"), mailbox_count(user, "INBOX")
    rej = mailbox_count(user, "Rejected")
    ob, _ = outbox_counts(os.path.join(work, "a", "var", "ilnbot.db"))
    ok = done == n and left == 0 and ob.get("sent", 0) == n
    print(f"(a) ilnbot once: {secs:.2f} s; check: {done} in Processed, {left} left in INBOX, {rej} in Rejected, outbox {ob}"
          + ("" if ok else "  <-- UNEXPECTED"))
    return dict(fetch1=f1, fetch2=f2, fetch_bytes=nbytes, secs=secs, rss=rss, cpu=cpu, ok=ok)


def part_b(binary, work, n, rng, sink_port):
    d = os.path.join(work, "b")
    cfg = os.path.join(d, "ilnbot.conf")
    os.makedirs(os.path.join(d, "var", "inbox", "new"))
    senders = [f"q{i:04d}@lib{i % 61}.example.net" for i in range(3000)]
    for i, raw in enumerate(batch_mails(n, rng, senders)):
        with open(os.path.join(d, "var", "inbox", "new", f"{1700000000 + i}.M{i:06d}P9.bench"), "wb") as f:
            f.write(raw)
    dead = free_port()
    conf(cfg, "transport = maildir\nmaildir = var/inbox\n", smtp_out(dead))
    t0 = time.monotonic()
    _, _, rc, _ = run_once(binary, cfg, NOW, os.path.join(d, "queue.log"))
    ob, avg = outbox_counts(os.path.join(d, "var", "ilnbot.db"))
    print(f"(b) {ob.get('queued', 0)} replies queued by a Maildir-in run whose relay is a closed "
          f"port ({time.monotonic() - t0:.1f} s, untimed), {avg:.0f} bytes on average")
    if rc != 0 or ob.get("queued", 0) == 0:
        sys.exit(f"(b) queueing run: exit {rc}, outbox {ob}")
    conf(cfg, "transport = maildir\nmaildir = var/inbox\n", smtp_out(sink_port))
    secs, rss, rc, cpu = run_once(binary, cfg, LATER, os.path.join(d, "send.log"),
                                  os.path.join(d, "strace.txt"))
    ob2, _ = outbox_counts(os.path.join(d, "var", "ilnbot.db"))
    nq = ob.get("queued", 0)
    ok = rc == 0 and ob2.get("sent", 0) == nq and nq == n
    print(f"(b) ilnbot once: {secs:.2f} s; check: exit {rc}, outbox {ob2}" + ("" if ok else "  <-- UNEXPECTED"))
    t = time.monotonic()
    r = subprocess.run(["smtp-source", "-d", "-s", "1", "-m", str(nq), "-l", str(int(avg)),
                        "-f", BOT, "-t", "alice@example.org", f"127.0.0.1:{sink_port}"],
                       capture_output=True, text=True)
    src_s = time.monotonic() - t
    if r.returncode != 0:
        sys.exit(f"smtp-source: {r.stderr}")
    return dict(secs=secs, rss=rss, cpu=cpu, src=src_s, size=int(avg), ok=ok, n=nq)


class Proxy:
    """A pass-through TCP proxy from the bot to Postfix that records, for each message, the
    time Postfix's reply to the end of DATA arrived, keyed by the message's In-Reply-To."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.accepted = {}
        self.cond = threading.Condition()
        self.loop = asyncio.new_event_loop()
        self.port = None
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self.thread.start()
        started.wait()

    def _run(self, started):
        asyncio.set_event_loop(self.loop)

        async def main():
            srv = await asyncio.start_server(self._conn, "127.0.0.1", 0)
            self.port = srv.sockets[0].getsockname()[1]
            started.set()
            async with srv:
                await srv.serve_forever()
        try:
            self.loop.run_until_complete(main())
        except asyncio.CancelledError:
            pass

    async def _conn(self, cr, cw):
        sr, sw = await asyncio.open_connection("127.0.0.1", self.upstream)
        pending = []            # In-Reply-To of messages whose DATA ended, awaiting 250

        async def c2s():
            buf, in_data = b"", False
            while True:
                chunk = await cr.read(65536)
                if not chunk:
                    break
                sw.write(chunk)
                await sw.drain()
                buf += chunk
                while True:
                    if in_data:
                        i = buf.find(b"\r\n.\r\n")
                        if i < 0:
                            break
                        m = re.search(rb"(?im)^In-Reply-To:\s*(<[^>]*>)", buf[:i])
                        pending.append(m.group(1).decode() if m else None)
                        buf, in_data = buf[i + 5:], False
                    else:
                        i = buf.find(b"\r\n")
                        if i < 0:
                            break
                        line, buf = buf[:i], buf[i + 2:]
                        if line.upper() == b"DATA":
                            pending.append("DATA")
                            in_data = True      # the 354 is assumed; Postfix sends it
            sw.close()

        async def s2c():
            rbuf = b""
            while True:
                chunk = await sr.read(65536)
                if not chunk:
                    break
                now = time.time()
                cw.write(chunk)
                await cw.drain()
                rbuf += chunk
                while b"\r\n" in rbuf:
                    line, rbuf = rbuf.split(b"\r\n", 1)
                    if len(line) >= 4 and line[3:4] == b"-":
                        continue
                    if pending and pending[0] == "DATA" and line[:3] == b"354":
                        pending.pop(0)
                    elif pending and pending[0] != "DATA" and line[:1] in (b"2", b"4", b"5"):
                        key = pending.pop(0)
                        if line[:3] == b"250" and key:
                            with self.cond:
                                self.accepted[key] = now
                                self.cond.notify_all()
            cw.close()
        await asyncio.gather(c2s(), s2c(), return_exceptions=True)

    def wait_for(self, key, timeout):
        end = time.monotonic() + timeout
        with self.cond:
            while key not in self.accepted:
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.accepted[key]


def vm_hwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def arrivals(maildir_root):
    """Message-ID -> arrival time, from Dovecot's Maildir file names (T.MusecP...)."""
    out = {}
    for path in (os.path.join(dp, f) for dp, _, fs in os.walk(maildir_root) for f in fs):
        m = re.match(r"(\d+)\.M(\d+)P", os.path.basename(path))
        if not m:
            continue
        with open(path, "rb") as f:
            head = f.read(16384).split(b"\n\n", 1)[0]
        mid = re.search(rb"(?im)^Message-ID:\s*(<[^>]*>)", head)
        if mid:
            out[mid.group(1).decode()] = int(m.group(1)) + int(m.group(2)) / 1e6
    return out


def part_c(binary, work, count):
    import smtplib
    d = os.path.join(work, "c")
    os.makedirs(d)
    proxy = Proxy(int(E["LAB_SMTP_PORT"]))
    cfg = os.path.join(d, "ilnbot.conf")
    conf(cfg, imap_in(work, poll=60), smtp_out(proxy.port))
    log = open(os.path.join(d, "ilnbot.log"), "ab")
    bot = subprocess.Popen([binary, "run", "-c", cfg], stdout=subprocess.DEVNULL, stderr=log)
    lat, e2e, missing = [], [], 0
    rng = random.Random(4)
    users = ["alice", "bob", "carol"]
    try:
        time.sleep(1.0)             # login, SELECT, first pass over an empty INBOX, IDLE
        for i in range(count):
            who = users[i % 3] + "@example.org"
            subj = ["HELP", "SHOW", "STATUS", "UPDATE"][i % 4]
            raw = gen.message(rng, i + 1, who, "Alice Example", subj,
                              "Years: 5\n" if subj == "UPDATE" else "Hello.")
            mid = re.search(rb"(?m)^Message-ID: (<[^>]*>)", raw).group(1).decode()
            t0 = time.time()
            with smtplib.SMTP("127.0.0.1", int(E["LAB_SMTP_PORT"])) as s:
                s.sendmail(who, [BOT], raw.replace(b"\n", b"\r\n"))
            t1 = proxy.wait_for(mid, 15)
            if t1 is None:
                missing += 1
                continue
            e2e.append(t1 - t0)
            lat.append((mid, t1))
        hwm = vm_hwm(bot.pid)
    finally:
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(15)
        except subprocess.TimeoutExpired:
            bot.kill()
            bot.wait()
    arr = arrivals(os.path.join(E["LAB_DIR"], "mail", BOT))
    deltas = [t1 - arr[mid] for mid, t1 in lat if mid in arr]
    return dict(lat=sorted(deltas), e2e=sorted(e2e), missing=missing,
                unmatched=len(lat) - len(deltas), hwm=hwm, rc=bot.returncode)


def pct(v, p):
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(round(p / 100 * len(v) + 0.5)) - 1))
    return v[k]


def main():
    binary, work = os.path.abspath(sys.argv[1]), sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    ncmd = 100
    rng = random.Random(5)
    with open(os.path.join(work, "imap.pass"), "w") as f:
        f.write(E["LAB_PASSWORD"] + "\n")
    os.chmod(os.path.join(work, "imap.pass"), 0o600)
    sink_port = free_port()
    sink = start_sink(sink_port, os.path.join(work, "sink.log"))
    try:
        print(f"bench-lab: Dovecot + Postfix in {E['LAB_DIR']}; smtp-sink on {sink_port}; N = {n}")
        a = part_a(binary, work, n, rng, sink_port)
        b = part_b(binary, work, n, rng, sink_port)
        c = part_c(binary, work, ncmd)
    finally:
        stop(sink)

    print()
    print(f"{'':52s}{'mails':>7s}{'seconds':>9s}{'mails/s':>9s}")
    fr1, fr2 = n / a["fetch1"], n / a["fetch2"]
    br = n / a["secs"]
    print(f"{'(a) plain client UID FETCH 1:* BODY.PEEK[], cold':52s}{n:7d}{a['fetch1']:9.2f}{fr1:9.0f}")
    print(f"{'(a) plain client UID FETCH 1:* BODY.PEEK[], warm':52s}{n:7d}{a['fetch2']:9.2f}{fr2:9.0f}")
    print(f"{'(a) ilnbot once: IMAP in, SMTP out to smtp-sink':52s}{n:7d}{a['secs']:9.2f}{br:9.0f}")
    nb = b["n"]
    sr, obr = nb / b["src"], nb / b["secs"]
    print(f"{'(b) smtp-source -d -s 1 -l ' + str(b['size']) + ' to smtp-sink':52s}{nb:7d}{b['src']:9.2f}{sr:9.0f}")
    print(f"{'(b) ilnbot once: send the queued outbox to smtp-sink':52s}{nb:7d}{b['secs']:9.2f}{obr:9.0f}")
    print()

    def verdict(ok):
        return "met" if ok else "NOT met"
    ra, rb = br / fr2, obr / sr
    print(f"(a) inbound ratio ilnbot / bulk fetch: {ra:.3f}   goal >= 0.25: {verdict(ra >= 0.25)}"
          f"   (bot CPU {a['cpu']:.1f} s, peak memory {a['rss']:.1f} MiB)")
    print(f"(b) outbound ratio ilnbot / smtp-source: {rb:.3f}   goal >= 0.75: {verdict(rb >= 0.75)}"
          f"   (bot CPU {b['cpu']:.1f} s, peak memory {b['rss']:.1f} MiB)")
    lat = c["lat"]
    p50, p99 = pct(lat, 50), pct(lat, 99)
    print(f"(c) latency, arrival in the bot's mailbox -> reply accepted by Postfix, {len(lat)} of "
          f"{ncmd} commands: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max "
          f"{(lat[-1] if lat else float('nan')) * 1000:.0f} ms   goal p99 < 1 s: {verdict(len(lat) == ncmd and p99 < 1)}")
    print(f"    (SMTP submission -> reply accepted: p50 {pct(c['e2e'], 50) * 1000:.0f} ms, p99 "
          f"{pct(c['e2e'], 99) * 1000:.0f} ms; no reply within 15 s: {c['missing']}; daemon exit "
          f"{c['rc']}, peak memory {c['hwm']:.1f} MiB)")
    ok = a["ok"] and b["ok"] and c["missing"] == 0 and c["unmatched"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
