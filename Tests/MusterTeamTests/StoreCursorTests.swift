import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterTeam
import MusterTesting
import Testing

/// Following a run from the store: everything once, in order, and each
/// poll after the first costs one GET, never a LIST.
@Suite struct StoreCursorTests {
    let store = MemoryStore()
    let clock = TestClock()

    @Test func firstReadListsThenEachPollIsOneGetOfTheNextKey() throws {
        let s = try Session(store: store, dir: try temporaryFolder(), clock: clock)
        try s.write(.runStarted)
        try s.write(.stepStarted)
        var cursor = StoreCursor(store: store, runID: "r1")
        #expect(try cursor.poll().map(\.bytes) == s.lines)
        let before = store.calls.count
        #expect(try cursor.poll().isEmpty)
        #expect(store.calls.dropFirst(before).map(\.0) == [.get])
        #expect(store.calls.last?.1 == store.key("runs/r1/events/000000000002.json"))
        try s.write(.note, value: "new")
        let new = try cursor.poll()
        #expect(new.map(\.seq) == [2])
        #expect(try cursor.event(new[0].bytes, seq: 2).value == "new")
        #expect(try cursor.poll().isEmpty, "read once, not again")
        #expect(!store.calls.dropFirst(before).contains { $0.0 == .list })
    }

    @Test func unreachableStoreIsReadAgainWhereItStopped() throws {
        let s = try Session(store: store, dir: try temporaryFolder(), clock: clock)
        try s.write(.runStarted)
        var cursor = StoreCursor(store: store, runID: "r1")
        #expect(try cursor.poll().count == 1)
        try s.write(.note)
        store.down = true
        let error = #expect(throws: StoreFailure.self) { try cursor.poll() }
        #expect(error?.kind == .unreachable)
        store.down = false
        #expect(try cursor.poll().map(\.seq) == [1])
    }

    @Test func objectThatIsNotAnEventIsNamedNotTakenIn() throws {
        store.setObject(store.key("runs/r1/events/000000000000.json"), Array("{\"seq\":7}\n".utf8))
        var cursor = StoreCursor(store: store, runID: "r1")
        let read = try cursor.poll()
        let error = #expect(throws: StoreFailure.self) { try cursor.event(read[0].bytes, seq: 0) }
        #expect(error?.message.contains("holds team/runs/r1/events/000000000000.json, which is not event 0 of run r1") == true)
        // It is passed by: the next poll asks for the event after it.
        #expect(try cursor.poll().isEmpty)
        #expect(store.calls.last?.1 == store.key("runs/r1/events/000000000001.json"))
    }
}
