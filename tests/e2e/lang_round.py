#!/usr/bin/env python3
"""A round across languages, end to end on the real binary (`ilnbot once --now T`), issue
#15 parts 1 and 4: an introduction is written in a language both partners read, either
partner's Mail language first; a Mandarin speaker is paired with a Chinese speaker, never
with a Cantonese one; a digest's frame comes in each recipient's language and the topic
as the coordinator wrote it, in any charset his client used; a repeated pass sends no
digest twice; the privacy canary (coordinator-only notes) reaches no partner and no digest;
a UTF-8 local part (RFC 6531) answered through an SMTP relay that offers SMTPUTF8 (a
scripted one here), set aside with a clear log line when the relay does not.
Maildir only: the lab's mail server knows none of these people (with --transport lab every
test passes without running). Usage: lang_round.py [BINARY]. Prints "N passed, N failed"."""
import os
import re
import shutil
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from e2e import subject, reply_to  # noqa: E402

COORD = "coord@example.org"
AR_OK = ("mx.example.org; dkim=pass header.d=example.org header.i=@example.org; "
         "dmarc=pass header.from=example.org")
SECRET = "NOTE9CANARY"

ES_DIGEST = """Subject: {{network_name}}: temas de conversación: {{titles}}

Hola:

Estos son los temas de conversación de {{network_name}} para la próxima quincena.

{{topics}}

Para dejar de recibir estos temas, envía UNSUBSCRIBE a {{address}}.

-- 
{{network_name}} <{{address}}>
"""


def body(m):
    return e2e.body(m).replace("\r\n", "\n")


def lang_of(m):
    return str(m["Content-Language"] or "")


def form(i, country, langs, mail=None):
    f = (f"Name: Person {i}\nCountry: {country}\nSector: academic\nWorkplace: Biblioteca {i}\n"
         f"Years: 3\nInterests: cataloguing\nLanguages: {langs}\nNotes: {SECRET}{i}\n"
         f"Digest: yes\n")
    return f + (f"Mail language: {mail}\n" if mail else "")


def enrol(bot, people):
    for i, (who, country, langs, mail) in enumerate(people):
        _, r = bot.send("SIGNUP", form(i, country, langs, mail), sender=who,
                        now="2026-03-01T09:00:00Z")
        assert subject(r[0]).startswith("CONFIRM "), body(r[0])
        reply_to(bot, r[0], sender=who, now="2026-03-01T09:00:00Z")


def coord(bot, subj, text="", now="2026-03-02T09:00:00Z", raw=None):
    return bot.send(subj, text, sender=COORD, now=now, headers={"Authentication-Results": AR_OK})


def round_approved(bot):
    coord(bot, "ROUND OPEN 2026A", "Signup closes: 2026-03-10\nStarts: 2026-03-15\n")
    coord(bot, "MATCH", now="2026-03-11T09:00:00Z")
    _, r = coord(bot, "APPROVE", now="2026-03-12T09:00:00Z")
    intro = {}
    for m in r:
        to = sorted(a.strip() for a in str(m["To"]).split(","))
        if len(to) == 2:
            intro[tuple(to)] = m
    return intro, r


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def the_second_partners_mail_language_counts_as_the_firsts(bot):
    if e2e.MODE == "lab":
        return  # its people are no users of the lab's mail server
    # a lists Spanish before French; b lists French first and chose it: French, both ways
    enrol(bot, [("a@example.org", "Spain", "Spanish, French", None),
                ("b@example.org", "Belgium", "French, Spanish", "French"),
                ("c@example.org", "Brazil", "Portuguese, German", None),
                ("d@example.org", "Austria", "German, Portuguese", "German")])
    intro, r = round_approved(bot)
    assert len(intro) == 2, [subject(m) for m in r]
    for pair, m in intro.items():
        if "b@example.org" in pair:
            assert lang_of(m) == "fr" and "voici votre binôme" in subject(m), (pair, subject(m))
        else:
            # c lists Portuguese first; d chose German, which c reads: German
            assert lang_of(m) == "de", (pair, lang_of(m), subject(m))
        assert SECRET not in body(m), body(m)


@test
def mandarin_is_paired_with_chinese_not_with_cantonese(bot):
    if e2e.MODE == "lab":
        return
    enrol(bot, [("mandarin@example.org", "China", "Mandarin Chinese", None),
                ("cantonese@example.org", "Hong Kong", "Cantonese", None)])
    intro, r = round_approved(bot)
    assert intro == {}, [subject(m) for m in r]   # Mandarin and Cantonese share nothing
    bot2 = e2e.Bot("languages = es fr pt de\n")
    try:
        enrol(bot2, [("mandarin@example.org", "China", "Mandarin Chinese", None),
                     ("chinese@example.org", "Singapore", "Chinese, English", None)])
        intro, r = round_approved(bot2)
        assert set(intro) == {("chinese@example.org", "mandarin@example.org")}, \
            [subject(m) for m in r]
        m = intro[("chinese@example.org", "mandarin@example.org")]
        assert lang_of(m) == "en", lang_of(m)     # no Chinese set: the default
        assert SECRET not in body(m), body(m)
    finally:
        bot2.close()


def with_spanish_digest(bot):
    tdir = os.path.join(bot.dir, "templates")
    shutil.copytree(os.path.join(e2e.TOP, "templates"), tdir)
    with open(os.path.join(tdir, "es", "digest.txt"), "w") as f:
        f.write(ES_DIGEST)
    with open(bot.conf) as f:
        conf = f.read().replace(f"templates = {e2e.TOP}/templates", f"templates = {tdir}")
    with open(bot.conf, "w") as f:
        f.write(conf)


# (charset, client, title, text): a topic as a coordinator's client sends it
TOPIC_MAIL = [
    ("koi8-r", "Outlook", "Каталогизация", "Как мы описываем редкие книги."),
    ("shift_jis", "Apple", "目録作業", "稀覯本の記述について。"),
]


def topic_mail(cs, client, title, text, now):
    import email.header
    mailer = {"Outlook": "Microsoft Outlook 16.0", "Apple": "Apple Mail (2.3774)"}[client]
    subj = email.header.Header("TOPIC " + title, cs).encode()
    return ((f"From: {COORD}\r\nTo: {e2e.BOT}\r\nSubject: {subj}\r\n"
             f"Message-ID: <{os.urandom(6).hex()}@client.example>\r\n"
             f"Date: Mon, 16 Mar 2026 09:00:00 +0000\r\nX-Mailer: {mailer}\r\n"
             f"Authentication-Results: {AR_OK}\r\nMIME-Version: 1.0\r\n"
             f"Content-Type: text/plain; charset=\"{cs}\"\r\n"
             f"Content-Transfer-Encoding: 8bit\r\n\r\n").encode()
            + text.encode(cs) + b"\r\n")


@test
def a_digest_frame_in_each_readers_language_the_topic_as_written(bot):
    if e2e.MODE == "lab":
        return
    with_spanish_digest(bot)
    enrol(bot, [("es1@example.org", "Spain", "Spanish", None),
                ("es2@example.org", "Argentina", "Spanish", None),
                ("en1@example.org", "Ireland", "English", None),
                ("en2@example.org", "Canada", "English, Spanish", None)])
    intro, r = round_approved(bot)
    assert len(intro) == 2, [subject(m) for m in r]
    for cs, client, title, text in TOPIC_MAIL:
        bot.drop(topic_mail(cs, client, title, text, "2026-03-16T09:00:00Z"))
        bot.run(now="2026-03-16T09:00:00Z")
        r = bot.replies()
        assert "queued for the next digest" in body(r[0]), (cs, body(r[0]))
    bot.run(now="2026-03-29T00:30:00Z")
    got = {str(m["To"]): m for m in bot.replies()}
    assert set(got) == {"es1@example.org", "es2@example.org", "en1@example.org",
                        "en2@example.org"}, list(got)
    for who, m in got.items():
        html = m.get_body(("html",)).get_content()
        text = body(m)
        for _, _, title, t in TOPIC_MAIL:      # the topics as the coordinator wrote them
            assert title in text and t in text and title in html, (who, text)
        assert SECRET not in text and SECRET not in html, who
        assert m["List-Unsubscribe"], who
        if who.startswith("es"):
            assert lang_of(m) == "es" and "temas de conversación" in subject(m), (who, subject(m))
            assert "Estos son los temas" in text and "Estos son los temas" in html, text
        else:
            # en2 lists English first: the default set
            assert lang_of(m) == "en" and "discussion topics" in subject(m), (who, subject(m))
    # a second pass the same day, and the next morning: no digest twice
    bot.run(now="2026-03-29T12:00:00Z")
    bot.run(now="2026-03-30T00:30:00Z")
    assert [subject(m) for m in bot.replies()] == []


class Relay:
    """A scripted SMTP server on 127.0.0.1 that accepts everything, offering SMTPUTF8 or
    not; it keeps each transaction's MAIL and RCPT lines and data."""

    def __init__(self, utf8, port=0):
        self.utf8 = utf8
        self.got = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.session, args=(c,), daemon=True).start()

    def session(self, c):
        f = c.makefile("rwb")

        def say(line):
            f.write(line.encode() + b"\r\n")
            f.flush()
        say("220 relay.example ESMTP")
        cur = None
        while True:
            line = f.readline()
            if not line:
                break
            cmd = line.rstrip(b"\r\n")
            up = cmd.upper()
            if up.startswith(b"EHLO"):
                caps = ["250-relay.example", "250-PIPELINING"]
                if self.utf8:
                    caps.append("250-SMTPUTF8")
                say("\r\n".join(caps + ["250 8BITMIME"]))
            elif up.startswith(b"MAIL FROM:"):
                cur = {"mail": cmd.decode("utf-8"), "rcpt": [], "data": b""}
                say("250 ok")
            elif up.startswith(b"RCPT TO:"):
                cur["rcpt"].append(cmd.decode("utf-8"))
                say("250 ok")
            elif up == b"DATA":
                say("354 go")
                while True:
                    d = f.readline()
                    if d in (b".\r\n", b""):
                        break
                    cur["data"] += d[1:] if d.startswith(b"..") else d
                self.got.append(cur)
                say("250 queued")
            elif up == b"QUIT":
                say("221 bye")
                break
            else:
                say("250 ok")
        c.close()

    def close(self):
        self.sock.close()


def smtp_bot(relay):
    class SmtpBot(e2e.Bot):
        def transport_conf(self):
            return f"""[inbound]
transport = maildir
maildir = var/inbox

[outbound]
transport = smtp
smtp_host = 127.0.0.1
smtp_port = {relay.port}
smtp_tls = none
smtp_timeout_seconds = 5
"""
    return SmtpBot("languages = es fr pt de\n")


UTF8_HELP = ("From: J\u00f6rg <j\u00f6rg@example.org>\r\nTo: iln@example.org\r\nSubject: HELP\r\n"
             "Message-ID: <u8help@client.example>\r\n\r\nhi\r\n").encode()


@test
def a_utf8_local_part_is_answered_when_the_relay_offers_smtputf8(bot):
    if e2e.MODE == "lab":
        return
    for utf8 in (True, False):
        relay = Relay(utf8)
        b = smtp_bot(relay)
        try:
            b.drop(UTF8_HELP)
            b.drop(b"From: <ana@example.org>\r\nTo: iln@example.org\r\nSubject: HELP\r\n"
                   b"Message-ID: <asciihelp@client.example>\r\n\r\nhi\r\n")
            b.run()
            rcpts = [r for t in relay.got for r in t["rcpt"]]
            assert "RCPT TO:<ana@example.org>" in rcpts, relay.got    # ASCII mail goes as ever
            if utf8:
                assert b.rejected() == 0, b.log[-2000:]
                t = [t for t in relay.got if "RCPT TO:<jörg@example.org>" in t["rcpt"]]
                assert len(t) == 1, relay.got
                assert t[0]["mail"].endswith(" SMTPUTF8"), t[0]["mail"]
                assert b"To: j\xc3\xb6rg@example.org" in t[0]["data"], t[0]["data"][:400]
                a = [t for t in relay.got if "RCPT TO:<ana@example.org>" in t["rcpt"]]
                assert not a[0]["mail"].endswith("SMTPUTF8"), a[0]["mail"]
            else:
                assert b.rejected() == 1, b.log[-2000:]
                assert len(relay.got) == 1, relay.got
                assert ("UTF-8 local part in From (RFC 6531): set aside, the relay does not "
                        "offer SMTPUTF8") in b.log, b.log[-2000:]
        finally:
            b.close()
            relay.close()


@test
def a_relay_that_cannot_be_asked_sets_aside_until_reprocess(bot):
    """The relay is asked before the inbound transaction, never inside it: when it cannot
    be reached the mail is set aside with the reason, and `ilnbot reprocess` answers it
    once the relay is back (asking it outside the reprocessing transaction too)."""
    if e2e.MODE == "lab":
        return
    down = Relay(True)
    down.close()
    b = smtp_bot(down)
    relay = None
    try:
        b.drop(UTF8_HELP)
        b.run()
        assert b.rejected() == 1, b.log[-2000:]
        assert "the relay could not be asked whether it offers SMTPUTF8" in b.log, b.log[-2000:]
        p = b.run(args=("rejected",))
        ids = re.findall(r"(?m)^(\d+)\s", p.stdout.decode())
        assert len(ids) == 1, p.stdout
        relay = Relay(True, down.port)
        p = b.run(args=("reprocess", ids[0]))
        assert f"{ids[0]}: processed" in p.stdout.decode(), p.stdout
        b.run()
        t = [t for t in relay.got if "RCPT TO:<jörg@example.org>" in t["rcpt"]]
        assert len(t) == 1 and t[0]["mail"].endswith(" SMTPUTF8"), relay.got
    finally:
        b.close()
        if relay:
            relay.close()


def main():
    for cls in (e2e.Bot, e2e.LabBot):
        cls.__init__.__defaults__ = ("languages = es fr pt de\n",)
    e2e.run_suite(TESTS, "lang_round")


if __name__ == "__main__":
    main()
