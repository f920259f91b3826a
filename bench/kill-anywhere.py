#!/usr/bin/env python3
"""Kill anywhere: SIGKILL the executor at random moments, resume, check.

Runs a realistic runbook (checklists and an `ask` answered from a pipe, shell
steps idempotent and not, a confirm gate, a failing step that rolls back the
others) with `muster run`, kills the executor with SIGKILL at a random moment,
resumes it with `muster resume`, kills that at a random moment, and so on
until the run ends; then starts a new run, until the number of kills asked
for (default 200) is reached. After every run it checks the promises of
cli.md "Resume":

  - every step that finished `done` ran exactly once, or more than once only
    if it is idempotent and was interrupted mid-step (the driver answers the
    "was running" menu as an operator would: `d` when the step's own log shows
    it started, finishing its work by hand, `r` when it never started);
  - no checklist item and no question was answered twice;
  - every rollback command ran, and more than once only when interrupted;
  - the journal's sequence numbers have no gap or repeat, and it replays
    (`muster log --json`) to the final state: the run ended rolled back, every
    step finished, and `muster resume` refuses to continue it.

With `--flow`, the runbook uses the flow constructs instead: a `parallel`
step whose two branches run at once, a `for_each` loop two items at a time,
a `when:` condition, a guard polled all along and `finally`; the same promises hold
for their keys (`rebuild/snapshot`, `redeploy[api]`), and the `finally` step
must have run once the run ended.

Usage: bench/kill-anywhere.py [--kills 200] [--seed N] [--muster PATH] [--flow]
Prints one line per run and a summary; exits 1 if any invariant broke.
"""
import argparse
import collections
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

RUNBOOK = """\
muster: 1
name: failover
title: Fail over the orders service
params:
  log: {required: true}
steps:
  - id: declare
    title: Declare the incident
    manual:
      - Open an incident in the tracker
      - Page the database on-call
      - Freeze deploys
    ask:
      ticket: Incident ticket ID
  - id: snapshot
    title: Snapshot the database
    run: echo "ran snapshot" >> {{ log }}; sleep 0.05
    rollback: echo "undo snapshot" >> {{ log }}; sleep 0.05
    idempotent: true
  - id: copy-data
    title: Copy the data (not idempotent)
    run: echo "ran copy-data" >> {{ log }}; sleep 0.1; echo "end copy-data" >> {{ log }}
    rollback: echo "undo copy-data" >> {{ log }}; sleep 0.05
  - id: check
    title: Check the copy
    manual:
      - Row counts match
      - Replication lag is zero
  - id: promote
    title: Promote the standby
    confirm: true
    run: echo "ran promote" >> {{ log }}; sleep 0.05
    rollback: echo "undo promote" >> {{ log }}
    idempotent: true
  - id: verify
    title: Verify (fails, so the run rolls back)
    run: echo "ran verify" >> {{ log }}; exit 1
    on_failure: rollback
    idempotent: true
"""

STEPS = ["declare", "snapshot", "copy-data", "check", "promote", "verify"]
IDEMPOTENT = {"snapshot", "promote", "verify"}
ROLLBACKS = ["promote", "copy-data", "snapshot"]
# What each step key writes to the log ("ran TAG", "undo TAG").
TAGS = {s: s for s in STEPS}

FLOW_RUNBOOK = """\
muster: 1
name: failover
title: Fail over the orders service (flow)
params:
  log: {required: true}
guards:
  - id: healthy
    title: The service stays healthy (it always does here)
    run: "true"
    every: 1s
steps:
  - id: declare
    title: Declare the incident
    manual:
      - Open an incident in the tracker
      - Page the database on-call
    ask:
      ticket: Incident ticket ID
  - id: rebuild
    title: Rebuild
    parallel:
      branches:
      - id: snapshot
        title: Snapshot the database
        run: echo "ran snapshot" >> {{ log }}; sleep 0.05
        rollback: echo "undo snapshot" >> {{ log }}; sleep 0.05
        idempotent: true
      - id: copy-data
        title: Copy the data (not idempotent)
        run: echo "ran copy-data" >> {{ log }}; sleep 0.1; echo "end copy-data" >> {{ log }}
        rollback: echo "undo copy-data" >> {{ log }}; sleep 0.05
  - id: redeploy
    title: Redeploy {{ service }}
    for_each: {in: [api, web], as: service, max_parallel: 2}
    run: echo "ran redeploy-{{ service }}" >> {{ log }}; sleep 0.05
    rollback: echo "undo redeploy-{{ service }}" >> {{ log }}
    idempotent: true
  - id: rehearse-only
    title: Only in a rehearsal (skipped)
    when: mode == "rehearsal"
    run: echo "ran rehearse-only" >> {{ log }}
  - id: check
    title: Check the copy
    manual:
      - Row counts match
  - id: promote
    title: Promote the standby
    confirm: true
    run: echo "ran promote" >> {{ log }}; sleep 0.05
    rollback: echo "undo promote" >> {{ log }}
    idempotent: true
  - id: verify
    title: Verify (fails, so the run rolls back)
    run: echo "ran verify" >> {{ log }}; exit 1
    on_failure: rollback
    idempotent: true
finally:
  - id: cleanup
    title: Clean up
    run: echo "ran cleanup" >> {{ log }}; sleep 0.05
    idempotent: true
"""
FLOW_STEPS = ["declare", "rebuild/snapshot", "rebuild/copy-data", "rebuild", "redeploy[api]", "redeploy[web]", "redeploy",
              "rehearse-only", "check", "promote", "verify", "cleanup"]
FLOW_IDEMPOTENT = {"rebuild/snapshot", "redeploy[api]", "redeploy[web]", "promote", "verify", "cleanup"}
FLOW_ROLLBACKS = ["promote", "redeploy[web]", "redeploy[api]", "rebuild/copy-data", "rebuild/snapshot"]
FLOW_TAGS = {"rebuild/snapshot": "snapshot", "rebuild/copy-data": "copy-data", "redeploy[api]": "redeploy-api",
             "redeploy[web]": "redeploy-web", "promote": "promote", "verify": "verify", "cleanup": "cleanup"}


class Session:
    """One muster process, answering its prompts as an operator would."""

    def __init__(self, args, cwd, env, log):
        self.log = log
        self.proc = subprocess.Popen(args, cwd=cwd, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.output = bytearray()
        self.reader = threading.Thread(target=self.answer, daemon=True)
        self.reader.start()

    def reply(self, text):
        try:
            self.proc.stdin.write(text.encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    def answer(self):
        line = bytearray()
        while True:
            b = self.proc.stdout.read(1)
            if not b:
                return
            self.output += b
            line += b
            if b == b"\n":
                line.clear()
                continue
            if not line.endswith(b") > "):
                continue
            hint = line.decode("utf-8", "replace")
            line.clear()
            if "y/Enter done" in hint or "y run" in hint or "y roll back" in hint:
                self.reply("y")
            elif "the answer becomes" in hint:
                self.reply("INC-4711")
            elif "r retry" in hint:
                # The menu after an interrupted step: check its own log, as an
                # operator would check the system, before choosing.
                text = self.output.decode("utf-8", "replace")
                step = text.rsplit("' was running when the last session ended", 1)[0].rsplit("'", 1)[-1] \
                    if "was running when the last session ended" in text else ""
                ran = open(self.log).read().count(f"ran {TAGS.get(step, step)}") if step and os.path.exists(self.log) else 0
                self.reply("d finished it by hand" if ran else "r")
            else:
                self.reply("")

    def wait(self, timeout=60):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise

    def kill(self):
        try:
            self.proc.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def check_run(muster, cwd, env, log_path, run_id, problems):
    log = open(log_path).read().splitlines() if os.path.exists(log_path) else []
    out = subprocess.run([muster, "log", run_id, "--json"], cwd=cwd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        problems.append(f"{run_id}: muster log failed: {out.stderr.strip()}")
        return
    events = [json.loads(l) for l in out.stdout.splitlines() if l.strip()] if not out.stdout.lstrip().startswith("[") else json.loads(out.stdout)
    seqs = [e["seq"] for e in events]
    if seqs != list(range(1, len(seqs) + 1)):
        problems.append(f"{run_id}: journal sequence has gaps or repeats")
    answered = collections.Counter((e.get("step"), e.get("item")) for e in events if e["event"] == "item_answered")
    for k, n in answered.items():
        if n > 1:
            problems.append(f"{run_id}: checklist item {k} answered {n} times")
    asked = collections.Counter((e.get("step"), e.get("name")) for e in events if e["event"] == "answered")
    for k, n in asked.items():
        if n > 1:
            problems.append(f"{run_id}: question {k} answered {n} times")
    finished = {e["step"]: e.get("outcome") for e in events if e["event"] == "step_finished"}
    for s in STEPS:
        if s not in finished:
            problems.append(f"{run_id}: step {s} never finished")
    starts = collections.Counter(e.get("step") for e in events if e["event"] in ("step_started", "attempt_started") and e.get("attempt"))
    for s in [k for k in ROLLBACKS if k != "promote"] + ["promote"] + (["cleanup"] if "cleanup" in STEPS else []):
        ran = log.count(f"ran {TAGS[s]}")
        if finished.get(s) == "done":
            if ran < 1 and not s.endswith("copy-data"):
                problems.append(f"{run_id}: {s} finished done but never ran")
            if ran > 1 and s not in IDEMPOTENT:
                problems.append(f"{run_id}: {s} is not idempotent and ran {ran} times")
            if ran > starts[s]:
                problems.append(f"{run_id}: {s} ran {ran} times but was started {starts[s]} times")
    rb_starts = collections.Counter(e.get("step") for e in events if e["event"] == "rollback_started" and e.get("step"))
    for s in ROLLBACKS:
        undone = log.count(f"undo {TAGS[s]}")
        if undone < 1:
            problems.append(f"{run_id}: the rollback of {s} never ran")
        if undone > rb_starts[s]:
            problems.append(f"{run_id}: the rollback of {s} ran {undone} times, started {rb_starts[s]} times")
    if "rehearse-only" in STEPS and finished.get("rehearse-only") != "skipped":
        problems.append(f"{run_id}: the step whose condition is false ended {finished.get('rehearse-only')}, not skipped")
    if "cleanup" in STEPS and log.count("ran cleanup") < 1:
        problems.append(f"{run_id}: the finally step never ran")
    outcome = [e.get("outcome") for e in events if e["event"] == "run_finished"]
    if outcome != ["rolled_back"]:
        problems.append(f"{run_id}: run ended {outcome}, expected one rolled_back")
    again = subprocess.run([muster, "resume", run_id], cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if again.returncode != 2 or "already finished" not in again.stderr:
        problems.append(f"{run_id}: resume of a finished run did not refuse: {again.returncode} {again.stderr.strip()}")


def phase(text):
    """Where the session was when killed, from what it had printed."""
    label = "start-up"
    for line in text.splitlines():
        t = line.strip()
        if line.startswith("[") and " · " in line:
            label = line.rsplit(" · ", 1)[-1].strip()
        elif t.startswith("rollback of '"):
            label = "rollback of " + t.split("'")[1]
        elif "(y/Enter done" in t or "(y run" in t or "(the answer becomes" in t or "(r retry" in t:
            label = label.split(" ")[0] + " (at a prompt)"
    return label


def started(runs_dir, known):
    """The run begun since `known` was taken whose journal has its first event."""
    for rid in sorted(set(os.listdir(runs_dir)) - known) if os.path.isdir(runs_dir) else []:
        path = os.path.join(runs_dir, rid, "journal.jsonl")
        if os.path.exists(path) and b"run_started" in open(path, "rb").read():
            return rid
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=200)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--muster", default=os.path.join(os.path.dirname(__file__), "..", ".build", "release", "muster"))
    ap.add_argument("--flow", action="store_true", help="a runbook with parallel branches, for_each, when, a guard and finally")
    a = ap.parse_args()
    global RUNBOOK, STEPS, IDEMPOTENT, ROLLBACKS, TAGS
    if a.flow:
        RUNBOOK, STEPS, IDEMPOTENT, ROLLBACKS, TAGS = FLOW_RUNBOOK, FLOW_STEPS, FLOW_IDEMPOTENT, FLOW_ROLLBACKS, FLOW_TAGS
    rng = random.Random(a.seed)
    muster = os.path.abspath(a.muster)
    work = tempfile.mkdtemp(prefix="muster-kill-")
    os.makedirs(os.path.join(work, "runbooks"))
    with open(os.path.join(work, "runbooks", "failover.yaml"), "w") as f:
        f.write(RUNBOOK)
    env = dict(os.environ, MUSTER_STATE_DIR=os.path.join(work, "state"), NO_COLOR="1")

    # How long an uninterrupted run takes: kills are spread over that.
    log = os.path.join(work, "calibrate.log")
    t0 = time.monotonic()
    s = Session([muster, "run", "failover", "-p", f"log={log}"], work, env, log)
    s.wait()
    span = time.monotonic() - t0
    print(f"seed {a.seed}; an uninterrupted run takes {span * 1000:.0f} ms; killing at random moments within it")

    kills = runs = sessions = 0
    problems = []
    where = collections.Counter()
    while kills < a.kills:
        runs += 1
        log = os.path.join(work, f"run{runs}.log")
        args = [muster, "run", "failover", "-p", f"log={log}"]
        run_kills = 0
        runs_dir = os.path.join(work, "state", "runs")
        known = set(os.listdir(runs_dir)) if os.path.isdir(runs_dir) else set()
        while True:
            sessions += 1
            s = Session(args, work, env, log)
            delay = rng.uniform(0, span)
            try:
                s.proc.wait(delay)
                finished = True
            except subprocess.TimeoutExpired:
                finished = False
            if not finished and kills < a.kills:
                s.kill()
                kills += 1
                run_kills += 1
                where[phase(s.output.decode("utf-8", "replace"))] += 1
                # Killed before the run journaled its start: there is
                # nothing to resume (muster says so, exit 2), so start again.
                rid = started(runs_dir, known)
                if not rid:
                    continue
                # Killed after its last event: the run is over.
                if b'"run_finished"' in open(os.path.join(runs_dir, rid, "journal.jsonl"), "rb").read():
                    break
                args = [muster, "resume"]
                continue
            code = s.wait()
            if code not in (1,):
                problems.append(f"run {runs}: session ended with exit {code}: {s.output.decode()[-400:]}")
            break
        run_id = started(runs_dir, known)
        before = len(problems)
        check_run(muster, work, env, log, run_id, problems)
        print(f"run {runs:3d}: {run_kills} kill(s), {'ok' if len(problems) == before else 'BROKEN'}")
    print(f"\n{kills} SIGKILLs over {runs} runs ({sessions} sessions); kills landed during: "
          + ", ".join(f"{k} {v}" for k, v in sorted(where.items())))
    if problems:
        print("\nInvariants broken:")
        for p in problems:
            print("  " + p)
        sys.exit(1)
    print("every invariant held")


if __name__ == "__main__":
    main()
