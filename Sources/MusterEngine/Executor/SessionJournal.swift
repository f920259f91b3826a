import MusterBasics
import MusterFormat

/// This session's side of the journal: every event masked, numbered after
/// the last one the run holds, appended (or held for the next step's start,
/// one fsync for both) and folded into the state. On a shared run (the S3
/// store) an append can lose its place to events another machine wrote
/// first, or to the sink's own `run_unshared` / `run_shared`: they are
/// already journaled, so the session takes in those `ForeignEvents`
/// believes and writes its event after them, or stops where they say the
/// run is no longer this session's to write.
package final class SessionJournal {
    unowned let host: Executor
    let sink: JournalSink
    /// Another machine's `handoff`, run end or same-id `run_started`: this
    /// session writes nothing more (SessionEnd says why).
    var takenOverElsewhere: JournalEvent?

    init(host: Executor, sink: JournalSink) {
        self.host = host
        self.sink = sink
    }

    /// Tries at one event's place before the session stops: far more than
    /// the machines of one run ever write at once.
    static let appendTries = 100

    /// `held`: the event may wait for the next one to be written with it
    /// (JournalSink.hold); only a step's end the session goes on from at
    /// once, and `settle` makes it durable before anything else. `at`: the
    /// time stamp, when the payload holds it too (`run_started`'s facts).
    func record(_ payload: JournalEvent.Payload, step: String?, held: Bool, at: String? = nil) throws(Stop) {
        var e = JournalEvent(seq: host.state.lastSeq + 1, at: at ?? host.clock.stamp(), t: (host.elapsed * 1000).rounded() / 1000, step: step, payload)
        // Secrets never reach the journal, whatever field they hide in.
        e.mask(with: host.masker)
        for _ in 0..<Self.appendTries {
            do {
                if held { try sink.hold(e) } else { try sink.append(e) }
                written(e)
                return
            } catch {
                guard let foreign = error.superseded else { throw stop(error.message) }
                if error.appended {
                    written(e)
                    try takeIn(foreign, pause: error.pause)
                    return
                }
                try takeIn(foreign, pause: error.pause)
                e.seq = host.state.lastSeq + 1
            }
        }
        throw stop("the shared store took the place of event \(e.event.rawValue) \(Self.appendTries) times in a row; stopping rather than racing on")
    }

    /// Makes held events durable: before anything other than journaling
    /// the next step's start acts, asks or waits.
    func settle() throws(Stop) {
        do { try sink.settle() } catch { throw stop(error.message) }
    }

    private func written(_ e: JournalEvent) {
        host.state.apply(e)
        host.desk.misunderstood = 0
    }

    private func stop(_ why: String) -> Stop {
        host.console.show(.warning(why))
        return .journal(why)
    }

    private func takeIn(_ foreign: [JournalEvent], pause: String?) throws(Stop) {
        let setup = host.setup, console = host.console
        let trust = RequestTrust(runID: setup.runID, plan: host.plan, signatures: setup.signatures, sessionKey: setup.session?.key)
        let read = ForeignEvents(foreign, runID: setup.runID, host: setup.host, started: host.state.info != nil, trust: trust, state: host.state)
        if case .idTaken(let other) = read.end {
            takenOverElsewhere = other
            console.show(.warning("another machine (\(other.run?.host ?? "?")) started a run with the same id \(setup.runID) at the same moment; this session stops before doing anything. Start it again for a new id, or follow that run"))
            throw .journal("the run id was taken by another machine")
        }
        for (f, why) in read.refused {
            console.show(.warning("event \(f.seq) (\(f.event.rawValue)) from the shared store was refused and is not believed: \(why)"))
            host.state.lastSeq = max(host.state.lastSeq, f.seq)
        }
        for f in read.believed { host.state.apply(f) }
        switch read.end {
        case .handedOff(let h)?:
            // Not even run_paused is this session's to write any more.
            takenOverElsewhere = h
            let who = (h.name.map { "\($0) (\(h.by ?? "?"))" } ?? h.by ?? "someone") + (h.text.map { ": \($0)" } ?? "")
            console.show(.warning("\(who) took this run over from another machine; this session stops and writes nothing more"))
            throw .journal("taken over by \(h.by ?? "someone") from another machine")
        case .ended(let end)?:
            takenOverElsewhere = end
            console.show(.warning("the run was ended on another machine (\(end.event.rawValue)\(end.text.map { ": \($0)" } ?? "")); this session stops and writes nothing more"))
            throw .journal("ended on another machine")
        case .idTaken?, nil:
            break
        }
        if let pause { throw .pause(pause) }
    }
}
