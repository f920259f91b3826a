#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterTestSupport
import Testing

/// Where the package lives, found from this file so tests run from any cwd.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
let fixtures = packageRoot + "/Tests/MusterCLITests/Fixtures"
let snapshots = packageRoot + "/Tests/MusterCLITests/Snapshots"

/// The built `muster` binary beside the test bundle.
let musterBinary: String = {
    let candidates = [
        Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("muster").path,
        Bundle.main.bundleURL.appendingPathComponent("muster").path,
        packageRoot + "/.build/debug/muster",
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
}()

struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// A `muster` process in `cwd` with a clean, colourless environment
/// (plus `env`), not yet started.
func musterProcess(_ arguments: [String], cwd: String, env: [String: String], executable: String = musterBinary) -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    p.currentDirectoryURL = URL(fileURLWithPath: cwd)
    var environment = ProcessInfo.processInfo.environment
    environment["NO_COLOR"] = "1"
    environment.removeValue(forKey: "MUSTER_STATE_DIR")
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    return p
}

/// Runs the built binary with `arguments` in `cwd`, feeding `stdin`.
func muster(_ arguments: [String], cwd: String = packageRoot, stdin: String = "", env: [String: String] = [:], executable: String = musterBinary) throws -> Result {
    let p = musterProcess(arguments, cwd: cwd, env: env, executable: executable)
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    inp.fileHandleForWriting.write(Data(stdin.utf8))
    try inp.fileHandleForWriting.close()
    // Both pipes at once, before waiting: read one after the other, a child
    // that fills the second (64 KiB) while the first is read blocks for ever.
    nonisolated(unsafe) var e = Data()
    let stderrRead = DispatchGroup()
    DispatchQueue.global().async(group: stderrRead) { e = err.fileHandleForReading.readDataToEndOfFile() }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    stderrRead.wait()
    p.waitUntilExit()
    return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

/// Compares `actual` with a golden file; `MUSTER_RECORD=1` rewrites it.
func assertSnapshot(_ actual: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let path = snapshots + "/" + name
    if ProcessInfo.processInfo.environment["MUSTER_RECORD"] == "1" {
        try actual.write(toFile: path, atomically: true, encoding: .utf8)
        // Recording is never a pass: a run that records checks nothing.
        Issue.record("recorded Snapshots/\(name); run again without MUSTER_RECORD to check it", sourceLocation: sourceLocation)
        return
    }
    guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
        Issue.record("missing snapshot \(name); run with MUSTER_RECORD=1 to create it", sourceLocation: sourceLocation)
        return
    }
    #expect(actual == expected, "output differs from Snapshots/\(name); if the change is intended, re-record with MUSTER_RECORD=1", sourceLocation: sourceLocation)
}

/// Run ids and drill records are stamped to the second: waits until the
/// wall clock has entered the next second, so that what starts after this
/// is stamped later than what ended before it (half a second on average,
/// instead of a fixed 1.1 s). The wall clock's turn is the event here.
func waitForTheNextSecond() {
    let next = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 1).rounded(.down))
    _ = eventually(within: 2) { Date() >= next }
}

func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// A copy of `Fixtures/repo` outside any git repository, so that names are
/// looked up in it and not in the package's own `runbooks/`.
func fixtureRepo() throws -> String {
    let dir = try temporaryDirectory()
    try sh("cp -R '\(fixtures)/repo/.' .", cwd: dir)
    return dir
}

/// A `muster` process driven live: the test writes its stdin one line at a
/// time through a pipe it keeps open, reads stdout and stderr as they come,
/// and may SIGKILL it at a moment it chooses.
final class LiveMuster: @unchecked Sendable {
    let process: Process
    private let input = Pipe()
    private let lock = NSLock()
    private var out = Data(), err = Data()
    private var openStreams = 2

    /// `executable`: another way to start muster (as another OS user, say).
    init(_ arguments: [String], cwd: String, env: [String: String] = [:], executable: String = musterBinary) throws {
        // Writing to a muster that just died must fail, not kill the tests.
        signal(SIGPIPE, SIG_IGN)
        process = musterProcess(arguments, cwd: cwd, env: env, executable: executable)
        let o = Pipe(), e = Pipe()
        process.standardInput = input
        process.standardOutput = o
        process.standardError = e
        try process.run()
        collect(o.fileHandleForReading, stderr: false)
        collect(e.fileHandleForReading, stderr: true)
    }

    /// A thread per stream, so a full pipe never blocks the child.
    private func collect(_ handle: FileHandle, stderr: Bool) {
        Thread { [self] in
            while true {
                let chunk = handle.availableData
                lock.withLock {
                    if chunk.isEmpty { openStreams -= 1 } else if stderr { err.append(chunk) } else { out.append(chunk) }
                }
                if chunk.isEmpty { return }
            }
        }.start()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }
    /// Both streams reached their end: every byte the process wrote is in
    /// `stdout` and `stderr` (what a test waits for after the exit, instead
    /// of giving the reading threads a fixed while).
    var outputEnded: Bool { lock.withLock { openStreams == 0 } }

    /// Sends one answer line.
    func send(_ line: String) {
        try? input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    }

    /// End of input: the executor pauses at its next question.
    func closeInput() {
        try? input.fileHandleForWriting.close()
    }

    /// SIGKILL: no handler runs, nothing is flushed, like a lost laptop.
    func kill() {
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
    }

    /// Waits for the process to end (SIGKILLing it after `seconds`) and for
    /// its output to be read; returns the exit status, or the signal that
    /// ended it together with `signalled`.
    func finish(within seconds: Double = 20) async -> (status: Int32, signalled: Bool) {
        if !eventually(within: seconds, { !process.isRunning }) {
            Issue.record("muster \(process.arguments ?? []) still running after \(seconds)s; killed")
            kill()
        }
        process.waitUntilExit()
        closeInput()
        _ = eventually(within: 5) { outputEnded }
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
    }
}

/// Runs `command` (already shell-quoted words) through Python's subprocess
/// with no descriptors inherited beyond 0-2 and no blocked signals: for
/// daemons (tmux, Buildbot). Foundation's Process learns that a child ended
/// when every inheritor of a hidden descriptor closes it, which a daemon never
/// does, and the test runner blocks SIGTERM, which a daemon would inherit and
/// then never stop.
@discardableResult
func detached(_ command: String, cwd: String) throws -> String {
    try sh("python3 -c 'import signal, subprocess, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); sys.exit(subprocess.run(sys.argv[1:], close_fds=True, stdin=subprocess.DEVNULL).returncode)' \(command)", cwd: cwd)
}

/// Runs `command` (a linter, a hook): whether it passed, and what it said.
func attempt(_ command: String, cwd: String = packageRoot, env: [String: String] = [:]) -> (ok: Bool, output: String) {
    do { return (true, try sh(command, cwd: cwd, env: env)) } catch let e as ShellError { return (false, e.message) } catch { return (false, "\(error)") }
}

/// A copy of the repository's `file` with `old` replaced by `new`, in a
/// temporary folder: shown to a checker first, so one that checks nothing fails.
func broken(_ file: String, _ old: String, _ new: String) throws -> String {
    let text = try String(contentsOfFile: packageRoot + "/" + file, encoding: .utf8)
    #expect(text.contains(old), "\(file) no longer has \(old)")
    let path = try temporaryDirectory() + "/" + (file as NSString).lastPathComponent
    try text.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
