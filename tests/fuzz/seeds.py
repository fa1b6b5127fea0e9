#!/usr/bin/env python3
"""tests/fuzz/seeds.py OUT TARGET...: writes the seed corpus of each libFuzzer target into
the folder OUT/TARGET, deterministically, from the shared corpus (ILNBOT_CORPUS, default
../shared/corpus from the checkout: its mail and strings/blns.txt), the monsters of
tests/corpus/generate.py and the hand-written seeds of tests/fuzz/*_seeds/. TARGET is
fuzz_inbound, fuzz_msg_parse, fuzz_auth_results, fuzz_form, fuzz_subject, fuzz_tmpl
or fuzz_bounce.
Prints "TARGET N" for the N seeds written."""
import functools
import hashlib
import os
import re
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.environ.get("ILNBOT_CORPUS", os.path.join(os.path.dirname(TOP), "shared", "corpus"))
BLNS = os.environ.get("ILNBOT_BLNS", os.path.join(CORPUS, "strings", "blns.txt"))
MAX_MAIL = 200 * 1024


@functools.lru_cache(maxsize=None)
def mails():
    """Raw bytes of every corpus message under MAX_MAIL: shared, then generated."""
    out = []
    for d in (CORPUS, os.path.join(TOP, "tests", "corpus")):
        for root, _, files in sorted(os.walk(d)):
            for f in sorted(files):
                if f.endswith((".eml", ".msg")):
                    p = os.path.join(root, f)
                    if os.path.getsize(p) <= MAX_MAIL:
                        with open(p, "rb") as fh:
                            out.append(fh.read())
    with tempfile.TemporaryDirectory() as gen:
        subprocess.run([sys.executable, os.path.join(TOP, "tests", "corpus", "generate.py"), gen],
                       check=True, stdout=subprocess.DEVNULL)
        for f in sorted(os.listdir(gen)):
            p = os.path.join(gen, f)
            if os.path.getsize(p) <= MAX_MAIL:
                with open(p, "rb") as fh:
                    out.append(fh.read())
    return tuple(out)


def blns():
    """The naughty strings, one per line, comments and blank lines left out."""
    try:
        with open(BLNS, "rb") as fh:
            lines = fh.read().split(b"\n")
    except OSError:
        return []
    return [l for l in lines if l and not l.startswith(b"#")]


def split_mail(raw):
    """(header block, body) of a raw message, at its first blank line."""
    m = re.search(rb"\r?\n\r?\n", raw)
    return (raw, b"") if m is None else (raw[:m.start()], raw[m.end():])


def header_values(raw, name):
    """Unfolded values of every header field name (bytes, lower case) of a message."""
    head, _ = split_mail(raw)
    head = re.sub(rb"\r?\n[ \t]+", b" ", head)
    out = []
    for line in re.split(rb"\r?\n", head):
        k, sep, v = line.partition(b":")
        if sep and k.strip().lower() == name:
            out.append(v.strip())
    return out


def hand_seeds(name):
    d = os.path.join(TOP, "tests", "fuzz", name + "_seeds")
    out = []
    if os.path.isdir(d):
        for f in sorted(os.listdir(d)):
            with open(os.path.join(d, f), "rb") as fh:
                out.append(fh.read())
    return out


FORM = (b"Name: Ana Souza\nCountry: Brazil\nSector: public\nWorkplace: Biblioteca Municipal\n"
        b"Years: 3\nInterests: cataloguing, outreach\nLanguages: Portuguese, English\n"
        b"About: I run a small branch library.\nPartner sector: any\nPartner stage: different\n"
        b"Notes: mornings only\nDigest: yes\n")
FIELDS = [b"Name", b"Country", b"Sector", b"Workplace", b"Years", b"Interests", b"Languages",
          b"About", b"Partner sector", b"Partner stage", b"Notes", b"Digest"]


def form_with(field, value):
    """FORM with one field's value replaced."""
    lines = FORM.split(b"\n")
    for i, l in enumerate(lines):
        if l.startswith(field + b":"):
            lines[i] = field + b": " + value
    return b"\n".join(lines)


def seeds(target):
    strings = blns()
    if target in ("fuzz_inbound", "fuzz_msg_parse"):
        return list(mails()) + hand_seeds("msg")
    if target == "fuzz_auth_results":
        out = hand_seeds("auth_results")
        for raw in mails():
            frm = header_values(raw, b"from")
            for v in header_values(raw, b"authentication-results"):
                out.append((frm[0] if frm else b"") + b"\n" + v)
        return out
    if target == "fuzz_form":
        out = [FORM] + hand_seeds("form")
        for raw in mails():
            body = split_mail(raw)[1]
            if body:
                out.append(body[:64 * 1024])
        for i, s in enumerate(strings):
            out.append(form_with(FIELDS[i % len(FIELDS)], s))
        return out
    if target == "fuzz_subject":
        out = hand_seeds("subject")
        for raw in mails():
            out.extend(header_values(raw, b"subject"))
        out.extend(strings)
        out.extend(b"SIGNUP " + s for s in strings[::7])
        return out
    if target == "fuzz_tmpl":
        out = hand_seeds("tmpl")
        names = sorted(f[:-4] for f in os.listdir(os.path.join(TOP, "templates"))
                       if f.endswith(".txt"))
        tdir = os.path.join(TOP, "templates")
        for i, n in enumerate(names):
            with open(os.path.join(tdir, n + ".txt"), "rb") as fh:
                text = fh.read()
            vars_ = re.findall(rb"\{\{[#/]?\s*([A-Za-z0-9_.-]+)\s*\}\}", text)
            vals = [strings[(i * 5 + k) % len(strings)] if strings else b"x"
                    for k in range(len(vars_))]
            pieces = [a + b"=" + b for a, b in zip(dict.fromkeys(vars_), vals)]
            out.append(b"\0".join([b"@" + n.encode()] + pieces))
            out.append(b"\0".join([text] + pieces))
        for i, s in enumerate(strings):
            out.append(b"Subject: {{a}} re {{b}}\n\nDear {{a}},\n{{#b}}\nb is {{b}}\n{{/b}}\n"
                       b"end\0a=" + s + b"\0b=" + strings[(i + 1) % len(strings)])
        return out
    if target == "fuzz_bounce":
        dsn = (b"From: MAILER-DAEMON@mx.example.net\nTo: iln-bounces+%s@example.org\n"
               b"Delivered-To: iln-bounces+%s@example.org\nAuto-Submitted: auto-replied\n"
               b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
               b"--b\n\ntext\n--b\nContent-Type: message/delivery-status\n\n"
               b"Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; %s\n"
               b"Action: %s\nStatus: %s\nDiagnostic-Code: smtp; 550 no such user\n"
               b"--b\nContent-Type: text/rfc822-headers\n\n"
               b"Message-ID: <0123456789abcdef0123@example.org>\n--b--\n")
        cases = [(b"0123456789abcdef", b"ana@example.net", b"failed", b"5.1.1"),
                 (b"fedcba9876543210", b"bo@example.net", b"delayed", b"4.2.2")]
        cases += [(b"x", s, b"delivered", b"2.0.0") for s in strings[:40]]
        out = [dsn % (c[0], c[0], c[1], c[2], c[3])
               for c in cases]
        return out + [m for m in mails()] + hand_seeds("bounce")
    raise SystemExit("seeds.py: no target " + target)


def main():
    for target in sys.argv[2:]:
        out = os.path.join(sys.argv[1], target)
        os.makedirs(out, exist_ok=True)
        n = 0
        for s in seeds(target):
            path = os.path.join(out, hashlib.sha1(s).hexdigest())
            if not os.path.exists(path):
                with open(path, "wb") as fh:
                    fh.write(s)
                n += 1
        print(target, n)


if __name__ == "__main__":
    main()
