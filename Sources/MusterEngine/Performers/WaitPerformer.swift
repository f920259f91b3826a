import MusterBasics
import MusterFormat

/// `wait` steps: the probe (a command or a request) polled every `every`
/// until it holds or the wait's timeout passes, one progress line per poll.
package struct WaitPerformer {
    package let host: PerformHost
    package let shell: ShellPerformer
    /// Nil where no HTTP client is wired in: an HTTP probe cannot run.
    package let http: HTTPPerformer?

    package init(host: PerformHost, shell: ShellPerformer, http: HTTPPerformer?) {
        self.host = host
        self.shell = shell
        self.http = http
    }

    package func wait(_ w: WaitSpec, key: String, automation a: Automation, values: [String: String], env: [String: String]) throws(Stop) -> Attempt {
        let masker = host.masker, console = host.console, clock = host.clock
        if case .http(let h) = w.probe {
            guard let http else { return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: no HTTP client is available") }
            let url: String
            do {
                url = try http.fields(h, values).url
            } catch {
                return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot send: \(error.message)")
            }
            console.show(.command(masker.mask("\(h.method) \(url)")))
            let start = clock.now
            var polls = 0
            while true {
                polls += 1
                let remaining = Double(w.timeout) - (clock.now - start)
                var r = try http.check(h, values: values, timeout: max(1, min(remaining, 30)), quiet: true)
                console.show(.progress("poll \(polls): \(r.ok ? "ok (\(r.status))" : r.problem ?? "failed") · \(formatSeconds(clock.now - start)) of \(DurationFormat.format(w.timeout))"))
                if r.ok {
                    r.seconds = clock.now - start
                    return r
                }
                if clock.now - start + Double(w.every) > Double(w.timeout) {
                    return Attempt(ok: false, status: r.status, seconds: clock.now - start, httpStatus: r.httpStatus, timedOut: true, tail: r.tail,
                                   problem: "waited \(DurationFormat.format(w.timeout)) and the check never passed (last: \(r.problem ?? "?"))")
                }
                try host.pauseFor(Double(w.every))
            }
        }
        guard case .run(let t) = w.probe else { return Attempt(ok: false, status: 1, seconds: 0) }
        let until = w.until.map { $0.expand(values) }
        console.show(.command(masker.mask(t.shellDisplay(values))))
        let start = clock.now
        var polls = 0
        var last = ""
        while true {
            polls += 1
            let remaining = Double(w.timeout) - (clock.now - start)
            var r = try shell.run(t, values: values, key: key, automation: a, timeout: max(1, min(remaining, Double(a.timeout))), env: env, quiet: true)
            let out = r.stdout.trimmingCharacters()
            // What the poll came to, as the line left on screen says it; a
            // poll the wait's timeout cut short leaves `last` to the one before.
            let result = r.timedOut ? "cut short by the wait's timeout" : r.status == 0 ? out : "exit \(r.status)" + (r.tail.last.map { ": " + $0 } ?? "")
            if !r.timedOut || last.isEmpty { last = result }
            let done = r.status == 0 && (until == nil || out == until)
            console.show(.progress("poll \(polls): \(host.masker.mask(result)) · \(formatSeconds(clock.now - start)) of \(DurationFormat.format(w.timeout))"))
            if done || r.signal != nil || r.stopped {
                r.seconds = clock.now - start
                return r
            }
            if clock.now - start + Double(w.every) > Double(w.timeout) {
                return Attempt(ok: false, status: r.status, seconds: clock.now - start, timedOut: true, tail: r.tail,
                               problem: "waited \(DurationFormat.format(w.timeout)) and the condition never held (last: \(last))")
            }
            try host.pauseFor(Double(w.every))
        }
    }
}
