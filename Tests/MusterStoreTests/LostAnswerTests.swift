import Foundation
import MusterStore
import MusterTestSupport
import Testing

/// A store whose answers get lost or never end: moto behind tcp_proxy.py
/// holding back the answer to a PUT it forwarded, and server.py answering
/// listings that never end.
@Suite("The shared store when its answers are lost", .serialized)
struct LostAnswerTests {
    let open = (key: "any", secret: "any")

    /// moto, the proxy in front of it, a store reaching moto through the
    /// proxy (giving up after 2 s), and one reaching moto directly.
    func setUp(hold: String) throws -> (moto: MotoStore, proxy: TCPProxy, store: S3Store, direct: S3Store) {
        let moto = try MotoStore(open: true)
        let proxy = try TCPProxy(to: moto.port, holdPut: hold)
        let store = try moto.store(moto.env(open, ["AWS_ENDPOINT_URL": "http://127.0.0.1:\(proxy.port)"]))
        store.timeout = 2
        return (moto, proxy, store, try moto.store(moto.env(open)))
    }

    @Test func aPutWhoseAnswerIsLostIsReadBackAndIsOurs() throws {
        let (moto, proxy, store, direct) = try setUp(hold: "1")
        defer { proxy.stop(); moto.stop() }
        final class Waits { var seconds: [Double] = [] }
        let waits = Waits()
        store.onWait = { waits.seconds.append($0) }
        let log = EventLog(store: store)
        let first = Array(#"{"seq":1}"#.utf8 + [10])
        #expect(try log.append(runID: "r", seq: 1, bytes: first) == .written)
        // The wait was said, from 2 s on.
        #expect(!waits.seconds.isEmpty && waits.seconds.allSatisfy { $0 >= 2 })
        let second = Array(#"{"seq":2}"#.utf8 + [10])
        #expect(try log.append(runID: "r", seq: 2, bytes: second) == .written)
        let events = try EventLog(store: direct).events(runID: "r")
        #expect(events.map(\.seq) == [1, 2])
        #expect(events.map(\.bytes) == [first, second])
    }

    @Test func aPutWhoseAnswerIsLostFindingAnotherWritersEventHasLost() throws {
        let (moto, proxy, store, direct) = try setUp(hold: "1")
        defer { proxy.stop(); moto.stop() }
        let theirs = Array(#"{"by":"b"}"#.utf8 + [10])
        #expect(try EventLog(store: direct).append(runID: "r", seq: 1, bytes: theirs) == .written)
        #expect(try EventLog(store: store).append(runID: "r", seq: 1, bytes: Array(#"{"by":"a"}"#.utf8 + [10])) == .lost(theirs))
        #expect(try EventLog(store: direct).events(runID: "r").map(\.bytes) == [theirs])
    }

    @Test func aStalledPutIsGivenUpFiveSecondsAfterTheSessionBeginsToStop() throws {
        let (moto, proxy, store, direct) = try setUp(hold: "all")
        defer { proxy.stop(); moto.stop() }
        // Far longer than the test may take: only the stop can end the put.
        store.timeout = 120
        final class Stop { var now = false }
        let stop = Stop()
        store.onWait = { _ in stop.now = true }
        store.stopping = { stop.now }
        let bytes = Array(#"{"seq":1}"#.utf8 + [10])
        let error = storeError { _ = try EventLog(store: store).append(runID: "r", seq: 1, bytes: bytes) }
        #expect(error?.kind == .unreachable)
        #expect(error?.outcomeUnknown == true, "the put reached the store: it may be there")
        #expect(error?.message.contains("the session is stopping") == true, "\(String(describing: error))")
        // The store did take it; a later put of the same bytes settles it.
        #expect(try EventLog(store: direct).append(runID: "r", seq: 1, bytes: bytes) == .written)
        // Once the grace is over, nothing more is sent.
        let next = storeError { _ = try store.get("team/anything") }
        #expect(next?.message.contains("was not sent") == true, "\(String(describing: next))")
    }

    /// A session watch's store at the session's end: its heartbeat must
    /// not outlive the process (libcurl inside OpenSSL at exit crashes it).
    @Test func anAbandonedStoreGivesUpAStalledPutWithoutAGrace() throws {
        let (moto, proxy, store, _) = try setUp(hold: "all")
        defer { proxy.stop(); moto.stop() }
        // The proxy holds every event put; far longer than the test may
        // take, and no stop: only abandoning can end the put.
        store.timeout = 120
        final class Over { var now = false }
        let over = Over()
        store.onWait = { _ in over.now = true }
        store.abandoned = { over.now }
        let error = storeError { try store.put("runs/r/events/live.json", Array("{}".utf8)) }
        #expect(error?.kind == .unreachable, "\(String(describing: error))")
        let next = storeError { _ = try store.get("team/anything") }
        #expect(next?.message.contains("was not sent") == true, "\(String(describing: next))")
    }

    @Test func aPutAnsweredWithAServerErrorIsReadBackAndFoundDone() throws {
        let server = try HTTPTestServer()
        let store = try loopStore(server, bucket: "s3flaky")
        let bytes = Array(#"{"seq":1}"#.utf8 + [10])
        #expect(try store.putIfAbsent("done-1", bytes) == .created)
        #expect(try store.get("done-1") == bytes)
        #expect(try store.putIfAbsent("done-2", bytes) == .created)
        #expect(try store.putIfAbsent("done-2", Array("other".utf8)) == .alreadyExists)
    }

    @Test func aPutAnsweredWithAServerErrorThatDidNothingIsPutAgain() throws {
        let server = try HTTPTestServer()
        let store = try loopStore(server, bucket: "s3flaky")
        let bytes = Array(#"{"seq":1}"#.utf8 + [10])
        #expect(try store.putIfAbsent("lost-1", bytes) == .created)
        #expect(try store.get("lost-1") == bytes)
        // Three puts failed and did nothing (the key read back empty), the fourth wrote it.
        #expect(try store.get("lost-1/puts").map { String(decoding: $0, as: UTF8.self) } == "4")
    }

    func loopStore(_ server: HTTPTestServer, bucket: String = "s3loop") throws -> S3Store {
        try S3Store(path: StorePath(parsing: "s3://\(bucket)"), settings: StoreSettings.resolve(environment: [
            "HOME": "/nonexistent", "AWS_ENDPOINT_URL": server.base, "AWS_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "any", "AWS_SECRET_ACCESS_KEY": "any",
        ]))
    }

    @Test func aListingWhoseTokensGoRoundInACircleEndsInAnError() throws {
        let server = try HTTPTestServer()
        let store = try loopStore(server)
        let error = storeError { _ = try store.list(prefix: "runs/") }
        #expect(error?.message.contains("continuation token it had given before") == true, "\(String(describing: error))")
        #expect(error?.message.contains("after 3 pages") == true, "A, B, then A again")
    }

    @Test func aListingThatNeverEndsStopsAtThePageCap() throws {
        let server = try HTTPTestServer()
        let store = try loopStore(server)
        store.maxListPages = 40
        let error = storeError { _ = try store.list(prefix: "endless/") }
        #expect(error?.message.contains("goes on past 40 pages") == true, "\(String(describing: error))")
    }
}
