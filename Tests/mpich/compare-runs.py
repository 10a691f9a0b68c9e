#!/usr/bin/env python3
"""Tests/mpich/compare-runs.py A B — two default training runs (e.g. one under Open MPI, one
under MPICH) must agree: every non-timing column of comparison.csv and of each point's
metrics.csv identical as text. Prints the differences (at most 20) and exits 1 on any."""
import csv, os, sys

if len(sys.argv) != 3:
    sys.exit("usage: compare-runs.py RUN_A RUN_B")
a_dir, b_dir = sys.argv[1], sys.argv[2]
timing = lambda c: any(w in c for w in ("seconds", "time", "_s", "wall", "elapsed"))
files = ["comparison.csv"] + sorted(
    os.path.join("points", p, "metrics.csv") for p in os.listdir(os.path.join(a_dir, "points")))
bad = 0
for rel in files:
    a = list(csv.DictReader(open(os.path.join(a_dir, rel))))
    b = list(csv.DictReader(open(os.path.join(b_dir, rel))))
    if len(a) != len(b) or not a:
        print(f"{rel}: {len(a)} vs {len(b)} rows"); bad += 1; continue
    cols = [c for c in a[0] if not timing(c)]
    if set(cols) != {c for c in b[0] if not timing(c)}:
        print(f"{rel}: the columns differ"); bad += 1; continue
    for i, (x, y) in enumerate(zip(a, b)):
        for c in cols:
            if x[c] != y[c]:
                bad += 1
                if bad <= 20: print(f"{rel} row {i} {c}: {x[c]} vs {y[c]}")
    print(f"{rel}: {len(a)} rows, {len(cols)} columns compared")
print("IDENTICAL" if bad == 0 else f"DIFFERENT: {bad} values")
sys.exit(1 if bad else 0)
