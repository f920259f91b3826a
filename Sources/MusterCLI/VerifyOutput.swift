import ArgumentParser
import MusterBasics
import MusterEngine
import MusterTerminal

/// What `verify` found, said as it is found (text) or gathered into one JSON
/// document at the end (`--json`), so both forms come from the same checks.
/// The JSON keys are a contract (docs/cli.md); add to them, never rename.
final class VerifyOutput {
    let json: Bool
    let target: String
    var kind = "journal"
    var problem: String?
    var journal: String?
    var events: Int?
    var chainStartsAt: Int?
    var finalHash: String?
    var signedEvents: Int?
    var signed = false
    var signer: Signer?
    private var messages: [String] = []
    private var details: [String] = []

    init(json: Bool, target: String) {
        self.json = json
        self.target = target
    }

    /// A line of what holds.
    func say(_ line: String) {
        if json { messages.append(line) } else { print(line) }
    }

    /// A line explaining the failure that follows it.
    func detail(_ line: String) {
        if json { details.append(line) } else { printError("muster: \(line)") }
    }

    /// The failure, for `throw out.fail(...)`: exit 1 either way.
    func fail(_ message: String) -> ExitCode {
        if json { problem = message } else { printError("muster: \(message)") }
        return ExitCodes.failure
    }

    func finish() {
        guard json else { return }
        let doc: JSON = .object([
            ("target", .string(target)),
            ("kind", .string(kind)),
            ("intact", .bool(problem == nil)),
            ("problem", .from(problem)),
            ("details", .array(details.map(JSON.string))),
            ("journal", .from(journal)),
            ("events", .from(events)),
            ("chain_starts_at", .from(chainStartsAt)),
            ("final_hash", .from(finalHash)),
            ("signed_events", .from(signedEvents)),
            ("signed", kind == "record" ? .bool(signed) : .null),
            ("signer", signer.map { .object([("principals", .array($0.principals.map(JSON.string))), ("key", .string($0.key))]) } ?? .null),
            ("messages", .array(messages.map(JSON.string))),
        ])
        print(doc.serialized(pretty: true))
    }
}
