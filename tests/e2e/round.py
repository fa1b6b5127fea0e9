#!/usr/bin/env python3
"""A whole round end to end on the real binary: signups, ROUND OPEN, MATCH (mail and
`ilnbot match --dry-run`), APPROVE, introductions and options read from the outgoing
mail; coordinator authentication (Authentication-Results, or a token round trip, and
forgeries); STATS and EXPORT; and a canary: a unique marker in every private field of
every applicant must reach no mail but the owner's and the coordinators'.
Usage: round.py [--transport maildir|lab] [BINARY]: on the lab, every mail goes through
Postfix and Dovecot and is read back from the participants' mailboxes. Prints "N passed, N failed" last."""
import csv
import io
import os
import re
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402  (the conversation suite's helpers: Bot, reply_to, body, ...)
from e2e import body, subject, reply_to, token_of  # noqa: E402

# On the lab, the people are real mailboxes there and replies are read from them.
e2e.LAB_USERS = tuple(sorted(set(e2e.LAB_USERS) | {
    u + "@example.org" for u in ("ama", "ben", "chen", "dora", "emil", "fay", "gus")}))

COORD = "coord@example.org"
AR_OK = "mx.example.org; dkim=pass header.d=example.org header.i=@example.org; dmarc=pass header.from=example.org"
NOW = e2e.NOW

PEOPLE = [
    # email, country, sector, years, languages, extra
    ("ama@example.org", "Brazil", "academic", 3, "Portuguese, English", ""),
    ("ben@example.org", "Australia", "academic", 20, "English", ""),
    ("chen@example.org", "China", "public", 8, "Chinese, English", "Partner sector: public\n"),
    ("dora@example.org", "Germany", "public", 2, "German, English", ""),
    ("emil@example.org", "France", "school", 12, "French", ""),
    ("fay@example.org", "Canada", "school", 30, "French, English", ""),
    ("gus@example.org", "Peru", "special", 6, "Quechua", ""),
]


def form(i, person, marker=True):
    email, country, sector, years, langs, extra = person
    m = f"CANARY{i:03d}" if marker else ""
    return (f"Name: Person {m}N\nCountry: {country}\nSector: {sector}\n"
            f"Workplace: Library of {country}\nYears: {years}\n"
            f"Interests: cataloguing, outreach\nLanguages: {langs}\n"
            f"About: I work in {country}.\n{extra}Notes: private {m}X\nDigest: no\n")


def enrol(bot, people):
    for i, p in enumerate(people):
        _, r = bot.send("SIGNUP", form(i, p), sender=p[0])
        assert len(r) == 1, (p[0], [body(x) for x in r])
        _, r2 = reply_to(bot, r[0], sender=p[0])
        assert "Welcome" in body(r2[0]), body(r2[0])


def coord(bot, subj, text="", auth=True, now=NOW, headers=None):
    h = dict(headers or {})
    if auth and "Authentication-Results" not in h:
        h["Authentication-Results"] = AR_OK
    return bot.send(subj, text, sender=COORD, now=now, headers=h)


ROUND = "Signup closes: 2026-03-10\nStarts: 2026-03-15\nLength: 4 months\n"

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def whole_round(bot):
    enrol(bot, PEOPLE)
    _, r = coord(bot, "ROUND OPEN 2026A", ROUND)
    mine = [m for m in r if m["To"] == COORD]
    ann = [m for m in r if m["To"] != COORD]
    assert len(mine) == 1 and "Round 2026A is open" in body(mine[0]), [body(m) for m in mine]
    assert "2026-07-15" in body(mine[0])
    assert len(ann) == len(PEOPLE), len(ann)
    assert all(m["List-Unsubscribe"] and m["Auto-Submitted"] == "auto-generated" for m in ann)
    _, r = coord(bot, "MATCH", now="2026-03-11T09:00:00Z")
    assert len(r) == 1 and r[0]["To"] == COORD
    rep = body(r[0]).replace("\r\n", "\n")
    last = [l for l in rep.splitlines() if l.startswith("pairs:")][-1]
    assert last == "pairs: 3 unmatched: 1", last
    assert "proposal 1" in subject(r[0]) and "Proposal 1 for round 2026A" in rep, rep
    unmatched = rep.split("\nUnmatched (1), by reason\n")[1]
    assert "gus@example.org" in unmatched and "1 speaks only Quechua" in unmatched, rep
    assert "Peru 1" in unmatched, unmatched
    assert max(len(l) for l in rep.splitlines()) <= 78, rep
    # the whole proposal is attached as CSV; the command line gives the same rows
    att = [a for a in r[0].iter_attachments()]
    assert len(att) == 1 and att[0].get_filename() == "proposal-1.csv", att
    rows = list(csv.DictReader(io.StringIO(att[0].get_content().lstrip("\ufeff"))))
    p = subprocess.run([e2e.BIN, "match", "--dry-run", "-c", bot.conf, "--now",
                        "2026-03-11T09:00:00Z"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.rstrip().splitlines()[-1] == "pairs: 3 unmatched: 1", p.stdout
    p = subprocess.run([e2e.BIN, "match", "--dry-run", "--csv", "-c", bot.conf, "--now",
                        "2026-03-11T09:00:00Z"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert list(csv.DictReader(io.StringIO(p.stdout.lstrip("\ufeff")))) == rows, p.stdout
    pairs = [x for x in rows if x["kind"] == "pair"]
    assert len(pairs) == 3 and [x["kind"] for x in rows].count("unmatched") == 1, rows
    for x in pairs:
        assert x["a_country"] != x["b_country"], x
        assert x["a_name"].startswith("Person") and x["shared_languages"], x
    _, r = coord(bot, "APPROVE", now="2026-03-12T09:00:00Z")
    done = [m for m in r if m["To"] == COORD]
    intros = [m for m in r if "meet your partner" in subject(m)]
    lone = [m for m in r if "no partner" in subject(m)]
    assert len(done) == 1 and "3 introductions" in body(done[0]), [subject(m) for m in r]
    assert len(intros) == 3 and len(lone) == 1
    for m in intros:
        to = [a.strip() for a in m["To"].split(",")]
        rt = [a.strip() for a in m["Reply-To"].split(",")]
        assert len(to) == 2 and sorted(to) == sorted(rt), (to, rt)
        b = body(m)
        assert "Workplace: Library of" in b and "Interests:" in b
        assert "Partner" not in b.replace("partner", ""), b
    assert lone[0]["To"] == "gus@example.org"
    assert "UPDATE" in body(lone[0]) and "WITHDRAW" in body(lone[0])
    # APPROVE twice does not introduce anyone twice
    _, r = coord(bot, "APPROVE", now="2026-03-12T10:00:00Z")
    assert not [m for m in r if "meet your partner" in subject(m)]
    # everyone's mail, checked for markers of someone else
    check_canary(bot)


def check_canary(bot):
    # every mail as delivered (the store keeps no body once a mail has left)
    bot.replies()
    if hasattr(bot, "copies"):
        raws = [r for v in bot.copies.values() for r in v]
    else:
        d = os.path.join(bot.outbox, "new")
        raws = []
        for name in os.listdir(d):
            with open(os.path.join(d, name), "rb") as f:
                raws.append(f.read())
    assert raws
    for raw in raws:
        m = e2e.email.message_from_bytes(raw, policy=e2e.email.policy.default)
        rcpts = {a.strip().lower() for h in ("To", "Cc") for a in (m.get(h) or "").split(",") if a.strip()}
        if COORD in rcpts:
            continue
        owners = {f"CANARY{i:03d}" for i, p in enumerate(PEOPLE) if p[0] in rcpts}
        text = body(m) + " " + subject(m)
        for mk in re.findall(r"CANARY\d{3}", text):
            assert mk in owners and len(rcpts) == 1, (mk, rcpts, subject(m))


@test
def coordinator_needs_auth_or_token(bot):
    enrol(bot, PEOPLE[:2])
    forged = [
        None,  # no header at all
        "mx.evil.example; dkim=pass header.d=example.org; dmarc=pass header.from=example.org",
        "mx.example.org; dkim=pass header.d=evil.example",
        "mx.example.org; dmarc=pass header.from=evil.example",
        "mx.example.org; dkim=fail header.d=example.org",
    ]
    for ar in forged:
        h = {"Authentication-Results": ar} if ar else {}
        _, r = bot.send("ROUND OPEN 2026B", ROUND, sender=COORD, headers=h)
        assert len(r) == 1 and token_of(r[0]), (ar, body(r[0]))
    # a forged pass below our server's fail does not count
    m, r = bot.send("STATS", sender=COORD, headers={
        "Authentication-Results": "mx.example.org; dkim=fail header.d=example.org"})
    assert token_of(r[0])
    # the genuine one is accepted, and a confirmed token carries the command out
    _, r = reply_to(bot, r[0], sender=COORD)
    assert "Waiting to be matched: 2" in body(r[0]), body(r[0])
    _, r = bot.send("MATCH", sender="ana@example.org", headers={"Authentication-Results": AR_OK})
    assert "coordinators' command" in body(r[0])


@test
def stats_and_export(bot):
    enrol(bot, PEOPLE[:3])
    _, r = coord(bot, "STATS")
    b = body(r[0])
    assert "Waiting to be matched: 3" in b and "academic <5" in b, b
    _, r = coord(bot, "EXPORT")
    att = [p for p in r[0].iter_attachments()]
    assert len(att) == 1 and att[0].get_filename() == "participants.csv"
    text = att[0].get_content()
    assert text.startswith("\ufeff"), text[:10]
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][0] == "email" and len(rows) == 4, rows
    p = subprocess.run([e2e.BIN, "export", "-c", bot.conf], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.count("\n") == 4, p.stdout


@test
def match_without_round(bot):
    enrol(bot, PEOPLE[:2])
    _, r = coord(bot, "MATCH")
    assert "no round" in body(r[0])
    _, r = coord(bot, "ROUND OPEN", "Starts: tomorrow\n")
    b = body(r[0])
    assert "round name" in b and "Signup closes" in b and "Starts" in b, b


@test
def previous_partners_never_again(bot):
    enrol(bot, PEOPLE[:2])
    coord(bot, "ROUND OPEN 2026A", ROUND)
    coord(bot, "MATCH", now="2026-03-11T09:00:00Z")
    coord(bot, "APPROVE", now="2026-03-11T10:00:00Z")
    db = os.path.join(bot.dir, "var", "ilnbot.db")
    subprocess.run(["sqlite3", db, "update partnerships set status='ended'; "
                    "update rounds set status='closed';"], check=True)
    coord(bot, "ROUND OPEN 2026B", ROUND.replace("03-1", "08-1"), now="2026-08-01T09:00:00Z")
    _, r = coord(bot, "MATCH", now="2026-08-11T09:00:00Z")
    rep = body(r[0]).replace("\r\n", "\n")
    assert "pairs: 0 unmatched: 2" in rep and "partner before" in rep, rep


def main():
    e2e.run_suite(TESTS, "round")


if __name__ == "__main__":
    main()
