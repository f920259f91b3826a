#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterTeam
import MusterTesting
import Synchronization
import Testing

private final class Seen: Sendable {
    let value = Mutex(false)
}

/// The put of an event and the local write + fsync of the same line go at
/// once: every way the two can end leaves the local journal and the store
/// agreeing, never two different lines at one seq. (SharedStoreTests drive
/// the same cases against moto, through a proxy that loses answers, and a
/// process killed mid-put.)
@Suite struct OverlapTests {
    let store = MemoryStore()
    let clock = TestClock()

    @Test func theLocalWriteIsUnderWayWhileThePutIsInFlight() throws {
        let s = try Session(store: store, dir: try temporaryFolder(), clock: clock)
        try s.write(.runStarted)
        // The put waits until the journal holds its line: done one after the
        // other (put, then write) it would wait in vain (30 s, a guard
        // against hanging, not a timing).
        let path = s.local.path
        let seen = Seen()
        store.inject(.slow({
            var end = timespec()
            clock_gettime(CLOCK_MONOTONIC, &end)
            end.tv_sec += 30
            while true {
                if ((try? Paths.read(path)) ?? []).filter({ $0 == UInt8(ascii: "\n") }).count == 2 { seen.value.withLock { $0 = true }; return }
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                if now.tv_sec > end.tv_sec { return }
                sched_yield()
            }
        }), on: .putIfAbsent)
        try s.write(.note, value: "both at once")
        #expect(seen.value.withLock { $0 }, "the line was in the journal while the put was in flight")
        #expect(storeEvents(store) == s.lines)
    }

    @Test func aPutLostToAnotherMachineTakesTheLineBackBeforeTheirsIsTakenIn() throws {
        let a = try Session(store: store, dir: try temporaryFolder(), clock: clock)
        let b = try Session(store: store, dir: try temporaryFolder(), clock: clock)
        try a.write(.runStarted)
        try a.write(.note, value: "alice")
        try a.write(.note, value: "alice again")
        let error = #expect(throws: JournalError.self) { try b.write(.runStarted, value: "bob") }
        #expect(error?.superseded?.map(\.seq) == [0, 1, 2])
        // b's own line at seq 0 was written and taken back: only a's remain.
        #expect(b.lines == a.lines)
        #expect(!b.lines.contains { String(decoding: $0, as: UTF8.self).contains("bob") })
        try b.write(.note, value: "bob after them")
        #expect(b.events.map(\.seq) == [0, 1, 2, 3])
        #expect(storeEvents(store) == b.lines)
        #expect(JournalVerifier.verify(try Paths.read(b.local.path)).intact)
    }

    @Test func aRefusedPutTakesTheLineBackAndTheRunStops() throws {
        let s = try Session(store: store, dir: try temporaryFolder(), clock: clock)
        try s.write(.runStarted)
        let before = s.lines
        store.inject(.refused, on: .putIfAbsent)
        let error = #expect(throws: JournalError.self) { try s.write(.note, value: "refused") }
        #expect(error?.message.contains("refused event 1") == true)
        #expect(s.lines == before)
        #expect(storeEvents(store) == before)
    }

    @Test func anUnreachableStoreKeepsTheLineAsTheBacklogsFirst() throws {
        let s = try Session(store: store, dir: try temporaryFolder(), clock: clock)
        try s.write(.runStarted)
        store.down = true
        let added = try s.write(.note, value: "mine")
        #expect(added.map(\.event) == [.runUnshared])
        #expect(s.events.map(\.event) == [.runStarted, .note, .runUnshared])
        store.down = false
        clock.advance(by: .seconds(15))
        try s.write(.note, value: "back")
        #expect(storeEvents(store) == s.lines)
        #expect(s.events.filter { $0.value == "mine" }.count == 1)
    }

    @Test func aResumedSessionPutsTheLastLineTheStoreNeverGot() throws {
        let dir = try temporaryFolder()
        let first = try Session(store: store, dir: dir, clock: clock)
        try first.write(.runStarted)
        try first.write(.note, value: "put")
        // A crash after the fsync and before the put: the line is only here.
        try first.local.write(line: first.local.sealed(JournalEvent(seq: 2, at: "2026-12-05T18:45:00Z", t: 2, event: .note)))
        #expect(storeEvents(store).count == 2)
        let resumed = try Session(store: store, dir: dir, lastSeq: 2, clock: clock)
        try resumed.write(.runResumed)
        #expect(storeEvents(store) == resumed.lines)
        #expect(resumed.events.map(\.seq) == [0, 1, 2, 3])
    }

    @Test func aResumedSessionThatFindsNoStorePutsTheLastLineWithTheBacklog() throws {
        let dir = try temporaryFolder()
        let first = try Session(store: store, dir: dir, clock: clock)
        try first.write(.runStarted)
        try first.write(.note, value: "put")
        try first.local.write(line: first.local.sealed(JournalEvent(seq: 2, at: "2026-12-05T18:45:00Z", t: 2, event: .note)))
        let resumed = try Session(store: store, dir: dir, lastSeq: 2, clock: clock)
        store.down = true
        #expect(try resumed.write(.runResumed).map(\.event) == [.runUnshared])
        store.down = false
        clock.advance(by: .seconds(15))
        #expect(try resumed.write(.note, value: "back").map(\.event) == [.runShared])
        // Line 2 went with the backlog: the store has every line, once, in order.
        #expect(storeEvents(store) == resumed.lines)
        #expect(resumed.events.map(\.seq) == Array(0..<resumed.events.count))
    }

    @Test func aResumedSessionWhoseLastLineLostItsPlaceStops() throws {
        let dir = try temporaryFolder()
        let first = try Session(store: store, dir: dir, clock: clock)
        try first.write(.runStarted)
        try first.local.write(line: first.local.sealed(JournalEvent(seq: 1, at: "2026-12-05T18:45:00Z", t: 1, event: .note)))
        let other = try first.local.sealed(JournalEvent(seq: 1, at: "2026-12-05T18:46:00Z", t: 1, event: .handoff))
        store.setObject(try StoreEvents(store: store).eventKey(runID: "r1", seq: 1), other)
        let resumed = try Session(store: store, dir: dir, lastSeq: 1, clock: clock)
        let error = #expect(throws: JournalError.self) { try resumed.write(.runResumed) }
        #expect(error?.message.contains("another machine's event 1") == true)
        #expect(storeEvents(store).count == 2, "nothing written after another machine's event")
    }

    @Test func localTailIsPutKeptOrTakenBack() throws {
        let events = StoreEvents(store: store)
        let dir = try temporaryFolder()
        let s = try Session(store: store, dir: dir, clock: clock)
        try s.write(.runStarted)
        try s.write(.note, value: "shared")
        let tail = LocalTail(store: store, runID: "r1")
        #expect(try tail.settle(journal: s.local.path) == .inStore)
        // One line ahead: put.
        try s.local.write(line: s.local.sealed(JournalEvent(seq: 2, at: "2026-12-05T18:45:00Z", t: 2, event: .note)))
        #expect(try tail.settle(journal: s.local.path) == .inStore)
        #expect(storeEvents(store) == s.lines)
        // One line ahead, another machine's in its place: taken back.
        let mine = try s.local.sealed(JournalEvent(seq: 3, at: "2026-12-05T18:45:00Z", t: 3, event: .note))
        try s.local.write(line: mine)
        let theirs = try s.local.sealed(JournalEvent(seq: 3, at: "2026-12-05T18:47:00Z", t: 3, event: .handoff))
        #expect(try events.append(runID: "r1", seq: 3, bytes: theirs) == .written)
        #expect(try tail.settle(journal: s.local.path) == .takenBack(seq: 3))
        #expect(s.lines == Array(storeEvents(store).prefix(3)))
        #expect(s.lines.count == 3)
    }

    @Test func localTailLeavesABacklogAndAnUnrelatedHistoryAlone() throws {
        let s = try Session(store: store, dir: try temporaryFolder(), clock: clock)
        try s.write(.runStarted)
        store.down = true
        try s.write(.note, value: "alone")
        store.down = false
        let tail = LocalTail(store: store, runID: "r1")
        let stored = storeEvents(store)
        #expect(try tail.settle(journal: s.local.path) == nil)
        #expect(storeEvents(store) == stored, "the backlog is the session's to put, in order")
        // A journal the store never had (a run begun without it): left alone.
        let path = try temporaryFolder() + "/journal.jsonl"
        let plain = try FileJournal(path: path)
        for seq in 0..<3 { try plain.append(JournalEvent(seq: seq, at: "2026-12-05T18:45:00Z", t: Double(seq), event: seq == 0 ? .runStarted : .note)) }
        let bytes = try Paths.read(path)
        #expect(try LocalTail(store: store, runID: "r2").settle(journal: path) == nil)
        #expect(try Paths.read(path) == bytes)
        #expect(storeEvents(store, runID: "r2").isEmpty)
    }
}
