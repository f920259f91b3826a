#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat

// The seam between the executor and the CI providers.
//
// Dependency direction: the MusterCI module depends on MusterEngine and
// implements `CIService` for each provider; the engine knows no provider
// by name. The CLI, which links both, gives
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
///
/// The engine does not know what a provider's pipelines look like: each
/// provider in MusterCI makes and reads its own kinds (a build request
/// with the builder it was forced on, a dispatch with the run it follows),
/// and the journal keeps them as `{"provider": …, "kind": …, …}` with the
/// provider's integer fields in the order the provider gave them.
public struct PipelineRef: Sendable, Equatable, CustomStringConvertible {
    public var provider: CIProvider
    public var kind: String
    public var fields: [Field]

    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: Int
        public init(_ name: String, _ value: Int) { self.name = name; self.value = value }
    }

    public init(provider: CIProvider, kind: String, _ fields: [Field]) {
        self.provider = provider
        self.kind = kind
        self.fields = fields
    }

    /// The field `name`, when this is a pipeline of `provider` and `kind`.
    public func field(_ name: String, of provider: CIProvider, kind: String) -> Int? {
        guard self.provider == provider, self.kind == kind else { return nil }
        return fields.first { $0.name == name }?.value
    }

    public var description: String {
        "\(provider.rawValue) \(kind) " + fields.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
    }
}

extension PipelineRef: Codable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let name = try c.decode(String.self, forKey: Key("provider"))
        guard let provider = CIProvider(rawValue: name) else {
            throw DecodingError.dataCorruptedError(forKey: Key("provider"), in: c, debugDescription: "no CI provider \(name)")
        }
        self.provider = provider
        kind = try c.decode(String.self, forKey: Key("kind"))
        // JSON objects have no order: read the fields in the order the
        // journal writes them, then any others by name.
        let known = ["id", "builder", "after"]
        let names = known.filter { c.contains(Key($0)) } + c.allKeys.map(\.stringValue).filter { !known.contains($0) && $0 != "provider" && $0 != "kind" }.sorted()
        fields = try names.map { Field($0, try c.decode(Int.self, forKey: Key($0))) }
        if fields.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: Key("kind"), in: c, debugDescription: "a \(kind) on \(name) without an id")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(provider.rawValue, forKey: Key("provider"))
        try c.encode(kind, forKey: Key("kind"))
        for f in fields { try c.encode(f.value, forKey: Key(f.name)) }
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
        /// A job waits for someone to press play (a manual job).
        case someone
        /// A delayed job waits for its time.
        case schedule
        /// Another pipeline holds the job's resource group.
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
    public var signal: Signal?
    /// The HTTP status the CI server answered, when it answered.
    public var status: Int?
    /// The server refused for a rate limit: seconds until it serves again.
    public var limited: Double?
    /// The operator stopped the step at the Ctrl-C question.
    public var stopped: Bool

    public init(_ message: String, status: Int? = nil, signal: Signal? = nil, limited: Double? = nil, stopped: Bool = false) {
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
    /// Why, for a server that records it (a forced build's reason).
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

/// What a provider found when it looked for the pipeline of a trigger
/// whose answer never came.
public enum PipelineSearch: Sendable, Equatable {
    case found(PipelineRef)
    /// The service shows that no pipeline came of it: triggering is safe.
    case absent
    /// Nothing yet, but the service lists new pipelines late: not proof.
    case notYet(String)
}

/// One CI provider: starts a pipeline, and looks at one.
public protocol CIService {
    /// The token a trigger is found by (a `trigger` kind of reference),
    /// read before the trigger and journaled before it is sent, so that a
    /// crash or a client timeout during the request never leads to a
    /// second pipeline: `find` looks for it first.
    func mark(_ client: CIClient) -> Result<PipelineRef, CIFailure>
    /// Starts a pipeline, its token `mark`. Its reference is journaled
    /// before it is followed; a request refused for a rate limit may be
    /// sent again.
    func trigger(_ client: CIClient, mark: PipelineRef) -> Result<PipelineRef, CIFailure>
    /// The pipeline the trigger with token `mark` started, journaled
    /// `age` seconds ago: `absent` only when the service shows none.
    func find(_ mark: PipelineRef, age: Double, _ client: CIClient) -> Result<PipelineSearch, CIFailure>
    /// Looks at a pipeline once.
    func look(_ ref: PipelineRef, _ client: CIClient) -> Result<PipelineLook, CIFailure>
    /// Cancels the pipeline (`cancel_on_stop`); says what it did.
    func cancel(_ ref: PipelineRef, _ client: CIClient) -> Result<String, CIFailure>
    /// The pipeline in a sentence's words: "pipeline 701", "build request 3".
    func describe(_ ref: PipelineRef) -> String
    /// One read-only call that needs what `trigger` needs (the server, the
    /// builder, workflow, project or job, and the token), for `muster
    /// preflight`: it starts and changes nothing. Says what answered.
    func check(_ client: CIClient) -> Result<String, CIFailure>
    /// A reference journaled by releases before the `pipeline` field
    /// existed: the provider's id in `value` (`"701"`, `"dispatched:8999"`,
    /// `"queue/item/31"`) and, for one provider, the builder id in `item`.
    func pipeline(legacy value: String, item: Int?) -> PipelineRef?
}

/// Makes a step's service; a setting it cannot work with (no token where
/// one is needed, say) is the failure that stops the step.
public typealias CIServiceFactory = (CIStepSettings) -> Result<any CIService, CIFailure>
