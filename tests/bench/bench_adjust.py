#!/usr/bin/env python3
"""bench_adjust.py: MATCH with three adjustments on a pool of 10,000 (pruned, k=50), each
pass the whole `ilnbot match` process (store read, adjustments replayed, solve, preview
text and CSV, proposal stored, preview written to the outbound Maildir): a plain MATCH of
the pool, then a lock, an unpair and an exclusion, each recorded as a coordinator's reply
does and followed by the re-solve (`ilnbot match` again). Every pass runs REPEAT times on
a copy of the same store state; the least CPU time of them (user + system: the machine
may be shared, and the least is the one least disturbed; the median wall time is printed
beside it) and the peak RSS are printed, and each
re-solve's ratio to a plain MATCH of the same pool: the pool of 10,000 for a lock and an
unpair; for the exclusion, the pool without the excluded person (one person fewer: an
odd pool), matched plainly on a fresh store. Exits 1 when a ratio is over LIMIT (1.2).
Usage: bench_adjust.py ILNBOT WORKDIR [SIZE]"""
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_digest as bd  # noqa: E402  (config and store helpers)

COUNTRIES = ("BR", "AU", "DE", "FR", "JP", "KE", "MX", "IN", "NZ", "CA", "ES", "PL", "IT",
             "NL", "SE", "NO", "FI", "DK", "IE", "GB", "US", "AR", "CL", "CO", "PE", "ZA",
             "NG", "EG", "TR", "GR")
SECTORS = ("public", "academic", "school", "special", "national", "government", "other")
LANGS = ("eng", "spa", "fra", "deu", "por", "ita", "pol", "nld", "swe", "jpn")
NOW = "2026-03-11T09:00:00Z"
REPEAT = int(os.environ.get("BENCH_ADJUST_REPEAT", "5"))
LIMIT = 1.2


def fill(db, n):
    rnd = random.Random(10000)
    w = [1 / (i + 1) for i in range(len(COUNTRIES))]
    con = sqlite3.connect(db)
    rows = []
    for i in range(n):
        c = rnd.choices(COUNTRIES, w)[0]
        langs = ["eng"] if rnd.random() < 0.8 else []
        langs += rnd.sample(LANGS[1:], rnd.randint(0 if langs else 1, 2))
        psec = "same"
        pstage = "different"
        if rnd.random() < 0.15:
            psec = rnd.choice(("any", "public", "academic,school"))
        if rnd.random() < 0.15:
            pstage = rnd.choice(("any", "early", "late,mid", "same"))
        rows.append((f"p{i:06d}@lib{i % 97}.example.net", f"Person {i}", c,
                     rnd.choice(SECTORS), "Library", rnd.randrange(0, 40),
                     rnd.choice(("cataloguing, outreach", "open access", "research data",
                                 "outreach, archives, open access")), ",".join(langs),
                     psec, pstage))
    con.executemany("INSERT INTO participants(email, name, country, sector, workplace, years, "
                    "interests, languages, partner_sector, partner_stage, digest, agreed_at, "
                    "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,0,0,0,0)", rows)
    con.execute("INSERT INTO rounds(name, signup_closes, starts, ends, months, status, "
                "created_at) VALUES ('2026A', 1773100800, 1773532800, 1784073600, 4, 'open', "
                "1772000000)")
    con.commit()
    con.close()


def one_pass(binary, cfg):
    t = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", binary, "match", "-c", cfg,
                        "--now", NOW], capture_output=True, text=True)
    wall = time.monotonic() - t
    if r.returncode != 0:
        sys.exit(f"ilnbot match failed: {r.stderr[-2000:]}")
    m = re.search(r"(\d+) ([\d.]+) ([\d.]+)\s*$", r.stderr)
    last = [l for l in r.stdout.splitlines() if l.startswith("pairs:")][-1]
    return float(m.group(2)) + float(m.group(3)), wall, int(m.group(1)) / 1024, last


def measured(binary, cfg, db):
    """REPEAT passes from the same store state (restored each time but the last)."""
    keep = db + ".before"
    shutil.copyfile(db, keep)
    cpu, walls, rss, last = [], [], 0.0, ""
    for k in range(REPEAT):
        if k:
            shutil.copyfile(keep, db)
        c, w, m, last = one_pass(binary, cfg)
        cpu.append(c)
        walls.append(w)
        rss = max(rss, m)
    os.unlink(keep)
    return min(cpu), statistics.median(walls), rss, last


def reference_without(binary, cfg, db, orig, gone):
    """A plain MATCH of the original pool with the people of gone withdrawn."""
    cur = db + ".current"
    shutil.copyfile(db, cur)
    shutil.copyfile(orig, db)
    con = sqlite3.connect(db)
    con.executemany("UPDATE participants SET status = 'withdrawn' WHERE id = ?",
                    ((g,) for g in gone))
    con.commit()
    con.close()
    got = measured(binary, cfg, db)
    shutil.copyfile(cur, db)
    os.unlink(cur)
    return got


def proposal(con):
    return con.execute("SELECT a, b FROM partnerships WHERE status = 'proposed' "
                       "ORDER BY id").fetchall()


def person(con, pid):
    return con.execute("SELECT country, languages FROM participants WHERE id = ?",
                       (pid,)).fetchone()


def adjust(db, kind):
    con = sqlite3.connect(db)
    rid, number = con.execute("SELECT id, proposal FROM rounds").fetchone()
    pairs = proposal(con)
    if kind == "pair":
        a = pairs[10][0]
        ca, la = person(con, a)
        b = next(x for x, _ in pairs[11:] if person(con, x)[0] != ca and
                 set(person(con, x)[1].split(",")) & set(la.split(",")))
    elif kind == "unpair":
        a, b = pairs[20]
    else:
        a, b = pairs[30][0], 0
    con.execute("INSERT INTO adjustments(round_id, proposal, kind, a, b, by_email, "
                "created_at) VALUES (?, ?, ?, ?, ?, 'coord@example.org', 0)",
                (rid, number, kind, a, b))
    con.commit()
    con.close()
    return a


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binary, work = os.path.abspath(sys.argv[1]), sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    cfg = bd.write_conf(work, 0)
    db = bd.make_store(binary, work, cfg)
    fill(db, n)
    orig = db + ".orig"
    shutil.copyfile(db, orig)
    print(f"bench-adjust: pool of {n} (pruned, k=50), each pass the whole `ilnbot match` "
          f"process, least CPU s of {REPEAT} (median wall s)")
    plain, wall, rss, last = measured(binary, cfg, db)
    print(f"  plain MATCH              {plain:6.2f} ({wall:5.1f})  peak {rss:6.1f} MB  {last}")
    worst = 0.0
    for kind in ("pair", "unpair", "exclude"):
        who = adjust(db, kind)
        ref = plain
        if kind == "exclude":
            ref, w, m, last = reference_without(binary, cfg, db, orig, [who])
            print(f"  plain MATCH without one  {ref:6.2f} ({w:5.1f})  peak {m:6.1f} MB  {last}")
        s, w, m, last = measured(binary, cfg, db)
        worst = max(worst, s / ref)
        print(f"  re-solve after {kind:8s}  {s:6.2f} ({w:5.1f})  peak {m:6.1f} MB  {last}  "
              f"ratio {s / ref:.2f}")
    os.unlink(orig)
    print(f"bench-adjust: worst ratio {worst:.2f} (limit {LIMIT})")
    sys.exit(0 if worst <= LIMIT else 1)


if __name__ == "__main__":
    main()
