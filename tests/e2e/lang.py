#!/usr/bin/env python3
"""Participants from everywhere, end to end on the real binary (`ilnbot once --now T`):
what people type is kept. HTML-only mail with named entities; signups from Outlook-,
Gmail- and Apple-Mail-like clients in windows-1252 (labelled ISO-8859-1), ISO-8859-15,
KOI8-R, Shift_JIS, GB18030, Big5 and UTF-8, their names kept letter for letter; the
correction form sending back every value as typed; a round's impossible date refused with
a clear answer; an internationalised domain answered at its ASCII form, a UTF-8 local part
set aside; the privacy canary over every mail.
Usage: lang.py [--transport maildir|lab] [BINARY]. Prints "N passed, N failed"."""
import os
import re
import sys
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from e2e import subject, reply_to, token_of  # noqa: E402


def body(m):
    return e2e.body(m).replace("\r\n", "\n")

COORD = "coord@example.org"
AR_OK = ("mx.example.org; dkim=pass header.d=example.org header.i=@example.org; "
         "dmarc=pass header.from=example.org")
SECRET = "NOTE7SECRET"


def form(name, country="Brazil", languages="Portuguese, English", workplace="Biblioteca"):
    return (f"Name: {name}\nCountry: {country}\nSector: academic\nWorkplace: {workplace}\n"
            f"Years: 3\nInterests: cataloguing\nLanguages: {languages}\n"
            f"Notes: {SECRET}\nDigest: no\n")


def raw_mail(sender, subj, text, charset, subtype="plain", client="Outlook", cte="8bit"):
    """A mail as a client writes it: the body in charset with that label, 8-bit or
    quoted-printable, the Subject plain ASCII."""
    data = text.encode(charset if charset != "windows-1252-as-latin1" else "cp1252")
    label = "ISO-8859-1" if charset == "windows-1252-as-latin1" else charset
    if cte == "quoted-printable":
        import quopri
        data = quopri.encodestring(data.replace(b"\n", b"\r\n"))
    else:
        data = data.replace(b"\n", b"\r\n")
    mailer = {"Outlook": "Microsoft Outlook 16.0", "Gmail": "Gmail",
              "Apple": "Apple Mail (2.3774)"}[client]
    head = (f"From: {sender}\r\nTo: {e2e.BOT}\r\nSubject: {subj}\r\n"
            f"Message-ID: <{os.urandom(6).hex()}@client.example>\r\n"
            f"Date: Mon, 02 Mar 2026 09:00:00 +0000\r\nX-Mailer: {mailer}\r\n"
            f"MIME-Version: 1.0\r\n"
            f"Content-Type: text/{subtype}; charset=\"{label}\"\r\n"
            f"Content-Transfer-Encoding: {cte}\r\n\r\n")
    return head.encode() + data


def check_canary(mails):
    for m in mails:
        if e2e.A(COORD) in str(m["To"]).lower():
            continue
        assert SECRET not in body(m) + subject(m) or "CONFIRM" in subject(m) or \
            "Welcome" in body(m), subject(m)


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def html_only_signup_keeps_named_entities(bot):
    html = ("<html><body><p>Name: Mar&iacute;a Jos&eacute; Nu&ntilde;ez&nbsp;O&rsquo;Brien<br>"
            "Country: Spain<br>Sector: academic<br>"
            "Workplace: Biblioth&egrave;que &laquo;Centrale&raquo; &amp; Archives<br>"
            "Years: 3<br>Interests: catalogaci&oacute;n &mdash; metadatos<br>"
            "Languages: Spanish, English<br>Digest: no</p></body></html>")
    m = EmailMessage()
    m["From"] = "maria@example.org"
    m["To"] = e2e.BOT
    m["Subject"] = "SIGNUP"
    m["Message-ID"] = "<html-ent@client.example>"
    m.set_content(html, subtype="html", charset="us-ascii")
    bot.drop(bytes(m))
    bot.run()
    r = bot.replies()
    assert len(r) == 1 and subject(r[0]).startswith("CONFIRM "), body(r[0])
    b = body(r[0])
    assert "Name: María José Nuñez O’Brien" in b, b
    assert "Workplace: Bibliothèque «Centrale» & Archives" in b, b
    assert "&" + "iacute;" not in b
    _, r = reply_to(bot, r[0], sender="maria@example.org")
    assert "Welcome" in body(r[0])
    _, r = bot.send("SHOW", sender="maria@example.org")
    assert "María José Nuñez O’Brien" in body(r[0]), body(r[0])
    assert "catalogación — metadatos" in body(r[0]), body(r[0])


# (charset, client, name typed, country typed, how it goes over the wire)
CHARSETS = [
    ("windows-1252-as-latin1", "Outlook", "Zoë O’Connor – “Zo”", "Ireland", "8bit"),
    ("iso-8859-1", "Apple", "Jörg Müller-Straße", "Germany", "quoted-printable"),
    ("iso-8859-15", "Outlook", "Šárka Žofie Œuvre €", "Czechia", "8bit"),
    ("koi8-r", "Gmail", "Мария Иванова", "Russia", "8bit"),
    ("shift_jis", "Apple", "山田 太郎", "Japan", "8bit"),
    ("gb18030", "Gmail", "王芳", "China", "8bit"),
    ("big5", "Outlook", "陳美玲", "Taiwan", "quoted-printable"),
    ("utf-8", "Gmail", "Nguyễn Thị Minh Khai", "Vietnam", "quoted-printable"),
]


@test
def signups_in_every_charset_keep_the_name(bot):
    for i, (cs, client, name, country, cte) in enumerate(CHARSETS):
        sender = f"p{i}@example.org"
        bot.drop(raw_mail(sender, "SIGNUP", form(name, country), cs, client=client, cte=cte))
        bot.run()
        r = bot.replies()
        assert len(r) == 1, (cs, [subject(m) for m in r])
        assert subject(r[0]).startswith("CONFIRM "), (cs, subject(r[0]), body(r[0]))
        assert f"Name: {name}\n" in body(r[0]), (cs, body(r[0]))
        _, r = reply_to(bot, r[0], sender=sender)
        assert "Welcome" in body(r[0]), (cs, body(r[0]))
        _, r = bot.send("SHOW", sender=sender)
        assert name in body(r[0]), (cs, body(r[0]))


@test
def undeclared_8bit_read_as_windows_1252(bot):
    text = form("Renée “Nené” Dupont").encode("cp1252").replace(b"\n", b"\r\n")
    raw = (b"From: renee@example.org\r\nTo: " + e2e.BOT.encode() + b"\r\nSubject: SIGNUP\r\n"
           b"Message-ID: <undecl@client.example>\r\n\r\n" + text)
    bot.drop(raw)
    bot.run()
    r = bot.replies()
    assert subject(r[0]).startswith("CONFIRM "), body(r[0])
    assert "Name: Renée “Nené” Dupont\n" in body(r[0]), body(r[0])


@test
def encoded_word_subject_in_latin1_label(bot):
    raw = ("From: =?iso-8859-1?q?Ren=E9e_=93N=E9n=E9=94?= <renee@example.org>\r\n"
           "To: iln@example.org\r\nSubject: =?iso-8859-1?q?HELP_=96_s=92il_vous_pla=EEt?=\r\n"
           "Message-ID: <ew1@client.example>\r\n\r\nhi\r\n")
    bot.drop(raw)
    bot.run()
    r = bot.replies()
    assert len(r) == 1
    assert subject(r[0]) == "Re: HELP – s’il vous plaît", subject(r[0])


@test
def correction_form_keeps_what_was_typed(bot):
    typed = ("Name: Ana Lúcia\nCountry: Atlantis\nSector: academic\nWorkplace: Biblioteca\n"
             "Years: twelve\nInterests: cataloguing\nLanguages: Portuguese, Klingonese\n"
             "Partner stage: sideways\nPartner sector: any\nDigest: maybe\n")
    _, r = bot.send("SIGNUP", typed, sender="ana@example.org")
    b = body(r[0])
    assert "problems" in b, b
    for line in ("Name: Ana Lúcia", "Country: Atlantis", "Years: twelve",
                 "Languages: Portuguese, Klingonese", "Partner stage: sideways",
                 "Partner sector: any", "Digest: maybe"):
        assert line + "\n" in b, (line, b)
    assert "Partner stage: different" not in b and "Digest: no" not in b, b


@test
def impossible_dates_refused_clearly(bot):
    h = {"Authentication-Results": AR_OK}
    _, r = bot.send("ROUND OPEN 2026A", "Signup closes: 2026-02-29\nStarts: 2026-04-31\n",
                    sender=COORD, headers=h)
    b = body(r[0])
    assert "Signup closes: 2026-02-29 is not a date: that month has 28 days" in b, b
    assert "Starts: 2026-04-31 is not a date: that month has 30 days" in b, b
    _, r = bot.send("ROUND OPEN 2027A", "Signup closes: 2027-10-20\nStarts: 2027-10-31\n"
                    "Length: 4 months\n", sender=COORD, headers=h, now="2027-10-01T09:00:00Z")
    # 31 October + 4 months is the end of February (2028 is a leap year)
    assert "2028-02-29" in body(r[0]), body(r[0])


@test
def idn_domain_answered_utf8_local_part_set_aside(bot):
    raw = ("From: Jörg <joerg@münchen.example>\r\nTo: iln@example.org\r\nSubject: HELP\r\n"
           "Message-ID: <idn1@client.example>\r\n\r\nhi\r\n").encode()
    bot.drop(raw)
    bot.run()
    r = bot.replies()
    assert len(r) == 1 and r[0]["To"] == "joerg@xn--mnchen-3ya.example", r[0]["To"]
    raw = ("From: <jörg@example.org>\r\nTo: iln@example.org\r\nSubject: HELP\r\n"
           "Message-ID: <idn2@client.example>\r\n\r\nhi\r\n").encode()
    bot.drop(raw)
    bot.run()
    assert bot.replies() == []
    assert bot.rejected() == 1
    assert "UTF-8 local part" in bot.log and "SMTPUTF8" in bot.log, bot.log[-2000:]


def main():
    e2e.run_suite(TESTS, "lang")


if __name__ == "__main__":
    main()
