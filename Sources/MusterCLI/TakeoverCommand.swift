#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import ArgumentParser
import MusterBasics
import MusterApp

/// The hand-off: the caller becomes the run's operator and continues it
/// where it is. A session still executing it is asked to stop (through a
/// request it watches for) and stops at its next prompt, or when the step
/// at work ends, or at once with `--now`; its step's processes are stopped
/// as SIGTERM would, never left behind. Then this process resumes the run.
struct TakeoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "takeover",
        abstract: "Take a run over: become its operator and continue it where it is.",
        discussion: """
        The previous session, if alive, says who took over and why, stops asking and exits 3. A step that \
        is running is left to end first (both screens say so) unless --now. The journal (handoff), the \
        drill record (handoffs) and the chat webhook record the hand-off. Exit status as for `muster resume`.
        """
    )

    @Argument(help: "The run to take over (see `muster runs`).")
    var runID: String

    @Option(help: "Why you take it over (journaled, shown to the previous operator).")
    var reason: String?

    @Flag(help: "Do not wait for a running step to end: stop it as SIGTERM would.")
    var now = false

    @Flag(help: "Answer checklist items and confirm gates with yes, as for `muster resume --yes`.")
    var yes = false

    @Flag(help: "Take over even though the runbook changed since the run began.")
    var force = false

    @OptionGroup var storeOption: StoreOption

    func run() throws {
        try TakeOverRun(runID: runID, reason: reason, now: now, yes: yes, force: force, openStore: { try storeOption.open() }).run()
    }
}
