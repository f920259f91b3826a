"""AWS's credential and STS stand-ins on 127.0.0.1, speaking the documented
shapes, for MusterStoreTests and MusterCLITests. Prints its port, then
serves until killed. MODE (the variable):

imds       EC2 instance metadata, IMDSv2: PUT /latest/api/token with
           X-aws-ec2-metadata-token-ttl-seconds gives a token; every GET
           without that token answers 401. The role's credentials come from
           KEY, SECRET, TOKEN, expiring EXPIRES_IN seconds from now. With
           HOPS=1 the PUT's answer never arrives (a hop limit of 1 seen from
           a container), and with V1=1 GETs without a token are answered.
container  ECS / EKS Pod Identity: GET of any path answers the credentials
           when the Authorization header is AUTH (401 otherwise).
sso        IAM Identity Center's access portal: GET /federation/credentials
           ?account_id=&role_name= answers roleCredentials when the
           x-amz-sso_bearer_token header is SSO_TOKEN (401 otherwise).
nosts      an STS that does not serve GetCallerIdentity: MinIO's answer to
           an STS action it lacks (501 NotImplemented, its XML).
flaky      answers 503 SlowDown to the first FAILS requests, then 200.
gcs        answers every request 200 with Google Cloud Storage's headers
           (x-guploader-uploadid, and x-goog-generation on a PUT), as its
           XML API does, ignoring If-None-Match.

Each request is appended to LOG (if set) as `METHOD PATH OK|REFUSED`.
"""
import datetime
import json
import os
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = os.environ["MODE"]
tokens = set()
count = [0]


def credentials():
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=int(os.environ.get("EXPIRES_IN", "3600")))
    return json.dumps({"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": os.environ.get("KEY", "AKIDMETADATA"),
                       "SecretAccessKey": os.environ.get("SECRET", "metadata-secret"), "Token": os.environ.get("TOKEN", "metadata-token"),
                       "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"), "LastUpdated": "2026-12-05T00:00:00Z"})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def note(self, ok):
        if os.environ.get("LOG"):
            with open(os.environ["LOG"], "a") as f:
                f.write(f"{self.command} {self.path} {'OK' if ok else 'REFUSED'}\n")

    def reply(self, status, body, ctype="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_PUT(self):
        self.body()
        if MODE == "imds" and self.path == "/latest/api/token" and os.environ.get("HOPS") == "1":
            self.note(False)
            import time
            time.sleep(10)
            return
        if MODE == "imds" and self.path == "/latest/api/token":
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
            if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                self.note(False)
                return self.reply(400, "")
            token = uuid.uuid4().hex
            tokens.add(token)
            self.note(True)
            return self.reply(200, token)
        self.common()

    def do_GET(self):
        if MODE == "imds":
            if self.headers.get("X-aws-ec2-metadata-token") not in tokens and os.environ.get("V1") != "1":
                self.note(False)
                return self.reply(401, "")
            self.note(True)
            if self.path == "/latest/meta-data/iam/security-credentials/":
                return self.reply(200, "muster-role")
            if self.path == "/latest/meta-data/iam/security-credentials/muster-role":
                return self.reply(200, credentials(), "application/json")
            return self.reply(404, "")
        if MODE == "sso":
            ok = self.headers.get("x-amz-sso_bearer_token") == os.environ.get("SSO_TOKEN") and \
                self.path == "/federation/credentials?account_id=111122223333&role_name=OnCall"
            self.note(ok)
            if not ok:
                return self.reply(401, json.dumps({"message": "Session token not found or invalid"}), "application/json")
            c = json.loads(credentials())
            expires = int((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).timestamp() * 1000)
            return self.reply(200, json.dumps({"roleCredentials": {"accessKeyId": c["AccessKeyId"], "secretAccessKey": c["SecretAccessKey"],
                                                                   "sessionToken": c["Token"], "expiration": expires}}), "application/json")
        if MODE == "container":
            ok = self.headers.get("Authorization") == os.environ.get("AUTH")
            self.note(ok)
            return self.reply(200, credentials(), "application/json") if ok else self.reply(401, "")
        self.common()

    def do_POST(self):
        self.body()
        if MODE == "nosts":
            self.note(True)
            return self.reply(501, '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                                   '<Error><Type></Type><Code>NotImplemented</Code><Message>Input functionality is not implemented</Message></Error>'
                                   '<RequestId>1800B1C5A3D5D2C6</RequestId></ErrorResponse>', "application/xml")
        self.common()

    def do_HEAD(self):
        self.common()

    def common(self):
        if MODE == "gcs":
            self.note(True)
            self.send_response(200)
            self.send_header("x-guploader-uploadid", "ABPtcPo")
            if self.command == "PUT":
                self.send_header("x-goog-generation", "1733400000000000")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if MODE == "flaky":
            count[0] += 1
            if count[0] <= int(os.environ.get("FAILS", "0")):
                self.note(False)
                return self.reply(503, '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>', "application/xml")
            self.note(True)
            return self.reply(200, "")
        self.note(False)
        self.reply(404, "")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
