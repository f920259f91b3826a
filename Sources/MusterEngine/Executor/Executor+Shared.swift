import MusterBasics
import MusterFormat

/// A shared run (the S3 store): the journal's append can lose its place to
/// events another machine wrote first, or to the sink's own `run_unshared`
/// / `run_shared`. They are already journaled; the session takes them in
/// and decides again.
extension Executor {
    func takeIn(_ foreign: [JournalEvent], pause: String?) throws(Stop) {
        // Another machine started a run of the same id (the same runbook in
        // the same second): it is that machine's; this one stops before it
        // did anything, and a new start gets another id.
        if let other = foreign.first(where: { $0.event == .runStarted }), other.run?.runID == setup.runID, other.run?.host != setup.host || state.info == nil {
            takenOverElsewhere = other
            console.show(.warning("another machine (\(other.run?.host ?? "?")) started a run with the same id \(setup.runID) at the same moment; this session stops before doing anything. Start it again for a new id, or follow that run"))
            throw .journal("the run id was taken by another machine")
        }
        for f in foreign {
            // Verified before believed: the store takes anyone's writes.
            if let why = refusal(ofForeign: f) {
                console.show(.warning("event \(f.seq) (\(f.event.rawValue)) from the shared store was refused and is not believed: \(why)"))
                state.lastSeq = max(state.lastSeq, f.seq)
                continue
            }
            state.apply(f)
        }
        if let h = foreign.last(where: { $0.event == .handoff }) {
            // Someone took the run over from another machine: it is no
            // longer this session's to write, not even run_paused.
            takenOverElsewhere = h
            let who = (h.name.map { "\($0) (\(h.by ?? "?"))" } ?? h.by ?? "someone") + (h.text.map { ": \($0)" } ?? "")
            console.show(.warning("\(who) took this run over from another machine; this session stops and writes nothing more"))
            throw .journal("taken over by \(h.by ?? "someone") from another machine")
        }
        if let end = foreign.last(where: { $0.event == .runFinished || $0.event == .runAbandoned }) {
            takenOverElsewhere = end
            console.show(.warning("the run was ended on another machine (\(end.event.rawValue)\(end.text.map { ": \($0)" } ?? "")); this session stops and writes nothing more"))
            throw .journal("ended on another machine")
        }
        if let pause { throw .pause(pause) }
    }

    /// Why an approval, denial or hand-off another machine wrote is not
    /// believed (nil: it is). The same checks as a request taken in here.
    func refusal(ofForeign e: JournalEvent) -> String? {
        let decision: SignedStatement.Decision
        switch e.event {
        case .approvalGiven: decision = .approve
        case .approvalDenied: decision = .deny
        case .handoff, .runResumed: decision = .operate
        default: return nil
        }
        if decision == .operate {
            if e.statement == nil, setup.session == nil { return nil }
            if case .failure(let why) = JournalTrust.sessionSigner(e, runID: setup.runID, checker: setup.signatures) { return why.message }
            return nil
        }
        guard let text = e.statement, let signature = e.signature else { return "it is not signed" }
        let r = TeamRequest(id: e.value ?? "store-\(e.seq)", user: e.osUser ?? "", kind: decision == .deny ? .deny : .approve, step: e.step,
                            signed: Signed(statement: text, signature: signature))
        guard let key = e.step, let rule = plan[key]?.step.automation?.approval else { return "no step of this run waits for approval there" }
        switch verify(r, key: key, rule) {
        case .failure(let why): return why.message
        case .success(let (signer, _)): return e.key.map { $0 == signer.key } == false ? "the key it names is not the key that signed it" : nil
        }
    }
}
