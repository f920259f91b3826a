#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterTerminal

/// `muster resume`: picks the run (the newest paused or crashed one unless
/// named), refuses one whose journal or runbook says it must not go on, and
/// continues it where it stopped. `muster takeover` resumes through `resume`.
package struct ResumeRun {
    package var yes: Bool
    package var force: Bool

    package init(yes: Bool, force: Bool) {
        self.yes = yes
        self.force = force
    }

    package func run(_ runID: String?, shared: SharedStore?) throws {
        let ws = Workspace()
        let store = RunStore(root: ws.root)
        try store.checkAccess(write: true)
        // Another machine may have gone further, or be the only one with the run.
        if let shared, let runID, !store.isLocked(runID) { try shared.catchUp(runID, into: store) }
        let id: String
        if let runID {
            try store.requireRun(runID)
            id = runID
        } else {
            let summaries = store.runIDs().reversed().compactMap(store.summary)
            // A damaged run newer than any resumable one is most likely the
            // run the operator means: name it rather than resume an older one.
            if let damaged = summaries.first(where: { $0.resumable || $0.status == .damaged }), damaged.status == .damaged {
                throw CommandFailure(message: "the newest run, \(damaged.id), cannot be resumed: \(damaged.reason ?? "its journal is damaged")."
                    + Self.others(summaries, except: damaged.id) + " Close a run for good with `muster abandon RUN_ID --reason TEXT`")
            }
            guard let newest = summaries.first(where: \.resumable) else {
                if let busy = summaries.first(where: { $0.status == .running }) {
                    throw CommandFailure(message: "nothing to resume: run \(busy.id) is being executed right now (another muster holds its lock)")
                }
                throw CommandFailure(message: "nothing to resume: no paused or crashed run in \(store.runsDir)")
            }
            do {
                try resume(newest.id, ws: ws, store: store, shared: shared)
            } catch let refused as CommandFailure {
                // The operator asked for "the run", not this one: say which others there are.
                throw CommandFailure(message: refused.message + (refused.message.hasSuffix(".") ? "" : ".") + Self.others(summaries, except: newest.id))
            }
            return
        }
        try resume(id, ws: ws, store: store, shared: shared)
    }

    /// The other runs that could be resumed, newest first, for a refusal.
    package static func others(_ summaries: [RunSummary], except id: String) -> String {
        let rest = summaries.filter { $0.resumable && $0.id != id }
        guard !rest.isEmpty else { return " No other run can be resumed." }
        return " Other runs that can be resumed: " + rest.prefix(5).map { "\($0.id) (\($0.runbook), \($0.status.name))" }.joined(separator: ", ")
            + (rest.count > 5 ? " and \(rest.count - 5) more (`muster runs`)" : "") + "; name one: `muster resume RUN_ID`."
    }

    /// `handoff`: `muster takeover` resumes the run as its new operator.
    package func resume(_ id: String, ws: Workspace, store: RunStore, handoff: (reason: String?, request: String?)? = nil, shared: SharedStore? = nil) throws {
        _ = try store.lock(id)
        // A step its session left running when the terminal was lost: its
        // end comes first, and is journaled, never run again.
        try StepKeeper.reattach(runDir: store.runDir(id), runID: id, console: RunSession.console())
        let path = store.journalPath(id)
        let read: (events: [JournalEvent], warning: String?)
        do {
            read = try FileJournal.read(path: path)
            if read.warning != nil { try FileJournal.dropIncompleteTail(path: path) }
        } catch {
            throw CommandFailure(message: error.message)
        }
        if let w = read.warning { printError("muster: warning: \(w)") }
        // The chain first: a journal altered in the middle is not resumed.
        if let bytes = try? Paths.read(path), let problem = JournalVerifier.verify(bytes).problem {
            throw CommandFailure(message: "run \(id)'s journal is not intact, so it is not resumed: \(problem). `muster verify \(id)` shows it; if the damage is understood, `muster abandon \(id)` closes the run")
        }
        let (state, refused) = TrustedFold.state(read.events, runID: id, root: ws.root)
        for line in TrustedFold.describe(refused) { printError("muster: warning: \(sanitize(line))") }
        guard let info = state.info else {
            throw CommandFailure(message: "run \(id) has no run_started event; its journal \(path) is unusable")
        }
        let finished = state.outcome
        if let outcome = finished, info.drill == nil {
            throw CommandFailure(message: "run \(id) already finished (\(outcome.rawValue)); start a new one with `muster run \(info.runbook)`")
        }
        // A run of `--rev` reads its runbooks from the same commit again.
        let rbWS: Workspace
        if let rev = info.runbookRev {
            do {
                rbWS = try Workspace(rev: rev)
            } catch let failure as CommandFailure {
                throw CommandFailure(message: "run \(id) ran its runbook as of commit \(rev.prefix(12)), which cannot be read now: \(failure.message)")
            }
        } else {
            rbWS = ws
        }
        let rbPath = Paths.absolute(info.runbookPath, from: ws.root)
        let (rb, _) = try rbWS.loadRunbook(rbPath)
        let hash = rbWS.runbookHash(rbPath)
        // A finished drill is not run again; resuming it writes its record
        // again (after the folder was fixed, say), from its journal alone.
        if let outcome = finished, let drill = info.drill {
            var setup = RunSetup(runbook: rb, params: info.params, secrets: [:], runID: id, operatorName: info.operatorName, yes: yes,
                                 includes: try RunSession.includes(of: rb, path: rbPath, catalog: rbWS.catalog), baseEnvironment: [:])
            setup.drill = drill
            printError("muster: run \(id) already finished (\(outcome.rawValue)); writing its drill record again")
            DrillFinish.write(journalPath: path, setup: setup, root: ws.root, shared: shared)
            throw outcome == .completed ? ExitStatus.success : ExitStatus.failure
        }
        if let drift = ResumePolicy.drift(info, runbookHash: hash, includedHashes: [:]), drift.runbook != nil, !force {
            throw CommandFailure(message: drift.message(runID: id, runbookPath: info.runbookPath))
        }
        let includes = try RunSession.includes(of: rb, path: rbPath, catalog: rbWS.catalog)
        let included = try RunSession.includedHashes(of: rb, path: rbPath, ws: rbWS)
        let drift = ResumePolicy.drift(info, runbookHash: hash, includedHashes: included)
        if let drift, !force {
            throw CommandFailure(message: drift.message(runID: id, runbookPath: info.runbookPath))
        }
        // Replay re-checks decisions: a journal this release would have
        // walked differently (a new Muster, same runbook) is not resumed
        // blind. With --force over a changed runbook the walk changed on purpose.
        if !force, let d = ReplayCheck.check(TrustedFold.check(read.events, runID: id, root: ws.root, runbook: rb).believed,
                                              plan: FlatPlan(rb, includes: includes)).first {
            throw CommandFailure(message: "run \(id)'s journal records a decision this release of Muster would not make: \(d). Resuming could take another path than the run so far; read its events with `muster log \(id)`, then resume with --force to go on with this release's decisions, or finish it with the release that started it")
        }
        let secrets = try RunSession.secrets([rb] + Array(includes.values))
        let journal: FileJournal
        do {
            journal = try FileJournal(path: path)
        } catch {
            throw CommandFailure(message: error.message)
        }
        var setup = RunSetup(runbook: rb, params: info.params, secrets: secrets, runID: id, operatorName: operatorName(), yes: yes,
                             includes: includes, baseEnvironment: ProcessInfo.processInfo.environment)
        setup.runbookHash = hash
        setup.runbookPath = info.runbookPath
        setup.includedHashes = included
        setup.runbookCommit = info.runbookCommit
        setup.includedCommits = info.includedCommits ?? [:]
        setup.runbookDirty = info.runbookDirty ?? false
        setup.runbookRev = info.runbookRev
        setup.host = hostName()
        setup.runbookSHA256 = (try? rbWS.catalog.source.read(rbPath)).map { SHA256Hash.hex($0) } ?? ""
        try Signing.prepareSession(&setup, root: ws.root)
        setup.resumedOverChange = force && drift?.runbook != nil
        setup.handoff = handoff
        // Another user resuming the run operates it from now on: the journal
        // says so, and the two-person rule compares with them.
        if handoff == nil, let op = state.operatorUser, op != osUser() { setup.handoff = ("resumed the run", nil) }
        let base = ResumePolicy.clock(state, now: Date())
        let recapMasker = Masker(secrets: secrets.values)
        setup.resumeRecap = ResumeRecap.render(state: state, runbook: rb, includes: includes, runDir: store.runDir(id), masker: recapMasker)
        let console = RunSession.console()
        setup.drill = info.drill
        let code = RunSession.execute(setup: setup, state: state, journal: journal, console: console, baseElapsed: base, resumed: true, shared: shared)
        DrillFinish.write(journalPath: path, setup: setup, root: ws.root, shared: shared)
        throw code
    }
}
