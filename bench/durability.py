#!/usr/bin/env python3
"""What Muster's overhead per step is made of: its own work, or the journal's fsync.

Runs, interleaved in every round, the same N `run: "true"` steps three ways:
  - the plain shell loop (the baseline of bench/steps.py and bench/peers.py);
  - muster run --yes with its state (journal, screen log) on the disk, as
    peers.py measures it: one write + fsync per step, which the step waits for;
  - muster run --yes with its state on a tmpfs (/dev/shm), where fsync costs
    next to nothing: the same code path, every event still written and
    fsynced, so what is left over the shell loop is Muster's own work.
Prints each one's time per step and overhead over the shell loop (median,
min–max over the rounds), and the disk's write + fsync of two journal lines
measured in the same rounds.

Usage: bench/durability.py [--muster PATH] [--steps N] [--runs N] [--shm DIR]
"""
import argparse, os, shutil, statistics, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from steps import measure, muster_cmd, shell_loop_cmd  # noqa: E402
from peers import fsync_ms, spread  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--muster", default=".build/release/muster")
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--shm", default="/dev/shm", help="a tmpfs folder for the second Muster's state")
    a = ap.parse_args()
    muster = os.path.abspath(a.muster)
    if not os.access(muster, os.X_OK):
        sys.exit(f"error: no muster binary at {muster}; build one with `swift build -c release --product muster` or pass --muster PATH")
    if not os.path.isdir(a.shm):
        sys.exit(f"error: {a.shm} is not a folder; pass --shm with a tmpfs folder")
    disk = tempfile.mkdtemp(prefix="muster-durability-")
    shm = tempfile.mkdtemp(prefix="muster-durability-", dir=a.shm)
    try:
        n = a.steps
        per = {"loop": [], "disk": [], "shm": []}
        fsyncs = []
        for r in range(a.runs + 1):  # round 0 warms the page cache and is not counted
            cmd, cwd, env = muster_cmd(muster, os.path.join(disk, str(r)), n)
            disk_s = measure(cmd, cwd=cwd, env=env)
            cmd, cwd, env = muster_cmd(muster, os.path.join(shm, str(r)), n)
            shm_s = measure(cmd, cwd=cwd, env=env)
            loop_s = measure(shell_loop_cmd(n))
            shutil.rmtree(os.path.join(shm, str(r)), ignore_errors=True)
            if r == 0:
                continue
            per["loop"].append(loop_s * 1000 / n)
            per["disk"].append(disk_s * 1000 / n)
            per["shm"].append(shm_s * 1000 / n)
            fsyncs.append(fsync_ms(disk))
        print(f"{n} steps, {a.runs} rounds, interleaved; ms per step, median (min–max)")
        print(f"{'':34} {'per step':>22} {'overhead over the loop':>26}")
        rows = [("plain shell loop", "loop"), ("muster, state on the disk", "disk"), (f"muster, state on tmpfs ({a.shm})", "shm")]
        for label, k in rows:
            over = [x - b for x, b in zip(per[k], per["loop"])]
            print(f"{label:34} {spread(per[k]):>22} {spread(over):>26}")
        share = [d - s for d, s in zip(per["disk"], per["shm"])]
        print(f"the disk's cost per step (disk − tmpfs, same round): {spread(share)} ms")
        print(f"write + fsync of two journal lines on the disk: {spread(fsyncs)} ms (median per round)")
        load = os.getloadavg()[0]
        print(f"load average at end: {load:.1f}")
    finally:
        shutil.rmtree(disk, ignore_errors=True)
        shutil.rmtree(shm, ignore_errors=True)


if __name__ == "__main__":
    main()
