#!/usr/bin/env python3
"""pipe_test.py: the mail-server guide's Postfix pipe transport, run as the guide writes
it (issue #16 part 6). The master.cf entry, the transport map line and the main.cf
settings are read out of man/ilnbot-setup.7 ("A pipe transport"), their paths and user
swapped for this test's, and added to the running lab's Postfix. Then:
- a HELP sent to the routed address reaches `ilnbot deliver` through the pipe, run as
  the pipe's unprivileged user, and is answered;
- an address with a +extension (recipient_delimiter, the VERP bounce address) goes to the
  same pipe, where mail naming no token of the bot's is set aside unanswered;
- while the store cannot be opened, deliver exits 75 and Postfix keeps the message
  (deferred); once it can, a queue flush delivers it, answered once.
Needs the lab with Postfix (root); prints a skip line otherwise.
Usage: LAB_ENV=DIR/env pipe_test.py BINARY   (tests/lab/run.sh starts the lab)
"""
import email
import email.policy
import os
import pwd
import grp
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
GUIDE = os.path.join(TOP, "man", "ilnbot-setup.7")
ADDR = "pipe@example.org"

passed = failed = 0


def check(what, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what}{': ' + detail if detail else ''}")


def finish():
    print(f"pipe_test: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def roff(line):
    return line.replace("\\-", "-").replace("\\(aq", "'").replace("\\e", "\\")


def guide_blocks():
    """The .EX ... .EE examples of the guide's pipe-transport section, unescaped."""
    text = open(GUIDE, encoding="utf-8").read()
    start = text.index(".SS A pipe transport")
    end = text.index(".SS", start + 4)
    blocks, cur = [], None
    for line in text[start:end].splitlines():
        if line.startswith(".EX"):
            cur = []
        elif line.startswith(".EE"):
            blocks.append([roff(x) for x in cur])
            cur = None
        elif cur is not None:
            cur.append(line)
    return blocks


def env_of(path):
    env = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"export (\w+)=(.*)$", line.strip())
            if m:
                env[m.group(1)] = m.group(2)
    return env


def wait(pred, seconds):
    end = time.time() + seconds
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.3)
    return pred()


def replies(outbox, seen):
    d = os.path.join(outbox, "new")
    out = []
    if os.path.isdir(d):
        for n in sorted(os.listdir(d)):
            if n not in seen:
                seen.add(n)
                with open(os.path.join(d, n), "rb") as f:
                    out.append(email.message_from_bytes(f.read(), policy=email.policy.default))
    return out


def swaks(env, frm, to, subject, log):
    return subprocess.run(["swaks", "--server", "127.0.0.1", "--port", env["LAB_SMTP_PORT"],
                           "--from", frm, "--to", to, "--header", f"Subject: {subject}",
                           "--header", f"Message-ID: <{os.urandom(6).hex()}@client.example>",
                           "--body", "Hello."], stdout=log, stderr=subprocess.STDOUT,
                          timeout=60).returncode


def main():
    bin_path = os.path.realpath(sys.argv[1] if len(sys.argv) > 1 else
                                os.path.join(TOP, "build", "ilnbot"))
    env_file = os.environ.get("LAB_ENV")
    if not env_file:
        print("pipe_test: skipped (no LAB_ENV: run it from tests/lab/run.sh)")
        finish()
    env = env_of(env_file)
    if env.get("LAB_HAS_POSTFIX") != "1":
        print("pipe_test: skipped (the lab runs relay.py, not Postfix: the pipe needs Postfix)")
        finish()
    lab = env["LAB_DIR"]
    pf = os.path.join(lab, "postfix")

    blocks = guide_blocks()
    master = [b for b in blocks if any(" pipe" in x for x in b)]
    tmap = [b for b in blocks if any(x.endswith(" ilnbot:") for x in b)]
    maincf = [b for b in blocks if any(x.startswith("transport_maps") for x in b)]
    check("the guide gives the master.cf entry, the transport map and main.cf lines",
          len(master) == 1 and len(tmap) == 1 and len(maincf) == 1, repr(blocks))
    if failed:
        finish()

    # The bot's own folder, handed to the pipe's user (nobody: the lab runs as root).
    home = os.path.join(lab, "pipe")
    os.makedirs(os.path.join(home, "var"), exist_ok=True)
    shutil.copy(bin_path, os.path.join(home, "ilnbot"))
    shutil.copytree(os.path.join(TOP, "templates"), os.path.join(home, "templates"),
                    dirs_exist_ok=True)
    conf = os.path.join(home, "ilnbot.conf")
    with open(conf, "w") as f:
        f.write(f"""[network]
name = Pipe Test Network
address = {ADDR}
coordinators = coord@example.org

[store]
path = {home}/var/ilnbot.db

[inbound]
transport = maildir
maildir = {home}/var/inbox

[outbound]
transport = maildir
maildir = {home}/var/outbox

[program]
templates = {home}/templates
""")
    uid, gid = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    for root, dirs, files in os.walk(home):
        for n in dirs + files:
            os.chown(os.path.join(root, n), uid, gid)
    os.chown(home, uid, gid)

    entry = "\n".join(master[0])
    entry = entry.replace("user=ilnbot", "user=nobody")
    entry = entry.replace("/usr/bin/ilnbot", os.path.join(home, "ilnbot"))
    entry = entry.replace("/etc/ilnbot/ilnbot.conf", conf)
    check("the entry runs `ilnbot deliver` as user nobody",
          "user=nobody" in entry and " deliver " in entry and "argv=" + home in entry, entry)
    with open(os.path.join(pf, "master.cf"), "a") as f:
        f.write(entry + "\n")
    with open(os.path.join(pf, "transport"), "w") as f:
        for line in tmap[0]:
            f.write(line.replace("iln@example.org", ADDR) + "\n")
    settings = {}
    for line in maincf[0]:
        k, _, v = line.partition("=")
        settings[k.strip()] = v.strip()
    # hash: needs postmap; the lab's maps are texthash (same contents, read at start).
    settings["transport_maps"] = settings["transport_maps"].replace(
        "hash:/etc/postfix/transport", "texthash:" + os.path.join(pf, "transport"))
    subprocess.run(["postconf", "-c", pf, "-e"] + [f"{k} = {v}" for k, v in settings.items()],
                   check=True)
    with open(os.path.join(pf, "vmailbox"), "a") as f:
        f.write(f"{ADDR} OK\n")
    for n in ("main.cf", "master.cf", "vmailbox", "transport"):
        t = time.time() - 5
        os.utime(os.path.join(pf, n), (t, t))
    r = subprocess.run(["postfix", "-c", pf, "reload"], capture_output=True, text=True)
    check("Postfix reloads with the guide's settings", r.returncode == 0, r.stderr)
    time.sleep(1.5)

    outbox = os.path.join(home, "var", "outbox")
    seen = set()
    log = open(os.path.join(lab, "log", "pipe_swaks.out"), "a")
    rc = swaks(env, "ann@elsewhere.example", ADDR, "HELP", log)
    check("Postfix takes a HELP for the routed address", rc == 0)
    got = wait(lambda: replies(outbox, seen), 30)
    check("the pipe ran deliver and the bot answered ann",
          len(got) == 1 and "ann@elsewhere.example" in str(got[0]["To"]),
          f"{len(got)} replies")
    db = os.path.join(home, "var", "ilnbot.db")
    check("deliver ran as the pipe's user (the store is nobody's)",
          os.path.exists(db) and os.stat(db).st_uid == uid)

    plog = env.get("LAB_SMTP_LOG", os.path.join(lab, "log", "postfix.log"))
    rc = swaks(env, "bea@elsewhere.example", "pipe+x1@example.org", "HELP", log)
    piped = wait(lambda: re.search(r"to=<pipe\+x1@example\.org>, relay=ilnbot,.*status=sent.*",
                                   open(plog).read()), 30)
    check("an address+extension (the VERP bounce address) reaches the same pipe",
          rc == 0 and bool(piped))
    check("... where a mail naming no token of ours is set aside, unanswered",
          bool(piped) and "set aside" in piped.group(0) and replies(outbox, seen) == [])

    # The store unreachable: deliver says 75, Postfix keeps the mail, then delivers it.
    var = os.path.join(home, "var")
    os.chmod(var, 0o000)
    rc = swaks(env, "cy@elsewhere.example", ADDR, "HELP", log)
    plog = env.get("LAB_SMTP_LOG", os.path.join(lab, "log", "postfix.log"))

    ok = wait(lambda: "status=deferred" in open(plog).read(), 30)
    os.chmod(var, 0o750)
    os.chown(var, uid, gid)
    check("while the store cannot be opened Postfix defers (deliver exits 75)",
          rc == 0 and bool(ok))
    subprocess.run(["postqueue", "-c", pf, "-f"], capture_output=True)
    got = wait(lambda: replies(outbox, seen), 60)
    check("after a queue flush the deferred mail is delivered and answered once",
          len(got) == 1 and "cy@elsewhere.example" in str(got[0]["To"]), f"{len(got)} replies")
    time.sleep(1)
    check("nothing doubled", replies(outbox, seen) == [])
    finish()


if __name__ == "__main__":
    main()
