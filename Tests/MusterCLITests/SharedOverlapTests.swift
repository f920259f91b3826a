#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterBasics
import MusterEngine
import MusterJournal
import MusterTestSupport
import Testing

/// A shared run writes each event's line to its journal (write + fsync)
/// while the store's conditional put of the same line is in flight; the
/// event counts as written when both are done. These drive the endings a
/// machine can see for real: moto behind a proxy that loses a put's answer
/// or never passes the put on, and a muster killed with the put in flight.
/// (A put lost to another machine, a put whose answer is lost, and a store
/// gone mid-run are in SharedStoreTests: the local journal equals the
/// store's after each.)
@Suite("A shared run's fsync and put at once", .serialized)
struct SharedOverlapTests {
    /// Machine A's run stopped by SIGKILL with event 2 (the first step's
    /// start) durable in its journal and its put never arrived at the store.
    func killedWithAPutOnItsWay() throws -> (TwoMachines, String, [UInt8]) {
        let m = try TwoMachines(stallPut: 2)
        try """
        muster: 1
        name: overlap
        title: Overlapped writes
        steps:
          - id: first
            title: First
            idempotent: true
            run: echo ran >> \(m.dir)/count
          - id: last
            title: Last
            run: echo last
        """.write(toFile: m.repo + "/runbooks/overlap.yaml", atomically: true, encoding: .utf8)
        // Far longer than the test waits: only the kill ends the put.
        m.extraEnv["MUSTER_STORE_TIMEOUT"] = "120"
        let a = try m.live("a", ["run", "overlap", "--yes", "--store", m.url])
        try waitUntil("event 2 in machine A's journal: \(a.stdout)\n\(a.stderr)", timeout: 60) {
            !a.isRunning || m.runID("a").map { TwoMachines.events(m.journal("a", $0)).count >= 2 } == true
        }
        a.kill()
        _ = finished(a)
        m.extraEnv["MUSTER_STORE_TIMEOUT"] = nil
        let id = try #require(m.runID("a"))
        let local = m.journal("a", id)
        #expect(TwoMachines.events(local).map(\.event) == [.runStarted, .stepStarted])
        #expect(try m.log().events(runID: id).map(\.seq) == [1], "the store never got event 2")
        #expect(m.count == 0, "nothing acts before its event is both durable here and in the store")
        return (m, id, local)
    }

    @Test func aLineTheStoreNeverGotIsPutWhenTheRunIsResumed() throws {
        let (m, id, local) = try killedWithAPutOnItsWay()
        let r = try m.run("a", ["resume", id, "--yes", "--store", m.url])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let after = m.journal("a", id)
        #expect(after.starts(with: local), "the line is kept, under its number")
        #expect(String(decoding: try m.storeBytes(id), as: UTF8.self) == String(decoding: after, as: UTF8.self))
        let events = TwoMachines.events(after)
        #expect(events.map(\.seq) == Array(1...events.count))
        #expect(events.last?.event == .runFinished)
        #expect(m.count == 1)
        let v = try m.run("a", ["verify", id])
        #expect(v.status == 0 && v.stdout.contains("is intact"), "\(v.stdout)\n\(v.stderr)")
    }

    @Test func aLineWhosePlaceAnotherMachineWonIsTakenBackWhenTheRunIsResumed() throws {
        let (m, id, _) = try killedWithAPutOnItsWay()
        // B takes the silent run over: its hand-off takes seq 2 in the store.
        let b = try m.run("b", ["takeover", id, "--reason", "A died", "--yes", "--store", m.url])
        #expect(b.status == 0, "\(b.stdout)\n\(b.stderr)")
        #expect(m.count == 1, "the first step ran on B")
        let store = try m.storeBytes(id)
        #expect(TwoMachines.events(store)[1].event == .handoff)
        // A's own follower has shown A's event 2; it reads on from there.
        let f = try m.live("a", ["follow", id, "--json"])
        try waitUntil("event 2 in the follower's output: \(f.stdout)\n\(f.stderr)", timeout: 60) {
            !f.isRunning || f.stdout.contains("\"step_started\"")
        }
        let r = try m.run("a", ["resume", id, "--yes", "--store", m.url])
        #expect(!(r.stdout + r.stderr).contains("two histories"), "\(r.stdout)\n\(r.stderr)")
        let after = m.journal("a", id)
        #expect(String(decoding: after, as: UTF8.self) == String(decoding: store, as: UTF8.self), "A's line 2 is gone; B's events follow A's line 1")
        #expect(m.count == 1)
        let v = try m.run("a", ["verify", id])
        #expect(v.status == 0 && v.stdout.contains("is intact"), "\(v.stdout)\n\(v.stderr)")
        #expect(finished(f) == 0, "\(f.stdout)\n\(f.stderr)")
        // What the follower showed, the last line it showed for each seq
        // taken: the journal as it now is.
        var shown: [Int: String] = [:]
        var order: [Int] = []
        for line in f.stdout.split(separator: "\n") {
            guard let e = TwoMachines.events(Array((line + "\n").utf8)).first else { continue }
            if shown[e.seq] == nil { order.append(e.seq) }
            shown[e.seq] = String(line)
        }
        #expect(order.map { shown[$0]! + "\n" }.joined() == String(decoding: after, as: UTF8.self))
    }

    @Test func aLocalWriteThatFailsAfterThePutWonStopsTheRunAndResumeTakesTheEventFromTheStore() throws {
        let m = try TwoMachines()
        try """
        muster: 1
        name: overlap
        title: Overlapped writes
        steps:
          - id: first
            title: First
            run: echo ran >> \(m.dir)/count
          - id: last
            title: Last
            run: echo last
        """.write(toFile: m.repo + "/runbooks/overlap.yaml", atomically: true, encoding: .utf8)
        // The same run on machine C, to size its lines: the same lengths but
        // for a few digits of time.
        #expect(try m.run("c", ["run", "overlap", "--yes", "--store", m.url]).status == 0)
        let c = try #require(m.runID("c"))
        let sizes = m.journal("c", c).split(separator: UInt8(ascii: "\n")).map { $0.count + 1 }
        #expect(sizes.count >= 4)
        // A's files may not grow past the middle of its third line (the first
        // step's end): that write fails (EFBIG, SIGXFSZ ignored) while its put
        // goes through, as a full disk would.
        let limit = sizes[0] + sizes[1] + sizes[2] / 2
        let limited = m.dir + "/muster-limited"
        try "#!/bin/sh\ntrap '' XFSZ\nexec prlimit --fsize=\(limit) '\(musterBinary)' \"$@\"\n".write(toFile: limited, atomically: true, encoding: .utf8)
        chmod(limited, 0o755)
        let r = try muster(["run", "overlap", "--yes", "--store", m.url], cwd: m.repo, env: m.env("a"), executable: limited)
        #expect(r.status == 3, "\(r.stdout)\n\(r.stderr)")
        #expect((r.stdout + r.stderr).contains("cannot write to the journal"), "\(r.stdout)\n\(r.stderr)")
        let id = try #require(m.runID("a"))
        let local = m.journal("a", id)
        let stored = try m.storeBytes(id)
        #expect(TwoMachines.events(local).count == 2)
        #expect(TwoMachines.events(stored).count == 3, "the store took event 3")
        #expect(stored.starts(with: local))
        let resumed = try m.run("a", ["resume", id, "--yes", "--store", m.url])
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
        let after = m.journal("a", id)
        #expect(String(decoding: try m.storeBytes(id), as: UTF8.self) == String(decoding: after, as: UTF8.self))
        #expect(TwoMachines.events(after).filter { $0.event == .stepFinished && $0.step == "first" }.count == 1)
        #expect(m.count == 2, "one run on C, one on A: the step was not run again")
        let v = try m.run("a", ["verify", id])
        #expect(v.status == 0 && v.stdout.contains("is intact"), "\(v.stdout)\n\(v.stderr)")
    }
}
