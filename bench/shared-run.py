#!/usr/bin/env python3
"""Time per event of a shared run: `muster run bench --yes` of N `run: "true"`
steps with `--store` on moto (loopback, started here with
Tests/MusterTestSupport/moto_store.py --open), each event a conditional put
and a local write + fsync. Several muster binaries (before and after a
change) are run in alternation, each round in a fresh state folder and a
fresh store prefix, so that the machine's load falls on all of them alike.

Prints, for each binary, the median (min–max) wall time per journaled event
over the rounds, and the same without a store (the local journal alone).

Usage: bench/shared-run.py --muster PATH [--muster PATH ...] [--steps 200] [--rounds 5]
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from steps import write_runbook  # noqa: E402


def one_run(muster, steps, env, store):
    """Seconds and journaled events of one run, in a folder of its own."""
    folder = tempfile.mkdtemp(prefix="muster-shared-bench-")
    try:
        write_runbook(folder, steps)
        run_env = dict(env, MUSTER_STATE_DIR=os.path.join(folder, "state"), NO_COLOR="1")
        args = [muster, "run", "bench", "--yes"] + (["--store", store] if store else [])
        start = time.perf_counter()
        r = subprocess.run(args, cwd=folder, env=run_env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if r.returncode != 0:
            sys.exit(f"{muster} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        runs = os.path.join(folder, "state", "runs")
        journal = os.path.join(runs, os.listdir(runs)[0], "journal.jsonl")
        with open(journal, "rb") as f:
            events = f.read().count(b"\n")
        return seconds, events
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--muster", action="append", required=True)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    moto = subprocess.Popen([sys.executable, os.path.join(ROOT, "Tests/MusterTestSupport/moto_store.py"), "--open"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = json.loads(moto.stdout.readline())["port"]
        env = dict(os.environ, AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_REGION="eu-west-1",
                   AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
        for k in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "MUSTER_STORE"):
            env.pop(k, None)
        shared = {m: [] for m in a.muster}
        alone = {m: [] for m in a.muster}
        events = {}
        for r in range(a.rounds):
            order = a.muster if r % 2 == 0 else list(reversed(a.muster))
            for m in order:
                s, n = one_run(m, a.steps, env, f"s3://muster-runs/bench-{uuid.uuid4().hex[:8]}")
                shared[m].append(s / n)
                events[m] = n
                s, n = one_run(m, a.steps, env, None)
                alone[m].append(s / n)
    finally:
        moto.kill()
        moto.wait()
    print(f"{a.steps} steps, {a.rounds} rounds, moto on 127.0.0.1 ({time.strftime('%Y-%m-%d %H:%M')} UTC)")
    print(f"{'muster':<40}{'events':>8}{'shared, per event':>26}{'alone, per event':>26}")
    for m in a.muster:
        def fmt(v):
            return f"{statistics.median(v) * 1000:.2f} ms ({min(v) * 1000:.2f}–{max(v) * 1000:.2f})"
        print(f"{m:<40}{events[m]:>8}{fmt(shared[m]):>26}{fmt(alone[m]):>26}")


if __name__ == "__main__":
    main()
