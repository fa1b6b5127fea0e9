"""labkit.py: Python side of the private mail lab (tests/lab/lab.sh), shared by the
end-to-end suite in lab mode (tests/e2e/e2e.py --transport lab) and the fault tests
(tests/lab/faults.py).

Lab() attaches to a running lab when LAB_ENV names its DIR/env file (tests/lab/run.sh
starts one for the whole run), else starts its own under /tmp and stops it in stop().
Mail goes in with swaks (SMTP submission, STARTTLS, AUTH) or `doveadm save` / `doveadm
import` (verbatim, for malformed or bulk mail); it is read back with imaplib over TLS
verified against the lab's certificate. Every wait has a deadline.
The SMTP server is Postfix (as root) or relay.py (aiosmtpd, no root): log "postfix" names
whichever runs (both log `sasl_username=`), and the relay has no queue to wait for.
"""
import imaplib
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
USERS = ("iln", "alice", "bob", "carol", "coord", "ama", "ben", "chen", "dora", "emil", "fay", "gus")
BOT = "iln@example.org"


def lab_users():
    return [u + "@example.org" for u in USERS]


class Lab:
    def __init__(self):
        self.own = False
        env_file = os.environ.get("LAB_ENV")
        if not env_file:
            self.top = tempfile.mkdtemp(prefix="ilnlab.", dir="/tmp")
            os.chmod(self.top, 0o755)   # our own folder: the mail user must traverse it
            d = os.path.join(self.top, "lab")
            os.mkdir(d)
            # The servers inherit our descriptors: give them a file, never a pipe.
            with open(os.path.join(self.top, "lab_start.out"), "w+") as out:
                p = subprocess.run(["bash", "-c", '. "$1"/lab.sh && lab_start "$2"', "lab",
                                    HERE, d], stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, timeout=60)
                out.seek(0)
                why = out.read()
            if p.returncode != 0:
                subprocess.run(["bash", "-c", '. "$1"/lab.sh && lab_stop "$2"', "lab", HERE, d],
                               stdin=subprocess.DEVNULL, timeout=60)
                shutil.rmtree(self.top, ignore_errors=True)
                raise RuntimeError("lab_start failed: " + why)
            self.own = True
            env_file = os.path.join(d, "env")
        self.env = {}
        with open(env_file) as f:
            for line in f:
                m = re.match(r"export (\w+)=(.*)$", line.strip())
                if m:
                    self.env[m.group(1)] = m.group(2)
        self.dir = self.env["LAB_DIR"]
        self.imaps_port = int(self.env["LAB_IMAPS_PORT"])
        self.imap_port = int(self.env["LAB_IMAP_PORT"])
        self.smtp_port = int(self.env["LAB_SMTP_PORT"])
        self.smtps_port = int(self.env["LAB_SMTPS_PORT"])
        self.lmtp_port = int(self.env["LAB_LMTP_PORT"])
        self.ca = self.env["LAB_CA"]
        self.password = self.env["LAB_PASSWORD"]
        self.dconf = self.env["LAB_DOVECOT_CONF"]
        self.smtp_server = self.env.get("LAB_SMTP_SERVER", "postfix")
        self.ctx = ssl.create_default_context(cafile=self.ca)
        self.conns = {}

    def stop(self):
        for c in self.conns.values():
            try:
                c.logout()
            except Exception:
                pass
        self.conns = {}
        if self.own:
            subprocess.run(["bash", "-c", '. "$1"/lab.sh && lab_stop "$2"', "lab", HERE,
                            self.dir], stdin=subprocess.DEVNULL, timeout=60)
            shutil.rmtree(self.top, ignore_errors=True)
            self.own = False

    # --- logs ------------------------------------------------------------------------
    def _log(self, which):
        if which == "postfix" and self.smtp_server == "relay":
            which = "relay"         # the SMTP server's log, whichever it is
        return os.path.join(self.dir, "log", which + ".log")

    def log_size(self, which):
        try:
            return os.path.getsize(self._log(which))
        except OSError:
            return 0

    def log_since(self, which, offset):
        try:
            with open(self._log(which), "rb") as f:
                f.seek(offset)
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    # --- reading over IMAP -------------------------------------------------------------
    def imap(self, user):
        """A logged-in IMAPS session for user, kept open and checked with NOOP."""
        c = self.conns.get(user)
        if c is not None:
            try:
                c.noop()
                return c
            except Exception:
                self.conns.pop(user, None)
        c = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=self.ctx, timeout=20)
        c.login(user, self.password)
        self.conns[user] = c
        return c

    def count(self, user, mailbox="INBOX"):
        c = self.imap(user)
        typ, data = c.select(mailbox, readonly=True)
        if typ != "OK":
            return 0                    # not created yet
        return int(data[0])

    def fetch(self, user, mailbox="INBOX", after_uid=0, what="BODY.PEEK[]"):
        """[(uid, bytes)] of the messages above after_uid, ascending."""
        c = self.imap(user)
        typ, _ = c.select(mailbox, readonly=True)
        if typ != "OK":
            return []
        typ, data = c.uid("SEARCH", None, f"UID {after_uid + 1}:*")
        uids = sorted(int(u) for u in data[0].split() if int(u) > after_uid)
        out = []
        for i in range(0, len(uids), 200):
            part = ",".join(str(u) for u in uids[i:i + 200])
            typ, data = c.uid("FETCH", part, f"({what})")
            for item in data:
                if isinstance(item, tuple):
                    m = re.search(rb"UID (\d+)", item[0])
                    out.append((int(m.group(1)), item[1]))
        out.sort()
        return out

    def wait_count(self, user, n, mailbox="INBOX", deadline=15.0):
        end = time.monotonic() + deadline
        while True:
            got = self.count(user, mailbox)
            if got >= n or time.monotonic() > end:
                return got
            time.sleep(0.05)

    # --- putting mail in ---------------------------------------------------------------
    def swaks(self, env_from, rcpt, data, auth_user=None, port=None):
        """Submit data (bytes, a whole message) over STARTTLS with AUTH, as a participant's
        mail client would. Returns swaks' output; raises if the server did not accept."""
        if auth_user is None:
            auth_user = env_from if env_from in lab_users() else "alice@example.org"
        with tempfile.NamedTemporaryFile(prefix="swaks-", suffix=".eml") as f:
            f.write(data)
            f.flush()
            cmd = ["swaks", "--server", "127.0.0.1", "--port", str(port or self.smtp_port),
                   "-tls", "--tls-verify", "--tls-ca-path", self.ca,
                   "--auth", "PLAIN", "--auth-user", auth_user,
                   "--auth-password", self.password, "--from", env_from or "<>",
                   "--to", rcpt, "--data", f.name, "--suppress-data", "--timeout", "20"]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError(f"swaks exit {p.returncode}: {p.stdout[-1500:]}{p.stderr[-500:]}")
        return p.stdout

    def save(self, user, raw, mailbox="INBOX"):
        """Store raw verbatim with doveadm save (no Received, no Return-Path)."""
        p = subprocess.run(["doveadm", "-c", self.dconf, "save", "-u", user, "-m", mailbox],
                           input=raw, capture_output=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError("doveadm save: " + p.stderr.decode(errors="replace"))

    def import_mbox(self, user, msgs, workdir):
        """Bulk: msgs (list of bytes) into user's INBOX with doveadm import from an mbox
        in workdir (a folder the caller made; the mail user must be able to read it)."""
        src = os.path.join(workdir, "import")
        os.makedirs(src, exist_ok=True)
        path = os.path.join(src, "x.mbox")
        with open(path, "wb") as f:
            for raw in msgs:
                raw = raw.replace(b"\r\n", b"\n")
                body = re.sub(rb"(?m)^(>*From )", rb">\1", raw)
                f.write(b"From MAILER-DAEMON Mon Mar  2 09:00:00 2026\n" + body)
                if not body.endswith(b"\n"):
                    f.write(b"\n")
                f.write(b"\n")
        st = os.stat(self.dir + "/mail")
        for p in (src, path):
            os.chown(p, st.st_uid, st.st_gid)   # inside the caller's own folder
        p = subprocess.run(["doveadm", "-c", self.dconf, "import", "-u", user,
                            f"mbox:{src}:INBOX={path}:INDEX=MEMORY", "", "all"],
                           capture_output=True, timeout=120)
        if p.returncode != 0:
            raise AssertionError("doveadm import: " + p.stderr.decode(errors="replace"))

    # --- between tests -----------------------------------------------------------------
    def queue_empty(self, deadline=15.0):
        if self.smtp_server != "postfix":
            return True             # the relay delivers before it answers DATA: no queue
        end = time.monotonic() + deadline
        while True:
            p = subprocess.run(["postqueue", "-c", self.dir + "/postfix", "-p"],
                               capture_output=True, text=True, timeout=30)
            if "Mail queue is empty" in p.stdout or time.monotonic() > end:
                return "Mail queue is empty" in p.stdout
            time.sleep(0.1)

    def reset(self):
        """Let Postfix finish what it has, then empty every mailbox of every user."""
        self.queue_empty()
        for c in self.conns.values():
            try:
                c.logout()
            except Exception:
                pass
        self.conns = {}
        p = subprocess.run(["doveadm", "-c", self.dconf, "expunge", "-A", "mailbox", "*", "all"],
                           capture_output=True, timeout=60)
        if p.returncode not in (0, 68):     # 68: a mailbox was empty / missing
            raise AssertionError("doveadm expunge: " + p.stderr.decode(errors="replace"))

    # --- the bot's configuration -------------------------------------------------------
    def bot_conf(self, folder, imap_port=None, imap_tls="implicit", imap_ca=None,
                 smtp_port=None, smtp_tls="starttls", smtp_ca=None, smtp_auth=True,
                 imap_timeout=10, smtp_timeout=10, poll_seconds=60, imap_batch=50):
        """The [inbound] and [outbound] sections for the lab; password files in folder."""
        pw = os.path.join(folder, "iln.pass")
        if not os.path.exists(pw):
            fd = os.open(pw, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, (self.password + "\n").encode())
            os.close(fd)
        auth = f"smtp_user = {BOT}\nsmtp_password_file = {pw}\n" if smtp_auth else ""
        return f"""[inbound]
transport = imap
imap_host = 127.0.0.1
imap_port = {imap_port or self.imaps_port}
imap_tls = {imap_tls}
imap_user = {BOT}
imap_password_file = {pw}
imap_ca_file = {self.ca if imap_ca is None else imap_ca}
imap_mailbox = INBOX
imap_done_mailbox = Processed
imap_rejects_mailbox = Rejected
imap_timeout_seconds = {imap_timeout}
imap_batch = {imap_batch}
poll_seconds = {poll_seconds}

[outbound]
transport = smtp
smtp_host = 127.0.0.1
smtp_port = {smtp_port or self.smtp_port}
smtp_tls = {smtp_tls}
{auth}smtp_ca_file = {self.ca if smtp_ca is None else smtp_ca}
bounce_address = {BOT}
smtp_timeout_seconds = {smtp_timeout}
"""
