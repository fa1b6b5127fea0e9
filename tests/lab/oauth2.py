#!/usr/bin/env python3
"""oauth2.py: ilnbot with imap_auth = oauth2 and smtp_auth = oauth2 on the private lab
(tests/lab/lab.sh), whose Dovecot takes XOAUTH2 and OAUTHBEARER and asks a loopback
introspection endpoint; Postfix's submission authenticates through Dovecot, so SMTP
takes them too. The endpoint, and the token endpoint the bot refreshes at, is
oauth2_server.py, which each test starts on LAB_OAUTH2_PORT and stops by its PID.
  signup_over_oauth2   a SIGNUP in iln's INBOX: `ilnbot once` refreshes the token (client
                       secret, refresh token, scope sent), logs in to IMAP and to SMTP with
                       OAUTHBEARER, the reply reaches alice; the rotated refresh token is
                       written back (mode 600) and the next run uses it; no token in the log
  refused_grant        a revoked refresh token: `ilnbot once` exits 78 naming the file and
                       the key, the mail stays unread; a wrong client secret likewise
  endpoint_down        no token endpoint: `ilnbot once` logs it and exits 1 (not 78), the
                       mail stays; `ilnbot run` retries and answers once it is back
Usage: oauth2.py [BINARY] (LAB_ENV=DIR/env to use a running lab). Prints
"oauth2: N passed, N failed" last.
"""
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import labkit  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, "build", "ilnbot"))
BOT = labkit.BOT
NOW = "2026-03-02T10:00:00Z"
CLIENT_ID, CLIENT_SECRET, FIRST_RT = "lab-client", "lab-client-secret", "lab-rt-first"
SCOPE = "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"
LAB = None


def note(msg):
    print("     " + msg)
    sys.stdout.flush()


class Provider:
    """oauth2_server.py in the foreground of a child of ours, stopped by its PID."""

    def __init__(self, folder, rotate=True):
        self.port = int(LAB.env["LAB_OAUTH2_PORT"])
        self.state = os.path.join(folder, "provider.jsonl")
        self.out = open(os.path.join(folder, "provider.out"), "ab")
        args = [sys.executable, os.path.join(HERE, "oauth2_server.py"), str(self.port), self.state,
                "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
                "--refresh-token", FIRST_RT, "--user", BOT]
        if rotate:
            args.append("--rotate")
        self.p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.out,
                                  stderr=subprocess.STDOUT)
        end = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.p.poll() is not None or time.monotonic() > end:
                    self.stop()
                    raise AssertionError("oauth2_server.py did not start")
                time.sleep(0.05)

    def requests(self):
        try:
            with open(self.state) as f:
                return [json.loads(line) for line in f if line.strip()]
        except OSError:
            return []

    def stop(self):
        if self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.p.pid, signal.SIGKILL)
                self.p.wait(10)
        self.out.close()


def secret_file(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, (text + "\n").encode())
    os.close(fd)


class Bot:
    def __init__(self, top, name, smtp_oauth2=True):
        self.dir = os.path.join(top, name)
        os.mkdir(self.dir)
        self.conf = os.path.join(self.dir, "ilnbot.conf")
        self.log = os.path.join(self.dir, "ilnbot.log")
        self.rt = os.path.join(self.dir, "refresh_token")
        self.secret = os.path.join(self.dir, "client_secret")
        secret_file(self.rt, FIRST_RT)
        secret_file(self.secret, CLIENT_SECRET)
        pw = os.path.join(self.dir, "iln.pass")
        secret_file(pw, LAB.password)
        smtp_auth = ("smtp_auth = oauth2\n" if smtp_oauth2
                     else f"smtp_auth = password\nsmtp_password_file = {pw}\n")
        with open(self.conf, "w") as f:
            f.write(f"""[network]
name = Example Librarians Network
address = {BOT}
coordinators = coord@example.org
trusted_authserv_id = mx.lab.example.net

[store]
path = ilnbot.db

[inbound]
transport = imap
imap_host = 127.0.0.1
imap_port = {LAB.imaps_port}
imap_tls = implicit
imap_user = {BOT}
imap_auth = oauth2
imap_ca_file = {LAB.ca}
imap_timeout_seconds = 10
poll_seconds = 2

[outbound]
transport = smtp
smtp_host = 127.0.0.1
smtp_port = {LAB.smtp_port}
smtp_tls = starttls
smtp_user = {BOT}
{smtp_auth}smtp_ca_file = {LAB.ca}
bounce_address = {BOT}
smtp_timeout_seconds = 10

[oauth2]
oauth2_token_url = http://127.0.0.1:{LAB.env["LAB_OAUTH2_PORT"]}/token
oauth2_client_id = {CLIENT_ID}
oauth2_client_secret_file = client_secret
oauth2_refresh_token_file = refresh_token
oauth2_scope = {SCOPE}

[program]
templates = {TOP}/templates
""")

    def run(self, *args, timeout=120):
        with open(self.log, "ab") as lf:
            p = subprocess.run([BIN, *args, "-c", self.conf], stdout=lf, stderr=lf,
                               stdin=subprocess.DEVNULL, timeout=timeout)
        return p.returncode

    def once(self):
        return self.run("once", "--now", NOW)

    def text(self):
        with open(self.log, "rb") as f:
            return f.read().decode(errors="replace")


def put(sender, subject, tag):
    msgid = f"<{tag}-{os.urandom(4).hex()}@client.example>"
    LAB.save(BOT, (f"From: {sender}\r\nTo: {BOT}\r\nSubject: {subject}\r\n"
                   f"Date: Mon, 02 Mar 2026 09:00:00 +0000\r\nMessage-ID: {msgid}\r\n"
                   f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                   f"Name: Alice Example\r\nCountry: Spain\r\nLanguages: English\r\n").encode())
    return msgid


def replies_to(user, msgid, deadline=20.0):
    end = time.monotonic() + deadline
    while True:
        got = [raw for _, raw in LAB.fetch(user, what="BODY.PEEK[HEADER]")
               if msgid.encode() in raw]
        if got or time.monotonic() > end:
            return got
        time.sleep(0.2)


def no_tokens_in(text, provider):
    for r in provider.requests():
        for k in ("used", "new_refresh"):
            if r.get(k):
                assert r[k] not in text, f"a refresh token in the log ({k})"
    assert "lab-at-" not in text, "an access token in the log"
    assert CLIENT_SECRET not in text, "the client secret in the log"


def signup_over_oauth2(top):
    postfix = LAB.smtp_server == "postfix"
    if not postfix:
        note("SMTP server is relay.py, which has no OAuth2: SMTP with the password")
    prov = Provider(top)
    try:
        bot = Bot(top, "bot", smtp_oauth2=postfix)
        d0, p0 = LAB.log_size("dovecot"), LAB.log_size("postfix")
        msgid = put("alice@example.org", "SIGNUP", "signup")
        rc = bot.once()
        assert rc == 0, f"once exited {rc}: {bot.text()[-2000:]}"
        assert replies_to("alice@example.org", msgid), "no reply reached alice"
        assert LAB.count(BOT) == 0, "the SIGNUP is still in the INBOX"
        dlog = LAB.log_since("dovecot", d0)
        assert f"user=<{BOT}>, method=OAUTHBEARER" in dlog, dlog[-1500:]
        if postfix:
            LAB.queue_empty()
            plog = LAB.log_since("postfix", p0)
            assert f"sasl_method=OAUTHBEARER, sasl_username={BOT}" in plog, plog[-1500:]
        reqs = [r for r in prov.requests() if r["path"] == "/token"]
        assert len(reqs) == 1, reqs
        assert reqs[0]["used"] == FIRST_RT and reqs[0]["scope"] == SCOPE, reqs
        # the rotated refresh token replaced the first one, mode 600
        with open(bot.rt) as f:
            assert f.read().strip() == reqs[0]["new_refresh"]
        assert stat.S_IMODE(os.stat(bot.rt).st_mode) == 0o600
        # the next process starts from the saved one
        msgid = put("alice@example.org", "HELP", "help")
        rc = bot.once()
        assert rc == 0, f"second once exited {rc}: {bot.text()[-2000:]}"
        assert replies_to("alice@example.org", msgid), "no reply to the second command"
        reqs = [r for r in prov.requests() if r["path"] == "/token"]
        assert len(reqs) == 2 and reqs[1]["used"] == reqs[0]["new_refresh"], reqs
        assert "new refresh token saved" in bot.text()
        no_tokens_in(bot.text(), prov)
    finally:
        prov.stop()


def refused_grant(top):
    prov = Provider(top)
    try:
        bot = Bot(top, "revoked")
        secret_file(bot.rt, "lab-rt-revoked")
        put("alice@example.org", "HELP", "revoked")
        rc = bot.once()
        log = bot.text()
        assert rc == 78, f"once exited {rc}, not 78: {log[-2000:]}"
        assert "refused the grant" in log and "invalid_grant" in log, log[-2000:]
        assert bot.rt in log and "[oauth2] oauth2_refresh_token_file" in log, log[-2000:]
        assert LAB.count(BOT) == 1, "the mail was touched"

        bot2 = Bot(top, "wrong_secret")
        secret_file(bot2.secret, "not-the-secret")
        rc = bot2.once()
        log = bot2.text()
        assert rc == 78, f"once exited {rc}, not 78: {log[-2000:]}"
        assert "invalid_client" in log and "oauth2_client_secret_file" in log, log[-2000:]
        assert LAB.count(BOT) == 1
        no_tokens_in(log, prov)
    finally:
        prov.stop()


def endpoint_down(top):
    bot = Bot(top, "down")
    msgid = put("alice@example.org", "HELP", "down")
    rc = bot.once()
    log = bot.text()
    assert rc not in (0, 78), f"once exited {rc}: {log[-2000:]}"
    assert "token endpoint" in log and "onnect" in log, log[-2000:]
    assert LAB.count(BOT) == 1, "the mail was touched"
    # the daemon retries, and answers once the endpoint is back
    with open(bot.log, "ab") as lf:
        d = subprocess.Popen([BIN, "run", "-c", bot.conf], stdout=lf, stderr=lf,
                             stdin=subprocess.DEVNULL)
    prov = None
    try:
        end = time.monotonic() + 30
        while bot.text().count("retrying in") < 2:
            assert d.poll() is None, f"run exited {d.returncode}: {bot.text()[-2000:]}"
            assert time.monotonic() < end, "run never retried: " + bot.text()[-2000:]
            time.sleep(0.1)
        prov = Provider(top)
        assert replies_to("alice@example.org", msgid, deadline=40), \
            "no reply after the endpoint came back: " + bot.text()[-2000:]
        assert d.poll() is None, f"run exited {d.returncode}"
    finally:
        if d.poll() is None:
            os.kill(d.pid, signal.SIGTERM)
        rc = d.wait(30)
        if prov:
            prov.stop()
    assert rc == 0, f"run exited {rc} after SIGTERM"


TESTS = [signup_over_oauth2, refused_grant, endpoint_down]


def main():
    global LAB
    passed = failed = 0
    LAB = labkit.Lab()
    if "LAB_OAUTH2_PORT" not in LAB.env:
        LAB.stop()
        print("oauth2: the lab has no OAuth2 endpoint port (an old lab.sh?)")
        print("oauth2: 0 passed, 1 failed")
        sys.exit(1)
    top = tempfile.mkdtemp(prefix="ilnoauth.")
    try:
        for fn in TESTS:
            t1 = time.monotonic()
            sub = os.path.join(top, fn.__name__)
            os.mkdir(sub)
            try:
                LAB.reset()
                fn(sub)
                print(f"ok   {fn.__name__} ({time.monotonic() - t1:.1f} s)")
                passed += 1
            except Exception:
                print(f"FAIL {fn.__name__} ({time.monotonic() - t1:.1f} s)")
                traceback.print_exc()
                failed += 1
            sys.stdout.flush()
    finally:
        LAB.stop()
        shutil.rmtree(top, ignore_errors=True)
    print(f"oauth2: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
