#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat

// The seam between the executor and the CI providers.
//
// Dependency direction: the MusterCI module depends on MusterCore and
// implements `CIService` for Buildbot, GitHub Actions, GitLab CI and
// Jenkins; MusterCore knows no provider. The CLI, which links both, gives
// the executor its `ciService` factory. So the executor keeps what every
// `ci` step shares: journaling the pipeline before following it, the
// polling loop and its sleeps (signals, the step's timeout, rate limits),
// masking, and the one send path (Executor+HTTP.swift) that marks
// secret-bearing headers so that a redirect never carries them elsewhere.
// A provider only says which requests to send and what the answers mean,
// through a `CIClient` the executor hands it.

/// A pipeline a `ci` step started, as the journal keeps it (the
/// `pipeline` field of `pipeline_started`): enough to follow it again from
/// another session without starting a second one.
public enum PipelineRef: Sendable, Equatable {
    /// A Buildbot build request, and the builder it was forced on.
    case buildbotRequest(Int, builder: Int)
    /// A GitHub Actions run.
    case githubRun(Int)
    /// A GitHub workflow dispatch whose run is not known yet: it is the
    /// oldest `workflow_dispatch` run on the ref newer than `after`.
    case githubDispatch(after: Int)
    case gitlabPipeline(Int)
    /// A Jenkins queue item, until it becomes a build of the step's job.
    case jenkinsQueueItem(Int)
    case jenkinsBuild(Int)

    public var provider: CIProvider {
        switch self {
        case .buildbotRequest: .buildbot
        case .githubRun, .githubDispatch: .github
        case .gitlabPipeline: .gitlab
        case .jenkinsQueueItem, .jenkinsBuild: .jenkins
        }
    }

    /// A reference journaled by releases before this field existed: the
    /// provider's id in `value` (`"701"`, `"dispatched:8999"`,
    /// `"queue/item/31"`, `"job/ops/job/deploy/12"`) and a Buildbot
    /// builder id in `item`.
    public init?(legacy value: String, item: Int?, provider: CIProvider) {
        switch provider {
        case .buildbot:
            guard let id = Int(value) else { return nil }
            self = .buildbotRequest(id, builder: item ?? 0)
        case .github:
            if value.hasPrefix("dispatched:") {
                self = .githubDispatch(after: Int(value.dropFirst("dispatched:".count)) ?? 0)
            } else if let id = Int(value) {
                self = .githubRun(id)
            } else { return nil }
        case .gitlab:
            guard let id = Int(value) else { return nil }
            self = .gitlabPipeline(id)
        case .jenkins:
            if value.hasPrefix("queue/item/"), let n = Int(value.dropFirst("queue/item/".count)) {
                self = .jenkinsQueueItem(n)
            } else if let n = value.split(separator: "/").last.flatMap({ Int($0) }) {
                self = .jenkinsBuild(n)
            } else { return nil }
        }
    }
}

/// `{"provider": "gitlab", "kind": "pipeline", "id": 701}`; Buildbot adds
/// `builder`, a GitHub dispatch has `after` instead of `id`.
extension PipelineRef: Codable {
    enum CodingKeys: String, CodingKey { case provider, kind, id, builder, after }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let provider = try c.decode(String.self, forKey: .provider)
        let kind = try c.decode(String.self, forKey: .kind)
        func id() throws -> Int { try c.decode(Int.self, forKey: .id) }
        switch (provider, kind) {
        case ("buildbot", "build_request"): self = .buildbotRequest(try id(), builder: try c.decodeIfPresent(Int.self, forKey: .builder) ?? 0)
        case ("github", "run"): self = .githubRun(try id())
        case ("github", "dispatch"): self = .githubDispatch(after: try c.decode(Int.self, forKey: .after))
        case ("gitlab", "pipeline"): self = .gitlabPipeline(try id())
        case ("jenkins", "queue_item"): self = .jenkinsQueueItem(try id())
        case ("jenkins", "build"): self = .jenkinsBuild(try id())
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "no pipeline of kind \(kind) on \(provider)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(provider.rawValue, forKey: .provider)
        switch self {
        case .buildbotRequest(let id, let builder):
            try c.encode("build_request", forKey: .kind)
            try c.encode(id, forKey: .id)
            try c.encode(builder, forKey: .builder)
        case .githubRun(let id):
            try c.encode("run", forKey: .kind)
            try c.encode(id, forKey: .id)
        case .githubDispatch(let after):
            try c.encode("dispatch", forKey: .kind)
            try c.encode(after, forKey: .after)
        case .gitlabPipeline(let id):
            try c.encode("pipeline", forKey: .kind)
            try c.encode(id, forKey: .id)
        case .jenkinsQueueItem(let id):
            try c.encode("queue_item", forKey: .kind)
            try c.encode(id, forKey: .id)
        case .jenkinsBuild(let id):
            try c.encode("build", forKey: .kind)
            try c.encode(id, forKey: .id)
        }
    }
}

/// Where a pipeline is, at one look.
public enum PipelineState: Sendable, Equatable {
    case queued
    case running
    /// Blocked until a person or the clock lets it go on; Muster keeps
    /// waiting (up to the step's timeout) and says so.
    case waiting(for: Blocker)
    case succeeded
    /// Over without success; `status` is the step's exit status.
    case failed(why: String, status: Int32)
    case cancelled(why: String)

    public enum Blocker: String, Sendable {
        /// GitLab `manual`: a job waits for someone to press play.
        case someone
        /// GitLab `scheduled`: a delayed job waits for its time.
        case schedule
        /// GitLab `waiting_for_resource`: another pipeline holds the job's resource group.
        case resource
    }

    public var isOver: Bool {
        switch self {
        case .queued, .running, .waiting: false
        case .succeeded, .failed, .cancelled: true
        }
    }
}

/// One look at a pipeline: its state, the line shown for it, its page.
public struct PipelineLook: Sendable {
    public var state: PipelineState
    public var line: String
    public var url: String
    /// A reference that supersedes the one looked at (a dispatch's run was
    /// found, a queue item became a build): journaled, then followed.
    public var next: PipelineRef?
    /// The server's answer, the step's output when it succeeded.
    public var output: String

    public init(_ state: PipelineState, line: String, url: String = "", next: PipelineRef? = nil, output: String = "") {
        self.state = state
        self.line = line
        self.url = url
        self.next = next
        self.output = output
    }
}

/// A request that did not get the answer it needed.
public struct CIFailure: Error, Sendable {
    public var message: String
    /// A signal arrived: the run pauses.
    public var signal: Int32?
    /// The HTTP status the CI server answered, when it answered.
    public var status: Int?
    /// The server refused for a rate limit: seconds until it serves again.
    public var limited: Double?
    /// The operator stopped the step at the Ctrl-C question.
    public var stopped: Bool

    public init(_ message: String, status: Int? = nil, signal: Int32? = nil, limited: Double? = nil, stopped: Bool = false) {
        self.message = message
        self.status = status
        self.signal = signal
        self.limited = limited
        self.stopped = stopped
    }
}

/// One request of a provider. `what` says what it was for in a failure
/// ("creating a pipeline of acme/platform on main"); `refused` may add a
/// hint for a status (which token to check on a 401, say).
public struct CIRequest {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: String?
    public var what: String
    public var refused: (Int) -> String?

    public init(_ method: String, _ url: String, headers: [(name: String, value: String)] = [], body: String? = nil, what: String,
                refused: @escaping (Int) -> String? = { _ in nil }) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.what = what
        self.refused = refused
    }
}

/// What a provider may do: send through the executor's send path, and
/// show a line. A reply that is not 2xx comes back as a failure explaining
/// it in the server's words.
public protocol CIClient {
    func send(_ request: CIRequest) -> Result<HTTPReply, CIFailure>
    /// `$ POST …` before a request that starts something.
    func showCommand(_ line: String)
    func showInfo(_ line: String)
    func showWarning(_ line: String)
    /// Server text for a message, masked whole and then cut to `limit`
    /// characters: cut first, a secret split by the cut would be missed.
    func quoted(_ text: String, limit: Int) -> String
}

/// A `ci` step's settings with their templates and secrets expanded.
public struct CIStepSettings: Sendable {
    public var provider: CIProvider
    /// The API base `url`, encoded as every URL is (FieldEncoding.swift), without a trailing slash.
    public var base: String
    /// `builder`, `scheduler`, `repo`, `workflow`, `ref`, `project`, `job`.
    public var settings: [String: String]
    public var inputs: [(name: String, value: String)]
    /// The API token and the secret it came from; nil when `token` names none.
    public var token: (value: String, secret: String)?
    /// Why, for a server that records it (Buildbot's `reason`).
    public var reason: String
    public var operatorName: String

    public init(provider: CIProvider, base: String, settings: [String: String], inputs: [(name: String, value: String)],
                token: (value: String, secret: String)?, reason: String, operatorName: String) {
        self.provider = provider
        self.base = base
        self.settings = settings
        self.inputs = inputs
        self.token = token
        self.reason = reason
        self.operatorName = operatorName
    }

    public subscript(_ name: String) -> String { settings[name] ?? "" }
}

/// One CI provider: starts a pipeline, and looks at one.
public protocol CIService {
    /// Starts a pipeline. Its reference is journaled before it is followed;
    /// a request refused for a rate limit may be sent again.
    func trigger(_ client: CIClient) -> Result<PipelineRef, CIFailure>
    /// Looks at a pipeline once.
    func look(_ ref: PipelineRef, _ client: CIClient) -> Result<PipelineLook, CIFailure>
    /// The pipeline in a sentence's words: "pipeline 701", "build request 3".
    func describe(_ ref: PipelineRef) -> String
    /// One read-only call that needs what `trigger` needs (the server, the
    /// builder, workflow, project or job, and the token), for `muster
    /// preflight`: it starts and changes nothing. Says what answered.
    func check(_ client: CIClient) -> Result<String, CIFailure>
}

/// Makes a step's service; a setting it cannot work with (no token where
/// one is needed, say) is the failure that stops the step.
public typealias CIServiceFactory = (CIStepSettings) -> Result<any CIService, CIFailure>
