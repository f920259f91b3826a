import Foundation
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterTeam
import MusterTesting

/// A session writing one run through the shared journal, numbering its
/// events as the executor does: an event the journal wrote itself
/// (`run_unshared`, `run_shared`) is folded and the own event numbered
/// after it; another machine's events are thrown to the caller.
final class Session {
    let journal: SharedJournal
    let local: FileJournal
    let console: FakeConsole
    let runID: String
    var next: Int

    init(store: MemoryStore, runID: String = "r1", dir: String, lastSeq: Int = -1, unshared: String? = nil, answers: [AnswerRead] = [], yes: Bool = true,
         clock: TestClock, settings: TeamSettings = TeamSettings(), wake: @escaping () -> Void = {}) throws {
        local = try FileJournal(path: dir + "/journal.jsonl")
        console = FakeConsole(reads: answers, interactive: false)
        self.runID = runID
        next = lastSeq + 1
        journal = SharedJournal(local: local, store: store, runID: runID, lastSeq: lastSeq, unshared: unshared, console: console, yes: yes,
                                settings: settings, clock: clock, wallTime: wallTime(clock), rewake: wake)
    }

    /// Writes one event of `kind`; returns the events the journal added of its own.
    @discardableResult
    func write(_ kind: JournalEvent.Kind, value: String? = nil) throws(JournalError) -> [JournalEvent] {
        var own: [JournalEvent] = []
        while true {
            var e = JournalEvent(seq: next, at: "2026-12-05T18:45:00Z", t: Double(next), event: kind)
            e.value = value
            do {
                try journal.append(e)
                next += 1
                return own
            } catch {
                guard let added = error.superseded else { throw error }
                // Another machine's events: taken in, and the caller decides again.
                guard added.allSatisfy({ $0.event == .runUnshared || $0.event == .runShared }) else {
                    next = added.last!.seq + 1
                    throw error
                }
                own += added
                next = added.last!.seq + 1
                if error.pause != nil { throw error }
                if error.appended { return own }
            }
        }
    }

    /// The local journal's lines, newline included.
    var lines: [[UInt8]] {
        ((try? Paths.read(local.path)) ?? []).split(separator: UInt8(ascii: "\n")).map { Array($0) + [UInt8(ascii: "\n")] }
    }

    var events: [JournalEvent] { (try? FileJournal.read(path: local.path).events) ?? [] }
}

/// Wall time that moves with the test clock: 2026-12-05 18:45 UTC at its start.
func wallTime(_ clock: TestClock) -> WallTime {
    { 1_796_496_300 + clock.now.offset.seconds }
}

/// The run's event objects in the store, in key order.
func storeEvents(_ store: MemoryStore, runID: String = "r1") -> [[UInt8]] {
    let objects = store.objects
    return objects.keys.filter { $0.hasPrefix(store.key("runs/\(runID)/events/")) }.sorted().map { objects[$0]! }
}

func temporaryFolder() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-team-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}
