import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// Splits a run's time between waiting on people and the machines, from its
/// journal. A gap between two events belongs to what ended it: an answer
/// (checklist item, `ask`, gate, failure menu, note, escalation pick) ends
/// time spent waiting on a person; a resume ends time the run sat paused
/// until someone came back. Every other gap was a command, a request, a
/// pipeline, a wait or the executor itself. Answers `--yes` gave took no
/// one's time, and the two parts add up to the elapsed time.
public enum PeopleTime {
    public struct Wait: Sendable, Equatable {
        public var step: String?
        public var atSeconds: Double
        public var seconds: Double
        public init(step: String?, atSeconds: Double, seconds: Double) { self.step = step; self.atSeconds = atSeconds; self.seconds = seconds }
    }

    public static func split(_ events: [JournalEvent]) -> (human: Double, automated: Double, waits: [Wait]) {
        var waits: [Wait] = []
        var now = 0.0
        var human = 0.0
        for e in events {
            let before = now
            if let t = e.clock, t >= now { now = t }
            let gap = now - before
            guard gap > 0, endsAWaitOnPeople(e) else { continue }
            human += gap
            if let last = waits.last, last.step == e.step, abs(last.atSeconds + last.seconds - before) < 1e-9 {
                waits[waits.count - 1].seconds += gap
            } else {
                waits.append(Wait(step: e.step, atSeconds: before, seconds: gap))
            }
        }
        return (human, max(0, now - human), waits)
    }

    static func endsAWaitOnPeople(_ e: JournalEvent) -> Bool {
        switch e.event {
        case .itemAnswered, .answered, .decided, .gateAnswered, .failureChoice, .note, .escalated:
            return e.auto != true
        case .approvalGiven, .approvalDenied, .handoff:
            return true
        case .runResumed:
            return true
        default:
            return false
        }
    }
}
