#!/usr/bin/env python3
"""Validation and start-up benchmark for Muster.

Generates 1,000 runbooks of 50 steps each, then reports in one run:
  - `muster validate` over all of them (median of several runs),
  - the same files loaded by PyYAML's libyaml-backed CLoader (load only, no checks),
    the baseline: Muster parses with the same C library and also validates,
  - `muster --version` start-up, median of 20.
Usage: bench/validate.py [--muster PATH] [--files N] [--steps N] [--runs N]
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

import yaml

STEP_KINDS = ["manual", "run", "wait", "http", "ci", "run"]


def step(i, kind):
    sid = f"step-{i}"
    if kind == "manual":
        return f"""  - id: {sid}
    title: Confirm item {i} for {{{{ region }}}}
    notes: |
      Check the dashboard before going on.
    manual:
      - Check the service map for {{{{ region }}}}
      - Tell the incident channel that step {i} is done
    ask:
      answer_{i}: Who confirmed step {i}?
"""
    if kind == "run":
        return f"""  - id: {sid}
    title: Run command {i} in {{{{ region }}}}
    run: |
      aws eks describe-cluster --region {{{{ region }}}} --name {{{{ cluster }}}} \\
        --query cluster.status --output text
    timeout: 5m
    retries: 2
    retry_delay: 30s
    expect: 2m
    idempotent: true
    outputs:
      out_{i}: {{regex: 'status: (\\w+)'}}
"""
    if kind == "wait":
        return f"""  - id: {sid}
    title: Wait {i}
    wait:
      run: aws eks describe-cluster --region {{{{ region }}}} --name {{{{ cluster }}}} --query cluster.status --output text
      until: ACTIVE
      every: 15s
      timeout: 25m
"""
    if kind == "http":
        return f"""  - id: {sid}
    title: Check {i}
    http:
      url: https://{{{{ region }}}}.api.example.com/healthz
      headers: {{Authorization: "Bearer ${{API_TOKEN}}"}}
      status: 200
      body_contains: ok
"""
    return f"""  - id: {sid}
    title: Deploy {i}
    ci:
      provider: buildbot
      url: http://127.0.0.1:8010
      builder: deploy
      inputs: {{region: "{{{{ region }}}}"}}
      timeout: 30m
"""


def runbook(n, steps):
    body = "".join(step(i, STEP_KINDS[i % len(STEP_KINDS)]) for i in range(steps))
    return f"""muster: 1
name: bench-{n}
title: Benchmark runbook {n} in {{{{ region }}}}
description: |
  Generated for the validation benchmark.
owners: [platform-oncall]
rto: 45m
escalation:
  - after: 15m
    contact: Secondary on-call
  - after: 30m
    contact: Incident commander
params:
  region:
    description: Region to recover into
    default: eu-central-1
    choices: [eu-central-1, eu-north-1]
    pattern: '^[a-z]{{2}}-[a-z]+-[0-9]$'
  cluster:
    default: prod
secrets:
  API_TOKEN:
    env: API_TOKEN
steps:
{body}"""


def timed(cmd, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - t)
        if r.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.decode()[:500]}")
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--muster", default=".build/release/muster")
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    muster = os.path.abspath(a.muster)
    tmp = tempfile.mkdtemp(prefix="muster-bench-")
    try:
        rdir = os.path.join(tmp, "runbooks")
        os.makedirs(rdir)
        size = 0
        for n in range(a.files):
            text = runbook(n, a.steps)
            size += len(text)
            with open(os.path.join(rdir, f"bench-{n}.yaml"), "w") as f:
                f.write(text)
        paths = sorted(os.path.join(rdir, p) for p in os.listdir(rdir))

        def pyyaml_load():
            t = time.perf_counter()
            for p in paths:
                with open(p, "rb") as f:
                    yaml.load(f, Loader=yaml.CLoader)
            return time.perf_counter() - t

        pyyaml_load()  # warm the page cache for both
        base = statistics.median(pyyaml_load() for _ in range(a.runs))
        val = timed([muster, "validate", "--quiet", rdir], a.runs)
        start = timed([muster, "--version"], 20)
        print(f"files: {a.files} runbooks x {a.steps} steps, {size / 1e6:.1f} MB")
        print(f"{'measure':<44}{'median':>10}{'ratio':>10}")
        print(f"{'PyYAML CLoader, load only (baseline)':<44}{base * 1000:>8.0f}ms{1:>10.2f}")
        print(f"{'muster validate (load + all checks)':<44}{val * 1000:>8.0f}ms{val / base:>10.2f}")
        print(f"{'muster --version start-up (20 runs)':<44}{start * 1000:>8.1f}ms")
        print(f"targets: validate < 1000 ms and ratio <= 1.00; start-up < 20 ms")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
