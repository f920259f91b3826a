import Foundation
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterTeam
import MusterTesting
import Synchronization
import Testing

/// Requests from other machines: believed only with a proof bound to that
/// very request, checked by the identity provider, never by what they say.
@Suite struct IdentityBindingTests {
    let store = MemoryStore()
    let clock = TestClock()
    let alice = FakeIdentity(arn: "arn:aws:iam::123456789012:user/alice")
    let bob = FakeIdentity(arn: "arn:aws:iam::123456789012:user/bob")

    func inbox(warn: @escaping (String) -> Void = { _ in }) -> StoreInbox {
        StoreInbox(store: store, identity: alice, runID: "r1", settings: TeamSettings(), wallTime: wallTime(clock), warn: warn)
    }

    func approval(by who: String = "Bob") -> RequestBody { RequestBody(runID: "r1", kind: .approve, step: "cutover", host: "laptop", name: who) }

    @Test func requestProvedForItsOwnNameIsBelievedAsTheProviderSays() throws {
        try StoreInbox.submit(approval(by: "Alice (says the body)"), name: "b1.json", at: wallTime(clock)(), store: store, identity: bob, runID: "r1")
        let pending = inbox().pending(taken: [])
        #expect(pending.count == 1)
        let r = try #require(pending.first)
        // The name is what the provider says signed the proof, not what the body says.
        #expect(r.user == "bob")
        #expect(r.arn == "arn:aws:iam::123456789012:user/bob")
        #expect(r.kind == .approve && r.step == "cutover")
    }

    @Test func proofCopiedFromAnotherRequestIsRefused() throws {
        try StoreInbox.submit(approval(), name: "b1.json", at: wallTime(clock)(), store: store, identity: bob, runID: "r1")
        // Whoever can write to the bucket copies Bob's proof into a request of their own.
        var body = try JSONDecoder().decode(StoreInbox.Body.self, from: Data(try #require(store.object(store.key("runs/r1/requests/b1.json")))))
        body.request.kind = .takeover
        store.setObject(store.key("runs/r1/requests/forged.json"), Array(try JSONEncoder().encode(body)))
        var warned: [String] = []
        let box = inbox(warn: { warned.append($0) })
        #expect(box.pending(taken: []).map(\.id) == ["b1.json"])
        #expect(warned == ["a request from another machine (forged.json) was refused: STS did not accept the identity proof (SignatureDoesNotMatch)"])
        // Refused once, not asked again at every look.
        _ = box.pending(taken: [])
        #expect(warned.count == 1)
    }

    @Test func proofForAnotherRunIsRefused() throws {
        // Bob's proof for run r0, moved into r1's requests.
        try StoreInbox.submit(RequestBody(runID: "r1", kind: .approve, step: "cutover"), name: "b1.json", at: 0, store: store, identity: bob, runID: "r0")
        let bytes = try #require(store.object(store.key("runs/r0/requests/b1.json")))
        store.setObject(store.key("runs/r1/requests/b1.json"), bytes)
        var warned: [String] = []
        #expect(inbox(warn: { warned.append($0) }).pending(taken: []).isEmpty)
        #expect(warned.count == 1)
    }

    @Test func malformedRequestsAreSkippedWithoutAskingTheProvider() throws {
        try StoreInbox.submit(RequestBody(runID: "other-run", kind: .approve), name: "wrong-run.json", at: 0, store: store, identity: bob, runID: "r1")
        store.setObject(store.key("runs/r1/requests/junk.json"), Array("not json".utf8))
        store.setObject(store.key("runs/r1/requests/big.json"), [UInt8](repeating: 0x20, count: RequestBody.largest + 1))
        try StoreInbox.submit(approval(), name: "bad name\r\n.json", at: 0, store: store, identity: bob, runID: "r1")
        var warned: [String] = []
        #expect(inbox(warn: { warned.append($0) }).pending(taken: []).isEmpty)
        #expect(warned.isEmpty)
    }

    @Test func requestTakenInIsRemovedFromTheStore() throws {
        try StoreInbox.submit(approval(), name: "b1.json", at: 0, store: store, identity: bob, runID: "r1")
        let box = inbox()
        let r = try #require(box.pending(taken: []).first)
        box.taken(r)
        #expect(store.object(store.key("runs/r1/requests/b1.json")) == nil)
        #expect(box.pending(taken: ["b1.json"]).isEmpty)
    }

    @Test func requestNameTakenAlreadyIsNotOverwritten() throws {
        try StoreInbox.submit(approval(), name: "b1.json", at: 0, store: store, identity: bob, runID: "r1")
        let error = #expect(throws: StoreFailure.self) {
            try StoreInbox.submit(approval(), name: "b1.json", at: 0, store: store, identity: alice, runID: "r1")
        }
        #expect(error?.message == "a request named b1.json exists already in the store; try again")
        #expect(try #require(inbox().pending(taken: []).first).user == "bob")
    }

    @Test func takeoverRequestCountsUntilWithdrawnOrTooOld() throws {
        let takeover = RequestBody(runID: "r1", kind: .takeover, reason: "shift change")
        try StoreInbox.submit(takeover, name: "t1.json", at: wallTime(clock)(), store: store, identity: bob, runID: "r1")
        let box = inbox()
        let r = try #require(box.pending(taken: []).first)
        #expect(box.isWaiting(r))
        clock.advance(by: .seconds(599))
        #expect(box.isWaiting(r))
        clock.advance(by: .seconds(1))
        #expect(!box.isWaiting(r), "past takeoverLife (600 s)")
        try StoreInbox.submit(takeover, name: "t2.json", at: wallTime(clock)(), store: store, identity: bob, runID: "r1")
        let r2 = try #require(box.pending(taken: ["t1.json"]).first)
        #expect(box.isWaiting(r2))
        store.setObject(store.key("runs/r1/requests/t2.json"), nil)
        #expect(!box.isWaiting(r2), "withdrawn by its maker (Ctrl-C)")
    }

    @Test func sessionWatchWakesOnlyForANewRequest() async throws {
        let woken = WakeCount()
        let watch = SessionWatch(store: store, runID: "r1", live: [:], settings: TeamSettings(), clock: clock, wallTime: wallTime(clock))
        let task = Task { await watch.run(onArrival: { woken.add() }) }
        await clock.untilSleeping()
        #expect(woken.count == 0)
        try StoreInbox.submit(approval(), name: "b1.json", at: 0, store: store, identity: bob, runID: "r1")
        clock.advance(by: .seconds(2))
        await clock.untilSleeping()
        #expect(woken.count == 1)
        clock.advance(by: .seconds(2))
        await clock.untilSleeping()
        #expect(woken.count == 1, "the same request does not wake it again")
        task.cancel()
    }
}

final class WakeCount: Sendable {
    private let n = Mutex(0)
    func add() { n.withLock { $0 += 1 } }
    var count: Int { n.withLock { $0 } }
}
