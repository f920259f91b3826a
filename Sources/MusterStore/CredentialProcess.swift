import Foundation

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
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = Array(argv.dropFirst())
        p.environment = environment
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch {
            throw StoreError(.configuration, "\(what) could not be started: \(error.localizedDescription)")
        }
        // stderr is drained beside stdout, so neither pipe fills and blocks it.
        let errorText = ErrorText()
        let drain = Thread { errorText.bytes = err.fileHandleForReading.readDataToEndOfFile() }
        drain.start()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while !drain.isFinished { usleep(1000) }
        let tail = String(decoding: errorText.bytes.suffix(400), as: UTF8.self).trimmingWhitespace()
        guard p.terminationStatus == 0 else {
            throw StoreError(.configuration, "\(what) failed (exit status \(p.terminationStatus))" + (tail.isEmpty ? "" : ": \(tail)"))
        }
        let bad = StoreError(.configuration, "\(what) did not print credentials as JSON with Version 1, AccessKeyId and SecretAccessKey (its output is not shown: it may hold secrets)")
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              (json["Version"] as? Int) == 1,
              let key = json["AccessKeyId"] as? String, !key.isEmpty,
              let secret = json["SecretAccessKey"] as? String, !secret.isEmpty else { throw bad }
        var expiration: Double?
        if let text = json["Expiration"] as? String {
            guard let date = parseTime(text) else {
                throw StoreError(.configuration, "\(what) printed an Expiration that is not an ISO 8601 time: \(StorePath.quote(String(text.prefix(40))))")
            }
            expiration = date.timeIntervalSince1970
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: json["SessionToken"] as? String,
                              expiration: expiration, source: what)
    }

    /// An ISO 8601 time, with or without fractional seconds, `Z` or an offset
    /// (`aws configure export-credentials` prints `2026-11-29T21:00:00+00:00`).
    static func parseTime(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions.insert(.withFractionalSeconds)
        return plain.date(from: text) ?? fractional.date(from: text)
    }

    /// stderr's bytes, written by the draining thread before it finishes.
    private final class ErrorText: @unchecked Sendable { var bytes = Data() }

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
