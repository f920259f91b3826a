#!/usr/bin/env python3
"""What the demo's drill changed in the sandbox, in one process: the standby
cluster and database, where the failover record points, the CI builds and the
chat messages. The aws CLI did the same in four calls of a second each; this
is what `scripts/demo` prints at the end.

  python3 sandbox/what-changed.py [SINCE_EPOCH [HOOKS_LOG [HOOK_LINES_BEFORE]]]

Builds and chat messages from before SINCE (earlier demos on a sandbox kept
running) are left out. Needs the sandbox's env sourced (AWS_ENDPOINT_URL, SANDBOX_CI_URL; its PATH
leads to the python3 with boto3). Every line says what went wrong instead of
stopping the others: a failed drill may have left any of these undone.
"""
import json
import os
import sys
import urllib.request

import boto3

STANDBY = "eu-central-1"


def line(label, look):
    try:
        value = look()
    except Exception as error:  # a resource the drill did not make, a stopped server
        value = f"not found ({type(error).__name__}: {error})"
    print(f"{label}: {value}")


def cluster():
    return boto3.client("eks", region_name=STANDBY).describe_cluster(name="staging-eu")["cluster"]["status"]


def database():
    rds = boto3.client("rds", region_name=STANDBY)
    return rds.describe_db_instances(DBInstanceIdentifier="staging-db")["DBInstances"][0]["DBInstanceStatus"]


def primary_record():
    r53 = boto3.client("route53")
    zone = r53.list_hosted_zones_by_name(DNSName="staging.example.com")["HostedZones"][0]["Id"]
    for record in r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]:
        if record["Name"] == "api.staging.example.com." and record.get("Failover") == "PRIMARY":
            return record["ResourceRecords"][0]["Value"]
    return "no PRIMARY record"


def builds(since):
    with urllib.request.urlopen(os.environ["SANDBOX_CI_URL"] + "/api/v2/builds", timeout=5) as reply:
        found = [b for b in json.load(reply)["builds"] if (b.get("started_at") or 0) >= since]
    return ", ".join(f"#{b['number']} {b['state_string']}" for b in found) or "none"


def messages(hooks, before):
    count = sum(1 for _ in open(hooks)) if os.path.exists(hooks) else 0
    return f"{count - before} (in {hooks})"


args = sys.argv[1:] + [None] * 3
since = float(args[0] or 0)
hooks = args[1] or ".muster/sandbox/webhooks.log"
before = int(args[2] or 0)


line(f"EKS cluster staging-eu in {STANDBY}", cluster)
line(f"RDS staging-db in {STANDBY}", database)
line("api.staging.example.com (PRIMARY) points at", primary_record)
line("Buildbot builds", lambda: builds(since))
line("Chat messages posted", lambda: messages(hooks, before))
