import Foundation
import MusterStore
import MusterTestSupport
import Testing

/// Against a moto that does not check signatures: its check re-encodes a
/// query's `/` differently from botocore and libcurl (see moto_store.py);
/// CredentialsTests check signing.
@Suite("The shared store's event log against moto", .serialized)
struct EventLogTests {
    let open = (key: "any", secret: "any")

    @Test func theSecondPutOfAKeyLosesAndLearnsWhatIsThere() throws {
        let moto = try MotoStore(open: true)
        let store = try moto.store(moto.env(open))
        #expect(try store.putIfAbsent("team/first", Array("one".utf8)) == .created)
        #expect(try store.putIfAbsent("team/first", Array("two".utf8)) == .alreadyExists)
        #expect(try store.get("team/first") == Array("one".utf8))
        #expect(try store.get("team/none") == nil)

        let log = EventLog(store: store)
        #expect(try log.append(runID: "r1", seq: 0, bytes: Array(#"{"a":1}"#.utf8)) == .written)
        #expect(try log.append(runID: "r1", seq: 0, bytes: Array(#"{"b":2}"#.utf8)) == .lost(Array(#"{"a":1}"#.utf8)))
        // The same bytes again (a retried put whose answer was lost): written.
        #expect(try log.append(runID: "r1", seq: 0, bytes: Array(#"{"a":1}"#.utf8)) == .written)
        #expect(try store.list(prefix: "team/runs/").keys == ["team/runs/r1/events/000000000000.json"])
    }

    @Test func twoMachinesAppendingTheSameEventExactlyOneWins() throws {
        let moto = try MotoStore(open: true)
        let rounds = 12
        final class Results: @unchecked Sendable {
            var outcomes: [[EventLog.Append?]] = [Array(repeating: nil, count: 12), Array(repeating: nil, count: 12)]
            var errors: [String] = []
            var arrived = [0, 0]
            var finished = 0
            /// Woken at each change, so nobody polls.
            let lock = NSCondition()
            /// Both machines start each event together, so most rounds are real races.
            func meet(_ machine: Int, _ seq: Int) {
                lock.withLock {
                    arrived[machine] = seq + 1
                    lock.broadcast()
                    let deadline = Date().addingTimeInterval(30)
                    while arrived[1 - machine] <= seq && errors.isEmpty, lock.wait(until: deadline) {}
                }
            }
        }
        let results = Results()
        let env = moto.env(open)
        let threads = (0..<2).map { machine in
            Thread {
                do {
                    // Each machine its own store (its own connection).
                    let log = try EventLog(store: S3Store(path: StorePath(parsing: "s3://muster-runs/race"), settings: StoreSettings.resolve(environment: env)))
                    for seq in 0..<rounds {
                        results.meet(machine, seq)
                        let outcome = try log.append(runID: "run", seq: seq, bytes: Array("machine \(machine) event \(seq)".utf8))
                        results.lock.withLock { results.outcomes[machine][seq] = outcome }
                    }
                } catch {
                    results.lock.withLock { results.errors.append("\(error)") }
                }
                results.lock.withLock {
                    results.finished += 1
                    results.lock.broadcast()
                }
            }
        }
        threads.forEach { $0.start() }
        results.lock.withLock { while results.finished < threads.count { results.lock.wait() } }
        #expect(results.errors.isEmpty, "\(results.errors)")
        let log = EventLog(store: try moto.store(env, "s3://muster-runs/race"))
        let stored = try log.events(runID: "run")
        #expect(stored.map(\.seq) == Array(0..<rounds))
        for seq in 0..<rounds {
            let pair = [results.outcomes[0][seq], results.outcomes[1][seq]]
            let winners = pair.enumerated().filter { $0.element == .written }.map(\.offset)
            #expect(winners.count == 1, "event \(seq): \(pair)")
            guard let winner = winners.first else { continue }
            let winnerBytes = Array("machine \(winner) event \(seq)".utf8)
            #expect(pair[1 - winner] == .lost(winnerBytes), "the loser of event \(seq) learns the winner's bytes")
            #expect(stored[seq].bytes == winnerBytes)
        }
    }

    @Test func listingFollowsContinuationAndEventsReadInOrder() throws {
        let moto = try MotoStore(open: true)
        let store = try moto.store(moto.env(open))
        let log = EventLog(store: store)
        for seq in 0..<23 { #expect(try log.append(runID: "2026-06-01-a", seq: seq, bytes: Array("e\(seq)".utf8)) == .written) }
        #expect(try log.append(runID: "2026-06-02-b", seq: 0, bytes: Array("x".utf8)) == .written)
        // Pages of 4 keys: six requests, each continuing the one before.
        let first = try store.listPage(prefix: "team/runs/2026-06-01-a/", maxKeys: 4)
        #expect(first.keys.count == 4)
        #expect(first.next != nil)
        let all = try store.list(prefix: "team/runs/2026-06-01-a/", pageSize: 4)
        let eventKeys = (0..<23).map { (n: Int) -> String in "team/runs/2026-06-01-a/events/" + String(format: "%012d", n) + ".json" }
        #expect(all.keys == eventKeys)
        #expect(try log.events(runID: "2026-06-01-a").map { String(decoding: $0.bytes, as: UTF8.self) } == (0..<23).map { "e\($0)" })
        #expect(try log.events(runID: "2026-06-01-a", after: 19).map(\.seq) == [20, 21, 22])
        #expect(try log.events(runID: "2026-06-01-a", after: 22).isEmpty)
        #expect(try log.runs() == ["2026-06-01-a", "2026-06-02-b"])
        #expect(storeError { _ = try log.append(runID: "a/b", seq: 1, bytes: []) }?.kind == .configuration)
        #expect(storeError { _ = try log.append(runID: "a", seq: -1, bytes: []) }?.kind == .configuration)
    }

    @Test func keysAreDataWhateverTheyHold() throws {
        let moto = try MotoStore(open: true)
        let store = try moto.store(moto.env(open), "s3://muster-runs")
        let keys = ["a b", "x+y", "q?r=1&s", "h#frag", "p%20q", "ünï/çødé", "dots/../x", "semi;colon,comma", "tilde~star*", "sp ace/"]
        for (i, key) in keys.enumerated() {
            #expect(try store.putIfAbsent("k/" + key, Array("v\(i)".utf8)) == .created, "\(key)")
        }
        for (i, key) in keys.enumerated() {
            #expect(try store.get("k/" + key) == Array("v\(i)".utf8), "\(key)")
            #expect(try store.putIfAbsent("k/" + key, []) == .alreadyExists, "\(key)")
        }
        #expect(Set(try store.list(prefix: "k/").keys) == Set(keys.map { "k/" + $0 }))
        #expect(try store.list(prefix: "k/ü").keys == ["k/ünï/çødé"])
    }
}
