#!/usr/bin/env python3
"""Bounces end to end on the real binary with `ilnbot once --now T` (issue 14): every mail
leaves with a VERP envelope sender (the Maildir's first line, Return-Path); a temporary then
a permanent DSN of an introduction (the coordinators told once, naming the address, the kind
and the partner left waiting, never the mail's text); two digest failures in a row stopping
the digests until the address writes again (STATS and SHOW tell); an ARF abuse complaint
about a digest unsubscribing; forged DSNs (another mail's token, no token, an unknown
token) with no effect beyond what the token proves; and every bounce of the shared corpus
through `once` and `deliver`, never answered.
Usage: bounce.py [--transport maildir|lab] [BINARY]. Prints "N passed, N failed"."""
import glob
import os
import re
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
import timeline as tl  # noqa: E402
from e2e import body, subject  # noqa: E402

TESTS = []
CORPUS = os.environ.get("ILNBOT_CORPUS", os.path.join(e2e.TOP, "..", "shared", "corpus"))


def test(fn):
    TESTS.append(fn)
    return fn


def db(bot):
    return sqlite3.connect(os.path.join(bot.dir, "var", "ilnbot.db"))


def q(bot, sql, *args):
    con = db(bot)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def sent(bot, kind, rcpt=None):
    """(envelope_from, message_id, rcpts) of the mails of kind (to rcpt), oldest first."""
    rows = q(bot, "select envelope_from, message_id, rcpts from outbox where kind = ? "
             "order by id", kind)
    return [r for r in rows if rcpt is None or e2e.A(rcpt) in r[2].split("\n")]


def dsn(verp, rcpt, action, status, msgid="<x@elsewhere.example>", delivered_to=None):
    """A Postfix-like RFC 3464 report, as it arrives at the VERP address."""
    b = "BOUNDARY.42"
    n = os.urandom(6).hex()
    return (f"Return-Path: <>\r\nDelivered-To: {delivered_to or verp}\r\n"
            "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n"
            f"To: {verp}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            "Date: Mon, 16 Mar 2026 09:00:00 +0000\r\n"
            f"Message-ID: <dsn-{n}@mx.example.net>\r\nAuto-Submitted: auto-replied\r\n"
            "MIME-Version: 1.0\r\n"
            f"Content-Type: multipart/report; report-type=delivery-status; boundary=\"{b}\"\r\n"
            f"\r\n--{b}\r\nContent-Type: text/plain\r\n\r\nYour message could not be "
            f"delivered.\r\n\r\n--{b}\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.example.net\r\n\r\n"
            f"Final-Recipient: rfc822; {rcpt}\r\nAction: {action}\r\nStatus: {status}\r\n"
            f"Diagnostic-Code: smtp; {status[0]}50 {status} mailbox unavailable\r\n\r\n"
            f"--{b}\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {msgid}\r\n"
            f"From: {e2e.BOT}\r\nSubject: something\r\n\r\n--{b}--\r\n")


def arf(verp, rcpt):
    """An RFC 5965 abuse report, sent to an abuse address (not the VERP one)."""
    b = "ARF.7"
    return ("From: Feedback Loop <fbl@isp.example.net>\r\nTo: abuse@example.org\r\n"
            f"Subject: Abuse report\r\nMessage-ID: <arf-{os.urandom(6).hex()}@isp.example.net>\r\n"
            "Date: Mon, 30 Mar 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/report; report-type=feedback-report; boundary=\"{b}\"\r\n"
            f"\r\n--{b}\r\nContent-Type: text/plain\r\n\r\nA complaint.\r\n\r\n--{b}\r\n"
            "Content-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n"
            f"User-Agent: FBL/1.0\r\nVersion: 1\r\nOriginal-Mail-From: <{verp}>\r\n"
            f"Original-Rcpt-To: <{rcpt}>\r\n\r\n--{b}\r\nContent-Type: message/rfc822\r\n\r\n"
            f"Return-Path: <{verp}>\r\nFrom: {e2e.BOT}\r\nTo: {rcpt}\r\nSubject: topics\r\n\r\n"
            f"Hello\r\n--{b}--\r\n")


def deliver(bot, raw, now):
    bot.drop(raw, verbatim=True)
    bot.run(now=now)
    return bot.replies()


def failures(bot, email):
    return q(bot, "select permanent, temporary, digest_failures, digest_stopped_at is not null "
             "from bounce_addresses where email = ?", e2e.A(email))


@test
def every_mail_leaves_with_a_verp_return_path(bot):
    _, r = bot.send("HELP")
    env = sent(bot, "help")[0][0]
    assert re.fullmatch(r"iln\+[0-9a-f]{16}@example\.org", env), env
    if e2e.MODE == "maildir":
        first = r[0].raw.split(b"\r\n", 1)[0]
        assert first == f"Return-Path: <{env}>".encode(), first
    assert str(r[0]["Return-Path"]).strip("<> ") == env


@test
def introduction_temporary_then_permanent(bot):
    tl.setup_round(bot, reader=False)
    env, msgid, rcpts = sent(bot, "introduction", "ama@example.org")[0]
    ama, partner = e2e.A("ama@example.org"), [x for x in rcpts.split("\n")
                                              if x != e2e.A("ama@example.org")][0]
    r = deliver(bot, dsn(env, ama, "delayed", "4.4.1", msgid), tl.at(tl.START, 9))
    assert r == [], [subject(m) for m in r]
    assert failures(bot, ama) == [(0, 1, 0, 0)], failures(bot, ama)
    r = deliver(bot, dsn(env, ama, "failed", "5.1.1", msgid), tl.at(tl.START, 10))
    assert len(r) == 1, [subject(m) for m in r]
    m = r[0]
    assert str(m["To"]) == tl.COORD and ama in subject(m), (m["To"], subject(m))
    t = body(m)
    assert "introduction" in t and partner in t and "5.1.1" in t, t
    assert "Library of" not in t and "cataloguing" not in t, t   # never the mail's text
    # the same failure reported again tells nobody twice
    assert deliver(bot, dsn(env, ama, "failed", "5.1.1", msgid), tl.at(tl.START, 11)) == []
    assert failures(bot, ama) == [(1, 1, 0, 0)], failures(bot, ama)
    # the coordinators see it in STATS; ama writes again and the count is cleared
    _, r = tl.coord(bot, "STATS", now=tl.at(tl.START, 12))
    assert "introduction permanent: 1" in body(r[0]), body(r[0])
    _, r = bot.send("SHOW", sender="ama@example.org", now=tl.at(tl.START, 13))
    assert "has bounced" in body(r[0]) and "1 permanent" in body(r[0]), body(r[0])
    assert failures(bot, ama) == []
    _, r = bot.send("SHOW", sender="ama@example.org", now=tl.at(tl.START, 14))
    assert "has bounced" not in body(r[0]), body(r[0])


@test
def two_digest_failures_stop_digests(bot):
    tl.setup_round(bot)
    reader = e2e.A(tl.READER)
    tl.coord(bot, "TOPIC Alpha", "Alpha text.\n", now="2026-03-16T10:00:00Z")
    r = tl.run_day(bot, tl.START + tl.datetime.timedelta(days=14))
    assert reader in [tl.to(m) for m in r if tl.kind(m) == "digest"]
    env, msgid, _ = sent(bot, "digest", tl.READER)[-1]
    assert deliver(bot, dsn(env, reader, "failed", "5.2.1", msgid), "2026-03-29T12:00:00Z") == []
    assert failures(bot, reader) == [(1, 0, 1, 0)], failures(bot, reader)
    tl.coord(bot, "TOPIC Beta", "Beta text.\n", now="2026-03-30T10:00:00Z")
    r = tl.run_day(bot, tl.START + tl.datetime.timedelta(days=28))
    assert reader in [tl.to(m) for m in r if tl.kind(m) == "digest"]     # one is not enough
    env, msgid, _ = sent(bot, "digest", tl.READER)[-1]
    assert deliver(bot, dsn(env, reader, "failed", "5.2.1", msgid), "2026-04-12T12:00:00Z") == []
    assert failures(bot, reader) == [(2, 0, 2, 1)], failures(bot, reader)
    _, r = tl.coord(bot, "STATS", now="2026-04-12T13:00:00Z")
    assert re.search(r"Digests stopped after bounces: " + re.escape(reader), body(r[0])), body(r[0])
    tl.coord(bot, "TOPIC Gamma", "Gamma text.\n", now="2026-04-13T10:00:00Z")
    r = tl.run_day(bot, tl.START + tl.datetime.timedelta(days=42))
    got = [tl.to(m) for m in r if tl.kind(m) == "digest"]
    assert got and reader not in got, got
    # the reader writes again: the count is cleared and digests flow again
    _, r = bot.send("SHOW", sender=tl.READER, now="2026-04-27T09:00:00Z")
    assert "digests to you were stopped" in body(r[0]), body(r[0])
    tl.coord(bot, "TOPIC Delta", "Delta text.\n", now="2026-04-27T10:00:00Z")
    r = tl.run_day(bot, tl.START + tl.datetime.timedelta(days=56))
    assert reader in [tl.to(m) for m in r if tl.kind(m) == "digest"]


@test
def abuse_complaint_about_a_digest_unsubscribes(bot):
    tl.setup_round(bot)
    reader = e2e.A(tl.READER)
    tl.coord(bot, "TOPIC Alpha", "Alpha text.\n", now="2026-03-16T10:00:00Z")
    tl.run_day(bot, tl.START + tl.datetime.timedelta(days=14))
    env, _, _ = sent(bot, "digest", tl.READER)[-1]
    assert q(bot, "select count(*) from subscribers where email = ?", reader) == [(1,)]
    assert deliver(bot, arf(env, reader), "2026-03-30T09:00:00Z") == []
    assert q(bot, "select count(*) from subscribers where email = ?", reader) == [(0,)]
    assert q(bot, "select severity, source from bounces where email = ?", reader) == \
        [("complaint", "abuse")]
    tl.coord(bot, "TOPIC Beta", "Beta text.\n", now="2026-03-30T10:00:00Z")
    r = tl.run_day(bot, tl.START + tl.datetime.timedelta(days=28))
    got = [tl.to(m) for m in r if tl.kind(m) == "digest"]
    assert got and reader not in got, got


@test
def forged_dsns_prove_only_their_token(bot):
    tl.setup_round(bot)
    env, msgid, rcpts = sent(bot, "introduction", "ama@example.org")[0]
    ama = e2e.A("ama@example.org")
    other = e2e.A("chen@example.org") if e2e.A("chen@example.org") not in rcpts else \
        e2e.A("dora@example.org")
    before = bot.rejected()
    # a real token, but a recipient the mail never had: nothing counted, nobody told
    assert deliver(bot, dsn(env, other, "failed", "5.1.1", msgid), tl.at(tl.START, 9)) == []
    assert failures(bot, other) == [] and failures(bot, ama) == []
    # no token (to the bot's own address), naming the introduction's Message-ID: set aside
    base = e2e.BOT
    assert deliver(bot, dsn(base, ama, "failed", "5.1.1", msgid), tl.at(tl.START, 10)) == []
    assert failures(bot, ama) == []
    # a token we never sent: set aside
    fake = "iln+0123456789abcdef@example.org"
    assert deliver(bot, dsn(fake, ama, "failed", "5.1.1", msgid), tl.at(tl.START, 11)) == []
    assert failures(bot, ama) == []
    if e2e.MODE == "maildir":
        assert bot.rejected() == before + 2, (bot.rejected(), before)
    # a digest's token (one recipient) naming someone else counts for its recipient only
    tl.coord(bot, "TOPIC Alpha", "Alpha text.\n", now="2026-03-16T10:00:00Z")
    tl.run_day(bot, tl.START + tl.datetime.timedelta(days=14))
    denv, dmid, _ = sent(bot, "digest", tl.READER)[-1]
    assert deliver(bot, dsn(denv, ama, "failed", "5.1.1", dmid), "2026-03-29T12:00:00Z") == []
    assert failures(bot, ama) == []
    assert failures(bot, tl.READER) == [(1, 0, 1, 0)], failures(bot, tl.READER)


def corpus_bounces():
    pats = ["flanker/bounce/*.eml", "flanker/complaints/*.eml",
            "mikel-mail/multipart_report_emails/*.eml"]
    return sorted(f for p in pats for f in glob.glob(os.path.join(CORPUS, p)))


@test
def corpus_bounces_are_never_answered(bot):
    files = corpus_bounces()
    if not files:
        print(f"bounce: {CORPUS} has no bounce files: skipped")
        return
    for i, f in enumerate(files):
        with open(f, "rb") as fh:
            raw = fh.read()
        r = deliver(bot, raw, f"2026-03-02T10:{i:02d}:00Z")
        assert r == [], (f, [subject(m) for m in r])
        if e2e.MODE == "maildir":
            p = subprocess.run([e2e.BIN, "deliver", "-c", bot.conf, "--now",
                                f"2026-03-03T10:{i:02d}:00Z"], input=raw, capture_output=True,
                               timeout=30)
            assert p.returncode == 0, (f, p.stderr.decode(errors="replace"))
            assert bot.replies() == [], f
    rows = q(bot, "select outcome, detail from inbound")
    keys = set()
    for f in files:     # one inbound row per Message-ID (two corpus files share one)
        with open(f, "rb") as fh:
            raw = fh.read()
        m = re.search(rb"(?im)^Message-ID:\s*(<[^>\r\n]*>)", raw.split(b"\n\n", 1)[0])
        keys.add(m.group(1) if m else raw)
    assert len(rows) == len(keys), (len(rows), len(keys), rows)
    for outcome, detail in rows:
        assert outcome == "rejected", (outcome, detail)     # none is traced: set aside
        assert "bounce" in detail or "complaint" in detail, detail


# ---- the lab: real Postfix (or relay.py) and Dovecot ----------------------------------

def settle(bot):
    """Take the outbox rows so far as looked at, without reading them back (some went
    to addresses the lab does not have)."""
    for row in bot._outbox_since():
        bot.looked.add(row[2])


def lab_pass(bot, now, want_mail=False):
    """One `once` with whatever reached the bot's INBOX (a DSN Postfix wrote)."""
    if want_mail:
        e2e.LAB.wait_count(e2e.BOT, 1, deadline=30)
    bot.pending = 0
    e2e.Bot.run(bot, now=now)


def keep_sent(bot):
    """sent_keep_days = 30, so the coordinators' mail is read back from the outbox (by
    default a sent body is purged once delivered)."""
    with open(bot.conf) as f:
        conf = f.read()
    conf = conf.replace("[outbound]\n", "[outbound]\nsent_keep_days = 30\n", 1)
    with open(bot.conf, "w") as f:
        f.write(conf)


def told(bot, who):
    return [r for r in q(bot, "select rcpts, raw from outbox where kind = 'bounce_coordinators'")
            if who.encode() in bytes(r[1])]


def lab_introduction_to_a_missing_address(bot):
    """An introduction to an address the lab does not have (gone@, known to Postfix and
    not to Dovecot): Postfix takes it, LMTP refuses it, and Postfix writes the DSN
    itself, to iln+token, brought to the bot's mailbox by the recipient delimiter; the
    coordinators are told. (relay.py refuses such an address at RCPT: the refusal at
    sending time tells them, a pass later.)"""
    gone = "gone@example.org"
    keep_sent(bot)
    for i, p in enumerate(tl.PEOPLE):
        _, r = bot.send("SIGNUP", tl.form(i, p), sender=p[0], now="2026-03-01T09:00:00Z")
        e2e.reply_to(bot, r[0], sender=p[0], now="2026-03-01T09:00:00Z")
    tl.coord(bot, "ROUND OPEN 2026A", tl.ROUND, now="2026-03-02T09:00:00Z")
    tl.coord(bot, "MATCH", now="2026-03-11T09:00:00Z")
    con = db(bot)
    con.execute("update participants set email = ? where email = ?", (gone, e2e.A("ama@example.org")))
    con.commit()
    con.close()
    m = e2e.EmailMessage()
    m["From"], m["To"], m["Subject"] = tl.COORD, e2e.BOT, "APPROVE"
    m["Message-ID"] = f"<approve-{os.urandom(4).hex()}@example.org>"
    m["Authentication-Results"] = tl.AR_OK
    m.set_content("")
    bot.drop(bytes(m))
    lab_pass(bot, "2026-03-12T09:00:00Z", want_mail=True)   # the DSN may come back in it
    settle(bot)
    env, _, rcpts = sent(bot, "introduction", gone)[0]
    partner = [x for x in rcpts.split("\n") if x != gone][0]
    postfix = e2e.LAB.smtp_server == "postfix"
    for hour in (10, 11, 12):
        if told(bot, gone):
            break
        lab_pass(bot, f"2026-03-12T{hour}:00:00Z", want_mail=postfix)
    t = told(bot, gone)
    assert len(t) == 1, (t, bot.log[-3000:])
    raw = bytes(t[0][1])
    assert partner.encode() in raw and b"introduction" in raw, raw
    src = q(bot, "select source, severity from bounces where email = ?", gone)
    assert src == [("smtp" if not postfix else "rfc3464", "permanent")] or \
        ("permanent" in [s for _, s in src]), src
    if postfix:
        assert q(bot, "select count(*) from inbound where detail like 'bounce (rfc3464%'") \
            == [(1,)], q(bot, "select outcome, detail from inbound")


def lab_digest_refused_at_rcpt(bot):
    """A digest's RCPT answered 550 (an address the lab does not have): a permanent
    failure of that recipient at sending time; the second in a row stops its digests."""
    gone = "nobody@example.org"       # not a lab user: 550 5.1.1 at RCPT
    tl.setup_round(bot, reader=False)
    con = db(bot)
    con.execute("insert into subscribers(email, created_at) values (?, 0)", (gone,))
    con.commit()
    con.close()
    tl.coord(bot, "TOPIC Alpha", "Alpha text.\n", now="2026-03-16T10:00:00Z")
    lab_pass(bot, tl.at(tl.START + tl.datetime.timedelta(days=14)))
    settle(bot)
    assert failures(bot, gone) == [(1, 0, 1, 0)], (failures(bot, gone), bot.log[-2000:])
    assert q(bot, "select source, status from bounces where email = ?", gone) == \
        [("smtp", "550")], q(bot, "select * from bounces")
    tl.coord(bot, "TOPIC Beta", "Beta text.\n", now="2026-03-30T10:00:00Z")
    lab_pass(bot, tl.at(tl.START + tl.datetime.timedelta(days=28)))
    settle(bot)
    assert failures(bot, gone) == [(2, 0, 2, 1)], failures(bot, gone)
    tl.coord(bot, "TOPIC Gamma", "Gamma text.\n", now="2026-04-13T10:00:00Z")
    lab_pass(bot, tl.at(tl.START + tl.datetime.timedelta(days=42)))
    got = q(bot, "select rcpts from outbox where kind = 'digest' and key like 'digest:%' "
            "order by id")
    assert sum(1 for (r,) in got if r == gone) == 2, got


LAB_TESTS = [lab_introduction_to_a_missing_address, lab_digest_refused_at_rcpt]


def main():
    e2e.run_suite(TESTS, "bounce", lab_tests=LAB_TESTS)


if __name__ == "__main__":
    main()
