#!/usr/bin/env python3
"""bench-names (issue 15): what reading every iso-codes translation costs a pass.

Side by side in one run, each the median of 5 passes (wall time) and the largest maximum
RSS (/usr/bin/time), each on a new store:
  (1) an empty `ilnbot once` that can read every translation (names_locale_dir as shipped)
  (2) the same pass with English names only (names_locale_dir empty)
  (3) a pass with one SIGNUP naming its country "Deutschland", which makes ilnbot read every
      catalog (iso_3166-1, iso_639-2, iso_639-3 of every language)
  (4) the same pass with "Germany" and English names only.
Goal: (1) within 1.5x of (2), every pass under 64 MiB. (3)/(4) is printed as well.
Usage: bench_names.py BINARY WORKDIR"""
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_digest as bd  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOW = "2026-03-02T10:00:00Z"
FORM = ("Name: Bench Person\nCountry: {country}\nSector: academic\nWorkplace: Library\n"
        "Years: 3\nInterests: cataloguing\nLanguages: {lang}\nDigest: no\n")


def setup(d, locale):
    os.makedirs(os.path.join(d, "var", "inbox", "new"), exist_ok=True)
    cfg = os.path.join(d, "ilnbot.conf")
    with open(cfg, "w") as f:
        f.write(f"""[network]
name = Bench Network
address = iln@example.org
coordinators = coord@example.org

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
names_locale_dir = {locale}
replies_per_sender_per_day = 100000
""")
    bd.make_store(sys.argv[1], d, cfg)
    return cfg


def drop(d, n, country, lang):
    path = os.path.join(d, "var", "inbox", "new", f"{n}.eml")
    with open(path, "w") as f:
        f.write(f"From: p{n}@example.org\r\nTo: iln@example.org\r\nSubject: SIGNUP\r\n"
                f"Message-ID: <b{n}@client.example>\r\n\r\n" +
                FORM.format(country=country, lang=lang).replace("\n", "\r\n"))


def measure(binary, work, name, locale, country=None, lang=None):
    times, rss = [], 0.0
    for k in range(5):
        d = os.path.join(work, f"{name}{k}")
        subprocess.run(["rm", "-rf", d])
        cfg = setup(d, locale)
        if country:
            drop(d, k, country, lang)
        secs, r, rc = bd.run_once(binary, cfg, NOW, os.path.join(work, "names.log"))
        if rc != 0:
            sys.exit(f"ilnbot once failed: see {work}/names.log")
        if country and not os.listdir(os.path.join(d, "var", "outbox", "new")):
            sys.exit("no reply to the SIGNUP")
        times.append(secs)
        rss = max(rss, r)
    return statistics.median(times), rss


def main():
    binary, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    e_all = measure(binary, work, "empty-all", "/usr/share/locale")
    e_en = measure(binary, work, "empty-en", "")
    s_all = measure(binary, work, "signup-all", "/usr/share/locale", "Deutschland", "Englisch")
    s_en = measure(binary, work, "signup-en", "", "Germany", "English")
    print("bench-names: one `ilnbot once`, median of 5 (wall s, max RSS MiB)")
    print(f"  (1) empty, every translation readable  {e_all[0]:.3f} s  {e_all[1]:.1f} MiB")
    print(f"  (2) empty, English names only          {e_en[0]:.3f} s  {e_en[1]:.1f} MiB")
    print(f"  (3) SIGNUP 'Deutschland' (reads all)   {s_all[0]:.3f} s  {s_all[1]:.1f} MiB")
    print(f"  (4) SIGNUP 'Germany', English only     {s_en[0]:.3f} s  {s_en[1]:.1f} MiB")
    r1 = e_all[0] / e_en[0]
    r2 = s_all[0] / s_en[0]
    print(f"  ratio (1)/(2) = {r1:.2f} (goal <= 1.5); (3)/(4) = {r2:.2f}")
    worst = max(e_all[1], e_en[1], s_all[1], s_en[1])
    ok = r1 <= 1.5 and worst < 64
    print(f"bench-names: {'PASS' if ok else 'FAIL'} (largest RSS {worst:.1f} MiB, goal < 64)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
