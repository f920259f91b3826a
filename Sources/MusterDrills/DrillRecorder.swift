import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// Turns a drill's journal into its record. Pure: every time comes from the
/// journal (whose `t` is seconds since the run began, wall time across
/// sessions, so time the executor was down counts as recovery time), which
/// makes the record exact to test and identical however often it is rebuilt.
public enum DrillRecorder {
    public typealias StepFacts = MusterEngine.StepFacts

    /// Step keys in plan order, with what a record needs of each.
    public static func stepFacts(_ rb: Runbook, includes: [String: Runbook]) -> [(key: String, facts: StepFacts)] {
        StepFacts.of(rb, includes: includes)
    }

    public static func record(events: [JournalEvent], drill: DrillSetup, steps: [(key: String, facts: StepFacts)],
                              runbookCommit: String?, runbookDirty: Bool) -> DrillRecord? {
        guard let info = events.first(where: { $0.event == .runStarted })?.run, let last = events.last else { return nil }
        // (event, its time): an event whose `t` is no clock reading (a
        // hand-edited journal) happened at the last reading before it.
        var started: [String: (JournalEvent, Double)] = [:]
        var finished: [String: (JournalEvent, Double)] = [:]
        var attempts: [String: Int] = [:]
        var escalations: [DrillRecord.Escalation] = []
        var faults: [DrillRecord.FaultHit] = []
        var outcome = DrillRecord.Outcome.aborted
        var now = 0.0
        var approvals: [DrillRecord.ApprovalEntry] = []
        var approvalSince: [String: Double] = [:]
        var handoffs: [DrillRecord.Handoff] = []
        var decisions: [DrillRecord.DecisionEntry] = []
        var operatorNow = info.osUser ?? info.operatorName
        for e in events {
            let key = e.step ?? ""
            if let t = e.clock { now = t }
            switch e.payload {
            case .stepStarted(_, let attempt, _):
                if started[key] == nil { started[key] = (e, now) }
                if let a = attempt { attempts[key] = max(attempts[key] ?? 0, a) }
            case .attemptStarted(let attempt):
                attempts[key] = max(attempts[key] ?? 0, attempt)
            case .stepFinished:
                finished[key] = (e, now)
            case .escalated(let contact, _, let answered):
                escalations.append(.init(atSeconds: now, contact: contact, answered: answered ? nil : false))
            case .approvalRequested:
                approvalSince[key] = now
            case .approvalGiven(let a):
                approvals.append(.init(step: key, by: a.by ?? "", atSeconds: now, waitedSeconds: max(0, now - (approvalSince[key] ?? now))))
            case .handoff(let h):
                handoffs.append(.init(from: operatorNow, to: h.by ?? "", atSeconds: now, reason: h.reason))
                operatorNow = h.by ?? operatorNow
            case .decided(_, let option, let reason, let by, _):
                let asked = started[key]?.1 ?? now
                decisions.append(.init(step: key, option: option ?? "", reason: reason ?? "", by: by ?? operatorNow, atSeconds: now, waitedSeconds: max(0, now - asked)))
            case .faultInjected:
                faults.append(.init(step: key, atSeconds: now))
            case .runFinished(let end, _):
                outcome = end == .completed ? .recovered : .failed
            case .runResumed, .runAbandoned:
                // A run that was paused and then resumed is not aborted (yet);
                // an abandoned one is, for good.
                outcome = .aborted
            default:
                break
            }
        }
        var timings: [DrillRecord.StepTiming] = []
        // A `for_each` step's items follow it, in the order they started.
        let order = events.compactMap { $0.event == .stepStarted ? $0.step : nil }
        var walk: [(key: String, facts: StepFacts)] = []
        for (key, facts) in steps where !walk.contains(where: { $0.key == key }) {
            walk.append((key, facts))
            for item in order where item.hasPrefix(key + "[") && item.hasSuffix("]") && !walk.contains(where: { $0.key == item }) {
                walk.append((item, facts))
            }
        }
        for (key, facts) in walk {
            guard let (s, sAt) = started[key], let (f, fAt) = finished[key] else { continue }
            let seconds = max(0, fAt - sAt)
            timings.append(.init(id: key, kind: facts.kind.rawValue, outcome: f.outcome ?? "done", startedAt: s.at,
                                 seconds: seconds, attempts: facts.kind.isAutomated ? max(1, attempts[key] ?? 1) : 1,
                                 expectSeconds: facts.expect, overExpect: facts.expect.map { seconds > Double($0) } ?? false))
            timings[timings.count - 1].parent = parentKey(of: key)
        }
        let nodes = timings.map { CriticalPath.Node(key: $0.id, parent: $0.parent, seconds: $0.seconds, skipped: $0.outcome == "skipped") }
        var spans: [String: (start: Double, end: Double)] = [:]
        for t in timings { if let s = started[t.id]?.1, let f = finished[t.id]?.1 { spans[t.id] = (s, f) } }
        let critical = CriticalPath.measure(nodes, concurrent: CriticalPath.overlapping(nodes, times: spans))
        let elapsed = now
        let rtoMet = drill.rtoSeconds.map { outcome == .recovered && elapsed <= Double($0) }
        var record = DrillRecord(drill: drill.name, runbook: info.runbook, runbookPath: info.runbookPath, runbookCommit: runbookCommit,
                           runbookDirty: runbookDirty, mode: drill.mode, operatorName: info.operatorName, startedAt: info.startedAt,
                           finishedAt: last.at, outcome: outcome, elapsedSeconds: elapsed, rtoSeconds: drill.rtoSeconds, rtoMet: rtoMet,
                           steps: timings, escalations: escalations, faults: faults,
                           training: training(drill.expectEscalation, faults: faults, escalations: escalations), runID: info.runID)
        record.runbookHash = info.runbookHash.isEmpty ? nil : info.runbookHash
        // `auto` marks an answer given by `--yes`, and a session resumed with it.
        record.unattended = info.yes || events.contains { $0.auto == true }
        let people = PeopleTime.split(events)
        record.humanSeconds = people.human
        record.automatedSeconds = people.automated
        record.approvals = approvals
        record.handoffs = handoffs
        record.decisions = decisions
        record.timeToDecideSeconds = decisions.first?.atSeconds
        record.peopleWaits = people.waits.map { .init(step: $0.step, atSeconds: $0.atSeconds, seconds: $0.seconds) }
        let points = steps.flatMap { key, facts in facts.recoveryPoints.compactMap { finished[key]?.0.outputs?[$0] } }
        if let rp = RecoveryPoint.measure(points: points, startedAt: info.startedAt, rpo: drill.rpoSeconds) {
            record.recoveryPoint = rp.point
            record.rpoSeconds = rp.lostSeconds
            record.rpoMet = rp.met
        }
        record.rpoObjectiveSeconds = drill.rpoSeconds
        record.criticalPath = critical.path
        record.serialSeconds = critical.serialSeconds
        record.environment = drill.environment
        record.params = info.params
        record.overrides = drill.overrides ?? false
        return record
    }

    /// `g/c` ran in `g`, `redeploy[api]` in `redeploy`; a top step in none.
    static func parentKey(of key: String) -> String? {
        StepKey(key).parent?.raw
    }

    /// Scores `expect_escalation`: the clock starts at the first injected
    /// fault (or the run's start when none fired), and the first escalation
    /// after it counts. The contact matches when it is the expected rung or
    /// starts with its text ("Secondary on-call" matches "Secondary on-call
    /// (PagerDuty …)"), ignoring case.
    static func training(_ expected: DrillSetup.ExpectedEscalation?, faults: [DrillRecord.FaultHit], escalations: [DrillRecord.Escalation]) -> DrillRecord.Training? {
        guard let expected else { return nil }
        let from = faults.first?.atSeconds ?? 0
        // A call nobody answers reaches nobody: the first answered one counts.
        let unanswered = escalations.filter { $0.answered == false }
        var score: DrillRecord.Training
        if let first = escalations.first(where: { $0.atSeconds >= from && $0.answered != false }) {
            let after = first.atSeconds - from
            let want = expected.contact.lowercased(), got = first.contact.lowercased()
            score = .init(escalatedWithin: after <= Double(expected.withinSeconds), contactOK: got == want || got.hasPrefix(want) || want.hasPrefix(got) && !got.isEmpty,
                          escalatedAfterSeconds: after)
        } else {
            score = .init(escalatedWithin: false, contactOK: false, escalatedAfterSeconds: nil)
        }
        if let firstNoAnswer = unanswered.first {
            score.unanswered = unanswered.count
            score.wentOn = escalations.contains { $0.atSeconds >= firstNoAnswer.atSeconds && $0.answered != false }
        }
        return score
    }
}
