#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// One run, incident or drill, for `muster report RUN_ID` and its
/// postmortem draft. The numbers are a drill record's, built by
/// DrillRecorder from the journal (an incident run gets the record a drill
/// of it would have had), so a run's report and a drill's record never
/// disagree; what a record does not keep (who was asked and when, guard
/// breaches, failures and what was done about them, notes) is read from
/// the same events into `moments`, in the order they happened.
public struct RunReport: Sendable {
    public enum Kind: String, Sendable { case incident, drill }

    /// One step's row of the timeline: when it started on the run's clock,
    /// how long it took, and how much of that was spent waiting on people.
    public struct Step: Sendable, Equatable {
        public var id: String
        public var title: String?
        public var kind: String
        public var outcome: String
        public var startSeconds: Double
        public var seconds: Double
        public var peopleSeconds: Double
        public var machineSeconds: Double { max(0, seconds - peopleSeconds) }
        public var attempts: Int
        public var expectSeconds: Int?
        public var overExpect: Bool
    }

    /// Something that happened, at its time: the postmortem's timeline.
    public struct Moment: Sendable, Equatable {
        public enum Kind: String, Sendable {
            case started, step, failure, choice, escalation, approvalRequested = "approval_requested", approval, denial, handoff
            case guardBreach = "guard_breach", guardAnswer = "guard_answer", note, decision, pause, resume, rollback, finished
        }
        public var atSeconds: Double
        /// The event's wall-clock time (UTC, ISO 8601).
        public var at: String
        public var kind: Kind
        public var step: String?
        public var text: String
    }

    public struct GuardBreach: Sendable, Equatable {
        public var guardKey: String
        public var atSeconds: Double
        public var why: String
        /// `continue`, `rollback` or `abort`; nil while unanswered.
        public var answer: String?
    }

    public struct Denial: Sendable, Equatable {
        public var step: String
        public var by: String
        public var atSeconds: Double
        public var reason: String?
    }

    public var runID: String
    public var kind: Kind
    /// The drill's name, for a drill.
    public var drill: String?
    public var host: String
    /// How the run ended as `muster runs` says it (`completed`, `failed`,
    /// `rolled_back`, `abandoned`…), `paused`, or `running` when the
    /// journal has no end yet.
    public var state: String
    /// The numbers: timings, escalations, approvals, hand-offs, people's
    /// time, recovery point, training score.
    public var record: DrillRecord
    public var steps: [Step]
    public var moments: [Moment]
    public var guardBreaches: [GuardBreach]
    public var denials: [Denial]
    /// `decide:` steps' choices: the record's (runbook-format.md).
    public var decisions: [DrillRecord.DecisionEntry] { record.decisions ?? [] }
    /// Whether the runbook as run was at hand: without it steps have no
    /// title nor `expect`, and the RTO, RPO and recovery point are unknown.
    public var runbookKnown: Bool

    public var finished: Bool { !["running", "paused"].contains(state) }
    public var recovered: Bool { state == "completed" }

    /// - Parameters:
    ///   - steps: the runbook's steps as run (DrillRecorder.stepFacts), or
    ///     nil when it is not at hand: then each step's kind is the one its
    ///     `step_started` journaled.
    ///   - titles: step titles by key.
    ///   - rtoSeconds, rpoSeconds: the runbook's objectives, for an incident run.
    public static func build(events: [JournalEvent], steps: [(key: String, facts: StepFacts)]?, titles: [String: String] = [:],
                             rtoSeconds: Int? = nil, rpoSeconds: Int? = nil) -> RunReport? {
        guard let info = events.first(where: { $0.event == .runStarted })?.run else { return nil }
        var setup = info.drill ?? DrillSetup(name: info.runbook, mode: "incident", rtoSeconds: rtoSeconds, faults: [],
                                             expectEscalation: nil, recordsDir: "", junit: nil)
        if info.drill == nil { setup.rpoSeconds = rpoSeconds }
        let facts = steps ?? journaledFacts(events)
        guard let record = DrillRecorder.record(events: events, drill: setup, steps: facts, runbookCommit: info.runbookCommit,
                                                runbookDirty: info.runbookDirty ?? false) else { return nil }
        let start = UTCTime.parse(info.startedAt)
        var report = RunReport(runID: info.runID, kind: info.drill == nil ? .incident : .drill, drill: info.drill?.name, host: info.host,
                               state: state(events), record: record, steps: [], moments: [], guardBreaches: [], denials: [],
                               runbookKnown: steps != nil)
        let waits = record.peopleWaits ?? []
        report.steps = record.steps.map { s in
            var begin = 0.0
            if let stamp = s.startedAt, let d = UTCTime.parse(stamp), let start { begin = max(0, d.timeIntervalSince(start)) }
            let people = waits.filter { $0.step == s.id }.reduce(0) { $0 + $1.seconds }
            return Step(id: s.id, title: titles[s.id], kind: s.kind, outcome: s.outcome, startSeconds: begin, seconds: s.seconds,
                        peopleSeconds: min(people, s.seconds), attempts: s.attempts, expectSeconds: s.expectSeconds, overExpect: s.overExpect)
        }
        report.readMoments(events, titles: titles)
        return report
    }

    /// Step kinds as `step_started` journaled them, in the order steps started.
    static func journaledFacts(_ events: [JournalEvent]) -> [(key: String, facts: StepFacts)] {
        var out: [(key: String, facts: StepFacts)] = []
        for e in events where e.event == .stepStarted {
            guard let key = e.step, !out.contains(where: { $0.key == key }) else { continue }
            out.append((key, StepFacts(kind: e.text.flatMap(StepKind.init(rawValue:)) ?? .manual, expect: nil)))
        }
        return out
    }

    /// The run's state from its last word: an end, an abandonment, a pause
    /// not resumed since.
    static func state(_ events: [JournalEvent]) -> String {
        var state = "running"
        for e in events {
            switch e.event {
            case .runFinished, .runAbandoned: state = e.runEnd?.rawValue ?? "failed"
            case .runPaused: if state == "running" { state = "paused" }
            case .runResumed: if state == "paused" { state = "running" }
            default: break
            }
        }
        return state
    }

    mutating func readMoments(_ events: [JournalEvent], titles: [String: String]) {
        var now = 0.0
        var stepStart: [String: Double] = [:]
        var approvalSince: [String: Double] = [:]
        var openBreach: [String: Int] = [:]
        var stepSeq: [String: Int] = [:]
        var stepAt: [String: String] = [:]
        // Who operates the run, as the record's hand-offs name them.
        var operatorNow = "?"
        // Each with the event it sorts by: its own, or a step's start.
        var found: [(seq: Int, moment: Moment)] = []
        func add(_ kind: Moment.Kind, _ e: JournalEvent, step: String? = nil, _ text: String) {
            found.append((e.seq, Moment(atSeconds: now, at: e.at, kind: kind, step: step ?? e.step, text: text)))
        }
        func who(_ e: JournalEvent) -> String {
            let by = e.by ?? e.osUser ?? "?"
            return e.name.map { $0 != by ? "\(by) (\($0))" : by } ?? by
        }
        for e in events {
            if let t = e.clock, t >= now { now = t }
            let key = e.step ?? ""
            // A `decide:` step's decision: `value` the option, `text` why, `by` who.
            if e.event == .decided {
                let option = e.value ?? "?"
                add(.decision, e, "decided \(option)" + (e.text.map { ": \($0)" } ?? "") + (e.by.map { " (\($0))" } ?? ""))
                continue
            }
            switch e.event {
            case .runStarted:
                guard let r = e.run else { continue }
                operatorNow = r.osUser ?? r.operatorName
                add(.started, e, (r.drill.map { "Drill \($0.name) of \(r.runbook)" } ?? "Run of \(r.runbook)") + " started by \(r.operatorName) on \(r.host)")
            case .stepStarted:
                if stepStart[key] == nil { stepStart[key] = now; stepSeq[key] = e.seq; stepAt[key] = e.at }
            case .stepFinished:
                let took = now - (stepStart[key] ?? now)
                let people = steps.first { $0.id == key }.map(\.peopleSeconds) ?? 0
                let title = titles[key].map { " (\($0))" } ?? ""
                var text = "\(e.outcome ?? "done") after \(formatSeconds(took))"
                if people > 0 { text += ", \(formatSeconds(people)) of it waiting on people" }
                found.append((stepSeq[key] ?? e.seq, Moment(atSeconds: stepStart[key] ?? now, at: stepAt[key] ?? e.at, kind: .step, step: key, text: key + title + ": " + text)))
            case .attemptFinished:
                // Journaled only for an attempt that failed, or was cut short.
                var text = "attempt \(e.attempt ?? 1) " + (e.interrupted == true ? "interrupted" : "failed")
                if e.timedOut == true { text += " (timed out)" } else if let x = e.exit { text += " (exit \(x))" } else if let s = e.status { text += " (status \(s))" }
                if let why = e.text { text += ": \(why)" }
                add(.failure, e, text)
            case .faultInjected:
                add(.failure, e, "injected fault" + (e.text.map { ": \($0)" } ?? ""))
            case .failureChoice:
                let chosen = e.choice.map { c -> String in
                    switch c {
                    case .retry: "retry"
                    case .skip: "skipped"
                    case .done: "marked done by hand"
                    case .rollback: "roll back"
                    }
                } ?? (e.answer ?? "?")
                add(.choice, e, chosen + (e.text.map { ": \($0)" } ?? "") + (e.auto == true ? " (automatic)" : ""))
            case .escalated:
                add(.escalation, e, "escalated to \(e.contact ?? "?")" + (e.item.map { " (rung \($0))" } ?? "") + (e.auto == true ? " (automatic)" : ""))
            case .approvalRequested:
                approvalSince[key] = now
                add(.approvalRequested, e, "waiting for approval" + (e.value.map { " by \($0)" } ?? ""))
            case .approvalGiven:
                let waited = now - (approvalSince[key] ?? now)
                add(.approval, e, "approved by \(who(e)) after \(formatSeconds(waited))")
            case .approvalDenied:
                denials.append(Denial(step: key, by: e.by ?? "?", atSeconds: now, reason: e.text))
                add(.denial, e, "denied by \(who(e))" + (e.text.map { ": \($0)" } ?? ""))
            case .handoff:
                add(.handoff, e, "handed over from \(operatorNow) to \(who(e))" + (e.text.map { ": \($0)" } ?? ""))
                operatorNow = e.by ?? operatorNow
            case .guardBreached:
                let g = e.value ?? "?"
                openBreach[g] = guardBreaches.count
                guardBreaches.append(GuardBreach(guardKey: g, atSeconds: now, why: e.text ?? "", answer: nil))
                add(.guardBreach, e, "guard \(g) breached" + (e.text.map { ": \($0)" } ?? ""))
            case .guardAnswered:
                let g = e.value ?? "?"
                if let i = openBreach.removeValue(forKey: g) { guardBreaches[i].answer = e.answer }
                add(.guardAnswer, e, "guard \(g): \(e.answer ?? "?")" + (e.auto == true ? " (its on_breach)" : ""))
            case .note:
                add(.note, e, "note" + (e.item.map { " on item \($0 + 1)" } ?? "") + ": \(e.text ?? "")")
            case .runPaused:
                add(.pause, e, "paused" + (e.text.map { ": \($0)" } ?? ""))
            case .runResumed:
                add(.resume, e, "resumed" + (e.by.map { " by \($0)" } ?? ""))
            case .rollbackStarted where e.step == nil:
                add(.rollback, e, "rollback started" + (e.text.map { ": \($0)" } ?? ""))
            case .runFinished, .runAbandoned:
                add(.finished, e, (e.runEnd?.rawValue ?? "finished") + (e.by.map { " by \($0)" } ?? "") + (e.text.map { ": \($0)" } ?? ""))
            default:
                break
            }
        }
        // A step still running when the journal ends (a crash, a pause
        // mid-step) is on the timeline too.
        let ended = Set(events.compactMap { $0.event == .stepFinished ? $0.step : nil })
        for (key, start) in stepStart where !ended.contains(key) {
            let title = titles[key].map { " (\($0))" } ?? ""
            found.append((stepSeq[key] ?? 0, Moment(atSeconds: start, at: stepAt[key] ?? "", kind: .step, step: key, text: key + title + ": started, not finished")))
        }
        // Each step's row sits where the step began; the rest in journal order.
        moments = found.sorted { ($0.moment.atSeconds, $0.seq) < ($1.moment.atSeconds, $1.seq) }.map(\.moment)
    }
}

extension DrillRecord.Training {
    /// `escalated 2m10s after the first fault: in time, to the right rung`:
    /// the score as every report says it.
    public var score: String {
        let when = escalatedAfterSeconds.map { "escalated \(formatSeconds($0)) after the first fault" } ?? "never escalated"
        return "\(when): " + [escalatedWithin ? "in time" : "not in time", contactOK ? "to the right rung" : "not to the expected rung"].joined(separator: ", ")
    }

    public var passed: Bool { escalatedWithin && contactOK }
}
