#!/usr/bin/env python3
"""oracle.py: compare the C matching engine (via match_driver) with NetworkX.

Random raw graphs and random ILN-like pools; for pools the allowed pairs and
weights are recomputed here independently from the rules in src/match.h.
Every case must give the same cardinality and total weight as
networkx.max_weight_matching(maxcardinality=True). Prints "N passed, N failed".
"""
import random
import subprocess
import sys

import networkx as nx

W_EXPLICIT, W_DEFAULT, W_INTEREST, MAX_INTERESTS = 100, 10, 3, 5
SAME, DIFFERENT, ANY, SET = 0, 1, 2, 3


def run_driver(driver, text):
    r = subprocess.run([driver], input=text, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("driver failed: " + r.stderr.strip())
    out = {"pairs": [], "unmatched": []}
    for line in r.stdout.splitlines():
        f = line.split()
        if f[0] in ("pairs", "weight"):
            out[f[0] + "_n"] = int(f[1])
        elif f[0] == "pair":
            out["pairs"].append(tuple(int(x) for x in f[1:4]))
        elif f[0] == "unmatched":
            out["unmatched"].append(tuple(int(x) for x in f[1:]))
        elif f[0] == "bound":
            out["bound"], out["proven"] = int(f[1]), int(f[3])
    return out


def nx_solve(n, edges):
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for (a, b), w in edges.items():
        g.add_edge(a, b, weight=w)
    m = nx.max_weight_matching(g, maxcardinality=True)
    return len(m), sum(g[a][b]["weight"] for a, b in m)


def check_matching(n, edges, out):
    seen = set()
    for a, b, w in out["pairs"]:
        key = (min(a, b), max(a, b))
        if key not in edges or edges[key] != w or a in seen or b in seen:
            return "pair %d-%d not an edge, wrong weight or reused" % (a, b)
        seen.update((a, b))
    if len(out["pairs"]) != out["pairs_n"]:
        return "pair count mismatch"
    if sum(p[2] for p in out["pairs"]) != out["weight_n"]:
        return "weight sum mismatch"
    return None


def random_graph(rng):
    n = rng.randint(1, 70)
    p = rng.choice([0.03, 0.08, 0.2, 0.5, 1.0])
    wmax = rng.choice([0, 1, 2, 5, 100, 10 ** 6])
    edges = {}
    for i in range(n):
        for j in range(i + 1, n):
            if rng.random() < p:
                edges[(i, j)] = rng.randint(0, wmax) if wmax else 0
    return n, edges


def wish_met(mode, mask, own, other):
    if mode == SAME:
        return other == own
    if mode == DIFFERENT:
        return other != own
    if mode == SET:
        return bool(mask >> other & 1)
    return True


def side(x, y):
    s = 0
    for mode, mask, stated, own, other in (
            (x["smode"], x["sset"], x["sst"], x["sector"], y["sector"]),
            (x["tmode"], x["tset"], x["tst"], x["stage"], y["stage"])):
        if mode != ANY and wish_met(mode, mask, own, other):
            s += W_EXPLICIT if stated else W_DEFAULT
    return s


def allowed(x, y):
    return (x["cc"] != y["cc"] and set(x["langs"]) & set(y["langs"])
            and y["id"] not in x["forb"] and x["id"] not in y["forb"])


def weight(x, y):
    si = min(len(set(x["interests"]) & set(y["interests"])), MAX_INTERESTS)
    return side(x, y) + side(y, x) + si * W_INTEREST


def random_pool(rng, n):
    ncty = rng.choice([1, 2, 3, 8, 30, 60])
    nlang = rng.choice([1, 2, 4, 8])
    ctys = ["%c%c" % (65 + i // 26, 65 + i % 26) for i in range(ncty)]
    zipf = [1.0 / (i + 1) for i in range(ncty)]
    people = []
    for i in range(n):
        p = {"id": 1000 + i * 7, "cc": rng.choices(ctys, zipf)[0],
             "sector": rng.randrange(7), "stage": rng.randrange(3),
             "smode": SAME, "sset": 0, "sst": 0,
             "tmode": DIFFERENT, "tset": 0, "tst": 0}
        if rng.random() < 0.15:
            p["smode"] = rng.choice([SAME, ANY, SET])
            p["sset"] = rng.randrange(1, 128) if p["smode"] == SET else 0
            p["sst"] = 1
        if rng.random() < 0.15:
            p["tmode"] = rng.choice([DIFFERENT, SAME, ANY, SET])
            p["tset"] = rng.randrange(1, 8) if p["tmode"] == SET else 0
            p["tst"] = 1
        p["langs"] = rng.sample(range(nlang), rng.randint(0 if rng.random() < 0.03 else 1, min(3, nlang)))
        p["interests"] = rng.sample(range(12), rng.randint(0, 6))
        p["forb"] = []
        people.append(p)
    for _ in range(rng.randint(0, n)):
        a, b = rng.randrange(n), rng.randrange(n)
        if a != b:
            people[a]["forb"].append(people[b]["id"])
            if rng.random() < 0.5:
                people[b]["forb"].append(people[a]["id"])
    return people


def pool_text(people, k, full_max):
    lines = ["pool %d %d %d" % (len(people), k, full_max)]
    for p in people:
        f = [p["id"], p["cc"], p["sector"], p["stage"], p["smode"], p["sset"], p["sst"],
             p["tmode"], p["tset"], p["tst"], len(p["langs"])] + p["langs"]
        f += [len(p["interests"])] + p["interests"] + [len(p["forb"])] + p["forb"]
        lines.append(" ".join(str(x) for x in f))
    return "\n".join(lines) + "\n"


def check_pool(driver, rng, n, k, full_max):
    people = random_pool(rng, n)
    edges = {}
    for i in range(n):
        for j in range(i + 1, n):
            if allowed(people[i], people[j]):
                edges[(i, j)] = weight(people[i], people[j])
    out = run_driver(driver, pool_text(people, k, full_max))
    err = check_matching(n, edges, out)
    if err:
        return err
    card, tw = nx_solve(n, edges)
    pruned = k > 0 and n > full_max
    if not pruned and (out["pairs_n"], out["weight_n"]) != (card, tw):
        return "got %d pairs weight %d, networkx %d weight %d" % (
            out["pairs_n"], out["weight_n"], card, tw)
    if pruned:
        if out["pairs_n"] > card or out["bound"] < card:
            return "pruned: impossible cardinality or bound"
        if out["proven"] and out["pairs_n"] != card:
            return "pruned: proven but short"
        if not out["proven"]:
            return "pruned: maximum cardinality not proven (%d of %d)" % (
                out["pairs_n"], card)
        if out["pairs_n"] == card and out["weight_n"] > tw:
            return "pruned: weight above optimum"
    matched = {a for a, b, w in out["pairs"]} | {b for a, b, w in out["pairs"]}
    um = {u[0]: u for u in out["unmatched"]}
    if set(um) != set(range(n)) - matched:
        return "unmatched list wrong"
    for x, (idx, reason, nall, ncand, nst, nse) in um.items():
        px = people[x]
        abroad = [y for y in people if y["cc"] != px["cc"]]
        shl = [y for y in abroad if set(y["langs"]) & set(px["langs"])]
        alw = [y for y in shl if allowed(px, y)]
        want = 0 if not abroad else 1 if not shl else 2 if not alw else 3
        sec = [y for y in alw if wish_met(px["smode"], px["sset"], px["sector"], y["sector"])]
        stg = [y for y in alw if wish_met(px["tmode"], px["tset"], px["stage"], y["stage"])]
        both = [y for y in sec if y in stg]
        if (reason, nall, ncand, nst, nse) != (want, len(alw), len(both), len(sec), len(stg)):
            return "unmatched %d explanation %r" % (x, (reason, nall, ncand, nst, nse))
        if not pruned:
            idxs = [i for i in range(n) if people[i] in alw]
            if any(i not in matched for i in idxs):
                return "unmatched %d has a free allowed partner" % x
    return None


def main():
    driver = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    ngraphs = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    npools = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    rng = random.Random(seed)
    passed = failed = 0

    def report(name, err):
        nonlocal passed, failed
        if err:
            failed += 1
            print("FAIL %s: %s" % (name, err))
        else:
            passed += 1

    for t in range(ngraphs):
        n, edges = random_graph(rng)
        text = "graph %d %d\n" % (n, len(edges)) + "".join(
            "%d %d %d\n" % (a, b, w) for (a, b), w in edges.items())
        out = run_driver(driver, text)
        err = check_matching(n, edges, out)
        if not err:
            card, tw = nx_solve(n, edges)
            if (out["pairs_n"], out["weight_n"]) != (card, tw):
                err = "got %d/%d, networkx %d/%d" % (out["pairs_n"], out["weight_n"], card, tw)
        report("graph %d" % t, err)
    for t in range(npools):
        # sizes skewed small (NetworkX is slow); every tenth pool is 200-300
        n = rng.randint(200, 300) if t % 10 == 0 else int(2 + rng.random() ** 2 * 150)
        report("pool %d (n=%d)" % (t, n), check_pool(driver, rng, n, 0, 0))
    for t in range(max(npools // 5, 1)):
        n = rng.randint(20, 150)
        report("pruned pool %d (n=%d)" % (t, n), check_pool(driver, rng, n, 3, 10))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
