#!/usr/bin/env python3
"""Generates the monsters the shared corpus lacks, into the folder given: deep MIME
nesting, huge part counts, huge headers, NUL bytes, bad charsets and encodings, missing
headers, LF-only and CR-only line ends, oversize. Deterministic."""
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
H = "From: ana@example.org\r\nTo: iln@example.org\r\nMessage-ID: <{0}@gen>\r\n"


def write(name, data):
    with open(os.path.join(out, name + ".eml"), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape"))


def nest_rfc822(n):
    head = (H.format("rfc822-%d" % n) + "Subject: HELP\r\nContent-Type: message/rfc822\r\n\r\n")
    inner = "Content-Type: message/rfc822\r\n\r\n" * n
    return head + inner + "Subject: x\r\n\r\nbody\r\n"


def nest_multipart(n):
    s = [H.format("mp-%d" % n) + "Subject: HELP\r\n"]
    for i in range(n):
        s.append('Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i))
    s.append("Content-Type: text/plain\r\n\r\nhi\r\n")
    for i in reversed(range(n)):
        s.append("--b%d--\r\n" % i)
    return "".join(s)


def many_parts(n):
    s = [H.format("parts-%d" % n) + 'Subject: HELP\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n']
    for i in range(n):
        s.append("--B\r\nContent-Type: text/plain\r\n\r\np%d\r\n" % i)
    s.append("--B--\r\n")
    return "".join(s)


write("nest-rfc822-100", nest_rfc822(100))
write("nest-rfc822-30000", nest_rfc822(30000))
write("nest-rfc822-100000", nest_rfc822(100000))
write("nest-multipart-49", nest_multipart(49))
write("nest-multipart-51", nest_multipart(51))
write("nest-multipart-10000", nest_multipart(10000))
write("parts-999", many_parts(999))
write("parts-100000", many_parts(100000))
write("header-line-1MB", H.format("hl") + "Subject: HELP " + "x" * (1 << 20) + "\r\n\r\nhi\r\n")
write("to-lines-200k", H.format("to") + "".join("To: u%d@example.org\r\n" % i for i in range(200000))
      + "Subject: HELP\r\n\r\nhi\r\n")
write("oversize-11MB", H.format("big") + "Subject: HELP\r\n\r\n" + ("y" * 998 + "\r\n") * 11000)
write("nul-bytes", H.format("nul") + "Subject: HE\x00LP\r\n\r\nName: A\x00na\r\n")
write("bad-charset", H.format("cs") + "Subject: =?x-unknown?q?caf=E9?= HELP\r\n"
      "Content-Type: text/plain; charset=x-klingon\r\n\r\ncaf\udce9\r\n")
write("bad-base64", H.format("b64") + "Subject: SIGNUP\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "!!!!not*base64====\r\nTmFtZTogQW5h\r\n===\r\n")
write("bad-qp", H.format("qp") + "Subject: SIGNUP\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
      "Name: A=ZZna=\r\n=\r\n=4\r\n")
write("8bit-headers", H.format("8bit") + "Subject: Ol\udce1 HELP \udcff\udcfe\r\n\r\nhi\r\n")
write("no-from", "To: iln@example.org\r\nSubject: HELP\r\n\r\nhi\r\n")
write("no-headers", "\r\n\r\n\r\n")
write("empty", "")
write("lf-only", (H.format("lf") + "Subject: HELP\r\n\r\nhi\r\n").replace("\r\n", "\n"))
write("cr-only", (H.format("cr") + "Subject: HELP\r\n\r\nhi\r\n").replace("\r\n", "\r"))
write("group-from", "From: friends: a@example.org, b@example.org;\r\nSubject: HELP\r\n\r\nhi\r\n")
write("encoded-crlf-subject", H.format("crlf") + "Subject: =?utf-8?b?SEVMUA0KQmNjOiB2QGV4YW1wbGUub3Jn?=\r\n\r\nhi\r\n")
write("boundary-missing", H.format("nob") + 'Subject: HELP\r\nContent-Type: multipart/mixed\r\n\r\n--\r\nhi\r\n')
write("signup-hostile", H.format("hostile") + "Subject: SIGNUP\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
      "Name: %n%s%x {{token}} ${x} $(x)\r\nCountry: BR\r\nSector: public\r\nWorkplace: \u2028Bcc: v@x\r\n"
      "Years: 99999999999999999999\r\nInterests: " + ",".join("i%d" % i for i in range(500)) + "\r\n")
