#!/usr/bin/env python3
"""tests/messages.py: the sentences the C code builds are all in the tables (issue #15).

Checks, without running the program:
  - every message key a C file names ("refuse.confirm.used", ...) is in the default set's
    templates/messages.ini, and every key there is named by some C file (no dead text);
  - the status words people read (state_shown(lang, "kind", word): status.<kind>.<word>)
    exist for every word of that kind in src/state.c;
  - every shipped language set (templates/<code>/) has a messages.ini with exactly the
    default's keys and the same {{placeholders}} in each: the loader would fall back to
    English for a missing key, but a shipped set must be complete.
Prints "N passed, N failed" like the other suites. Usage: python3 tests/messages.py
"""
import glob
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATES = os.path.join(TOP, "templates")
# The areas of message keys (the first dotted word); a C string literal "area.word..."
# is a message key.
AREAS = ("status", "show", "refuse", "match", "coord", "round", "stats", "topic", "preview", "export")
KEY_RE = re.compile(r'"((?:%s)\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)"' % "|".join(AREAS))
STATE_KINDS = {  # state_shown's kind -> its table in state.c
    "participant": "participant_words", "partnership": "partnership_words",
    "end": "end_words", "report_kind": "report_kind_words", "report": "report_words",
    "waiting": "waiting_words", "round": "round_words", "bounce": "bounce_record_words",
}

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def read_table(path):
    """{key: value} of the [messages] section, as src/words.c reads it."""
    out, section, last = {}, None, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line[:1] in (" ", "\t") and line.strip() and not line.strip().startswith("#"):
                if last is not None:
                    out[last] += " " + line.strip()
                continue
            t = line.strip()
            last = None
            if not t or t.startswith("#"):
                continue
            if t.startswith("["):
                section = t[1:t.index("]")]
                continue
            k, _, v = t.partition("=")
            if section == "messages":
                last = k.strip()
                assert last not in out, f"{path}: {last} given twice"
                out[last] = v.strip()
    return out


def placeholders(s):
    return sorted(set(re.findall(r"\{\{([^}]*)\}\}", s)))


def c_sources():
    for path in sorted(glob.glob(os.path.join(TOP, "src", "*.c"))):
        with open(path, encoding="utf-8") as f:
            yield os.path.basename(path), re.sub(r"(?m)^#include.*$", "", f.read())


default = read_table(os.path.join(TEMPLATES, "messages.ini"))
used = {}
kinds = set()
for name, text in c_sources():
    for k in KEY_RE.findall(text):
        used.setdefault(k, name)
    kinds.update(re.findall(r'state_shown\([^,]+,\s*"([a-z_]+)"', text))
for k, where in sorted(used.items()):
    check(k in default, f"{where} names {k}, which templates/messages.ini lacks")

with open(os.path.join(TOP, "src", "state.c"), encoding="utf-8") as f:
    state_c = f.read()
for kind in sorted(kinds):
    check(kind in STATE_KINDS, f"state_shown kind {kind} is not known to this test")
    m = re.search(r"%s\[[A-Z_]+\] = \{(.*?)\};" % STATE_KINDS.get(kind, "-"), state_c, re.S)
    check(m is not None, f"the table of {kind} in src/state.c")
    for word in re.findall(r'\] = "([a-z_]+)"', m.group(1) if m else ""):
        k = f"status.{kind}.{word}"
        used.setdefault(k, "state.c")
        check(k in default, f"templates/messages.ini lacks {k} (state_shown)")

for k in sorted(default):
    check(k in used, f"templates/messages.ini: {k} is named by no C file")

sets = sorted(d for d in os.listdir(TEMPLATES)
              if re.fullmatch(r"[a-z]{2}", d) and os.path.isdir(os.path.join(TEMPLATES, d)))
check(len(sets) > 0, "some language set is shipped")
for code in sets:
    path = os.path.join(TEMPLATES, code, "messages.ini")
    check(os.path.exists(path), f"templates/{code}/messages.ini exists")
    if not os.path.exists(path):
        continue
    table = read_table(path)
    missing = sorted(set(default) - set(table))
    extra = sorted(set(table) - set(default))
    check(not missing, f"templates/{code}/messages.ini lacks {', '.join(missing)}")
    check(not extra, f"templates/{code}/messages.ini has keys the default lacks: "
          f"{', '.join(extra)}")
    for k in sorted(set(default) & set(table)):
        check(placeholders(table[k]) == placeholders(default[k]),
              f"templates/{code}/messages.ini {k}: placeholders {placeholders(table[k])}, "
              f"the default's {placeholders(default[k])}")
        check(table[k] != "", f"templates/{code}/messages.ini {k} is empty")

print(f"messages: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
