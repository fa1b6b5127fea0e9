#!/usr/bin/env python3
"""Participants from everywhere, end to end on the real binary (`ilnbot once --now T`):
what people type is kept, and names are understood in any language. HTML-only mail with named entities; signups from Outlook-,
Gmail- and Apple-Mail-like clients in windows-1252 (labelled ISO-8859-1), ISO-8859-15,
KOI8-R, Shift_JIS, GB18030, Big5 and UTF-8, their names kept letter for letter; the
correction form sending back every value as typed; a round's impossible date refused with
a clear answer; an internationalised domain answered at its ASCII form, a UTF-8 local part
set aside; countries and languages named in other languages ("Deutschland", "inglés").
Usage: lang.py [--transport maildir|lab] [BINARY]. Prints "N passed, N failed"."""
import csv
import io
import os
import sys
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from e2e import subject, reply_to  # noqa: E402


def body(m):
    return e2e.body(m).replace("\r\n", "\n")

COORD = "coord@example.org"
AR_OK = ("mx.example.org; dkim=pass header.d=example.org header.i=@example.org; "
         "dmarc=pass header.from=example.org")
SECRET = "NOTE7SECRET"


def form(name, country="Brazil", languages="English, Portuguese", workplace="Biblioteca"):
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


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def html_only_signup_keeps_named_entities(bot):
    html = ("<html><body><p>Name: Mar&iacute;a Jos&eacute; Nu&ntilde;ez&nbsp;O&rsquo;Brien<br>"
            "Country: Espa&ntilde;a<br>Sector: academic<br>"
            "Workplace: Biblioth&egrave;que &laquo;Centrale&raquo; &amp; Archives<br>"
            "Years: 3<br>Interests: catalogaci&oacute;n &mdash; metadatos<br>"
            "Languages: English, Spanish<br>Digest: no</p></body></html>")
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
def countries_and_languages_named_in_any_language(bot):
    for i, (country, langs, want_c, want_l) in enumerate([
            ("Deutschland", "Englisch, Spanisch", "Germany", "English, Spanish"),
            ("españa", "inglés, francés", "Spain", "English, French"),
            ("Brasil", "Português, inglês", "Brazil", "Portuguese, English"),
            ("日本", "日本語, anglais", "Japan", "Japanese, English"),
            ("ÖSTERREICH", "deutsch", "Austria", "German")]):
        _, r = bot.send("SIGNUP", form(f"Person {i}", country, langs), sender=f"n{i}@example.org")
        b = body(r[0])
        assert subject(r[0]).startswith("CONFIRM "), (country, b)
        assert f"Country: {want_c}\n" in b and f"Languages: {want_l}\n" in b, (country, b)
    _, r = bot.send("SIGNUP", form("Person X", "Narnia", "Elvish"), sender="x@example.org")
    assert "not a country we know" in body(r[0]) and "not a language" in body(r[0])


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


@test
def reply_to_the_announcement_with_a_form_is_a_signup(bot):
    for who in ("sub1@example.org", "sub2@example.org"):
        _, r = bot.send("SUBSCRIBE", sender=who)
        reply_to(bot, r[0], sender=who)
    _, r = bot.send("ROUND OPEN 2026A", "Signup closes: 2026-03-10\nStarts: 2026-03-15\n",
                    sender=COORD, headers={"Authentication-Results": AR_OK})
    ann = {str(m["To"]): m for m in r if subject(m).startswith("SIGNUP ")}
    assert set(ann) == {"sub1@example.org", "sub2@example.org"}, [subject(m) for m in r]
    assert subject(ann["sub1@example.org"]).startswith("SIGNUP for round 2026A")
    # a plain reply: the Subject's first word is SIGNUP
    _, r = reply_to(bot, ann["sub1@example.org"], sender="sub1@example.org",
                    text=form("Sub One", "Chile", "Spanish"))
    assert subject(r[0]).startswith("CONFIRM "), (subject(r[0]), body(r[0]))
    # a Subject rewritten by the person: still a signup, by the thread and the form
    m = ann["sub2@example.org"]
    _, r = bot.send("Count me in!", form("Sub Two", "Peru", "Spanish"), sender="sub2@example.org",
                    headers={"In-Reply-To": m["Message-ID"]})
    assert subject(r[0]).startswith("CONFIRM "), (subject(r[0]), body(r[0]))
    assert "Name: Sub Two\n" in body(r[0])
    # a reply without a form is no signup
    _, r = bot.send("Thanks!", "Great news.", sender="sub2@example.org",
                    headers={"In-Reply-To": m["Message-ID"]})
    assert not subject(r[0]).startswith("CONFIRM "), subject(r[0])


# (language set, Languages field, Country, a word only the set's signup_done has)
SETS = [
    ("es", "Spanish", "Argentina", "Te damos la bienvenida"),
    ("fr", "français", "Belgique", "Bienvenue dans"),
    ("pt", "Portuguese", "Brasil", "Boas-vindas"),
    ("de", "Deutsch", "Österreich", "willkommen bei"),
]
WORDS = {  # a phrase of each translated reply, by set
    "es": {"show": "Esto es todo lo que", "update": "Hemos actualizado tus datos",
           "withdraw": "Has dejado", "problems": "Todavía no podemos aceptarla"},
    "fr": {"show": "Voici tout ce que", "update": "Vos informations sont à jour",
           "withdraw": "Vous vous êtes retiré", "problems": "Nous ne pouvons pas encore"},
    "pt": {"show": "Isto é tudo o que", "update": "Seus dados foram atualizados",
           "withdraw": "Você saiu da", "problems": "Ainda não podemos aceitá-la"},
    "de": {"show": "das ist alles, was", "update": "Ihre Angaben sind aktualisiert",
           "withdraw": "Sie sind aus", "problems": "Wir können sie noch nicht"},
}


def lang_of(m):
    return str(m["Content-Language"] or "")


@test
def conversations_in_each_shipped_language(bot):
    for code, langs, country, welcome in SETS:
        who = f"{code}@example.org"
        w = WORDS[code]
        # problems first, from someone not yet registered whose client says its language
        bad = form(f"Persona {code}", "Atlantis", langs)
        _, r = bot.send("SIGNUP", bad, sender=who,
                        headers={"Accept-Language": f"{code}-XX, en;q=0.8"})
        assert w["problems"] in body(r[0]) and lang_of(r[0]) == code, (code, body(r[0]))
        assert "Country: Atlantis\n" in body(r[0])
        _, r = bot.send("SIGNUP", form(f"Persona {code}", country, langs), sender=who)
        assert subject(r[0]).startswith("CONFIRM "), (code, body(r[0]))
        _, r = reply_to(bot, r[0], sender=who)
        assert welcome in body(r[0]) and lang_of(r[0]) == code, (code, lang_of(r[0]), body(r[0]))
        _, r = bot.send("SHOW", sender=who)
        assert w["show"] in body(r[0]) and lang_of(r[0]) == code, (code, body(r[0]))
        _, r = bot.send("UPDATE", "Years: 9\n", sender=who)
        assert w["update"] in body(r[0]) and "Years: 9\n" in body(r[0]), (code, body(r[0]))
        _, r = bot.send("WITHDRAW", sender=who)
        assert lang_of(r[0]), "every mail names its language"
        _, r = reply_to(bot, r[0], sender=who)
        assert w["withdraw"] in body(r[0]) and lang_of(r[0]) == code, (code, body(r[0]))
    # English stays English, and says so; Content-Language as a client writes it
    _, r = bot.send("HELP", sender="en@example.org")
    assert lang_of(r[0]) == "en", lang_of(r[0])
    bot.drop(raw_mail("cl@example.org", "SIGNUP", form("Cl", "Atlantis", "Klingon"), "utf-8")
             .replace(b"MIME-Version", b"Content-Language: fr\r\nMIME-Version"))
    bot.run()
    r = bot.replies()
    assert lang_of(r[0]) == "fr" and WORDS["fr"]["problems"] in body(r[0]), body(r[0])


@test
def pairs_sharing_only_spanish_or_french_are_introduced_in_it(bot):
    people = [("es1@example.org", "Spain", "Spanish"), ("es2@example.org", "Argentina", "Spanish"),
              ("fr1@example.org", "France", "French"), ("fr2@example.org", "Canada", "French")]
    for i, (who, country, langs) in enumerate(people):
        f = form(f"P{i}", country, langs).replace("Notes: ", f"Notes: {i}")
        _, r = bot.send("SIGNUP", f, sender=who, now="2026-03-01T09:00:00Z")
        reply_to(bot, r[0], sender=who, now="2026-03-01T09:00:00Z")
    h = {"Authentication-Results": AR_OK}
    bot.send("ROUND OPEN 2026A", "Signup closes: 2026-03-10\nStarts: 2026-03-15\n",
             sender=COORD, headers=h, now="2026-03-02T09:00:00Z")
    bot.send("MATCH", sender=COORD, headers=h, now="2026-03-11T09:00:00Z")
    _, r = bot.send("APPROVE", sender=COORD, headers=h, now="2026-03-12T09:00:00Z")
    intro = {}
    for m in r:
        to = sorted(a.strip() for a in str(m["To"]).split(","))
        if len(to) == 2:
            intro[tuple(to)] = m
    assert set(intro) == {("es1@example.org", "es2@example.org"),
                          ("fr1@example.org", "fr2@example.org")}, [subject(m) for m in r]
    es = intro[("es1@example.org", "es2@example.org")]
    fr = intro[("fr1@example.org", "fr2@example.org")]
    assert lang_of(es) == "es" and "te presentamos a tu pareja" in subject(es), subject(es)
    assert "Lugar de trabajo: Biblioteca" in body(es), body(es)
    assert lang_of(fr) == "fr" and "voici votre binôme" in subject(fr), subject(fr)
    assert "Lieu de travail : Biblioteca" in body(fr), body(fr)
    for m in (es, fr):  # the privacy canary: nobody's notes reach a partner
        assert SECRET not in body(m), body(m)


@test
def a_mail_language_of_ones_own_is_kept(bot):
    who = "ml@example.org"
    f = form("Marta López", "Chile", "Spanish, English") + "Mail language: English\n"
    _, r = bot.send("SIGNUP", f, sender=who)
    assert subject(r[0]).startswith("CONFIRM "), body(r[0])
    assert "Mail language: English\n" in body(r[0]), body(r[0])
    _, r = reply_to(bot, r[0], sender=who)
    # Spanish comes first in Languages, but the Mail language is English
    assert "Welcome" in body(r[0]) and lang_of(r[0]) == "en", (lang_of(r[0]), body(r[0]))
    _, r = bot.send("SHOW", sender=who)
    assert lang_of(r[0]) == "en" and "Mail language: English\n" in body(r[0]), body(r[0])
    # UPDATE switches it, named in another language; the answer is already in Spanish
    _, r = bot.send("UPDATE", "Mail language: español\n", sender=who)
    assert lang_of(r[0]) == "es" and WORDS["es"]["update"] in body(r[0]), body(r[0])
    _, r = bot.send("SHOW", sender=who)
    assert lang_of(r[0]) == "es" and WORDS["es"]["show"] in body(r[0]), body(r[0])
    assert "Mail language: Spanish\n" in body(r[0]), body(r[0])
    # by code; and a language without a set leaves their Languages to decide (Spanish)
    _, r = bot.send("UPDATE", "Mail language: fr\n", sender=who)
    assert lang_of(r[0]) == "fr", lang_of(r[0])
    _, r = bot.send("UPDATE", "Mail language: Japanese\n", sender=who)
    assert lang_of(r[0]) == "es" and "Mail language: Japanese\n" in body(r[0]), body(r[0])
    # an unknown language is a problem line, and nothing changes
    _, r = bot.send("UPDATE", "Mail language: Elvish\n", sender=who)
    assert 'Mail language: "Elvish" is not a language we know; accepted: ' in body(r[0]), \
        body(r[0])
    _, r = bot.send("UPDATE", "Mail language: español\n", sender=who)
    # EXPORT names the language each person's mail is written in
    _, r = bot.send("EXPORT", sender=COORD, headers={"Authentication-Results": AR_OK})
    att = list(r[0].iter_attachments())
    rows = list(csv.DictReader(io.StringIO(att[0].get_content().lstrip("\ufeff"))))
    by = {x["email"]: x for x in rows}
    assert by[who]["mail_language"] == "es", by[who]
    # emptied, the first of their Languages with a set decides again
    _, r = bot.send("UPDATE", "Mail language:\nLanguages: English, Spanish\n", sender=who)
    assert lang_of(r[0]) == "en" and "Mail language: \n" in body(r[0]), body(r[0])


@test
def sentences_built_in_c_are_in_the_language_of_their_mail(bot):
    # messages.ini: a sentence the program builds is in the language of the template it
    # goes into, whichever that is (a set without the template falls back to English)
    said = {"es": ("estado: activa;", "este código de confirmación no lo hemos enviado"),
            "de": ("Status: aktiv;", "diesen Bestätigungscode haben nicht wir verschickt"),
            "en": ("status: active;", "this confirmation code is not one we sent")}
    status_word = {"es": "activa", "de": "aktiv", "fr": "active", "pt": "ativa", "en": "active"}
    not_ours = {code: words[1] for code, words in said.items()}
    not_ours.update(fr="ce code de confirmation ne vient pas de nous",
                    pt="este código de confirmação não foi enviado por nós")
    for code, country, langs in (("es", "Spain", "Spanish"), ("de", "Austria", "German")):
        who = f"c{code}@example.org"
        _, r = bot.send("SIGNUP", form(f"Persona {code}", country, langs), sender=who)
        reply_to(bot, r[0], sender=who)
        _, r = bot.send("SHOW", sender=who)
        assert lang_of(r[0]) == code and said[code][0] in body(r[0]), (code, body(r[0]))
        _, r = bot.send("STATUS", sender=who)
        got = lang_of(r[0])
        assert f": {status_word[got]}." in body(r[0]), (code, got, body(r[0]))
        _, r = bot.send("CONFIRM 0123456789abcdef0123456789abcdef", sender=who)
        got = lang_of(r[0])
        assert not_ours[got] in body(r[0]), (code, got, body(r[0]))


@test
def every_set_passes_check_config(bot):
    p = bot.run(args=("check-config",))
    assert b"valid" in p.stdout, p.stdout
    for code in ("es", "fr", "pt", "de"):
        assert os.path.isdir(os.path.join(e2e.TOP, "templates", code)), code


def main():
    # every bot of this suite writes mail in the shipped language sets (e2e.py's config
    # ends inside [program])
    for cls in (e2e.Bot, e2e.LabBot):
        cls.__init__.__defaults__ = ("languages = es fr pt de\n",)
    e2e.run_suite(TESTS, "lang")


if __name__ == "__main__":
    main()
