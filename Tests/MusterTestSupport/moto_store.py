"""An S3 and STS stand-in (moto) on 127.0.0.1 that checks signatures and
IAM policies, for MusterStoreTests.

Prints one JSON line: the port and the credentials of three identities,
all made up here: alice (may use the store and assume the on-call role),
mallory (a valid key that no policy allows anything), and a session of the
on-call role (with a session token). The bucket `muster-runs` exists (in
eu-west-1). Then serves until killed.

moto checks requests only once INITIAL_NO_AUTH_ACTION_COUNT unauthenticated
actions were served: the setup below makes exactly that many.

With --open, nothing is checked; only the bucket is made. moto's signature
check (5.x) rebuilds the request from decoded parts, so it rejects a path
with `%2B`, `%3D`, `%2C`, `%2F` or non-ASCII, and a query value with `%2F`
(a ListObjectsV2 prefix `a/`), though botocore signs those exactly as
libcurl does (compared by hand, same signatures).
"""
import json
import os
import sys
import time

SETUP_ACTIONS = 8
OPEN = "--open" in sys.argv
if not OPEN:
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(SETUP_ACTIONS)

import threading  # noqa: E402

import boto3  # noqa: E402
from moto.s3.responses import S3Response  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

# S3 decides a conditional put (`If-None-Match: *`) atomically: of two puts
# of one key at the same moment, one wins and one gets 412. moto 5 checks
# the condition and then stores the object in two steps, with nothing
# between them, and serves each request on its own thread, so two machines'
# puts could both "win" on a loaded test machine (EventLogTests saw it).
# The shared run's lease rests on that promise: the stand-in keeps it by
# taking object puts one at a time.
_object_puts = threading.Lock()
_put_object = S3Response.put_object


def _put_object_atomically(self):
    with _object_puts:
        return _put_object(self)


S3Response.put_object = _put_object_atomically

port = int(next((a for a in sys.argv[1:] if a.isdigit()), "0"))
server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
server.start()
port = server.get_host_and_port()[1]
url = f"http://127.0.0.1:{port}"


def client(service, key="setup", secret="setup", token=None):
    return boto3.client(service, endpoint_url=url, region_name="eu-west-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token)


allow = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:*", "sts:GetCallerIdentity", "sts:AssumeRole"], "Resource": "*"}]})
trust = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
client("s3").create_bucket(Bucket="muster-runs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})  # 1


def serve_while_parent_lives():
    """A store shared by a whole test process (MotoStore.shared) is never
    stopped by a deinit: it ends when the process that started it does."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


if OPEN:
    print(json.dumps({"port": port}), flush=True)
    serve_while_parent_lives()
iam = client("iam")
iam.create_user(UserName="alice")                                                      # 2
alice = iam.create_access_key(UserName="alice")["AccessKey"]                           # 3
iam.put_user_policy(UserName="alice", PolicyName="store", PolicyDocument=allow)        # 4
iam.create_user(UserName="mallory")                                                    # 5
mallory = iam.create_access_key(UserName="mallory")["AccessKey"]                       # 6
iam.create_role(RoleName="oncall", AssumeRolePolicyDocument=trust)                     # 7
iam.put_role_policy(RoleName="oncall", PolicyName="store", PolicyDocument=allow)       # 8
session = client("sts", alice["AccessKeyId"], alice["SecretAccessKey"]).assume_role(
    RoleArn="arn:aws:iam::123456789012:role/oncall", RoleSessionName="bob")["Credentials"]

print(json.dumps({
    "port": port,
    "alice": [alice["AccessKeyId"], alice["SecretAccessKey"]],
    "mallory": [mallory["AccessKeyId"], mallory["SecretAccessKey"]],
    "session": [session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"]],
}), flush=True)
serve_while_parent_lives()
