import Foundation
import MusterTestSupport
import Testing

/// A rollback end to end: real commands undone through a pipe, what the
/// operator sees and the exit status. Gates, pausing at the question,
/// `--yes` and a failed rollback are GateAndRollbackEngineTests'.
@Suite("Confirm gates and rollbacks")
struct GateAndRollbackTests {
    static let chain = FeatureRunbooks.gateChain

    func log(_ s: Sandbox) throws -> String { try String(contentsOfFile: s.dir + "/log.txt", encoding: .utf8) }

    @Test func onFailureRollbackListsWhatItUndoesAsksAndShowsEachResult() throws {
        let s = try Sandbox(["chain": Self.chain])
        let r = try s.run(["run", "chain"], stdin: "y\n")
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        let out = r.stdout
        let order = ["1. switch-dns (the step that failed", "2. promote", "3. stop-writes", "Roll back these 3 steps?"].map { out.range(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil }, "\(out)")
        #expect(order.compactMap { $0 } == order.compactMap { $0 }.sorted(), "listed out of order: \(out)")
        #expect(try log(s) == "stop\npromote\nhalf-switched\nundo-switch\nundo-promote\nundo-stop\n")
        #expect(out.components(separatedBy: "↶ rolled back").count - 1 == 3, "\(out)")
        #expect(try s.journal().last!["outcome"] as? String == "rolled_back")
    }
}
