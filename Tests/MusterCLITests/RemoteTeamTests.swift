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

/// Approve and take over from another machine: the store carries the
/// requests, and who made one is whom AWS says signed its proof. S3 is an
/// unchecked moto (see TwoMachines); STS is a second moto that checks
/// signatures and knows alice (long-term keys) and bob (session keys).
final class TwoMachinesTwoPeople {
    let machines: TwoMachines
    let sts: MotoStore

    init(runbook: String) throws {
        machines = try TwoMachines()
        sts = try MotoStore.shared()
        try runbook.write(toFile: machines.repo + "/runbooks/team.yaml", atomically: true, encoding: .utf8)
        // Each person's SSH key, listed in the repository's allowed_signers.
        _ = try sh("""
        mkdir -p keys
        for u in alice bob; do ssh-keygen -q -t ed25519 -N '' -C $u -f keys/$u; printf '%s %s\\n' $u "$(cut -d' ' -f1,2 keys/$u.pub)" >> repo/allowed_signers; done
        """, cwd: Paths.dirname(machines.repo))
    }

    func key(_ who: String) -> String { Paths.dirname(machines.repo) + "/keys/" + who }
    var alice: [String: String] { ["AWS_ACCESS_KEY_ID": sts.alice.key, "AWS_SECRET_ACCESS_KEY": sts.alice.secret, "MUSTER_SIGNING_KEY": key("alice")] }
    var bob: [String: String] { ["AWS_ACCESS_KEY_ID": sts.session.key, "AWS_SECRET_ACCESS_KEY": sts.session.secret, "AWS_SESSION_TOKEN": sts.session.token, "MUSTER_SIGNING_KEY": key("bob")] }

    func env(_ machine: String, _ who: [String: String], lease: Int = 9) -> [String: String] {
        var e = machines.env(machine)
        for (k, v) in who { e[k] = v }
        e["AWS_ENDPOINT_URL_STS"] = sts.endpoint
        e["MUSTER_STORE"] = machines.url
        e["MUSTER_STORE_LEASE"] = String(lease)
        return e
    }

    func run(_ machine: String, _ who: [String: String], _ args: [String], stdin: String = "", lease: Int = 9) throws -> Result {
        try muster(args, cwd: machines.repo, stdin: stdin, env: env(machine, who, lease: lease))
    }

    func live(_ machine: String, _ who: [String: String], _ args: [String]) throws -> LiveMuster {
        try LiveMuster(args, cwd: machines.repo, env: env(machine, who))
    }

    func storeEvents(_ id: String) -> [JournalEvent] { TwoMachines.events((try? machines.storeBytes(id)) ?? []) }

    /// Seconds since the session executing `id` last said it lives (its
    /// heartbeat, `live.json` in the store, read as a taker reads it); nil
    /// before the first.
    func silence(_ id: String) -> Double? {
        guard let path = try? StorePath(parsing: machines.url),
              let store = try? S3Store(path: path, settings: StoreSettings.resolve(environment: machines.moto.env(TwoMachines.anyone))),
              let bytes = try? store.get(path.key("runs/\(id)/live.json")),
              let body = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let at = (body["at"] as? String).flatMap(Double.init) else { return nil }
        return Date().timeIntervalSince1970 - at
    }
}

@Suite("Team runs across machines: approve and take over through the store", .serialized)
struct RemoteTeamTests {
    static let approval = """
    muster: 1
    name: team
    title: Across machines
    steps:
      - id: check
        title: Check
        manual: [Ready]
      - id: drop
        title: Drop the old primary
        run: echo dropped
        approval: true
        on_failure: abort
    """

    @Test func anApprovalFromAnotherMachineIsWhomAWSSaysSignedIt() throws {
        let t = try TwoMachinesTwoPeople(runbook: Self.approval)
        let a = try t.live("a", t.alice, ["run", "team"])
        a.send("y")
        try waitUntil("\"muster approve\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("muster approve") || !a.isRunning }
        #expect(a.stdout.contains("as arn:aws:iam::123456789012:user/alice"), "\(a.stdout)")
        let id = try #require(t.machines.runID("a"))
        // alice from her laptop is still alice: refused.
        let own = try t.run("b", t.alice, ["approve", id])
        #expect(own.status == 2, "\(own.stdout)\(own.stderr)")
        #expect(own.stderr.contains("your key (alice) is the key of this run's operator"), "\(own.stderr)")
        // alice with bob's AWS session (a RoleSessionName she chose) but her
        // own key: the rule compares keys, so it is still alice.
        var asBob = t.bob
        asBob["MUSTER_SIGNING_KEY"] = t.key("alice")
        let borrowed = try t.run("b", asBob, ["approve", id])
        #expect(borrowed.status == 2, "\(borrowed.stdout)\(borrowed.stderr)")
        #expect(borrowed.stderr.contains("your key (alice) is the key of this run's operator"), "\(borrowed.stderr)")
        let bob = try t.run("b", t.bob, ["approve", id])
        #expect(bob.status == 0, "\(bob.stdout)\(bob.stderr)")
        #expect(bob.stdout.contains("Approved by bob (1 of 1): the step goes on."), "\(bob.stdout)")
        #expect(finished(a) == 0, "\(a.stdout)\n\(a.stderr)")
        #expect(a.stdout.contains("✓ approved by bob (1 of 1)"), "\(a.stdout)")
        let given = try #require(t.storeEvents(id).first { $0.event == .approvalGiven })
        #expect(given.by == "bob" && given.identity?.contains("assumed-role") == true && given.signature != nil, "\(given)")
        // Taken in, the request (and the session token in its proof) is gone from the bucket.
        let store = try S3Store(path: StorePath(parsing: t.machines.url), settings: StoreSettings.resolve(environment: t.env("b", t.bob)))
        #expect(try store.list(prefix: store.path.key("runs/\(id)/requests/")).keys.isEmpty)
    }

    @Test func aForgedApprovalInTheStoreIsRefused() throws {
        let t = try TwoMachinesTwoPeople(runbook: Self.approval)
        let a = try t.live("a", t.alice, ["run", "team"])
        a.send("y")
        try waitUntil("\"muster approve\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("muster approve") || !a.isRunning }
        let id = try #require(t.machines.runID("a"))
        // alice writes a request claiming to be bob, proving it with her own
        // signature over another request: AWS says it is hers, or nothing.
        let store = try S3Store(path: StorePath(parsing: t.machines.url), settings: StoreSettings.resolve(environment: t.env("a", t.alice)))
        let proof = try store.identityProof(binding: "muster \(id) other.json")
        let body = "{\"request\":{\"run_id\":\"\(id)\",\"kind\":\"approve\",\"step\":\"drop\",\"name\":\"bob\"},\"at\":\(Date().timeIntervalSince1970),\"proof\":"
            + String(decoding: try JSONEncoder().encode(proof), as: UTF8.self) + "}"
        _ = try store.putIfAbsent(store.path.key("runs/\(id)/requests/forged.json"), Array(body.utf8))
        try waitUntil("\"(forged.json) was refused\" in the output: \(a.stderr)", timeout: 20) { a.stderr.contains("(forged.json) was refused") }
        // Her own proof, bound to the request: AWS says alice, and without
        // bob's signature it approves nothing.
        let ownProof = try store.identityProof(binding: "muster \(id) unsigned.json")
        let unsigned = "{\"request\":{\"run_id\":\"\(id)\",\"kind\":\"approve\",\"step\":\"drop\",\"name\":\"bob\"},\"at\":\(Date().timeIntervalSince1970),\"proof\":"
            + String(decoding: try JSONEncoder().encode(ownProof), as: UTF8.self) + "}"
        _ = try store.putIfAbsent(store.path.key("runs/\(id)/requests/unsigned.json"), Array(unsigned.utf8))
        try waitUntil("\"it is not signed: an approval counts only\" in the output: \(a.stdout)\(a.stderr)", timeout: 20) { (a.stdout + a.stderr).contains("it is not signed: an approval counts only") }
        // An approval_given put straight into the store's events, next in line
        // (chained as Muster chains it): the session does not believe it.
        let next = try t.machines.writeAsAnotherMachine(id, .approvalGiven) { e in
            e.step = "drop"
            e.by = "bob"
            e.value = "forged-event"
        } + 1
        kill(a.pid, SIGTERM)
        #expect(finished(a) == 3, "\(a.stdout)\(a.stderr)")
        #expect((a.stdout + a.stderr).contains("event \(next) (approval_given) from the shared store was refused and is not believed: it is not signed"), "\(a.stdout)\(a.stderr)")
        #expect(!a.stdout.contains("| dropped"), "\(a.stdout)")

        #expect(!t.storeEvents(id).contains { $0.event == .approvalGiven && $0.signature != nil })
    }

    @Test func aTakeoverFromAnotherMachineAsksTheLiveSessionFirst() throws {
        let t = try TwoMachinesTwoPeople(runbook: Self.approval)
        let a = try t.live("a", t.alice, ["run", "team"])
        try waitUntil("\"[ ] Ready\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("[ ] Ready") || !a.isRunning }
        let id = try #require(t.machines.runID("a"))
        let b = try t.live("b", t.bob, ["takeover", id, "--reason", "alice is off shift"])
        #expect(finished(a) == 3, "\(a.stdout)\n\(a.stderr)")
        #expect(a.stdout.contains("handed over to bob"), "\(a.stdout)")
        try waitUntil("\"[ ] Ready\" in the output: \(b.stdout)\n\(b.stderr)", timeout: 60) { b.stdout.contains("[ ] Ready") || !b.isRunning }
        #expect(b.stdout.contains("Asked "), "\(b.stdout)")
        b.send("y")
        // Now bob operates: bob may not approve, alice (from her machine) may.
        try waitUntil("\"muster approve\" in the output: \(b.stdout)\n\(b.stderr)", timeout: 60) { b.stdout.contains("muster approve") || !b.isRunning }
        #expect(try t.run("a", t.bob, ["approve", id]).status == 2)
        let alice = try t.run("c", t.alice, ["approve", id])
        #expect(alice.status == 0, "\(alice.stdout)\(alice.stderr)")
        #expect(finished(b) == 0, "\(b.stdout)\n\(b.stderr)")
        let events = t.storeEvents(id)
        let handoff = try #require(events.first { $0.event == .handoff })
        #expect(handoff.identity?.hasSuffix("/bob") == true && handoff.text == "alice is off shift", "\(handoff)")
        #expect(events.firstIndex { $0.event == .runPaused }! < events.firstIndex { $0.event == .handoff }!)
    }

    @Test func twoTakeoversAtOnceExactlyOneWins() throws {
        let t = try TwoMachinesTwoPeople(runbook: Self.approval)
        let a = try t.live("a", t.alice, ["run", "team"])
        try waitUntil("\"[ ] Ready\" in the output: \(a.stdout)\n\(a.stderr)", timeout: 60) { a.stdout.contains("[ ] Ready") || !a.isRunning }
        a.kill()
        _ = finished(a)
        let id = try #require(t.machines.runID("a"))
        // The session is gone once its last heartbeat is older than the
        // lease of 3 s: waited for in the store, not slept out.
        try waitUntil("the session's heartbeat to grow older than the lease", timeout: 30) { t.silence(id).map { $0 > 3 } ?? false }
        let b = try LiveMuster(["takeover", id, "--reason", "b"], cwd: t.machines.repo, env: t.env("b", t.bob, lease: 3))
        let c = try LiveMuster(["takeover", id, "--reason", "c"], cwd: t.machines.repo, env: t.env("c", t.alice, lease: 3))
        try waitUntil("\"[ ] Ready\" in the output: \(b.stdout)\(b.stderr)\n\(c.stdout)\(c.stderr)", timeout: 60) { (b.stdout + c.stdout).contains("[ ] Ready") }
        b.closeInput()
        c.closeInput()
        let codes = [finished(b), finished(c)]
        #expect(codes == [3, 3], "\(b.stdout)\(b.stderr)\n\(c.stdout)\(c.stderr)")
        let handoffs = t.storeEvents(id).filter { $0.event == .handoff }
        #expect(handoffs.count == 1, "\(handoffs)")
        let loser = handoffs.first?.text == "b" ? c : b
        #expect(loser.stdout.contains("took") || loser.stdout.contains("handed over"), "\(loser.stdout)\(loser.stderr)")
    }
}
