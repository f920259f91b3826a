import MusterBasics
import MusterFormat

/// "Verified before believed": the events of a journal (or of the shared
/// store) that carry the two-person rule are checked before any fold takes
/// them in. Anyone who can append a line can append a well-formed, even
/// correctly chained, `approval_given`; nobody but the approver can sign
/// one. So an approval or denial counts only when its signature holds
/// against `allowed_signers`, its statement names this run, this step, this
/// decision and the request then asked, its key is not the operator's, and
/// its principal is one the rule allows. A session's start, resume or
/// takeover with a signature that does not hold is refused the same way.
public enum JournalTrust {
    public struct Refused: Sendable, Equatable {
        public var seq: Int
        public var event: String
        public var step: String?
        public var why: String
        /// "event 14 (approval_given, step 'drop')".
        public var named: String { "event \(seq) (\(event)\(step.map { ", step '\($0)'" } ?? ""))" }
    }

    /// The events that fail, in order. `rules` are the approval rules of
    /// the runbook now (by step key); a step not in it keeps the rule its
    /// request journaled.
    public static func check(_ events: [JournalEvent], runID: String, checker: SignatureChecker?, rules: [String: Approval] = [:]) -> [Refused] {
        var refused: [Refused] = []
        var operatorKey: String?
        var asked: [String: (sha: String, rule: Approval)] = [:]
        var approvedKeys: [String: Set<String>] = [:]
        func refuse(_ e: JournalEvent, _ why: String) {
            refused.append(Refused(seq: e.seq, event: e.event.rawValue, step: e.step, why: why))
        }
        for e in events {
            let key = e.step ?? ""
            switch e.event {
            case .runStarted, .runResumed, .handoff:
                if e.statement == nil, e.signature == nil {
                    // An unsigned session: its operator key is unknown, and
                    // an earlier operator's key no longer describes it.
                    if e.event != .runResumed { operatorKey = nil }
                    continue
                }
                switch sessionSigner(e, runID: runID, checker: checker) {
                case .failure(let why): refuse(e, why.message)
                case .success(let s): operatorKey = s.key
                }
            case .approvalRequested:
                let rule = rules[key] ?? e.approval?.rule ?? Approval()
                asked[key] = (e.sha256 ?? SignedStatement.digest(e.text ?? ""), rule)
                approvedKeys[key] = []
            case .approvalGiven, .approvalDenied:
                let approve = e.event == .approvalGiven
                guard let request = asked[key] else { refuse(e, "no approval of '\(key)' had been asked for"); continue }
                let check = ApprovalCheck(runID: runID, step: key, requestSHA: request.sha, operatorKey: operatorKey, rule: request.rule,
                                          approvedKeys: Array(approvedKeys[key] ?? []))
                let signed = e.statement.flatMap { st in e.signature.map { Signed(statement: st, signature: $0) } }
                switch check.check(signed, decision: approve ? .approve : .deny, checker: checker) {
                case .failure(let why): refuse(e, why.message)
                case .success(let s):
                    guard e.key == nil || e.key == s.key else { refuse(e, "the key it names is not the key that signed it"); continue }
                    if approve { approvedKeys[key, default: []].insert(s.key) }
                }
            default:
                continue
            }
        }
        return refused
    }

    /// Who signed a session's start, resume or takeover (`run_started`,
    /// `run_resumed`, `handoff`), or why that signature does not hold.
    public static func sessionSigner(_ e: JournalEvent, runID: String, checker: SignatureChecker?) -> Result<Signer, SignatureRefusal> {
        guard let text = e.statement, let signature = e.signature else { return .failure(.init("it is not signed")) }
        guard let statement = SignedStatement.parse(text) else { return .failure(.init("its statement is not one muster signs")) }
        guard let checker else { return .failure(.init("there is no allowed_signers file to check its signature against")) }
        return checker.check(Signed(statement: text, signature: signature)).flatMap { s in
            if statement.runID != runID { return .failure(.init("it was signed for run \(statement.runID)")) }
            if statement.decision != .operate || statement.step != "-" { return .failure(.init("it was signed as '\(statement.decision.rawValue)' of step '\(statement.step)', not as operating the run")) }
            if let k = e.key, k != s.key { return .failure(.init("the key it names is not the key that signed it")) }
            return .success(s)
        }
    }

    /// `events` without those refused: what a fold may believe.
    public static func believed(_ events: [JournalEvent], refused: [Refused]) -> [JournalEvent] {
        guard !refused.isEmpty else { return events }
        let out = Set(refused.map(\.seq))
        return events.filter { !out.contains($0.seq) }
    }
}
