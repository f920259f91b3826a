import MusterBasics
import MusterFormat

/// Waiting: `wait` steps' polls, the sleeps between polls and retries
/// (woken by signals, watching the escalation clock and `expect`), and the
/// Ctrl-C question while a step waits.
extension Executor {
    /// Polls `wait.run` (or `wait.http`) every `every` until it holds, or
    /// the wait's timeout passes.
    func wait(_ w: WaitSpec, key: String, automation a: Automation, values: [String: String], env: [String: String]) throws(Stop) -> Attempt {
        if case .http(let h) = w.probe {
            let url: String
            do {
                url = try httpFields(h, values).url
            } catch {
                return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot send: \(error.message)")
            }
            console.show(.command(masker.mask("\(h.method) \(url)")))
            let start = monotonic()
            var polls = 0
            while true {
                polls += 1
                let remaining = Double(w.timeout) - (monotonic() - start)
                var r = try httpCheck(h, key: key, values: values, timeout: max(1, min(remaining, 30)), quiet: true)
                console.show(.progress("poll \(polls): \(r.ok ? "ok (\(r.status))" : r.problem ?? "failed") · \(formatSeconds(monotonic() - start)) of \(DurationFormat.format(w.timeout))"))
                if r.ok {
                    r.seconds = monotonic() - start
                    return r
                }
                if monotonic() - start + Double(w.every) > Double(w.timeout) {
                    return Attempt(ok: false, status: r.status, seconds: monotonic() - start, httpStatus: r.httpStatus, timedOut: true, tail: r.tail,
                                   problem: "waited \(DurationFormat.format(w.timeout)) and the check never passed (last: \(r.problem ?? "?"))")
                }
                try pauseFor(Double(w.every))
            }
        }
        guard case .run(let t) = w.probe else { return Attempt(ok: false, status: 1, seconds: 0) }
        let until = w.until.map { $0.expand(values) }
        console.show(.command(masker.mask(t.shellDisplay(values))))
        let start = monotonic()
        var polls = 0
        var last = ""
        while true {
            polls += 1
            let remaining = Double(w.timeout) - (monotonic() - start)
            var r = try shell(t, values: values, key: key, automation: a, timeout: max(1, min(remaining, Double(a.timeout))), env: env, quiet: true)
            let out = r.stdout.trimmingCharacters()
            // What the poll came to, as the line left on screen says it; a
            // poll the wait's timeout cut short leaves `last` to the one before.
            let result = r.timedOut ? "cut short by the wait's timeout" : r.status == 0 ? out : "exit \(r.status)" + (r.tail.last.map { ": " + $0 } ?? "")
            if !r.timedOut || last.isEmpty { last = result }
            let done = r.status == 0 && (until == nil || out == until)
            console.show(.progress("poll \(polls): \(masker.mask(result)) · \(formatSeconds(monotonic() - start)) of \(DurationFormat.format(w.timeout))"))
            if done || r.signal != nil || r.stopped {
                r.seconds = monotonic() - start
                return r
            }
            if monotonic() - start + Double(w.every) > Double(w.timeout) {
                return Attempt(ok: false, status: r.status, seconds: monotonic() - start, timedOut: true, tail: r.tail,
                               problem: "waited \(DurationFormat.format(w.timeout)) and the condition never held (last: \(last))")
            }
            try pauseFor(Double(w.every))
        }
    }

    /// Sleeps, waking early for a signal: it pauses the run, or during a
    /// waiting step asks whether to stop it (`interruption`).
    func pauseFor(_ seconds: Double) throws(Stop) {
        try checkSignals()
        let end = monotonic() + seconds
        while monotonic() < end {
            if let sig = sleepHook(min(1, end - monotonic())) { try interruption(sig) }
            checkEscalation()
            checkExpect()
        }
    }

    /// An attempt under way, for the hint once it runs past its `expect`.
    struct ExpectWatch {
        var key: String
        var expect: Double
        var since: Double
        var shown = false
    }

    /// Shows the over-`expect` hint, once per attempt: a `wait` step's
    /// polls and the sleeps between them count together.
    func checkExpect() {
        guard var w = expectWatch, !w.shown, monotonic() - w.since > w.expect else { return }
        w.shown = true
        expectWatch = w
        let next = setup.runbook.escalation.first { Double($0.after) > elapsed }?.contact ?? setup.runbook.escalation.last?.contact
        console.show(.warning("'\(w.key)' is running past its expected \(formatSeconds(w.expect))" + (next.map { "; consider escalating to \($0) (answer e at the next prompt)" } ?? "")))
    }

    /// Runs a wait, http or ci attempt during which Ctrl-C asks about the
    /// step (see `verdict`), as during a `run` step's command; `s` ends the
    /// attempt as stopped by the operator, wherever it was waiting.
    func stoppable(_ key: String, timeout: Int, _ body: () throws(Stop) -> Attempt) throws(Stop) -> Attempt {
        let start = monotonic()
        waitingOn = (key, start + Double(timeout))
        defer { waitingOn = nil }
        do {
            return try body()
        } catch .stepStopped {
            return Attempt(ok: false, status: 130, seconds: monotonic() - start, stopped: true, problem: RunState.stoppedByOperator)
        }
    }
}
