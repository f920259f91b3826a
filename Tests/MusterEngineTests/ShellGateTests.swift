#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
@testable import MusterProcess
import Testing

/// ShellRunner's gate with a real bash: the shell a step's script runs in
/// is started before the step's start is journaled, and runs nothing of it
/// until `admit` (the journal's write and fsync) returned true. What the
/// script sees is what it saw without the gate.
@Suite("ShellRunner: the gate before a step's script")
struct ShellGateTests {
    let shell = ShellRunner(bash: "/bin/bash")

    func directory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-gate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A /proc file's bytes, read to its end (its size says 0).
    static func procFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { return bytes }
            bytes += chunk[0..<n]
        }
    }

    /// The live processes whose command line holds `token` (zombies have none).
    func processes(holding token: String) -> [pid_t] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name -> pid_t? in
            guard let pid = pid_t(name), let line = Self.procFile("/proc/\(name)/cmdline") else { return nil }
            return String(decoding: line, as: UTF8.self).contains(token) ? pid : nil
        }
    }

    /// True once `pid` is blocked reading descriptor 9: the shell has
    /// started and waits at the gate (/proc/PID/syscall: the call's number,
    /// then its arguments in hex).
    func waitsAtGate(_ pid: pid_t) -> Bool {
        #if arch(x86_64)
        let readCall = "0"
        #else
        let readCall = "63"
        #endif
        guard let bytes = Self.procFile("/proc/\(pid)/syscall") else { return false }
        let words = String(decoding: bytes, as: UTF8.self).split(separator: " ")
        return words.count > 1 && words[0] == readCall && words[1] == "0x9"
    }

    func eventually(within seconds: Double = 20, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        var pause: useconds_t = 1_000
        while Date() < end {
            if condition() { return true }
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
        return condition()
    }

    /// Runs `script` with and without the gate; both results, output included.
    func both(_ script: String, environment: [String: String] = ["PATH": "/usr/bin:/bin"]) throws -> [String] {
        // Descriptors the test process holds open would reach the plain shell.
        closeInheritedDescriptorsOnExec()
        var seen: [String] = []
        for gated in [false, true] {
            var lines: [String] = []
            let r: ShellRunner.Result?
            if gated {
                r = try shell.run(script: script, environment: environment, timeout: 20, admit: { true },
                                  onLine: { lines.append("\($0 == .stderr ? "err" : "out") \($1)") }, onSignal: { _ in .keepWaiting })
            } else {
                r = try shell.run(script: script, environment: environment, timeout: 20, watchSignals: false,
                                  onLine: { lines.append("\($0 == .stderr ? "err" : "out") \($1)") }, onSignal: { _ in .keepWaiting })
            }
            let status = try #require(r).status
            seen.append((lines + ["status \(status)"]).joined(separator: "\n"))
        }
        return seen
    }

    @Test func aShellNotAdmittedRunsNothingAndIsGone() throws {
        let dir = try directory()
        let mark = dir + "/ran"
        var held: pid_t?
        let r = try shell.run(script: "touch '\(mark)'", environment: ["PATH": "/usr/bin:/bin"], timeout: 20, admit: {
            // The shell is there, started, and waits at the gate. (Its
            // command line shows once its exec is through, a moment after
            // posix_spawn returned.)
            _ = eventually { processes(holding: mark).first != nil }
            held = processes(holding: mark).first
            guard let pid = held else { return false }
            #expect(eventually { waitsAtGate(pid) }, "the shell never reached the gate")
            #expect(!FileManager.default.fileExists(atPath: mark))
            return false
        }, onLine: { _, _ in }, onSignal: { _ in .keepWaiting })
        #expect(r == nil)
        let pid = try #require(held, "no shell was started before admit was asked")
        #expect(!FileManager.default.fileExists(atPath: mark))
        // Reaped, not left a zombie: the pid names nobody any more.
        #expect(kill(pid, 0) == -1 && errno == ESRCH)
        #expect(processes(holding: mark).isEmpty)
    }

    @Test func anAdmittedShellRunsTheScript() throws {
        let dir = try directory()
        let mark = dir + "/ran"
        var lines: [String] = []
        var askedBeforeRun = false
        let r = try shell.run(script: "touch '\(mark)'; echo done", environment: ["PATH": "/usr/bin:/bin"], timeout: 20, admit: {
            askedBeforeRun = !FileManager.default.fileExists(atPath: mark)
            return true
        }, onLine: { lines.append($1) }, onSignal: { _ in .keepWaiting })
        #expect(askedBeforeRun)
        #expect(r?.status == 0)
        #expect(lines == ["done"])
        #expect(FileManager.default.fileExists(atPath: mark))
    }

    /// The gate's end closed with nobody to open it (the executor died):
    /// the shell exits 125 and runs nothing.
    @Test func aGateClosedUnopenedEndsTheShellWithoutRunningAnything() throws {
        let dir = try directory()
        let mark = dir + "/ran"
        let script = ShellRunner.gatePrefix + "touch '\(mark)'"
        // The gate's other end is closed before the shell starts: end of file at once.
        let r = try shell.run(script: "exec 9</dev/null; exec /bin/bash -euo pipefail -c \"$GATED\"", environment: ["PATH": "/usr/bin:/bin", "GATED": script],
                              timeout: 20, watchSignals: false, onLine: { _, _ in }, onSignal: { _ in .keepWaiting })
        #expect(r.status == 125)
        #expect(!FileManager.default.fileExists(atPath: mark))
    }

    @Test func theScriptSeesNoTraceOfTheGate() throws {
        let dir = try directory()
        let probes = [
            // $0, REPLY, descriptor 9, the line number, options.
            #"echo "$0 ${REPLY-unset} $LINENO $-"; [ -e /proc/$$/fd/9 ] && echo fd9 || echo no-fd9; shopt -po errexit nounset pipefail"#,
            // An error's line number, on the first line and further down.
            "no-such-command-xyz",
            "true\ntrue\nno-such-command-xyz",
            // set -e and pipefail as before.
            "false\necho not-reached",
            "false | true\necho not-reached",
            "echo $UNSET_VARIABLE_XYZ",
            // Syntax errors, on the first line and further down, run nothing.
            "echo ran; echo )",
            "echo ran\nif then",
            "echo \"${a",
            // The script's own descriptor 9.
            "exec 9>'\(dir)/nine'; echo nine >&9; cat '\(dir)/nine'",
            "read -r -u 9 x <<<'x' 9<&0 || echo no-input",
            "cat; echo read-nothing",
            // Values come in the environment only.
            #"env | grep -c '^_\|GATE' || true"#,
        ]
        for probe in probes {
            let seen = try both(probe)
            #expect(seen[0] == seen[1], "'\(probe)' differs behind the gate:\n\(seen[0])\n---\n\(seen[1])")
        }
    }

    @Test func anEnvironmentThatRunsCodeBeforeTheScriptIsAdmittedFirst() throws {
        let dir = try directory()
        let mark = dir + "/sourced"
        let startup = dir + "/startup.sh"
        try "touch '\(mark)'\n".write(toFile: startup, atomically: true, encoding: .utf8)
        for env in [["BASH_ENV": startup], ["BASH_FUNC_read%%": "() { touch '\(mark)'; }"]] {
            #expect(!ShellRunner.gateHolds(in: env))
            var environment = env
            environment["PATH"] = "/usr/bin:/bin"
            let r = try shell.run(script: "true", environment: environment, timeout: 20, admit: {
                // Not started yet: the startup file has not run.
                #expect(!FileManager.default.fileExists(atPath: mark))
                return false
            }, onLine: { _, _ in }, onSignal: { _ in .keepWaiting })
            #expect(r == nil)
            #expect(!FileManager.default.fileExists(atPath: mark))
        }
        #expect(ShellRunner.gateHolds(in: ["PATH": "/bin", "HOME": "/root"]))
    }

    /// A leftover process started from the script is named by its own
    /// command line, without the gate.
    @Test func aLeftoverIsNamedWithoutTheGate() throws {
        let r = try shell.run(script: "(sleep 30; true) &", environment: ["PATH": "/usr/bin:/bin"], timeout: 20, admit: { true },
                              onLine: { _, _ in }, onSignal: { _ in .keepWaiting })
        let leftovers = try #require(r).leftovers
        #expect(!leftovers.isEmpty)
        for p in leftovers { #expect(!p.command.contains("read -r -u 9"), "\(p.command)") }
    }
}
