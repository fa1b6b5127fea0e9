#!/usr/bin/env python3
"""Benchmark of issue 3: N realistic command mails through ONE `ilnbot once` on the Maildir
transport, durability as shipped (WAL, synchronous=FULL, fsynced Maildir delivery), beside
the disk's own limit for the same files measured in the same run.

Setup (untimed): one pass of SIGNUPs from group A and B, one pass confirming group A, so the
timed batch can carry real tokens (group B's) and registered senders (group A).
Timed batch, shuffled: SIGNUP (new senders; 1 in 10 with a form problem), CONFIRM with real
tokens, CONFIRM with unknown tokens, SHOW, UPDATE, HELP; ~3 KB each with quoted text and
a signature; a few thousand distinct senders; replies_per_sender_per_day set high.

The disk limit: bench_inbound_maildir (C) delivers the same files by maildir(5) (write to
tmp/, fsync, rename into new/, fsync new/), once into the bot's inbox (that is how the batch
gets there) and once more into a scratch Maildir after the bot's run; their mean is the
reference. Peak memory is the bot's ru_maxrss, measured by /usr/bin/time (package time).

--intl P (issue 15): P% of the timed batch comes from Outlook-, Gmail- and Apple-Mail-like
clients in other languages and charsets (windows-1252 labelled ISO-8859-1, KOI8-R,
Shift_JIS, GB18030, Big5, and HTML-only UTF-8 with named entities): the sender's name in
its script in From (RFC 2047) and in the text, and for SIGNUP the country in its language.

Usage: bench_inbound_maildir.py --bin build/ilnbot --disk build/bench/bench_inbound_maildir
       [--n 10000] [--intl 40] [--keep] [--strace]   (--strace: count syscalls on a
       1,000-message run)
"""
import html.entities
import argparse
import email
import email.policy
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOT = "iln@example.org"
NOW = "2026-03-02T10:00:00Z"

COUNTRIES = [("Brazil", "Portuguese, English"), ("Germany", "German, English"),
             ("Japan", "Japanese"), ("Kenya", "Swahili, English"), ("Spain", "Spanish, Catalan"),
             ("UK", "English"), ("USA", "English, Spanish"), ("France", "French"),
             ("India", "Hindi, English"), ("Australia", "English"), ("NZ", "English, Maori"),
             ("Mexico", "es, en"), ("Nigeria", "Yoruba, English"), ("Poland", "Polish")]
SECTORS = ["public", "academic", "school", "special"]
NAMES = ["Ana Pereira", "Jürgen Weiß", "Aiko Tanaka", "Wanjiru Kamau", "Lucía Fernández",
         "Oliver Smith", "Maria Garcia", "Élodie Martin", "Priya Sharma", "Jack Brown",
         "Aroha Ngata", "José López", "Chinedu Okafor", "Zofia Kowalska"]
QUOTE = """Thank you for writing to the Example Librarians Network. We run a peer-mentoring
programme for library and information professionals: every round you are matched with a
partner in another country, and for four months you write to each other about your work,
your ideas and the challenges you face. Partners are chosen by sector, career stage and the
languages you share. Every few weeks the network sends discussion topics to get you going.
To apply, send SIGNUP with the form below; to see what we hold about you, send SHOW; to
change it, send UPDATE with the fields to change. Replies to this address are read by a
program; to reach a coordinator, write to coord@example.org.
"""
SIG = """--
{name}
{work}
Tel. +{tel} | https://library.example.net/staff/{user}
This e-mail and any attachments are confidential and intended solely for the addressee.
If you have received it in error, please notify the sender and delete it.
"""


# (charset label, Python codec, client, name, country as its people write it)
INTL = [
    ("ISO-8859-1", "cp1252", "Microsoft Outlook 16.0", "Zoë O’Connor – “Zo”", "Ireland"),
    ("KOI8-R", "koi8_r", "Gmail", "Мария Иванова", "Россия"),
    ("Shift_JIS", "shift_jis", "Apple Mail (2.3774)", "山田 太郎", "日本"),
    ("GB18030", "gb18030", "Gmail", "王芳", "中国"),
    ("Big5", "big5", "Microsoft Outlook 16.0", "陳美玲", "Taiwan"),
    ("html", "utf-8", "Apple Mail (2.3774)", "Renée Ñúñez Çelik", "España"),
]


def html_entities(text):
    """text as HTML-only mail writes it: named entities for every non-ASCII letter that
    has one, numeric ones for the rest, <br> line ends."""
    out = []
    for ch in text:
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == "\n":
            out.append("<br>\n")
        elif ord(ch) > 127:
            name = html.entities.codepoint2name.get(ord(ch))
            out.append(f"&{name};" if name else f"&#{ord(ch)};")
        else:
            out.append(ch)
    return "<html><body><div>" + "".join(out) + "</div></body></html>\n"


def form(rng, name, bad=False):
    country, langs = rng.choice(COUNTRIES)
    if bad:
        country = "Atlantis"
    return (f"Name: {name}\nCountry: {country}\nSector: {rng.choice(SECTORS)}\n"
            f"Workplace: {rng.choice(['City', 'State', 'University', 'Public'])} Library "
            f"of {rng.choice(['Porto', 'Kyoto', 'Nairobi', 'Leeds', 'Lyon', 'Pune'])}\n"
            f"Years: {rng.randint(0, 40)}\n"
            f"Interests: {', '.join(rng.sample(['cataloguing', 'open access', 'research data', 'outreach', 'digitisation', 'children', 'metadata', 'archives'], 3))}\n"
            f"Languages: {langs}\nAbout: I have worked in libraries for a while and like "
            f"meeting colleagues abroad.\nPartner sector: {rng.choice(['same', 'any', 'public'])}\n"
            f"Partner stage: {rng.choice(['different', 'any', 'same'])}\n"
            f"Notes: prefers mornings\nDigest: {rng.choice(['yes', 'no'])}\n")


def quoted(rng, size):
    """Quoted text of about size bytes: an Outlook-less "On ... wrote:" block."""
    lines = []
    while sum(len(l) + 3 for l in lines) < size:
        lines.extend(QUOTE.splitlines())
    out, n = [], 0
    for l in lines:
        if n >= size:
            break
        out.append("> " + l)
        n += len(l) + 3
    return (f"On Mon, 2 Mar 2026 at 0{rng.randint(1, 9)}:{rng.randint(10, 59)}, "
            f"Example Librarians Network <{BOT}> wrote:\n" + "\n".join(out) + "\n")


def message(rng, seq, sender, name, subject, text, in_reply_to=None, size=3000, intl=None):
    if intl is not None:
        return message_intl(rng, seq, sender, name, subject, text, in_reply_to, size, intl)
    user = sender.split("@")[0]
    dom = sender.split("@")[1]
    mid = f"<{seq:06d}.{rng.getrandbits(48):012x}@mail.{dom}>"
    hdr = [
        f"Return-Path: <{sender}>",
        f"Received: from mail.{dom} (mail.{dom} [192.0.2.{seq % 250 + 1}])\n"
        f"\tby mx.example.org (Postfix) with ESMTPS id {rng.getrandbits(40):010X}\n"
        f"\tfor <{BOT}>; Mon,  2 Mar 2026 09:{seq % 60:02d}:00 +0000 (UTC)",
        f"Authentication-Results: mx.example.org; dkim=pass header.d={dom}; spf=pass "
        f"smtp.mailfrom={dom}; dmarc=pass header.from={dom}",
        f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={dom}; s=sel1;\n"
        f"\th=from:to:subject:date:message-id; bh={rng.getrandbits(256):064x};\n"
        f"\tb={rng.getrandbits(512):0128x}",
        f"From: {name} <{sender}>",
        f"To: Example Librarians Network <{BOT}>",
        f"Subject: {subject}",
        f"Date: Mon, 2 Mar 2026 09:{seq % 60:02d}:{seq % 59:02d} +0000",
        f"Message-ID: {mid}",
    ]
    if in_reply_to:
        hdr.append(f"In-Reply-To: {in_reply_to}")
        hdr.append(f"References: {in_reply_to}")
    hdr += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8; format=flowed",
            "Content-Transfer-Encoding: 8bit", "User-Agent: Mozilla Thunderbird"]
    head = "\n".join(hdr) + "\n\n"
    body = f"Hello,\n\n{text}\n" + SIG.format(name=name, work="City Library",
                                              tel=rng.randint(10**9, 10**10), user=user)
    room = size - len(head.encode()) - len(body.encode())
    if room > 200:
        body += "\n" + quoted(rng, room - 80)
    return (head + body).encode()


def message_intl(rng, seq, sender, name, subject, text, in_reply_to, size, style):
    """As message(), from a client writing in INTL[style]'s charset."""
    import email.header
    label, codec, mailer, iname, country = INTL[style]
    user, dom = sender.split("@")
    text = text.replace(name, iname)
    text = re.sub(r"^Country: (?!Atlantis).*$", f"Country: {country}", text, flags=re.M)
    mid = f"<{seq:06d}.{rng.getrandbits(48):012x}@mail.{dom}>"
    enc = "utf-8" if label == "html" else codec
    disp = email.header.Header(iname, enc).encode()
    hdr = [
        f"Return-Path: <{sender}>",
        f"Received: from mail.{dom} (mail.{dom} [192.0.2.{seq % 250 + 1}])\n"
        f"\tby mx.example.org (Postfix) with ESMTPS id {rng.getrandbits(40):010X}\n"
        f"\tfor <{BOT}>; Mon,  2 Mar 2026 09:{seq % 60:02d}:00 +0000 (UTC)",
        f"Authentication-Results: mx.example.org; dkim=pass header.d={dom}; spf=pass "
        f"smtp.mailfrom={dom}; dmarc=pass header.from={dom}",
        f"From: {disp} <{sender}>",
        f"To: Example Librarians Network <{BOT}>",
        f"Subject: {subject}",
        f"Date: Mon, 2 Mar 2026 09:{seq % 60:02d}:{seq % 59:02d} +0000",
        f"Message-ID: {mid}",
        f"X-Mailer: {mailer}",
    ]
    if in_reply_to:
        hdr += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    body = f"Hello,\n\n{text}\n" + SIG.format(name=iname, work="City Library",
                                               tel=rng.randint(10**9, 10**10), user=user)
    room = size - 900 - len(body.encode(enc))
    if room > 200:
        body += "\n" + quoted(rng, room - 80)
    if label == "html":
        hdr += ["MIME-Version: 1.0", 'Content-Type: text/html; charset="us-ascii"',
                "Content-Transfer-Encoding: 7bit"]
        data = html_entities(body).encode("ascii")
    else:
        hdr += ["MIME-Version: 1.0", f'Content-Type: text/plain; charset="{label}"',
                "Content-Transfer-Encoding: 8bit"]
        data = body.encode(codec)
    return ("\n".join(hdr) + "\n\n").encode() + data


def write_conf(d, rate_limit):
    conf = os.path.join(d, "ilnbot.conf")
    with open(conf, "w") as f:
        f.write(f"""[network]
name = Example Librarians Network
address = {BOT}
coordinators = coord@example.org
trusted_authserv_id = mx.example.org
default_language = English

[store]
path = var/ilnbot.db

[inbound]
transport = maildir
maildir = var/inbox

[outbound]
transport = maildir
maildir = var/outbox

[program]
templates = {TOP}/templates
token_days = 7
replies_per_sender_per_day = {rate_limit}
""")
    return conf


def run_measured(cmd, logpath, wrap=()):
    """Run cmd (its stderr appended to logpath) under /usr/bin/time, whose small process is
    the one that forks it, so ru_maxrss is the command's own and not this Python's copy
    before exec. Returns (wall seconds, peak RSS in KiB, exit status, CPU seconds)."""
    tfile = logpath + ".time"
    with open(logpath, "ab") as log:
        t0 = time.monotonic()
        p = subprocess.Popen(["/usr/bin/time", "-f", "%M %U %S %x", "-o", tfile] + list(wrap) + cmd,
                             stdout=subprocess.DEVNULL, stderr=log)
        stop = threading.Event()
        th = threading.Thread(target=sample_rss, args=(p.pid, stop))
        th.start()
        p.wait()
        t1 = time.monotonic()
        stop.set()
        th.join()
    with open(tfile) as f:
        last = f.read().split("\n")[-2].split()
    os.unlink(tfile)
    return t1 - t0, int(last[0]), int(last[3]), float(last[1]) + float(last[2])


def run_bot(binary, conf, logpath, wrap=()):
    """One `ilnbot once`; returns (seconds, peak RSS in KiB, exit status, CPU seconds)."""
    return run_measured([binary, "once", "-c", conf, "--now", NOW], logpath, wrap)


RSS_PEAK = {}


def sample_rss(tpid, stop):
    """Every 0.2 s, the VmRSS split (anonymous, file, shared) of the child of /usr/bin/time
    (tpid) at its largest."""
    RSS_PEAK.clear()
    pid = None
    while not stop.wait(0.2):
        try:
            if pid is None:
                with open(f"/proc/{tpid}/task/{tpid}/children") as f:
                    kids = f.read().split()
                if not kids:
                    continue
                pid = int(kids[0])
            with open(f"/proc/{pid}/status") as f:
                v = {l.split(":")[0]: int(l.split()[1]) for l in f if l.startswith(("VmRSS", "RssAnon", "RssFile", "RssShmem"))}
        except (OSError, ValueError, IndexError):
            continue
        if v.get("VmRSS", 0) > RSS_PEAK.get("VmRSS", 0):
            RSS_PEAK.update(v)


def drop(dirpath, msgs, tag):
    os.makedirs(dirpath, exist_ok=True)
    for i, raw in enumerate(msgs):
        with open(os.path.join(dirpath, f"{1700000000 + i}.M{i:06d}P{tag}.bench"), "wb") as f:
            f.write(raw)


def replies_by_rcpt(outnew, seen):
    out = {}
    for name in os.listdir(outnew):
        if name in seen:
            continue
        seen.add(name)
        with open(os.path.join(outnew, name), "rb") as f:
            m = email.message_from_bytes(f.read(), policy=email.policy.default)
        out.setdefault(str(m["To"]).lower(), []).append(m)
    return out


def token_of(m):
    s = re.sub(r"\s+", " ", str(m["Subject"]))
    t = re.match(r"CONFIRM ([0-9a-f]{16,})", s)
    return t.group(1) if t else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(TOP, "build", "ilnbot"))
    ap.add_argument("--disk", default=os.path.join(TOP, "build", "bench", "bench_inbound_maildir"))
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--intl", type=int, default=0, help="percent of the batch in other charsets")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--strace", action="store_true")
    ap.add_argument("--perf", action="store_true", help="perf record the timed run (perf.data in the folder; implies --keep)")
    ap.add_argument("--dir", default=None)
    a = ap.parse_args()
    binary, disk = os.path.abspath(a.bin), os.path.abspath(a.disk)
    n = a.n
    rng = random.Random(3)
    d = a.dir or tempfile.mkdtemp(prefix="ilnbot-bench-", dir="/var/tmp")
    os.makedirs(d, exist_ok=True)
    conf = write_conf(d, 100000)
    inbox, outnew = os.path.join(d, "var", "inbox"), os.path.join(d, "var", "outbox", "new")
    log = os.path.join(d, "ilnbot.log")
    seen = set()
    print(f"bench-maildir: {n} command mails, one `ilnbot once`, Maildir in and out, in {d}")

    # The mix, scaled to n: shares of SIGNUP, CONFIRM (real), CONFIRM (unknown), SHOW, UPDATE, HELP.
    n_reg = max(1, n // 10)        # group A: registered during setup
    n_pend = max(1, n // 10)       # group B: pending SIGNUP, its token confirmed in the batch
    n_signup = n // 5
    n_conf_bad = n // 20
    n_show = n // 5
    n_update = n // 5
    n_help = n - n_pend - n_signup - n_conf_bad - n_show - n_update
    grp_a = [(f"a{i:05d}@lib{i % 97}.example.net", rng.choice(NAMES)) for i in range(n_reg)]
    grp_b = [(f"b{i:05d}@lib{i % 89}.example.net", rng.choice(NAMES)) for i in range(n_pend)]
    seq = 0

    # Setup (untimed): SIGNUP A and B, then CONFIRM A.
    t0 = time.monotonic()
    msgs = []
    for s, nm in grp_a + grp_b:
        seq += 1
        msgs.append(message(rng, seq, s, nm, "SIGNUP", form(rng, nm)))
    drop(os.path.join(inbox, "new"), msgs, "1")
    _, _, rc, _ = run_bot(binary, conf, log)
    if rc != 0:
        sys.exit(f"setup SIGNUP pass: exit {rc}; see {log}")
    reps = replies_by_rcpt(outnew, seen)
    tokens = {}
    for s, _ in grp_a + grp_b:
        for m in reps.get(s, []):
            if token_of(m):
                tokens[s] = (token_of(m), str(m["Message-ID"]))
    if len(tokens) != len(grp_a) + len(grp_b):
        sys.exit(f"setup: {len(tokens)} tokens for {len(grp_a) + len(grp_b)} SIGNUPs; see {log}")
    msgs = []
    for s, nm in grp_a:
        seq += 1
        tok, mid = tokens[s]
        msgs.append(message(rng, seq, s, nm, f"Re: CONFIRM {tok} - please confirm your application",
                            "Yes, I agree.", in_reply_to=mid))
    shutil.rmtree(os.path.join(inbox, "new"))
    drop(os.path.join(inbox, "new"), msgs, "2")
    _, _, rc, _ = run_bot(binary, conf, log)
    if rc != 0:
        sys.exit(f"setup CONFIRM pass: exit {rc}; see {log}")
    replies_by_rcpt(outnew, seen)
    db = sqlite3.connect(os.path.join(d, "var", "ilnbot.db"))
    nreg = db.execute("SELECT count(*) FROM participants").fetchone()[0]
    db.close()
    if nreg != len(grp_a):
        sys.exit(f"setup: {nreg} participants, want {len(grp_a)}")
    print(f"setup: {len(grp_a)} registered, {len(grp_b)} pending tokens "
          f"({time.monotonic() - t0:.1f} s, untimed)")

    # The timed batch; --intl of it from clients in other charsets (decided per mail).
    irng = random.Random(15)

    def style():
        return irng.randrange(len(INTL)) if irng.random() * 100 < a.intl else None
    batch = []
    for i in range(n_signup):
        seq += 1
        s, nm = f"n{i:05d}@lib{i % 83}.example.com", rng.choice(NAMES)
        batch.append(message(rng, seq, s, nm, rng.choice(["SIGNUP", "Signup", "JOIN", "[ILN] APPLY"]),
                             form(rng, nm, bad=(i % 10 == 9)), intl=style()))
    for s, nm in grp_b:
        seq += 1
        tok, mid = tokens[s]
        batch.append(message(rng, seq, s, nm, f"Re: CONFIRM {tok} - please confirm your application",
                             "Yes, I agree to the obligations.", in_reply_to=mid, intl=style()))
    for i in range(n_conf_bad):
        seq += 1
        s, nm = rng.choice(grp_a + grp_b)
        batch.append(message(rng, seq, s, nm, f"Re: CONFIRM {rng.getrandbits(128):032x}", "Yes.", intl=style()))
    for i in range(n_show):
        seq += 1
        s, nm = rng.choice(grp_a)
        batch.append(message(rng, seq, s, nm, rng.choice(["SHOW", "show", "Re: SHOW", "MYDATA"]),
                             "What do you hold about me?", intl=style()))
    for i in range(n_update):
        seq += 1
        s, nm = rng.choice(grp_a)
        country, langs = rng.choice(COUNTRIES)
        batch.append(message(rng, seq, s, nm, "UPDATE",
                             f"Country: {country}\nLanguages: {langs}\nYears: {rng.randint(1, 30)}\n",
                             intl=style()))
    for i in range(n_help):
        seq += 1
        s, nm = (rng.choice(grp_a) if i % 2 else (f"h{i:05d}@lib{i % 79}.example.org", rng.choice(NAMES)))
        batch.append(message(rng, seq, s, nm, rng.choice(["HELP", "help", "Question", "Hi there"]),
                             "How does this work?", intl=style()))
    rng.shuffle(batch)
    senders = len(set(re.search(rb"^From: .*<([^>]+)>", m, re.M).group(1) for m in batch))
    nintl = sum(b"X-Mailer: " in m for m in batch)
    avg = sum(len(m) for m in batch) / len(batch)
    src = os.path.join(d, "batch")
    shutil.rmtree(src, ignore_errors=True)
    drop(src, batch, "3")
    shutil.rmtree(os.path.join(inbox, "new"))
    print(f"batch: {len(batch)} mails, {avg:.0f} bytes on average, {senders} distinct senders: "
          f"{n_signup} SIGNUP ({n_signup // 10} with a bad form), {n_pend} CONFIRM, "
          f"{n_conf_bad} CONFIRM unknown token, {n_show} SHOW, {n_update} UPDATE, {n_help} HELP"
          + (f"; {nintl} ({100 * nintl / len(batch):.0f}%) in other charsets "
             "(windows-1252, KOI8-R, Shift_JIS, GB18030, Big5, HTML with entities)" if a.intl else ""))

    def disk_run(dst):
        out = subprocess.run([disk, src, dst], capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"{disk}: {out.stderr}")
        f = out.stdout.split()
        return float(f[3]), float(f[5])

    # 1. The disk's limit, delivering the batch into the bot's inbox.
    disk1_s, disk1_r = disk_run(inbox)
    cur_before = len(os.listdir(os.path.join(inbox, "cur")))
    out_before = len(os.listdir(outnew))
    os.sync()
    # 2. The bot.
    wrap = []
    if a.perf:
        wrap = ["perf", "record", "-g", "-o", os.path.join(d, "perf.data"), "--"]
        a.keep = True
    bot_s, rss_kib, rc, bot_cpu = run_bot(binary, conf, log, wrap)
    if rc != 0:
        sys.exit(f"ilnbot once: exit {rc}; see {log}")
    # 3. The disk's limit again, into a scratch Maildir.
    disk2_s, disk2_r = disk_run(os.path.join(d, "scratch"))

    done = len(os.listdir(os.path.join(inbox, "cur"))) - cur_before
    left = len(os.listdir(os.path.join(inbox, "new")))
    replies = len(os.listdir(outnew)) - out_before
    db = sqlite3.connect(os.path.join(d, "var", "ilnbot.db"))
    outcomes = db.execute("SELECT outcome, count(*) FROM inbound GROUP BY outcome ORDER BY 2 DESC").fetchall()
    nreg2 = db.execute("SELECT count(*) FROM participants").fetchone()[0]
    queued = db.execute("SELECT count(*) FROM outbox WHERE status != 'sent'").fetchone()[0]
    db.close()
    ok = done == n and left == 0 and replies == n and queued == 0
    print(f"check: {done} moved to cur/, {left} left in new/, {replies} replies in the outbox "
          f"Maildir, {queued} not sent, {nreg2} participants; outcomes {dict(outcomes)}"
          + ("" if ok else "  <-- UNEXPECTED"))

    disk_r = (disk1_r + disk2_r) / 2
    bot_r = n / bot_s
    ratio = bot_r / disk_r
    rss_mib = rss_kib / 1024
    print()
    print(f"{'':44s}{'mails':>8s}{'seconds':>10s}{'mails/s':>10s}")
    print(f"{'disk: write, fsync, rename, fsync dir (1)':44s}{n:8d}{disk1_s:10.2f}{disk1_r:10.0f}")
    print(f"{'disk: write, fsync, rename, fsync dir (2)':44s}{n:8d}{disk2_s:10.2f}{disk2_r:10.0f}")
    print(f"{'ilnbot once (parse, SQLite, reply, deliver)':44s}{n:8d}{bot_s:10.2f}{bot_r:10.0f}")
    print()

    def verdict(good):
        return "met" if good else "NOT met"
    print(f"ratio ilnbot / disk (mean of both): {ratio:.2f}   goal >= 0.50: {verdict(ratio >= 0.5)}")
    print(f"commands per second: {bot_r:.0f}   goal >= 1000: {verdict(bot_r >= 1000)}")
    print(f"ilnbot CPU time: {bot_cpu:.2f} s ({bot_cpu / n * 1e6:.0f} us per mail, so CPU alone "
          f"allows {n / bot_cpu:.0f} mails/s); the rest of the wall time is waiting on the disk")
    print(f"peak memory (ru_maxrss): {rss_mib:.1f} MiB   goal <= 64 MiB: {verdict(rss_mib <= 64)}")
    if RSS_PEAK:
        print("  largest sampled: " + ", ".join(f"{k} {v / 1024:.1f} MiB" for k, v in RSS_PEAK.items()))

    if a.strace and shutil.which("strace"):
        # A second, smaller run under strace -c: the system calls per mail.
        m = min(n, 1000)
        d2 = tempfile.mkdtemp(prefix="ilnbot-bench-strace-", dir="/var/tmp")
        conf2 = write_conf(d2, 100000)
        drop(os.path.join(d2, "var", "inbox", "new"), batch[:m], "3")
        sfile = os.path.join(d2, "strace.txt")
        run_bot(binary, conf2, os.path.join(d2, "ilnbot.log"),
                ["strace", "-f", "-c", "-o", sfile, "-e", "trace=fsync,fdatasync,write,pwrite64,rename,openat,read,pread64"])
        print(f"\nsystem calls for {m} mails (strace -c):")
        with open(sfile) as f:
            for line in f:
                p = line.split()
                if len(p) >= 5 and p[-1] in ("fsync", "fdatasync", "write", "pwrite64", "rename",
                                             "openat", "read", "pread64"):
                    calls = int(p[3])
                    print(f"  {p[-1]:10s} {calls:8d}  {calls / m:6.2f} per mail")
        shutil.rmtree(d2, ignore_errors=True)
    if not a.keep:
        shutil.rmtree(d, ignore_errors=True)
    else:
        print(f"kept {d}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
