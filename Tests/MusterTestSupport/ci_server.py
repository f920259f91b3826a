"""Local stand-ins for the GitHub Actions, GitLab and Jenkins REST APIs, for
Muster's ci step tests: prints its port, then answers the documented endpoints
the way the real services do, including their refusals (a missing or wrong
token, an unknown repository, project, job or ref, a malformed body), so a
client that gets a detail wrong fails here too.

- GitHub (api.github.com at /, GitHub Enterprise Server at /api/v3): repository
  acme/platform, workflow deploy.yml (also by id 161335) with inputs region
  (required), outcome and polls; refs main and release. GitHub answers a dispatch
  with return_run_details with 200 and the run id; the Enterprise Server stand-in
  predates that and refuses the key with 422, like any key it does not know. A
  dispatched run is listed half a second after the dispatch, as GitHub creates
  runs a moment later.
- GitLab (/api/v4): project acme/platform (id 42), refs main and release;
  variables OUTCOME (success, failed, canceled, or manual, scheduled,
  waiting_for_resource: blocked there from the second look) and POLLS. Ref
  "protected" refuses the token's user as GitLab 16+ does for a protected
  branch it may not merge or push to; with GITLAB_VARIABLES_ROLE=no_one_allowed
  (GitLab.com's default for new groups) any pipeline variable is refused.
  Its .gitlab-ci.yml declares spec:inputs region (required), outcome and polls
  (strings): pipeline `inputs` (GitLab 17.11+) are checked against them
  and never refused for the variables role.
- GitHub refs may be given as refs/heads/NAME. A run whose outcome input is
  "limited" answers its first look with a secondary rate limit (429,
  retry-after 3); looks within those 3 s are counted as early_looks in the
  stats.
- Jenkins (/jenkins): in folder ops, job deploy, parameterized (region,
  outcome, polls), and job smoke, without parameters; API token authentication
  (no crumb needed with a token; anonymous POSTs are refused for want of a
  crumb, like Jenkins with CSRF protection). As Jenkins core does
  (ParameterizedJobMixIn): buildWithParameters on a job without parameters
  fails with 500 "This build is not parameterized!", build on a parameterized
  job wants a submitted form (400 "Nothing is submitted"), and parameters a job
  does not declare are dropped. GET job/.../api/json answers the job with its
  `property` list (honouring ?tree= only as far as Muster asks).

A pipeline reports its final state from the `polls`-th look at it (default 3;
a Jenkins build 2, after 2 looks at its queue item), or with polls "hold" from
the first look after POST /_fake/release,
with the outcome its inputs ask for. GET /_fake/stats counts the pipelines each
provider started and lists what they were started with.

GitLab lists a project's pipelines (GET .../pipelines with ref, source,
order_by=id, sort and per_page); a Jenkins job's api/json has its
nextBuildNumber, queueItem and builds: what Muster looks for an unanswered
trigger's pipeline with. Each cancels a pipeline through its API (GitHub
runs/ID/cancel: 202, or 409 once completed; GitLab pipelines/ID/cancel;
Jenkins queue/cancelItem?id=N: 204, and job/.../N/stop: 302 to the build's
page), listed as "cancelled" in the stats.

Environment: GITHUB_TOKEN_OK, GITLAB_TOKEN_OK, JENKINS_AUTH_OK (user:apitoken);
CI_TRIGGER_DELAY (seconds): every trigger makes its pipeline at once and
answers that much later, as a slow server does (a client killed or timed out
meanwhile never hears of the pipeline).
"""
import base64, json, os, signal, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

GITHUB_TOKEN = os.environ.get("GITHUB_TOKEN_OK", "")
GITLAB_TOKEN = os.environ.get("GITLAB_TOKEN_OK", "")
JENKINS_AUTH = os.environ.get("JENKINS_AUTH_OK", "")
LOCKED_VARIABLES = os.environ.get("GITLAB_VARIABLES_ROLE") == "no_one_allowed"
TRIGGER_DELAY = float(os.environ.get("CI_TRIGGER_DELAY", "0") or "0")


def slow_answer():
    """A slow server: the pipeline exists, its answer comes later."""
    if TRIGGER_DELAY > 0:
        time.sleep(TRIGGER_DELAY)

lock = threading.Lock()
triggers = []          # {"provider", "ref", "inputs"} per pipeline started
cancelled = []         # "provider:id" per pipeline cancelled through the API
github_runs = {}       # id -> run
gitlab_pipelines = {}  # id -> pipeline
jenkins_queue = {}     # item -> {"looks", "params", "build"}
jenkins_builds = {}    # number -> build
counters = {"github_run": 9000, "gitlab": 700, "queue": 30, "build": 11}
# A run that was there before the tests: never one a test dispatched.
github_runs[8999] = {"id": 8999, "event": "workflow_dispatch", "head_branch": "main", "status": "completed",
                     "conclusion": "success", "outcome": "success", "polls": 0, "looks": 0, "created": 0, "prefix": ""}

GITHUB_WORKFLOWS = {"deploy.yml": 161335, "nightly.yml": 161336}
GITHUB_INPUTS = {"region", "outcome", "polls"}
REFS = {"main", "release"}
# Jenkins jobs in folder ops, and the parameters each declares (None: none).
GITLAB_SPEC_INPUTS = {"region", "outcome", "polls"}
JENKINS_JOBS = {"deploy": ["region", "outcome", "polls"], "smoke": None}


released = threading.Event()


def polls_of(value, default=3):
    """How many looks a pipeline takes; None ("hold") until POST /_fake/release."""
    if value == "hold":
        return None
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default


def over(p):
    return released.is_set() if p["polls"] is None else p["looks"] >= p["polls"]


def jetty_error(status, message, uri):
    """Jenkins' error page, as its Jetty writes it."""
    return ("<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html;charset=ISO-8859-1\"/>\n"
            "<title>Error %d %s</title>\n</head>\n<body><h2>HTTP ERROR %d %s</h2>\n<table>\n"
            "<tr><th>URI:</th><td>%s</td></tr>\n<tr><th>STATUS:</th><td>%d</td></tr>\n"
            "<tr><th>MESSAGE:</th><td>%s</td></tr>\n<tr><th>SERVLET:</th><td>Stapler</td></tr>\n</table>\n"
            "<hr/><a href=\"https://eclipse.org/jetty\">Powered by Jetty:// 10.0.20</a><hr/>\n</body>\n</html>\n"
            % (status, message, status, message, uri, status, message))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", ctype="application/json; charset=utf-8", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        if data or status not in (201, 204):
            self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def base(self):
        return "http://%s" % self.headers.get("Host", "127.0.0.1")

    def read_body(self):
        n = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(n).decode("utf-8", "replace") if n else ""

    def do_GET(self):
        self.route("GET", "")

    def do_POST(self):
        self.route("POST", self.read_body())

    def route(self, method, body):
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        if path == "/_fake/release" and method == "POST":
            released.set()
            return self.reply(204)
        if path == "/_fake/stats":
            with lock:
                count = lambda p: sum(1 for t in triggers if t["provider"] == p)
                return self.reply(200, {"github": count("github"), "gitlab": count("gitlab"), "jenkins": count("jenkins"), "triggers": triggers,
                                        "early_looks": counters.get("early_looks", 0), "cancelled": cancelled})
        if path.startswith("/api/v4/"):
            return self.gitlab(method, path[len("/api/v4"):], body)
        if path.startswith("/jenkins/"):
            return self.jenkins(method, path[len("/jenkins"):], query, body)
        if path.startswith("/api/v3/"):
            return self.github(method, path[len("/api/v3"):], query, body, prefix="/api/v3")
        if path.startswith("/repos/"):
            return self.github(method, path, query, body, prefix="")
        self.reply(404, {"message": "Not Found"})

    # GitHub ---------------------------------------------------------------

    def github_refusal(self):
        """What GitHub says to a request it will not serve, or None."""
        if not self.headers.get("User-Agent"):
            return 403, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.", "text/plain"
        version = self.headers.get("X-GitHub-Api-Version")
        if version is not None and version not in ("2022-11-28", "2026-03-10"):
            return 400, {"message": "API version %s not supported." % version, "documentation_url": "https://docs.github.com/rest/about-the-rest-api/api-versions"}, None
        auth = self.headers.get("Authorization")
        if not auth:
            return 401, {"message": "Requires authentication", "documentation_url": "https://docs.github.com/rest", "status": "401"}, None
        scheme, _, token = auth.partition(" ")
        if scheme.lower() not in ("bearer", "token") or token != GITHUB_TOKEN:
            return 401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}, None
        return None

    def github(self, method, path, query, body, prefix):
        refusal = self.github_refusal()
        if refusal:
            status, payload, ctype = refusal
            return self.reply(status, payload, ctype or "application/json; charset=utf-8")
        not_found = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}
        parts = path.strip("/").split("/")
        # repos/acme/platform/actions/...
        if len(parts) < 5 or parts[0] != "repos" or (parts[1], parts[2]) != ("acme", "platform") or parts[3] != "actions":
            return self.reply(404, not_found)
        rest = parts[4:]
        api = self.base() + prefix
        if rest[0] == "workflows" and len(rest) == 2 and method == "GET":
            # What `muster preflight` reads: the workflow, with the token.
            if rest[1] not in GITHUB_WORKFLOWS and rest[1] not in (str(i) for i in GITHUB_WORKFLOWS.values()):
                return self.reply(404, not_found)
            return self.reply(200, {"id": 161335, "name": "Deploy", "path": ".github/workflows/deploy.yml", "state": "active"})
        if rest[0] == "workflows" and len(rest) == 3 and rest[2] == "dispatches" and method == "POST":
            name = rest[1] if rest[1] in GITHUB_WORKFLOWS else next((n for n, i in GITHUB_WORKFLOWS.items() if str(i) == rest[1]), None)
            if name is None:
                return self.reply(404, not_found)
            try:
                doc = json.loads(body)
            except ValueError:
                return self.reply(400, {"message": "Problems parsing JSON", "documentation_url": "https://docs.github.com/rest", "status": "400"})
            if not isinstance(doc, dict):
                return self.reply(422, {"message": "Invalid request.\n\nFor 'links/0/schema', %s is not an object." % json.dumps(doc), "status": "422"})
            permitted = {"ref", "inputs"} | (set() if prefix else {"return_run_details"})
            for k in doc:
                if k not in permitted:
                    return self.reply(422, {"message": "Invalid request.\n\n\"%s\" is not a permitted key." % k, "documentation_url": "https://docs.github.com/rest", "status": "422"})
            if "ref" not in doc:
                return self.reply(422, {"message": "Invalid request.\n\n\"ref\" wasn't supplied.", "status": "422"})
            inputs = doc.get("inputs", {})
            if not isinstance(inputs, dict):
                return self.reply(422, {"message": "Invalid request.\n\nFor 'properties/inputs', %s is not an object." % json.dumps(inputs), "status": "422"})
            if name == "nightly.yml":
                return self.reply(422, {"message": "Workflow does not have 'workflow_dispatch' trigger", "status": "422"})
            if doc["ref"].removeprefix("refs/heads/") not in REFS:
                return self.reply(422, {"message": "No ref found for: %s" % doc["ref"], "status": "422"})
            doc["ref"] = doc["ref"].removeprefix("refs/heads/")  # a run's head_branch is the short name
            unexpected = sorted(k for k in inputs if k not in GITHUB_INPUTS)
            if unexpected:
                return self.reply(422, {"message": "Unexpected inputs provided: %s" % json.dumps(unexpected), "status": "422"})
            if "region" not in inputs:
                return self.reply(422, {"message": "Required input 'region' not provided", "status": "422"})
            if any(not isinstance(v, (str, int, float, bool)) for v in inputs.values()):
                return self.reply(422, {"message": "Invalid request.\n\nFor 'properties/inputs', values must be strings, numbers or booleans.", "status": "422"})
            with lock:
                counters["github_run"] += 1
                rid = counters["github_run"]
                github_runs[rid] = {"id": rid, "event": "workflow_dispatch", "head_branch": doc["ref"], "status": "queued", "conclusion": None,
                                    "outcome": str(inputs.get("outcome", "success")), "polls": polls_of(inputs.get("polls")),
                                    "looks": 0, "created": time.time(), "prefix": prefix}
                triggers.append({"provider": "github", "ref": doc["ref"], "inputs": inputs})
            slow_answer()
            if doc.get("return_run_details") is True:
                return self.reply(200, {"workflow_run_id": rid, "run_url": "%s/repos/acme/platform/actions/runs/%d" % (api, rid),
                                        "html_url": "%s/acme/platform/actions/runs/%d" % (self.base(), rid)})
            return self.reply(204)
        if rest[0] == "workflows" and len(rest) == 3 and rest[2] == "runs" and method == "GET":
            if rest[1] not in GITHUB_WORKFLOWS and rest[1] not in map(str, GITHUB_WORKFLOWS.values()):
                return self.reply(404, not_found)
            runs = []
            with lock:
                for rid in sorted(github_runs, reverse=True):
                    r = github_runs[rid]
                    if time.time() - r["created"] < 0.5:
                        continue  # GitHub lists a run a moment after the dispatch
                    if "event" in query and query["event"][0] != r["event"]:
                        continue
                    if "branch" in query and query["branch"][0] != r["head_branch"]:
                        continue
                    runs.append(self.github_run(r, api, look=False))
            per_page = int(query.get("per_page", ["30"])[0])
            return self.reply(200, {"total_count": len(runs), "workflow_runs": runs[:per_page]})
        if rest[0] == "runs" and len(rest) == 3 and rest[2] == "cancel" and method == "POST":
            with lock:
                r = github_runs.get(int(rest[1])) if rest[1].isdigit() else None
                if r is None:
                    return self.reply(404, not_found)
                if r["status"] == "completed":
                    return self.reply(409, {"message": "Cannot cancel a workflow run that is completed.", "status": "409"})
                r["status"], r["conclusion"] = "completed", "cancelled"
                cancelled.append("github:%d" % r["id"])
            return self.reply(202, {})
        if rest[0] == "runs" and len(rest) == 2 and method == "GET":
            with lock:
                r = github_runs.get(int(rest[1])) if rest[1].isdigit() else None
                if r is None:
                    return self.reply(404, not_found)
                if r["outcome"] == "limited" and not r.get("limited"):
                    # A secondary rate limit: 429 with retry-after; continuing
                    # while limited can get an integration banned.
                    r["limited"] = time.time() + 3
                    r["outcome"] = "success"
                    return self.reply(429, {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", "status": "429"},
                                      headers=[("retry-after", "3"), ("x-ratelimit-remaining", "4990")])
                if r.get("limited") and time.time() < r["limited"]:
                    counters["early_looks"] = counters.get("early_looks", 0) + 1
                return self.reply(200, self.github_run(r, api, look=True))
        self.reply(404, not_found)

    def github_run(self, r, api, look):
        if look:
            r["looks"] += 1
            if r["status"] != "completed":
                if over(r):
                    r["status"] = "completed"
                    r["conclusion"] = r["outcome"]
                elif r["looks"] > 1:
                    r["status"] = "in_progress"
        return {"id": r["id"], "name": "Deploy", "event": r["event"], "head_branch": r["head_branch"], "status": r["status"],
                "conclusion": r["conclusion"], "workflow_id": 161335, "run_number": r["id"] - 8000,
                "url": "%s/repos/acme/platform/actions/runs/%d" % (api, r["id"]),
                "html_url": "%s/acme/platform/actions/runs/%d" % (self.base(), r["id"])}

    # GitLab ---------------------------------------------------------------

    def gitlab(self, method, path, body):
        token = self.headers.get("PRIVATE-TOKEN")
        auth = self.headers.get("Authorization", "")
        if token is None and auth.lower().startswith("bearer "):
            token = auth[7:]
        if token != GITLAB_TOKEN:
            return self.reply(401, {"message": "401 Unauthorized"})
        # The raw path: a project path must come URL-encoded, as one segment.
        parts = path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != "projects":
            return self.reply(404, {"error": "404 Not Found"})
        if parts[1] not in ("acme%2Fplatform", "acme%2fplatform", "42"):
            if len(parts) > 3 and parts[1] == "acme" and parts[2] == "platform":
                return self.reply(404, {"error": "404 Not Found"})
            return self.reply(404, {"message": "404 Project Not Found"})
        rest = parts[2:]
        if rest == [] and method == "GET":
            return self.reply(200, {"id": 42, "path_with_namespace": "acme/platform"})
        if rest == ["pipeline"] and method == "POST":
            ctype = self.headers.get("Content-Type", "")
            doc = {}
            if ctype.startswith("application/json"):
                try:
                    doc = json.loads(body) if body else {}
                except ValueError:
                    return self.reply(400, {"error": "The request body is not valid JSON"})
            elif body:
                doc = {k: v[0] for k, v in parse_qs(body).items()}
            if not isinstance(doc, dict) or not doc.get("ref"):
                return self.reply(400, {"error": "ref is missing"})
            variables = doc.get("variables", [])
            if not isinstance(variables, list) or not all(isinstance(v, dict) and isinstance(v.get("key"), str) and isinstance(v.get("value"), str) for v in variables):
                return self.reply(400, {"error": "variables is invalid"})
            if doc["ref"] not in REFS | {"protected"}:
                return self.reply(400, {"message": {"base": ["Reference not found"]}})
            if doc["ref"] == "protected":
                # GitLab 16+: a Developer not allowed to merge or push to a protected branch.
                return self.reply(400, {"message": {"base": ["You do not have sufficient permission to run a pipeline on 'protected'. Please select a different branch or contact your administrator for assistance."]}})
            if variables and LOCKED_VARIABLES:
                # The project's minimum role for pipeline variables is no_one_allowed
                # (GitLab.com's default for new groups).
                return self.reply(400, {"message": {"base": ["Insufficient permissions to set pipeline variables"]}})
            inputs = doc.get("inputs")
            if inputs is not None:
                if not isinstance(inputs, dict) or not all(isinstance(v, (str, int, float, bool, list)) for v in inputs.values()):
                    return self.reply(400, {"error": "inputs is invalid"})
                unknown = sorted(k for k in inputs if k not in GITLAB_SPEC_INPUTS)
                if unknown:
                    return self.reply(400, {"message": {"base": ["unknown input arguments: %s" % ", ".join(unknown)]}})
                if "region" not in inputs:
                    return self.reply(400, {"message": {"base": ["`region` input: required value has not been provided"]}})
            values = {v["key"]: v["value"] for v in variables}
            if inputs is not None:
                values = {k.upper(): str(v) for k, v in inputs.items()}
            with lock:
                counters["gitlab"] += 1
                pid = counters["gitlab"]
                p = {"id": pid, "iid": pid - 690, "project_id": 42, "ref": doc["ref"], "sha": "a91957a858320c0e17f3a0eca7cfacbff50ea29a",
                     "status": "created", "source": "api", "outcome": values.get("OUTCOME", "success"), "polls": polls_of(values.get("POLLS")),
                     "looks": 0, "web_url": "%s/acme/platform/-/pipelines/%d" % (self.base(), pid)}
                gitlab_pipelines[pid] = p
                triggers.append({"provider": "gitlab", "ref": doc["ref"], "inputs": inputs if inputs is not None else values,
                                 "how": "inputs" if inputs is not None else "variables"})
                view = self.gitlab_view(p)
            slow_answer()
            return self.reply(201, view)
        if rest == ["pipelines"] and method == "GET":
            query = parse_qs(urlsplit(self.path).query)
            want = lambda k: query.get(k, [None])[0]
            with lock:
                found = [p for p in gitlab_pipelines.values()
                         if (want("ref") is None or p["ref"] == want("ref")) and (want("source") is None or p["source"] == want("source"))]
            if want("order_by") not in (None, "id"):
                return self.reply(400, {"error": "order_by does not have a valid value"})
            found.sort(key=lambda p: p["id"], reverse=want("sort") != "asc")
            return self.reply(200, [self.gitlab_view(p) for p in found[:int(want("per_page") or "20")]])
        if len(rest) == 3 and rest[0] == "pipelines" and rest[2] == "cancel" and method == "POST":
            with lock:
                p = gitlab_pipelines.get(int(rest[1])) if rest[1].isdigit() else None
                if p is None:
                    return self.reply(404, {"message": "404 Not found"})
                if p["status"] not in ("success", "failed", "canceled", "skipped"):
                    p["status"] = "canceled"
                    cancelled.append("gitlab:%d" % p["id"])
                return self.reply(200, self.gitlab_view(p))
        if len(rest) == 2 and rest[0] == "pipelines" and method == "GET":
            with lock:
                p = gitlab_pipelines.get(int(rest[1])) if rest[1].isdigit() else None
                if p is None:
                    return self.reply(404, {"message": "404 Not found"})
                p["looks"] += 1
                if p["status"] not in ("success", "failed", "canceled", "skipped"):
                    if p["outcome"] in ("manual", "scheduled", "waiting_for_resource") and p["looks"] > 1:
                        p["status"] = p["outcome"]  # blocked until someone (or the clock) lets it go on
                    elif over(p):
                        p["status"] = p["outcome"]
                    else:
                        p["status"] = "pending" if p["looks"] == 1 else "running"
                return self.reply(200, self.gitlab_view(p))
        self.reply(404, {"error": "404 Not Found"})

    def gitlab_view(self, p):
        return {k: p[k] for k in ("id", "iid", "project_id", "ref", "sha", "status", "source", "web_url")}

    # Jenkins --------------------------------------------------------------

    def jenkins(self, method, path, query, body):
        auth = self.headers.get("Authorization", "")
        if auth:
            try:
                user_token = base64.b64decode(auth.split(" ", 1)[1]).decode() if auth.startswith("Basic ") else ""
            except Exception:
                user_token = ""
            if user_token != JENKINS_AUTH:
                user = user_token.partition(":")[0]
                return self.reply(401, jetty_error(401, "Invalid password/token for user: %s" % user, self.path), "text/html;charset=iso-8859-1")
        elif method == "POST":
            return self.reply(403, jetty_error(403, "No valid crumb was included in the request", self.path), "text/html;charset=iso-8859-1")
        else:
            return self.reply(403, jetty_error(403, "Authentication required", self.path), "text/html;charset=iso-8859-1")
        root = self.base() + "/jenkins"
        parts = path.strip("/").split("/")
        if parts[:3] == ["job", "ops", "job"] and len(parts) > 3 and parts[3] in JENKINS_JOBS:
            name, declared = parts[3], JENKINS_JOBS[parts[3]]
            rest = parts[4:]
            if rest == ["api", "json"] and method == "GET":
                props = [{"_class": "jenkins.model.BuildDiscarderProperty"}]
                if declared is not None:
                    props.append({"_class": "hudson.model.ParametersDefinitionProperty",
                                  "parameterDefinitions": [{"_class": "hudson.model.StringParameterDefinition", "name": n} for n in declared]})
                job = {"_class": "hudson.model.FreeStyleProject", "property": props}
                with lock:
                    waiting = [i for i, q in sorted(jenkins_queue.items()) if q["job"] == name and q["build"] is None and not q.get("cancelled")
                               and not (q["looks"] >= 2 and q["params"].get("outcome") == "cancel")]
                    job["nextBuildNumber"] = counters["build"] + 1
                    job["queueItem"] = {"_class": "hudson.model.Queue$WaitingItem", "id": waiting[0]} if waiting else None
                    job["builds"] = [{"_class": "hudson.model.FreeStyleBuild", "number": n} for n, b in sorted(jenkins_builds.items(), reverse=True) if b["job"] == name]
                if "tree" not in query:
                    job.update({"name": name, "fullName": "ops/" + name, "buildable": True, "url": "%s/job/ops/job/%s/" % (root, name)})
                return self.reply(200, job)
            started = None
            if rest == ["buildWithParameters"] and method == "POST":
                if declared is None:
                    # ParameterizedJobMixIn.doBuildWithParameters: an IllegalStateException, shown as 500.
                    return self.reply(500, jetty_error(500, "This build is not parameterized!", self.path), "text/html;charset=iso-8859-1")
                params = {k: v[0] for k, v in query.items()}
                if body:
                    params.update({k: v[0] for k, v in parse_qs(body).items()})
                # Parameters the job does not declare are dropped (SECURITY-170).
                started = {k: v for k, v in params.items() if k in declared}
            if rest == ["build"] and method == "POST":
                if declared is not None:
                    # A parameterized job's build wants the parameters form (Stapler's getSubmittedForm).
                    return self.reply(400, jetty_error(400, "Nothing is submitted", self.path), "text/html;charset=iso-8859-1")
                started = {}
            if started is not None:
                with lock:
                    counters["queue"] += 1
                    item = counters["queue"]
                    jenkins_queue[item] = {"looks": 0, "params": started, "build": None, "job": name, "how": rest[0]}
                    triggers.append({"provider": "jenkins", "ref": None, "inputs": started, "job": name, "how": rest[0]})
                slow_answer()
                return self.reply(201, headers=[("Location", "%s/queue/item/%d/" % (root, item))])
            if len(rest) == 1 and rest[0].isdigit() and method == "GET" and int(rest[0]) in jenkins_builds:
                # The build's page, where a stop sends the browser back to.
                return self.reply(200, "<html><head><title>ops » %s #%s [Jenkins]</title></head><body></body></html>" % (name, rest[0]), "text/html;charset=utf-8")
            if len(rest) == 2 and rest[0].isdigit() and rest[1] == "stop" and method == "POST":
                with lock:
                    b = jenkins_builds.get(int(rest[0]))
                    if b is None or b["job"] != name:
                        return self.reply(404, jetty_error(404, "Not Found", self.path), "text/html;charset=iso-8859-1")
                    if b["building"]:
                        b["building"], b["result"] = False, "ABORTED"
                        cancelled.append("jenkins:build:%d" % b["number"])
                # Run.doStop: back to the build's page.
                return self.reply(302, headers=[("Location", "%s/job/ops/job/%s/%d/" % (root, name, b["number"]))])
            if len(rest) == 3 and rest[0].isdigit() and rest[1:] == ["api", "json"] and method == "GET":
                with lock:
                    b = jenkins_builds.get(int(rest[0]))
                    if b is None or b["job"] != name:
                        return self.reply(404, jetty_error(404, "Not Found", self.path), "text/html;charset=iso-8859-1")
                    b["looks"] += 1
                    if b["building"] and over(b):
                        b["building"] = False
                        b["result"] = {"success": "SUCCESS", "failure": "FAILURE", "unstable": "UNSTABLE", "aborted": "ABORTED"}.get(b["outcome"], "FAILURE")
                    return self.reply(200, {"_class": "hudson.model.FreeStyleBuild", "building": b["building"], "result": b["result"],
                                            "number": b["number"], "fullDisplayName": "ops » %s #%d" % (name, b["number"]),
                                            "url": "%s/job/ops/job/%s/%d/" % (root, name, b["number"])})
        if parts == ["queue", "cancelItem"] and method == "POST":
            with lock:
                q = jenkins_queue.get(int(query.get("id", ["0"])[0]))
                if q is None:
                    return self.reply(404, jetty_error(404, "Not Found", self.path), "text/html;charset=iso-8859-1")
                if q["build"] is None and not q.get("cancelled"):
                    q["cancelled"] = True
                    cancelled.append("jenkins:queue:%s" % query["id"][0])
            return self.reply(204)
        if len(parts) == 5 and parts[:2] == ["queue", "item"] and parts[2].isdigit() and parts[3:] == ["api", "json"] and method == "GET":
            with lock:
                q = jenkins_queue.get(int(parts[2]))
                if q is None:
                    return self.reply(404, jetty_error(404, "Not Found", self.path), "text/html;charset=iso-8859-1")
                q["looks"] += 1
                if q["looks"] < 2:
                    return self.reply(200, {"_class": "hudson.model.Queue$WaitingItem", "id": int(parts[2]), "blocked": False,
                                            "buildable": False, "why": "In the quiet period. Expires in 4.9 sec"})
                if q["params"].get("outcome") == "cancel" or q.get("cancelled"):
                    return self.reply(200, {"_class": "hudson.model.Queue$LeftItem", "id": int(parts[2]), "cancelled": True, "executable": None})
                if q["build"] is None:
                    counters["build"] += 1
                    n = counters["build"]
                    q["build"] = n
                    jenkins_builds[n] = {"number": n, "building": True, "result": None, "looks": 0, "job": q["job"],
                                         "polls": polls_of(q["params"].get("polls"), 2), "outcome": q["params"].get("outcome", "success")}
                n = q["build"]
                return self.reply(200, {"_class": "hudson.model.Queue$LeftItem", "id": int(parts[2]), "cancelled": False,
                                        "executable": {"_class": "hudson.model.FreeStyleBuild", "number": n, "url": "%s/job/ops/job/%s/%d/" % (root, q["job"], n)}})
        self.reply(404, jetty_error(404, "Not Found", self.path), "text/html;charset=iso-8859-1")


# The test runner may start us with SIGTERM blocked; let it end us.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
