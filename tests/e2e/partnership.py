#!/usr/bin/env python3
"""When a partnership fails, end to end on the real binary with `ilnbot once --now T`:
a no-response report nudging the partner, a dissolution after nudge_days and a new partner
from the waiting pool in that day's pass; a partner who answers the nudge in time; another
problem reaching the coordinators and resolved by a cc; coordinators' cc's that dissolve
and re-match; DISSOLVE, WITHDRAW and DELETE during a round; forged coordinator cc's with no
effect; copies with the bot only in Cc; re-matching closed at the reminder date; STATUS,
REPORTS and STATS; and the privacy canary over every mail.
Usage: partnership.py [--transport maildir|lab] [BINARY]. Prints "N passed, N failed"."""
import datetime
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from e2e import body, subject, reply_to  # noqa: E402

COORD = "coord@example.org"
AR_OK = ("mx.example.org; dkim=pass header.d=example.org header.i=@example.org; "
         "dmarc=pass header.from=example.org")
# Five people from five countries who all speak English: any two may be partners, and
# one of them waits after APPROVE.
PEOPLE = [
    ("ama@example.org", "Brazil"), ("ben@example.org", "Australia"),
    ("chen@example.org", "China"), ("dora@example.org", "Germany"),
    ("emil@example.org", "France"),
]
e2e.LAB_USERS = tuple(sorted(set(e2e.LAB_USERS) | {p[0] for p in PEOPLE}))
ROUND = "Signup closes: 2026-03-10\nStarts: 2026-03-15\nLength: 4 months\n"
START = datetime.date(2026, 3, 15)
END = datetime.date(2026, 7, 15)
SECRET = "SECRETREASON"


def at(d, hour=9):
    return f"{d.isoformat()}T{hour:02d}:00:00Z"


def day(n):
    return START + datetime.timedelta(days=n)


def coord(bot, subj, text="", now=None, headers=None, auth=True):
    h = dict(headers or {})
    if auth:
        h["Authentication-Results"] = AR_OK
    return bot.send(subj, text, sender=COORD, now=now or at(day(1)), headers=h)


def setup(bot):
    for i, (email, country) in enumerate(PEOPLE):
        form = (f"Name: Person {i}\nCountry: {country}\nSector: academic\n"
                f"Workplace: Library {i}\nYears: {3 + 7 * i}\nInterests: cataloguing\n"
                f"Languages: English\nNotes: private NOTE{i}X\nDigest: no\n")
        _, r = bot.send("SIGNUP", form, sender=email, now="2026-03-01T09:00:00Z")
        reply_to(bot, r[0], sender=email, now="2026-03-01T09:00:00Z")
    coord(bot, "ROUND OPEN 2026A", ROUND, now="2026-03-02T09:00:00Z")
    coord(bot, "MATCH", now="2026-03-11T09:00:00Z")
    _, r = coord(bot, "APPROVE", now="2026-03-12T09:00:00Z")
    assert sum("meet your partner" in subject(m) for m in r) == 2


def db(bot):
    return sqlite3.connect(os.path.join(bot.dir, "var", "ilnbot.db"))


def pairs(bot):
    con = db(bot)
    try:
        return con.execute("select pa.email, pb.email from partnerships x join participants pa "
                           "on pa.id = x.a join participants pb on pb.id = x.b where "
                           "x.status = 'active' order by x.id").fetchall()
    finally:
        con.close()


def waiting(bot):
    con = db(bot)
    try:
        return [r[0] for r in con.execute("select p.email from waiting w join participants p "
                                           "on p.id = w.participant order by p.id")]
    finally:
        con.close()


def token_mail(r):
    return [m for m in r if subject(m).startswith("CONFIRM ")][0]


def got(r, who, text):
    return any(text in subject(m) for m in for_(r, who))


def to(m):
    return sorted(a.strip().lower() for a in str(m["To"]).split(","))


def for_(mails, who):
    return [m for m in mails if e2e.A(who) in to(m)]


def check_canary(mails):
    """Reasons, report texts and notes reach only the coordinators."""
    for m in mails:
        if e2e.A(COORD) in to(m):
            continue
        text = body(m) + subject(m)
        assert SECRET not in text, (to(m), subject(m))
        assert not re.search(r"NOTE\d+X", text), (to(m), subject(m))


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def silent_partner_nudged_then_dissolved_and_rematched(bot):
    setup(bot)
    (x, y), _ = pairs(bot)
    w = waiting(bot)
    assert len(w) == 1, w
    _, r = bot.send("PROBLEM", f"My partner does not respond. {SECRET}", sender=x,
                    now=at(day(20)))
    ack = for_(r, x)
    nudge = for_(r, y)
    coords = for_(r, COORD)
    assert len(ack) == 1 and len(nudge) == 1 and len(coords) == 1, [(to(m), subject(m)) for m in r]
    n = re.search(r"\[#(\d+)\]", subject(ack[0])).group(1)
    assert f"[#{n}]" in subject(nudge[0]) and f"[#{n}]" in subject(coords[0])
    assert SECRET in body(coords[0]) and SECRET not in body(nudge[0])
    assert ack[0]["In-Reply-To"]
    _, s = bot.send("STATUS", sender=x, now=at(day(21)))
    assert f"[#{n}]" in body(s[0]), body(s[0])
    _, s = coord(bot, "REPORTS", now=at(day(21)))
    assert f"[#{n}]" in body(s[0]) and "no response" in body(s[0]), body(s[0])
    # the day before nudge_days: nothing; on the day: dissolved, a new partner at once
    bot.run(now=at(day(26), 0))
    assert bot.replies() == []
    bot.run(now=at(day(27), 0))
    r = bot.replies()
    intro = [m for m in r if "meet your partner" in subject(m)]
    assert len(intro) == 1 and to(intro[0]) == sorted([e2e.A(x), e2e.A(w[0])]), \
        [(to(m), subject(m)) for m in r]
    assert for_([m for m in r if "ended" in subject(m)], y), "the silent partner is told"
    assert for_(r, COORD), "the coordinators are told"
    assert set(waiting(bot)) == {y}
    check_canary(r)
    # the silent partner writes again: back in the pool (nobody to match yet)
    _, r = bot.send("STATUS", sender=y, now=at(day(30)))
    con = db(bot)
    assert con.execute("select silent from waiting").fetchone()[0] == 0
    con.close()


@test
def partner_answers_the_nudge_in_time(bot):
    setup(bot)
    (x, y), _ = pairs(bot)
    _, r = bot.send("REPORT: no response", "I have not heard from my partner.", sender=x,
                    now=at(day(20)))
    nudge = for_(r, y)[0]
    _, r = reply_to(bot, nudge, sender=y, text="Sorry, I was away. Writing now.",
                    now=at(day(22)))
    told = for_(r, x)
    assert told and "has written to us" in body(told[0]), [(to(m), subject(m)) for m in r]
    bot.run(now=at(day(28), 0))
    r = bot.replies()
    assert not [m for m in r if "ended" in subject(m)], [subject(m) for m in r]
    assert (x, y) in pairs(bot)


@test
def silence_said_in_other_languages(bot):
    """A report saying the partner does not respond, in any shipped language, with or
    without capitals and accents, is a no-response report; other trouble is not."""
    setup(bot)
    (x, y), _ = pairs(bot)
    _, r = bot.send("PROBLEM", "Hola: mi pareja NO CONTESTA desde hace semanas.", sender=x,
                    now=at(day(20)))
    assert len(for_(r, y)) == 1, "the partner is nudged"
    _, r = bot.send("PROBLEM", "Bonjour, nous n'avons pas les memes horaires.", sender=y,
                    now=at(day(20)))
    _, r = bot.send("PROBLEM", "Mein Partner hat sich nicht gemeldet, Funkstille.",
                    sender=x, now=at(day(21)))
    con = db(bot)
    kinds = [k for (k,) in con.execute("select kind from reports order by id")]
    con.close()
    assert kinds == ["no_response", "other", "no_response"], kinds


@test
def other_problem_resolved_by_cc(bot):
    setup(bot)
    (x, y), _ = pairs(bot)
    _, r = bot.send("PROBLEM", f"We disagree about the meeting times. {SECRET}", sender=x,
                    now=at(day(20)))
    assert not for_(r, y), "no nudge for another problem"
    rep = for_(r, COORD)[0]
    n = re.search(r"\[#(\d+)\]", subject(rep)).group(1)
    # the coordinator replies to the report with the participants on copy
    _, r = bot.send("Re: " + subject(rep), "Thanks both, I talked to you.\n\nilnbot: resolve\n",
                    sender=COORD, now=at(day(21)),
                    headers={"Authentication-Results": AR_OK, "In-Reply-To": rep["Message-ID"],
                             "Cc": f"{e2e.A(x)}, {e2e.A(y)}"})
    assert len(r) == 1 and to(r[0]) == [e2e.A(COORD)], [(to(m), subject(m)) for m in r]
    assert f"Report [#{n}] resolved." in body(r[0]), body(r[0])
    con = db(bot)
    assert con.execute("select status from reports").fetchone()[0] == "resolved"
    con.close()
    # a plain cc without actions is filed as a note on the participants named
    _, r = bot.send("Checking in", "Just a note for the file.", sender=COORD, now=at(day(22)),
                    headers={"Authentication-Results": AR_OK, "Cc": e2e.A(x)})
    assert len(r) == 1 and "Filed as a note on" in body(r[0]) and e2e.A(x) in body(r[0])
    # SHOW holds everything about them: partner and round, the report and its state;
    # never the coordinators' notes
    _, r = bot.send("SHOW", sender=x, now=at(day(23)))
    b = body(r[0])
    assert "round 2026A: with " + e2e.A(y) + ", active, introduced 2026-03-12" in b, b
    assert f"report {n} of" in b and "(other), resolved" in b and SECRET in b, b
    assert "Just a note for the file" not in b and "talked to you" not in b, b


@test
def coordinator_cc_dissolves_and_rematches(bot):
    setup(bot)
    (x, y), (u, v) = pairs(bot)
    w = waiting(bot)[0]
    _, r = bot.send("About your partnership", "ilnbot: dissolve\n", sender=COORD,
                    now=at(day(20)), headers={"Authentication-Results": AR_OK,
                                              "Cc": e2e.A(x)})
    mine = for_(r, COORD)
    assert "is dissolved" in " ".join(body(m) for m in mine), [body(m) for m in mine]
    intro = [m for m in r if "meet your partner" in subject(m)]
    assert len(intro) == 1, [(to(m), subject(m)) for m in r]   # one of x, y with w
    assert len(pairs(bot)) == 2 and len(waiting(bot)) == 1
    left = waiting(bot)[0]
    con = db(bot)
    con.execute("delete from waiting")
    con.commit()
    con.close()
    _, r = bot.send("Rematch", f"ilnbot: rematch {e2e.A(left)}\n", sender=COORD,
                    now=at(day(21)), headers={"Authentication-Results": AR_OK})
    assert "waits for a new partner" in body(for_(r, COORD)[0]), body(for_(r, COORD)[0])
    assert w != left


@test
def dissolve_withdraw_delete_during_round(bot):
    setup(bot)
    (x, y), (u, v) = pairs(bot)
    w = waiting(bot)[0]
    _, r = bot.send("DISSOLVE", f"It is not working. {SECRET}", sender=x, now=at(day(20)))
    tok = token_mail(r)
    assert (x, y) in pairs(bot), "nothing before the confirmation"
    _, r = reply_to(bot, tok, sender=x, now=at(day(20)))
    assert got(r, y, "has ended"), [(to(m), subject(m)) for m in r]
    assert SECRET in " ".join(body(m) for m in for_(r, COORD))
    check_canary(r)
    assert len([m for m in r if "meet your partner" in subject(m)]) == 1
    # WITHDRAW of u: v is told and offered a new partner
    _, r = bot.send("WITHDRAW", f"Too busy. {SECRET}", sender=u, now=at(day(21)))
    _, r = reply_to(bot, token_mail(r), sender=u, now=at(day(21)))
    assert got(r, v, "has ended"), [(to(m), subject(m)) for m in r]
    check_canary(r)
    assert u not in waiting(bot)
    # DELETE of someone partnered: the partner is told
    (a, b) = pairs(bot)[-1]
    _, r = bot.send("DELETE", sender=a, now=at(day(22)))
    _, r = reply_to(bot, token_mail(r), sender=a, now=at(day(22)))
    assert got(r, b, "has ended"), [(to(m), subject(m)) for m in r]
    _, s = coord(bot, "STATS", now=at(day(23)))
    assert "Waiting for a new partner in the round:" in body(s[0]), body(s[0])


@test
def forged_coordinator_cc_has_no_effect(bot):
    setup(bot)
    (x, y), _ = pairs(bot)
    forged = [None, "mx.evil.example; dkim=pass header.d=example.org",
              "mx.example.org; dkim=pass header.d=evil.example"]
    for ar in forged:
        h = {"Cc": e2e.A(x)}
        if ar:
            h["Authentication-Results"] = ar
        _, r = bot.send("About", "ilnbot: dissolve\n", sender=COORD, now=at(day(20)), headers=h)
        tok = token_mail(r)
        assert to(tok) == [e2e.A(COORD)]
        assert not [m for m in r if "ended" in subject(m)], [subject(m) for m in r]
        assert (x, y) in pairs(bot)


@test
def copies_are_signs_of_life_never_help(bot):
    setup(bot)
    (x, y), _ = pairs(bot)
    _, r = bot.send("PROBLEM", "My partner does not respond.", sender=x, now=at(day(20)))
    # y writes to x, with the bot only in Cc: no reply to it, and the report is answered
    raw = (f"From: {e2e.A(y)}\r\nTo: {e2e.A(x)}\r\nCc: {e2e.BOT}\r\nSubject: Hello partner\r\n"
           f"Message-ID: <cc1@client.example>\r\nDate: Mon, 02 Mar 2026 09:00:00 +0000\r\n"
           f"\r\nHi! Sorry for the silence.\r\n")
    bot.drop(raw.encode(), env_from=e2e.A(y))
    bot.run(now=at(day(21)))
    r = bot.replies()
    assert all(e2e.A(y) not in to(mm) for mm in r), [(to(mm), subject(mm)) for mm in r]
    con = db(bot)
    assert con.execute("select status from reports").fetchone()[0] == "answered"
    con.close()


@test
def no_new_partnerships_after_the_reminder(bot):
    setup(bot)
    (x, y), _ = pairs(bot)
    w = waiting(bot)[0]
    late = END - datetime.timedelta(days=20)
    _, r = bot.send("DISSOLVE", "", sender=x, now=at(late))
    _, r = reply_to(bot, token_mail(r), sender=x, now=at(late))
    assert not [m for m in r if "meet your partner" in subject(m)]
    told = [m for m in r if "next round" in subject(m)]
    assert sorted(t for m in told for t in to(m)) == sorted(e2e.A(a) for a in (x, y)), \
        [(to(m), subject(m)) for m in r]
    bot.run(now=at(late + datetime.timedelta(days=1), 0))
    assert not [m for m in bot.replies() if "next round" in subject(m)], "told once, never daily"


def main():
    e2e.run_suite(TESTS, "partnership")


if __name__ == "__main__":
    main()
