#!/usr/bin/env python3
"""Coordinators at scale, on the real binary (Maildir): a generated pool of 700 from 30
countries through MATCH; the numbered preview (totals first, lines of at most 78
characters, the unmatched grouped by reason with the change that would help) and its CSV
attachment, whose rows equal `ilnbot match --dry-run --csv`; adjustments by reply (a lock,
an unpair, a forbidden pair refused naming the rule, an exclusion) and the new proposal
naming who changed what; a stale APPROVE refused naming the latest proposal, the current
one carried out by a second coordinator and named in the first one's copy; STATS before
and after; HELP for coordinators; and the privacy canary: a marker in every private field
reaches no mail but the coordinators'.
Usage: coords.py [BINARY]. Prints "N passed, N failed" last."""
import csv
import io
import os
import random
import re
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from e2e import body, subject  # noqa: E402

COORD = "coord@example.org"
COORD2 = "coord2@example.org"
AR_OK = ("mx.example.org; dkim=pass header.d=example.org header.i=@example.org; "
         "dmarc=pass header.from=example.org")
ROUND = "Signup closes: 2026-03-10\nStarts: 2026-03-15\nLength: 4 months\n"
T_OPEN = "2026-03-02T10:00:00Z"
T_MATCH = "2026-03-11T09:00:00Z"

COUNTRIES = ("BR", "AU", "DE", "JP", "KE", "MX", "IN", "NZ", "CA", "ES", "PL", "IT", "NL",
             "SE", "NO", "FI", "DK", "IE", "GB", "US", "AR", "CL", "CO", "PE", "ZA", "NG",
             "EG", "TR", "GR")          # 29, and France: 30
SECTORS = ("public", "academic", "school", "special", "national", "government")
LANGS = ("eng", "spa", "deu", "por", "ita", "pol", "nld", "swe", "jpn")
N = 700
N_FRENCH_ONLY = 36
N_FRENCH_BOTH = 11

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def people():
    """The generated pool: (email, name, country, sector, years, languages, partner
    sector, partner stage, marker)."""
    rnd = random.Random(17)
    out = []
    for i in range(N):
        if i < N_FRENCH_ONLY:
            c, langs = "FR", "fra"
        elif i < N_FRENCH_ONLY + N_FRENCH_BOTH:
            c, langs = "FR", "fra,eng"
        else:
            c = COUNTRIES[i % len(COUNTRIES)]
            langs = ",".join(["eng"] + rnd.sample(LANGS[1:], rnd.randint(0, 2)))
        sector = SECTORS[rnd.randrange(len(SECTORS))] if i % 7 else "national"
        psec = "same"
        if i % 11 == 0:
            psec = "public"
        if i % 97 == 5:
            psec = "government"
        pstage = ("different", "any", "early", "late,mid")[i % 4]
        out.append((f"p{i:03d}@lib{i % 13}.example.net", f"Person {i:03d} Ñame",
                    c, sector, rnd.randrange(0, 35), langs, psec, pstage, f"CANARY{i:03d}"))
    return out


class CoordBot(e2e.Bot):
    """A bot with two coordinators and the generated pool in its store."""

    def __init__(self, extra=""):
        super().__init__(extra)
        with open(self.conf) as f:
            conf = f.read()
        with open(self.conf, "w") as f:
            f.write(conf.replace("coordinators = coord@example.org",
                                 f"coordinators = {COORD}, {COORD2}"))
        self.run(now=T_OPEN)          # the store and its schema
        con = sqlite3.connect(os.path.join(self.dir, "var", "ilnbot.db"))
        con.executemany(
            "INSERT INTO participants(email, name, country, sector, workplace, years, "
            "interests, languages, about, partner_sector, partner_stage, notes, digest, "
            "agreed_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0,0,0,0)",
            ((e, n, c, s, "Library", y, ("cataloguing, outreach", "open access",
                                         "research data, outreach")[i % 3], lg,
              f"About {i}", ps, pt, f"private {m}")
             for i, (e, n, c, s, y, lg, ps, pt, m) in enumerate(people())))
        con.commit()
        con.close()


def coord(bot, subj, text="", now=T_MATCH, sender=COORD, headers=None):
    h = {"Authentication-Results": AR_OK}
    h.update(headers or {})
    return bot.send(subj, text, sender=sender, now=now, headers=h)


def rcpts(m):
    return {a.strip().lower() for h in ("To", "Cc") for a in (m.get(h) or "").split(",")
            if a.strip()}


def attachment_rows(m):
    att = [a for a in m.iter_attachments()]
    assert len(att) == 1, att
    text = att[0].get_content()
    assert text.startswith("\ufeff"), text[:20]
    return att[0].get_filename(), list(csv.DictReader(io.StringIO(text[1:])))


def export_rows(m):
    att = [a for a in m.iter_attachments()]
    assert len(att) == 1, att
    text = att[0].get_content()
    assert text.startswith("\ufeff"), text[:20]
    return att[0].get_filename(), list(csv.DictReader(io.StringIO(text[1:])))


def dry_run_rows(bot, now=T_MATCH):
    p = bot.run(now=now, args=("match", "--dry-run", "--csv"))
    out = p.stdout.decode()
    assert out.startswith("\ufeff"), out[:40]
    return list(csv.DictReader(io.StringIO(out[1:])))


def pairs_of(rows):
    return {frozenset((r["a_email"], r["b_email"])) for r in rows
            if r["kind"] in ("pair", "locked")}


def check_stats_html(m):
    """STATS is multipart/alternative: the text, and HTML bar charts of inline-styled
    tables, no scripts, no remote images; small counts as "<5"."""
    assert m.get_content_type() == "multipart/alternative", m.get_content_type()
    html = m.get_body(("html",)).get_content()
    low = html.lower()
    assert "<script" not in low and "<img" not in low and "http" not in low, html[:500]
    assert "style=" in html and "background-color:" in html
    for title in ("By country", "By sector", "By stage", "By state"):
        assert title in html, title
    assert "&lt;5" in html or "<5" not in body(m)
    return html


def check_preview_text(rep):
    for line in rep.splitlines():
        assert len(line) <= 78, (len(line), line)


def check_canary(bot):
    con = sqlite3.connect(os.path.join(bot.dir, "var", "ilnbot.db"))
    raws = [bytes(r[0]) for r in con.execute("select raw from outbox where raw is not null")]
    shared = [bytes(r[0]) for r in con.execute("select raw from outbox_shared")]
    con.close()
    assert raws
    for raw in raws:
        m = e2e.email.message_from_bytes(raw, policy=e2e.email.policy.default)
        to = rcpts(m)
        if to & {COORD, COORD2}:
            continue
        text = raw.decode("utf-8", "replace") + body(m)
        for part in m.walk():
            if part.get_content_maintype() == "text":
                text += part.get_content()
        assert "CANARY" not in text, (to, subject(m))
    for raw in shared:
        assert b"CANARY" not in raw


@test
def seven_hundred_adjusted_and_approved(bot):
    _, r = coord(bot, "ROUND OPEN 2026A", ROUND, now=T_OPEN)
    assert any("Round 2026A is open" in body(m) for m in r if m["To"] == COORD)
    _, r = coord(bot, "STATS", now=T_OPEN)
    st = body(r[0]).replace("\r\n", "\n")
    assert "Waiting to be matched: 700" in st and "France 47" in st, st
    assert "Applicants: 0 pending confirmation, 700 confirmed; withdrawn: 0" in st, st
    assert "All rounds\n  Partnerships: 0 active" in st, st
    check_stats_html(r[0])

    # proposal 1
    _, r = coord(bot, "MATCH")
    assert len(r) == 1, [subject(m) for m in r]
    prev1 = r[0]
    assert rcpts(prev1) == {COORD, COORD2}, prev1["To"]
    assert "proposal 1" in subject(prev1), subject(prev1)
    rep = body(prev1)
    check_preview_text(rep)
    lines = rep.splitlines()
    assert lines.index("Totals") < lines.index(
        [l for l in lines if l.startswith("Unmatched (")][0])
    assert "In the pool: 700" in rep, rep
    flat = " ".join(rep.split())
    assert (f"{N_FRENCH_ONLY} speak only French: {N_FRENCH_BOTH} French speakers are "
            "already matched; recruiting French speakers or asking them to add a "
            "language would help." in flat), rep
    assert "By country: France 36" in flat, rep
    assert "explicit wish" in rep and "weight" not in rep, rep
    assert re.search(r"Person \d{3} Ñame <p\d{3}@lib\d+\.example\.net>", rep), rep
    name, rows1 = attachment_rows(prev1)
    assert name == "proposal-1.csv"
    assert {x["proposal"] for x in rows1} == {"1"}, rows1[:2]
    kinds = [x["kind"] for x in rows1]
    assert kinds.count("pair") * 2 + kinds.count("unmatched") == N, kinds
    for x in rows1:
        if x["kind"] == "pair":
            assert x["a_country"] != x["b_country"] and x["shared_languages"], x
            assert x["a_country"] in ("France", "Brazil", "Australia", "Germany", "Japan",
                                      "Kenya", "Mexico", "India", "New Zealand", "Canada",
                                      "Spain", "Poland", "Italy", "Netherlands", "Sweden",
                                      "Norway", "Finland", "Denmark", "Ireland",
                                      "United Kingdom", "United States", "Argentina",
                                      "Chile", "Colombia", "Peru", "South Africa", "Nigeria",
                                      "Egypt", "Turkey", "Greece") or len(x["a_country"]) > 2
            assert int(x["score"]) >= 0
    assert dry_run_rows(bot) == rows1
    assert "pairs: %d unmatched: %d" % (kinds.count("pair"), kinds.count("unmatched")) in rep

    # adjustments by reply: a lock, an unpair, a forbidden pair, an exclusion
    pairs = [x for x in rows1 if x["kind"] == "pair"]
    lock_a, lock_b = pairs[0]["a_email"], None
    for x in pairs[1:]:
        if (x["a_country"] != pairs[0]["a_country"] and "English" in x["shared_languages"]
                and "English" in pairs[0]["shared_languages"]):
            lock_b = x["a_email"]
            break
    assert lock_b
    unpair = pairs[5]["a_email"]
    unpair_partner = pairs[5]["b_email"]
    excl = pairs[8]["b_email"]
    same = [x["a_email"] for x in pairs if x["a_country"] == "France"][:1] + \
           [x["b_email"] for x in pairs if x["b_country"] == "France"][:1]
    if len(same) < 2:
        same = ["p036@lib10.example.net", "p037@lib11.example.net"]
    text = (f"pair {lock_a} {lock_b}\nunpair {unpair}\npair {same[0]} {same[1]}\n"
            f"exclude {excl}\n\n> quoted: pair x@example.org y@example.org\n")
    _, r = coord(bot, "Re: " + subject(prev1), text,
                 headers={"In-Reply-To": prev1["Message-ID"]})
    prev2 = [m for m in r if "proposal 2" in subject(m)]
    assert len(prev2) == 1 and rcpts(prev2[0]) == {COORD, COORD2}, [subject(m) for m in r]
    prev2 = prev2[0]
    rep2 = body(prev2)
    check_preview_text(rep2)
    flat2 = " ".join(rep2.split())
    assert f"{COORD} locked {lock_a} and {lock_b} together" in flat2, rep2
    assert f"{COORD} unpaired {unpair} and {unpair_partner}" in flat2, rep2
    assert f"{COORD} excluded {excl} from this round" in flat2, rep2
    assert (f"Refused: pair {same[0]} {same[1]}: partners come from different countries"
            in flat2), rep2
    assert "x@example.org" not in rep2
    _, rows2 = attachment_rows(prev2)
    p2 = pairs_of(rows2)
    assert frozenset((lock_a, lock_b)) in p2
    assert [x for x in rows2 if x["kind"] == "locked"], rows2
    assert frozenset((unpair, unpair_partner)) not in p2
    assert [x["a_email"] for x in rows2 if x["kind"] == "excluded"] == [excl]
    assert excl not in {e for pr in p2 for e in pr}
    touched = {lock_a, lock_b, unpair, unpair_partner, excl}
    untouched = {pr for pr in pairs_of(rows1) if not pr & touched}
    kept = untouched & p2
    assert len(kept) >= 0.95 * len(untouched), (len(kept), len(untouched))
    # the CSV's rows equal the command line's
    assert dry_run_rows(bot) == rows2

    # a reply with nothing to do changes nothing
    _, r = coord(bot, "Re: " + subject(prev2), "pair nobody@example.org p001@lib1.example.net\n",
                 headers={"In-Reply-To": prev2["Message-ID"]})
    assert len(r) == 1 and "not waiting to be matched" in body(r[0]), body(r[0])

    # a stale APPROVE is refused naming the latest; by number or by answering the preview
    _, r = coord(bot, "APPROVE 1")
    assert len(r) == 1 and "latest is proposal 2" in " ".join(body(r[0]).split()), body(r[0])
    _, r = coord(bot, "APPROVE", headers={"In-Reply-To": prev1["Message-ID"]})
    assert len(r) == 1 and "latest is proposal 2" in " ".join(body(r[0]).split()), body(r[0])
    assert not [m for m in r if "meet your partner" in subject(m)]

    # STATS names the adjustments and who made them
    _, r = coord(bot, "STATS")
    st = body(r[0])
    assert "Proposals: 2" in st and "Adjustments: 3" in st, st
    assert f"proposal 1: {COORD} pair {lock_a} {lock_b}" in st, st
    assert f"proposal 1: {COORD} exclude {excl}" in st, st

    # the current one, approved by the second coordinator; the first is told who
    _, r = coord(bot, "APPROVE 2", sender=COORD2, now="2026-03-12T09:00:00Z")
    intros = [m for m in r if "meet your partner" in subject(m)]
    assert len(intros) == len(p2), (len(intros), len(p2))
    done = [m for m in r if "approved" in subject(m)]
    assert {m["To"] for m in done} == {COORD, COORD2}, [m["To"] for m in done]
    for m in done:
        assert f"{COORD2} approved proposal 2" in body(m), body(m)
    assert not [m for m in r if m["To"] == excl]
    intro_pairs = {frozenset(a.strip() for a in m["To"].split(",")) for m in intros}
    assert intro_pairs == p2
    _, r = coord(bot, "STATS", now="2026-03-12T10:00:00Z")
    st = body(r[0]).replace("\r\n", "\n")
    assert f"Approved by: {COORD2}" in st, st
    assert f"This round\n  Partnerships: {len(p2)} active, 0 dissolved" in st, st
    assert re.search(r"^  2026A +running +%d +%d +0 +0 +\d+$" % (len(p2), len(p2)), st,
                     re.M), st
    html = check_stats_html(r[0])
    assert "By round" in html and "2026A" in html and "in a partnership" in html

    # EXPORT, EXPORT PAIRS, EXPORT ROUNDS for spreadsheets
    _, r = coord(bot, "EXPORT", now="2026-03-12T10:00:00Z")
    name, rows = export_rows(r[0])
    assert name == "participants.csv" and len(rows) == N, (name, len(rows))
    by = {x["email"]: x for x in rows}
    x = by[lock_a]
    assert x["state"] == "partnered" and x["round"] == "2026A", x
    assert x["partner_email"] == lock_b and x["partner_name"].startswith("Person"), x
    assert x["introduced"] == "2026-03-12" and x["ended"] == "" and x["mail_language"] == "en"
    assert by["p000@lib0.example.net"]["country"] == "France"
    assert by["p000@lib0.example.net"]["country_code"] == "FR"
    assert by["p000@lib0.example.net"]["languages"] == "French"
    assert by["p000@lib0.example.net"]["language_codes"] == "fra"
    assert by["p000@lib0.example.net"]["state"] == "waiting", by["p000@lib0.example.net"]
    assert by[excl]["state"] == "confirmed" and by[excl]["partner_email"] == "", by[excl]
    _, r = coord(bot, "EXPORT PAIRS", now="2026-03-12T10:00:00Z")
    name, rows = export_rows(r[0])
    assert name == "pairs.csv" and len(rows) == len(p2), (name, len(rows))
    assert {frozenset((x["a_email"], x["b_email"])) for x in rows} == p2
    assert all(x["status"] == "active" and x["round"] == "2026A" and
               x["a_country"] != x["b_country"] for x in rows)
    _, r = coord(bot, "EXPORT ROUNDS", now="2026-03-12T10:00:00Z")
    name, rows = export_rows(r[0])
    assert name == "rounds.csv" and len(rows) == 1, rows
    assert rows[0]["round"] == "2026A" and rows[0]["status"] == "running", rows
    assert rows[0]["proposals"] == "2" and rows[0]["approved_by"] == COORD2, rows
    assert rows[0]["active"] == str(len(p2)) and rows[0]["adjustments"] == "3", rows

    # what one coordinator does on a thread is named to the other
    _, r = coord(bot, "About Person 000", "ilnbot: note called her, all well\n",
                 now="2026-03-12T10:00:00Z", headers={"Cc": "p000@lib0.example.net"})
    assert {m["To"] for m in r} == {COORD, COORD2}, [m["To"] for m in r]
    copy = [m for m in r if m["To"] == COORD2][0]
    assert f"{COORD} acted on a thread" in body(copy) and "p000@lib0.example.net" in body(copy)
    check_canary(bot)


@test
def help_for_coordinators(bot):
    _, r = coord(bot, "HELP", now=T_OPEN)
    b = body(r[0])
    assert "For coordinators" in b and "pair ana@example.org ben@example.org" in b, b
    assert "unpair ana@example.org" in b and "exclude ana@example.org" in b and \
        "APPROVE 3" in b, b
    _, r = bot.send("HELP", sender="p001@lib1.example.net", now=T_OPEN)
    assert "For coordinators" not in body(r[0])
    # a coordinator's address without authentication gets the participants' help
    _, r = bot.send("HELP", sender=COORD, now=T_OPEN)
    assert "For coordinators" not in body(r[0])


def main():
    e2e.Bot = CoordBot          # run_suite makes its bots with e2e.Bot
    e2e.run_suite(TESTS, "coords")


if __name__ == "__main__":
    main()
