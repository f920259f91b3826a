import MusterBasics
import MusterEngine
import MusterTerminal

/// What `verify` found, said as it is found (text) or gathered into one JSON
/// document at the end (`--json`), so both forms come from the same checks.
/// The JSON keys are a contract (docs/cli.md); add to them, never rename.
package final class VerifyOutput {
    package let json: Bool
    package let target: String
    package var kind = "journal"
    package var problem: String?
    package var journal: String?
    package var events: Int?
    package var chainStartsAt: Int?
    package var finalHash: String?
    package var signedEvents: Int?
    package var signed = false
    package var signer: Signer?
    private var messages: [String] = []
    private var details: [String] = []

    package init(json: Bool, target: String) {
        self.json = json
        self.target = target
    }

    /// A line of what holds.
    package func say(_ line: String) {
        if json { messages.append(line) } else { print(line) }
    }

    /// A line explaining the failure that follows it.
    package func detail(_ line: String) {
        if json { details.append(line) } else { printError("muster: \(line)") }
    }

    /// The failure, for `throw out.fail(...)`: exit 1 either way.
    package func fail(_ message: String) -> ExitStatus {
        if json { problem = message } else { printError("muster: \(message)") }
        return ExitStatus.failure
    }

    package func finish() {
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
