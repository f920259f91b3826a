#if canImport(Glibc)
@preconcurrency import Glibc
#endif

import MusterBasics

import MusterFormat

public import MusterEngine

/// The executor's console on a terminal or a pipe: the same questions and
/// answers either way (one line per answer), colour only on a terminal.
public final class TerminalConsole: RunConsole {
    let out: Style
    let stdinIsTerminal: Bool
    let signalFD: Int32
    let takeSignal: () -> Int32?
    private var buffer: [UInt8] = []
    private var eof = false

    public init(style: Style = .stdout, signalFD: Int32, takeSignal: @escaping () -> Int32?) {
        out = style
        stdinIsTerminal = isatty(0) == 1
        self.signalFD = signalFD
        self.takeSignal = takeSignal
    }

    func write(_ s: String) {
        fputs(s, Glibc.stdout)
    }

    /// True while the last thing written is a progress line without its newline.
    private var progressOpen = false

    /// Rows of the branches' live lines drawn last, just above the cursor.
    private var laneRows = 0

    /// Takes the branches' live lines off the screen: whatever comes next
    /// is written where they were, and the next `lanes` draws them below.
    private func closeLanes() {
        guard laneRows > 0 else { return }
        write("\u{1B}[\(laneRows)A\r\u{1B}[J")
        laneRows = 0
    }

    /// Ends what is drawn to be redrawn (the branches' live lines, an
    /// open progress line), so the next line starts on a line of its own.
    private func settle() {
        closeLanes()
        if progressOpen {
            write("\n")
            progressOpen = false
        }
    }

    func line(_ s: String) {
        settle()
        answeredRows = nil
        write(s + "\n")
    }

    /// Rows the last prompt (status, question, hint and the answer the
    /// terminal echoed) took, while nothing has been written below it.
    private var answeredRows: Int?

    /// Rows `text` takes on a terminal `columns` wide, one per character:
    /// near enough for the prompts redrawn, which are short.
    private func rows(_ text: String, columns: Int) -> Int {
        max(1, (text.count + columns - 1) / columns)
    }

    private var columns: Int {
        var size = winsize()
        return ioctl(1, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
    }

    var bar: String { out.isTerminal ? "│" : "|" }

    public var isInteractive: Bool { stdinIsTerminal }

    public func show(_ message: ConsoleMessage) {
        switch message {
        case .runHeader(let title, let runID, let steps, let resumed, let drill):
            if let drill { line(out.bold(out.yellow("=== \(sanitize(drill)) ==="))) }
            line(out.bold(sanitize(title)))
            line(out.dim("run \(sanitize(runID)) · \(steps) step\(steps == 1 ? "" : "s")\(resumed ? " · resumed" : "")"))
        case .description(let text, let drill):
            var trimmed = Substring(text)
            while let c = trimmed.last, c.isWhitespace { trimmed.removeLast() }
            guard !trimmed.isEmpty else { break }
            line("")
            for l in sanitize(String(trimmed), lines: true).split(separator: "\n", omittingEmptySubsequences: false) {
                line(drill ? out.yellow(String(l)) : String(l))
            }
        case .stepHeader(let index, let total, _, let kind, let title, let id):
            line("")
            line(out.bold("[\(index)/\(total)] \(sanitize(title))") + "  " + out.dim("\(kind.rawValue) · \(sanitize(id))"))
        case .notes(let text):
            for l in text.split(separator: "\n", omittingEmptySubsequences: false) { line("    " + out.dim(sanitize(String(l), lines: true))) }
        case .checklistItem(let text):
            line("    [x] " + sanitize(text))
        case .itemChecked(let text):
            guard let rows = answeredRows else { return }
            // Up over the prompt, clear to the end of the screen, and the item checked.
            write("\u{1B}[\(rows)A\r\u{1B}[J")
            line("    [x] " + sanitize(text))
        case .command(let script):
            for l in script.split(separator: "\n") { line("    " + out.cyan("$ ") + sanitize(String(l), lines: true)) }
        case .output(let isErr, let text):
            line("    " + (isErr ? out.yellow("!") : out.dim(bar)) + " " + sanitize(text, lines: true))
        case .laneOutput(let lane, _, let isErr, let text):
            // A terminal shows it on its branch's live line instead.
            guard !out.isTerminal else { return }
            line("    " + (isErr ? out.yellow("!") : out.dim(bar)) + " " + sanitize("[\(lane)] " + text, lines: true))
        case .lanes(let lanes):
            guard out.isTerminal else { return }
            settle()
            let width = max(20, columns - 1)
            for l in lanes {
                // The branch, its time and its last line matter most: a long
                // title gives way first, then the last line's end.
                let head = "    [\(sanitize(l.lane))] ", time = " · " + formatSeconds(l.seconds)
                let last = l.last.map { " · " + sanitize($0) } ?? ""
                var title = sanitize(l.title)
                let room = width - head.count - time.count - min(last.count, width / 2)
                if title.count > max(12, room) { title = String(title.prefix(max(12, room) - 1)) + "…" }
                var text = head + title + time + last
                if text.count > width { text = String(text.prefix(width - 1)) + "…" }
                write(out.dim(text) + "\n")
            }
            laneRows = lanes.count
            answeredRows = nil
            fflush(Glibc.stdout)
        case .stepResult(let outcome, let seconds, let detail):
            let mark = switch outcome {
            case .finished(.done): out.green("✓ done")
            // Walked through, nothing ran: neither a success nor a failure.
            case .finished(.rehearsed): out.cyan("✓ rehearsed")
            case .finished(.skipped): out.yellow("↷ skipped")
            case .finished(.failed): out.red("✗ failed")
            case .rolledBack: out.green("↶ rolled back")
            case .rollbackFailed: out.red("✗ rollback failed")
            }
            // Nothing ran for a step skipped before it began: no time to show.
            let took = outcome == .finished(.skipped) && seconds == 0 ? "" : " in \(formatSeconds(seconds))"
            line("    \(mark)\(took)" + (detail.map { ": " + sanitize($0) } ?? ""))
        case .info(let text):
            line("    " + sanitize(text))
        case .progress(let text):
            if out.isTerminal {
                closeLanes()
                // One line, rewritten in place: attempts, elapsed, last result.
                write("\r\u{1B}[K    " + sanitize(text))
                fflush(Glibc.stdout)
                progressOpen = true
            } else {
                line("    " + sanitize(text))
            }
        case .warning(let text):
            // The one warning prefix, as `muster: warning:` and validate's
            // `warning:`; a lone `!` marks a command's stderr lines.
            line("    " + out.yellow("warning: " + sanitize(text)))
        case .escalationBanner(let contact, let elapsed):
            line("")
            line(out.bold(out.red("*** ESCALATE: \(formatSeconds(elapsed)) elapsed. Call \(sanitize(contact)). Answer e at a prompt to record it. ***")))
        case .ladder(let rungs, let elapsed):
            line("    Escalation ladder (\(formatSeconds(elapsed)) elapsed):")
            for (i, r) in rungs.enumerated() {
                line("    \(i + 1). after \(DurationFormat.format(r.after)): \(sanitize(r.contact))" + (Double(r.after) <= elapsed ? "  (due)" : ""))
            }
        case .runResult(let outcome, let elapsed, let runID, let resumeHint):
            line("")
            line(out.bold("Run \(sanitize(runID)) \(sanitize(outcome)) after \(formatSeconds(elapsed))."))
            if resumeHint { line("Continue with: muster resume \(sanitize(runID))") }
        }
    }

    public func ask(_ question: String, hint: String, status: String) -> AnswerRead {
        ask(question, hint: hint, status: status, until: nil) ?? .eof
    }

    public func ask(_ question: String, hint: String, status: String, within seconds: Double) -> AnswerRead? {
        ask(question, hint: hint, status: status, until: monotonicNow() + max(0, seconds))
    }

    /// On a terminal the typed answer is not echoed (the Enter is, so the
    /// screen goes on below); on a pipe `***` stands where the answer would
    /// be written back. The terminal's settings are restored however the
    /// read ends (a signal included).
    public func askSecret(_ question: String, hint: String, status: String) -> AnswerRead {
        var saved = termios()
        let quiet = stdinIsTerminal && tcgetattr(0, &saved) == 0
        if quiet {
            var t = saved
            t.c_lflag &= ~tcflag_t(ECHO)
            t.c_lflag |= tcflag_t(ECHONL)
            _ = tcsetattr(0, TCSANOW, &t)
        }
        defer { if quiet { _ = tcsetattr(0, TCSANOW, &saved) } }
        return ask(question, hint: hint, status: status, until: nil, secret: true) ?? .eof
    }

    private func ask(_ question: String, hint: String, status: String, until deadline: Double?, secret: Bool = false) -> AnswerRead? {
        // The status line under the question says what runs beside it.
        settle()
        if question != woken { discardTypeAhead() }
        woken = nil
        let shown = prompt(question, hint: hint, status: status)
        fflush(Glibc.stdout)
        guard let answer = readLine(until: deadline) else {
            line("(no answer in time)")
            return nil
        }
        if answer == .signal(.inboxWake) { woken = question }
        if case .line(let l) = answer, !stdinIsTerminal {
            line(secret ? "***" : sanitize(l))
        } else if answer == .eof || answer == .signal(.inboxWake) {
            // Ended by no answer: what comes next starts on a line of its own.
            line("")
        } else if case .line(let l) = answer, out.isTerminal {
            let width = columns
            answeredRows = rows(shown[0], columns: width) + rows(shown[1], columns: width) + rows(shown[2] + (secret ? "" : l), columns: width)
        }
        return answer
    }

    /// The question a request's arrival interrupted: drawn again at once,
    /// it was on screen all along, so what is being typed is for it.
    private var woken: String?

    /// On a terminal, keys pressed before a question is on screen were meant
    /// for something else (a `y` for the last question pressed twice, Enter
    /// while a step ran): they never answer it. Discarded just before the
    /// question is drawn, so that every key pressed once it shows is kept; a
    /// line says so, without what was typed (it may be a secret). On a pipe
    /// the answers are the script's, read in order: nothing is dropped.
    private func discardTypeAhead() {
        guard stdinIsTerminal, !eof else { return }
        var pending: Int32 = 0
        if ioctl(0, UInt(FIONREAD), &pending) != 0 { pending = 0 }
        let dropped = !buffer.isEmpty || pending > 0
        tcflush(0, TCIFLUSH)
        buffer.removeAll()
        if dropped { line("    " + out.dim("(keys pressed before this question was shown are ignored: answer it now)")) }
    }

    /// Draws a question as `ask` does, the cursor left after its `> `;
    /// returns the three lines' text without colour.
    private func prompt(_ question: String, hint: String, status: String) -> [String] {
        let shown = ["    [\(sanitize(status))]", "    " + sanitize(question), "    (\(sanitize(hint))) > "]
        line(out.dim(shown[0]))
        line("    " + out.bold(sanitize(question)))
        write(shown[2])
        return shown
    }

    /// A question someone else is asked (`muster follow`): drawn as `ask`
    /// draws it, `waiting` (whose answer) where the answer would be typed.
    /// A checklist item answered done then redraws checked, as on the
    /// operator's screen.
    public func showQuestion(_ question: String, hint: String, status: String, waiting: String) {
        settle()
        let shown = prompt(question, hint: hint, status: status)
        write(out.dim(sanitize(waiting)) + "\n")
        fflush(Glibc.stdout)
        if out.isTerminal {
            let width = columns
            answeredRows = rows(shown[0], columns: width) + rows(shown[1], columns: width) + rows(shown[2] + waiting, columns: width)
        }
    }

    /// One line from stdin, waking for signals on the self-pipe; nil when
    /// `deadline` (monotonic seconds) passes first.
    func readLine(until deadline: Double? = nil) -> AnswerRead? {
        while true {
            // A signal wins over answers already buffered from a pipe.
            if let s = takeSignal() { return .signal(Signal(s)) }
            if let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var l = Array(buffer[..<nl])
                buffer.removeSubrange(...nl)
                if l.last == UInt8(ascii: "\r") { l.removeLast() }
                return .line(String(decoding: l, as: UTF8.self))
            }
            if eof {
                // The terminal hung up (its reads end, its ioctls fail):
                // SIGHUP may come a moment later, but this is no end of
                // answers typed, and it must not be journaled as one.
                if buffer.isEmpty, stdinIsTerminal, isatty(0) == 0 { return .signal(.hangUp) }
                if buffer.isEmpty { return .eof }
                let l = buffer
                buffer.removeAll()
                return .line(String(decoding: l, as: UTF8.self))
            }
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0), pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)]
            var wait: Int32 = -1
            if let deadline {
                let left = deadline - monotonicNow()
                if left <= 0 { return nil }
                wait = Int32(min(left, 3600) * 1000) + 1
            }
            let n = poll(&fds, signalFD >= 0 ? 2 : 1, wait)
            if n < 0 { if errno == EINTR { continue }; eof = true; continue }
            if fds[0].revents != 0 {
                var chunk = [UInt8](repeating: 0, count: 4096)
                let got = chunk.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
                if got > 0 { buffer.append(contentsOf: chunk[0..<got]) } else if got == 0 || errno != EINTR { eof = true }
            }
        }
    }
}

/// Seconds on the clock the runner times steps with (MusterProcess's
/// `monotonicSeconds`; this target does not depend on that one).
private func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_BOOTTIME, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
