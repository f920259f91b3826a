"""A small HTTP server on 127.0.0.1 for Muster's HTTP tests: prints its port,
then answers a few fixed routes, including ones that misbehave."""
import json, os, signal, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    hung = set()

    def log_message(self, *args):
        pass

    def hang(self):
        """/hang: the first request to it is noted in HANG_LOG, then waits
        30 s (a webhook or API that stalls); later ones answer at once."""
        if self.path in Handler.hung:
            return self.reply(200, "ok")
        Handler.hung.add(self.path)
        if os.environ.get("HANG_LOG"):
            with open(os.environ["HANG_LOG"], "a") as f:
                f.write(self.command + " " + self.path + "\n")
        time.sleep(30)
        self.reply(200, "late")

    def reply(self, status, body, ctype="text/plain"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        p = self.path
        if os.environ.get("REQUEST_LOG"):
            # Every GET as it arrives, for a test that waits for one.
            with open(os.environ["REQUEST_LOG"], "a") as f:
                f.write("GET " + p + "\n")
        if p.startswith("/hang"):
            return self.hang()
        # Buildbot look-alikes that misbehave: /bb500 fails, /bbgarbage answers
        # garbage, /bbstuck has a build that never ends.
        if p.startswith("/bb500/"):
            self.reply(500, "Internal Server Error")
        elif p.startswith("/bbgarbage/"):
            self.reply(200, b"<html>not json", "text/html")
        elif p.startswith("/bbstuck/api/v2/builders/1/buildrequests"):
            self.reply(200, json.dumps({"buildrequests": [{"buildrequestid": 7, "buildsetid": 1}]}), "application/json")
        elif p.startswith("/bbstuck/api/v2/builders"):
            self.reply(200, json.dumps({"builders": [{"builderid": 1, "name": "deploy"}]}), "application/json")
        elif p.startswith("/bbstuck/api/v2/buildrequests/"):
            self.reply(200, json.dumps({"buildrequests": [{"buildrequestid": 7, "complete": False, "results": -1, "claimed": True}]}), "application/json")
        elif p.startswith("/bbstuck/api/v2/builds"):
            self.reply(200, json.dumps({"builds": [{"number": 1, "complete": False, "results": None, "state_string": "building"}]}), "application/json")
        elif p == "/ok":
            self.reply(200, "ok")
        elif p.startswith("/status/"):
            self.reply(int(p.split("/")[2]), "status " + p.split("/")[2])
        elif p == "/json":
            self.reply(200, json.dumps({"cluster": {"arn": "arn:aws:eks:1", "tags": [1, {"team": "platform"}]}}), "application/json")
        elif p == "/garbage":
            self.reply(200, b"\x00\xff{not json", "application/json")
        elif p == "/slow":
            time.sleep(5)
            self.reply(200, "late")
        elif p == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif p == "/login":
            # Buildbot's login: a session cookie and a redirect to a page.
            self.send_response(302)
            self.send_header("Set-Cookie", "SESSION=anonymous; Path=/")
            self.send_header("Set-Cookie", "SESSION=ops; Path=/")
            self.send_header("Location", "/headers")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif p == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif p.startswith("/s3flaky/"):
            self.s3flaky_get()
        elif p.startswith("/s3loop?"):
            # An S3 look-alike whose listing never ends: continuation
            # tokens A, B, A, B…, each page one new key.
            from urllib.parse import parse_qs, urlsplit
            q = parse_qs(urlsplit(p).query)
            token = q.get("continuation-token", [""])[0]
            Handler.pages = getattr(Handler, "pages", 0) + 1
            nxt = "B" if token == "A" else "A"
            if p.startswith("/s3loop?") and "endless" in p:
                # prefix=endless: a fresh token every page, never the last.
                nxt = "T%d" % Handler.pages
            xml = ('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>s3loop</Name>'
                   '<Contents><Key>k%d</Key></Contents><IsTruncated>true</IsTruncated>'
                   '<NextContinuationToken>%s</NextContinuationToken></ListBucketResult>' % (Handler.pages, nxt))
            self.reply(200, xml, "application/xml")
        elif p == "/headers":
            self.reply(200, json.dumps({k.lower(): v for k, v in self.headers.items()}), "application/json")
        else:
            self.reply(404, "not found")

    # An S3 look-alike that fails puts with 500: /s3flaky/done-KEY stores
    # the body and then fails (the work done, the answer an error);
    # /s3flaky/lost-KEY fails its first three puts without storing.
    objects = {}
    puts = {}

    def do_PUT(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        p = self.path
        if not p.startswith("/s3flaky/"):
            return self.reply(404, "not found")
        Handler.puts[p] = Handler.puts.get(p, 0) + 1
        if p in Handler.objects:
            return self.reply(412, "<Error><Code>PreconditionFailed</Code></Error>", "application/xml")
        if "/done-" in p or Handler.puts[p] > 3:
            Handler.objects[p] = body
        if "/lost-" in p and Handler.puts[p] > 3:
            return self.reply(200, "")
        self.reply(500, "<Error><Code>InternalError</Code><Message>try again</Message></Error>", "application/xml")

    def s3flaky_get(self):
        p = self.path
        if p.endswith("/puts"):
            return self.reply(200, str(Handler.puts.get(p[:-len("/puts")], 0)))
        if p in Handler.objects:
            return self.reply(200, Handler.objects[p], "application/octet-stream")
        self.reply(404, "<Error><Code>NoSuchKey</Code></Error>", "application/xml")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        if self.path.startswith("/hang"):
            return self.hang()
        if self.path.startswith("/bbstuck/api/v2/forceschedulers/"):
            self.reply(200, json.dumps({"jsonrpc": "2.0", "id": 1, "result": [1, {"1": 7}]}), "application/json")
            return
        if os.environ.get("HOOK_LOG"):
            with open(os.environ["HOOK_LOG"], "a") as f:
                f.write(body + "\n")
        self.reply(201, json.dumps({"method": "POST", "path": self.path, "body": body,
                                    "headers": {k.lower(): v for k, v in self.headers.items()}}), "application/json")


# The test runner may start us with SIGTERM blocked; let it end us.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
