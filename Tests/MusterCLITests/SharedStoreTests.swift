#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterApp
import MusterStore
import MusterTestSupport
import Testing

/// Two machines sharing runs through the S3 store: two state folders
/// (MUSTER_STATE_DIR) against one moto. moto runs unchecked here (its
/// signature check rejects the `/` of a listing prefix; see moto_store.py),
/// except where the credentials must be refused. The moto is the test
/// process's shared one (MotoStore.shared); each pair of machines has a
/// prefix of its own in it and a proxy of its own in front of it, so a test
/// that stops "the store" stops only its proxy.
final class TwoMachines {
    let moto: MotoStore
    let proxy: TCPProxy
    let dir: String
    let repo: String
    let url = "s3://muster-runs/team-\(UUID().uuidString.prefix(8).lowercased())"
    static let anyone = (key: "AKIDTESTING", secret: "not-a-secret")

    /// Set in every muster process's environment.
    var extraEnv: [String: String] = [:]

    /// `holdPut`: the proxy forwards that PUT of an event but never passes
    /// its answer back (tcp_proxy.py).
    /// `stallPut`: that PUT of an event never reaches moto nor is answered.
    init(checked: Bool = false, holdPut: String? = nil, stallPut: Int? = nil) throws {
        moto = try MotoStore.shared(open: !checked)
        // The muster processes reach moto through a proxy the tests can stop.
        proxy = try TCPProxy(to: moto.port, holdPut: holdPut, stallPut: stallPut)
        dir = try temporaryDirectory()
        repo = dir + "/repo"
        try FileManager.default.createDirectory(atPath: repo + "/runbooks", withIntermediateDirectories: true)
        try """
        muster: 1
        name: shared
        title: A shared run
        steps:
          - id: first
            title: First
            run: echo ran >> \(dir)/count
          - id: check
            title: Look at the dashboards
            manual: [Dashboards green]
          - id: again
            title: Look again
            manual: [Still green]
          - id: last
            title: Last
            run: echo last
        """.write(toFile: repo + "/runbooks/shared.yaml", atomically: true, encoding: .utf8)
    }

    deinit { _ = try? sh("rm -rf '\(dir)'", cwd: "/") }

    func env(_ machine: String, _ who: (key: String, secret: String)? = nil) -> [String: String] {
        var e = moto.env(who ?? Self.anyone, ["MUSTER_STATE_DIR": "\(dir)/\(machine)"])
        e["AWS_ENDPOINT_URL"] = "http://127.0.0.1:\(proxy.port)"
        // A session silent for 3 s counts as gone: a takeover after a kill
        // does not wait the default 45 s.
        e["MUSTER_STORE_LEASE"] = "3"
        for (k, v) in extraEnv { e[k] = v }
        return e
    }

    func run(_ machine: String, _ args: [String], stdin: String = "", who: (key: String, secret: String)? = nil) throws -> Result {
        try muster(args, cwd: repo, stdin: stdin, env: env(machine, who))
    }

    func live(_ machine: String, _ args: [String]) throws -> LiveMuster {
        try LiveMuster(args, cwd: repo, env: env(machine))
    }

    func runID(_ machine: String) -> String? {
        try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/\(machine)/runs").sorted().last
    }

    func journal(_ machine: String, _ id: String) -> [UInt8] {
        (try? Paths.read("\(dir)/\(machine)/runs/\(id)/journal.jsonl")) ?? []
    }

    /// The store's events of `id`, read directly (as a third machine would).
    func log() throws -> EventLog {
        try EventLog(store: S3Store(path: StorePath(parsing: url), settings: StoreSettings.resolve(environment: moto.env(Self.anyone))))
    }

    func storeBytes(_ id: String) throws -> [UInt8] { try log().events(runID: id).flatMap(\.bytes) }

    /// Puts in the store, as another machine would, the event after the
    /// last one machine A journaled (chained onto it); returns A's last seq.
    @discardableResult
    func writeAsAnotherMachine(_ id: String, _ kind: JournalEvent.Kind, _ fill: (inout JournalEvent) -> Void) throws -> Int {
        let last = Self.events(journal("a", id)).last!.seq
        var e = JournalEvent(seq: last + 1, at: "2026-11-29T10:00:00Z", t: 1, event: kind)
        fill(&e)
        let line = try FileJournal(path: "\(dir)/a/runs/\(id)/journal.jsonl").sealed(e)
        #expect(try log().append(runID: id, seq: last + 1, bytes: line) == .written)
        return last
    }

    static func events(_ bytes: [UInt8]) -> [JournalEvent] { (try? FileJournal.parse(bytes, path: "").events) ?? [] }

    var count: Int { ((try? String(contentsOfFile: dir + "/count", encoding: .utf8)) ?? "").split(separator: "\n").count }
}

/// Waits for a live muster to end (SIGKILL after `seconds`).
func finished(_ m: LiveMuster, within seconds: Double = 60) -> Int32 {
    if !eventually(within: seconds, { !m.isRunning }) {
        Issue.record("muster still running after \(seconds)s; killed")
        m.kill()
    }
    m.process.waitUntilExit()
    m.closeInput()
    _ = eventually(within: 5) { m.outputEnded }
    return m.process.terminationStatus
}

@Suite("Runs shared through the S3 store", .serialized)
struct SharedStoreTests {
    @Test func everyEventIsInTheStoreAsTheLocalJournalHasIt() throws {
        let m = try TwoMachines()
        let r = try m.run("a", ["run", "shared", "--yes", "--store", m.url])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("shared through \(m.url) as arn:"))
        let id = try #require(m.runID("a"))
        let local = m.journal("a", id)
        #expect(!local.isEmpty)
        #expect(try m.storeBytes(id) == local)
        let keys = try m.log().events(runID: id).map(\.seq)
        #expect(keys == Array(1...keys.count))
        let started = TwoMachines.events(local).first { $0.event == .runStarted }
        #expect(started?.run?.identity?.hasPrefix("arn:aws:") == true)
        // The journal's chain holds across the store's copy too.
        #expect(try m.run("a", ["verify", id]).status == 0)
    }

    /// The store's copy of run `id`, put in machine `machine`'s state
    /// folder as its journal, verified there as `muster verify` would.
    func verifyStoreCopy(_ m: TwoMachines, _ id: String, on machine: String) throws -> Result {
        try FileManager.default.createDirectory(atPath: "\(m.dir)/\(machine)/runs/\(id)", withIntermediateDirectories: true)
        try Data(try m.storeBytes(id)).write(to: URL(fileURLWithPath: "\(m.dir)/\(machine)/runs/\(id)/journal.jsonl"))
        return try muster(["verify", id], cwd: m.repo, env: m.env(machine))
    }

    @Test func aPutWhoseAnswerIsLostIsReadBackAndTheRunGoesOn() throws {
        let m = try TwoMachines(holdPut: "2")
        m.extraEnv["MUSTER_STORE_TIMEOUT"] = "3"
        let r = try m.run("a", ["run", "shared", "--yes", "--store", m.url])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("waiting for the store — 2s"), "\(r.stdout)")
        #expect(!r.stdout.contains("cannot be reached"), "\(r.stdout)")
        let id = try #require(m.runID("a"))
        let local = m.journal("a", id)
        let events = TwoMachines.events(local)
        #expect(events.last?.event == .runFinished)
        #expect(!events.contains { $0.event == .runUnshared })
        // Each event once in the bucket, byte for byte the local line.
        let stored = try m.log().events(runID: id)
        #expect(stored.map(\.seq) == events.map(\.seq))
        #expect(String(decoding: stored.flatMap(\.bytes), as: UTF8.self) == String(decoding: local, as: UTF8.self))
        let v = try verifyStoreCopy(m, id, on: "b")
        #expect(v.status == 0 && v.stdout.contains("is intact"), "\(v.stdout)\n\(v.stderr)")
    }

    /// The reported case: the put lands, its answer is lost, and the store
    /// is gone before it can be read back; the session goes on alone and
    /// catches up when the store is back.
    @Test func aPutLostAsTheStoreWentIsCaughtUpByItsBytesNotTakenForAnotherMachines() throws {
        let m = try TwoMachines(holdPut: "2")
        let a = try m.live("a", ["run", "shared", "--store", m.url])
        try waitUntil("\"waiting for the store\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("waiting for the store") || !a.isRunning }
        let id = try #require(m.runID("a"))
        // The held put's connection is cut and the read-back refused.
        let port = m.proxy.port
        m.proxy.stop()
        try waitUntil("\"Go on without the shared store?\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("Go on without the shared store?") || !a.isRunning }
        let held = TwoMachines.events(m.journal("a", id))
        #expect(held.map(\.event) == [.runStarted, .stepStarted], "the event that may be in the store is journaled under its number")
        let back = try TCPProxy(to: m.moto.port, port: port)
        defer { back.stop() }
        a.send("y")
        try waitUntil("\"Dashboards green\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("Dashboards green") || !a.isRunning }
        a.send("y")
        try waitUntil("\"Still green\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("Still green") || !a.isRunning }
        a.send("y")
        #expect(finished(a) == 0, "\(a.stdout)\n\(a.stderr)")
        #expect(!(a.stdout + a.stderr).contains("two histories"), "\(a.stdout)\n\(a.stderr)")
        let local = m.journal("a", id)
        let events = TwoMachines.events(local)
        #expect(events.last?.event == .runShared)
        #expect(events.prefix(3).map(\.event) == [.runStarted, .stepStarted, .runUnshared])
        #expect(events.filter { $0.event == .stepStarted && $0.step == "first" }.count == 1)
        #expect(m.count == 1)
        let stored = try m.log().events(runID: id)
        #expect(stored.map(\.seq) == events.map(\.seq))
        #expect(String(decoding: stored.flatMap(\.bytes), as: UTF8.self) == String(decoding: local, as: UTF8.self))
        let v = try verifyStoreCopy(m, id, on: "b")
        #expect(v.status == 0 && v.stdout.contains("is intact"), "\(v.stdout)\n\(v.stderr)")
    }

    @Test func aSigtermDuringAStalledPutStopsTheSessionWithTheEventJournaled() throws {
        let m = try TwoMachines(holdPut: "all")
        // Far longer than the test waits: only the stop can end the put.
        m.extraEnv["MUSTER_STORE_TIMEOUT"] = "120"
        let a = try m.live("a", ["run", "shared", "--yes", "--store", m.url])
        try waitUntil("the wait for the store: \(a.stdout)\n\(a.stderr)", timeout: 20) { a.stdout.contains("waiting for the store") || !a.isRunning }
        kill(a.process.processIdentifier, SIGTERM)
        // A guard against hanging, not a timing: the bound is 5 s after the signal.
        #expect(finished(a, within: 20) == 3, "\(a.stdout)\n\(a.stderr)")
        let id = try #require(m.runID("a"))
        let local = m.journal("a", id)
        let events = TwoMachines.events(local)
        #expect(events.first?.event == .runStarted)
        #expect(events.last?.event == .runPaused)
        // The store got the stalled put: the same line as the local journal's.
        let firstLine = Array(local.prefix { $0 != UInt8(ascii: "\n") }) + [UInt8(ascii: "\n")]
        #expect(try m.log().events(runID: id).map(\.bytes) == [firstLine])
        // Resumed with the store answering: the catch-up finds its own event
        // there, writes none twice and takes it for no one else's.
        m.extraEnv["AWS_ENDPOINT_URL"] = m.moto.endpoint
        let r = try m.run("a", ["resume", id, "--yes", "--store", m.url])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(!(r.stdout + r.stderr).contains("two histories"))
        let after = m.journal("a", id)
        #expect(String(decoding: try m.storeBytes(id), as: UTF8.self) == String(decoding: after, as: UTF8.self))
        #expect(TwoMachines.events(after).contains { $0.event == .runShared })
        let v = try verifyStoreCopy(m, id, on: "b")
        #expect(v.status == 0 && v.stdout.contains("is intact"), "\(v.stdout)\n\(v.stderr)")
    }

    /// A debugging `env` step once put the store's own secret key in the
    /// bucket every on-call member reads: the store's keys are masked like
    /// the runbook's secrets, on screen, in the journal and in the store.
    @Test func theStoresOwnCredentialsAreMaskedInWhatAStepPrints() throws {
        let m = try TwoMachines()
        try """
        muster: 1
        name: debug
        title: Debug
        steps:
          - id: env
            title: Print the environment
            run: env | grep '^AWS_' | sort
        """.write(toFile: m.repo + "/runbooks/debug.yaml", atomically: true, encoding: .utf8)
        let r = try m.run("a", ["run", "debug", "--yes", "--store", m.url])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("AWS_ACCESS_KEY_ID=***"), "\(r.stdout)")
        #expect(r.stdout.contains("AWS_SECRET_ACCESS_KEY=***"), "\(r.stdout)")
        let id = try #require(m.runID("a"))
        let stored = String(decoding: try m.storeBytes(id), as: UTF8.self)
        #expect(stored.contains("AWS_SECRET_ACCESS_KEY=***"), "the step's output is in the store, masked")
        for text in [r.stdout, r.stderr, stored, String(decoding: m.journal("a", id), as: UTF8.self)] {
            #expect(!text.contains(TwoMachines.anyone.secret) && !text.contains(TwoMachines.anyone.key))
        }
    }

    @Test func aBadStoreValueIsAUsageError() throws {
        let m = try TwoMachines()
        let r = try m.run("a", ["run", "shared", "--yes", "--store", "https://muster-runs/team"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--store") && r.stderr.contains("s3://BUCKET/PREFIX"))
        #expect(m.count == 0)
    }

    @Test func aBadLeaseOrRetryIsRefusedBeforeAnythingRuns() throws {
        let m = try TwoMachines()
        for (name, value) in [("MUSTER_STORE_LEASE", "abc"), ("MUSTER_STORE_LEASE", "1"), ("MUSTER_STORE_RETRY", "-5"), ("MUSTER_STORE_RETRY", "nan")] {
            var env = m.env("a", nil)
            env[name] = value
            let r = try muster(["run", "shared", "--yes", "--store", m.url], cwd: m.repo, env: env)
            #expect(r.status == 2, "\(name)=\(value): \(r.stderr)")
            #expect(r.stderr.contains("\(name) is '\(value)'") && r.stderr.contains("number of seconds"), "\(r.stderr)")
        }
        #expect(m.count == 0, "nothing was shared")
    }

    @Test func refusedCredentialsStopBeforeAnythingRunsNamingBucketAndIdentity() throws {
        let m = try TwoMachines(checked: true)
        let r = try m.run("a", ["run", "shared", "--yes", "--store", m.url], who: m.moto.mallory)
        #expect(r.status == 2, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stderr.contains("muster-runs"), "\(r.stderr)")
        #expect(r.stderr.contains("mallory"), "\(r.stderr)")
        #expect(m.count == 0)
        #expect(m.runID("a") == nil)
    }

    @Test func aRunKilledOnOneMachineIsResumedOnAnotherFromTheStoreAlone() throws {
        let m = try TwoMachines()
        let a = try m.live("a", ["run", "shared", "--store", m.url])
        try waitUntil("\"Dashboards green\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("Dashboards green") || !a.isRunning }
        a.kill()
        _ = finished(a)
        let id = try #require(m.runID("a"))
        #expect(m.runID("b") == nil)
        let b = try m.run("b", ["resume", id, "--yes", "--store", m.url])
        #expect(b.status == 0, "\(b.stdout)\n\(b.stderr)")
        #expect(m.count == 1, "the first step ran once, on machine A")
        let store = try m.storeBytes(id)
        #expect(store == m.journal("b", id))
        let events = TwoMachines.events(store)
        #expect(events.last?.event == .runFinished)
        #expect(events.filter { $0.event == .stepFinished && $0.step == "first" }.count == 1)
        // A's journal is B's up to the kill: B's continues it.
        #expect(m.journal("b", id).starts(with: m.journal("a", id)))
    }

    @Test func aRunWhoseMachineDiedIsTakenOverFromAnother() throws {
        let m = try TwoMachines()
        let a = try m.live("a", ["run", "shared", "--store", m.url])
        try waitUntil("\"Dashboards green\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("Dashboards green") || !a.isRunning }
        a.kill()
        _ = finished(a)
        let id = try #require(m.runID("a"))
        let b = try m.run("b", ["takeover", id, "--reason", "alice's laptop died", "--yes", "--store", m.url])
        #expect(b.status == 0, "\(b.stdout)\n\(b.stderr)")
        let events = TwoMachines.events(try m.storeBytes(id))
        let handoff = try #require(events.first { $0.event == .handoff })
        #expect(handoff.text == "alice's laptop died")
        #expect(events.last?.event == .runFinished)
        #expect(m.journal("b", id) == (try m.storeBytes(id)))
        #expect(m.count == 1)
    }

    @Test func anEventAnotherMachineWroteFirstIsFoldedAndTheOwnOneRenumbered() throws {
        let m = try TwoMachines()
        let a = try m.live("a", ["run", "shared", "--store", m.url])
        try waitUntil("\"Dashboards green\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("Dashboards green") || !a.isRunning }
        let id = try #require(m.runID("a"))
        // Machine B wins the next seq with a note of its own.
        let last = try m.writeAsAnotherMachine(id, .note) { $0.text = "from machine B" }
        a.send("y")
        a.send("y")
        #expect(finished(a) == 0, "\(a.stdout)\n\(a.stderr)")
        let store = try m.storeBytes(id)
        #expect(store == m.journal("a", id))
        let events = TwoMachines.events(store)
        #expect(events[last].text == "from machine B")
        #expect(events[last + 1].event == .itemAnswered)
        #expect(Set(events.map(\.seq)).count == events.count)
        #expect(try m.run("a", ["verify", id]).status == 0)
    }

    @Test func aHandoffFromAnotherMachineStopsTheSessionWithoutWritingMore() throws {
        let m = try TwoMachines()
        let a = try m.live("a", ["run", "shared", "--store", m.url])
        try waitUntil("\"Dashboards green\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("Dashboards green") || !a.isRunning }
        let id = try #require(m.runID("a"))
        try m.writeAsAnotherMachine(id, .handoff) { h in
            h.by = "bob"
            h.text = "alice is off shift"
        }
        a.send("y")
        #expect(finished(a) == 3, "\(a.stdout)\n\(a.stderr)")
        #expect((a.stdout + a.stderr).contains("took this run over from another machine"))
        let events = TwoMachines.events(try m.storeBytes(id))
        #expect(events.last?.event == .handoff)
        #expect(!events.contains { $0.event == .runPaused })
        #expect(m.journal("a", id) == (try m.storeBytes(id)))
    }

    @Test func theStoreStoppedMidRunTheRunGoesOnAloneAndCatchesUp() throws {
        let m = try TwoMachines()
        // The store is tried again at every event (not every 15 s): the
        // catch-up below is the first event after the store is back, with
        // no time to wait out.
        m.extraEnv["MUSTER_STORE_RETRY"] = "0"
        let a = try m.live("a", ["run", "shared", "--store", m.url])
        try waitUntil("\"Dashboards green\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("Dashboards green") || !a.isRunning }
        let id = try #require(m.runID("a"))
        let port = m.proxy.port
        m.proxy.stop()
        a.send("y")
        try waitUntil("\"Go on without the shared store?\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("Go on without the shared store?") }
        #expect((a.stdout + a.stderr).components(separatedBy: "cannot be reached").count >= 2)
        a.send("y")
        try waitUntil("\"Still green\": \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("Still green") }
        #expect(TwoMachines.events(m.journal("a", id)).contains { $0.event == .runUnshared })
        let runs = try m.run("a", ["runs"])
        #expect(runs.stdout.contains("unshared"))
        // The store comes back where it was; the next append catches up.
        let back = try TCPProxy(to: m.moto.port, port: port)
        defer { back.stop() }
        a.send("y")
        #expect(finished(a) == 0, "\(a.stdout)\n\(a.stderr)")
        let local = m.journal("a", id)
        let events = TwoMachines.events(local)
        #expect(events.contains { $0.event == .runShared })
        #expect(events.last?.event == .runFinished)
        #expect(try m.storeBytes(id) == local)
        #expect(a.stdout.components(separatedBy: "Go on without the shared store?").count == 2, "asked once")
    }

    @Test func anObjectThatIsNotOneJournalLineIsNeverAppendedLocally() throws {
        let m = try TwoMachines()
        let a = try m.live("a", ["run", "shared", "--store", m.url])
        try waitUntil("\"Dashboards green\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("Dashboards green") || !a.isRunning }
        let id = try #require(m.runID("a"))
        let before = m.journal("a", id)
        let last = TwoMachines.events(before).last!.seq
        let forged = Array("{\"at\":\"x\",\"event\":\"note\",\"seq\":\(last + 1),\"t\":0}\n{\"at\":\"x\",\"event\":\"run_finished\",\"seq\":99,\"t\":0}\n".utf8)
        #expect(try m.log().append(runID: id, seq: last + 1, bytes: forged) == .written)
        a.send("y")
        #expect(finished(a) == 3, "\(a.stdout)\n\(a.stderr)")
        #expect(a.stdout.contains("not event \(last + 1) of run \(id) as Muster writes it"), "\(a.stdout)")
        #expect(m.journal("a", id) == before, "nothing of it reached the local journal")
    }

    @Test func aStoreUnreachableAtTheStartIsNoReasonNotToRun() throws {
        let m = try TwoMachines()
        m.proxy.stop()
        let r = try m.run("a", ["run", "shared", "--yes", "--store", m.url])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("cannot be reached now"))
        #expect(r.stdout.contains("--yes: going on alone"))
        #expect(m.count == 1)
        let id = try #require(m.runID("a"))
        let events = TwoMachines.events(m.journal("a", id))
        // The first event was journaled while its put found no store: it is
        // the backlog's first line, and `run_unshared` follows it.
        #expect(events.prefix(2).map(\.event) == [.runStarted, .runUnshared])
        #expect(events.last?.event == .runFinished)
        #expect(r.stdout.contains("is not all in the shared store"), "the end says where the events are")
        #expect(try m.run("a", ["runs"]).stdout.contains("unshared"))
    }

    @Test func aRunPausedWithoutTheStoreCatchesUpWhenResumed() throws {
        let m = try TwoMachines()
        let a = try m.live("a", ["run", "shared", "--store", m.url])
        try waitUntil("\"Dashboards green\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("Dashboards green") || !a.isRunning }
        let id = try #require(m.runID("a"))
        let port = m.proxy.port
        m.proxy.stop()
        a.send("y")
        try waitUntil("\"Go on without the shared store?\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("Go on without the shared store?") || !a.isRunning }
        a.send("a")
        #expect(finished(a) == 3, "\(a.stdout)\n\(a.stderr)")
        let paused = TwoMachines.events(m.journal("a", id))
        #expect(paused.contains { $0.event == .runUnshared && $0.text?.contains("paused by the operator") == true })
        #expect(paused.last?.event == .runPaused)
        #expect(try m.storeBytes(id) != m.journal("a", id))
        let back = try TCPProxy(to: m.moto.port, port: port)
        defer { back.stop() }
        let r = try m.run("a", ["resume", id, "--yes", "--store", m.url])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let local = m.journal("a", id)
        #expect(try m.storeBytes(id) == local)
        #expect(TwoMachines.events(local).contains { $0.event == .runShared })
        #expect(!(try m.run("a", ["runs"]).stdout.contains("unshared")))
    }

    @Test func followFromAnotherMachineReadsTheStore() throws {
        let m = try TwoMachines()
        let a = try m.live("a", ["run", "shared", "--store", m.url])
        try waitUntil("\"Dashboards green\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("Dashboards green") || !a.isRunning }
        let id = try #require(m.runID("a"))
        let f = try m.live("b", ["follow", id, "--json", "--store", m.url])
        try waitUntil("\"step_started\" in the output: \(f.stdout)\n\(f.stderr)", timeout: 60) { f.stdout.contains("\"step_started\"") }
        a.send("y")
        a.send("y")
        #expect(finished(a) == 0)
        #expect(finished(f) == 0, "\(f.stdout)\n\(f.stderr)")
        let lines = f.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("\"following\"") == true)
        #expect(lines.dropFirst().joined(separator: "\n") + "\n" == String(decoding: m.journal("a", id), as: UTF8.self))
        #expect(m.runID("b") == nil, "follow writes nothing on machine B")
        let text = try m.run("b", ["follow", id, "--store", m.url])
        #expect(text.status == 0)
        #expect(text.stdout.split(separator: "\n").contains { $0.contains("step_finished") && $0.contains("first") })
        #expect(text.stdout.contains("run_finished"))
        #expect(text.stdout.contains("Only the journal is shared"))
    }

    /// A pause is waited through from another machine too: the follower
    /// reads on when the run is resumed, to its end.
    @Test func followFromAnotherMachineWaitsThroughAPause() throws {
        let m = try TwoMachines()
        let a = try m.live("a", ["run", "shared", "--store", m.url])
        try waitUntil("\"Dashboards green\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("Dashboards green") || !a.isRunning }
        let id = try #require(m.runID("a"))
        let f = try m.live("b", ["follow", id, "--json", "--store", m.url])
        try waitUntil("\"step_started\" in the output: \(f.stdout)\n\(f.stderr)", timeout: 60) { f.stdout.contains("\"step_started\"") }
        a.send("a")
        #expect(finished(a) == 3)
        try waitUntil("\"event\":\"waiting_for_resume\" in the output: \(f.stdout)\n\(f.stderr)", timeout: 60) { f.stdout.contains("\"event\":\"waiting_for_resume\"") }
        #expect(f.isRunning, "a pause is not the end of the run")
        let r = try m.run("a", ["resume", id, "--yes", "--store", m.url])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(finished(f) == 0, "\(f.stdout)\n\(f.stderr)")
        let lines = f.stdout.split(separator: "\n").map(String.init).filter { !$0.contains("\"waiting_for_resume\"") }
        #expect(lines.dropFirst().joined(separator: "\n") + "\n" == String(decoding: m.journal("a", id), as: UTF8.self))
        // Stopped by Ctrl-C while paused: exit 3.
        let p = try m.live("a", ["run", "shared", "--store", m.url])
        try waitUntil("\"Dashboards green\" in the output: \(p.stdout)\n\(p.stderr)", timeout: 60) { p.stdout.contains("Dashboards green") || !p.isRunning }
        p.send("a")
        #expect(finished(p) == 3)
        let second = try #require(m.runID("a"))
        let g = try m.live("b", ["follow", second, "--store", m.url])
        try waitUntil("\"paused — waiting for a resume\" in the output: \(g.stdout)\n\(g.stderr)", timeout: 60) { g.stdout.contains("paused — waiting for a resume") }
        kill(g.pid, SIGINT)
        #expect(finished(g) == 3)
    }
}
