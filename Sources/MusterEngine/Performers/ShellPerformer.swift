import MusterBasics
import MusterFormat

/// `run` steps, `wait.run` probes, rollback commands and preflight checks:
/// one script in its own process group, its output streamed masked, its
/// leftovers named. Its values reach bash as environment variables (see
/// `ShellContext`), never as script text.
package struct ShellPerformer {
    package let host: PerformHost
    package let runner: CommandRunner

    package init(host: PerformHost, runner: CommandRunner) {
        self.host = host
        self.runner = runner
    }

    /// Output lines longer than this are shown and journaled shortened.
    static let maxShown = 4096
    /// Stdout kept for `outputs`: the first 8 MiB.
    static let maxCaptured = 8 << 20

    static func shorten(_ line: String) -> String {
        guard line.utf8.count > maxShown else { return line }
        let head = String(decoding: Array(line.utf8.prefix(maxShown)), as: UTF8.self)
        return head + " … [\(line.utf8.count - maxShown) more bytes not shown]"
    }

    /// Where a `host:` step's script runs (RemoteShell), and the variables
    /// sent with it: the step environment's own (parameters, `env`, run id),
    /// never the operator's environment or a secret.
    package struct Remote {
        package var host: String
        package var variables: [String: String]
        /// Left out of the ssh client's own environment: the secrets' names
        /// and the variables they are read from, which an operator's
        /// `SendEnv` could otherwise forward to the host.
        package var withheld: Set<String>
        package init(host: String, variables: [String: String], withheld: Set<String> = []) {
            self.host = host; self.variables = variables; self.withheld = withheld
        }
    }

    /// What bash is given: the script and its environment, or why it
    /// cannot run (the attempt's failure).
    package enum Prepared {
        case ready(command: String, env: [String: String])
        case refused(Attempt)
    }

    /// Shows what will run and builds bash's script and environment: the
    /// values as variables, or for `remote` the ssh client's input.
    package func prepare(_ t: Template, values: [String: String], env base: [String: String], quiet: Bool, remote: Remote?) -> Prepared {
        let masker = host.masker, console = host.console
        if !quiet, let remote { console.show(.info("on \(remote.host), through ssh")) }
        if !quiet { console.show(.command(masker.mask(t.shellDisplay(values)))) }
        guard let script = t.shellCode() else {
            return .refused(Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: a template stands where its value could become code (run 'muster validate' for where and what to write instead)"))
        }
        var env = base
        for r in t.references {
            guard let value = values[r.name] else { continue }
            // No environment variable holds a NUL byte: cut there, the value would be other data.
            if value.utf8.contains(0) {
                return .refused(Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: the value of {{ \(r.name) }} holds a NUL byte, which no shell variable can hold"))
            }
            env[shellValueVariable(r.name)] = value
        }
        var command = script
        if let remote {
            var variables = remote.variables
            for r in t.references { if let v = values[r.name] { variables[shellValueVariable(r.name)] = v } }
            // The validator refuses secrets on a host step; a value that
            // holds one all the same (passed in through `with`, say) stays here.
            for (name, value) in variables.sorted(by: { $0.key < $1.key }) where masker.mask(value) != value {
                let what = name.hasPrefix("MUSTER_VALUE_") ? "{{ \(name.dropFirst(13)) }}" : "$\(name)"
                return .refused(Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run on \(remote.host): the value of \(what) holds a secret, and secrets are never sent to another machine; run this part in a step without 'host'"))
            }
            command = RemoteShell.localScript
            env = base.filter { !remote.withheld.contains($0.key) }
            env["MUSTER_SSH_HOST"] = remote.host
            env.merge(RemoteShell.environment(RemoteShell.input(script: script, variables: variables))) { $1 }
        }
        return .ready(command: command, env: env)
    }

    /// Runs the script once (on `remote`, when given). `keepable`: a `run`
    /// step's attempt, which a lost terminal leaves running; probes and
    /// rollback commands stop.
    package func run(_ t: Template, values: [String: String], key: String, automation a: Automation, timeout: Double, env base: [String: String],
                     quiet: Bool = false, keepable: Bool = false, remote: Remote? = nil) throws(Stop) -> Attempt {
        try host.checkSignals()
        let masker = host.masker, console = host.console, clock = host.clock
        let command: String, env: [String: String]
        switch prepare(t, values: values, env: base, quiet: quiet, remote: remote) {
        case .refused(let attempt): return attempt
        case .ready(let c, let e): (command, env) = (c, e)
        }
        var stdout = ""
        var tail: [String] = []
        var streams = [LineMasker(masker), LineMasker(masker)]
        func emit(_ isErr: Bool, _ masked: String) {
            tail.append(masked)
            if tail.count > 20 { tail.removeFirst() }
            if !quiet { console.show(.output(stderr: isErr, line: masked)) }
        }
        var stopSignal: Signal?
        let started = clock.now
        let result: CommandResult
        do {
            result = try runner.run(script: command, environment: env, timeout: timeout, keepLeftovers: a.keepRunning, onLine: { isErr, line in
                if !isErr, stdout.utf8.count < Self.maxCaptured { stdout += line + "\n" }
                // Masked whole, then shortened: a cut never splits a secret.
                for masked in streams[isErr ? 1 : 0].feed(line, now: clock.now).map(Self.shorten) { emit(isErr, masked) }
            }, onSignal: { sig in
                // The runner waits for the answer, so the step's timeout
                // bounds the question: unanswered by then, the step times out.
                switch host.commandSignal(sig, key: key, deadline: started + timeout, keepable: keepable) {
                case .keepWaiting:
                    return false
                case .stopStep:
                    return true
                case .pause(let s):
                    stopSignal = s
                    return true
                }
            }, onTick: {
                // A line held for a short start of a secret waits a moment only.
                for (i, isErr) in [false, true].enumerated() {
                    for line in streams[i].release(now: clock.now, after: 0.5) { emit(isErr, Self.shorten(line)) }
                }
                host.tick()
            })
        } catch {
            return Attempt(ok: false, status: 127, seconds: 0, problem: error.message)
        }
        // A last line held back to see whether a secret went on is shown now.
        for (i, isErr) in [false, true].enumerated() { for line in streams[i].finish() { emit(isErr, Self.shorten(line)) } }
        return conclude(result, stdout: stdout, tail: tail, stopSignal: stopSignal, automation: a, timeout: timeout)
    }

    /// The attempt a command's end makes: its status, what it left
    /// running, why it failed, and the outputs it printed.
    package func conclude(_ result: CommandResult, stdout: String, tail: [String], stopSignal: Signal?, automation a: Automation, timeout: Double,
                          stoppedBecause: String? = nil) -> Attempt {
        var attempt = Attempt(ok: result.status == 0 && !result.timedOut && !result.interrupted, status: result.status, seconds: result.seconds,
                              timedOut: result.timedOut, stdout: stdout, tail: tail)
        attempt.leftovers = leftovers(result, keepRunning: a.keepRunning)
        if result.timedOut {
            attempt.problem = "timed out after \(DurationFormat.format(Int(timeout))); its process group was stopped"
        } else if result.interrupted {
            attempt.stopped = true
            // Ctrl-C answered at the terminal is the operator's choice; any
            // other signal is named, and pauses the run.
            if let sig = stopSignal {
                attempt.signal = sig
                attempt.problem = "stopped by \(sig.shortName)"
            } else {
                attempt.problem = stoppedBecause.map { "\($0): " + RunState.stoppedByOperator } ?? RunState.stoppedByOperator
            }
        } else if result.status != 0 {
            attempt.problem = "exited with status \(result.status)"
        }
        // A signal that pauses the run does so whatever else became of the attempt.
        if let sig = stopSignal { attempt.signal = sig }
        attempt.capture(a.outputs, from: stdout, what: "output")
        return attempt
    }

    /// Names what a command left running, on screen and for the journal:
    /// a process its shell left behind is never kept or stopped silently.
    func leftovers(_ result: CommandResult, keepRunning: Bool) -> [JournalEvent.Leftover] {
        guard !result.leftovers.isEmpty else { return [] }
        let masker = host.masker, console = host.console
        let list = result.leftovers.map { JournalEvent.Leftover(pid: Int($0.pid), command: masker.mask($0.command), kept: result.keptLeftovers) }
        if result.keptLeftovers {
            for p in list { console.show(.info("kept running (keep_running): pid \(p.pid): \(p.command)")) }
        } else {
            let n = result.leftovers.count
            let names = result.leftovers.map { "\(masker.mask($0.name)) (pid \($0.pid))" }.joined(separator: ", ")
            console.show(.warning("stopped \(n) leftover process\(n == 1 ? "" : "es"): \(names)"))
            console.show(.info(keepRunning ? "keep_running keeps them only when the step succeeds"
                                           : "they were still running when the step's shell exited; keep_running: true keeps them"))
        }
        return list
    }
}
