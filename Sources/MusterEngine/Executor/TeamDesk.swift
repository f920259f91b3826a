import MusterBasics
import MusterFormat

/// The two-person rule and hand-offs: requests other people make of the run
/// (`muster approve`, `muster takeover`) arrive through the inbox, wake the
/// session through the signal pipe, and are taken in as journal events.
/// Whether to ask for approval again and when a takeover stops the session
/// are the machine's decisions; the desk shows, waits and journals.
package final class TeamDesk {
    unowned let host: RunHost
    /// Requests from other people; nil where none can arrive.
    var inbox: RunInbox?
    /// Requests refused in this session, said once.
    var refusedRequests: Set<String> = []
    /// A takeover waiting for the step at work to end.
    var takeoverPending: TeamRequest?
    /// The takeover this session is stopping for.
    private(set) var handingOver: TeamRequest?
    /// Steps whose approval request this session has shown.
    var approvalShown: Set<String> = []

    init(host: RunHost) { self.host = host }

    var state: RunState { host.state }
    var console: RunConsole { host.console }
    var runID: String { host.setup.runID }
    var trust: RequestTrust {
        RequestTrust(runID: runID, plan: host.machine.plan, signatures: host.setup.signatures, sessionKey: host.setup.session?.key)
    }

    /// One round of the wait of a step with `approval`: asked for (again
    /// when denied or changed), the approvals and denials that arrived
    /// taken in, then, unless that settled it, a wait for the next request,
    /// a signal or `a`. The machine asks for rounds until enough people
    /// other than the operator approve (or one denies); approvals already
    /// given survive `a`, and a crash.
    /// The denial's words when the round ended in one (the step failed).
    func awaitApproval(_ entry: FlatPlan.Entry, preview: [String]) throws(Stop) -> String? {
        let key = entry.key, step = entry.step
        guard let rule = step.automation?.approval else { return nil }
        if !state.started.contains(key) { try host.record(.stepStarted(kind: step.kind), step: key) }
        let sha = SignedStatement.digest(preview.joined(separator: "\n"))
        if host.machine.asksForApproval(key, state, sha: sha) {
            if state.approvalAsked[key] != nil, state.approvalSHA[key] != sha {
                console.show(.warning("'\(key)' changed since its approval was asked for: approvals of the old command do not count, and it needs approval again"))
            }
            let asked = JournalEvent.ApprovalInfo(count: rule.count, from: rule.from.isEmpty ? nil : rule.from)
            try host.record(.approvalRequested(sha256: sha, shown: preview.joined(separator: "\n"), who: rule.who, rule: asked), step: key)
            host.notify("'\(key)' waits for approval by \(rule.who): muster approve \(runID)")
            approvalShown.remove(key)
        }
        if approvalShown.insert(key).inserted {
            console.show(.info("'\(key)' needs approval by \(rule.who) before it runs (the two-person rule). It will run:"))
            for line in preview { console.show(.command(line)) }
            console.show(.info("Ask them to run:  muster approve \(runID)   (or: muster approve \(runID) --deny REASON)"))
            let given = state.approverNames(key)
            if !given.isEmpty { console.show(.info("approved so far by \(given.joined(separator: ", ")) (\(given.count) of \(rule.count))")) }
        }
        try takeApprovals(for: key, rule)
        if let d = state.denied[key] {
            let why = "approval denied by \(d.by): \(d.reason)"
            console.show(.stepResult(.finished(.failed), seconds: 0, detail: why))
            return why
        } else if state.approved(key, rule) {
            console.show(.info("approved by \(state.approverNames(key).joined(separator: ", ")); the step goes on"))
        } else {
            try waitForPeople(key, rule)
        }
        return nil
    }

    /// Takes in the approvals and denials made for `key`, refusing (on
    /// screen, once) those the rule does not allow. Each is a signed
    /// statement: its signature is checked against `allowed_signers`, and
    /// what it says (run, step, decision, the hash of the request shown)
    /// against what is asked now; who it comes from as an OS user or an
    /// AWS identity is kept as context only.
    func takeApprovals(for key: String, _ rule: Approval) throws(Stop) {
        guard let inbox else { return }
        for r in inbox.pending(taken: state.takenRequests) where !refusedRequests.contains(r.id) {
            switch r.kind {
            case .takeover:
                if inbox.isWaiting(r) { try handOver(r) }
            case .approve, .deny:
                let verdict = r.step != key ? .failure(SignatureRefusal("it is for step '\(r.step ?? "?")', and '\(key)' is the step waiting")) : trust.verify(r, key: key, rule, state)
                guard case .success(let (signer, signed)) = verdict else {
                    if case .failure(let refusal) = verdict {
                        refusedRequests.insert(r.id)
                        console.show(.warning("\(r.kind == .approve ? "an approval" : "a denial") from \(r.who) was refused: \(refusal.message)"))
                    }
                    continue
                }
                let approving = JournalEvent.Approving(request: r.id, by: signer.name, name: r.name, osUser: r.user.isEmpty ? nil : r.user, identity: r.arn,
                                                       proof: .init(statement: signed.statement, signature: signed.signature, key: signer.key))
                try host.record(r.kind == .approve ? .approvalGiven(approving) : .approvalDenied(approving, reason: r.reason ?? "no reason given"), step: key)
                inbox.taken(r)
                if r.kind == .approve {
                    let n = state.approvers(key).count
                    console.show(.info("✓ approved by \(signer.name) (\(n) of \(rule.count))"))
                    host.notify("'\(key)' approved by \(signer.name) (\(n) of \(rule.count))")
                } else {
                    host.notify("'\(key)' denied by \(signer.name)")
                    return
                }
            }
        }
    }

    /// Waits for the next request, a signal or `a`. On a terminal the
    /// operator may answer `a`; from a pipe nothing is read, since the
    /// answers a run reads are only those `cli.md` lists.
    func waitForPeople(_ key: String, _ rule: Approval) throws(Stop) {
        try host.checkSignals()
        host.checkEscalation()
        guard console.isInteractive else {
            if let sig = host.clock.sleep(upTo: 30), sig != .inboxWake { try host.interruption(sig) }
            return
        }
        switch console.ask("Waiting for approval of '\(key)' by \(rule.who)", hint: Question.approvalWait.hint, status: host.status()) {
        case .line(let l):
            switch Question.approvalWait.parse(l, as: ApprovalWaitReply.self) {
            case .success(.abort): throw .pause("operator aborted while '\(key)' waited for approval")
            case .failure(let m): try host.notUnderstood(m.hint)
            }
        case .eof:
            throw .pause("answers ran out (end of input)")
        case .signal(let s):
            if s != .inboxWake { try host.interruption(s) }
        }
    }

    /// What a request's arrival means at this moment; `key` is the step at
    /// work, if one is. A takeover stops the session at once between steps
    /// or with `--now`; otherwise it waits for the step to end, and both
    /// screens say so. Approvals wait for their step's turn.
    func inboxVerdict(working key: String?) -> SignalVerdict {
        guard let inbox, let r = inbox.pending(taken: state.takenRequests).first(where: { $0.kind == .takeover && !refusedRequests.contains($0.id) && inbox.isWaiting($0) })
        else { return .keepWaiting }
        if host.machine.takeoverMoment(now: r.now, working: key) == .now {
            handingOver = r
            return .pause(.inboxWake)
        }
        if takeoverPending?.id != r.id {
            takeoverPending = r
            console.show(.warning("\(r.who) is taking over this run\(r.reason.map { " (\($0))" } ?? ""): this session stops when '\(key ?? "")' ends (`muster takeover --now` stops it at once)"))
        }
        return .keepWaiting
    }

    /// Between actions: a takeover that waited for a step stops the session
    /// now, unless its taker gave up meanwhile.
    func checkTakeover() throws(Stop) {
        guard let r = takeoverPending else { return }
        takeoverPending = nil
        if inbox?.isWaiting(r) == true { try handOver(r) }
        console.show(.info("\(r.who) gave up taking over; the run goes on here"))
    }

    func handOver(_ r: TeamRequest) throws(Stop) {
        handingOver = r
        throw .pause(handOverText)
    }

    /// Why the session stopped for a takeover: the run-paused text.
    var handOverText: String {
        guard let r = handingOver else { return "taken over" }
        return "taken over by \(r.who)\(r.host.map { " on \($0)" } ?? "")" + (r.reason.map { ": \($0)" } ?? "")
    }
}
