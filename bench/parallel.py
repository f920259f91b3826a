#!/usr/bin/env python3
"""Branches at once: what a `parallel` step saves, against its serial run.

Runs one runbook whose `parallel` step has two branches (`sleep A` and
`sleep B` seconds, default 3 and 4) twice per round: as written (both at
once) and with `max: 1` (one after the other), plus the plain shell doing
the same sleeps one after the other as the baseline. Prints the medians and
the ratios: at once should take about max(A, B), one at a time A + B.

Usage: bench/parallel.py [--muster PATH] [--rounds 3] [--a 3] [--b 4]
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

RUNBOOK = """\
muster: 1
name: {name}
title: Two branches
steps:
  - id: rebuild
    title: Rebuild
    parallel:
      {max}
      branches:
        - {{id: cluster, title: Cluster, run: "sleep {a}"}}
        - {{id: database, title: Database, run: "sleep {b}"}}
"""


def timed(cmd, cwd):
    t = time.monotonic()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--muster", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "release", "muster"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--a", type=float, default=3)
    ap.add_argument("--b", type=float, default=4)
    a = ap.parse_args()
    muster = os.path.abspath(a.muster)
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "runbooks"))
        for name, mx in (("atonce", ""), ("serial", "max: 1")):
            with open(os.path.join(d, "runbooks", name + ".yaml"), "w") as f:
                f.write(RUNBOOK.format(name=name, max=mx, a=a.a, b=a.b))
        results = {"shell, one after the other": [], "muster, at once": [], "muster, max: 1": []}
        for _ in range(a.rounds):
            results["shell, one after the other"].append(timed(["bash", "-c", f"sleep {a.a}; sleep {a.b}"], d))
            results["muster, at once"].append(timed([muster, "run", "atonce", "--yes", "--new"], d))
            results["muster, max: 1"].append(timed([muster, "run", "serial", "--yes", "--new"], d))
    base = statistics.median(results["shell, one after the other"])
    print(f"two branches: sleep {a.a:g} and sleep {a.b:g}; medians of {a.rounds} rounds")
    for k, v in results.items():
        m = statistics.median(v)
        print(f"  {k:28s} {m:6.2f} s   ratio to the shell's serial run {m / base:5.2f}")


if __name__ == "__main__":
    main()
