import MusterBasics
import MusterFormat

/// The two-person rule's checks of what other people send a session: an
/// approval or denial taken from the inbox, and an event another machine
/// wrote to the shared store. Both go through `ApprovalCheck`, so the rule
/// says the same live, from the store and on resume.
package struct RequestTrust {
    package let runID: String
    package let plan: FlatPlan
    package let signatures: SignatureChecker?
    /// The key this session signs with, if it has one.
    package let sessionKey: String?

    /// The signer of an approval or denial for `key`, or why it is refused.
    package func verify(_ r: TeamRequest, key: String, _ rule: Approval, _ s: RunState) -> Result<(Signer, Signed), SignatureRefusal> {
        let check = ApprovalCheck(runID: runID, step: key, requestSHA: s.approvalSHA[key], operatorKey: sessionKey ?? s.operatorKey,
                                  rule: rule, approvedKeys: s.approvers(key))
        return check.check(r.signed, decision: r.kind == .deny ? .deny : .approve, checker: signatures).map { ($0, r.signed!) }
    }

    /// Why an approval, denial or hand-off another machine wrote is not
    /// believed (nil: it is). The same checks as a request taken in here.
    package func refusal(ofForeign e: JournalEvent, _ s: RunState) -> String? {
        let decision: SignedStatement.Decision
        switch e.event {
        case .approvalGiven: decision = .approve
        case .approvalDenied: decision = .deny
        case .handoff, .runResumed: decision = .operate
        default: return nil
        }
        if decision == .operate {
            if e.statement == nil, sessionKey == nil { return nil }
            if case .failure(let why) = JournalTrust.sessionSigner(e, runID: runID, checker: signatures) { return why.message }
            return nil
        }
        guard let text = e.statement, let signature = e.signature else { return "it is not signed" }
        let r = TeamRequest(id: e.value ?? "store-\(e.seq)", user: e.osUser ?? "", kind: decision == .deny ? .deny : .approve, step: e.step,
                            signed: Signed(statement: text, signature: signature))
        guard let key = e.step, let rule = plan[key]?.step.automation?.approval else { return "no step of this run waits for approval there" }
        switch verify(r, key: key, rule, s) {
        case .failure(let why): return why.message
        case .success(let (signer, _)): return e.key.map { $0 == signer.key } == false ? "the key it names is not the key that signed it" : nil
        }
    }
}
