#!/usr/bin/env python3
"""Two muster binaries against each other and the shell loop, interleaved.

Every round runs the shell loop, then each binary, at each N (a runbook of N
`run: "true"` steps with --yes, bench/steps.py's), so all three meet the
same load. Reported: medians (min-max) of the wall time per step
((T(N max) - T(N min)) / (N max - N min)), the overhead per step over the
shell loop's in the same round, and the executor's own CPU per step: the
task-clock of the muster process alone (`perf stat --no-inherit`), which
leaves out the steps' bash and waiting on the disk, so it moves little
with the load other processes put on the machine.
Usage: bench/ab.py --muster PATH --against PATH [--sizes 1,300] [--runs 9]
"""
import argparse, os, shutil, statistics, subprocess, tempfile, time

from steps import STEP_SHELL, write_runbook


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--muster", required=True, help="the binary measured (after)")
    ap.add_argument("--against", required=True, help="the binary it is compared with (before)")
    ap.add_argument("--sizes", default="1,300", help="two step counts")
    ap.add_argument("--runs", type=int, default=9, help="rounds")
    a = ap.parse_args()
    if not shutil.which("perf"):
        raise SystemExit("perf is needed for the executor's own CPU (apt-get install linux-perf)")
    bins = {"before": os.path.abspath(a.against), "after": os.path.abspath(a.muster)}
    lo, hi = sorted(int(x) for x in a.sizes.split(","))
    wall = {(k, n): [] for k in ["shell", *bins] for n in (lo, hi)}
    cpu = {(k, n): [] for k in bins for n in (lo, hi)}
    tmp = tempfile.mkdtemp(prefix="muster-ab-")
    print(f"load average {os.getloadavg()[0]:.1f} at start")
    try:
        for r in range(a.runs):
            for n in (lo, hi):
                t = time.perf_counter()
                subprocess.run(["bash", "-c", f"for i in $(seq {n}); do {STEP_SHELL}; done"], check=True)
                wall[("shell", n)].append(time.perf_counter() - t)
                for k, b in bins.items():
                    d = os.path.join(tmp, k, str(n), str(r))
                    os.makedirs(d)
                    write_runbook(d, n)
                    env = dict(os.environ, MUSTER_STATE_DIR=os.path.join(d, "state"), NO_COLOR="1")
                    stat = os.path.join(d, "stat")
                    t = time.perf_counter()
                    subprocess.run(["perf", "stat", "-i", "-x,", "-e", "task-clock", "-o", stat, b, "run", "bench", "--yes"],
                                   cwd=d, env=env, stdout=subprocess.DEVNULL, check=True)
                    wall[(k, n)].append(time.perf_counter() - t)
                    with open(stat) as f:
                        cpu[(k, n)] += [float(line.split(",")[0]) for line in f if "task-clock" in line]
                    shutil.rmtree(d)
            print(f"  round {r + 1}/{a.runs} done")
    finally:
        shutil.rmtree(tmp)

    def fmt(xs, digits=3):
        return f"{statistics.median(xs):.{digits}f} ({min(xs):.{digits}f}–{max(xs):.{digits}f})"

    per = {k: [(b - s) / (hi - lo) * 1000 for s, b in zip(wall[(k, lo)], wall[(k, hi)])] for k in ["shell", *bins]}
    print(f"load average {os.getloadavg()[0]:.1f} at end; N = {lo} and {hi}, {a.runs} rounds; ms, median (min–max)")
    print("| binary | per step ms | overhead per step over the shell loop ms | executor's own CPU per step ms |")
    print("|---|---|---|---|")
    print(f"| shell loop | {fmt(per['shell'], 2)} | – | – |")
    for k, b in bins.items():
        over = [p - s for p, s in zip(per[k], per["shell"])]
        own = [(y - x) / (hi - lo) for x, y in zip(cpu[(k, lo)], cpu[(k, hi)])]
        print(f"| {k} ({b}) | {fmt(per[k], 2)} | {fmt(over, 2)} | {fmt(own)} |")


if __name__ == "__main__":
    main()
