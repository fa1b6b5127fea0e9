#!/usr/bin/env python3
"""Participants from everywhere, end to end on the real binary (`ilnbot once --now T`):
what people type is kept, and names are understood in any language. HTML-only mail with named entities; signups from Outlook-,
Gmail- and Apple-Mail-like clients in windows-1252 (labelled ISO-8859-1), ISO-8859-15,
KOI8-R, Shift_JIS, GB18030, Big5 and UTF-8, their names kept letter for letter; the
correction form sending back every value as typed; a round's impossible date refused with
a clear answer; an internationalised domain answered at its ASCII form, a UTF-8 local part
set aside; countries and languages named in other languages ("Deutschland", "inglés");
every mail written in French and German, whose HELP form sent back as shown is a signup.
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
    # the form comes back in the first of their Languages with a set, names in it
    for i, (country, langs, want_c, want_l) in enumerate([
            ("Deutschland", "Englisch, Spanisch", "Country: Germany", "Languages: English, Spanish"),
            ("españa", "inglés, francés", "Country: Spain", "Languages: English, French"),
            ("Brasil", "Português, inglês", "País: Brasil", "Idiomas: Português, Inglês"),
            ("日本", "日本語, anglais", "Country: Japan", "Languages: Japanese, English"),
            ("ÖSTERREICH", "deutsch", "Land: Österreich", "Sprachen: Deutsch")]):
        _, r = bot.send("SIGNUP", form(f"Person {i}", country, langs), sender=f"n{i}@example.org")
        b = body(r[0])
        assert subject(r[0]).startswith("CONFIRM "), (country, b)
        assert f"{want_c}\n" in b and f"{want_l}\n" in b, (country, b)
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
    assert "Nombre: Sub Two\n" in body(r[0])    # the form in its Languages' Spanish
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


# Each set's own words (templates/<code>/words.ini): commands, field names, and what a
# form shows for the values form() and native_form() give; a phrase of its short HELP.
NATIVE = {
    "es": {"signup": "INSCRIBIR", "show": "MOSTRAR", "update": "ACTUALIZAR",
           "withdraw": "RETIRARME", "unknown": "Hola",
           "f": {"Name": "Nombre", "Country": "País", "Sector": "Sector",
                 "Workplace": "Lugar de trabajo", "Years": "Años", "Interests": "Intereses",
                 "Languages": "Idiomas", "Notes": "Notas", "Digest": "Boletín",
                 "Partner stage": "Etapa de la pareja"},
           "academic": "académica", "public": "pública", "no": "no", "yes": "sí",
           "any": "cualquiera", "years": "3 años", "Brazil": "Brasil",
           "country_unknown": "no es un país que conozcamos",
           "years_bad": "no es un número de 0 a 70",
           "short": "No reconocemos «Hola» como una orden", "short_alias": "MOSTRAR (SHOW)"},
    "fr": {"signup": "INSCRIPTION", "show": "AFFICHER", "update": "MODIFIER",
           "withdraw": "RETRAIT", "unknown": "Bonjour",
           "f": {"Name": "Nom", "Country": "Pays", "Sector": "Secteur",
                 "Workplace": "Lieu de travail", "Years": "Années", "Interests": "Intérêts",
                 "Languages": "Langues", "Notes": "Remarques", "Digest": "Lettre",
                 "Partner stage": "Étape du binôme"},
           "academic": "universitaire", "public": "publique", "no": "non", "yes": "oui",
           "any": "indifférent", "years": "3 ans", "Brazil": "Brésil",
           "country_unknown": "n’est pas un pays que nous connaissons",
           "years_bad": "n’est pas un nombre de 0 à 70",
           "short": "Nous ne reconnaissons pas « Bonjour » comme une commande",
           "short_alias": "AFFICHER (SHOW)"},
    "pt": {"signup": "INSCRIÇÃO", "show": "MOSTRAR", "update": "ATUALIZAR",
           "withdraw": "SAIR", "unknown": "Olá",
           "f": {"Name": "Nome", "Country": "País", "Sector": "Setor",
                 "Workplace": "Local de trabalho", "Years": "Anos", "Interests": "Interesses",
                 "Languages": "Idiomas", "Notes": "Observações", "Digest": "Boletim",
                 "Partner stage": "Etapa do par"},
           "academic": "acadêmica", "public": "pública", "no": "não", "yes": "sim",
           "any": "qualquer", "years": "3 anos", "Brazil": "Brasil",
           "country_unknown": "não é um país que conheçamos",
           "years_bad": "não é um número de 0 a 70",
           "short": "Não reconhecemos \"Olá\" como um comando", "short_alias": "MOSTRAR (SHOW)"},
    "de": {"signup": "ANMELDEN", "show": "ZEIGEN", "update": "ÄNDERN",
           "withdraw": "AUSTRETEN", "unknown": "Hallo",
           "f": {"Name": "Name", "Country": "Land", "Sector": "Bereich",
                 "Workplace": "Arbeitsplatz", "Years": "Berufsjahre", "Interests": "Interessen",
                 "Languages": "Sprachen", "Notes": "Notizen", "Digest": "Rundbrief",
                 "Partner stage": "Berufsphase des Partners"},
           "academic": "wissenschaftlich", "public": "öffentlich", "no": "nein", "yes": "ja",
           "any": "egal", "years": "3 Jahre", "Brazil": "Brasilien",
           "country_unknown": "ist kein Land, das wir kennen",
           "years_bad": "ist keine Zahl von 0 bis 70",
           "short": "„Hallo“ kennen wir nicht als Befehl", "short_alias": "ZEIGEN (SHOW)"},
}


def native_form(code, name, country, langs):
    """form() with the set's own field names, value words in accents and capitals of
    their own ("PÚBLICA"), the Years unit in the language."""
    n = NATIVE[code]
    f = n["f"]
    return (f"{f['Name']}: {name}\n{f['Country']}: {country}\n"
            f"{f['Sector'].upper()}: {n['public'].upper()}\n{f['Workplace']}: Biblioteca\n"
            f"{f['Years']}: {n['years']}\n{f['Interests']}: catalogación\n"
            f"{f['Languages']}: {langs}\n{f['Partner stage']}: {n['any']}\n"
            f"{f['Notes']}: {SECRET}\n{f['Digest']}: {n['no']}\n")


def form_in(m, code, english_line, native_line):
    """The form in m is in m's language: the native line when m is in code's set, the
    English one when the template fell back to the default set."""
    want = native_line if lang_of(m) == code else english_line
    return want + "\n" in body(m)


@test
def conversations_in_each_shipped_language(bot):
    later = "2026-03-03T10:00:00Z"
    for code, langs, country, welcome in SETS:
        who = f"{code}@example.org"
        w, n = WORDS[code], NATIVE[code]
        f = n["f"]
        # problems first, from someone not yet registered whose client says its language,
        # with the set's word for SIGNUP and its field names
        bad = native_form(code, f"Persona {code}", "Atlantis", langs)
        _, r = bot.send(n["signup"], bad, sender=who,
                        headers={"Accept-Language": f"{code}-XX, en;q=0.8"})
        b = body(r[0])
        assert w["problems"] in b and lang_of(r[0]) == code, (code, b)
        assert f'{f["Country"]}: «Atlantis»' in b or f'{f["Country"]}: "Atlantis"' in b or \
            f'{f["Country"]} : « Atlantis »' in b or f'{f["Country"]}: „Atlantis“' in b, (code, b)
        assert n["country_unknown"] in b, (code, b)
        # the correction form: the set's field names, every value as typed
        assert f"{f['Country']}: Atlantis\n" in b and f"{f['Years']}: {n['years']}\n" in b, \
            (code, b)
        # the application again, mixing the set's field names and a command in capitals
        _, r = bot.send(n["signup"].lower(), native_form(code, f"Persona {code}", country, langs),
                        sender=who)
        assert subject(r[0]).startswith("CONFIRM "), (code, body(r[0]))
        assert form_in(r[0], code, f"Workplace: Biblioteca", f"{f['Workplace']}: Biblioteca"), \
            (code, body(r[0]))
        _, r = reply_to(bot, r[0], sender=who)
        b = body(r[0])
        assert welcome in b and lang_of(r[0]) == code, (code, lang_of(r[0]), b)
        # the profile in the reader's words: field names, values, the country's own name
        assert f"{f['Workplace']}: Biblioteca\n" in b, (code, b)
        assert f"{f['Sector']}: {n['public']}\n" in b and f"{f['Digest']}: {n['no']}\n" in b, \
            (code, b)
        assert f"{f['Country']}: {country}\n" in b, (code, b)
        _, r = bot.send(n["show"], sender=who)
        b = body(r[0])
        assert w["show"] in b and lang_of(r[0]) == code, (code, b)
        assert f"{f['Name']}: Persona {code}\n" in b and f"{f['Years']}: 3\n" in b, (code, b)
        # the English words work for every reader
        _, r = bot.send("SHOW", sender=who)
        assert w["show"] in body(r[0]) and lang_of(r[0]) == code, (code, body(r[0]))
        _, r = bot.send(n["update"], f"{f['Years']}: 9\n{f['Country']}: Brazil\n", sender=who)
        b = body(r[0])
        assert w["update"] in b and f"{f['Years']}: 9\n" in b, (code, b)
        assert f"{f['Country']}: {n['Brazil']}\n" in b, (code, b)
        # a correction in the language of the mail, its field names in the form
        _, r = bot.send(n["update"], f"{f['Years']}: doce\n", sender=who, now=later)
        b = body(r[0])
        assert form_in(r[0], code, "Years: 9", f"{f['Years']}: 9"), (code, b)
        if lang_of(r[0]) == code:
            assert n["years_bad"] in b, (code, b)
        # a word that is no command: the short help, in the reader's language
        _, r = bot.send(f"{n['unknown']} !", sender=who, now=later)
        b = body(r[0])
        assert lang_of(r[0]) == code and n["short"] in b and n["short_alias"] in b, (code, b)
        assert "Taking part" not in b and "Partner stage" not in b, b
        _, r = bot.send(n["withdraw"], sender=who, now=later)
        assert lang_of(r[0]), "every mail names its language"
        assert subject(r[0]).startswith("CONFIRM "), (code, subject(r[0]), body(r[0]))
        _, r = reply_to(bot, r[0], sender=who, now=later)
        assert w["withdraw"] in body(r[0]) and lang_of(r[0]) == code, (code, body(r[0]))
    # English stays English, and says so; Content-Language as a client writes it
    _, r = bot.send("HELP", sender="en@example.org")
    assert lang_of(r[0]) == "en", lang_of(r[0])
    bot.drop(raw_mail("cl@example.org", "SIGNUP", form("Cl", "Atlantis", "Klingon"), "utf-8")
             .replace(b"MIME-Version", b"Content-Language: fr\r\nMIME-Version"))
    bot.run()
    r = bot.replies()
    assert lang_of(r[0]) == "fr" and WORDS["fr"]["problems"] in body(r[0]), body(r[0])
    # English field names in a French reply: read, and answered in French field names
    assert "Pays : « Atlantis » n’est pas un pays" in body(r[0]), body(r[0])
    assert "Pays: Atlantis\n" in body(r[0]), body(r[0])


@test
def unknown_words_get_the_short_help_in_the_senders_language(bot):
    # someone not registered: their client's language
    _, r = bot.send("Bonjour", sender="nouveau@example.org",
                    headers={"Accept-Language": "fr-CA"})
    b = body(r[0])
    assert lang_of(r[0]) == "fr" and NATIVE["fr"]["short"] in b, b
    assert "HELP" in b and "AIDE" in b and "SIGNUP" in b, b
    # in English, the short help names the word and points to HELP
    _, r = bot.send("Hello there", sender="new@example.org")
    b = body(r[0])
    assert lang_of(r[0]) == "en" and 'We did not recognise "Hello" as a command.' in b, b
    assert "HELP         every command" in b and "Discussion topics" not in b, b
    # the set's words are commands in any capitals and without their accents
    for subj, want in (("ayuda", "SIGNUP"), ("Inscripcion", "problems"),
                       ("INSCRIPCIÓN", "problems"), ("mis datos", "SHOW"),
                       ("Hilfe", "SIGNUP"), ("désabonnement", "not subscribed")):
        _, r = bot.send(subj, sender="words@example.org", now="2026-03-04T10:00:00Z")
        assert "did not recognise" not in body(r[0]) and want in body(r[0]), (subj, body(r[0]))


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
    assert "Idioma del correo: Español\n" in body(r[0]), body(r[0])
    # by code; and a language without a set leaves their Languages to decide (Spanish)
    _, r = bot.send("UPDATE", "Mail language: fr\n", sender=who)
    assert lang_of(r[0]) == "fr", lang_of(r[0])
    _, r = bot.send("UPDATE", "Mail language: Japanese\n", sender=who)
    assert lang_of(r[0]) == "es" and "Idioma del correo: Japonés\n" in body(r[0]), body(r[0])
    # an unknown language is a problem line, and nothing changes
    _, r = bot.send("UPDATE", "Mail language: Elvish\n", sender=who)
    assert 'Idioma del correo: «Elvish» no es un idioma que conozcamos; se acepta: ' in \
        body(r[0]), body(r[0])
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


@test
def french_and_german_write_every_mail(bot):
    top = os.path.join(e2e.TOP, "templates")
    names = sorted(f for f in os.listdir(top) if f.endswith(".txt"))
    for code in ("fr", "de"):
        missing = [n for n in names if not os.path.isfile(os.path.join(top, code, n))]
        assert not missing, (code, missing)
    # HELP in the reader's language, whose form sent back as shown is a signup
    for code, words in (("fr", ("Le formulaire de candidature", "Merci de votre candidature",
                                "Votre statut auprès de")),
                        ("de", ("Das Anmeldeformular", "vielen Dank für Ihre Anmeldung",
                                "Ihr Status bei"))):
        who = f"help-{code}@example.org"
        _, r = bot.send("HELP", sender=who, headers={"Accept-Language": code})
        b = body(r[0])
        assert lang_of(r[0]) == code and words[0] in b, (code, b)
        start = b.index("\nName: ") + 1
        f = b[start:b.index("\n\n", start)] + "\n"
        _, r = bot.send("SIGNUP", f, sender=who, headers={"Accept-Language": code})
        assert subject(r[0]).startswith("CONFIRM ") and words[1] in body(r[0]), (code, body(r[0]))
        assert lang_of(r[0]) == code, (code, lang_of(r[0]))
        reply_to(bot, r[0], sender=who)
        _, r = bot.send("STATUS", sender=who)
        assert words[2] in body(r[0]) and lang_of(r[0]) == code, (code, body(r[0]))


@test
def check_config_names_a_word_for_two_things(bot):
    """A set's word that is another command's (in any set, accents and capitals aside),
    or two fields', is a configuration error naming the word and both things."""
    import shutil
    import subprocess
    tdir = os.path.join(bot.dir, "templates")
    shutil.copytree(os.path.join(e2e.TOP, "templates"), tdir)
    with open(bot.conf) as f:
        conf = f.read().replace(f"templates = {e2e.TOP}/templates", f"templates = {tdir}")
    with open(bot.conf, "w") as f:
        f.write(conf)
    path = os.path.join(tdir, "fr", "words.ini")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("DELETE = SUPPRIMER | OUBLIER", "DELETE = SUPPRIMER | Mostrar")
                .replace("Notes = Remarques", "Notes = Remarques | Pais"))
    p = subprocess.run([e2e.BIN, "check-config", "-c", bot.conf], capture_output=True,
                       text=True)
    assert p.returncode == 78, (p.returncode, p.stderr)
    assert '"mostrar" names SHOW (es) and DELETE (fr)' in p.stderr or \
        '"mostrar" names SHOW (pt) and DELETE (fr)' in p.stderr, p.stderr
    assert '"País" (es) is Country and "Pais" (fr) is Notes' in p.stderr, p.stderr


@test
def default_language_spanish_writes_the_spanish_set(bot):
    """A network whose default_language is Spanish writes its default mail from
    templates/es/, to newcomers and to coordinators alike, labelled es."""
    with open(bot.conf) as f:
        conf = f.read()
    with open(bot.conf, "w") as f:
        f.write(conf.replace("default_language = English", "default_language = Spanish")
                .replace("languages = es fr pt de\n", ""))
    _, r = bot.send("HELP", sender="nadie@example.org")
    assert lang_of(r[0]) == "es" and "Hola:" in body(r[0]), (lang_of(r[0]), body(r[0]))
    _, r = bot.send("ROUND OPEN 2026B", "Signup closes: 2026-04-01\nStarts: 2026-04-15\n",
                    sender="coord@example.org")
    assert subject(r[0]).startswith("CONFIRM ") and "llevar a cabo" in subject(r[0]), \
        subject(r[0])
    assert "una dirección de coordinación" in body(r[0]) and lang_of(r[0]) == "es", body(r[0])
    # STATS counts by country, sector and stage in the coordinators' language
    _, r = bot.send("SIGNUP", form("Jörg", "Deutschland", "Deutsch"), sender="jorg@example.org")
    reply_to(bot, r[0], sender="jorg@example.org")
    _, r = bot.send("STATS", sender="coord@example.org",
                    headers={"Authentication-Results": AR_OK})
    text = " ".join(body(r[0]).split())
    assert "Alemania 1" in text or "Alemania <5" in text, text
    assert "académica" in text and "Germany" not in text and "academic" not in text, text


@test
def coordinators_read_names_in_their_language(bot):
    """In a network whose default language is Spanish, the matching preview names the
    countries of the one left unmatched in Spanish; its CSV keeps the English names, as
    `match --csv` does."""
    with open(bot.conf) as f:
        conf = f.read()
    with open(bot.conf, "w") as f:
        f.write(conf.replace("default_language = English", "default_language = Spanish")
                .replace("languages = es fr pt de\n", ""))
    for who, country in (("de1@example.org", "Deutschland"), ("de2@example.org", "Alemania"),
                         ("fr1@example.org", "Francia")):
        _, r = bot.send("SIGNUP", form(who[:3], country, "English"), sender=who,
                        now="2026-03-01T09:00:00Z")
        reply_to(bot, r[0], sender=who, now="2026-03-01T09:00:00Z")
    h = {"Authentication-Results": AR_OK}
    bot.send("ROUND OPEN 2026A", "Signup closes: 2026-03-10\nStarts: 2026-03-15\n",
             sender=COORD, headers=h, now="2026-03-02T09:00:00Z")
    _, r = bot.send("MATCH", sender=COORD, headers=h, now="2026-03-11T09:00:00Z")
    text = body(r[0])
    assert lang_of(r[0]) == "es" and "Alemania" in text and "Germany" not in text, text
    csv = [p for p in r[0].walk() if p.get_content_type() == "text/csv"]
    assert csv and "Germany" in csv[0].get_payload(decode=True).decode("utf-8-sig"), \
        [p.get_content_type() for p in r[0].walk()]


def main():
    # every bot of this suite writes mail in the shipped language sets (e2e.py's config
    # ends inside [program])
    for cls in (e2e.Bot, e2e.LabBot):
        cls.__init__.__defaults__ = ("languages = es fr pt de\n",)
    e2e.run_suite(TESTS, "lang")


if __name__ == "__main__":
    main()
