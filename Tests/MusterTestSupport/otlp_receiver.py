"""An OTLP/HTTP trace receiver on 127.0.0.1 for tests: every POST body is
decoded with the official opentelemetry-proto definitions (PyPI) into an
ExportTraceServiceRequest, strictly (an unknown field is an error), and each
request is written to RECORD_LOG as one JSON line: its path, headers, the
decoded spans (ids back in hex) and the resource attributes, or the decoding
error. With SLOW_SECONDS set it waits that long before answering. ANSWERS
("503:1,429,200") scripts the status of the first requests, each with a
Retry-After of that many seconds after the colon; later ones get 200 (400 for
a body that does not decode). Each line records the status answered.

OTLP/JSON writes trace and span ids as hex where protobuf's JSON mapping
expects base64 (the OTLP spec's one deviation); they are converted before
decoding, as the OpenTelemetry Collector does. Re-executes itself with the
test virtual environment's Python ($MUSTER_VENV, default
~/.cache/muster/venv) when the running Python lacks the package."""
import base64, json, os, signal, sys, time

try:
    from google.protobuf import json_format
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
except ImportError:
    venv = os.environ.get("MUSTER_VENV", os.path.expanduser("~/.cache/muster/venv"))
    python = os.path.join(venv, "bin", "python")
    if os.path.realpath(sys.prefix) != os.path.realpath(venv) and os.path.exists(python):
        os.execv(python, [python] + sys.argv)
    raise

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import threading

scripted = [a for a in os.environ.get("ANSWERS", "").split(",") if a]
scripted_lock = threading.Lock()


def hex_to_b64(value, size):
    raw = bytes.fromhex(value)
    if len(raw) != size:
        raise ValueError(f"id {value!r} is not {size} bytes")
    return base64.b64encode(raw).decode()


def value_of(v):
    for k in ("stringValue", "boolValue", "intValue", "doubleValue"):
        if k in v:
            return int(v[k]) if k == "intValue" else v[k]
    return v


def attrs(list_):
    return {a["key"]: value_of(a["value"]) for a in list_}


def decode(body):
    doc = json.loads(body)
    for rs in doc.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            for span in ss.get("spans", []):
                span["traceId"] = hex_to_b64(span["traceId"], 16)
                span["spanId"] = hex_to_b64(span["spanId"], 8)
                if "parentSpanId" in span:
                    span["parentSpanId"] = hex_to_b64(span["parentSpanId"], 8)
    request = json_format.Parse(json.dumps(doc), ExportTraceServiceRequest())
    spans, resource = [], {}
    for rs in request.resource_spans:
        resource = attrs(json_format.MessageToDict(rs.resource).get("attributes", []))
        for ss in rs.scope_spans:
            for s in ss.spans:
                d = json_format.MessageToDict(s)
                spans.append({
                    "trace_id": s.trace_id.hex(), "span_id": s.span_id.hex(),
                    "parent_span_id": s.parent_span_id.hex(), "name": s.name,
                    "start": s.start_time_unix_nano, "end": s.end_time_unix_nano,
                    "attributes": attrs(d.get("attributes", [])),
                    "events": [{"name": e.name, "time": e.time_unix_nano, "attributes": attrs(json_format.MessageToDict(e).get("attributes", []))} for e in s.events],
                    "status": s.status.code,
                })
    return {"resource": resource, "spans": spans}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        entry = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "raw": body.decode("utf-8", "replace")}
        try:
            entry.update(decode(body))
            status = 200
        except Exception as e:  # noqa: BLE001 - the test reads the error
            entry["error"] = f"{type(e).__name__}: {e}"
            status = 400
        slow = float(os.environ.get("SLOW_SECONDS", "0"))
        if slow:
            time.sleep(slow)
        retry_after = None
        with scripted_lock:
            if scripted:
                answer = scripted.pop(0)
                status = int(answer.split(":")[0])
                retry_after = answer.split(":")[1] if ":" in answer else None
        entry["status"] = status
        with open(os.environ["RECORD_LOG"], "a") as f:
            f.write(json.dumps(entry) + "\n")
        data = b"{}"
        try:
            self.send_response(status)
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass


signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
