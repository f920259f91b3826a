@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import Testing

/// The CI server's side of a trigger, the test's script: each trigger is
/// answered (201), goes unanswered (the request gives up at its timeout,
/// but the server made the pipeline) or is refused (400, nothing made).
/// Each request's timeout is kept.
final class CIWire: HTTPTransport {
    enum Trigger { case answered, unanswered, refused }
    var triggers: [Trigger]
    /// Ids of the pipelines the server made.
    private(set) var made: [Int] = []
    private(set) var timeouts: [Double] = []

    init(_ triggers: [Trigger]) { self.triggers = triggers }

    func send(method: String, url: String, headers: [(name: String, value: String)], body: String?, timeout: Double,
              confidential: Confidential, onSignal: @escaping (Signal) -> Bool) throws(HTTPFailure) -> HTTPReply {
        timeouts.append(timeout)
        switch triggers.isEmpty ? .answered : triggers.removeFirst() {
        case .answered:
            made.append(701 + made.count)
            return HTTPReply(status: 201, body: "{\"id\": \(made.last!)}", seconds: 0.01)
        case .unanswered:
            made.append(701 + made.count)
            throw HTTPFailure(message: "Operation timed out after \(Int(timeout * 1000)) milliseconds with 0 bytes received")
        case .refused:
            return HTTPReply(status: 400, body: #"{"message": "Reference not found"}"#, seconds: 0.01)
        }
    }
}

/// A CI service whose trigger goes through the executor's client to the
/// wire; the pipelines the wire made are found by the trigger's token; a
/// pipeline runs for `looksToFinish` looks (for ever when nil), and with
/// `queued` shows first as a queue item that names its build, as Jenkins
/// does. Cancels are kept.
final class ScriptedCI: CIService {
    let wire: CIWire
    var looksToFinish: Int?
    var queued: Bool
    private(set) var cancelled: [String] = []
    private(set) var looks = 0

    init(_ triggers: [CIWire.Trigger] = [], looksToFinish: Int? = 1, queued: Bool = false) {
        wire = CIWire(triggers)
        self.looksToFinish = looksToFinish
        self.queued = queued
    }

    var made: [Int] { wire.made }
    static func pipeline(_ id: Int) -> PipelineRef { PipelineRef(provider: .gitlab, kind: "pipeline", [.init("id", id)]) }
    static func item(_ id: Int) -> PipelineRef { PipelineRef(provider: .gitlab, kind: "queue_item", [.init("id", id)]) }
    func ref(_ id: Int) -> PipelineRef { queued ? Self.item(id) : Self.pipeline(id) }

    func mark(_ client: CIClient) -> Result<PipelineRef, CIFailure> {
        .success(PipelineRef(provider: .gitlab, kind: "trigger", [.init("after", 700)]))
    }

    func trigger(_ client: CIClient, mark: PipelineRef) -> Result<PipelineRef, CIFailure> {
        let url = "https://ci.example/api/v4/projects/acme%2Fplatform/pipeline"
        client.showCommand("POST \(url)")
        return client.send(CIRequest("POST", url, body: "{}", what: "triggering a pipeline")).map { _ in ref(made.last!) }
    }

    func find(_ mark: PipelineRef, age: Double, _ client: CIClient) -> Result<PipelineSearch, CIFailure> {
        .success(made.last.map { .found(ref($0)) } ?? .absent)
    }

    func look(_ ref: PipelineRef, _ client: CIClient) -> Result<PipelineLook, CIFailure> {
        looks += 1
        if ref.kind == "queue_item", let id = ref.fields.first?.value {
            return .success(PipelineLook(.queued, line: "queue item \(id): waiting", next: Self.pipeline(id)))
        }
        let state: PipelineState = looksToFinish.map { looks >= $0 } == true ? .succeeded : .running
        return .success(PipelineLook(state, line: "\(describe(ref)): \(state)", url: "https://ci.example/\(describe(ref))"))
    }

    func cancel(_ ref: PipelineRef, _ client: CIClient) -> Result<String, CIFailure> {
        cancelled.append(describe(ref))
        return .success("cancelled \(describe(ref)) of acme/platform")
    }

    func describe(_ ref: PipelineRef) -> String { "\(ref.kind == "queue_item" ? "queue item" : "pipeline") \(ref.fields.first?.value ?? 0)" }
    func check(_ client: CIClient) -> Result<String, CIFailure> { .success("ok") }
    func pipeline(legacy value: String, item: Int?) -> PipelineRef? { nil }
}

/// A `ci` step on the scripted service, `ciKeys` added to its `ci`
/// mapping and `extra` to the step, run to its end with `--yes` on the
/// test's clock.
func ciRun(_ ci: ScriptedCI, timeout: String = "2m", ciKeys: [String] = [], extra: [String] = []) throws -> (RunOutcome, FakeConsole, MemoryJournal) {
    let rb = try loadRunbook("""
    muster: 1
    name: deploy
    title: Redeploy
    secrets:
      GITLAB_TOKEN: {env: GITLAB_TOKEN}
    steps:
      - id: redeploy
        title: Redeploy through CI
        ci:
          provider: gitlab
          url: https://ci.example
          project: acme/platform
          ref: main
          token: GITLAB_TOKEN
          timeout: \(timeout)
    \(ciKeys.map { "      " + $0 }.joined(separator: "\n"))
    \(extra.map { "    " + $0 }.joined(separator: "\n"))
    """, name: "deploy")
    let console = FakeConsole([]), journal = MemoryJournal()
    let e = executor(rb, journal: journal, console: console, runner: FakeRunner(), yes: true, secrets: ["GITLAB_TOKEN": "glpat-0042"])
    e.http = ci.wire
    e.ciService = { _ in .success(ci) }
    return (e.execute(resumed: false), console, journal)
}

extension FakeConsole {
    /// The triggers sent (`$ POST …` on the screen).
    var posts: Int { shown.filter { if case .command(let c) = $0 { c.hasPrefix("POST ") } else { false } }.count }
}

/// One pipeline per step attempt, in-process: a trigger whose answer never
/// came is looked up by the retry, which follows what it finds; a trigger
/// refused outright is triggered again only once the provider shows no
/// pipeline came of it. A session killed during the trigger, resumed, is
/// CITriggerOnceTests' (a real process killed); the providers' lookups are
/// MusterCITests'.
@Suite("ci steps start one pipeline per attempt, in-process")
struct CITriggerOnceEngineTests {
    /// The retry finds the pipeline the unanswered trigger made and follows
    /// it; a queue item that names its build is journaled again as it.
    @Test(arguments: [false, true])
    func aTriggerThatTimesOutIsLookedUpBeforeTheRetryTriggersAgain(queued: Bool) throws {
        let ci = ScriptedCI([.unanswered], queued: queued)
        let (outcome, console, journal) = try ciRun(ci, timeout: "6s", extra: ["retries: 2", "retry_delay: 1s"])
        #expect(outcome == .completed, "\(console.text)")
        #expect(ci.made.count == 1, "a second pipeline was started:\n\(console.text)")
        #expect(console.posts == 1, "triggered more than once:\n\(console.text)")
        #expect(console.plain.contains("a retry looks for it before triggering again"), "\(console.text)")
        #expect(ci.wire.timeouts == [6], "the trigger's request gives up at the step's timeout")
        #expect(console.plain.contains("found \(queued ? "queue item" : "pipeline") 701, which that trigger started"), "\(console.text)")
        #expect(journal.events.filter { $0.event == .attemptStarted }.map(\.attempt) == [2], "the lookup is the retry's attempt")
        let started = journal.events.filter { $0.event == .pipelineStarted }.compactMap { $0.pipeline?.kind }
        #expect(started == (queued ? ["queue_item", "pipeline"] : ["pipeline"]), "\(started)")
    }

    @Test func aRetryTriggersAgainOnlyOnceTheProviderShowsNoPipelineCameOfTheLastTrigger() throws {
        let ci = ScriptedCI([.refused, .refused])
        let (outcome, console, journal) = try ciRun(ci, extra: ["retries: 1", "retry_delay: 1s"])
        guard case .failed = outcome else { Issue.record("both triggers were refused: \(outcome)\n\(console.text)"); return }
        #expect(console.posts == 2, "\(console.text)")
        #expect(console.plain.contains("shows no pipeline from that trigger"), "\(console.text)")
        let kinds = journal.events.map(\.event.rawValue).filter { $0.hasPrefix("pipeline_") || $0.hasPrefix("attempt_") }
        #expect(kinds == ["pipeline_triggering", "attempt_finished", "attempt_started", "pipeline_absent", "pipeline_triggering", "attempt_finished"], "\(kinds)")
        #expect(ci.made.isEmpty)
    }
}
