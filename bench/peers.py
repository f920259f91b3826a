#!/usr/bin/env python3
"""Muster against peers: Chaos Toolkit and ansible-playbook, in one run.

For N steps (default 1, 10 and 100) every executor runs the same work per step,
`bash -euo pipefail -c true` (what Muster runs for a `run: "true"` step):
  - plain shell loop: the baseline (bench/steps.py's, spawning bash per step);
  - muster run --yes: a runbook of N `run: "true"` steps, state and journal
    (a step's end fsynced with the next step's start) in a temporary folder
    outside git;
  - chaos run: an experiment whose method is N process actions;
  - ansible-playbook: one play on the implicit localhost, connection local,
    gather_facts false, N `command:` tasks; with its default settings and
    again with pipelining on (its main documented speed-up).
Measurements are interleaved (each round runs every executor at every N once),
so the baseline and the executors see the same load; medians over rounds.
Reported: start-up (N=1 wall time) and cost per step ((T(N max) - T(N=1)) / (N max - 1))
as ratios to the shell loop, overhead per step over the shell loop's, and peak
memory in one more run at N max (RSS of the largest single process, and the
PSS of its whole process tree, sampled).

Long runs (--long, default 200,5000; ansible left out, at half a second a
task): the shell loop, Muster and Chaos Toolkit at 1, 200 and 5,000 steps,
interleaved in --long-runs rounds; reported: the per step of the first 200
steps ((T(200) - T(1)) / 199), the slope of the next 4,800
((T(5000) - T(200)) / 4800), and their ratio, which is 1.0 when a step late
in a long run costs what one early in it does; and the peak RSS at 5,000.

Chaos Toolkit and ansible-core are installed from PyPI into a virtual
environment on first use: $MUSTER_BENCH_VENV, default ~/.cache/muster/bench-venv.
Usage: bench/peers.py [--muster PATH] [--sizes 1,10,100] [--runs 5]
                      [--slow-runs 3] [--long 200,5000] [--long-runs 3]
                      [--venv PATH] [--markdown]
"""
import argparse, datetime, json, os, platform, shutil, statistics, subprocess, sys, tempfile, time

from steps import STEP_ARGV, STEP_SHELL, CommandFailed, measure, muster_cmd, peak_memory, shell_loop_cmd

PACKAGES = {"chaos": "chaostoolkit", "ansible": "ansible-core"}


# ---- the virtual environment with the peers -------------------------------------------

def ensure_venv(venv):
    """Creates venv and installs each peer into it if it is missing or broken.
    Returns {tool: None if usable, else why not}."""
    exe = {"chaos": os.path.join(venv, "bin", "chaos"),
           "ansible": os.path.join(venv, "bin", "ansible-playbook")}

    def works(tool):
        try:
            return subprocess.run([exe[tool], "--version"], stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=120).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False

    status = {}
    for tool, package in PACKAGES.items():
        if works(tool):
            status[tool] = None
            continue
        if not os.path.exists(os.path.join(venv, "bin", "pip")):
            print(f"creating virtual environment {venv}", file=sys.stderr)
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        print(f"installing {package} into {venv}", file=sys.stderr)
        r = subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q",
                            "--disable-pip-version-check", package],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if r.returncode != 0:
            status[tool] = f"pip install {package} failed: {(r.stderr or r.stdout).strip()[-300:]}"
        elif not works(tool):
            status[tool] = f"{exe[tool]} --version fails after installing {package}"
        else:
            status[tool] = None
    return status


def versions(venv):
    code = ("import importlib.metadata as m, json, sys\n"
            "out = {}\n"
            "for p in sys.argv[1:]:\n"
            "    try: out[p] = m.version(p)\n"
            "    except m.PackageNotFoundError: pass\n"
            "print(json.dumps(out))")
    try:
        r = subprocess.run([os.path.join(venv, "bin", "python"), "-c", code,
                            "chaostoolkit", "chaostoolkit-lib", "ansible-core"],
                           capture_output=True, text=True)
        return json.loads(r.stdout) if r.returncode == 0 else {}
    except OSError:
        return {}


# ---- workloads ------------------------------------------------------------------------

def chaos_cmd(venv, folder, n):
    """An experiment of n process actions; no version check (it would go to the
    network), no log file; validation on (its default); the journal, which
    `chaos run` always writes, goes to the temporary folder."""
    os.makedirs(folder, exist_ok=True)
    actions = [{"type": "action", "name": f"s{i}",
                "provider": {"type": "process", "path": STEP_ARGV[0], "arguments": STEP_ARGV[1:]}}
               for i in range(n)]
    experiment = {"version": "1.0.0", "title": f"{n} trivial steps",
                  "description": "bench/peers.py", "method": actions}
    path = os.path.join(folder, "experiment.json")
    with open(path, "w") as f:
        json.dump(experiment, f, indent=1)
    return ([os.path.join(venv, "bin", "chaos"), "--no-version-check", "--no-log-file",
             "--settings", os.path.join(folder, "settings.yaml"),
             "run", "--journal-path", os.path.join(folder, "journal.json"), path],
            folder, dict(os.environ, NO_COLOR="1"))


def ansible_cmd(venv, folder, n, pipelining):
    """A play of n command tasks on the implicit localhost (connection local, the
    controller's own Python), no facts; an empty config file so no ansible.cfg
    on the machine applies; its home and temporary files in the folder."""
    os.makedirs(folder, exist_ok=True)
    tasks = "".join(f"    - name: s{i}\n      command: {STEP_SHELL}\n" for i in range(n))
    path = os.path.join(folder, "playbook.yml")
    with open(path, "w") as f:
        f.write(f"- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n{tasks}")
    cfg = os.path.join(folder, "ansible.cfg")
    open(cfg, "w").close()
    env = dict(os.environ, ANSIBLE_CONFIG=cfg, ANSIBLE_HOME=os.path.join(folder, "home"),
               ANSIBLE_LOCAL_TEMP=os.path.join(folder, "tmp"),
               ANSIBLE_REMOTE_TEMP=os.path.join(folder, "remote-tmp"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="False",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
               ANSIBLE_PIPELINING="True" if pipelining else "False")
    return [os.path.join(venv, "bin", "ansible-playbook"), path], folder, env


# ---- report ---------------------------------------------------------------------------

def spread(xs, fmt="{:.2f}"):
    """median (min–max)"""
    m = statistics.median(xs)
    if len(xs) == 1:
        return fmt.format(m)
    return f"{fmt.format(m)} ({fmt.format(min(xs))}–{fmt.format(max(xs))})"


def fsync_ms(folder, count=20):
    """Median ms of appending two journal-sized lines to a file in folder and fsyncing
    them, as Muster's journal does once per automated step (its end and the next start)."""
    path = os.path.join(folder, "fsync-probe")
    line = b'{"event":"step_finished","step":"s1","exit":0,"seconds":0.003}\n' * 2
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        out = []
        for _ in range(count):
            t = time.perf_counter()
            os.write(fd, line)
            os.fsync(fd)
            out.append((time.perf_counter() - t) * 1000)
        return statistics.median(out)
    finally:
        os.close(fd)
        os.unlink(path)


def table(head, rows, markdown=False):
    if markdown:
        for row in [head, ["---"] * len(head)] + rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(row[i]) for row in [head] + rows) for i in range(len(head))]
    for row in [head] + rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--muster", default=".build/release/muster")
    ap.add_argument("--sizes", default="1,10,100", help="step counts, comma-separated; the smallest gives start-up")
    ap.add_argument("--runs", type=int, default=5, help="rounds (runs per median)")
    ap.add_argument("--slow-runs", type=int, default=3,
                    help="rounds for ansible at the largest size (it takes tens of seconds a run)")
    ap.add_argument("--venv", default=os.environ.get("MUSTER_BENCH_VENV",
                                                     os.path.expanduser("~/.cache/muster/bench-venv")))
    ap.add_argument("--long", default="200,5000",
                    help="two step counts for the long-run slope (shell, muster, chaos); empty to skip")
    ap.add_argument("--long-runs", type=int, default=3, help="rounds of the long runs")
    ap.add_argument("--markdown", action="store_true", help="print the summary as a Markdown table too")
    a = ap.parse_args()
    longs = sorted({int(s) for s in a.long.split(",") if s.strip()})
    if longs and len(longs) != 2:
        sys.exit("--long needs two step counts, or none")
    sizes = sorted({int(s) for s in a.sizes.split(",")})
    if len(sizes) < 2:
        sys.exit("--sizes needs at least two step counts")
    small, large = sizes[0], sizes[-1]
    muster = os.path.abspath(a.muster)
    if not os.access(muster, os.X_OK):
        sys.exit(f"{muster} not found: build it (swift build -c release --product muster) or use bench/run --peers")

    unavailable = ensure_venv(a.venv)
    vers = versions(a.venv)
    tmp = tempfile.mkdtemp(prefix="muster-peers-")
    try:
        # name -> (label, {n: (cmd, cwd, env)}, rounds at the largest size)
        tools = {"shell": ("plain shell loop (baseline)", {}, a.runs),
                 "muster": ("muster run --yes", {}, a.runs)}
        if unavailable["chaos"] is None:
            tools["chaos"] = ("chaos run", {}, a.runs)
        if unavailable["ansible"] is None:
            tools["ansible"] = ("ansible-playbook", {}, a.slow_runs)
            tools["ansible-pipe"] = ("ansible-playbook, pipelining", {}, a.slow_runs)
        for n in sizes:
            d = lambda tool: os.path.join(tmp, tool, str(n))
            tools["shell"][1][n] = (shell_loop_cmd(n), None, None)
            os.makedirs(d("muster"))
            tools["muster"][1][n] = muster_cmd(muster, d("muster"), n)
            if "chaos" in tools:
                tools["chaos"][1][n] = chaos_cmd(a.venv, d("chaos"), n)
            if "ansible" in tools:
                tools["ansible"][1][n] = ansible_cmd(a.venv, d("ansible"), n, False)
                tools["ansible-pipe"][1][n] = ansible_cmd(a.venv, d("ansible-pipe"), n, True)
        # name -> {n: (cmd, cwd, env)} for the long runs
        long_tools = {name: {} for name in ("shell", "muster", "chaos") if name in tools} if longs else {}
        if longs:
            longs = [1] + longs
        for n in longs:
            d = lambda tool: os.path.join(tmp, "long-" + tool, str(n))
            long_tools["shell"][n] = (shell_loop_cmd(n), None, None)
            os.makedirs(d("muster"))
            long_tools["muster"][n] = muster_cmd(muster, d("muster"), n)
            if "chaos" in long_tools:
                long_tools["chaos"][n] = chaos_cmd(a.venv, d("chaos"), n)

        print(f"Muster against peers, {datetime.date.today()}, {platform.node()}: "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
        print(f"every step runs: {STEP_SHELL}")
        print("settings: muster --yes, state in a temporary folder, journal fsynced once per step (an end with the next start);\n"
              "  chaos: validation on, no log file, no version check, journal JSON written once at the end;\n"
              "  ansible: default settings (forks 5, strategy linear, pipelining off), implicit localhost\n"
              "  (connection local, the controller's own Python), gather_facts false; then pipelining on")
        print("versions: " + ", ".join(f"{k} {v}" for k, v in vers.items())
              + f"; Python {platform.python_version()} in {a.venv}")
        for tool, why in unavailable.items():
            if why:
                print(f"NOT MEASURED, {tool}: {why}")

        # warm-up: page cache, Python bytecode caches, Muster's state folder
        for name, (_, cmds, _) in tools.items():
            measure(*cmds[small])

        # times[name][n] -> {round: seconds}
        times = {name: {n: {} for n in sizes} for name in tools}
        fsyncs = []  # per round, in the folder that holds Muster's state
        started = time.perf_counter()
        for r in range(a.runs):
            fsyncs.append(fsync_ms(os.path.join(tmp, "muster")))
            for n in sizes:
                for name, (_, cmds, slow) in tools.items():
                    if n == large and r >= slow:
                        continue
                    try:
                        times[name][n][r] = measure(*cmds[n])
                    except CommandFailed as e:
                        sys.exit(f"{name} failed at N={n}: {e}")
            print(f"  round {r + 1}/{a.runs} done, {time.perf_counter() - started:.0f} s", file=sys.stderr)
        memory = {name: peak_memory(*cmds[large]) for name, (_, cmds, _) in tools.items()}
        # long[name][n] -> [seconds per round]
        long = {name: {n: [] for n in longs} for name in long_tools}
        for r in range(a.long_runs if longs else 0):
            for n in longs:
                for name, cmds in long_tools.items():
                    try:
                        long[name][n].append(measure(*cmds[n]))
                    except CommandFailed as e:
                        sys.exit(f"{name} failed at N={n}: {e}")
            print(f"  long round {r + 1}/{a.long_runs} done, {time.perf_counter() - started:.0f} s", file=sys.stderr)
        long_memory = {name: peak_memory(*cmds[longs[-1]]) for name, cmds in long_tools.items()} if longs else {}

        print(f"\nwall time per run in ms, median (min–max) over rounds")
        wall = [[label] + [spread([s * 1000 for s in times[name][n].values()], "{:.0f}") for n in sizes]
                for name, (label, _, _) in tools.items()]
        table(["executor"] + [f"N={n}" for n in sizes], wall)

        # Per round, against the shell loop of the same round: start-up = T(small), over
        # all rounds; per step = (T(large) - T(small)) / (large - small), over the
        # rounds that ran the large size.
        def per_round(name):
            start = [{"start": ts * 1000, "start_ratio": ts / times["shell"][small][r]}
                     for r, ts in times[name][small].items()]
            step = []
            for r, tl in times[name][large].items():
                ts, bs, bl = times[name][small][r], times["shell"][small][r], times["shell"][large][r]
                per, base = (tl - ts) / (large - small), (bl - bs) / (large - small)
                step.append({"step": per * 1000, "step_ratio": per / base, "overhead": (per - base) * 1000})
            return start, step

        rows = []
        for name, (label, _, _) in tools.items():
            start, step = per_round(name)
            col = lambda xs, k, fmt="{:.2f}": spread([x[k] for x in xs], fmt)
            rows.append([label, col(start, "start", "{:.0f}"), col(start, "start_ratio", "{:.1f}"),
                         col(step, "step"), col(step, "step_ratio", "{:.1f}"), col(step, "overhead"),
                         f"{memory[name][0] / 1024:.0f}", f"{memory[name][1] / 1024:.0f}"])
        head = ["executor", f"start-up ms (N={small})", "× shell", "per step ms", "× shell",
                "overhead/step ms", "peak RSS MiB", "tree PSS MiB"]
        print(f"\nstart-up and per step (N={small} to N={large}), median (min–max) over rounds; "
              f"× shell: ratio to the shell loop in the same round")
        table(head, rows)
        print(f"write + fsync of two journal lines here: {spread(fsyncs)} ms (median per round); Muster does "
              f"one per automated step, so about {statistics.median(fsyncs):.2f} ms of its overhead per step")
        print(f"peak memory, in one more run at N={large}: RSS of the largest single process (GNU time %M); "
              f"PSS of all its processes summed (sampled every 10 ms)")
        print(f"rounds: {a.runs} ({a.slow_runs} for ansible at N={large}); "
              f"total {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.1f} at end")
        long_rows = []
        if longs:
            one, lo, hi = longs
            for name in long_tools:
                t1, tl, th = long[name][one], long[name][lo], long[name][hi]
                first = [(b - a_) / (lo - one) * 1000 for a_, b in zip(t1, tl)]
                slope = [(c - b) / (hi - lo) * 1000 for b, c in zip(tl, th)]
                ratio = [sl / f for sl, f in zip(slope, first)]
                long_rows.append([tools[name][0], spread([t * 1000 for t in tl], "{:.0f}"),
                                  spread([t * 1000 for t in th], "{:.0f}"), spread(first), spread(slope),
                                  spread(ratio), f"{long_memory[name][0] / 1024:.0f}"])
            long_head = ["executor", f"N={lo} ms", f"N={hi} ms", f"per step {one}→{lo} ms", f"per step {lo}→{hi} ms",
                         "ratio", f"peak RSS at {hi} MiB"]
            print(f"\nlong runs, median (min–max) over {a.long_runs} rounds: per step {one}→{lo} = (T({lo}) − T({one})) / {lo - one}; "
                  f"{lo}→{hi} = (T({hi}) − T({lo})) / {hi - lo}; ratio: the second over the first")
            table(long_head, long_rows)
        if a.markdown:
            print()
            table(["executor"] + [f"N={n}, ms" for n in sizes], wall, markdown=True)
            print()
            table(head, rows, markdown=True)
            if longs:
                print()
                table(long_head, long_rows, markdown=True)
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
