import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterCore
import MusterTerminal

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Execute a runbook step by step, journaling every event so it can be resumed.",
        discussion: """
        Answers are read one line each from the terminal, or from stdin when it is not a terminal. \
        Exit status: 0 completed, 1 failed, 2 nothing was run (bad runbook, parameter or secret), 3 paused (muster resume continues).
        """
    )

    @Argument(help: "A runbook name (runbooks/NAME.yaml) or path.")
    var runbook: String

    @Option(name: [.customShort("p"), .customLong("param")], help: "NAME=VALUE (repeatable).")
    var params: [String] = []

    @Flag(help: "Answer checklist items and confirm gates with yes, recorded as automatic; failures follow on_failure (default abort).")
    var yes = false

    @Flag(name: .customLong("dry-run"), help: "Show the resolved plan and run nothing.")
    var dryRun = false

    func run() throws {
        let ws = Workspace()
        let given = try parseParams(params)
        let (rb, path) = try ws.loadRunbook(runbook)
        let includes = try RunSession.includes(of: rb, path: path, catalog: ws.catalog)
        let console = RunSession.console()
        let values: [String: String]
        do {
            values = try Preparation.parameters(of: rb, given: given) { p, problem in
                if let problem { console.show(.warning(problem)) }
                let question = "Value for parameter '\(p.name)'" + (p.description.map { " (\($0))" } ?? "")
                let hint = p.choices.map { "one of: \($0.joined(separator: ", "))" } ?? "one line"
                if case .line(let l) = console.ask(question, hint: hint, status: "before the first step") { return l }
                return nil
            }
        } catch {
            throw CommandFailure(message: error.message)
        }
        let root = ws.catalog.root(forFileAt: path)

        if dryRun {
            var secrets: [String: String] = [:]
            do {
                secrets = try RunSession.secrets([rb] + Array(includes.values))
            } catch let failure as CommandFailure {
                print("Warning: \(failure.message); a real run would stop before its first step.\n")
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
            return
        }

        let secrets = try RunSession.secrets([rb] + Array(includes.values))
        // One state folder per working repository, wherever the runbook
        // file is, so `muster resume` from the same place finds the run.
        let store = RunStore(root: ws.root)
        let id = try store.newRunID(runbook: rb.name)
        _ = try store.lock(id)
        let journal: FileJournal
        do {
            journal = try FileJournal(path: store.journalPath(id))
        } catch {
            throw CommandFailure(message: error.message)
        }
        var setup = RunSetup(runbook: rb, params: values, secrets: secrets, runID: id, operatorName: operatorName(), yes: yes,
                             includes: includes, baseEnvironment: ProcessInfo.processInfo.environment)
        setup.runbookHash = RunSession.runbookHash(path)
        setup.runbookPath = Paths.display(path, from: ws.root)
        setup.includedHashes = try RunSession.includedHashes(of: rb, path: path, catalog: ws.catalog)
        setup.host = hostName()
        throw RunSession.execute(setup: setup, state: RunState(), journal: journal, console: console, baseElapsed: 0, resumed: false)
    }
}
