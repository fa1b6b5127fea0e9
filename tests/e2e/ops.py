#!/usr/bin/env python3
"""The operator's side of ilnbot, on the real binary (Maildir, and a scripted SMTP relay):
  - every broken configuration through `check-config` and `once`: exit 78 (EX_CONFIG),
    the file and line or the key named (password files missing, open to others or not a
    file; TLS none to a host that is not loopback; a user without a password file and the
    reverse; a store folder that cannot be made); warnings for no coordinators and no
    trusted_authserv_id;
  - journald: with JOURNAL_STREAM naming stderr each line starts "<3>" .. "<7>", without
    it (or naming another file) none does;
  - one Postfix-style line per mail leaving the outbox; the version at start; no subject
    or body text in the log at the default level; protocol steps at log_level = debug;
  - the queue against a relay of ours that defers some recipients (451) and refuses
    others (550): `queue` (--failed, --deferred), `flush`, `retry ID|--failed`, `drop`;
  - `rejected` and `reprocess` (a quarantined message run again once the crash is gone);
  - `status` with and without a daemon holding the store; `config` and `config -a`;
  - `run` telling systemd READY=1 and STOPPING=1 through NOTIFY_SOCKET (Type=notify);
  - `--version` and `--help` on stdout with exit 0; the store, -wal and -shm files 0600
    under umask 000.
Usage: ops.py [BINARY]. Prints "ops: N passed, N failed" last."""
import os
import re
import socket
import socketserver
import stat
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402

BIN = e2e.BIN
NOW = e2e.NOW
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def ilnbot(bot, *args, env=None, now=NOW):
    cmd = [BIN] + list(args) + ["-c", bot.conf]
    if now:
        cmd += ["--now", now]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, **(env or {})))
    bot.log += p.stderr
    return p


def set_conf(bot, text):
    """Replace the bot's [inbound]/[outbound] part and add text."""
    with open(bot.conf) as f:
        conf = f.read()
    conf = re.sub(r"\[inbound\].*?(?=\[program\])", "", conf, flags=re.S)
    with open(bot.conf, "w") as f:
        f.write(conf + "\n" + text)


def write_secret(bot, name, mode=0o600):
    path = os.path.join(bot.dir, name)
    with open(path, "w") as f:
        f.write("s3cret\n")
    os.chmod(path, mode)
    return path


def expect_config_error(bot, pattern):
    """check-config and once both exit 78 with an error matching pattern."""
    for sub in ("check-config", "once"):
        p = ilnbot(bot, sub, now=None if sub == "check-config" else NOW)
        assert p.returncode == 78, (sub, p.returncode, p.stderr)
        assert re.search(pattern, p.stderr), (sub, pattern, p.stderr)


IMAP = """[inbound]
transport = imap
imap_host = 127.0.0.1
imap_port = 1
imap_tls = implicit
imap_user = bot
{extra}
[outbound]
transport = maildir
maildir = var/outbox
"""


@test
def missing_password_file_is_a_config_error(bot):
    set_conf(bot, IMAP.format(extra="imap_password_file = imap.pass\n"))
    expect_config_error(bot, r"ilnbot\.conf:\d+: \[inbound\] imap_password_file: \S*imap\.pass: "
                        r"No such file")


@test
def password_file_open_to_others_is_a_config_error(bot):
    write_secret(bot, "imap.pass", 0o644)
    set_conf(bot, IMAP.format(extra="imap_password_file = imap.pass\n"))
    expect_config_error(bot, r"ilnbot\.conf:\d+: \[inbound\] imap_password_file: .*readable by "
                        r"group or others \(mode 644\)")


@test
def password_file_not_a_file_is_a_config_error(bot):
    os.mkdir(os.path.join(bot.dir, "imap.pass"))
    set_conf(bot, IMAP.format(extra="imap_password_file = imap.pass\n"))
    expect_config_error(bot, r"imap_password_file: .*not a regular file")


@test
def user_without_password_and_the_reverse(bot):
    set_conf(bot, IMAP.format(extra=""))
    expect_config_error(bot, r"ilnbot\.conf:\d+: \[inbound\] imap_user = bot is set but "
                        r"imap_password_file is not")
    write_secret(bot, "smtp.pass")
    set_conf(bot, """[outbound]
transport = smtp
smtp_host = 127.0.0.1
smtp_tls = starttls
smtp_password_file = smtp.pass
""")
    expect_config_error(bot, r"ilnbot\.conf:\d+: \[outbound\] smtp_password_file = \S+ is set "
                        r"but smtp_user is not")


@test
def plaintext_to_a_remote_host_is_a_config_error(bot):
    set_conf(bot, """[outbound]
transport = smtp
smtp_host = 192.0.2.25
smtp_port = 25
smtp_tls = none
""")
    expect_config_error(bot, r"ilnbot\.conf:\d+: \[outbound\] smtp_tls = none: 192\.0\.2\.25 is "
                        r"not a loopback address")
    # the same to loopback is fine
    set_conf(bot, "[outbound]\ntransport = smtp\nsmtp_host = 127.0.0.1\nsmtp_tls = none\n")
    p = ilnbot(bot, "check-config", now=None)
    assert p.returncode == 0, p.stderr


@test
def store_folder_that_cannot_be_made_is_a_config_error(bot):
    with open(os.path.join(bot.dir, "afile"), "w") as f:
        f.write("x")
    with open(bot.conf) as f:
        conf = f.read().replace("path = var/ilnbot.db", "path = afile/sub/ilnbot.db")
    with open(bot.conf, "w") as f:
        f.write(conf)
    expect_config_error(bot, r"ilnbot\.conf:\d+: \[store\] path = \S+afile/sub/ilnbot\.db: the "
                        r"folder \S+ does not exist and cannot be made")


@test
def warnings_for_no_coordinators_or_authserv_id(bot):
    with open(bot.conf) as f:
        conf = f.read()
    conf = conf.replace("coordinators = coord@example.org\n", "")
    conf = conf.replace("trusted_authserv_id = mx.example.org\n", "")
    with open(bot.conf, "w") as f:
        f.write(conf)
    p = ilnbot(bot, "check-config", now=None)
    assert p.returncode == 0, p.stderr
    assert "valid (with warnings above)" in p.stdout, p.stdout
    assert re.search(r"warning: \S+ilnbot\.conf: \[network\] coordinators \(the default\) is "
                     r"empty", p.stderr), p.stderr
    assert "trusted_authserv_id (the default) is empty" in p.stderr, p.stderr
    p = ilnbot(bot, "once")
    assert p.returncode == 0, p.stderr


@test
def journald_lines_carry_their_priority(bot):
    set_conf(bot, IMAP.format(extra="imap_password_file = nothere\n"))
    with open(bot.conf) as f:
        conf = f.read().replace("coordinators = coord@example.org\n", "")
    with open(bot.conf, "w") as f:
        f.write(conf)
    errpath = os.path.join(bot.dir, "stderr")
    for stream, prefixed in ((True, True), (False, False)):
        with open(errpath, "w+") as err:
            st = os.fstat(err.fileno())
            js = f"{st.st_dev}:{st.st_ino}" if stream else f"{st.st_dev}:{st.st_ino + 1}"
            p = subprocess.run([BIN, "check-config", "-c", bot.conf], stdout=subprocess.PIPE,
                               stderr=err, env=dict(os.environ, JOURNAL_STREAM=js), timeout=30)
            assert p.returncode == 78
            err.seek(0)
            lines = err.read().splitlines()
        assert lines, "no log"
        if prefixed:
            assert any(l.startswith("<3>ilnbot: error: ") for l in lines), lines
            assert any(l.startswith("<4>ilnbot: warning: ") for l in lines), lines
            assert all(re.match(r"<[3-7]>", l) for l in lines), lines
        else:
            assert not any(l.startswith("<") for l in lines), lines
    # a message of several lines (template problems): every line carries the priority
    import shutil
    tdir = os.path.join(bot.dir, "templates")
    shutil.copytree(os.path.join(e2e.TOP, "templates"), tdir)
    for name in ("help.txt", "show.txt"):
        with open(os.path.join(tdir, name), "a") as f:
            f.write("{{nosuchvar}}\n")
    with open(bot.conf) as f:
        conf = f.read().replace(f"templates = {e2e.TOP}/templates", f"templates = {tdir}")
    with open(bot.conf, "w") as f:
        f.write(conf)
    with open(errpath, "w+") as err:
        st = os.fstat(err.fileno())
        subprocess.run([BIN, "check-config", "-c", bot.conf], stdout=subprocess.PIPE, stderr=err,
                       env=dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}"), timeout=30)
        err.seek(0)
        lines = err.read().splitlines()
    assert sum("nosuchvar" in l for l in lines) >= 2, lines
    assert all(l.startswith("<3>") for l in lines if "nosuchvar" in l), lines
    # info and debug
    set_conf(bot, "[inbound]\ntransport = maildir\nmaildir = var/inbox\n[outbound]\n"
             "transport = maildir\nmaildir = var/outbox\n")
    with open(bot.conf, "a") as f:
        f.write("[program]\nlog_level = debug\n")
    bot.drop("From: ana@example.org\r\nTo: iln@example.org\r\nSubject: HELP\r\n"
             "Message-ID: <j1@x>\r\n\r\nhi\r\n")
    with open(errpath, "w+") as err:
        st = os.fstat(err.fileno())
        p = subprocess.run([BIN, "once", "-c", bot.conf, "--now", NOW], stderr=err,
                           env=dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}"),
                           timeout=30)
        err.seek(0)
        text = err.read()
    assert p.returncode == 0, text
    assert all(re.match(r"<[3-7]>", l) for l in text.splitlines()), text
    assert re.search(r"^<6>ilnbot: info: outbound: \d+: to=<ana@example\.org>", text, re.M), text
    assert re.search(r"^<7>ilnbot: debug: ", text, re.M), text


@test
def one_log_line_per_mail_and_no_user_text(bot):
    secret = "ZEBRAPHRASE"
    m, r = bot.send(f"HELP {secret}", f"body {secret} text")
    assert len(r) == 1
    assert re.search(r"info: outbound: \d+: to=<ana@example\.org>, kind=help, relay=maildir, "
                     r"attempts=1, status=sent", bot.log), bot.log
    assert secret not in bot.log, bot.log


@test
def daemon_logs_version_holds_the_store_and_files_are_0600(bot):
    bot.drop("From: ana@example.org\r\nTo: iln@example.org\r\nSubject: HELP\r\n"
             "Message-ID: <d1@x>\r\n\r\nhi\r\n")
    errpath = os.path.join(bot.dir, "run.log")
    sockpath = os.path.join(bot.dir, "notify")
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(sockpath)
    ns.settimeout(20)
    with open(errpath, "w") as err:
        d = subprocess.Popen([BIN, "run", "-c", bot.conf], stderr=err,
                             preexec_fn=lambda: os.umask(0),
                             env=dict(os.environ, NOTIFY_SOCKET=sockpath))
    try:
        # Type=notify: READY=1 once the daemon holds the store
        assert ns.recv(4096).decode().startswith("READY=1"), "no READY=1"
        db = os.path.join(bot.dir, "var", "ilnbot.db")
        deadline = time.time() + 20
        while time.time() < deadline and not bot.replies():
            time.sleep(0.2)
        with open(errpath) as f:
            log = f.read()
        ver = subprocess.run([BIN, "--version"], capture_output=True, text=True).stdout.split()[1]
        assert f"ilnbot {ver} starting" in log, log
        for suffix in ("", "-wal", "-shm", ".lock"):
            mode = stat.S_IMODE(os.stat(db + suffix).st_mode)
            assert mode == 0o600, (suffix, oct(mode))
        p = ilnbot(bot, "status", now=None)
        assert p.returncode == 0, p.stderr
        assert f"running (pid {d.pid} holds the store)" in p.stdout, p.stdout
        # a second daemon refuses to share the store
        p2 = subprocess.run([BIN, "run", "-c", bot.conf], capture_output=True, text=True,
                            timeout=30)
        assert p2.returncode == 75 and "another daemon" in p2.stderr, (p2.returncode, p2.stderr)
    finally:
        d.terminate()
        d.wait(timeout=30)
    assert ns.recv(4096).decode() == "STOPPING=1"
    ns.close()
    p = ilnbot(bot, "status", now=None)
    assert "daemon:   not running" in p.stdout, p.stdout
    assert re.search(r"last pass:\s+20\d\d-", p.stdout), p.stdout


@test
def version_and_help_on_stdout(bot):
    for arg in ("--version", "--help"):
        p = subprocess.run([BIN, arg], capture_output=True, text=True)
        assert p.returncode == 0 and p.stdout and not p.stderr, (arg, p)
    p = subprocess.run([BIN, "--help"], capture_output=True, text=True)
    for sub in ("queue", "flush", "retry", "drop", "rejected", "reprocess", "status", "config"):
        assert f"ilnbot {sub}" in p.stdout, sub
    p = subprocess.run([BIN, "frobnicate"], capture_output=True, text=True)
    assert p.returncode == 64 and "usage:" in p.stderr


@test
def config_shows_what_differs_and_all(bot):
    p = ilnbot(bot, "config", now=None)
    assert p.returncode == 0, p.stderr
    assert "[network]\n" in p.stdout and "coordinators = coord@example.org" in p.stdout
    assert "poll_seconds" not in p.stdout, p.stdout
    p = ilnbot(bot, "config", "-a", now=None)
    assert "poll_seconds = 60" in p.stdout and "smtp_retry_max_hours = 120" in p.stdout, p.stdout


class Relay(socketserver.ThreadingTCPServer):
    """A scripted SMTP relay on loopback: RCPT to defer* gets 451, to refuse* 550; the
    rest is accepted. heal() makes it accept everyone."""
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), RelayHandler)
        self.healed = False
        self.got = []           # (rcpts, data)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def heal(self):
        self.healed = True

    def stop(self):
        self.shutdown()
        self.server_close()


class RelayHandler(socketserver.StreamRequestHandler):
    def w(self, s):
        self.wfile.write(s.encode() + b"\r\n")

    def handle(self):
        srv = self.server
        self.w("220 relay.test ESMTP")
        rcpts, ok = [], []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode(errors="replace").strip()
            verb = cmd.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.w("250 relay.test")
            elif verb == "MAIL":
                rcpts, ok = [], []
                self.w("250 2.1.0 Ok")
            elif verb == "RCPT":
                addr = cmd.split("<", 1)[1].split(">", 1)[0]
                rcpts.append(addr)
                if not srv.healed and addr.startswith("defer"):
                    self.w("451 4.3.0 Try again later")
                elif not srv.healed and addr.startswith("refuse"):
                    self.w("550 5.1.1 No such user")
                else:
                    ok.append(addr)
                    self.w("250 2.1.5 Ok")
            elif verb == "DATA":
                if not ok:
                    self.w("554 5.5.1 No valid recipients")
                    continue
                self.w("354 End data with <CR><LF>.<CR><LF>")
                data = b""
                while True:
                    l2 = self.rfile.readline()
                    if not l2 or l2 == b".\r\n":
                        break
                    data += l2
                srv.got.append((ok, data))
                self.w("250 2.0.0 Ok: queued as RELAY%d" % len(srv.got))
            elif verb == "RSET":
                rcpts, ok = [], []
                self.w("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.w("221 2.0.0 Bye")
                return
            else:
                self.w("502 5.5.2 Error: command not recognized")


def smtp_bot(bot, relay):
    set_conf(bot, f"""[inbound]
transport = maildir
maildir = var/inbox

[outbound]
transport = smtp
smtp_host = 127.0.0.1
smtp_port = {relay.server_address[1]}
smtp_tls = none
""")


def help_from(bot, sender, n):
    bot.drop(f"From: {sender}\r\nTo: iln@example.org\r\nSubject: HELP\r\n"
             f"Message-ID: <q{n}@x>\r\n\r\nhi\r\n")


def queue_ids(out):
    return {int(l.split()[0]): l for l in out.splitlines() if re.match(r"\d+ ", l)}


@test
def queue_flush_retry_drop_against_a_deferring_and_refusing_relay(bot):
    relay = Relay()
    try:
        smtp_bot(bot, relay)
        for i, s in enumerate(("ok@example.org", "defer@example.org", "refuse@example.org")):
            help_from(bot, s, i)
        p = ilnbot(bot, "once")
        assert p.returncode == 0, p.stderr
        assert len(relay.got) == 1 and relay.got[0][0] == ["ok@example.org"], relay.got
        port = relay.server_address[1]
        assert re.search(rf"outbound: \d+: to=<ok@example\.org>, kind=help, relay=127\.0\.0\.1:"
                         rf"{port}, attempts=1, status=sent \(250 2\.0\.0 Ok: queued as RELAY1\)",
                         p.stderr), p.stderr
        assert re.search(r"warning: outbound: \d+: to=<defer@example\.org>, kind=help, .*"
                         r"status=deferred \(.*451 4\.3\.0 Try again later\)", p.stderr), p.stderr
        assert re.search(r"warning: outbound: \d+: to=<refuse@example\.org>, kind=help, .*"
                         r"status=bounced \(.*550 5\.1\.1 No such user\)", p.stderr), p.stderr

        q = ilnbot(bot, "queue", now=None)
        assert q.returncode == 0, q.stderr
        rows = queue_ids(q.stdout)
        assert len(rows) == 2, q.stdout
        (defer_id,) = [i for i, l in rows.items() if "defer@" in l]
        (refuse_id,) = [i for i, l in rows.items() if "refuse@" in l]
        assert re.search(r"help\s+defer@example\.org\s+1\s+2026-03-02T10:0[12]:00Z\s+deferred\s+"
                         r".*451 4\.3\.0", rows[defer_id]), rows[defer_id]
        assert re.search(r"failed\s+.*550 5\.1\.1", rows[refuse_id]), rows[refuse_id]
        assert "1 queued" not in q.stdout and "1 deferred, 1 failed" in q.stdout, q.stdout
        assert list(queue_ids(ilnbot(bot, "queue", "--failed", now=None).stdout)) == [refuse_id]
        assert list(queue_ids(ilnbot(bot, "queue", "--deferred", now=None).stdout)) == [defer_id]

        # once again at the same time: the deferred mail is not due yet
        ilnbot(bot, "once")
        assert len(relay.got) == 1
        relay.heal()
        p = ilnbot(bot, "flush")
        assert p.returncode == 0 and "1 deferred mail due now" in p.stdout, (p.stdout, p.stderr)
        assert [g[0] for g in relay.got] == [["ok@example.org"], ["defer@example.org"]], relay.got
        assert list(queue_ids(ilnbot(bot, "queue", now=None).stdout)) == [refuse_id]

        p = ilnbot(bot, "retry", "--failed")
        assert p.returncode == 0 and "1 mail queued again" in p.stdout, (p.stdout, p.stderr)
        assert relay.got[-1][0] == ["refuse@example.org"], relay.got
        assert "the queue is empty" in ilnbot(bot, "queue", now=None).stdout
        n = len(relay.got)

        # drop: a deferred mail dropped is not sent, and retry --failed leaves it alone
        relay.healed = False
        help_from(bot, "defer2@example.org", 9)
        ilnbot(bot, "once")
        (d2,) = queue_ids(ilnbot(bot, "queue", "--deferred", now=None).stdout)
        p = ilnbot(bot, "drop", str(d2))
        assert p.returncode == 0 and "1 mail dropped" in p.stdout, (p.stdout, p.stderr)
        assert "the queue is empty" in ilnbot(bot, "queue", now=None).stdout
        relay.heal()
        ilnbot(bot, "flush")
        ilnbot(bot, "retry", "--failed")
        assert len(relay.got) == n, relay.got
        # by id it comes back
        p = ilnbot(bot, "retry", str(d2))
        assert p.returncode == 0 and "1 mail queued again" in p.stdout, p.stdout
        assert relay.got[-1][0] == ["defer2@example.org"]
        # unknown and bad ids
        p = ilnbot(bot, "drop", "99999")
        assert p.returncode == 1 and "99999: no such mail" in p.stderr, p.stderr
        p = ilnbot(bot, "retry", "abc")
        assert p.returncode == 64, p.stderr
        p = ilnbot(bot, "status", now=None)
        assert re.search(r"outbox:\n(.*\n)*\s+dropped\s+0|sent\s+\d", p.stdout), p.stdout
    finally:
        relay.stop()


@test
def flush_and_drop_beside_a_running_daemon(bot):
    """The operator's commands while `ilnbot run` holds the store: flush leaves the
    sending to the daemon, which sends within poll_seconds; drop keeps it from sending."""
    relay = Relay()
    d = None
    try:
        smtp_bot(bot, relay)
        with open(bot.conf, "a") as f:
            f.write("[inbound]\npoll_seconds = 1\n")
        help_from(bot, "defer@example.org", 1)
        help_from(bot, "defer2@example.org", 2)
        log = open(os.path.join(bot.dir, "run.log"), "w")
        d = subprocess.Popen([BIN, "run", "-c", bot.conf], stderr=log)

        def wait(cond, what, secs=90):
            end = time.time() + secs
            while time.time() < end:
                if cond():
                    return
                time.sleep(0.2)
            with open(os.path.join(bot.dir, "run.log")) as f:
                raise AssertionError(f"timed out waiting for {what}: {f.read()[-3000:]}")

        wait(lambda: len(queue_ids(ilnbot(bot, "queue", "--deferred", now=None).stdout)) == 2,
             "two deferred mails")
        rows = queue_ids(ilnbot(bot, "queue", now=None).stdout)
        (drop_id,) = [i for i, l in rows.items() if "defer2@" in l]
        p = ilnbot(bot, "drop", str(drop_id), now=None)
        assert p.returncode == 0, p.stderr
        relay.heal()
        p = ilnbot(bot, "flush", now=None)
        assert p.returncode == 0, p.stderr
        assert f"the daemon (pid {d.pid}) sends it within 1 s" in p.stdout, p.stdout
        wait(lambda: relay.got, "the flushed mail at the relay")
        time.sleep(1.5)
        assert [g[0] for g in relay.got] == [["defer@example.org"]], relay.got
        assert "the queue is empty" in ilnbot(bot, "queue", now=None).stdout
    finally:
        if d:
            d.terminate()
            d.wait(timeout=30)
        relay.stop()


@test
def rejected_and_reprocess(bot):
    marker = "ILNBOT-OPS-POISON-1"
    raw = ("From: ana@example.org\r\nTo: iln@example.org\r\nSubject: HELP\r\n"
           f"Message-ID: <poison@x>\r\n\r\n{marker}\r\n")
    bot.drop(raw)
    bot.drop("From: a@example.org, b@example.org\r\nTo: iln@example.org\r\nSubject: HELP\r\n"
             "Message-ID: <amb@x>\r\n\r\nhi\r\n")
    env = {"ILNBOT_TEST_CRASH_MARKER": marker}
    for _ in range(6):
        p = ilnbot(bot, "once", env=env)
        if p.returncode == 0:
            break
    assert p.returncode == 0, p.stderr
    r = ilnbot(bot, "rejected", now=None)
    assert r.returncode == 0, r.stderr
    rows = queue_ids(r.stdout)
    assert len(rows) == 2, r.stdout
    (q,) = [i for i, l in rows.items() if "quarantined" in l]
    (amb,) = [i for i, l in rows.items() if "unusable From" in l]
    assert re.search(r"^\d+\s+2026-03-02T10:00:00Z\s+-\s+quarantined", rows[q]), rows[q]
    # the help the poison message asked for was never answered ...
    assert not [m for m in bot.replies() if m["To"] == "ana@example.org"]
    # ... and is, once reprocessed without the crash
    p = ilnbot(bot, "reprocess", str(q), str(amb))
    assert p.returncode == 0, p.stderr
    assert f"{q}: processed" in p.stdout and f"{amb}: set aside again" in p.stdout, p.stdout
    got = [m for m in bot.replies() if m["To"] == "ana@example.org"]
    assert len(got) == 1, got
    rows = queue_ids(ilnbot(bot, "rejected", now=None).stdout)
    assert len(rows) == 1 and "unusable From" in list(rows.values())[0], rows
    p = ilnbot(bot, "reprocess", str(q))
    assert p.returncode == 1 and "no mail set aside" in p.stderr, p.stderr


@test
def status_reports_rounds_people_queue(bot):
    e2e.signup(bot)
    p = ilnbot(bot, "status")
    assert p.returncode == 0, p.stderr
    assert "rounds:   none" in p.stdout, p.stdout
    assert re.search(r"people:\n\s+active\s+1\n", p.stdout), p.stdout
    assert re.search(r"outbox:\n(\s+\S.*\n)*\s+sent\s+2\n", p.stdout), p.stdout
    assert "daemon:   not running" in p.stdout
    ar = ("mx.example.org; dkim=pass header.d=example.org header.i=@example.org; "
          "dmarc=pass header.from=example.org")
    bot.send("ROUND OPEN 2026A", "Signup closes: 2026-03-10\nStarts: 2026-03-15\n"
             "Length: 4 months\n", sender="coord@example.org",
             headers={"Authentication-Results": ar})
    p = ilnbot(bot, "status")
    assert re.search(r"rounds:\n\s+2026A\s+sign-up open until 2026-03-10", p.stdout), p.stdout
    p = ilnbot(bot, "status", now="2026-03-11T09:00:00Z")
    assert re.search(r"2026A\s+sign-up closed 2026-03-10\S*, waiting for MATCH", p.stdout), p.stdout


@test
def setup_guide_postfix_lines_are_the_labs(bot):
    """man/ilnbot-setup.7's block marked `lab: postfix main.cf` is what tests/lab/lab.sh
    writes into the lab's main.cf, line for line."""
    with open(os.path.join(e2e.TOP, "man", "ilnbot-setup.7")) as f:
        guide = f.read()
    block = re.search(r'\.\\" lab: postfix main\.cf.*?\n\.EX\n(.*?)\n\.EE', guide, re.S)
    assert block, "no lab block in the guide"
    lines = [l.replace("\\-", "-") for l in block.group(1).splitlines()]
    assert len(lines) >= 5, lines
    with open(os.path.join(e2e.TOP, "tests", "lab", "lab.sh")) as f:
        lab = set(f.read().splitlines())
    for l in lines:
        assert l in lab, f"the guide's {l!r} is not what the lab runs"


@test
def unreadable_password_file_is_a_config_error(bot):
    """A password file the bot's user cannot read (root's 0600 file, the bot run as nobody;
    not root: a file of mode 000) stops check-config and once with exit 78."""
    path = write_secret(bot, "imap.pass", 0o600 if os.geteuid() == 0 else 0o000)
    set_conf(bot, IMAP.format(extra="imap_password_file = imap.pass\n"))
    env = None
    if os.geteuid() == 0:
        import pwd
        import grp
        import shutil
        uid, gid = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
        # The bot's folder is this test's own: hand it, and a copy of the binary, to nobody.
        shutil.copy(BIN, os.path.join(bot.dir, "ilnbot"))
        os.chmod(bot.dir, 0o755)
        for root, dirs, files in os.walk(bot.dir):
            for n in dirs + files:
                if os.path.join(root, n) != path:
                    os.chown(os.path.join(root, n), uid, gid)
        os.chown(bot.dir, uid, gid)
        runner = ["setpriv", "--reuid", str(uid), "--regid", str(gid), "--clear-groups",
                  os.path.join(bot.dir, "ilnbot")]
    else:
        runner = [BIN]
    for sub in ("check-config", "once"):
        cmd = runner + [sub, "-c", bot.conf] + (["--now", NOW] if sub == "once" else [])
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
        bot.log += p.stderr
        assert p.returncode == 78, (sub, p.returncode, p.stderr)
        assert re.search(r"ilnbot\.conf:\d+: \[inbound\] imap_password_file: \S*imap\.pass: "
                         r"Permission denied", p.stderr), (sub, p.stderr)
    os.chmod(path, 0o600)


def main():
    e2e.run_suite(TESTS, "ops")


if __name__ == "__main__":
    main()
