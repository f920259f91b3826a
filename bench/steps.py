#!/usr/bin/env python3
"""Executor overhead benchmark for Muster.

Runs a runbook of N `run: "true"` steps with `--yes` (journal fsync included)
and the same N commands from a plain shell loop (`bash -euo pipefail -c true`
each, as Muster runs them), in one run, and reports the ratio, the executor's
overhead per step, and its peak memory.
Usage: bench/steps.py [--muster PATH] [--steps N] [--runs N]
"""
import argparse, os, resource, shutil, statistics, subprocess, sys, tempfile, time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--muster", default=".build/release/muster")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    muster = os.path.abspath(a.muster)
    tmp = tempfile.mkdtemp(prefix="muster-steps-")
    try:
        os.makedirs(os.path.join(tmp, "runbooks"))
        steps = "".join(f"  - id: s{i}\n    title: Step {i}\n    run: \"true\"\n" for i in range(a.steps))
        with open(os.path.join(tmp, "runbooks", "bench.yaml"), "w") as f:
            f.write(f"muster: 1\nname: bench\ntitle: {a.steps} trivial steps\nsteps:\n{steps}")
        loop = f"for i in $(seq {a.steps}); do bash -euo pipefail -c true; done"
        env = dict(os.environ, MUSTER_STATE_DIR=os.path.join(tmp, "state"), NO_COLOR="1")

        def shell():
            t = time.perf_counter()
            subprocess.run(["bash", "-c", loop], check=True)
            return time.perf_counter() - t

        def run():
            t = time.perf_counter()
            r = subprocess.run([muster, "run", "bench", "--yes"], cwd=tmp, env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if r.returncode != 0:
                sys.exit(f"muster run failed ({r.returncode}): {r.stderr.decode()[:500]}")
            return time.perf_counter() - t

        shell(); run()  # warm caches
        base = statistics.median(shell() for _ in range(a.runs))
        ms = statistics.median(run() for _ in range(a.runs))
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        per_step = (ms - base) / a.steps * 1000
        print(f"steps: {a.steps} x run: \"true\" with --yes (journal fsync per event)")
        print(f"{'measure':<44}{'median':>10}{'ratio':>10}")
        print(f"{'plain shell loop (baseline)':<44}{base * 1000:>8.0f}ms{1:>10.2f}")
        print(f"{'muster run --yes':<44}{ms * 1000:>8.0f}ms{ms / base:>10.2f}")
        print(f"executor overhead per step: {per_step:.2f} ms; peak memory of any child: {peak_kb / 1024:.1f} MiB")
        print("targets: overhead < 1 ms per step, ratio <= 2.00")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
