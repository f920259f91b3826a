#!/usr/bin/env bash
# A real Buildbot CI on 127.0.0.1 with a `deploy` builder, for the tests and
# the sandbox. Installs Buildbot from PyPI into a virtual environment on first
# use ($MUSTER_VENV, default ~/.cache/muster/venv).
#
#   sandbox/buildbot.sh start DIR HTTP_PORT PB_PORT   # creates, starts, waits for the API
#   sandbox/buildbot.sh stop DIR
#   sandbox/buildbot.sh kill-worker DIR               # SIGKILL: a lost worker
#   sandbox/buildbot.sh start-worker DIR              # back, and connected
#
# The `deploy` builder runs sandbox/deploy.sh with the build's `region`,
# `cluster`, `outcome` and `hold` properties (see that script).
#
# With BUILDBOT_USER=NAME:PASSWORD in the environment of `start`, the master
# has a www login (UserPasswordAuth) and an authz that lets only that user
# force builds or do anything else that changes state; viewing stays open.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv="${MUSTER_VENV:-$HOME/.cache/muster/venv}"

ensure_venv() {
  if [ ! -x "$venv/bin/buildbot" ] || [ ! -x "$venv/bin/buildbot-worker" ] || ! "$venv/bin/python" -c "import buildbot_www" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check buildbot buildbot-worker buildbot-www >&2
  fi
}

case "${1:-}" in
start)
  dir=$2 http=$3 pb=$4
  auth=""
  if [ -n "${BUILDBOT_USER:-}" ]; then
    user=${BUILDBOT_USER%%:*} password=${BUILDBOT_USER#*:}
    auth="auth=util.UserPasswordAuth({\"$user\": \"$password\"}), authz=util.Authz(
    allowRules=[util.AnyControlEndpointMatcher(role=\"deployers\")],
    roleMatchers=[util.RolesFromUsername(roles=[\"deployers\"], usernames=[\"$user\"])]),"
  fi
  ensure_venv
  mkdir -p "$dir"
  [ -d "$dir/master" ] || "$venv/bin/buildbot" create-master -q "$dir/master" >&2
  [ -d "$dir/worker" ] || "$venv/bin/buildbot-worker" create-worker -q "$dir/worker" "127.0.0.1:$pb" muster-worker muster-pass >&2
  cat > "$dir/master/master.cfg" <<CFG
from buildbot.plugins import schedulers, steps, util, worker
c = BuildmasterConfig = {}
c['workers'] = [worker.Worker("muster-worker", "muster-pass")]
c['protocols'] = {'pb': {'port': "tcp:$pb:interface=127.0.0.1"}}
c['change_source'] = []
c['schedulers'] = [schedulers.ForceScheduler(name="force", builderNames=["deploy"], properties=[
    util.StringParameter(name="region", default=""),
    util.StringParameter(name="cluster", default=""),
    util.StringParameter(name="reason_text", default=""),
    util.StringParameter(name="outcome", default="success"),
    util.StringParameter(name="hold", default="1")])]
f = util.BuildFactory()
f.addStep(steps.ShellCommand(name="deploy", command=["bash", "$here/deploy.sh"],
    env={"REGION": util.Property("region"), "CLUSTER": util.Property("cluster"), "OUTCOME": util.Property("outcome"), "HOLD": util.Property("hold")}))
c['builders'] = [util.BuilderConfig(name="deploy", workernames=["muster-worker"], factory=f)]
c['title'] = "Muster sandbox CI"
c['buildbotURL'] = "http://127.0.0.1:$http/"
c['www'] = dict(port="tcp:$http:interface=127.0.0.1", plugins={}, $auth)
c['db'] = {'db_url': "sqlite:///state.sqlite"}
CFG
  "$venv/bin/buildbot" start "$dir/master" >/dev/null
  "$venv/bin/buildbot-worker" start "$dir/worker" >/dev/null
  for _ in $(seq 100); do
    # Ready when the API answers and the worker is connected.
    if curl -sf "http://127.0.0.1:$http/api/v2/workers" 2>/dev/null |
       python3 -c 'import json, sys; sys.exit(0 if any(w["connected_to"] for w in json.load(sys.stdin)["workers"]) else 1)' 2>/dev/null; then
      echo "http://127.0.0.1:$http"
      exit 0
    fi
    sleep 0.2
  done
  echo "Buildbot did not come up on 127.0.0.1:$http; see $dir/master/twistd.log" >&2
  exit 1
  ;;
kill-worker)
  kill -KILL "$(cat "$2/worker/twistd.pid")"
  ;;
start-worker)
  dir=$2
  rm -f "$dir/worker/twistd.pid"
  "$venv/bin/buildbot-worker" start "$dir/worker" >/dev/null
  ;;
stop)
  dir=$2
  # SIGTERM to the worker and the master at once, then up to 5 s for both to
  # exit: `buildbot stop` does one after the other, each behind a Python
  # start-up and a one-second poll, which made stopping take 6 s.
  pids=()
  for part in worker master; do
    pid=$(cat "$dir/$part/twistd.pid" 2>/dev/null) || continue
    kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  done
  for _ in $(seq 100); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.05
  done
  # Whatever did not stop (a daemon that ignores SIGTERM) is killed.
  pkill -KILL -f -- "$dir/(worker|master)" 2>/dev/null || true
  rm -f "$dir/worker/twistd.pid" "$dir/master/twistd.pid"
  ;;
*)
  echo "usage: $0 start DIR HTTP_PORT PB_PORT | stop DIR | kill-worker DIR | start-worker DIR" >&2
  exit 2
  ;;
esac
