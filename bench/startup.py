#!/usr/bin/env python3
"""Start-up time of muster beside two floors, measured in the same minute.

  bench/startup.py [--runs 40] [--muster PATH ...] [-- ARGS]

Each round runs every binary in turn, once to warm the page cache and once
under `perf stat -r 1`, so a busier minute slows all of them alike; the
table gives each one's median and mean over the rounds. The floors are built here with `cc`: a C program that
does nothing, and the same program linked (--no-as-needed) with the C
libraries muster uses (libcurl, libgit2, libyaml, PCRE2), which is what
loading them costs. ARGS (default `--version`) go to every muster given.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

ELAPSED = re.compile(r"([0-9.]+) \+- [0-9.]+ seconds time elapsed|([0-9.]+) seconds time elapsed")


def elapsed_ms(argv):
    r = subprocess.run(["perf", "stat", "-r", "1", *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    m = ELAPSED.search(r.stderr)
    if not m:
        sys.exit(f"bench/startup.py: perf stat printed no time for {argv}:\n{r.stderr}")
    return float(m.group(1) or m.group(2)) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--muster", action="append", help="a muster binary (repeatable; default .build/release/muster)")
    ap.add_argument("args", nargs="*", default=["--version"])
    o = ap.parse_args()
    mine = o.muster or [".build/release/muster"]
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "main.c")
        with open(src, "w") as f:
            f.write("int main(void) { return 0; }\n")
        bare, libs = os.path.join(tmp, "c-bare"), os.path.join(tmp, "c-libs")
        subprocess.run(["cc", "-O2", src, "-o", bare], check=True)
        subprocess.run(["cc", "-O2", src, "-o", libs, "-Wl,--no-as-needed", "-lcurl", "-lgit2", "-lyaml", "-lpcre2-8"], check=True)
        subjects = [("C, nothing linked", [bare]), ("C linking libcurl, libgit2, libyaml, PCRE2", [libs])]
        subjects += [(f"{m} {' '.join(o.args)}", [m, *o.args]) for m in mine]
        times = {name: [] for name, _ in subjects}
        for _ in range(o.runs):
            for name, argv in subjects:
                subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times[name].append(elapsed_ms(argv))
    print(f"| binary | median | mean | ({o.runs} runs each, interleaved) |")
    print("|---|---|---|---|")
    for name, _ in subjects:
        t = times[name]
        print(f"| {name} | {statistics.median(t):.1f} ms | {statistics.mean(t):.1f} ms | |")


if __name__ == "__main__":
    main()
