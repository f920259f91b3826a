"""An HTTP server on 127.0.0.1 that records every request it gets (method,
path, headers, body) as one JSON line in RECORD_LOG, for tests that check
what reached a host. With REDIRECT_TO set it answers every request with
REDIRECT_CODE (default 302) and Location REDIRECT_TO + the request's path;
a path starting with /same/ is redirected to the rest of it on this server.
Otherwise it answers REPLY_STATUS (default 200) with REPLY_BODY (default
{"ok": true, "id": 1})."""
import json, os, signal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def handle_any(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode("utf-8", "replace")
        with open(os.environ["RECORD_LOG"], "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path, "body": body,
                                "headers": {k.lower(): v for k, v in self.headers.items()}}) + "\n")
        target = None
        if self.path.startswith("/same/"):
            target = self.path[len("/same"):]
        elif os.environ.get("REDIRECT_TO"):
            target = os.environ["REDIRECT_TO"] + self.path
        if target is not None:
            self.send_response(int(os.environ.get("REDIRECT_CODE", "302")))
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = os.environ.get("REPLY_BODY", json.dumps({"ok": True, "id": 1})).encode()
        self.send_response(int(os.environ.get("REPLY_STATUS", "200")))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
