#!/usr/bin/env python3
"""The round's calendar end to end on the real binary: a four-month round walked day by
day with `ilnbot once --now T`: every digest, check-in, reminder and close at its date,
exactly once, also with passes repeated and the clock stepped back; a pause of weeks and a
jump of a year; TOPIC, TOPICS and TOPIC CANCEL; CONTINUE / CONCLUDE; replies to a
check-in, a digest and a reminder read by the mail they answer; the List-Unsubscribe
mailto; the daemon sending a due digest with no mail coming in; kill -9 during a digest
to 2,000 subscribers; and the privacy canary over every scheduled mail.
Usage: timeline.py [--transport maildir|lab] [BINARY]. Prints "N passed, N failed" last."""
import datetime
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from e2e import body, subject, reply_to  # noqa: E402

COORD = "coord@example.org"
AR_OK = ("mx.example.org; dkim=pass header.d=example.org header.i=@example.org; "
         "dmarc=pass header.from=example.org")

# Four people in two pairs (the matching pairs different countries sharing a language).
PEOPLE = [
    ("ama@example.org", "Brazil", "academic", 3, "Portuguese, English", "yes"),
    ("ben@example.org", "Australia", "academic", 20, "English", "yes"),
    ("chen@example.org", "China", "public", 8, "Chinese, English", "yes"),
    ("dora@example.org", "Germany", "public", 2, "German, English", "no"),
]
READER = "reader@example.com"
ROUND = "Signup closes: 2026-03-10\nStarts: 2026-03-15\nLength: 4 months\n"
START = datetime.date(2026, 3, 15)
END = datetime.date(2026, 7, 15)

e2e.LAB_USERS = tuple(sorted(set(e2e.LAB_USERS) | {
    u + "@example.org" for u in ("ama", "ben", "chen", "dora")}))


def at(d, hour=0, minute=30):
    return f"{d.isoformat()}T{hour:02d}:{minute:02d}:00Z"


def form(i, p):
    email, country, sector, years, langs, digest = p
    return (f"Name: Person CANARY{i:03d}N\nCountry: {country}\nSector: {sector}\n"
            f"Workplace: Library of {country}\nYears: {years}\nInterests: cataloguing\n"
            f"Languages: {langs}\nNotes: private CANARY{i:03d}X\nDigest: {digest}\n")


def coord(bot, subj, text="", now=e2e.NOW):
    return bot.send(subj, text, sender=COORD, now=now,
                    headers={"Authentication-Results": AR_OK})


def setup_round(bot, reader=True):
    """Enrol everyone, open, match and approve the round; a subscriber besides."""
    for i, p in enumerate(PEOPLE):
        _, r = bot.send("SIGNUP", form(i, p), sender=p[0], now="2026-03-01T09:00:00Z")
        _, r2 = reply_to(bot, r[0], sender=p[0], now="2026-03-01T09:00:00Z")
        assert "Welcome" in body(r2[0]), body(r2[0])
    if reader:
        _, r = bot.send("SUBSCRIBE", sender=READER, now="2026-03-01T09:00:00Z")
        reply_to(bot, r[0], sender=READER, now="2026-03-01T09:00:00Z")
    coord(bot, "ROUND OPEN 2026A", ROUND, now="2026-03-02T09:00:00Z")
    coord(bot, "MATCH", now="2026-03-11T09:00:00Z")
    _, r = coord(bot, "APPROVE", now="2026-03-12T09:00:00Z")
    assert sum("meet your partner" in subject(m) for m in r) == 2, [subject(m) for m in r]


def kind(m):
    s = subject(m)
    for k, pat in (("digest", "discussion topics:"), ("checkin", "how is your partnership"),
                   ("reminder", "your partnership ends"), ("close", "has ended")):
        if pat in s:
            return k
    return "other"


def to(m):
    return str(m["To"]).strip().lower()


def run_day(bot, d, hour=0):
    bot.run(now=at(d, hour))
    return bot.replies()


def partners_of(bot):
    con = sqlite3.connect(os.path.join(bot.dir, "var", "ilnbot.db"))
    try:
        return con.execute("select pa.email, pb.email from partnerships x join participants pa "
                           "on pa.id = x.a join participants pb on pb.id = x.b "
                           "where x.status in ('active','ended')").fetchall()
    finally:
        con.close()


def check_canary(mails):
    """Scheduled mail never carries someone's private fields (notes, preferences)."""
    for m in mails:
        text = body(m) + subject(m)
        assert not re.search(r"CANARY\d{3}X", text), (subject(m), to(m))


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def whole_calendar_day_by_day(bot):
    setup_round(bot)
    got = []
    topics = {datetime.date(2026, 3, 20): "Cataloguing rare books",
              datetime.date(2026, 4, 5): "Open access",
              datetime.date(2026, 4, 20): "Research data"}
    days = [datetime.date(2026, 3, 13) + datetime.timedelta(days=i) for i in range(145)]
    if e2e.MODE == "lab":
        # every pass costs a round trip through the servers: the days that matter only
        dd = datetime.timedelta
        keep = set(topics) | {datetime.date(2026, 6, 20), END, END + dd(days=1), END + dd(days=20)}
        keep |= {START + dd(days=k) for k in (13, 14, 15, 28, 30, 42, 56, 60, 90, 120)}
        keep |= {END - dd(days=30)}
        days = [d for d in days if d in keep]
    for d in days:
        got += [(d, m) for m in run_day(bot, d)]
        if d in topics:
            _, r = coord(bot, f"TOPIC {topics[d]}", f"Some text about {topics[d]}.\n"
                         "See https://example.org/a?b=1&c=<2> for more.\n", now=at(d, 10))
            assert "queued for the next digest" in body(r[0]), body(r[0])
        # a pass repeated the same day, and the clock stepped back a week: nothing new
        assert run_day(bot, d, 12) == []
        if d > START + datetime.timedelta(days=7):
            assert run_day(bot, d - datetime.timedelta(days=7), 5) == []
        if d == datetime.date(2026, 6, 20):
            _, r = bot.send("CONTINUE", sender="ama@example.org", now=at(d, 11))
            assert "goes on" in body(r[0]), body(r[0])
            _, r = bot.send("STATUS", sender="ama@example.org", now=at(d, 11))
            assert "CONTINUE" in body(r[0]), body(r[0])
    sched = [(d, m) for d, m in got if kind(m) != "other"]
    by = {}
    for d, m in sched:
        by.setdefault(kind(m), []).append((d, to(m)))
    # digests: only on start + 14k with topics queued before them, each address once
    ddays = sorted({d for d, _ in by["digest"]})
    assert ddays == [d for d in [datetime.date(2026, 3, 29), datetime.date(2026, 4, 12),
                     datetime.date(2026, 4, 26)] if d in days], ddays
    for day in ddays:
        rcpts = sorted(t for d, t in by["digest"] if d == day)
        want = sorted(e2e.A(a) for a in ("ama@example.org", "ben@example.org",
                                          "chen@example.org", READER))
        assert rcpts == want, (day, rcpts)
    # check-ins on start + 30k before the end, to each of the four partners
    cdays = sorted({d for d, _ in by["checkin"]})
    assert cdays == [START + datetime.timedelta(days=30 * k) for k in (1, 2, 3, 4)], cdays
    assert all(len([1 for d, _ in by["checkin"] if d == day]) == 4 for day in cdays)
    # one reminder a month before the end, the close on the end date, nothing after it
    assert sorted({d for d, _ in by["reminder"]}) == [END - datetime.timedelta(days=30)]
    assert len(by["reminder"]) == 4
    assert sorted({d for d, _ in by["close"]}) == [END] and len(by["close"]) == 4
    assert not [m for d, m in got if d > END], [subject(m) for d, m in got if d > END]
    # on the end date each partner gets only the closing mail
    assert all(kind(m) == "close" for d, m in got if d == END)
    # the mail itself
    digest = [m for d, m in sched if kind(m) == "digest"][0]
    assert digest.get_content_type() == "multipart/alternative"
    html = digest.get_body(("html",)).get_content()
    assert '<a href="https://example.org/a?b=1&amp;c=' in html and "&lt;2&gt;" in html, html
    assert "Cataloguing rare books" in body(digest)
    assert digest["List-Unsubscribe"] == "<mailto:iln@example.org?subject=UNSUBSCRIBE>"
    assert digest["List-Id"] and digest["List-Help"]
    assert digest["Precedence"] == "bulk" and digest["Auto-Submitted"] == "auto-generated"
    rem = [m for d, m in sched if kind(m) == "reminder"][0]
    assert "mailto:iln@example.org?subject=CONTINUE" in body(rem)
    assert rem["List-Unsubscribe"]
    closes = {to(m): body(m) for d, m in sched if kind(m) == "close"}
    ama_pair = [p for p in partners_of(bot) if "ama@example.org" in p][0]
    for a in ama_pair:
        assert "continue" in closes[e2e.A(a)], closes[e2e.A(a)]
    con = sqlite3.connect(os.path.join(bot.dir, "var", "ilnbot.db"))
    rows = con.execute("select end_outcome from partnerships where status='ended' "
                       "order by end_outcome").fetchall()
    assert [r[0] for r in rows] == ["concluded", "continuing"], rows
    assert con.execute("select status from rounds").fetchone()[0] == "closed"
    con.close()
    check_canary([m for _, m in sched])


@test
def pause_and_jump(bot):
    """Weeks without a pass: one mail of each kind that fell due, the digest carrying
    every topic still queued; a jump of a year: the close only."""
    setup_round(bot, reader=False)
    coord(bot, "TOPIC First", "One.\n", now="2026-03-16T10:00:00Z")
    coord(bot, "TOPIC Second", "Two.\n", now="2026-03-17T10:00:00Z")
    r = run_day(bot, START + datetime.timedelta(days=75))
    ks = sorted(kind(m) for m in r)
    assert ks == ["checkin"] * 4 + ["digest"] * 3, ks
    dg = [m for m in r if kind(m) == "digest"][0]
    assert "First" in body(dg) and "Second" in body(dg), body(dg)
    assert run_day(bot, START + datetime.timedelta(days=76)) == []
    r = run_day(bot, END + datetime.timedelta(days=365))
    assert sorted(kind(m) for m in r) == ["close"] * 4, [subject(m) for m in r]
    assert run_day(bot, END + datetime.timedelta(days=400)) == []


@test
def topics_and_cancel(bot):
    setup_round(bot, reader=False)
    _, r = coord(bot, "TOPIC Alpha", "Alpha text.\n", now="2026-03-16T10:00:00Z")
    n = re.search(r"\[(\d+)\] Alpha", body(r[0])).group(1)
    _, r = coord(bot, "TOPIC Beta", "Beta text.\n", now="2026-03-16T11:00:00Z")
    assert "Alpha" in body(r[0]) and "Beta" in body(r[0])
    _, r = coord(bot, f"TOPIC CANCEL {n}", now="2026-03-16T12:00:00Z")
    assert "taken back" in body(r[0]) and "Alpha" not in body(r[0]), body(r[0])
    _, r = coord(bot, "TOPIC CANCEL 999", now="2026-03-16T12:00:00Z")
    assert "no queued topic" in body(r[0])
    _, r = coord(bot, "TOPIC", "text\n", now="2026-03-16T12:00:00Z")
    assert "needs the topic's title" in body(r[0])
    _, r = bot.send("TOPIC Sneaky", "x\n", sender="ama@example.org", now="2026-03-16T12:00:00Z")
    assert "coordinators' command" in body(r[0])
    _, r = bot.send("TOPICS", sender="ama@example.org", now="2026-03-16T12:00:00Z")
    assert "No topic has been sent yet" in body(r[0]) and "Beta" not in body(r[0])
    r = run_day(bot, START + datetime.timedelta(days=14))
    dg = [m for m in r if kind(m) == "digest"]
    assert len(dg) == 3 and all("Beta" in body(m) and "Alpha" not in body(m) for m in dg)
    _, r = bot.send("TOPICS", sender="dora@example.org", now=at(START + datetime.timedelta(days=15)))
    assert "Beta" in body(r[0]) and "Queued" not in body(r[0]), body(r[0])
    _, r = coord(bot, "TOPICS", now=at(START + datetime.timedelta(days=15)))
    assert "Beta" in body(r[0]) and "Queued for the next digest" in body(r[0]), body(r[0])


@test
def replies_carry_context(bot):
    setup_round(bot, reader=False)
    coord(bot, "TOPIC Alpha", "Alpha text.\n", now="2026-03-16T10:00:00Z")
    day14 = START + datetime.timedelta(days=14)
    r = run_day(bot, day14)
    dg = [m for m in r if to(m) == e2e.A("ama@example.org")][0]
    _, rr = reply_to(bot, dg, sender="ama@example.org", text="Great topic, thanks!",
                     now=at(day14, 9))
    assert len(rr) == 1 and "robot" in body(rr[0]) and "SIGNUP" not in body(rr[0]), body(rr[0])
    r = run_day(bot, START + datetime.timedelta(days=30))
    ci = [m for m in r if kind(m) == "checkin" and to(m) == e2e.A("ben@example.org")][0]
    _, rr = reply_to(bot, ci, sender="ben@example.org", text="All good, we talk weekly.",
                     now=at(START + datetime.timedelta(days=30), 9))
    assert len(rr) == 1 and "Thank you for letting us know" in body(rr[0]), body(rr[0])
    assert rr[0]["In-Reply-To"]
    _, s = coord(bot, "STATS", now=at(START + datetime.timedelta(days=31)))
    assert "Check-in answers: 1" in body(s[0]), body(s[0])
    r = run_day(bot, END - datetime.timedelta(days=30))
    rm = [m for m in r if kind(m) == "reminder" and to(m) == e2e.A("chen@example.org")][0]
    _, rr = reply_to(bot, rm, sender="chen@example.org", text="CONCLUDE please",
                     now=at(END - datetime.timedelta(days=30), 9))
    assert "concludes" in body(rr[0]), body(rr[0])
    _, rr = bot.send("CONTINUE", sender="chen@example.org",
                     now=at(END - datetime.timedelta(days=29)))
    assert "goes on" in body(rr[0])
    _, rr = bot.send("STATUS", sender="chen@example.org", now=at(END - datetime.timedelta(days=29)))
    assert "CONTINUE" in body(rr[0])


@test
def unsubscribe_by_list_mailto(bot):
    """The List-Unsubscribe mailto as a mail client sends it stops the digests at once;
    a participant stays in the round."""
    setup_round(bot)
    coord(bot, "TOPIC Alpha", "Alpha text.\n", now="2026-03-16T10:00:00Z")
    coord(bot, "TOPIC Beta", "Beta text.\n", now="2026-03-30T10:00:00Z")
    run_day(bot, START + datetime.timedelta(days=14))
    for who in (READER, "ama@example.org"):
        _, r = bot.send("UNSUBSCRIBE", "This message was sent to unsubscribe.\n", sender=who,
                        now=at(START + datetime.timedelta(days=15)))
        assert len(r) == 1 and "no more discussion topics" in body(r[0]), body(r[0])
    r = run_day(bot, START + datetime.timedelta(days=28))
    got = sorted(to(m) for m in r if kind(m) == "digest")
    assert got == sorted(e2e.A(a) for a in ("ben@example.org", "chen@example.org")), got
    _, r = bot.send("STATUS", sender="ama@example.org", now=at(START + datetime.timedelta(days=29)))
    assert "Partner:" in body(r[0])


@test
def withdrawn_get_nothing(bot):
    setup_round(bot, reader=False)
    _, r = bot.send("WITHDRAW", sender="ben@example.org", now="2026-03-20T09:00:00Z")
    reply_to(bot, r[0], sender="ben@example.org", now="2026-03-20T09:00:00Z")
    coord(bot, "TOPIC Alpha", "Alpha text.\n", now="2026-03-21T10:00:00Z")
    r = run_day(bot, START + datetime.timedelta(days=30))
    assert e2e.A("ben@example.org") not in [to(m) for m in r], [(to(m), subject(m)) for m in r]


def daemon_sends_due_digest(bot):
    """`ilnbot run` sends a digest that falls due with no mail coming in."""
    setup_round(bot, reader=False)
    coord(bot, "TOPIC Alpha", "Alpha text.\n", now="2026-03-16T10:00:00Z")
    bot.replies()
    p = subprocess.Popen([e2e.BIN, "run", "-c", bot.conf, "--now",
                          at(START + datetime.timedelta(days=14))],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        got = []
        while time.monotonic() < deadline and len(got) < 3:
            time.sleep(0.2)
            got += [m for m in bot.replies() if kind(m) == "digest"]
        assert len(got) == 3, len(got)
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
    assert p.returncode == 0, p.stderr.read().decode()


def kill9_during_fanout(bot):
    """kill -9 again and again during a digest to 2,000 subscribers, then a clean pass:
    every subscriber has exactly one copy."""
    setup_round(bot, reader=False)
    con = sqlite3.connect(os.path.join(bot.dir, "var", "ilnbot.db"))
    con.executemany("insert into subscribers(email, created_at) values (?, 0)",
                    [(f"s{i:04d}@example.net",) for i in range(2000)])
    con.commit()
    con.close()
    coord(bot, "TOPIC Alpha", "Alpha text.\n", now="2026-03-16T10:00:00Z")
    bot.replies()
    cmd = [e2e.BIN, "once", "-c", bot.conf, "--now", at(START + datetime.timedelta(days=14))]
    kills = 0
    for delay in (0.05, 0.15, 0.3, 0.5, 0.8, 1.2):
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if p.poll() is None:
            p.kill()
            kills += 1
        p.wait()
    subprocess.run(cmd, check=True, capture_output=True)
    counts = {}
    for m in bot.replies():
        if kind(m) == "digest":
            counts[to(m)] = counts.get(to(m), 0) + 1
    assert len(counts) == 2003, len(counts)
    assert set(counts.values()) == {1}, [a for a, n in counts.items() if n != 1][:5]
    print(f"     ({kills} kills)")


MAILDIR_TESTS = [daemon_sends_due_digest, kill9_during_fanout]


def main():
    tests = TESTS + (MAILDIR_TESTS if e2e.MODE == "maildir" else [])
    e2e.run_suite(tests, "timeline")


if __name__ == "__main__":
    main()
