import Foundation
import MusterTestSupport
import Testing

/// The OpenTelemetry exporter variables, against a receiver that decodes
/// OTLP with the official protobuf definitions (otlp_receiver.py) and can
/// answer what a busy collector answers.
@Suite("the OTLP export by the OpenTelemetry environment", .serialized)
struct OTLPEnvironmentTests {
    static let runbook = """
    muster: 1
    name: failover
    title: Failover
    steps:
      - id: restore
        title: Restore
        run: echo restored
    """

    func runID(_ s: Sandbox) throws -> String {
        try #require(try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").sorted().last, "no run")
    }

    static func resource(_ request: [String: Any]?) -> [String: Any] { request?["resource"] as? [String: Any] ?? [:] }

    @Test func signalSpecificVariablesWinAndResourceAttributesAreMergedAndDecoded() throws {
        let receiver = try OTLPReceiver()
        let s = try Sandbox(["failover": Self.runbook])
        let generalKey = "general-key-8d41c"
        let tracesKey = "traces key=77f0e"
        let env = [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.base + "/v1/traces",
            "OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=\(generalKey),x-general=1",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-api-key=traces%20key%3D77f0e, broken-entry-without-equals",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=prod,team=dr%20team%2Cops,service.name=from-attributes,service.version=9.9",
        ]
        let r = try s.run(["run", "failover"], env: env)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let requests = try receiver.requests()
        #expect(requests.count == 1, "\(r.stderr)")
        let headers = requests.first?["headers"] as? [String: String] ?? [:]
        #expect(headers["x-api-key"] == tracesKey, "\(headers)")
        #expect(headers["x-general"] == nil, "the general headers were sent beside the traces ones")
        #expect(r.stderr.contains("1 entry of OTEL_EXPORTER_OTLP_TRACES_HEADERS not of the form key=value"), "\(r.stderr)")
        let resource = Self.resource(requests.first)
        #expect(resource["deployment.environment.name"] as? String == "prod", "\(resource)")
        #expect(resource["team"] as? String == "dr team,ops", "\(resource)")
        #expect(resource["service.name"] as? String == "from-attributes", "\(resource)")
        #expect(resource["service.version"] as? String == "9.9", "\(resource)")
        for text in [r.stdout, r.stderr] {
            #expect(!text.contains(generalKey) && !text.contains("77f0e"), "a header value was shown")
        }

        // OTEL_SERVICE_NAME wins over service.name in the attributes; a
        // malformed OTEL_RESOURCE_ATTRIBUTES is dropped whole, as the spec says.
        let named = try s.run(["trace", try runID(s)], env: env.merging([
            "OTEL_SERVICE_NAME": "dr-drills", "OTEL_RESOURCE_ATTRIBUTES": "team=dr,broken%zz=1",
        ]) { $1 })
        #expect(named.status == 0, "\(named.stdout)\(named.stderr)")
        #expect(named.stderr.contains("OTEL_RESOURCE_ATTRIBUTES is not a list of key=value pairs with percent-encoded values; all of it ignored"), "\(named.stderr)")
        let second = Self.resource(try receiver.requests().last)
        #expect(second["service.name"] as? String == "dr-drills", "\(second)")
        #expect(second["team"] == nil && second["service.version"] != nil, "\(second)")
    }

    @Test func disabledOrNoneExportsNothingAndFalseStillExports() throws {
        let receiver = try OTLPReceiver()
        let s = try Sandbox(["failover": Self.runbook])
        let endpoint = ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.base]
        #expect(try s.run(["run", "failover"], env: endpoint.merging(["OTEL_SDK_DISABLED": "TRUE"]) { $1 }).status == 0)
        #expect(try s.run(["run", "failover", "--new"], env: endpoint.merging(["OTEL_TRACES_EXPORTER": "none"]) { $1 }).status == 0)
        let console = try s.run(["run", "failover", "--new"], env: endpoint.merging(["OTEL_TRACES_EXPORTER": "console"]) { $1 })
        #expect(console.status == 0 && console.stderr.contains("OTEL_TRACES_EXPORTER is 'console', and Muster exports with otlp only"), "\(console.stderr)")
        #expect(try receiver.requests().isEmpty)
        let printed = try s.run(["trace", try runID(s)], env: endpoint.merging(["OTEL_SDK_DISABLED": "true"]) { $1 })
        #expect(printed.status == 0 && printed.stdout.contains(#""resourceSpans""#), "\(printed.stdout)\(printed.stderr)")
        #expect(printed.stderr.contains("OTEL_SDK_DISABLED is true: the trace is printed, not sent"), "\(printed.stderr)")
        #expect(try receiver.requests().isEmpty)
        #expect(try s.run(["run", "failover", "--new"], env: endpoint.merging(["OTEL_SDK_DISABLED": "false", "OTEL_TRACES_EXPORTER": "otlp"]) { $1 }).status == 0)
        #expect(try receiver.requests().count == 1)
    }

    @Test func aProtocolOtherThanHTTPJSONIsRefusedPlainly() throws {
        let receiver = try OTLPReceiver()
        let s = try Sandbox(["failover": Self.runbook])
        let env = ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.base, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"]
        let r = try s.run(["run", "failover"], env: env)
        #expect(r.status == 0, "a refused export never fails the run")
        #expect(r.stderr.contains("the run's trace was not exported: OTEL_EXPORTER_OTLP_PROTOCOL is 'grpc', but Muster sends OTLP/HTTP JSON only (gRPC is not supported)"), "\(r.stderr)")
        let t = try s.run(["trace", try runID(s)], env: env)
        #expect(t.status == 1 && t.stderr.contains("gRPC is not supported"), "\(t.stdout)\(t.stderr)")
        #expect(try receiver.requests().isEmpty)
        // The traces-specific protocol wins.
        let json = try s.run(["trace", try runID(s)], env: env.merging(["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"]) { $1 })
        #expect(json.status == 0, "\(json.stdout)\(json.stderr)")
        #expect(try receiver.requests().count == 1)
    }

    @Test func busyAnswersAreRetriedAfterRetryAfterWithinTheTimeout() throws {
        let busy = try OTLPReceiver(answers: ["503:1", "429:0", "502"])
        let s = try Sandbox(["failover": Self.runbook])
        let r = try s.run(["run", "failover"], env: ["OTEL_EXPORTER_OTLP_ENDPOINT": busy.base, "OTEL_EXPORTER_OTLP_TIMEOUT": "20000"])
        #expect(r.status == 0)
        #expect(!r.stderr.contains("not exported"), "\(r.stderr)")
        #expect(try busy.requests().map { $0["status"] as? Int } == [503, 429, 502, 200])

        // A Retry-After beyond the timeout is not waited for; nor is an answer the spec does not retry.
        let slowToRecover = try OTLPReceiver(answers: ["503:120"])
        let t = try s.run(["trace", try runID(s)], env: ["OTEL_EXPORTER_OTLP_ENDPOINT": slowToRecover.base, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "2000"])
        #expect(t.status == 1)
        #expect(t.stderr.contains("answered 503; waiting 120s as its Retry-After asks would outlast the export's timeout of 2s"), "\(t.stderr)")
        #expect(try slowToRecover.requests().count == 1)
        let refusing = try OTLPReceiver(answers: ["401"])
        let u = try s.run(["trace", try runID(s), "--otlp", refusing.base])
        #expect(u.status == 1 && u.stderr.contains("/v1/traces answered 401"), "\(u.stderr)")
        #expect(try refusing.requests().count == 1)
    }

    @Test func theTracesTimeoutInMillisecondsWinsOverTheGeneralOne() throws {
        let slow = try OTLPReceiver(slow: 30)
        let s = try Sandbox(["failover": Self.runbook])
        #expect(try s.run(["run", "failover"]).status == 0)
        let t = try s.run(["trace", try runID(s)], env: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": slow.base, "OTEL_EXPORTER_OTLP_TIMEOUT": "60000", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "1000",
        ])
        #expect(t.status == 1)
        #expect(t.stderr.contains("(export timeout 1s)"), "\(t.stderr)")
        let bad = try s.run(["trace", try runID(s)], env: ["OTEL_EXPORTER_OTLP_TIMEOUT": "soon"])
        #expect(bad.stderr.contains("OTEL_EXPORTER_OTLP_TIMEOUT must be a number of milliseconds from 1 to 3600000, not 'soon'; ignored"), "\(bad.stderr)")
    }

    @Test func theUserInfoOfACollectorURLIsNeverShown() throws {
        let receiver = try OTLPReceiver()
        let s = try Sandbox(["failover": Self.runbook])
        #expect(try s.run(["run", "failover"]).status == 0)
        let url = receiver.base.replacingOccurrences(of: "http://", with: "http://collector:pa55w0rd-91c@")
        let t = try s.run(["trace", try runID(s)], env: ["OTEL_EXPORTER_OTLP_ENDPOINT": url])
        #expect(t.status == 0, "\(t.stdout)\(t.stderr)")
        #expect(t.stdout.contains("sent to \(receiver.base)/v1/traces"), "\(t.stdout)")
        #expect(!(t.stdout + t.stderr).contains("pa55w0rd"))
        #expect(try receiver.requests().count == 1)
    }

    /// A `ci` step's span carries the CI/CD semantic conventions.
    @Test(arguments: ["jenkins", "gitlab"])
    func ciStepSpansCarryTheCICDConventions(_ provider: String) throws {
        let ci = try FakeCI()
        let receiver = try OTLPReceiver()
        let p: CIProviderTests.Provider = provider == "jenkins" ? .jenkins : .gitlab
        let s = try Sandbox(["deploy": CIProviderTests.runbook(p, ci.base)])
        let failing = p == .gitlab
        let r = try s.run(["run", "deploy", "--yes", "-p", "polls=1"] + (failing ? ["-p", "outcome=failed"] : []),
                          env: [p.secret: p.token, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.base])
        #expect(r.status == (failing ? 1 : 0), "\(r.stdout)\(r.stderr)")
        let spans = try #require(try receiver.requests().first?["spans"] as? [[String: Any]])
        let step = try #require(spans.first { $0["name"] as? String == "step redeploy" })
        let a = step["attributes"] as? [String: Any] ?? [:]
        let (id, name, page) = failing ? ("701", "acme/platform", "\(ci.base)/acme/platform/-/pipelines/701")
                                       : ("12", "ops/deploy", "\(ci.base)/jenkins/job/ops/job/deploy/12/")
        #expect(a["cicd.pipeline.run.id"] as? String == id, "\(a)")
        #expect(a["cicd.pipeline.name"] as? String == name, "\(a)")
        #expect(a["cicd.pipeline.run.url.full"] as? String == page, "\(a)")
        #expect(a["cicd.pipeline.result"] as? String == (failing ? "failure" : "success"), "\(a)")
        #expect(!(try receiver.requests().first?["raw"] as? String ?? "").contains(p.token))
    }
}
