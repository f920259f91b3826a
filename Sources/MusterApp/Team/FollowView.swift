#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterTerminal

/// What a follower shows: the operator's screen (`FollowScreen`) or JSON
/// lines for bots (`FollowJSON`).
package protocol FollowView: AnyObject {
    func following(runID: String, info: JournalEvent.RunInfo?, holder: LiveLock?)
    /// A session resumed the run (`run_resumed`); `holder` holds its lock.
    func resumed(_ event: JournalEvent, holder: LiveLock?)
    /// A batch of the screen log, in order.
    func screen(_ entries: [ScreenEntry])
    /// A journal line as written, with its event.
    func journal(_ line: ArraySlice<UInt8>, _ event: JournalEvent)
    /// A session took the run over (`handoff`).
    func handedOver(_ event: JournalEvent)
    /// The run paused and no session holds it: following goes on for
    /// whoever resumes or takes it over.
    func paused(runID: String)
    /// The lock is gone and the journal says neither paused nor ended.
    func sessionLost(runID: String)
    func skipped(bytes: Int64, runID: String)
    func ended(runID: String, info: JournalEvent.RunInfo?)
}

/// The operator's screen, drawn again by the renderer that drew it first,
/// under a header saying whose run this is and that the view is read-only.
package final class FollowScreen: FollowView {
    package let style = Style.stdout
    package let console = TerminalConsole(signalFD: -1, takeSignal: { nil })

    package init() {}

    package func following(runID: String, info: JournalEvent.RunInfo?, holder: LiveLock?) {
        let run = info.map { " of \(sanitize($0.runbook)), started \(sanitize($0.startedAt)) by \(sanitize($0.operatorName))" } ?? ""
        print(style.bold("Following run \(sanitize(runID)) (read-only)") + run)
        if let holder {
            print(style.dim("executed now by \(holder.describe); Ctrl-C stops following, the run goes on"))
        } else {
            print(style.dim("no session is executing it now; Ctrl-C stops following"))
        }
        // A drill's scenario: what the trainee was told, for whoever watches.
        if let scenario = info?.drill?.scenario {
            print(style.yellow("SCENARIO"))
            for line in sanitize(scenario, lines: true).split(separator: "\n", omittingEmptySubsequences: false) { print(style.yellow(String(line))) }
        }
    }

    package func resumed(_ event: JournalEvent, holder: LiveLock?) {
        print("")
        print(style.bold("--- resumed \(sanitize(event.text ?? ""))" + (holder.map { " (\($0.describe))" } ?? "") + " ---"))
    }

    package func screen(_ entries: [ScreenEntry]) {
        var i = entries.startIndex
        while i < entries.endIndex {
            let entry = entries[i]
            if let message = entry.show {
                console.show(message)
            } else if let ask = entry.ask {
                // Answered already (joining late, or a quick answer): say so,
                // rather than that it waits.
                let next = entries.index(after: i) < entries.endIndex ? entries[entries.index(after: i)].answered : nil
                let waiting = next != nil ? "(answered)" : "waiting for \(ask.by)'s answer, asked at \(ask.at)"
                console.showQuestion(ask.question, hint: ask.hint, status: ask.status, waiting: waiting)
            } else if entry.answered == "none" {
                console.show(.info("(no answer in time)"))
            }
            i = entries.index(after: i)
        }
    }

    package func journal(_ line: ArraySlice<UInt8>, _ event: JournalEvent) {
        // The screen log shows the rest; closing a run happens off screen.
        if event.event == .runAbandoned {
            print(style.bold("Run abandoned") + " by \(sanitize(event.by ?? "?"))" + (event.text.map { ": \(sanitize($0))" } ?? ""))
        }
    }

    package func handedOver(_ event: JournalEvent) {
        let who = event.name ?? event.by ?? "?"
        let user = event.by.flatMap { $0 == who ? nil : " (OS user \($0))" } ?? ""
        print("")
        print(style.bold("--- taken over by \(sanitize(who + user))" + (event.text.map { ": \(sanitize($0))" } ?? "") + " ---"))
    }

    package func paused(runID: String) {
        print("")
        print(style.bold("--- paused — waiting for a resume ---"))
        print(style.dim("`muster resume \(sanitize(runID))` or `muster takeover \(sanitize(runID))` continues it, and this view with it; Ctrl-C stops following (exit 3)"))
    }

    package func sessionLost(runID: String) {
        print("")
        print(style.yellow("The operator's session ended unexpectedly: nobody holds the run and its journal says neither paused nor ended. Still following, for `muster resume \(sanitize(runID))`."))
    }

    package func skipped(bytes: Int64, runID: String) {
        print(style.dim("(the first \(bytes >> 20) MiB of this run's screen are not shown; `muster log \(sanitize(runID))` prints every event)"))
    }

    package func ended(runID: String, info: JournalEvent.RunInfo?) {
        // A drill's verdict and escalation score, as the trainee saw them
        // under the run: from the record their session wrote.
        guard let drill = info?.drill else { return }
        let records = RecordStore(directory: drill.recordsDir).load(drills: [drill.name]).records[drill.name] ?? []
        if let mine = records.first(where: { $0.record.runID == runID }) {
            print(DrillSummary.render(mine.record, style: style))
        }
    }
}

/// One JSON object a line: the journal's lines as written (masked when
/// written), and the follower's own events, `event` naming each.
package final class FollowJSON: FollowView {

    package init() {}
    private func emit(_ fields: [(String, JSON)]) {
        print(JSON.object(fields).serialized())
    }

    private func holderFields(_ holder: LiveLock?) -> [(String, JSON)] {
        [("user", .from(holder?.user)), ("pid", .from(holder?.pid.map(Int.init))), ("host", .string(hostName()))]
    }

    package func following(runID: String, info: JournalEvent.RunInfo?, holder: LiveLock?) {
        emit([("event", "following"), ("run_id", .string(runID)), ("runbook", .from(info?.runbook)), ("operator", .from(info?.operatorName)),
              ("live", .bool(holder != nil))] + holderFields(holder))
    }

    package func resumed(_ event: JournalEvent, holder: LiveLock?) {}

    package func screen(_ entries: [ScreenEntry]) {
        for e in entries {
            if let a = e.ask {
                emit([("event", "question"), ("at", .string(a.at)), ("question", .string(a.question)), ("hint", .string(a.hint)),
                      ("status", .string(a.status)), ("operator", .string(a.by))])
            } else if let how = e.answered {
                emit([("event", "question_closed"), ("how", .string(how))])
            }
        }
    }

    package func journal(_ line: ArraySlice<UInt8>, _ event: JournalEvent) {
        print(JSON.escapingControls(String(decoding: line, as: UTF8.self)))
    }

    package func handedOver(_ event: JournalEvent) {}

    package func paused(runID: String) {
        emit([("event", "waiting_for_resume"), ("run_id", .string(runID))])
    }

    package func sessionLost(runID: String) {
        emit([("event", "session_lost"), ("run_id", .string(runID))])
    }

    package func skipped(bytes: Int64, runID: String) {}

    package func ended(runID: String, info: JournalEvent.RunInfo?) {}
}
