#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import ArgumentParser
import MusterBasics
import MusterApp
import MusterTerminal

/// Runs the command line and maps every outcome to the exit codes of
/// `cli.md`: argument mistakes are usage errors (2), never ArgumentParser's 64.
public enum MusterMain {
    public static func run(_ arguments: [String]? = nil) -> Never {
        // A pipe would otherwise hold output back until exit.
        setvbuf(Glibc.stdout, nil, _IOLBF, 0)
        do {
            var command = try MusterCommand.parseAsRoot(arguments)
            try command.run()
            exit(0)
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch let status as ExitStatus {
            exit(status.rawValue)
        } catch let failure as CommandFailure {
            printError("muster: \(failure.message)")
            exit(failure.code.rawValue)
        } catch {
            let code = MusterCommand.exitCode(for: error)
            if code == .success {
                MusterCommand.exit(withError: error)
            }
            let given = arguments ?? Array(CommandLine.arguments.dropFirst())
            if let word = misspeltCommand(given) {
                printError("muster: unknown command '\(word.given)'. Did you mean `muster \(word.meant)`?")
                exit(ExitStatus.usage.rawValue)
            }
            printError(MusterCommand.fullMessage(for: error))
            exit(code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue)
        }
    }
}

/// A first word that is no command but close to one (`muster rnus`):
/// ArgumentParser would only call it an unexpected argument.
func misspeltCommand(_ arguments: [String]) -> (given: String, meant: String)? {
    guard let first = arguments.first, !first.hasPrefix("-") else { return nil }
    let names = MusterCommand.configuration.subcommands.compactMap { $0.configuration.commandName }
    guard !names.contains(first), let meant = suggestion(for: first, among: names) else { return nil }
    return (first, meant)
}

struct MusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "muster",
        abstract: "Run disaster-recovery runbooks step by step, and drill them against the RTO.",
        discussion: """
        Runbooks are YAML files kept in git (runbooks/NAME.yaml). See docs/format.md for the \
        format and docs/cli.md for every command, exit code and answer.
        """,
        version: MusterVersion.string,
        subcommands: [ValidateCommand.self, ShowCommand.self, RunCommand.self, ResumeCommand.self, AbandonCommand.self, TakeoverCommand.self, ApproveCommand.self, DrillCommand.self, RunsCommand.self, LogCommand.self, ReportCommand.self, DueCommand.self, HistoryCommand.self, PreflightCommand.self, SchemaCommand.self, TraceCommand.self, VerifyCommand.self, FollowCommand.self, TestCommand.self]
    )
}
