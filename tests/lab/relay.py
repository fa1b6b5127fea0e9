#!/usr/bin/env python3
"""relay.py: the lab's SMTP server where Postfix cannot run (not root): an aiosmtpd relay
(Debian's python3-aiosmtpd) that plays the part lab.sh gives Postfix, on 127.0.0.1:
  --smtp-port   submission, STARTTLS offered (the lab's certificate), AUTH only after it
  --smtps-port  implicit TLS, AUTH offered at once
AUTH PLAIN and LOGIN check DIR/users (the lab's passwd-file, `user:{PLAIN}password::::::`).
Recipients must be users of DIR/users @example.org (user+tag reaches user): another domain
gets 554 5.7.1, an unknown user 550 5.1.1, both at RCPT, as Postfix answers here.
There is no queue: each message is delivered to Dovecot over LMTP (--lmtp-port) before the
DATA reply, so a 4xx from LMTP (or LMTP down) is a 4xx to the client, which keeps the mail
and retries; all recipients 5xx is a 5xx. (A 4xx for one recipient after others took the
mail makes the client resend to all of them: the lab's tests never mix the two.)
Logs to DIR/log/relay.log, Postfix-like (`sasl_username=...`, `to=<...> status=sent`).
Writes DIR/run/relay.pid once both ports listen, removes it on SIGTERM or SIGINT.
Usage: relay.py DIR SMTP_PORT SMTPS_PORT LMTP_PORT   (lab.sh starts it in the background)
"""
import asyncio
import logging
import os
import signal
import smtplib
import socket
import ssl
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

HOSTNAME = "mx.lab.example.net"
DOMAIN = "example.org"
SIZE_LIMIT = 10240000           # Postfix's default message_size_limit
LMTP_TIMEOUT = 60


class Relay:
    def __init__(self, folder, lmtp_port):
        self.dir = folder
        self.lmtp_port = lmtp_port
        self.users = read_users(os.path.join(folder, "users"))
        self.log = open(os.path.join(folder, "log", "relay.log"), "a", buffering=1)
        self.pool = ThreadPoolExecutor(max_workers=8)
        self.seq = 0

    def note(self, text):
        self.log.write(f"{time.strftime('%b %d %H:%M:%S')} ilnlab-relay[{os.getpid()}]: {text}\n")

    # --- AUTH -------------------------------------------------------------------------
    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = False
        if isinstance(auth_data, LoginPassword):
            user = auth_data.login.decode("utf-8", "replace")
            pw = auth_data.password.decode("utf-8", "replace")
            ok = self.users.get(user) == pw
        peer = session.peer[0] if session.peer else "?"
        if ok:
            self.note(f"client=localhost[{peer}], sasl_method={mechanism}, sasl_username={user}")
            return AuthResult(success=True, auth_data=user)
        self.note(f"warning: localhost[{peer}]: SASL {mechanism} authentication failed")
        return AuthResult(success=False, handled=False)

    # --- the aiosmtpd handler hooks --------------------------------------------------------
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local, _, domain = address.rpartition("@")
        if domain.lower() != DOMAIN:
            self.note(f"NOQUEUE: reject: RCPT: 554 5.7.1 <{address}>: Relay access denied")
            return f"554 5.7.1 <{address}>: Relay access denied"
        if local.split("+", 1)[0].lower() + "@" + DOMAIN not in self.users:
            self.note(f"NOQUEUE: reject: RCPT: 550 5.1.1 <{address}>: User unknown")
            return (f"550 5.1.1 <{address}>: Recipient address rejected: "
                    "User unknown in virtual mailbox table")
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        self.seq += 1
        qid = f"{os.getpid():X}{self.seq:06X}"
        peer = session.peer[0] if session.peer else "127.0.0.1"
        tls = session.ssl is not None or getattr(server, "implicit_tls", False)
        proto = "ESMTP" + ("S" if tls else "") + ("A" if session.authenticated else "")
        received = (f"Received: from {session.host_name or 'unknown'} (localhost [{peer}])\r\n"
                    f"\tby {HOSTNAME} (ilnlab relay) with {proto} id {qid};\r\n"
                    f"\t{formatdate(localtime=False)}\r\n").encode()
        sender = "" if envelope.mail_from == "<>" else envelope.mail_from
        loop = asyncio.get_running_loop()
        status = await loop.run_in_executor(
            self.pool, self.deliver, qid, sender, list(envelope.rcpt_tos),
            received + envelope.content, [o.upper() for o in envelope.mail_options])
        return status

    # --- LMTP, in a worker thread ------------------------------------------------------
    def deliver(self, qid, sender, rcpts, data, options):
        """One LMTP transaction for the message; the reply for the client."""
        results = {}
        try:
            with smtplib.LMTP("127.0.0.1", self.lmtp_port, timeout=LMTP_TIMEOUT) as lm:
                lm.ehlo_or_helo_if_needed()
                opts = [o for o in options
                        if (o == "BODY=8BITMIME" and lm.has_extn("8bitmime"))
                        or (o == "SMTPUTF8" and lm.has_extn("smtputf8"))]
                code, text = lm.mail(sender, opts)
                if code != 250:
                    results = {r: (code, text) for r in rcpts}
                else:
                    took = []
                    for r in rcpts:
                        code, text = lm.rcpt(r)
                        if code == 250:
                            took.append(r)
                        else:
                            results[r] = (code, text)
                    if took:
                        code, text = lm.data(data)
                        results[took[0]] = (code, text)
                        for r in took[1:]:
                            results[r] = lm.getreply()
        except (OSError, smtplib.SMTPException) as e:
            why = f"LMTP 127.0.0.1:{self.lmtp_port}: {e}"
            self.note(f"{qid}: from=<{sender}>, status=deferred ({why})")
            return "451 4.4.1 Requested action aborted: local delivery unavailable"
        for r in rcpts:
            code, text = results.get(r, (451, b"no reply"))
            text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
            state = "sent" if code < 300 else ("deferred" if code < 500 else "bounced")
            self.note(f"{qid}: from=<{sender}>, to=<{r}>, relay=lmtp, status={state} ({code} {text})")
        codes = [results.get(r, (451, b""))[0] for r in rcpts]
        if any(400 <= c < 500 for c in codes):
            return "451 4.3.0 Requested action aborted: delivery deferred, try again"
        if all(c < 300 for c in codes):
            return f"250 2.0.0 Ok: queued as {qid}"
        if any(c < 300 for c in codes):
            return f"250 2.0.0 Ok: queued as {qid} (some recipients refused)"
        return "550 5.1.1 Requested action not taken: delivery refused"


class LabSMTP(SMTP):
    """aiosmtpd's server, taking the null sender `MAIL FROM:<>` (kept as "<>")."""

    implicit_tls = False

    def _getaddr(self, arg):
        s = arg.lstrip()
        if s.startswith("<>"):
            return "<>", s[2:]
        return super()._getaddr(arg)


class LabSMTPS(LabSMTP):
    implicit_tls = True


def read_users(path):
    users = {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split(":")
            if len(parts) >= 2 and parts[1].startswith("{PLAIN}"):
                users[parts[0].lower()] = parts[1][len("{PLAIN}"):]
    return users


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    folder = os.path.abspath(sys.argv[1])
    smtp_port, smtps_port, lmtp_port = (int(a) for a in sys.argv[2:5])
    pidfile = os.path.join(folder, "run", "relay.pid")
    os.chdir("/")               # lab_stop reports processes still working in DIR
    os.setsid()                 # not the caller's process group, nor its terminal
    logging.basicConfig(filename=os.path.join(folder, "log", "relay.log"), level=logging.ERROR,
                        format="%(asctime)s ilnlab-relay aiosmtpd: %(message)s")

    relay = Relay(folder, lmtp_port)
    cert, key = (os.path.join(folder, "tls", n) for n in ("cert.pem", "key.pem"))
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    common = dict(hostname=HOSTNAME, data_size_limit=SIZE_LIMIT, enable_SMTPUTF8=True,
                  authenticator=relay.authenticate, timeout=300, loop=loop)

    def listen(port, factory, ctx):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        return loop.run_until_complete(loop.create_server(factory, sock=s, ssl=ctx))

    servers = [
        listen(smtp_port, lambda: LabSMTP(relay, tls_context=tls, **common), None),
        # already encrypted: AUTH at once, no STARTTLS
        listen(smtps_port, lambda: LabSMTPS(relay, auth_require_tls=False, **common), tls),
    ]
    stopping = []

    def stop():
        if not stopping:
            stopping.append(1)
            for srv in servers:
                srv.close()
            loop.stop()

    loop.add_signal_handler(signal.SIGTERM, stop)
    loop.add_signal_handler(signal.SIGINT, stop)
    with open(pidfile + ".tmp", "w") as f:
        f.write(f"{os.getpid()}\n")
    os.rename(pidfile + ".tmp", pidfile)
    relay.note(f"daemon started: smtp 127.0.0.1:{smtp_port} (STARTTLS), "
               f"smtps 127.0.0.1:{smtps_port}, delivering to LMTP 127.0.0.1:{lmtp_port}")
    try:
        loop.run_forever()
    finally:
        relay.pool.shutdown(wait=True, cancel_futures=True)
        try:
            os.unlink(pidfile)
        except OSError:
            pass
        relay.note("daemon stopped")
        relay.log.close()
    os._exit(0)                 # sessions still open die with us; their clients retry


if __name__ == "__main__":
    main()
