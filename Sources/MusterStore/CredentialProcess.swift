#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics

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
        let ran: Ran
        do { ran = try spawn(path, argv: argv, environment: environment) } catch {
            throw StoreError(.configuration, "\(what) could not be started: \(String(cString: strerror(error.code)))")
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

    struct Ran {
        var status: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]
    }

    struct SpawnFailure: Error { var code: Int32 }

    /// Runs `path` with `argv` (its first word the program's name), the
    /// environment given and stdin from /dev/null, and reads its stdout and
    /// stderr together (so neither pipe fills and blocks it) until both
    /// close. Without Foundation's Process, which would load all of
    /// Foundation at every start of muster (docs/performance.md).
    static func spawn(_ path: String, argv: [String], environment: [String: String]) throws(SpawnFailure) -> Ran {
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard pipe(&out) == 0 else { throw SpawnFailure(code: errno) }
        guard pipe(&err) == 0 else {
            let code = errno
            close(out[0]); close(out[1])
            throw SpawnFailure(code: code)
        }
        // Not inherited by anything else this process starts meanwhile.
        for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK))
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in cArgs + cEnv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attr, cArgs, cEnv)
        close(out[1])
        close(err[1])
        guard rc == 0 else {
            close(out[0]); close(err[0])
            throw SpawnFailure(code: rc)
        }
        var ran = Ran(status: 0, stdout: [], stderr: [])
        var fds = [pollfd(fd: out[0], events: Int16(POLLIN), revents: 0), pollfd(fd: err[0], events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 8192)
        while fds.contains(where: { $0.fd >= 0 }) {
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for i in fds.indices where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 {
                    close(fds[i].fd)
                    fds[i].fd = -1
                } else if i == 0 {
                    ran.stdout += buffer[0..<n]
                } else {
                    ran.stderr += buffer[0..<n]
                }
            }
        }
        for f in fds where f.fd >= 0 { close(f.fd) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        ran.status = status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
        return ran
    }

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
