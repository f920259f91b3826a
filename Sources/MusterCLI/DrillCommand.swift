#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterApp

struct DrillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Run a drill: its runbook with its parameters, timed against the RTO, and write its record.",
        discussion: """
        A drill is a run: it is journaled, answered and resumed exactly like `muster run`. When it ends \
        (recovered, failed, or paused: aborted) its record is written to drills/records/DRILL/TIMESTAMP.json; \
        a resumed drill rewrites the same record. A drill refuses a runbook with uncommitted changes unless \
        --allow-dirty is given, so that its record points at the commit it ran. Exit status as for `muster run`.
        """
    )

    @Argument(help: "A drill name (drills/NAME.yaml) or path.")
    var drill: String

    @Option(name: [.customShort("p"), .customLong("param")], help: "NAME=VALUE (repeatable); overrides the drill's own value, with a warning.")
    var params: [String] = []

    @Flag(help: "Answer checklist items and confirm gates with yes, as for `muster run --yes`. The record says unattended: true, and reports never count the run as best or in the trend.")
    var yes = false

    enum Mode: String, ExpressibleByArgument, CaseIterable { case live, rehearsal }

    @Option(help: "live (automated steps run) or rehearsal (they are shown, not run); overrides the drill file's mode.")
    var mode: Mode?

    @Option(name: .customLong("records-dir"), help: "Where records go (default: drills/records of the repository).")
    var recordsDir: String?

    @Option(help: "Also write the drill as JUnit XML to this file.")
    var junit: String?

    @Option(help: ArgumentHelp("Drill the runbook (and the runbooks it includes) as of this git commit, tag or branch; the drill file itself is read from the working tree.", valueName: "rev"))
    var rev: String?

    @Flag(help: "Start a new run even while another run of the same runbook is being executed (journaled).")
    var new = false

    @Option(help: ArgumentHelp("A training drill that replays this earlier run of the same runbook: each automated step does what it did then (exit status, reply, printed lines), nothing runs for real, and the record compares the trainee with what happened.", valueName: "RUN_ID"))
    var replay: String?

    @Flag(name: .customLong("allow-dirty"), help: "Drill even though the runbook or a runbook it includes has uncommitted changes (the record says runbook_dirty: true).")
    var allowDirty = false

    @Flag(name: .customLong("commit-record"), help: "When the drill ends, commit its record to the repository (only the record, whatever else is staged).")
    var commitRecord = false

    @OptionGroup var storeOption: StoreOption

    func run() throws {
        try DrillRun(drill: drill, params: params, yes: yes, mode: mode?.rawValue, recordsDir: recordsDir, junit: junit, rev: rev, new: new, replay: replay, allowDirty: allowDirty, commitRecord: commitRecord, openStore: { try storeOption.open() }).run()
    }
}
