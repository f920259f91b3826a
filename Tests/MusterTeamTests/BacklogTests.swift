import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterTeam
import MusterTesting
import Testing

/// Going on alone while the store is unreachable, and catching up: every
/// event reaches the store once, in order, whatever answers were lost.
@Suite struct BacklogTests {
    let store = MemoryStore()
    let clock = TestClock()

    @Test func eventsWrittenAloneAreSentInOrderOnceTheStoreAnswers() throws {
        let s = try Session(store: store, dir: try temporaryFolder(), clock: clock)
        try s.write(.runStarted)
        store.down = true
        let added = try s.write(.stepStarted)
        #expect(added.map(\.event) == [.runUnshared])
        #expect(s.console.text.contains("--yes: going on alone"))
        try s.write(.note, value: "alone 1")
        // Not yet time to try again: nothing asked of the store.
        clock.advance(by: .seconds(14))
        let asked = store.calls.count
        try s.write(.note, value: "alone 2")
        #expect(store.calls.count == asked)
        #expect(storeEvents(store).count == 1)
        store.down = false
        try s.write(.note, value: "still alone: not tried before 15 s")
        #expect(storeEvents(store).count == 1)
        clock.advance(by: .seconds(1))
        let back = try s.write(.note, value: "shared again")
        #expect(back.map(\.event) == [.runShared])
        #expect(s.console.text.contains("the run is shared again"))
        // The store holds exactly the local journal: one object per event, in order.
        #expect(storeEvents(store) == s.lines)
        #expect(s.events.map(\.seq) == Array(0..<s.events.count))
        // The event whose put found no store was journaled as it was put:
        // it is the backlog's first line, before `run_unshared`.
        #expect(s.events.map(\.event) == [.runStarted, .stepStarted, .runUnshared, .note, .note, .note, .runShared, .note])
    }

    @Test func runResumedUnsharedCatchesUpAtItsFirstEvent() throws {
        let dir = try temporaryFolder()
        let first = try Session(store: store, dir: dir, clock: clock)
        try first.write(.runStarted)
        store.down = true
        try first.write(.note, value: "alone")
        // The session ends alone; the next one resumes the run from its journal, the store back.
        store.down = false
        let resumed = try Session(store: store, dir: dir, lastSeq: first.next - 1, unshared: "the store was unreachable", clock: clock)
        resumed.next = first.next
        #expect(try resumed.write(.runResumed).map(\.event) == [.runShared])
        #expect(storeEvents(store) == resumed.lines)
    }

    @Test func retryIntervalIsASetting() throws {
        var settings = TeamSettings()
        settings.retryEvery = .seconds(1)
        let s = try Session(store: store, dir: try temporaryFolder(), clock: clock, settings: settings)
        try s.write(.runStarted)
        store.down = true
        try s.write(.note)
        store.down = false
        clock.advance(by: .seconds(1))
        #expect(try s.write(.note).map(\.event) == [.runShared])
        #expect(storeEvents(store) == s.lines)
    }

    @Test func eventWhoseReplyWasLostAfterTheWriteIsNeitherLostNorDoubled() throws {
        let s = try Session(store: store, dir: try temporaryFolder(), clock: clock)
        try s.write(.runStarted)
        store.inject(.loseReply, on: .putIfAbsent)
        let added = try s.write(.stepStarted)
        // The store took it; the session cannot tell, keeps it, and goes on alone after it.
        #expect(added.map(\.event) == [.runUnshared])
        #expect(s.events.map(\.event) == [.runStarted, .stepStarted, .runUnshared])
        #expect(storeEvents(store).count == 2)
        try s.write(.note, value: "alone")
        clock.advance(by: .seconds(15))
        try s.write(.note, value: "after")
        #expect(storeEvents(store) == s.lines)
        #expect(s.events.map(\.event) == [.runStarted, .stepStarted, .runUnshared, .note, .runShared, .note])
    }

    @Test func lostReplyOfABacklogPutIsSettledByTheNextTry() throws {
        let s = try Session(store: store, dir: try temporaryFolder(), clock: clock)
        try s.write(.runStarted)
        store.down = true
        try s.write(.note, value: "a")
        try s.write(.note, value: "b")
        store.down = false
        // The first backlog put lands but its answer is lost: still alone.
        store.inject(.loseReply, on: .putIfAbsent)
        clock.advance(by: .seconds(15))
        #expect(try s.write(.note, value: "c").isEmpty)
        #expect(storeEvents(store).count == 2)
        clock.advance(by: .seconds(15))
        #expect(try s.write(.note, value: "d").map(\.event) == [.runShared])
        #expect(storeEvents(store) == s.lines)
    }

    @Test func anotherMachineWritingWhileAloneStopsTheCatchUp() throws {
        let s = try Session(store: store, dir: try temporaryFolder(), clock: clock)
        try s.write(.runStarted)
        store.down = true
        try s.write(.note, value: "mine")
        store.down = false
        let other = try Session(store: store, dir: try temporaryFolder(), lastSeq: -1, clock: clock)
        _ = try? other.write(.runStarted)
        try other.write(.handoff, value: "bob")
        clock.advance(by: .seconds(15))
        let error = #expect(throws: JournalError.self) { try s.write(.note, value: "later") }
        #expect(error?.message.contains("while this session went on alone, so the run now has two histories") == true)
        // Nothing of this machine's was written over the other's.
        #expect(storeEvents(store) == other.lines)
    }

    @Test func storeThatRefusesStopsTheRunInsteadOfGoingAlone() throws {
        let s = try Session(store: store, dir: try temporaryFolder(), clock: clock)
        try s.write(.runStarted)
        store.inject(.refused, on: .putIfAbsent)
        let error = #expect(throws: JournalError.self) { try s.write(.note) }
        #expect(error?.message.contains("refused event 1: the store refused") == true)
        #expect(error?.superseded == nil)
        #expect(s.events.count == 1)
    }

    @Test func operatorAskedWhileTheStoreIsDownMayPause() throws {
        var woken = false
        let s = try Session(store: store, dir: try temporaryFolder(), answers: [.signal(.inboxWake), .line("a")], yes: false, clock: clock,
                            wake: { woken = true })
        try s.write(.runStarted)
        store.down = true
        let error = #expect(throws: JournalError.self) { try s.write(.note) }
        #expect(error?.pause?.contains("cannot be reached; `muster resume` continues") == true)
        #expect(s.console.questions == ["Go on without the shared store?", "Go on without the shared store?"])
        // The request that woke the question is passed on to the executor.
        #expect(woken)
        // The note was journaled as it was put: the backlog's first line.
        #expect(s.events.map(\.event) == [.runStarted, .note, .runUnshared])
    }

    @Test func damagedEventInTheStoreIsNotTakenIn() throws {
        let s = try Session(store: store, dir: try temporaryFolder(), clock: clock)
        try s.write(.runStarted)
        store.setObject(store.key("runs/r1/events/000000000001.json"), Array("{\"seq\":1}\n{\"seq\":2}\n".utf8))
        let error = #expect(throws: JournalError.self) { try s.write(.note) }
        #expect(error?.message.contains("which is not event 1 of run r1 as Muster writes it") == true)
        #expect(error?.superseded == nil)
        #expect(s.events.count == 1)
    }
}
