import Foundation
import MusterTestSupport
import Testing

/// `parallel:` end to end: real processes through a pipe. That branches
/// really run at once is proven without a clock: each branch waits (a
/// bounded while) for the other's mark, which only a branch running at
/// the same time can leave. `max`, a failed branch, `cancel`, loops with
/// `max_parallel`, a resume after a kill and confirm on a group are
/// ParallelRunEngineTests'.
@Suite("muster run: branches at the same time")
struct ParallelRunTests {
    /// A script that marks `me`, then waits up to 10 s for `other`'s mark.
    static func meet(_ me: String, _ other: String) -> String {
        "touch \(me).started; echo \(me) is up; for i in $(seq 200); do [ -e \(other).started ] && { echo \(me) met \(other); exit 0; }; sleep 0.05; done; echo \(other) never came; exit 9"
    }

    static func runbook(_ name: String, max: String = "", onFailure: String = "finish") -> String {
        FeatureRunbooks.rebuild(name: name, max: max, onFailure: onFailure, meet: meet)
    }

    @Test func twoBranchesRunAtOnceAndTheirLinesNameTheirBranch() throws {
        let s = try Sandbox(["p": Self.runbook("p")])
        let r = try s.run(["run", "p", "--yes"], env: ["NO_COLOR": "1"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("| [cluster] cluster met database"), "\(r.stdout)")
        #expect(r.stdout.contains("| [database] database met cluster"), "\(r.stdout)")
        #expect(s.exists("after.done"))
        // Journaled as running at once: both began before either ended.
        let events = try s.journal()
        let began = events.firstIndex { $0["event"] as? String == "step_started" && $0["step"] as? String == "rebuild/database" }
        let created = events.firstIndex { $0["event"] as? String == "step_started" && $0["step"] as? String == "rebuild/cluster/create" }
        let firstEnd = events.firstIndex { $0["event"] as? String == "step_finished" && ($0["step"] as? String)?.hasPrefix("rebuild/") == true }
        #expect(began != nil && created != nil && firstEnd != nil && began! < firstEnd! && created! < firstEnd!)
        let order = events.filter { $0["event"] as? String == "step_finished" }.compactMap { $0["step"] as? String }
        #expect(order.last == "after" && order.dropLast().last == "rebuild", "the step after waits for every branch: \(order)")
        // Each branch's lines are kept under its own step, whichever
        // header the screen showed last: what `log --output` and a resume show.
        let id = try s.runID()
        let database = try s.run(["log", id, "--output", "rebuild/database"])
        #expect(database.status == 0 && database.stdout == "database is up\ndatabase met cluster\n", "\(database.stdout)\(database.stderr)")
        let create = try s.run(["log", id, "--output", "rebuild/cluster/create"])
        #expect(create.stdout == "cluster is up\ncluster met database\n", "\(create.stdout)")
        let none = try s.run(["log", id, "--output", "rebuild/nope"])
        #expect(none.status == 0 && none.stdout.isEmpty && none.stderr.contains("no output from step 'rebuild/nope'"), "\(none.stderr)")
    }
}
