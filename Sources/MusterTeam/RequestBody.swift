import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// What a request holds, in a host's request folder or in the store; the
/// requester's OS user (or AWS identity) is not in it: the folder's owner,
/// or the identity proof beside it, says who.
public struct RequestBody: Codable, Sendable, Equatable {
    public var runID: String
    public var kind: TeamRequest.Kind
    public var step: String?
    public var reason: String?
    public var now: Bool?
    public var pid: Int32?
    public var host: String?
    public var name: String?
    /// An approval's or denial's signed statement: the proof of who.
    public var signed: Signed?
    /// When `pid` started (/proc/PID/stat, field 22): a pid alone is
    /// any process's, pid 1's included.
    public var pidStart: UInt64?
    enum CodingKeys: String, CodingKey { case runID = "run_id", kind, step, reason, now, pid, host, name, signed, pidStart = "pid_start" }

    /// The largest request read, in bytes.
    public static let largest = 16 << 10

    public init(runID: String, kind: TeamRequest.Kind, step: String? = nil, reason: String? = nil, now: Bool? = nil, pid: Int32? = nil,
                host: String? = nil, name: String? = nil, signed: Signed? = nil, pidStart: UInt64? = nil) {
        self.runID = runID
        self.kind = kind
        self.step = step
        self.reason = reason
        self.now = now
        self.pid = pid
        self.host = host
        self.name = name
        self.signed = signed
        self.pidStart = pidStart
    }
}
