"""The sandbox's public web endpoints, on 127.0.0.1 only.

GET /NAME/healthz answers the way the real API's health check does,
{"status":"ok","region":"..."}, where the region is the one the Route 53
failover record NAME currently sends traffic to, read from the AWS stand-in
(moto). So the runbook's last check really sees whether the DNS switch
happened.

POST /hooks/NAME records a chat-webhook message (Slack's {"text": ...}) as a
line in the file HOOK_LOG, and answers "ok" like Slack does.

Usage: python health.py PORT HOOK_LOG   (AWS_ENDPOINT_URL must point at moto)
"""
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3

port, hook_log = int(sys.argv[1]), sys.argv[2]
route53 = boto3.client("route53", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
lock = threading.Lock()


def serving_region(name):
    """Region of the PRIMARY failover target of NAME (REGION.NAME), or None."""
    name = name.rstrip(".") + "."
    for zone in route53.list_hosted_zones()["HostedZones"]:
        if not name.endswith(zone["Name"]):
            continue
        records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
        for r in records:
            if r["Name"] == name and r.get("Failover") == "PRIMARY":
                target = r["ResourceRecords"][0]["Value"].rstrip(".")
                return target.split(".", 1)[0]
    return None


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body, kind="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        if len(parts) == 2 and parts[1] == "healthz":
            region = serving_region(parts[0])
            if region is None:
                self.reply(404, json.dumps({"status": "unknown name", "name": parts[0]}))
            elif region == os.environ.get("SANDBOX_DOWN_REGION", "eu-west-1"):
                # The primary region is the one that is "lost" in the sandbox.
                self.reply(503, json.dumps({"status": "down", "region": region}))
            else:
                self.reply(200, json.dumps({"status": "ok", "region": region}))
        elif self.path == "/ready":
            self.reply(200, "ok", "text/plain")
        else:
            self.reply(404, json.dumps({"error": "not found"}))

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        if self.path.startswith("/hooks/"):
            with lock, open(hook_log, "a") as f:
                f.write(body.replace("\n", " ") + "\n")
            self.reply(200, "ok", "text/plain")
        else:
            self.reply(404, json.dumps({"error": "not found"}))

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
