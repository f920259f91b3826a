/// The two-person rule and hand-offs: requests other people make of the run
/// (`muster approve`, `muster takeover`) arrive through the inbox, wake the
/// session through the signal pipe, and are taken in as journal events.
extension Executor {
    /// A step with `approval` waits until enough people other than the
    /// operator approve it (or one denies it), showing who may and how.
    /// `a` pauses; approvals already given survive it, and a crash.
    func awaitApproval(_ entry: FlatPlan.Entry) throws(Stop) {
        let key = entry.key, step = entry.step
        guard let rule = step.automation?.approval else { return }
        if !state.started.contains(key) { try record(.stepStarted, step: key) { $0.text = step.kind.rawValue } }
        let preview = rehearsalPreview(step, values: scope(entry.parent)).map(masker.mask)
        if state.approvalAsked[key] == nil || state.denied[key] != nil {
            try record(.approvalRequested, step: key) { e in
                e.text = preview.joined(separator: "\n")
                e.value = rule.who
                e.approval = .init(count: rule.count, from: rule.from.isEmpty ? nil : rule.from)
            }
            notify("'\(key)' waits for approval by \(rule.who): muster approve \(setup.runID)")
        }
        console.show(.info("'\(key)' needs approval by \(rule.who) before it runs (the two-person rule). It will run:"))
        for line in preview { console.show(.command(line)) }
        console.show(.info("Ask them to run:  muster approve \(setup.runID)   (or: muster approve \(setup.runID) --deny REASON)"))
        if let given = state.approvedBy[key], !given.isEmpty { console.show(.info("approved so far by \(given.joined(separator: ", ")) (\(given.count) of \(rule.count))")) }
        while true {
            try takeApprovals(for: key, rule)
            if state.denied[key] != nil || state.approved(key, rule) { break }
            try waitForPeople(key, rule)
        }
        if let d = state.denied[key] {
            let why = "approval denied by \(d.by): \(d.reason)"
            lastProblem = (key, why)
            console.show(.stepResult(.finished(.failed), seconds: 0, detail: why))
        } else {
            console.show(.info("approved by \((state.approvedBy[key] ?? []).joined(separator: ", ")); the step goes on"))
        }
    }

    /// Takes in the approvals and denials made for `key`, refusing (on
    /// screen, once) those the rule does not allow.
    func takeApprovals(for key: String, _ rule: Approval) throws(Stop) {
        guard let inbox else { return }
        for r in inbox.pending(taken: state.takenRequests) where !refusedRequests.contains(r.id) {
            switch r.kind {
            case .takeover:
                if inbox.isWaiting(r) { try handOver(r) }
            case .approve, .deny:
                let already = r.kind == .approve ? state.approvedBy[key] ?? [] : []
                let refusal = r.step != key ? "it is for step '\(r.step ?? "?")', and '\(key)' is the step waiting"
                    : rule.refusal(user: r.user, operatorUser: r.arn != nil ? setup.identityName ?? setup.osUser : setup.osUser.isEmpty ? state.operatorUser : setup.osUser, already: already)
                if let refusal {
                    refusedRequests.insert(r.id)
                    console.show(.warning("\(r.kind == .approve ? "an approval" : "a denial") by \(r.who) was refused: \(refusal)"))
                    continue
                }
                if r.kind == .approve {
                    try record(.approvalGiven, step: key) { $0.by = r.user; $0.value = r.id; $0.name = r.name; $0.identity = r.arn }
                    inbox.taken(r)
                    let n = state.approvedBy[key]?.count ?? 0
                    console.show(.info("✓ approved by \(r.who) (\(n) of \(rule.count))"))
                    notify("'\(key)' approved by \(r.user) (\(n) of \(rule.count))")
                } else {
                    try record(.approvalDenied, step: key) { $0.by = r.user; $0.value = r.id; $0.text = r.reason ?? "no reason given"; $0.name = r.name; $0.identity = r.arn }
                    inbox.taken(r)
                    notify("'\(key)' denied by \(r.user)")
                    return
                }
            }
        }
    }

    /// Waits for the next request, a signal or `a`. On a terminal the
    /// operator may answer `a`; from a pipe nothing is read, since the
    /// answers a run reads are only those `cli.md` lists.
    func waitForPeople(_ key: String, _ rule: Approval) throws(Stop) {
        try checkSignals()
        checkEscalation()
        guard console.isInteractive else {
            if let sig = sleepHook(30), sig != InboxWake.code { try interruption(sig) }
            return
        }
        switch console.ask("Waiting for approval of '\(key)' by \(rule.who)", hint: Question.approvalWait.hint, status: status()) {
        case .line(let l):
            switch Question.approvalWait.parse(l) {
            case .success(.abort): throw .pause("operator aborted while '\(key)' waited for approval")
            case .success: break
            case .failure(let m): try notUnderstood(m.hint)
            }
        case .eof:
            throw .pause("answers ran out (end of input)")
        case .signal(let s):
            if s != InboxWake.code { try interruption(s) }
        }
    }

    /// What a request's arrival means at this moment; `key` is the step at
    /// work, if one is. A takeover stops the session at once between steps
    /// or with `--now`; otherwise it waits for the step to end, and both
    /// screens say so. Approvals wait for their step's turn.
    func inboxVerdict(working key: String?) -> SignalVerdict {
        guard let inbox, let r = inbox.pending(taken: state.takenRequests).first(where: { $0.kind == .takeover && !refusedRequests.contains($0.id) && inbox.isWaiting($0) })
        else { return .keepWaiting }
        if key == nil || r.now {
            handingOver = r
            return .pause(InboxWake.code)
        }
        if takeoverPending?.id != r.id {
            takeoverPending = r
            console.show(.warning("\(r.who) is taking over this run\(r.reason.map { " (\($0))" } ?? ""): this session stops when '\(key!)' ends (`muster takeover --now` stops it at once)"))
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
        throw .pause(signalName(InboxWake.code))
    }

    /// Why the session stopped for a takeover: the run-paused text.
    var handOverText: String {
        guard let r = handingOver else { return "taken over" }
        return "taken over by \(r.who)\(r.host.map { " on \($0)" } ?? "")" + (r.reason.map { ": \($0)" } ?? "")
    }
}
