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
import socket
import sys

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


def assert_clean(bot, canaries, what):
    for path in store_files(bot) + maildir_files(bot):
        with open(path, "rb") as f:
            data = f.read()
        for c in canaries:
            assert not found(data, c), f"{what}: {c!r} still in {path}"


def change(bot, old, new):
    _, r = bot.send(f"CHANGE {new}", sender=old)
    _, r = reply_to(bot, r[0], sender=old)
    verify = [m for m in r if m["To"] == new][0]
    _, r = reply_to(bot, verify, sender=new)
    assert "has moved" in body(r[0]), body(r[0])


@test
def delete_leaves_no_trace(bot):
    """Signed up at one address, moved to another, exported by a coordinator, then
    DELETE: nothing of them is left in the database, its WAL or the processed mailbox."""
    e2e.signup(bot, sender=OLD, form=FORM)
    change(bot, OLD, NEW)
    _, r = bot.send("EXPORT", sender=COORD, headers={"Authentication-Results": AR_OK})
    assert any(p.get_filename() == "participants.csv" for p in r[0].iter_attachments())
    # the check can see what it looks for: the canaries are there before the erasure
    with open(store_files(bot)[0], "rb") as f:
        data = f.read()
    assert found(data, "zqxabout-canary") and found(data, OLD), "the canaries are not stored"
    assert any(found(open(p, "rb").read(), "zqxnotes-canary") for p in maildir_files(bot))
    _, r = bot.send("DELETE", "Reason: zqxreason-canary", sender=NEW)
    assert len(r) == 1, r
    _, r = bot.send(f"CONFIRM {token_of(r[0])}", sender=NEW)
    assert len(r) == 1 and r[0]["To"] == NEW, r
    assert_clean(bot, CANARIES, "after DELETE")
    assert not any(found(bot.log.encode(), c) for c in CANARIES), "a canary in the log"
    cur = os.listdir(os.path.join(bot.inbox, "cur"))
    assert len(cur) == 1, cur       # the coordinator's EXPORT stays
    _, r = bot.send("SHOW", sender=NEW)
    assert "not registered" in body(r[0]), body(r[0])


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
    e2e.run_suite(TESTS, "erase")
