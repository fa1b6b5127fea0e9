#!/usr/bin/env python3
"""Erasure that erases, and odd input, end to end on the real binary (`ilnbot once --now T`):
after DELETE, the bytes of the SQLite file and of its WAL, and every file of the processed
Maildir, hold none of the person's addresses (the one now and the one before a CHANGE),
name or free text (unique canary strings), even with sent_keep_days keeping sent mail and a
coordinator's EXPORT naming them; a body opening with a byte-order mark keeps its first
field; a directory, a FIFO, a socket and a symbolic link in new/ are skipped, and the message
beside them is answered.
Usage: erase.py [BINARY]. Prints "N passed, N failed"."""
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from e2e import body, reply_to, token_of  # noqa: E402

COORD = "coord@example.org"
AR_OK = ("mx.example.org; dkim=pass header.d=example.org header.i=@example.org; "
         "dmarc=pass header.from=example.org")
OLD = "zq.oldcanary@example.org"
NEW = "zq.newcanary@example.org"
CANARIES = ("Zqxname Canaryperson", "zqxabout-canary", "zqxnotes-canary", "zqxreason-canary",
            "zqxworkplace-canary", OLD, NEW, "zqxname")
FORM = e2e.FORM.replace("Ana Pereira", "Zqxname Canaryperson") \
    .replace("I like metadata.", "I like zqxabout-canary.") \
    .replace("prefers mornings", "zqxnotes-canary") \
    .replace("Universidade de São Paulo", "zqxworkplace-canary")

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def found(data, needle):
    """needle in data, as UTF-8 or UTF-16 (SQLite may store either), any case."""
    d = data.lower()
    n = needle.lower()
    return n.encode() in d or n.encode("utf-16-le") in d


def store_files(bot):
    db = os.path.join(bot.dir, "var", "ilnbot.db")
    return [p for p in (db, db + "-wal") if os.path.exists(p)]


def maildir_files(bot):
    out = []
    for root, _, files in os.walk(bot.inbox):
        out += [os.path.join(root, f) for f in files]
    return out



def log_leaks(log, canaries):
    """The canaries in the log at the default level. Addresses may stand in the outbound
    lines (to=<...>), as Postfix's do (issue #16: nothing beyond addresses); names and
    texts nowhere."""
    bad = []
    for line in log.splitlines():
        for c in canaries:
            if c.lower() in line.lower() and not ("@" in c and line.startswith("ilnbot: info: outbound: ")):
                bad.append(line)
    return bad


def assert_clean(bot, canaries, what):
    for path in store_files(bot) + (maildir_files(bot) if e2e.MODE == "maildir" else []):
        with open(path, "rb") as f:
            data = f.read()
        for c in canaries:
            assert not found(data, c), f"{what}: {c!r} still in {path}"


def change(bot, old, new):
    _, r = bot.send(f"CHANGE {new}", sender=old)
    _, r = reply_to(bot, r[0], sender=old)
    verify = [m for m in r if m["To"] == e2e.A(new)][0]
    _, r = reply_to(bot, verify, sender=new)
    assert "has moved" in body(r[0]), body(r[0])


def processed_mail(bot):
    """Every message in the processed mailbox: Maildir cur/ files, or on the lab the
    bot's done and rejects folders over IMAP."""
    if e2e.MODE == "lab":
        return [raw for mb in ("Processed", "Rejected")
                for _, raw in e2e.LAB.fetch(e2e.BOT, mb)]
    out = []
    for p in maildir_files(bot):
        with open(p, "rb") as f:
            out.append(f.read())
    return out


@test
def delete_leaves_no_trace(bot):
    """Signed up at one address, moved to another, exported by a coordinator, then
    DELETE: nothing of them is left in the database, its WAL or the processed mailbox
    (on the lab: the IMAP done folder)."""
    global OLD, NEW
    if e2e.MODE == "lab":       # the lab's users; the name and free text stay canaries
        OLD, NEW = "ana@example.org", "ana.new@example.org"
    old, new = e2e.A(OLD), e2e.A(NEW)
    canaries = CANARIES[:5] + (old, new)
    e2e.signup(bot, sender=OLD, form=FORM)
    change(bot, OLD, NEW)
    _, r = bot.send("EXPORT", sender=COORD, headers={"Authentication-Results": AR_OK})
    assert any(p.get_filename() == "participants.csv" for p in r[0].iter_attachments())
    # the check can see what it looks for: the canaries are there before the erasure
    with open(store_files(bot)[0], "rb") as f:
        data = f.read()
    assert found(data, "zqxabout-canary") and found(data, old), "the canaries are not stored"
    assert any(found(raw, "zqxnotes-canary") for raw in processed_mail(bot))
    _, r = bot.send("DELETE", "Reason: zqxreason-canary", sender=NEW)
    assert len(r) == 1, r
    _, r = bot.send(f"CONFIRM {token_of(r[0])}", sender=NEW)
    assert len(r) == 1 and r[0]["To"] == new, r
    assert_clean(bot, canaries, "after DELETE")
    left = processed_mail(bot)
    for raw in left:
        for c in canaries:
            assert not found(raw, c), f"{c!r} still in a processed message"
    assert len(left) == 1, len(left)    # the coordinator's EXPORT stays
    assert not log_leaks(bot.log, canaries), "a canary in the log: %r" % log_leaks(bot.log, canaries)[:3]
    _, r = bot.send("SHOW", sender=NEW)
    assert "not registered" in body(r[0]), body(r[0])


def wait_replies(bot, n, timeout=30):
    """The next n replies of a running daemon."""
    got, deadline = [], time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        got += bot.replies()
        time.sleep(0.05)
    assert len(got) >= n, f"{len(got)} of {n} replies: {bot.log[-2000:]}"
    return got


def daemon_send(bot, subj, text, sender, n=1, headers=None):
    m = e2e.EmailMessage()
    m["From"] = sender
    m["To"] = e2e.BOT
    m["Subject"] = subj
    m["Date"] = "Mon, 02 Mar 2026 09:00:00 +0000"
    m["Message-ID"] = f"<d{os.urandom(6).hex()}@client.example>"
    for k, v in (headers or {}).items():
        m[k] = v
    m.set_content(text)
    bot.drop(bytes(m))
    return wait_replies(bot, n)


@test
def daemon_wal_holds_no_copy(bot):
    """While the daemon runs (its WAL file in use by three connections), DELETE leaves no
    copy in the database file, the WAL or the processed mailbox."""
    if e2e.MODE != "maildir":
        return
    proc = subprocess.Popen([e2e.BIN, "run", "-c", bot.conf, "--now", e2e.NOW],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        r = daemon_send(bot, "SIGNUP", FORM, OLD)
        daemon_send(bot, f"CONFIRM {token_of(r[0])}", "yes", OLD)
        wal = store_files(bot)[0] + "-wal"
        assert os.path.exists(wal), "no WAL while the daemon runs"
        data = b"".join(open(p, "rb").read() for p in store_files(bot))
        assert found(data, "zqxabout-canary"), "the canary is not stored"
        r = daemon_send(bot, "DELETE", "Reason: zqxreason-canary", OLD)
        r = daemon_send(bot, f"CONFIRM {token_of(r[0])}", "yes", OLD)
        assert r[0]["To"] == OLD
        deadline = time.monotonic() + 20
        while True:
            try:
                assert_clean(bot, CANARIES, "daemon after DELETE")
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert proc.poll() is None, "the daemon ended"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        bot.log += err.decode(errors="replace")
    assert not log_leaks(bot.log, CANARIES), "a canary in the log: %r" % log_leaks(bot.log, CANARIES)[:3]


@test
def delete_with_sent_mail_kept(bot):
    """With sent_keep_days = 30, sent mail keeps its body, except mail to or naming
    someone erased: the partner-free case of a coordinator's EXPORT naming them."""
    bot.close()
    b2 = e2e.Bot(extra="")
    with open(b2.conf) as f:
        conf = f.read()
    conf = conf.replace("maildir = var/outbox\n", "maildir = var/outbox\nsent_keep_days = 30\n")
    with open(b2.conf, "w") as f:
        f.write(conf)
    bot.__dict__.update(b2.__dict__)
    e2e.signup(bot, sender=OLD, form=FORM)
    e2e.signup(bot, sender="bo@example.org")
    _, r = bot.send("EXPORT", sender=COORD, headers={"Authentication-Results": AR_OK})
    _, r = bot.send("DELETE", sender=OLD)
    _, r = bot.send(f"CONFIRM {token_of(r[0])}", sender=OLD)
    assert_clean(bot, CANARIES, "after DELETE with sent_keep_days")
    # someone else's sent mail is kept whole
    with open(store_files(bot)[0], "rb") as f:
        assert b"Ana Pereira" in f.read(), "the other participant's mail was purged too"


@test
def sent_bodies_purged_by_default(bot):
    """sent_keep_days defaults to 0: a sent reply keeps no body in the database."""
    e2e.signup(bot, sender=OLD, form=FORM)
    for path in store_files(bot):
        with open(path, "rb") as f:
            data = f.read()
        assert b"Content-Transfer-Encoding: quoted-printable" not in data, path


@test
def byte_order_mark_keeps_first_field(bot):
    """A body that opens with U+FEFF: its first field (Name) is still read."""
    _, r = bot.send("SIGNUP", "\ufeff" + e2e.FORM, sender="ana@example.org")
    assert len(r) == 1, r
    _, r = reply_to(bot, r[0])
    assert "Welcome" in body(r[0]), body(r[0])
    _, r = bot.send("SHOW")
    assert "Ana Pereira" in body(r[0]), body(r[0])


@test
def odd_files_in_new_are_skipped(bot):
    """A directory, a FIFO, a socket and a symbolic link in new/ never stop the pass
    (a FIFO is never opened blocking); the message beside them is answered."""
    new = os.path.join(bot.inbox, "new")
    os.makedirs(new, exist_ok=True)
    os.mkdir(os.path.join(new, "000000.adir"))
    os.mkfifo(os.path.join(new, "000000.bfifo"))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(os.path.join(new, "000000.csock"))
    os.symlink("/dev/zero", os.path.join(new, "000000.dlink"))
    try:
        _, r = bot.send("HELP")
        assert len(r) == 1, r
        assert bot.log.count("not a regular file") == 4, bot.log
        _, r = bot.send("HELP")
        assert len(r) == 1, r
        assert sorted(os.listdir(new)) == ["000000.adir", "000000.bfifo", "000000.csock",
                                           "000000.dlink"], os.listdir(new)
    finally:
        s.close()


if __name__ == "__main__":
    if e2e.MODE == "lab":       # the rest is about the Maildir transport or one-shot runs
        TESTS = [delete_leaves_no_trace, byte_order_mark_keeps_first_field]
    e2e.run_suite(TESTS, "erase")
