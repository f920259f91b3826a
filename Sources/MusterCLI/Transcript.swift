#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Dispatch
import MusterCore
import MusterTerminal
import Synchronization

/// The output lines of a run's steps, as shown (masked, shortened), in
/// `runs/RUN_ID/output.log`: one `STEP<TAB>LINE` per line. The journal keeps
/// an attempt's last lines only when the attempt ends; after a crash or a
/// lost laptop, this is where a resume finds what the step was printing.
///
/// Written without fsync, in batches at most half a second old, so a step
/// that prints a million lines costs a few hundred writes, not a million
/// syscalls, and a crash loses at most the last half second.
/// `@unchecked`: the descriptor never changes, the buffer is behind its
/// mutex, and a Dispatch source may be cancelled from any thread.
final class Transcript: @unchecked Sendable {
    static func path(runDir: String) -> String { Paths.join(runDir, "output.log") }

    private let fd: Int32
    private let buffer = Mutex<[UInt8]>([])
    private let timer: DispatchSourceTimer

    init?(runDir: String) {
        fd = StateModes.open(Self.path(runDir: runDir), O_WRONLY | O_APPEND)
        guard fd >= 0 else { return nil }
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "muster.transcript"))
        timer.schedule(deadline: .now() + 0.5, repeating: 0.5)
        timer.setEventHandler { [weak self] in self?.flush() }
        timer.resume()
    }

    func append(step: String, line: String) {
        let full = buffer.withLock { b in
            b.append(contentsOf: step.utf8)
            b.append(9)
            // One record per line, whatever the line holds, and no escape
            // sequence for whoever reads the file on a terminal.
            b.append(contentsOf: sanitize(line, lines: true).utf8.map { $0 == 10 || $0 == 13 ? 32 : $0 })
            b.append(10)
            return b.count >= 64 << 10
        }
        if full { flush() }
    }

    func flush() {
        buffer.withLock { b in
            guard !b.isEmpty else { return }
            b.withUnsafeBytes { raw in
                var at = 0
                while at < raw.count {
                    let n = write(fd, raw.baseAddress! + at, raw.count - at)
                    if n < 0, errno == EINTR { continue }
                    if n <= 0 { break }
                    at += n
                }
            }
            b.removeAll(keepingCapacity: true)
        }
    }

    func close() {
        timer.cancel()
        flush()
        _ = Glibc.close(fd)
    }

    /// The last `count` lines a step printed, from a transcript file.
    static func lastLines(of step: String, runDir: String, count: Int = 10) -> [String] {
        guard let bytes = try? Paths.read(path(runDir: runDir)) else { return [] }
        let prefix = Array(step.utf8) + [9]
        var lines: [String] = []
        for line in bytes.split(separator: 10) where line.starts(with: prefix) {
            lines.append(String(decoding: line.dropFirst(prefix.count), as: UTF8.self))
            if lines.count > count { lines.removeFirst() }
        }
        return lines
    }
}

/// Passes everything to the terminal, and each step's output lines to the
/// transcript too.
final class TranscriptConsole: RunConsole {
    let inner: RunConsole
    let transcript: Transcript
    private var step = ""

    init(_ inner: RunConsole, transcript: Transcript) {
        self.inner = inner
        self.transcript = transcript
    }

    var isInteractive: Bool { inner.isInteractive }

    func show(_ message: ConsoleMessage) {
        switch message {
        case .stepHeader(_, _, _, _, _, let id): step = id
        case .output(_, let line): transcript.append(step: step, line: line)
        default: break
        }
        inner.show(message)
    }

    func ask(_ question: String, hint: String, status: String) -> AnswerRead {
        transcript.flush()
        return inner.ask(question, hint: hint, status: status)
    }

    func ask(_ question: String, hint: String, status: String, within seconds: Double) -> AnswerRead? {
        transcript.flush()
        return inner.ask(question, hint: hint, status: status, within: seconds)
    }
}
