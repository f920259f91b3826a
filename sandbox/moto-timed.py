#!/usr/bin/env python3
"""moto_server, with the resources the example runbooks wait on taking time.

moto makes an EKS cluster or node group ACTIVE, and an RDS instance or
snapshot "available", the moment it is created, so a trainee never waits on
anything. Real AWS takes minutes; the sandbox takes those minutes divided by
SANDBOX_TIME_SCALE (default 60: a minute becomes a second):

  model           state while it comes up   real time   sandbox (scale 60)
  eks::cluster    CREATING                  12 min      12 s
  eks::nodegroup  CREATING                   5 min       5 s
  rds::instance   creating (also restores)  10 min      10 s
  rds::snapshot   creating (also copies)    10 min      10 s

SANDBOX_TIME_SCALE=0 makes everything ready at once, as plain moto does.

moto's state manager (moto_api) moves some of its models through their
states over time, but not these four; this registers them with it, as
{"progression": "time", "seconds": N}, so its own API sets them at run time:

  POST /moto-api/state-manager/set-transition
       {"model_name": "eks::cluster", "transition": {"progression": "immediate"}}
  POST /moto-api/state-manager/unset-transition {"model_name": "eks::cluster"}

(seed-aws.py does so: what exists before the outage is ready when seeded).
A resource reads its transition when it is created and keeps it; only
"time" delays it, any other progression makes it ready at once. A status
set later (a delete, a stop) shows at once.

Usage: the arguments of moto_server, e.g. python3 moto-timed.py -H 127.0.0.1 -p 5000
"""
import os
import sys
import time

from moto.eks import models as eks
from moto.moto_api import state_manager
from moto.rds import models as rds
from moto.server import main

# (class, model name, status while coming up, typical real seconds)
TIMED = [
    (eks.Cluster, "eks::cluster", "CREATING", 12 * 60),
    (eks.Nodegroup, "eks::nodegroup", "CREATING", 5 * 60),
    (rds.DBInstance, "rds::instance", "creating", 10 * 60),
    (rds.DBSnapshot, "rds::snapshot", "creating", 10 * 60),
]


def time_scale():
    raw = os.environ.get("SANDBOX_TIME_SCALE") or "60"
    try:
        scale = float(raw)
    except ValueError:
        scale = -1
    if scale < 0:
        sys.exit(f"moto-timed.py: SANDBOX_TIME_SCALE must be a number of 0 or more "
                 f"(60: a minute of AWS is a second here; 0: ready at once), not {raw!r}")
    return scale


class TimedStatus:
    """A model's `status`: `pending` until its transition's seconds have
    passed since it was created, then what moto set."""

    def __init__(self, model, pending):
        self.model, self.pending = model, pending

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        if time.monotonic() < obj.__dict__.get("_sandbox_ready_at", 0):
            return self.pending
        return obj.__dict__.get("_sandbox_status")

    def __set__(self, obj, value):
        state = obj.__dict__
        if "_sandbox_status" in state:
            state["_sandbox_ready_at"] = 0
        else:
            transition = state_manager.get_transition(self.model)
            wait = transition.get("seconds", 0) if transition.get("progression") == "time" else 0
            state["_sandbox_ready_at"] = time.monotonic() + float(wait)
        state["_sandbox_status"] = value


scale = time_scale()
for cls, model, pending, real in TIMED:
    transition = {"progression": "time", "seconds": real / scale} if scale > 0 else {"progression": "immediate"}
    state_manager.register_default_transition(model, transition)
    cls.status = TimedStatus(model, pending)

if __name__ == "__main__":
    main(sys.argv[1:])
