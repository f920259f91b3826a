import MusterBasics
import MusterFormat

/// A shared run (the S3 store): the journal's append can lose its place to
/// events another machine wrote first, or to the sink's own `run_unshared`
/// / `run_shared`. They are already journaled; the session takes in those
/// `ForeignEvents` believes, and stops where it says the run is no longer
/// this session's to write.
extension Executor {
    var trust: RequestTrust {
        RequestTrust(runID: setup.runID, plan: plan, signatures: setup.signatures, sessionKey: setup.session?.key)
    }

    func takeIn(_ foreign: [JournalEvent], pause: String?) throws(Stop) {
        let read = ForeignEvents(foreign, runID: setup.runID, host: setup.host, started: state.info != nil, trust: trust, state: state)
        if case .idTaken(let other) = read.end {
            takenOverElsewhere = other
            console.show(.warning("another machine (\(other.run?.host ?? "?")) started a run with the same id \(setup.runID) at the same moment; this session stops before doing anything. Start it again for a new id, or follow that run"))
            throw .journal("the run id was taken by another machine")
        }
        for (f, why) in read.refused {
            console.show(.warning("event \(f.seq) (\(f.event.rawValue)) from the shared store was refused and is not believed: \(why)"))
            state.lastSeq = max(state.lastSeq, f.seq)
        }
        for f in read.believed { state.apply(f) }
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
