#!/usr/bin/env python3
"""Benchmark of failing partnerships (issue 13): re-matching must cost what the waiting
pool costs, not what the round holds. One `ilnbot once` re-matches a waiting pool of
POOL people (the daily re-matching) while SMALL and while LARGE partnerships are active
in the round; the whole process's time and peak memory at both sizes, side by side.
Goal: the larger within 1.2x the smaller. Maildir out (the introductions are queued and
written the same way in both).
Usage: bench_rematch.py BINARY WORKDIR [POOL [SMALL [LARGE]]]"""
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_digest as bd  # noqa: E402  (config, store and run helpers)

COUNTRIES = ("BR", "AU", "DE", "FR", "JP", "KE", "MX", "IN", "NZ", "CA", "ES", "PL")
SECTORS = ("public", "academic", "school", "special", "national", "government")
DAY = "2026-04-20T00:30:00Z"


def build(binary, d, pool, active):
    cfg = bd.write_conf(d, 0)
    db = bd.make_store(binary, d, cfg)
    con = sqlite3.connect(db)
    rid = bd.add_round(con)
    cols = ("email, name, country, sector, workplace, years, interests, languages, "
            "partner_sector, partner_stage, digest, agreed_at, created_at, updated_at")
    n = pool + 2 * active
    con.executemany(f"INSERT INTO participants({cols}) VALUES (?,?,?,?,?,?,?,?,?,?,?,0,0,0)",
                    ((f"p{i:07d}@lib{i % 97}.example.net", f"Person {i}",
                      COUNTRIES[i % len(COUNTRIES)], SECTORS[i % len(SECTORS)], "Library",
                      i % 30, ("cataloguing, outreach", "open access", "research data")[i % 3],
                      "eng", "same", "different", 0) for i in range(n)))
    con.executemany("INSERT INTO partnerships(round_id, a, b, weight, why, status, created_at, "
                    "introduced_at) VALUES (?, ?, ?, 0, '', 'active', 0, 0)",
                    ((rid, pool + 2 * i + 1, pool + 2 * i + 2) for i in range(active)))
    # the other scheduled mail of the day has gone: only the re-matching is left to do
    today = 1776643200 // 86400      # 2026-04-20
    con.executemany("INSERT INTO schedule(round_id, kind, last_day, run_at) VALUES (?, ?, ?, 0)",
                    ((rid, k, today) for k in ("digest", "checkin", "reminder")))
    con.executemany("INSERT INTO waiting(participant, round_id, since, reason, priority) "
                    "VALUES (?, ?, 0, 'abandoned', ?)",
                    ((i + 1, rid, i % 2) for i in range(pool)))
    con.commit()
    con.close()
    return cfg, db


def run(binary, cfg, db, log):
    secs, rss, rc = bd.run_once(binary, cfg, DAY, log)
    con = sqlite3.connect(db)
    made = con.execute("SELECT count(*) FROM partnerships WHERE created_at > 0").fetchone()[0]
    con.close()
    if rc != 0:
        sys.exit(f"ilnbot once failed: see {log}")
    return secs, rss, made


def main():
    binary, work = sys.argv[1], sys.argv[2]
    pool = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    small = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    large = int(sys.argv[5]) if len(sys.argv) > 5 else 100000
    os.makedirs(work, exist_ok=True)
    res = {}
    for active in (small, large):
        times, rsss = [], []
        for k in range(3):
            d = os.path.join(work, f"r{active}_{k}")
            subprocess.run(["rm", "-rf", d])
            cfg, db = build(binary, d, pool, active)
            secs, rss, made = run(binary, cfg, db, os.path.join(work, "rematch.log"))
            times.append(secs)
            rsss.append(rss)
        res[active] = (statistics.median(times), max(rsss), made)
        print(f"(f) ilnbot once re-matching a pool of {pool} with {active:6d} active "
              f"partnerships: {res[active][0]:.2f} s (median of 3), peak {res[active][1]:.1f} MiB, "
              f"{made} new pairs")
    ratio = res[large][0] / res[small][0]
    print(f"(f) ratio {large} / {small}: {ratio:.3f}   goal <= 1.2: "
          f"{'met' if ratio <= 1.2 else 'NOT met'}")


if __name__ == "__main__":
    main()
