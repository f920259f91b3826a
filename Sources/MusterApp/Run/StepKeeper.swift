#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterProcess
import MusterTerminal

/// The step lock, `runs/RUN_ID/step.lock`, held by a session whose terminal
/// was lost while a step ran and which stays only to journal that step's
/// end (MusterEngine's `StepKeeping` says why the session itself stays).
///
/// A lock of its own rather than the run lock kept: the run lock says a
/// session operates the run, and is let go at once, so that `resume` and
/// `takeover` start without waiting for anyone; this one says the journal
/// is still to receive the step's end, and they wait for it to be free
/// before they read the journal, so no two processes ever append to it.
package enum StepKeeper {
    /// The shell of the step at work (its session and group id), named in the lock.
    nonisolated(unsafe) static var stepPID: pid_t = 0
    /// Held until this process ends, like the run lock.
    nonisolated(unsafe) private static var held: Int32 = -1

    package static func path(runDir: String) -> String { Paths.join(runDir, "step.lock") }

    /// Who keeps which step: the keeper's pid (from /proc/locks, as for the
    /// run lock), the step's key and its shell's pid (from the lock's text).
    package struct Holder {
        package var pid: Int32?
        package var step: String
        package var stepPID: Int32?
    }

    /// Takes the step lock, leaves the dead terminal (descriptors 0-2 on
    /// /dev/null: nothing more is read from it or written to it), then lets
    /// the run lock go. False, nothing changed, when the lock cannot be had.
    package static func take(runDir: String, runID: String, step: String, flush: () -> Void) -> Bool {
        let fd = StateModes.open(path(runDir: runDir), O_RDWR)
        guard fd >= 0 else { return false }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return false
        }
        ftruncate(fd, 0)
        let text = "pid \(getpid()) on \(hostName())\nstep \(stepPID) \(step)\n"
        _ = text.withCString { write(fd, $0, strlen($0)) }
        held = fd
        flush()
        fflush(Glibc.stdout)
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        if null >= 0 {
            for target: Int32 in [0, 1, 2] { dup2(null, target) }
            close(null)
        }
        RunStore.release(runID)
        return true
    }

    /// The keeper of run `runDir`'s step, or nil when no step is kept.
    package static func holder(runDir: String) -> Holder? {
        let p = path(runDir: runDir)
        guard let live = LiveLock.holder(of: p) else { return nil }
        let text = (try? Paths.read(p)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix("step ") {
            let words = line.split(separator: " ", maxSplits: 2)
            guard words.count == 3 else { continue }
            return Holder(pid: live.pid, step: String(words[2]), stepPID: Int32(words[1]).flatMap { $0 > 0 ? $0 : nil })
        }
        return Holder(pid: live.pid, step: "?", stepPID: nil)
    }

    /// For `resume` and `takeover`, which hold the run lock: while a kept
    /// step still runs, waits for its end, showing what it prints as its
    /// keeper writes it to the screen log; the step is never run again. A
    /// stop signal gives up waiting and leaves the step to its keeper (exit 3).
    package static func reattach(runDir: String, runID: String, console: TerminalConsole) throws {
        guard let kept = holder(runDir: runDir) else { return }
        let screen = FileTail(path: ScreenEntry.path(runDir: runDir))
        _ = screen.skip(toLast: 0)
        let watch = FolderWatch(runDir)
        let step = sanitize(kept.step)
        console.show(.info("re-attached to step '\(step)'" + (kept.stepPID.map { " (pid \($0))" } ?? "") + ", still running; its output follows as it comes"))
        let decoder = JSONDecoder()
        func showOutput() {
            for line in screen.lines() {
                // Masked by the keeper's executor before it was written.
                if let entry = try? decoder.decode(ScreenEntry.self, from: Data(line)), case .output(let isErr, let text)? = entry.show {
                    console.show(.output(stderr: isErr, line: text))
                }
            }
        }
        while LiveLock.holder(of: path(runDir: runDir)) != nil {
            showOutput()
            if let sig = SignalWatch.take(), SignalWatch.stopping.contains(sig) {
                console.show(.warning("stopped waiting (\(Signal(sig).shortName)): '\(step)' goes on under its keeper" + (kept.pid.map { " (pid \($0))" } ?? "")
                    + "; `muster resume \(runID)` re-attaches"))
                throw ExitStatus.paused
            }
            watch.wait()
        }
        showOutput()
        console.show(.info("'\(step)' has ended; its end is in the journal"))
    }
}
