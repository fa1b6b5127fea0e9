#!/usr/bin/env python3
"""faults.py: ilnbot against failing mail servers, on the private lab (tests/lab/lab.sh).

Each test checks "nothing lost, nothing processed twice, nothing sent in the clear":
  imap_cut_mid_batch      a TCP proxy of ours between ilnbot and Dovecot's IMAPS port cuts
                          each connection after N bytes, for many N; `ilnbot once` again
                          until all is done; every command answered exactly once.
  smtp_4xx_421_5xx        Postfix's smtp-sink as the relay (behind a TLS front of ours)
                          answering 451 / 421 / 550 at RCPT, MAIL or end of data: 4xx and
                          421 stay queued and go once the sink is healthy; 5xx are recorded
                          failed and never retried. (smtp-sink runs without root too; the
                          test is skipped only when it is not installed.)
  servers_never_answer    IMAP and SMTP ports that accept and stay silent: `ilnbot once`
                          ends within its timeouts; nothing is processed (IMAP) or the
                          reply stays queued and goes later (SMTP).
  untrusted_certificates  a wrong CA file, the system store, and fake servers of ours with
                          a self-signed certificate: refused, no LOGIN or AUTH ever sent.
  kill9_during_1000       `kill -9` of `ilnbot run` at random points of a 1,000-message
                          batch, then a restart: every command acted on once, every reply
                          sent; duplicates only with the same Message-ID, at most
                          OUTBOX_GROUP (4, results committed together) per kill.
Usage: faults.py [BINARY] (LAB_ENV=DIR/env to use a running lab; FAULTS_ONLY=name;
FAULTS_SEED=n). Prints "faults: N passed, N failed" last; a skipped test prints a "skip"
line and counts in neither.
"""
import email
import email.policy
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback

OUTBOX_GROUP = 4      # src/process.c: SMTP results committed together

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import labkit  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, "build", "ilnbot"))
BOT = labkit.BOT
NOW = "2026-03-02T10:00:00Z"
LATER = "2026-03-02T14:00:00Z"         # past every retry backoff of a first attempt
SENDERS = ("alice@example.org", "bob@example.org", "carol@example.org")
LAB = None


def note(msg):
    print("     " + msg)
    sys.stdout.flush()


# --- the bot ----------------------------------------------------------------------------
class Bot:
    def __init__(self, top, name, extra="", **transport):
        self.dir = os.path.join(top, name)
        os.mkdir(self.dir)
        self.conf = os.path.join(self.dir, "ilnbot.conf")
        self.db = os.path.join(self.dir, "ilnbot.db")
        self.log = os.path.join(self.dir, "ilnbot.log")
        with open(self.conf, "w") as f:
            f.write(f"""[network]
name = Example Librarians Network
address = {BOT}
coordinators = coord@example.org
default_language = English

[store]
path = ilnbot.db

{LAB.bot_conf(self.dir, **transport)}
[program]
templates = {TOP}/templates
replies_per_sender_per_day = 100000
{extra}""")

    def once(self, now=NOW, timeout=120):
        t0 = time.monotonic()
        with open(self.log, "ab") as lf:
            try:
                p = subprocess.run([BIN, "once", "-c", self.conf, "--now", now], stdout=lf,
                                   stderr=lf, stdin=subprocess.DEVNULL, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"ilnbot once still running after {timeout} s: "
                                     + self.tail()) from None
        return p.returncode, time.monotonic() - t0

    def q(self, sql, args=()):
        if not os.path.exists(self.db):
            return []
        con = sqlite3.connect(self.db, timeout=30)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def tail(self, n=3000):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode(errors="replace")[-n:]
        except OSError:
            return ""


def command(sender, subject, msgid):
    return (f"From: {sender}\r\nTo: {BOT}\r\nSubject: {subject}\r\n"
            f"Date: Mon, 02 Mar 2026 09:00:00 +0000\r\nMessage-ID: {msgid}\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"please\r\n").encode()


def put_commands(n, tag, bulk_dir=None):
    """n HELP/SHOW/STATUS commands from the lab users into iln's INBOX; {msgid: sender}."""
    reqs, raws = {}, []
    for i in range(n):
        sender = SENDERS[i % len(SENDERS)]
        msgid = f"<{tag}-{i}-{os.urandom(4).hex()}@client.example>"
        reqs[msgid] = sender
        raws.append(command(sender, ("HELP", "SHOW", "STATUS")[i % 3], msgid))
    if bulk_dir:
        LAB.import_mbox(BOT, raws, bulk_dir)
    else:
        for raw in raws:
            LAB.save(BOT, raw)
    assert LAB.count(BOT) == n, LAB.count(BOT)
    return reqs


def delivered_replies(reqs, deadline=30.0, settle=True):
    """Waits until every request has a reply in its sender's INBOX, then returns
    {request msgid: [reply Message-ID of each delivered copy]}."""
    end = time.monotonic() + deadline
    got = {}
    while True:
        got = {m: [] for m in reqs}
        for user in set(reqs.values()):
            for _, hdr in LAB.fetch(user, what="BODY.PEEK[HEADER.FIELDS (MESSAGE-ID IN-REPLY-TO)]"):
                h = email.message_from_bytes(hdr, policy=email.policy.compat32)
                irt = (h["In-Reply-To"] or "").strip()
                if irt in got:
                    got[irt].append((h["Message-ID"] or "").strip())
        if all(got.values()) or time.monotonic() > end:
            break
        time.sleep(0.2)
    if settle:
        LAB.queue_empty()
        return delivered_replies(reqs, deadline=0, settle=False)
    return got


def check_once(bot, reqs, dupes_ok=False):
    """Store and mailboxes: every request recorded once, answered, its reply sent; copies
    of a reply only with the same Message-ID (and only when dupes_ok). Returns duplicates."""
    rows = bot.q("select message_id, count(*) from inbound group by message_id")
    seen = {m: c for m, c in rows}
    missing = [m for m in reqs if m not in seen]
    assert not missing, f"{len(missing)} commands never recorded, e.g. {missing[:3]}"
    assert all(c == 1 for c in seen.values()), "an inbound row twice"
    out = bot.q("select status, count(*) from outbox group by status")
    assert dict(out) == {"sent": len(reqs)}, out
    assert LAB.count(BOT) == 0, f"{LAB.count(BOT)} left in the INBOX"
    # Every command in the done folder. Should a cut during UID MOVE ever leave the
    # server's copy made and the original not expunged, the next pass skips it as
    # already processed and moves it again: a second copy there would be the server's
    # doing, not a second processing (the inbound table and the replies say so).
    done = [email.message_from_bytes(h, policy=email.policy.compat32)["Message-ID"].strip()
            for _, h in LAB.fetch(BOT, "Processed", what="BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]")]
    assert set(done) == set(reqs), (f"{len(set(reqs) - set(done))} commands not in Processed, "
                                    f"{len(set(done) - set(reqs))} unknown there")
    if len(done) > len(reqs):
        note(f"{len(done) - len(reqs)} extra copies in Processed (MOVE cut midway)")
    got = delivered_replies(reqs)
    unanswered = [m for m, r in got.items() if not r]
    assert not unanswered, f"{len(unanswered)} commands never answered, e.g. {unanswered[:3]}"
    differing = [m for m, r in got.items() if len(set(r)) > 1]
    assert not differing, f"answered twice with different Message-IDs: {differing[:3]}"
    dupes = sum(len(r) - 1 for r in got.values())
    assert dupes_ok or dupes == 0, f"{dupes} duplicate replies"
    return dupes


# --- network helpers of our own ---------------------------------------------------------
class Listener(threading.Thread):
    """A loopback listener whose handle(conn) runs in a thread per connection."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.stopped = False
        self.start()

    def run(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self.guard, args=(c,), daemon=True).start()

    def guard(self, c):
        try:
            self.handle(c)
        except (OSError, ssl.SSLError):
            pass

    def close(self):
        self.stopped = True
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def pump(a, b, budget=None):
    """Copies both ways until either side closes, or budget bytes passed (then cuts)."""
    a.setblocking(True)
    b.setblocking(True)
    lock = threading.Lock()
    left = [budget]

    def one(src, dst):
        try:
            while True:
                data = src.recv(4096)
                if not data:
                    break
                with lock:
                    if left[0] is not None:
                        if left[0] <= 0:
                            break
                        data = data[:left[0]]
                        left[0] -= len(data)
                dst.sendall(data)
                if left[0] is not None and left[0] <= 0:
                    break
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    t = threading.Thread(target=one, args=(b, a), daemon=True)
    t.start()
    one(a, b)
    t.join(5)
    a.close()
    b.close()


class CutProxy(Listener):
    """Forwards to upstream; each connection is cut after `limit` bytes (both ways)."""

    def __init__(self, upstream):
        self.upstream, self.limit = upstream, None
        super().__init__()

    def handle(self, c):
        up = socket.create_connection(("127.0.0.1", self.upstream), timeout=10)
        pump(c, up, self.limit)


class TlsFront(Listener):
    """Implicit TLS with the lab's certificate in front of a plaintext server (smtp-sink
    speaks no TLS): the bot's side is always encrypted."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(os.path.join(LAB.dir, "tls", "cert.pem"),
                                 os.path.join(LAB.dir, "tls", "key.pem"))
        self.handshakes = self.refused = 0
        super().__init__()

    def handle(self, c):
        c.settimeout(10)
        try:
            t = self.ctx.wrap_socket(c, server_side=True)
        except (OSError, ssl.SSLError):
            self.refused += 1
            raise
        self.handshakes += 1
        up = socket.create_connection(("127.0.0.1", self.upstream), timeout=10)
        t.settimeout(None)
        up.settimeout(None)
        tls_pump(t, up)


def tls_pump(t, up):
    def back():
        try:
            while True:
                d = up.recv(4096)
                if not d:
                    break
                t.sendall(d)
        except (OSError, ssl.SSLError):
            pass
        try:
            # shutdown, not close: it wakes the recv() blocked in the other thread, so
            # the client sees the server's hang-up at once
            socket.socket.shutdown(t, socket.SHUT_RDWR)
        except OSError:
            pass

    th = threading.Thread(target=back, daemon=True)
    th.start()
    try:
        while True:
            d = t.recv(4096)
            if not d:
                break
            up.sendall(d)
    except (OSError, ssl.SSLError):
        pass
    try:
        up.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    th.join(5)
    up.close()
    t.close()


class Silent(Listener):
    """Accepts and never says or reads anything."""

    def handle(self, c):
        while not self.stopped:
            time.sleep(0.2)


class FakeTls(Listener):
    """A TLS server with a certificate nobody trusts; records whatever the client sends
    after the handshake (a client that checks the certificate sends nothing)."""

    def __init__(self, cert, key, greeting):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.greeting = greeting
        self.handshakes, self.received = 0, b""
        super().__init__()

    def handle(self, c):
        c.settimeout(10)
        t = self.ctx.wrap_socket(c, server_side=True)
        self.handshakes += 1
        t.sendall(self.greeting)
        while True:
            d = t.recv(4096)
            if not d:
                break
            self.received += d


class HalfDead(Listener):
    """SMTP over implicit TLS that greets, answers EHLO, refuses MAIL with 421 and then
    neither answers nor hangs up (not even to QUIT)."""

    def __init__(self):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(os.path.join(LAB.dir, "tls", "cert.pem"),
                                 os.path.join(LAB.dir, "tls", "key.pem"))
        super().__init__()

    def handle(self, c):
        c.settimeout(60)
        t = self.ctx.wrap_socket(c, server_side=True)
        t.sendall(b"220 half-dead ESMTP\r\n")
        f = t.makefile("rb")
        mute = False
        for line in f:
            if mute or self.stopped:
                continue
            if line[:4].upper() in (b"EHLO", b"HELO"):
                t.sendall(b"250 half-dead\r\n")
            elif line[:4].upper() == b"MAIL":
                t.sendall(b"421 4.3.0 busy\r\n")
                mute = True


class Sink:
    """Postfix's smtp-sink on a free loopback port, our child, stopped by its PID."""

    def __init__(self, folder, *fault):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.dump = os.path.join(folder, f"dump-{self.port}")
        # As root smtp-sink must drop to a user; otherwise it runs as us (and -u fails).
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        self.p = subprocess.Popen(["smtp-sink", *user, "-D", self.dump, *fault,
                                   f"127.0.0.1:{self.port}", "16"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)

    def text(self):
        try:
            with open(self.dump, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


# --- the tests ----------------------------------------------------------------------------
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def imap_cut_mid_batch(top, rng):
    proxy = CutProxy(LAB.imaps_port)
    try:
        # Small batches, so cuts fall between fetches, moves and state writes.
        bot = Bot(top, "cut", imap_port=proxy.port, imap_timeout=5, imap_batch=4)
        reqs = put_commands(60, "cut")
        runs = cuts = 0
        limits = rng.sample(range(200, 8000), 40)
        while LAB.count(BOT) and runs < 60:
            proxy.limit = limits[runs % len(limits)] if runs < 2 * len(limits) else None
            rc, took = bot.once(timeout=60)
            assert took < 30, f"a cut pass took {took:.1f} s"
            runs += 1
            cuts += rc != 0
        proxy.limit = None
        rc, _ = bot.once()
        assert rc == 0, bot.tail()
        note(f"{runs} cut passes ({cuts} ended in an error), cut after 200..8000 bytes")
        check_once(bot, reqs)
    finally:
        proxy.close()


def sink_scenario(top, name, fault, transient):
    LAB.reset()
    folder = os.path.join(top, "sink-" + name)
    os.mkdir(folder)
    if os.geteuid() == 0:
        os.chown(folder, pw_nobody(), -1)   # smtp-sink writes its dump as nobody
    bad = Sink(folder, *fault)
    front = TlsFront(bad.port)
    good = None
    try:
        bot = Bot(top, "bot-" + name, smtp_port=front.port, smtp_tls="implicit", smtp_auth=False)
        reqs = put_commands(3, name)
        rc, _ = bot.once(NOW, timeout=60)
        rows = bot.q("select status, attempts, last_error from outbox")
        assert len(rows) == 3, rows
        want = "queued" if transient else "failed"
        assert all(r[0] == want for r in rows), rows
        code = "421" if "-Q" in fault else ("4" if transient else "5")
        # A relay that says 421 and hangs up on a pipelined MAIL, RCPT, DATA may reset
        # the connection before its 421 is read: a connection failure, transient too.
        assert all(code in (r[2] or "") or ("-Q" in fault and "connection" in (r[2] or ""))
                   for r in rows), rows
        assert bot.q("select count(*) from inbound")[0][0] == 3
        bad.stop()
        accepted_while_bad = sum(bad.text().count(m) for (m,) in bot.q("select message_id from outbox"))
        good = Sink(folder)
        front.upstream = good.port
        rc, _ = bot.once(LATER)
        assert rc == 0, bot.tail()
        dump = good.text()
        mids = [m for (m,) in bot.q("select message_id from outbox")]
        if transient:
            assert [r[0] for r in bot.q("select status from outbox")] == ["sent"] * 3, \
                bot.q("select status, last_error from outbox")
            counts = [dump.count(m) for m in mids]
            assert counts == [1, 1, 1], (counts, accepted_while_bad)
        else:
            assert [r[0] for r in bot.q("select status from outbox")] == ["failed"] * 3
            assert dump.count("Message-ID") == 0, "a failed reply was retried"
        assert front.refused == 0 and front.handshakes >= 1
        note(f"{name}: {' '.join(fault)} -> {want}, then {'sent once' if transient else 'never retried'}")
    finally:
        front.close()
        bad.stop()
        if good:
            good.stop()


def pw_nobody():
    import pwd
    return pwd.getpwnam("nobody").pw_uid


def needs_smtp_sink():
    if shutil.which("smtp-sink") is None:
        return "smtp-sink (package postfix) is not installed"
    return None


@test
def smtp_4xx_421_5xx(top, rng):
    sink_scenario(top, "451rcpt", ["-r", "RCPT"], True)
    sink_scenario(top, "451data", ["-r", "."], True)
    sink_scenario(top, "421mail", ["-Q", "MAIL"], True)
    sink_scenario(top, "550rcpt", ["-f", "RCPT"], False)
    sink_scenario(top, "550data", ["-f", "."], False)


@test
def servers_never_answer(top, rng):
    silent = Silent()
    try:
        LAB.reset()
        reqs = put_commands(12, "silent")
        bot = Bot(top, "silent-imap", imap_port=silent.port, imap_timeout=2, smtp_timeout=2)
        rc, took = bot.once()
        note(f"silent IMAP: exit {rc} after {took:.1f} s")
        assert took < 8, took
        assert bot.q("select count(*) from inbound") in ([], [(0,)])
        assert LAB.count(BOT) == 12

        # 12 replies for a silent relay: each outbox flush gives up after 3 timeouts (a
        # pass flushes after its inbound batch and at its end), not one per reply.
        bot = Bot(top, "silent-smtp", smtp_port=silent.port, imap_timeout=2, smtp_timeout=2)
        rc, took = bot.once()
        note(f"silent SMTP: exit {rc} after {took:.1f} s")
        assert took < 2 * 3 * 2 + 4, took
        assert bot.q("select count(*) from inbound") == [(12,)]
        rows = bot.q("select status from outbox")
        assert rows == [("queued",)] * 12, rows
        # a relay that answers 421 and then goes mute, even to QUIT: bounded too
        dead = HalfDead()
        try:
            txt = open(bot.conf).read()
            open(bot.conf, "w").write(txt.replace(f"smtp_port = {silent.port}",
                                                  f"smtp_port = {dead.port}")
                                      .replace("smtp_tls = starttls", "smtp_tls = implicit"))
            rc, took = bot.once(LATER)
            note(f"421 then mute: exit {rc} after {took:.1f} s")
            assert took < 4 * 2 + 3, took
            assert bot.q("select status from outbox") == [("queued",)] * 12
            open(bot.conf, "w").write(txt)
        finally:
            dead.close()
        # the same store, now with the real relay: sent once, nothing lost
        txt = open(bot.conf).read().replace(f"smtp_port = {silent.port}",
                                            f"smtp_port = {LAB.smtp_port}")
        open(bot.conf, "w").write(txt)
        rc, _ = bot.once("2026-03-03T10:00:00Z")
        assert rc == 0, bot.tail()
        check_once(bot, reqs)
    finally:
        silent.close()


@test
def untrusted_certificates(top, rng):
    key, cert = os.path.join(top, "wrong-key.pem"), os.path.join(top, "wrong-cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key,
                    "-out", cert], check=True, capture_output=True)
    LAB.reset()
    reqs = put_commands(2, "cert")
    d0 = LAB.log_size("dovecot")
    for name, ca in (("wrong CA file", cert), ("system store", "")):
        bot = Bot(top, "imap-" + name.replace(" ", "-"), imap_ca=ca)
        rc, _ = bot.once()
        assert rc != 0, f"{name}: accepted"
        assert "certificate" in bot.tail(), bot.tail()
        assert bot.q("select count(*) from inbound") in ([], [(0,)])
    assert "Login: user=<iln@example.org>" not in LAB.log_since("dovecot", d0)
    assert LAB.count(BOT) == 2
    # fake IMAPS and SMTPS servers with a self-signed certificate: nothing after the handshake
    fi = FakeTls(cert, key, b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n")
    fs = FakeTls(cert, key, b"220 fake ESMTP\r\n")
    try:
        bot = Bot(top, "fake-imap", imap_port=fi.port)
        rc, _ = bot.once()
        assert rc != 0
        assert fi.received == b"", fi.received[:200]
        # SMTP: the wrong CA against Postfix, then a self-signed fake server
        p0 = LAB.log_size("postfix")
        bot = Bot(top, "smtp-wrong-ca", smtp_ca=cert)
        bot.once()
        assert bot.q("select status from outbox") == [("queued",), ("queued",)], \
            bot.q("select status, last_error from outbox")
        assert "sasl_username=iln" not in LAB.log_since("postfix", p0)
        txt = open(bot.conf).read().replace(f"smtp_port = {LAB.smtp_port}", f"smtp_port = {fs.port}")
        txt = txt.replace("smtp_tls = starttls", "smtp_tls = implicit")
        open(bot.conf, "w").write(txt.replace(f"smtp_ca_file = {cert}", f"smtp_ca_file = {LAB.ca}"))
        bot.once(LATER)
        assert fs.received == b"", fs.received[:200]
        assert [r[0] for r in bot.q("select status from outbox")] == ["queued"] * 2
        note(f"fake servers: {fi.handshakes} IMAP and {fs.handshakes} SMTP handshakes, 0 bytes after")
        # the right configuration at last: everything goes, once
        open(bot.conf, "w").write(txt.replace(f"smtp_port = {fs.port}", f"smtp_port = {LAB.smtp_port}")
                                  .replace("smtp_tls = implicit", "smtp_tls = starttls")
                                  .replace(f"smtp_ca_file = {cert}", f"smtp_ca_file = {LAB.ca}"))
        rc, _ = bot.once("2026-03-02T23:00:00Z")
        assert rc == 0, bot.tail()
        check_once(bot, reqs)
    finally:
        fi.close()
        fs.close()


@test
def kill9_during_1000(top, rng):
    LAB.reset()
    bulk = os.path.join(top, "bulk")
    os.mkdir(bulk)
    t0 = time.monotonic()
    reqs = put_commands(1000, "k9", bulk_dir=bulk)
    note(f"1000 commands imported in {time.monotonic() - t0:.1f} s")
    bot = Bot(top, "kill9", poll_seconds=2)
    kills = []

    def start():
        lf = open(bot.log, "ab")
        p = subprocess.Popen([BIN, "run", "-c", bot.conf], stdin=subprocess.DEVNULL,
                             stdout=lf, stderr=lf)
        lf.close()
        return p

    def done_count():
        try:
            return bot.q("select count(*) from inbound")[0][0]
        except (IndexError, sqlite3.Error):
            return 0

    def all_sent():
        try:
            return bot.q("select count(*) from outbox where status = 'sent'")[0][0]
        except (IndexError, sqlite3.Error):
            return 0

    t0 = time.monotonic()
    for _ in range(8):
        p = start()
        # the whole batch takes about a second here: kills fall while reading,
        # processing and sending
        time.sleep(rng.uniform(0.02, 0.6))
        p.kill()                # SIGKILL, our own child
        p.wait()
        kills.append((done_count(), all_sent()))
        if kills[-1][0] >= 1000 and kills[-1][1] >= 1000:
            break
    p = start()
    end = time.monotonic() + 240
    while time.monotonic() < end:
        if done_count() >= 1000 and bot.q(
                "select count(*) from outbox where status != 'sent'")[0][0] == 0 and \
                bot.q("select count(*) from outbox")[0][0] >= 1000:
            break
        if p.poll() is not None:
            raise AssertionError(f"ilnbot run exited {p.returncode}: {bot.tail()}")
        time.sleep(0.2)
    took = time.monotonic() - t0
    p.send_signal(signal.SIGTERM)
    rc = p.wait(30)
    assert rc == 0, f"SIGTERM: exit {rc}"
    note(f"killed with -9 after (commands recorded, replies sent) {kills}; all done {took:.0f} s after the first start")
    assert bot.q("pragma integrity_check") == [("ok",)]
    dupes = check_once(bot, reqs, dupes_ok=True)
    # a duplicate only when a kill fell between the relay's 250 and the commit; results
    # are committed in groups of OUTBOX_GROUP (src/process.c)
    assert dupes <= OUTBOX_GROUP * len(kills), f"{dupes} duplicate replies for {len(kills)} kills"
    note(f"{dupes} duplicate copies (same Message-ID)")


def main():
    global LAB
    only = os.environ.get("FAULTS_ONLY")
    needs = {"smtp_4xx_421_5xx": needs_smtp_sink}
    seed = int(os.environ.get("FAULTS_SEED", random.randrange(1 << 30)))
    print(f"faults: seed {seed} (FAULTS_SEED to repeat)")
    passed = failed = 0
    LAB = labkit.Lab()
    top = tempfile.mkdtemp(prefix="ilnfault.")
    os.chmod(top, 0o755)    # our own folder: the mail user reads the bulk import in it
    try:
        for fn in TESTS:
            if only and only not in fn.__name__:
                continue
            why = needs[fn.__name__]() if fn.__name__ in needs else None
            if why:
                print(f"skip {fn.__name__}: {why}")
                continue
            t1 = time.monotonic()
            sub = os.path.join(top, fn.__name__)
            os.mkdir(sub)
            os.chmod(sub, 0o755)
            try:
                LAB.reset()     # the e2e suite may have used this lab before us
                fn(sub, random.Random(seed))
                print(f"ok   {fn.__name__} ({time.monotonic() - t1:.1f} s)")
                passed += 1
            except Exception:
                print(f"FAIL {fn.__name__} ({time.monotonic() - t1:.1f} s)")
                traceback.print_exc()
                failed += 1
            sys.stdout.flush()
    finally:
        LAB.stop()
        shutil.rmtree(top, ignore_errors=True)
    print(f"faults: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
