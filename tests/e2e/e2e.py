#!/usr/bin/env python3
"""End-to-end conversations: the real ilnbot binary on the Maildir or the IMAP+SMTP transports.

Each test makes its own folder with a configuration, puts messages in, runs
`ilnbot once --now T`, and reads the replies with Python's own email parser (an
independent check of what ilnbot writes).
  maildir: messages are dropped into the inbound Maildir, replies read from the outbound one.
  lab:     the private Dovecot + Postfix of tests/lab/lab.sh (an already running one named
           by LAB_ENV=DIR/env, else one started for this run). A participant's mail is
           submitted with swaks (STARTTLS, AUTH) through Postfix to iln@example.org; ilnbot
           fetches it over IMAPS and sends through Postfix's submission port (STARTTLS, AUTH);
           replies are read back from the participants' mailboxes over IMAPS. The suite's
           addresses are mapped onto the lab's users (A()); malformed mail goes in with
           `doveadm save`. Every mailbox is emptied and the store is new for each test.
Usage: e2e.py [--transport maildir|lab] [BINARY] (or E2E_TRANSPORT=lab).
Prints "N passed, N failed" last.
"""
import email
import email.policy
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from email.header import decode_header, make_header
from email.message import EmailMessage

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args(argv):
    mode, rest = os.environ.get("E2E_TRANSPORT", "maildir"), []
    i = 0
    while i < len(argv):
        if argv[i] == "--transport" and i + 1 < len(argv):
            mode = argv[i + 1]
            i += 2
            continue
        if argv[i].startswith("--transport="):
            mode = argv[i].split("=", 1)[1]
        else:
            rest.append(argv[i])
        i += 1
    if mode not in ("maildir", "lab"):
        sys.exit(f"e2e.py: unknown transport {mode} (maildir or lab)")
    return mode, (rest[0] if rest else os.path.join(TOP, "build", "ilnbot"))


MODE, _bin = parse_args(sys.argv[1:])
BIN = os.path.abspath(_bin)
LAB = None          # the labkit.Lab in lab mode

# The suite's addresses on the lab's users (only these exist there). Identity on Maildirs.
LAB_ADDRS = {
    "ana@example.org": "alice@example.org",
    "ana.new@example.org": "bob@example.org",
    "bo@example.org": "bob@example.org",
    "mallory@example.net": "carol@example.org",
    "reader@example.com": "carol@example.org",
    "eve@example.org": "carol@example.org",
}
_addr_re = re.compile(r"(?<![\w.+-])(" + "|".join(re.escape(a) for a in LAB_ADDRS) + r")(?![\w-])")


def A(addr):
    """The address a test's participant has in this mode."""
    return LAB_ADDRS.get(addr, addr) if MODE == "lab" else addr


def map_addrs(raw):
    if MODE != "lab":
        return raw
    b = raw if isinstance(raw, bytes) else raw.encode()
    return re.sub(_addr_re.pattern.encode(), lambda m: LAB_ADDRS[m.group(1).decode()].encode(), b)
BOT = "iln@example.org"
NOW = "2026-03-02T10:00:00Z"

FORM = """Name: Ana Pereira
Country: Brazil
Sector: academic
Workplace: Universidade de São Paulo
Years: 3
Interests: cataloguing, open access, research data
Languages: Portuguese, English
About: I like metadata.
Partner sector: same
Partner stage: different
Notes: prefers mornings
Digest: no
"""


class Bot:
    def __init__(self, extra=""):
        self.dir = tempfile.mkdtemp(prefix="ilnbot-e2e-")
        self.conf = os.path.join(self.dir, "ilnbot.conf")
        with open(self.conf, "w") as f:
            f.write(f"""[network]
name = Example Librarians Network
address = {BOT}
coordinators = coord@example.org
trusted_authserv_id = mx.example.org
default_language = English

[store]
path = var/ilnbot.db

{self.transport_conf()}
[program]
templates = {TOP}/templates        ; the folder of mail templates
token_days = 7
replies_per_sender_per_day = 10
{extra}""")
        self.inbox = os.path.join(self.dir, "var", "inbox")
        self.outbox = os.path.join(self.dir, "var", "outbox")
        self.seen = set()
        self.n = 0
        self.log = ""

    def transport_conf(self):
        return """[inbound]
transport = maildir
maildir = var/inbox

[outbound]
transport = maildir
maildir = var/outbox
"""

    def inbox_state(self):
        """(messages waiting, messages processed) in the inbound mailbox."""
        return (len(os.listdir(os.path.join(self.inbox, "new"))),
                len(os.listdir(os.path.join(self.inbox, "cur"))))

    def rejected(self):
        return len(os.listdir(os.path.join(self.inbox, ".Rejected", "cur")))

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def drop(self, raw, verbatim=False, env_from=None):
        os.makedirs(os.path.join(self.inbox, "new"), exist_ok=True)
        self.n += 1
        path = os.path.join(self.inbox, "new", f"{self.n:06d}.test")
        with open(path, "wb") as f:
            f.write(raw if isinstance(raw, bytes) else raw.encode())
        return path

    def run(self, now=NOW, args=("once",)):
        cmd = [BIN] + list(args) + ["-c", self.conf, "--now", now]
        p = subprocess.run(cmd, capture_output=True, timeout=60)
        err = p.stderr.decode(errors="replace")
        self.log += err
        assert p.returncode == 0, f"exit {p.returncode}: {err}"
        # a sender giving a template a variable the table of mail kinds does not list
        assert "mail_kinds[]" not in err, err
        return p

    def replies(self):
        """The replies written since the last call, oldest first, as parsed messages."""
        d = os.path.join(self.outbox, "new")
        out = []
        if not os.path.isdir(d):
            return out
        for name in sorted(os.listdir(d), key=lambda n: os.stat(os.path.join(d, n)).st_mtime_ns):
            if name in self.seen:
                continue
            self.seen.add(name)
            with open(os.path.join(d, name), "rb") as f:
                raw = f.read()
            check_wire(raw)
            m = email.message_from_bytes(raw, policy=email.policy.default)
            m.raw = raw
            out.append(m)
        return out

    def send(self, subject, body="", sender="ana@example.org", now=NOW, headers=None,
             msgid=None, name=None):
        m = EmailMessage()
        sender = A(sender)
        m["From"] = f"{name} <{sender}>" if name else sender
        m["To"] = BOT
        m["Subject"] = subject
        m["Date"] = "Mon, 02 Mar 2026 09:00:00 +0000"
        self.n += 0
        m["Message-ID"] = msgid or f"<t{len(self.seen)}-{os.urandom(6).hex()}@client.example>"
        env_from = sender
        for k, v in (headers or {}).items():
            m[k] = v
            if k == "Return-Path" and v == "<>":
                env_from = ""           # a real null envelope sender in lab mode
        m.set_content(body)
        self.drop(bytes(m), env_from=env_from)
        self.run(now=now)
        return m, self.replies()


class LabBot(Bot):
    """The same conversations over IMAP in, SMTP out, against the lab's servers."""

    def transport_conf(self):
        return LAB.bot_conf(self.dir)

    def __init__(self, extra=""):
        super().__init__(extra)
        self.db = os.path.join(self.dir, "var", "ilnbot.db")
        self.pending = 0            # messages sent to the bot and not yet run
        self.looked = set()         # outbox Message-IDs already looked at (ids are reused
                                    # after an erasure, so not a row-id cursor)
        self.uid = {}               # user -> last UID read from their INBOX
        self.copies = {}            # (user, Message-ID) -> delivered copies

    def drop(self, raw, verbatim=False, env_from=None):
        raw = map_addrs(raw if isinstance(raw, bytes) else raw.encode())
        if verbatim:
            LAB.save(BOT, raw)
        else:
            if env_from is None:
                m = re.search(rb"(?im)^From:[^\r\n]*?([\w.+-]+@[\w.-]+)", raw)
                env_from = m.group(1).decode() if m else "alice@example.org"
            LAB.swaks(env_from, BOT, raw.replace(b"\r\n", b"\n"))
        self.pending += 1

    def run(self, now=NOW, args=("once",)):
        got = LAB.wait_count(BOT, self.pending)
        assert got >= self.pending, f"only {got} of {self.pending} messages reached {BOT}"
        p = super().run(now=now, args=args)
        left = LAB.count(BOT)
        assert left == 0, f"{left} messages left in {BOT}'s INBOX after a pass"
        self.pending = 0
        return p

    def inbox_state(self):
        return (LAB.count(BOT), LAB.count(BOT, "Processed"))

    def rejected(self):
        return LAB.count(BOT, "Rejected")

    def _outbox_since(self):
        con = sqlite3.connect(self.db)
        try:
            rows = con.execute("select id, key, message_id, rcpts, status, last_error, raw "
                               "from outbox order by id").fetchall()
            return [r for r in rows if r[2] not in self.looked]
        finally:
            con.close()

    def _unhash(self, rcpts):
        """Mail of an erasure keeps only a keyed hash of its recipient once it has left
        (HMAC-SHA256 of the lowercased address with the key in <store>.key): which of the
        lab's users it was."""
        if not rcpts.startswith("h:"):
            return rcpts
        import hmac
        with open(self.db + ".key", "rb") as f:
            key = f.read()
        for u in LAB_USERS:
            if "h:" + hmac.new(key, u.lower().encode(), "sha256").hexdigest() == rcpts:
                return u
        raise AssertionError(f"a hashed recipient that is none of the lab's users: {rcpts}")

    def _scan(self):
        """Read every new message in the participants' INBOXes; count copies."""
        for user in LAB_USERS:
            for uid, raw in LAB.fetch(user, after_uid=self.uid.get(user, 0)):
                self.uid[user] = uid
                m = email.message_from_bytes(raw, policy=email.policy.default)
                key = (user, str(m["Message-ID"]))
                self.copies.setdefault(key, []).append(raw)

    def replies(self):
        """The replies ilnbot sent since the last call, in the order it queued them, each
        read back from its first recipient's INBOX; every recipient must get one copy."""
        if not os.path.exists(self.db):
            return []
        rows = self._outbox_since()
        want = []
        for oid, key, msgid, rcpts, status, err, raw in rows:
            self.looked.add(msgid)
            rcpts = self._unhash(rcpts)
            assert status == "sent", f"outbox {key} to {rcpts!r}: {status}: {err}"
            if raw:             # sent_keep_days = 0 purges the body once delivered
                check_wire(bytes(raw))
            want.append((msgid, rcpts.split("\n")))
        deadline = time.monotonic() + 20
        while True:
            self._scan()
            missing = [(mid, r) for mid, rs in want for r in rs if (r, mid) not in self.copies]
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert not missing, f"never delivered: {missing}"
        out = []
        for mid, rs in want:
            for r in rs:
                n = len(self.copies[(r, mid)])
                assert n == 1, f"{mid} reached {r} {n} times"
            raw = self.copies[(rs[0], mid)][0]
            m = email.message_from_bytes(raw, policy=email.policy.default)
            rp = str(m["Return-Path"])
            assert re.fullmatch(r"<iln\+[A-Za-z0-9_-]+@example\.org>", rp), rp   # VERP
            m.raw = raw
            out.append(m)
        return out


LAB_USERS = ("alice@example.org", "bob@example.org", "carol@example.org",
             "coord@example.org", "iln@example.org")


def check_wire(raw):
    """What every message ilnbot writes must satisfy on the wire."""
    assert raw.endswith(b"\r\n"), "message must end with CRLF"
    assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF"
    assert b"\r" not in raw.replace(b"\r\n", b""), "bare CR"
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        assert len(line) <= 998, "header line too long"
        assert all(32 <= c < 127 or c == 9 for c in line), f"non-ASCII header: {line!r}"


def subject(m):
    return str(make_header(decode_header(m["Subject"])))


def body(m):
    return m.get_body(("plain",)).get_content()


def check_reply(req, rep, to="ana@example.org"):
    assert rep["To"] == A(to), rep["To"]
    assert rep["In-Reply-To"] == req["Message-ID"], (rep["In-Reply-To"], req["Message-ID"])
    assert req["Message-ID"] in rep["References"]
    assert rep["Auto-Submitted"] == "auto-replied"
    assert rep["X-Loop"] == BOT
    assert re.fullmatch(r"<[^<>@\s]+@example\.org>", rep["Message-ID"]), rep["Message-ID"]
    assert rep["Date"]
    assert rep["Content-Type"].params.get("charset", "").lower() == "utf-8"
    assert rep["Content-Transfer-Encoding"] == "quoted-printable"


def token_of(rep):
    m = re.match(r"CONFIRM ([0-9a-f]{32})\b", subject(rep))
    assert m, subject(rep)
    return m.group(1)


def reply_to(bot, rep, sender="ana@example.org", text="Yes, please.", now=NOW):
    """Answer a bot message the way a mail client does: Re: + quoted text."""
    quoted = "\n".join("> " + l for l in body(rep).splitlines())
    return bot.send("Re: " + subject(rep), f"{text}\n\nOn Mon, 2 Mar 2026, {BOT} wrote:\n{quoted}\n",
                    sender=sender, now=now, headers={"In-Reply-To": rep["Message-ID"]})


def signup(bot, sender="ana@example.org", form=FORM):
    _, reps = bot.send("SIGNUP", form, sender=sender)
    assert len(reps) == 1, reps
    _, reps2 = reply_to(bot, reps[0], sender=sender)
    assert len(reps2) == 1
    assert "Welcome" in body(reps2[0]), body(reps2[0])
    return reps2[0]


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def help_reply_is_threaded(bot):
    req, reps = bot.send("help")
    assert len(reps) == 1
    check_reply(req, reps[0])
    assert subject(reps[0]) == "Re: help"
    assert "SIGNUP" in body(reps[0]) and "UNSUBSCRIBE" in body(reps[0])
    assert bot.inbox_state() == (0, 1), bot.inbox_state()


@test
def unknown_command_gets_help(bot):
    req, reps = bot.send("Re: [ILN] Hello there")
    assert len(reps) == 1
    assert '"Hello"' in body(reps[0])


@test
def signup_confirm_show(bot):
    req, reps = bot.send("SIGNUP", FORM)
    assert len(reps) == 1
    rep = reps[0]
    check_reply(req, rep)
    token_of(rep)
    b = " ".join(body(rep).split())
    for want in ("within a week", "confidential", "code of conduct", "Country: Brazil",
                 "Name: Ana Pereira"):
        assert want in b, want
    # nothing stored before confirming
    _, r = bot.send("SHOW")
    assert "not registered" in body(r[0])
    req2, reps2 = reply_to(bot, rep)
    assert len(reps2) == 1
    check_reply(req2, reps2[0])
    assert "Welcome" in body(reps2[0])
    _, r = bot.send("MYDATA")
    b = body(r[0])
    assert "Partner stage: different" in b and "Notes: prefers mornings" in b, b
    assert "Workplace: Universidade de São Paulo" in b


@test
def signup_with_problems_names_each(bot):
    form = FORM.replace("Country: Brazil", "Country: Atlantis").replace("Years: 3", "Years: lots")
    form = form.replace("Sector: academic", "Sector: bakery")
    _, reps = bot.send("JOIN", form)
    b = body(reps[0])
    assert "Country" in b and "Atlantis" in b, b
    assert "Years" in b and "Sector" in b
    assert "Nothing has been stored" in b
    assert "Name: Ana Pereira" in b  # the filled-in form comes back
    _, r = bot.send("SHOW")
    assert "not registered" in body(r[0])


@test
def confirm_token_rules(bot):
    _, reps = bot.send("APPLY", FORM)
    tok = token_of(reps[0])
    # from another address: refused, and nothing is revealed
    _, r = bot.send(f"CONFIRM {tok}", sender="mallory@example.net")
    assert "not one we sent" in body(r[0])
    # unknown token
    _, r = bot.send("CONFIRM " + "0" * 32)
    assert "not one we sent" in body(r[0])
    # expired
    _, r = bot.send(f"CONFIRM {tok}", now="2026-03-10T10:00:01Z")
    assert "expired" in body(r[0])
    # a fresh one works once
    _, reps = bot.send("SIGNUP", FORM)
    tok = token_of(reps[0])
    _, r = bot.send(f"confirm {tok}")
    assert "Welcome" in body(r[0])
    _, r = bot.send(f"CONFIRM {tok}")
    assert "already been used" in body(r[0])


@test
def update_and_status(bot):
    signup(bot)
    _, r = bot.send("UPDATE", "Years: 20\nPartner sector: public, school\n")
    b = body(r[0])
    assert "Years: 20" in b and "Partner sector: public, school" in b, b
    _, r = bot.send("UPDATE", "Years: -4\n")
    assert "Years" in body(r[0]) and "Nothing has changed" in body(r[0])
    _, r = bot.send("STATUS")
    assert "waiting for the next round" in body(r[0])


@test
def withdraw_needs_confirmation(bot):
    signup(bot)
    _, r = bot.send("WITHDRAW", "I am too busy")
    assert token_of(r[0])
    _, s = bot.send("STATUS")
    assert "active" in body(s[0])
    _, r2 = reply_to(bot, r[0])
    assert "withdrawn" in body(r2[0])
    _, s = bot.send("STATUS")
    assert "withdrawn" in body(s[0])


@test
def change_address(bot):
    """CHANGE needs both ends: the old address confirms it asked, then the new one that
    it receives mail; the record moves only then."""
    signup(bot)
    _, r = bot.send("CHANGE ana.new@example.org")
    assert len(r) == 1, r
    first = r[0]
    assert first["To"] == A("ana@example.org"), first["To"]
    assert A("ana.new@example.org") in body(first) and "both" in body(first)
    _, r = bot.send(f"CONFIRM {token_of(first)}", sender="ana.new@example.org")
    assert "not one we sent" in body(r[0])
    _, r = reply_to(bot, first)
    assert len(r) == 2, r
    verify = [m for m in r if m["To"] == A("ana.new@example.org")][0]
    pending = [m for m in r if m["To"] == A("ana@example.org")][0]
    assert "second confirmation" in body(pending)
    _, r = bot.send("SHOW", sender="ana.new@example.org")
    assert "not registered" in body(r[0]), "moved before the new address confirmed"
    _, r = reply_to(bot, verify, sender="ana.new@example.org")
    assert "has moved" in body(r[0])
    assert r[0]["Cc"] == A("ana@example.org")
    _, r = bot.send("SHOW", sender="ana.new@example.org")
    assert "Ana Pereira" in body(r[0])
    _, r = bot.send("SHOW", sender="ana@example.org")
    assert "not registered" in body(r[0])


@test
def change_forged_from_hands_nothing_over(bot):
    """A forged From asking CHANGE to the attacker's address: the token goes to the real
    owner only; the attacker's address hears nothing and the record stays."""
    signup(bot)
    _, r = bot.send("CHANGE mallory@example.net")
    assert [m["To"] for m in r] == [A("ana@example.org")], [m["To"] for m in r]
    assert all(A("mallory@example.net") not in str(m["To"]) + str(m["Cc"]) for m in r)
    _, r = bot.send("SHOW", sender="mallory@example.net")
    assert "not registered" in body(r[0])
    _, r = bot.send("SHOW")
    assert "Ana Pereira" in body(r[0])


@test
def change_to_bad_or_taken_address(bot):
    """An address with two '@' gets no token at all; a taken address looks like any
    other to the requester, and its owner is the one told."""
    signup(bot)
    _, r = bot.send("CHANGE a@b@example.org")
    assert len(r) == 1 and "CONFIRM" not in subject(r[0]), subject(r[0])
    assert "CHANGE needs" in body(r[0])
    for bad in ("CHANGE x@localhost", "CHANGE x@192.168.1.1", "CHANGE ana@example.org"):
        _, r = bot.send(bad)
        assert len(r) == 1 and "CONFIRM" not in subject(r[0]), (bad, subject(r[0]))
    signup(bot, sender="bo@example.org", form=FORM.replace("Ana Pereira", "Bo Li"))
    _, r = bot.send("CHANGE bo@example.org")
    assert len(r) == 1 and r[0]["To"] == A("ana@example.org") and token_of(r[0])
    _, r = reply_to(bot, r[0])
    tos = sorted(str(m["To"]) for m in r)
    assert tos == sorted([A("ana@example.org"), A("bo@example.org")]), tos
    pending = [m for m in r if m["To"] == A("ana@example.org")][0]
    told = [m for m in r if m["To"] == A("bo@example.org")][0]
    assert "second confirmation" in body(pending)
    assert "already has a record" in body(told) and "CONFIRM" not in subject(told)
    _, r = bot.send("SHOW")
    assert "Ana Pereira" in body(r[0])


@test
def newer_request_supersedes_older_token(bot):
    """An older signup token confirmed after a newer signup does nothing."""
    _, r1 = bot.send("SIGNUP", FORM)
    _, r2 = bot.send("SIGNUP", FORM.replace("Ana Pereira", "Ana P. Pereira"))
    _, r = reply_to(bot, r1[0])
    assert "replaced" in body(r[0]) and "Welcome" not in body(r[0]), body(r[0])
    _, r = reply_to(bot, r2[0])
    assert "Welcome" in body(r[0])
    _, r = bot.send("SHOW")
    assert "Ana P. Pereira" in body(r[0])


@test
def unusual_message_ids_still_get_a_reply(bot):
    """A legal but unusual Message-ID (no '@', a domain literal, a quoted local part)
    costs the reply its In-Reply-To, never the reply."""
    for mid in ("<no-at-sign>", "<abc@[192.0.2.1]>", '<"quoted local"@example.org>',
                '<"q"@example.org>'):
        _, r = bot.send("HELP", msgid=mid)
        assert len(r) == 1, mid
        assert r[0]["In-Reply-To"] in (None, mid), (mid, r[0]["In-Reply-To"])


@test
def forged_coordinator_asks_for_a_token(bot):
    """Text a sender controls inside our own Authentication-Results (a quoted
    smtp.mailfrom, a comment, a reason) never makes a coordinator; the confirmation
    request names the command and its parameters."""
    forged = [
        'mx.example.org; spf=fail smtp.mailfrom="x;dkim=pass header.d=example.org "@evil.example',
        'mx.example.org; spf=fail (dkim=pass header.d=example.org) smtp.mailfrom=evil.example',
        'mx.example.org; dkim=fail reason="dkim=pass header.d=example.org" header.d=evil.example',
    ]
    for h in forged:
        _, r = bot.send("ROUND OPEN 2026B", "Signup closes: 2026-04-01\nStarts: 2026-04-15\n",
                        sender="coord@example.org",
                        headers={"Authentication-Results": h})
        assert len(r) == 1, h
        assert subject(r[0]).startswith("CONFIRM "), subject(r[0])
        text = body(r[0])
        assert "ROUND OPEN 2026B" in text and "Starts: 2026-04-15" in text, text


@test
def subscribe_unsubscribe(bot):
    _, r = bot.send("SUBSCRIBE", sender="reader@example.com")
    _, r2 = reply_to(bot, r[0], sender="reader@example.com")
    assert "will receive" in body(r2[0])
    _, r = bot.send("SUBSCRIBE", sender="reader@example.com")
    assert "already receives" in body(r[0])
    _, r = bot.send("UNSUBSCRIBE", sender="reader@example.com")
    assert "no more discussion topics" in body(r[0])


@test
def delete_erases(bot):
    signup(bot)
    _, r = bot.send("FORGET")
    _, r2 = reply_to(bot, r[0])
    assert "erased" in body(r2[0])
    _, r = bot.send("SHOW")
    assert "not registered" in body(r[0])
    db = os.path.join(bot.dir, "var", "ilnbot.db")
    out = subprocess.run(["sqlite3", db, "select count(*) from participants; "
                          f"select count(*) from inbound where sender='{A('ana@example.org')}' "
                          "and id < (select max(id) from inbound);"],
                         capture_output=True, text=True).stdout.split()
    assert out[0] == "0", out


@test
def partnership_commands_without_partner(bot):
    signup(bot)
    for cmd in ("PROBLEM", "DISSOLVE", "CONTINUE", "CONCLUDE"):
        _, r = bot.send(cmd)
        assert "no partnership" in body(r[0]), cmd


@test
def coordinator_commands_refused_for_others(bot):
    _, r = bot.send("STATS")
    assert "coordinators' command" in body(r[0])


@test
def automated_mail_is_never_answered(bot):
    cases = [{"Auto-Submitted": "auto-replied"}, {"Precedence": "bulk"},
             {"List-Id": "<x.example.org>"}, {"Return-Path": "<>"}, {"X-Loop": BOT}]
    for h in cases:
        _, r = bot.send("HELP", headers=h)
        assert r == [], h
    _, r = bot.send("HELP", sender="MAILER-DAEMON@example.org")
    assert r == []
    _, r = bot.send("HELP", sender=BOT)
    assert r == []


@test
def daily_cap_then_one_notice(bot):
    got = []
    for i in range(13):
        _, r = bot.send("HELP")
        got += r
    assert len(got) == 11, len(got)
    assert "many times today" in body(got[10])
    _, r = bot.send("HELP", now="2026-03-03T10:00:00Z")
    assert len(r) == 1 and "SIGNUP" in body(r[0])


@test
def duplicate_message_id_acted_on_once(bot):
    m, r = bot.send("HELP", msgid="<same@client.example>")
    assert len(r) == 1
    bot.drop(bytes(m))
    bot.drop(bytes(m))
    bot.run()
    assert bot.replies() == []


@test
def bad_from_is_set_aside(bot):
    raw = ("From: a@example.org, b@example.org\r\nTo: iln@example.org\r\nSubject: HELP\r\n"
           "Message-ID: <amb@x>\r\n\r\nhi\r\n")
    bot.drop(raw)
    bot.drop("this is not a mail at all \x00\x01\x02", verbatim=True)
    bot.run()
    assert bot.replies() == []
    rej = bot.rejected()
    assert rej >= 1, rej
    assert "set aside" in bot.log


@test
def non_ascii_and_hostile_subjects(bot):
    req, r = bot.send("Re: Olá, São Paulo ✓ help?", name="José Ñandú")
    check_reply(req, r[0])
    assert subject(r[0]) == "Re: Olá, São Paulo ✓ help?"
    raw = ("From: eve@example.org\r\nTo: iln@example.org\r\n"
           "Subject: =?utf-8?b?SEVMUA0KQmNjOiB2aWN0aW1AZXhhbXBsZS5vcmc=?=\r\n"
           "Message-ID: <inj@x>\r\n\r\nhi\r\n")
    bot.drop(raw)
    bot.run()
    r = bot.replies()
    assert len(r) == 1
    assert r[0]["Bcc"] is None and r[0]["Cc"] is None
    assert r[0]["To"] == A("eve@example.org")


@test
def html_only_signup_and_outlook_quote(bot):
    html = "<html><body><p>" + FORM.replace("\n", "<br>\n") + "</p></body></html>"
    m = EmailMessage()
    m["From"] = "ana@example.org"
    m["To"] = BOT
    m["Subject"] = "SIGNUP"
    m["Message-ID"] = "<html1@client.example>"
    m.set_content(html, subtype="html")
    bot.drop(bytes(m))
    bot.run()
    r = bot.replies()
    assert len(r) == 1 and token_of(r[0]), body(r[0])
    # an Outlook-style reply whose quoted part holds a hostile form line
    out = ("Years: 9\n\n________________________________\nFrom: iln@example.org\n"
           "Sent: Monday\nYears: 99\n")
    _, r = bot.send("SIGNUP", FORM.replace("Years: 3\n", "") + out, sender="bo@example.org")
    assert token_of(r[0])
    assert "Years: 9" in body(r[0]) and "Years: 99" not in body(r[0])


@test
def deliver_from_stdin(bot):
    m = EmailMessage()
    m["From"] = A("ana@example.org")
    m["To"] = BOT
    m["Subject"] = "HELP"
    m["Message-ID"] = "<stdin1@client.example>"
    m.set_content("hi")
    p = subprocess.run([BIN, "deliver", "-c", bot.conf, "--now", NOW], input=bytes(m),
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert len(bot.replies()) == 1


@test
def check_config(bot):
    p = subprocess.run([BIN, "check-config", "-c", bot.conf], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    with open(bot.conf, "a") as f:
        f.write("bogus_key = 1\n")
    p = subprocess.run([BIN, "check-config", "-c", bot.conf], capture_output=True, text=True)
    assert p.returncode != 0
    assert re.search(r"ilnbot\.conf:\d+: unknown key bogus_key", p.stderr), p.stderr


@test
def check_config_placeholders(bot):
    """A template whose placeholder its sender does not provide (a misspelt {{tokn}}) or
    a missing template is an error naming the file and line."""
    tdir = os.path.join(bot.dir, "templates")
    shutil.copytree(os.path.join(TOP, "templates"), tdir)
    with open(bot.conf) as f:
        conf = f.read().replace(f"templates = {TOP}/templates", f"templates = {tdir}")
    with open(bot.conf, "w") as f:
        f.write(conf)
    p = subprocess.run([BIN, "check-config", "-c", bot.conf], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    path = os.path.join(tdir, "signup_confirm.txt")
    with open(path) as f:
        text = f.read()
    assert "{{token}}" in text
    with open(path, "w") as f:
        f.write(text.replace("{{token}}", "{{tokn}}", 1))
    p = subprocess.run([BIN, "check-config", "-c", bot.conf], capture_output=True, text=True)
    assert p.returncode == 78, (p.returncode, p.stderr)
    assert re.search(r"signup_confirm\.txt:\d+: unknown placeholder \{\{tokn\}\}", p.stderr), p.stderr
    with open(path, "w") as f:
        f.write(text)
    os.unlink(os.path.join(tdir, "stats.txt"))
    p = subprocess.run([BIN, "check-config", "-c", bot.conf], capture_output=True, text=True)
    assert p.returncode == 78, (p.returncode, p.stderr)
    assert "stats.txt is missing" in p.stderr, p.stderr


LAB_TESTS = []


def lab_test(fn):
    LAB_TESTS.append(fn)
    return fn


@lab_test
def lab_sessions_are_encrypted(bot):
    """Every IMAP login of the bot was over TLS, and its mail left through an
    authenticated submission (Postfix offers AUTH only after STARTTLS here)."""
    d0, p0 = LAB.log_size("dovecot"), LAB.log_size("postfix")
    _, r = bot.send("HELP")
    assert len(r) == 1
    dlog, plog = LAB.log_since("dovecot", d0), LAB.log_since("postfix", p0)
    logins = [l for l in dlog.splitlines() if "Login: user=<iln@example.org>" in l]
    assert logins, dlog[-2000:]
    assert all(", TLS" in l for l in logins), logins
    assert "sasl_username=iln@example.org" in plog, plog[-2000:]
    assert "sasl_username=alice@example.org" in plog, plog[-2000:]


def run_suite(tests, name, lab_tests=()):
    """Run tests (functions of a bot) on fresh bots of this mode; print and exit with the
    count. E2E_ONLY=substring picks tests by name. Shared with round.py."""
    global LAB
    only = os.environ.get("E2E_ONLY")
    passed = failed = 0
    make = Bot
    if MODE == "lab":
        sys.path.insert(0, os.path.join(TOP, "tests", "lab"))
        import labkit
        LAB = labkit.Lab()
        tests = list(tests) + list(lab_tests)
        make = LabBot
    t0 = time.monotonic()
    try:
        for fn in tests:
            if only and only not in fn.__name__:
                continue
            t1 = time.monotonic()
            bot = None
            try:
                if LAB:
                    LAB.reset()
                bot = make()
                fn(bot)
                print(f"ok   {fn.__name__}" + (f" ({time.monotonic() - t1:.1f} s)" if LAB else ""))
                passed += 1
            except Exception:
                print(f"FAIL {fn.__name__}")
                traceback.print_exc()
                if bot:
                    print(bot.log[-3000:])
                failed += 1
            finally:
                if bot:
                    bot.close()
            sys.stdout.flush()
    finally:
        if LAB:
            LAB.stop()
    label = name if MODE == "maildir" else f"{name} ({MODE}, {time.monotonic() - t0:.0f} s)"
    print(f"{label}: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def main():
    run_suite(TESTS, "e2e", LAB_TESTS)


if __name__ == "__main__":
    main()
