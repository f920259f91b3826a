#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat

/// What a person signs for the two-person rule: the run, the step, the
/// SHA-256 of exactly what they were shown, their decision and the time.
/// Binding the hash (not the step's name) is what makes an approval of
/// `rm -f /tmp/scratch` worthless for a step edited into `DROP DATABASE`,
/// and binding the decision keeps a denial from being read as an approval.
///
/// The text is line-based and has one spelling for each statement, so a
/// verifier re-reads exactly the bytes that were signed; no field may hold
/// a line break (a reason is folded onto one line before it is signed).
public struct SignedStatement: Sendable, Equatable {
    public enum Decision: String, Sendable { case approve, deny, operate }

    public var runID: String
    /// The step key; "-" for a session's start, resume or takeover.
    public var step: String
    /// SHA-256 (hex) of the request shown to an approver, or for
    /// `operate` of the runbook's bytes.
    public var sha256: String
    public var decision: Decision
    public var reason: String
    /// UTC, as the journal writes it.
    public var at: String

    public static let header = "muster-approval 1"
    /// The SSH signature namespace (`ssh-keygen -Y sign -n`): a signature
    /// made for git or for a login can never stand in for an approval.
    public static let namespace = "muster-approval"

    public init(runID: String, step: String, sha256: String, decision: Decision, reason: String = "", at: String) {
        self.runID = runID
        self.step = step
        self.sha256 = sha256
        self.decision = decision
        self.reason = reason.split(whereSeparator: \.isNewline).joined(separator: " ")
        self.at = at
    }

    public var text: String {
        [Self.header, "run: \(runID)", "step: \(step)", "sha256: \(sha256)", "decision: \(decision.rawValue)", "reason: \(reason)", "at: \(at)"]
            .joined(separator: "\n") + "\n"
    }

    /// The statement `text` spells, or nil for anything else: the fields
    /// in their order, each once, nothing after.
    public static func parse(_ text: String) -> SignedStatement? {
        guard text.hasSuffix("\n") else { return nil }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let keys = ["run", "step", "sha256", "decision", "reason", "at"]
        guard lines.count == keys.count + 1, lines[0] == header else { return nil }
        var values: [String] = []
        for (line, key) in zip(lines.dropFirst(), keys) {
            guard line.hasPrefix(key + ": ") else { return nil }
            values.append(String(line.dropFirst(key.count + 2)))
        }
        guard let decision = Decision(rawValue: values[3]), values[2].count == 64,
              values[2].allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        let s = SignedStatement(runID: values[0], step: values[1], sha256: values[2], decision: decision, reason: values[4], at: values[5])
        return s.text == text ? s : nil
    }

    /// SHA-256 (hex) of what an approver is shown.
    public static func digest(_ shown: String) -> String { SHA256Hash.hex(Array(shown.utf8)) }
}

/// A statement and its armored SSH signature, as they travel in a request
/// and rest in the journal.
public struct Signed: Codable, Sendable, Equatable {
    public var statement: String
    public var signature: String
    public init(statement: String, signature: String) {
        self.statement = statement
        self.signature = signature
    }
}

/// Who signed, once `allowed_signers` and the signature agree.
public struct Signer: Sendable, Equatable {
    /// The key's fingerprint (`SHA256:…`): the person, whatever OS user or
    /// AWS identity they arrive with.
    public var key: String
    /// The names `allowed_signers` gives that key (what `approval.from` lists).
    public var principals: [String]
    public init(key: String, principals: [String]) {
        self.key = key
        self.principals = principals
    }
    public var name: String { principals.first ?? key }
}

/// Checks a signature against the repository's `allowed_signers` (the CLI
/// asks `ssh-keygen -Y verify`); the reason when it does not hold.
public protocol SignatureChecker: AnyObject {
    func check(_ signed: Signed) -> Result<Signer, SignatureRefusal>
}

public struct SignatureRefusal: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
