import MusterBasics
import MusterFormat

/// Something another person asks of a run being executed: approve or deny
/// its waiting step, or take it over. Requests come from outside the
/// running process; the executor takes each in as a journal event, so they
/// survive a crash and replay like everything else.
///
/// An approval or denial carries the approver's signed statement: that,
/// checked against `allowed_signers`, is who approved. `user` (the OS user
/// the kernel attests as the request file's owner) and `arn` (the AWS
/// identity STS vouched for) are context, recorded beside it.
public struct TeamRequest: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case approve, deny, takeover
    }

    /// Unique per request (its file name): journaled once taken in.
    public var id: String
    public var user: String
    public var kind: Kind
    /// The step an approval or denial is for.
    public var step: String?
    public var reason: String?
    /// A takeover that does not wait for the running step to end.
    public var now: Bool
    /// The taker's process and host: a takeover whose process is gone is
    /// stale and ignored.
    public var pid: Int32?
    public var host: String?
    /// The requester's display name (`MUSTER_OPERATOR` or git's): shown,
    /// never compared.
    public var name: String?
    /// A request from another machine: the ARN AWS vouched for (`user` is
    /// then its last part). The rule compares it with the session's own.
    public var arn: String?
    /// The approver's signed statement (approvals and denials).
    public var signed: Signed?

    public init(id: String, user: String, kind: Kind, step: String? = nil, reason: String? = nil, now: Bool = false,
                pid: Int32? = nil, host: String? = nil, name: String? = nil, arn: String? = nil, signed: Signed? = nil) {
        self.arn = arn
        self.signed = signed
        self.id = id
        self.user = user
        self.kind = kind
        self.step = step
        self.reason = reason
        self.now = now
        self.pid = pid
        self.host = host
        self.name = name
    }

    /// "bob", "Bob Jones (bob)", or with an ARN "bob (arn:aws:…)".
    public var who: String {
        if let arn { return "\(user) (\(arn))" }
        guard let name, !name.isEmpty, name != user else { return user }
        return "\(name) (\(user))"
    }
}

/// Where a session finds the requests made of its run (the CLI's request
/// folder). `pending` returns those not yet taken in, oldest first.
public protocol RunInbox: AnyObject {
    func pending(taken: Set<String>) -> [TeamRequest]
    /// Whether the process that made a takeover request still waits for it.
    func isWaiting(_ request: TeamRequest) -> Bool
    /// The request is journaled: an inbox may remove it.
    func taken(_ request: TeamRequest)
}

extension RunInbox {
    public func taken(_ request: TeamRequest) {}
}

/// The byte a request's arrival writes into the signal pipe, so that every
/// place that already wakes for a signal (a prompt, a running command, a
/// poll's sleep) wakes for a request too. Not a real signal number.
public enum InboxWake {
    public static let code: Int32 = 240
}

extension Approval {
    /// Why the holder of a key named `principals` may not approve (or
    /// deny) a step whose operator signs with `operatorKey`, the keys in
    /// `already` having approved it; nil when they may.
    public func refusal(key: String, principals: [String], operatorKey: String?, already: [String]) -> String? {
        let name = principals.first ?? key
        if let op = operatorKey, key == op {
            return "your key (\(name)) is the key of this run's operator, and the two-person rule needs someone else: ask \(from.isEmpty ? "a colleague" : from.filter { !principals.contains($0) }.joined(separator: " or ")) to run `muster approve`"
        }
        if !from.isEmpty, !principals.contains(where: from.contains) {
            return "\(name) is not among those who may approve this step (\(from.joined(separator: ", ")))"
        }
        if already.contains(key) {
            return "your key (\(name)) has approved this step already; it needs \(count) different people"
        }
        return nil
    }
}

/// The last part of an ARN: `alice` of `…:user/alice`, `bob` of
/// `…:assumed-role/oncall/bob`: the name the rules compare across machines.
public func arnName(_ arn: String) -> String { String(arn.split(separator: "/").last ?? Substring(arn)) }
