#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterRender
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterTerminal

/// `muster run`: starts a run of a runbook (or shows its plan with --dry-run).
package struct StartRun {
    package var runbook: String
    package var params: [String]
    package var yes: Bool
    package var new: Bool
    package var dryRun: Bool
    package var rev: String?
    /// Opened where the command opened it: `--store`, else MUSTER_STORE.
    package var openStore: () throws -> SharedStore?

    package init(runbook: String, params: [String], yes: Bool, new: Bool, dryRun: Bool, rev: String?, openStore: @escaping () throws -> SharedStore?) {
        self.runbook = runbook
        self.params = params
        self.yes = yes
        self.new = new
        self.dryRun = dryRun
        self.rev = rev
        self.openStore = openStore
    }

    package func run() throws {
        let ws = try Workspace(rev: rev)
        let given = try parseParams(params)
        let (rb, path) = try ws.loadRunbook(runbook)
        if !dryRun {
            let shared = try openStore()
            throw try RunSession.begin(ws: ws, runbook: rb, path: path, given: given, yes: yes, drill: nil, new: new, shared: shared).code
        }
        let includes = try RunSession.includes(of: rb, path: path, catalog: ws.catalog)
        let values = try RunSession.parameters(of: rb, given: given, console: RunSession.console())
        let root = ws.catalog.root(forFileAt: path)
        var secrets: [String: String] = [:]
        do {
            secrets = try RunSession.secrets([rb] + Array(includes.values))
        } catch let failure as CommandFailure {
            printError("muster: warning: \(failure.message); a real run would stop before its first step")
        }
        let plan: Plan
        do {
            plan = try Plan(runbook: rb, given: values, catalog: ws.catalog, root: root)
        } catch {
            switch error { case .badParameter(let m): throw CommandFailure(message: m) }
        }
        let masker = Masker(secrets: secrets.values)
        print("Dry run: nothing is executed, nothing is journaled.\n")
        print(masker.mask(PlanText(style: .stdout).render(plan)), terminator: "")
    }
}
