#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterProcess

/// A profile's `credential_process`: a command whose stdout is the
/// credentials as JSON (`Version` 1, `AccessKeyId`, `SecretAccessKey`,
/// optional `SessionToken` and `Expiration`). `aws configure
/// export-credentials --profile P --format process` prints exactly that, so
/// it covers `aws sso` and assumed roles without muster reading either.
///
/// Run as the AWS CLI runs it: the line split into arguments like a POSIX
/// shell's words (quotes and backslashes, no expansion), started without a
/// shell, with the caller's environment. Its stdout is never shown; on a
/// failure the error carries the end of its stderr.
enum CredentialProcess {
    static func run(argv: [String], profile: String, environment: [String: String]) throws(StoreError) -> AWSCredentials {
        let what = "the credential_process of AWS profile \(profile)"
        guard let program = argv.first, let path = executable(program, environment: environment) else {
            throw StoreError(.configuration, "\(what) names no program muster can find (\(StorePath.quote(argv.first ?? "")))")
        }
        let ran: ChildProcess.Ran
        do { ran = try ChildProcess.run(path, argv: argv, environment: environment) } catch {
            throw StoreError(.configuration, "\(what) could not be started: \(error.message)")
        }
        let tail = String(decoding: ran.stderr.suffix(400), as: UTF8.self).trimmingWhitespace()
        guard ran.status == 0 else {
            throw StoreError(.configuration, "\(what) failed (exit status \(ran.status))" + (tail.isEmpty ? "" : ": \(tail)"))
        }
        let bad = StoreError(.configuration, "\(what) did not print credentials as JSON with Version 1, AccessKeyId and SecretAccessKey (its output is not shown: it may hold secrets)")
        guard let json = try? JSONDecoder().decode(Printed.self, from: Data(ran.stdout)),
              json.Version == 1,
              let key = json.AccessKeyId, !key.isEmpty,
              let secret = json.SecretAccessKey, !secret.isEmpty else { throw bad }
        var expiration: Double?
        if let text = json.Expiration {
            guard let date = parseTime(text) else {
                throw StoreError(.configuration, "\(what) printed an Expiration that is not an ISO 8601 time: \(StorePath.quote(String(text.prefix(40))))")
            }
            expiration = date.timeIntervalSince1970
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: json.SessionToken,
                              expiration: expiration, source: what)
    }

    /// What the process prints (the AWS CLI's names).
    private struct Printed: Decodable {
        var Version: Int?
        var AccessKeyId: String?
        var SecretAccessKey: String?
        var SessionToken: String?
        var Expiration: String?
    }

    /// An ISO 8601 time, with or without fractional seconds, `Z` or an offset
    /// (`aws configure export-credentials` prints `2026-11-29T21:00:00+00:00`).
    static func parseTime(_ text: String) -> Date? { UTCTime.parse(text) }

    /// `program` itself when it has a `/`, else the first executable of that
    /// name on the environment's PATH.
    static func executable(_ program: String, environment: [String: String]) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        for dir in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Splits a command line as Python's `shlex.split` does in POSIX mode
    /// (what the AWS CLI uses): whitespace separates words; single quotes
    /// keep everything; double quotes keep everything but `\` before `"`,
    /// `\`, `$`, `` ` `` or a newline; a `\` outside quotes keeps the next
    /// character. Nil when a quote is left open.
    static func split(_ line: String) -> [String]? {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var chars = Array(line)[...]
        while let c = chars.popFirst() {
            switch quote {
            case "'":
                if c == "'" { quote = nil } else { word.append(c) }
            case "\"":
                if c == "\"" {
                    quote = nil
                } else if c == "\\", let next = chars.first, "\"\\$`\n".contains(next) {
                    word.append(chars.removeFirst())
                } else {
                    word.append(c)
                }
            default:
                if c == " " || c == "\t" || c == "\n" || c == "\r" {
                    if inWord { words.append(word) }
                    word = ""
                    inWord = false
                } else if c == "'" || c == "\"" {
                    quote = c
                    inWord = true
                } else if c == "\\" {
                    guard let next = chars.popFirst() else { return nil }
                    word.append(next)
                    inWord = true
                } else {
                    word.append(c)
                    inWord = true
                }
            }
        }
        guard quote == nil else { return nil }
        if inWord { words.append(word) }
        return words
    }
}
