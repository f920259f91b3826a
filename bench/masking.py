#!/usr/bin/env python3
"""Masking cost on output-heavy steps.

Runs a runbook of STEPS `run:` steps each printing LINES lines, once with
three secrets declared (an AWS-style key with / + =, a password with quotes
and a backslash, a token) and once without, and reports the cost of masking
per output line: every line goes through the masker (all forms of every
secret, see docs/cli.md#masking) before it is shown, journaled and logged.
Usage: bench/masking.py [--muster PATH] [--steps N] [--lines N] [--runs N]
"""
import argparse, os, shutil, statistics, tempfile

from steps import measure

SECRETS = {"A": "AKIA/q+Zr9=wJalrXUtnFEMI/K7MDENG+bPxRfiCY", "B": 'pa"ss\\w0rd-"quoted"-4711',
           "C": "ghp_16C7e42F292c6912E7710c838347Ae178B4a"}


def write(folder, name, steps, lines, secrets):
    os.makedirs(os.path.join(folder, "runbooks"), exist_ok=True)
    declared = "secrets:\n" + "".join(f"  {k}: {{env: {k}}}\n" for k in SECRETS) if secrets else ""
    line = "line $n: replica lag 0.4s, status OK, region eu-north-1, checksum abcdefgh"
    body = "".join(f"  - id: s{i}\n    title: Step {i}\n    run: 'for n in $(seq {lines}); do echo \"{line}\"; done'\n"
                   for i in range(steps))
    with open(os.path.join(folder, "runbooks", f"{name}.yaml"), "w") as f:
        f.write(f"muster: 1\nname: {name}\ntitle: Output\n{declared}steps:\n{body}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--muster", default=".build/release/muster")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--lines", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    muster = os.path.abspath(a.muster)
    tmp = tempfile.mkdtemp(prefix="muster-masking-")
    try:
        write(tmp, "plain", a.steps, a.lines, False)
        write(tmp, "masked", a.steps, a.lines, True)
        env = dict(os.environ, MUSTER_STATE_DIR=os.path.join(tmp, "state"), NO_COLOR="1", **SECRETS)
        times = {}
        for name in ("plain", "masked"):
            cmd = [muster, "run", name, "--yes", "--new"]
            measure(cmd, tmp, env)  # warm caches
            times[name] = statistics.median(measure(cmd, tmp, env) for _ in range(a.runs))
        total = a.steps * a.lines
        print(f"{a.steps} steps x {a.lines} output lines, {len(SECRETS)} secrets declared or none")
        print(f"{'measure':<44}{'median':>10}")
        print(f"{'no secrets':<44}{times['plain'] * 1000:>8.0f}ms")
        print(f"{'3 secrets, every form masked':<44}{times['masked'] * 1000:>8.0f}ms")
        print(f"masking per output line: {(times['masked'] - times['plain']) / total * 1e6:.1f} µs")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
