#!/usr/bin/env python3
"""What a shared store adds per event: the latency of one conditional put
(`If-None-Match: *`, as MusterStore's EventLog.append writes each event)
against moto on loopback, beside the local journal's own cost per event
(one line appended and fsynced) measured in the same run, interleaved.

Also the lost append (a put answered 412, then the GET of the winner's
bytes: what a machine pays when another wrote event N first) and following
a whole run (list + one GET per event).

Loopback moto is a floor, not a forecast: a real region adds its round trip
(docs/shared-store.md has the estimate). moto runs without its signature
check (Tests/MusterTestSupport/moto_store.py --open); libcurl still signs.

Usage: bench/store.py [--events 200] [--event-bytes 400] [--no-build]
"""
import argparse, json, os, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--event-bytes", type=int, default=400)
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    if not a.no_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "muster-store-bench"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    binary = os.path.join(ROOT, ".build/release/muster-store-bench")
    moto = subprocess.Popen([sys.executable, os.path.join(ROOT, "Tests/MusterTestSupport/moto_store.py"), "--open"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = json.loads(moto.stdout.readline())["port"]
        env = dict(os.environ, AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_REGION="eu-west-1",
                   AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
        env.pop("AWS_SESSION_TOKEN", None)
        env.pop("AWS_PROFILE", None)
        out = subprocess.run([binary, "s3://muster-runs/bench", str(a.events), str(a.event_bytes)], env=env,
                             check=True, capture_output=True, text=True).stdout
    finally:
        moto.kill()
        moto.wait()
    r = json.loads(out)
    base = statistics.median(r["local_fsync"])
    print(f"{r['n']} events of {r['event_bytes']} bytes, moto on 127.0.0.1 ({time.strftime('%Y-%m-%d')})")
    print(f"{'per event':<34}{'median':>10}{'p95':>10}{'x local':>10}")
    for name, label in [("local_fsync", "local append + fsync (baseline)"), ("put_written", "conditional put, written"),
                        ("put_lost", "conditional put lost (412 + GET)")]:
        v = r[name]
        med, p95 = statistics.median(v), pct(v, 95)
        print(f"{label:<34}{med * 1000:>8.2f}ms{p95 * 1000:>8.2f}ms{med / base:>9.1f}x")
    print(f"following the whole run (list + {r['n']} GETs): {r['follow_all_seconds'] * 1000:.0f}ms, "
          f"{r['follow_all_seconds'] / r['n'] * 1000:.2f}ms per event")


if __name__ == "__main__":
    main()
