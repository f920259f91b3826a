#!/usr/bin/env python3
"""Executor overhead benchmark for Muster.

Runs a runbook of N `run: "true"` steps with `--yes` (journal fsync included)
and the same N commands from a plain shell loop (`bash -euo pipefail -c true`
each, as Muster runs them), in one run, and reports the ratio, the executor's
overhead per step, and its peak memory.
Usage: bench/steps.py [--muster PATH] [--steps N] [--runs N]

The workload and measuring helpers here are shared with bench/peers.py.
"""
import argparse, os, shutil, statistics, subprocess, tempfile, time

# What every step runs, in every executor measured: Muster runs a `run:` step
# as `bash -euo pipefail -c CMD`, so the baseline and the peers do the same.
STEP_ARGV = ["bash", "-euo", "pipefail", "-c", "true"]
STEP_SHELL = " ".join(STEP_ARGV)


def write_runbook(folder, steps):
    """Writes runbooks/bench.yaml with `steps` `run: "true"` steps under folder."""
    os.makedirs(os.path.join(folder, "runbooks"), exist_ok=True)
    body = "".join(f"  - id: s{i}\n    title: Step {i}\n    run: \"true\"\n" for i in range(steps))
    with open(os.path.join(folder, "runbooks", "bench.yaml"), "w") as f:
        f.write(f"muster: 1\nname: bench\ntitle: {steps} trivial steps\nsteps:\n{body}")


def muster_cmd(muster, folder, steps):
    """Command, working folder and environment running the runbook of write_runbook
    with --yes, its state (journal, lock) in folder/state."""
    write_runbook(folder, steps)
    env = dict(os.environ, MUSTER_STATE_DIR=os.path.join(folder, "state"), NO_COLOR="1")
    return [muster, "run", "bench", "--yes"], folder, env


def shell_loop_cmd(steps):
    """The baseline: a plain shell loop running the step command `steps` times."""
    return ["bash", "-c", f"for i in $(seq {steps}); do {STEP_SHELL}; done"]


class CommandFailed(SystemExit):
    """A measured command exited non-zero; uncaught, it exits with its message."""


def measure(cmd, cwd=None, env=None):
    """Runs cmd with no input and output discarded; returns its wall time in seconds.
    Raises CommandFailed, carrying the end of its stderr, if it fails."""
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t
    if r.returncode != 0:
        raise CommandFailed(f"{' '.join(cmd)} failed ({r.returncode}): "
                            f"{r.stderr.decode(errors='replace')[-1500:]}")
    return elapsed


GNU_TIME = "/usr/bin/time"  # from Debian's `time`, which scripts/install-deps installs


def peak_memory(cmd, cwd=None, env=None, every=0.01):
    """Runs cmd once more, untimed, under GNU time; returns, in KiB,
      - the peak RSS of the largest single process in its tree (time's %M; measured
        through time, a small C program, because a child forked from this Python
        would start its count from this Python's own RSS), and
      - the peak of its whole tree's PSS summed, sampled from /proc every `every`
        seconds (a lower bound: a process shorter than that can be missed)."""
    if not os.access(GNU_TIME, os.X_OK):
        raise CommandFailed(f"{GNU_TIME} is missing: run scripts/install-deps (Debian package `time`)")
    with tempfile.NamedTemporaryFile("r", prefix="muster-time-") as out:
        p = subprocess.Popen([GNU_TIME, "-f", "%M", "-o", out.name] + cmd, cwd=cwd, env=env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pss = 0
        while p.poll() is None:
            pss = max(pss, tree_pss(p.pid))
            time.sleep(every)
        if p.returncode != 0:
            raise CommandFailed(f"{' '.join(cmd)} failed ({p.returncode})")
        return int(out.read().split()[-1]), pss


def tree_pss(root):
    """The summed PSS in KiB of root's descendants (not root itself) right now."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    parent[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    tree, new = set(), {root}
    while new:
        new = {pid for pid, pp in parent.items() if pp in new} - tree
        tree |= new
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, StopIteration, ValueError):
            pass
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--muster", default=".build/release/muster")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    muster = os.path.abspath(a.muster)
    tmp = tempfile.mkdtemp(prefix="muster-steps-")
    try:
        cmd, cwd, env = muster_cmd(muster, tmp, a.steps)
        loop = shell_loop_cmd(a.steps)

        measure(loop); measure(cmd, cwd, env)  # warm caches
        base = statistics.median(measure(loop) for _ in range(a.runs))
        ms = statistics.median(measure(cmd, cwd, env) for _ in range(a.runs))
        peak_kb, _ = peak_memory(cmd, cwd, env)
        per_step = (ms - base) / a.steps * 1000
        print(f"steps: {a.steps} x run: \"true\" with --yes (journal fsynced once per step: an end with the next start)")
        print(f"{'measure':<44}{'median':>10}{'ratio':>10}")
        print(f"{'plain shell loop (baseline)':<44}{base * 1000:>8.0f}ms{1:>10.2f}")
        print(f"{'muster run --yes':<44}{ms * 1000:>8.0f}ms{ms / base:>10.2f}")
        print(f"executor overhead per step: {per_step:.2f} ms; peak memory (RSS): {peak_kb / 1024:.1f} MiB")
        print("targets: overhead < 1 ms per step, ratio <= 2.00")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
