extension Executor {
    func automated(_ step: Step, key: String, runbook rb: Runbook, values: inout [String: String]) throws(Stop) {
        guard let a = step.automation else { return }
        let env = environment(rb, values)
        // Offered by a rollback that this step's failure starts (see `rollBack`).
        failedStepRollback = a.rollback.map { (key, $0, values, env) }

        if a.confirm, !state.gatesPassed.contains(key) {
            if !state.started.contains(key) { try record(.stepStarted, step: key) { $0.text = step.kind.rawValue } }
            if setup.yes {
                try record(.gateAnswered, step: key) { $0.gateAnswer = .run; $0.auto = true }
            } else {
                // Never a blind yes: exactly what will run, values resolved, secrets masked.
                console.show(.info("this step is marked confirm: true; it will run:"))
                for line in rehearsalPreview(step, values: values) { console.show(.command(masker.mask(line))) }
                switch try answer(.gate, "Run this step as shown?", step: key) {
                case .yes:
                    try record(.gateAnswered, step: key) { $0.gateAnswer = .run }
                case .skip(let why):
                    try record(.gateAnswered, step: key) { $0.gateAnswer = .skip; $0.text = why }
                    try record(.stepFinished, step: key) { $0.stepOutcome = .skipped; $0.text = why }
                    console.show(.stepResult(.finished(.skipped), seconds: 0, detail: why))
                    return
                case .abort:
                    throw .pause("operator aborted at the confirm gate of '\(key)'")
                case .note, .escalate, .retry, .doneByHand, .rollBack, .stopStep, .keepWaiting:
                    preconditionFailure("not an answer to a gate")
                }
            }
        }

        // A ci step whose pipeline was started before the executor stopped:
        // follow that pipeline, never start a second one.
        var followingPipeline = step.kind == .ci && state.interruptedStep == key && (state.pipelines[key] != nil || state.legacyPipelines[key] != nil)
        // A step that was running when the executor died.
        if state.interruptedStep == key, !followingPipeline {
            if a.idempotent || step.isReadOnly {
                console.show(.info("'\(key)' was running when the last session ended; it " + (a.idempotent ? "is idempotent" : "only reads (a wait or a GET)") + ", so it runs again"))
            } else if setup.yes {
                throw .pause("'\(key)' was running when the last session ended and is not idempotent; resume without --yes to choose r (run again), d (mark done) or s (skip)")
            } else {
                if let why = state.stoppedBy[key] {
                    console.show(.warning("'\(key)' was \(why) when the last session paused: Muster stopped its commands, so none of them runs now, but it may have done part of its work"))
                } else {
                    console.show(.warning("'\(key)' was running when the last session ended: it may have done part of its work, and its commands may even still be running"))
                }
                switch try failureChoice(key: key, allowRollback: false) {
                case .retry: break
                case .finished:
                    registerRollbackIfDone(key, a, values, env)
                    return
                }
            }
        }

        // A step that failed in an earlier session with no choice made: apply
        // its failure policy now rather than run the step again unasked.
        if state.awaitingChoice == key, (state.attempts[key] ?? 0) > a.retries {
            console.show(.warning("'\(key)' failed in the last session and no choice was made"))
            if try afterFailure(key: key, automation: a, why: "failed in an earlier session") == .finished {
                registerRollbackIfDone(key, a, values, env)
                return
            }
        }

        while true {
            try checkSignals()
            let attempt = (state.attempts[key] ?? 0) + (followingPipeline ? 0 : 1)
            if followingPipeline {
                followingPipeline = false
            } else if state.started.contains(key) {
                try record(.attemptStarted, step: key) { $0.attempt = attempt }
            } else {
                try record(.stepStarted, step: key) { $0.text = step.kind.rawValue; $0.attempt = attempt }
            }
            // One attempt, all its polls included, is measured against `expect`.
            expectWatch = a.expect.map { ExpectWatch(key: key, expect: Double($0), since: monotonic()) }
            let result: Attempt
            do {
                result = try attemptOnce(step, key: key, automation: a, values: values, env: env)
            } catch {
                expectWatch = nil
                throw error
            }
            expectWatch = nil
            func describe(_ e: inout JournalEvent) {
                e.attempt = attempt
                if let h = result.httpStatus { e.status = h } else { e.exit = Int(result.status) }
                e.seconds = (result.seconds * 1000).rounded() / 1000
                e.timedOut = result.timedOut ? true : nil
                e.tail = result.tail.isEmpty ? nil : result.tail
                e.leftovers = result.leftovers.isEmpty ? nil : result.leftovers
            }
            if let reason = result.skipped {
                try record(.stepFinished, step: key) { describe(&$0); $0.stepOutcome = .skipped; $0.text = reason }
                console.show(.stepResult(.finished(.skipped), seconds: result.seconds, detail: reason))
                return
            }
            if result.ok {
                values.merge(result.outputs) { $1 }
                let outcome: StepOutcome = result.rehearsed ? .rehearsed : .done
                // The successful attempt's end and the step's end are one event.
                try record(.stepFinished, step: key) { e in
                    describe(&e)
                    e.stepOutcome = outcome
                    e.outputs = result.outputs.isEmpty ? nil : result.outputs
                }
                console.show(.stepResult(.finished(outcome), seconds: result.seconds, detail: nil))
                // Nothing ran in a rehearsal, so there is nothing to undo.
                if let r = a.rollback, !result.rehearsed { rollbacks.append((key, r, values, env)) }
                return
            }
            try record(.attemptFinished, step: key) { e in
                describe(&e)
                e.text = result.problem
                e.interrupted = result.signal != nil ? true : nil
            }
            let why = result.problem ?? "failed"
            console.show(.stepResult(.finished(.failed), seconds: result.seconds, detail: masker.mask(why)))
            if let sig = result.signal { throw .pause("\(signalName(sig)) during '\(key)'") }
            // Stopped by the operator: the failure answers, not a retry unasked.
            if attempt <= a.retries, !result.stopped {
                console.show(.info("retrying in \(DurationFormat.format(a.retryDelay)) (attempt \(attempt + 1) of \(a.retries + 1))"))
                try pauseFor(Double(a.retryDelay))
                continue
            }
            if try afterFailure(key: key, automation: a, why: why) == .finished {
                registerRollbackIfDone(key, a, values, env)
                return
            }
        }
    }

    /// A step the operator marked done by hand did its work, so a later
    /// rollback undoes it, as it does on resume (`restoreRollbacks`).
    func registerRollbackIfDone(_ key: String, _ a: Automation, _ values: [String: String], _ env: [String: String]) {
        if state.finished[key] == .done, let r = a.rollback { rollbacks.append((key, r, values, env)) }
    }

    enum Choice { case retry, finished }

    /// What `on_failure` says once a step's retries are spent: `ask` when
    /// interactive and `abort` with `--yes`, unless the runbook says otherwise.
    func afterFailure(key: String, automation a: Automation, why: String) throws(Stop) -> Choice {
        switch a.onFailure ?? (setup.yes ? .abort : .ask) {
        case .abort:
            try record(.stepFinished, step: key) { $0.stepOutcome = .failed; $0.text = why }
            throw .fail("step '\(key)' \(why)")
        case .continue:
            try record(.stepFinished, step: key) { $0.stepOutcome = .failed; $0.text = why }
            anyFailed = true
            console.show(.warning("on_failure: continue, so the run goes on"))
            return .finished
        case .rollback:
            try record(.stepFinished, step: key) { $0.stepOutcome = .failed; $0.text = why }
            throw .rollback("step '\(key)' \(why)")
        case .ask:
            return try failureChoice(key: key, allowRollback: true)
        }
    }

    /// The failure menu of `cli.md`: retry, skip, mark done, escalate, abort, roll back.
    func failureChoice(key: String, allowRollback: Bool) throws(Stop) -> Choice {
        while true {
            switch try answer(.failure(rollBack: allowRollback), "Step '\(key)' did not succeed. What now?", step: key) {
            case .retry:
                try record(.failureChoice, step: key) { $0.choice = .retry }
                return .retry
            case .skip(let why):
                try record(.failureChoice, step: key) { $0.choice = .skip; $0.text = why }
                try record(.stepFinished, step: key) { $0.stepOutcome = .skipped; $0.text = why }
                return .finished
            case .doneByHand(let note):
                try record(.failureChoice, step: key) { $0.choice = .done; $0.text = note }
                try record(.stepFinished, step: key) { $0.stepOutcome = .done; $0.text = "marked done by hand: \(note)" }
                return .finished
            case .abort:
                throw .pause("operator aborted at '\(key)'")
            case .rollBack:
                try record(.failureChoice, step: key) { $0.choice = .rollback }
                try record(.stepFinished, step: key) { $0.stepOutcome = .failed }
                throw .rollback("operator chose to roll back at '\(key)'")
            case .yes, .note, .escalate, .stopStep, .keepWaiting:
                preconditionFailure("not an answer to a failure")
            }
        }
    }

    struct Attempt {
        var ok: Bool
        var status: Int32
        var seconds: Double
        /// The HTTP status of the reply, for `http` steps and HTTP waits
        /// that got one: journaled as `status`, never as an exit status.
        var httpStatus: Int?
        var timedOut = false
        /// The signal that stopped it and pauses the run.
        var signal: Int32?
        /// The operator stopped it (Ctrl-C, then s).
        var stopped = false
        var stdout = ""
        var outputs: [String: String] = [:]
        var tail: [String] = []
        var problem: String?
        /// A rehearsal: confirmed by the operator, nothing ran.
        var rehearsed = false
        /// The operator skipped the step at the rehearsal prompt.
        var skipped: String?
        /// Processes its command left running: kept or stopped.
        var leftovers: [JournalEvent.Leftover] = []
    }

    func attemptOnce(_ step: Step, key: String, automation a: Automation, values: [String: String], env: [String: String]) throws(Stop) -> Attempt {
        if let drill = setup.drill {
            // A drill's scripted failure replaces the attempt, so a trainee
            // meets the error exactly as the real step would show it.
            if let fault = drill.faults.first(where: { $0.step == key }), state.faultsFired[key, default: 0] < fault.times {
                // Nothing on screen may give it away: first what the step
                // runs (the command, the request, the pipeline), as a real
                // attempt shows it, then the error as its output, and a run
                // step's failure reads as a real exit status.
                try record(.faultInjected, step: key) { $0.text = fault.fail }
                for line in rehearsalPreview(step, values: values).prefix(1) { console.show(.command(masker.mask(line))) }
                console.show(.output(stderr: true, line: masker.mask(fault.fail)))
                return Attempt(ok: false, status: 1, seconds: 0, tail: [masker.mask(fault.fail)],
                               problem: step.kind == .run ? "exited with status 1" : fault.fail)
            }
            if drill.rehearsal { return try rehearse(step, key: key, values: values) }
        }
        // A value that never came (its step was skipped, or marked done by
        // hand) must not reach a command as a literal `{{ name }}`.
        var templates: [Template] = []
        func fields(_ h: HTTPCheck) -> [Template] { [h.url] + h.headers.map(\.value) + (h.body.map { [$0] } ?? []) }
        switch step.body {
        case .run(let t): templates = [t]
        case .wait(let w):
            switch w.probe {
            case .run(let t): templates = [t]
            case .http(let h): templates = fields(h)
            }
        case .http(let h): templates = fields(h)
        case .ci(let c): templates = [c.url] + c.settings.values + c.inputs.map(\.value)
        default: break
        }
        let missing = Set(templates.flatMap(\.references).map(\.name).filter { values[$0] == nil }).sorted()
        if !missing.isEmpty {
            return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: \(missing.map { "{{ \($0) }}" }.joined(separator: ", ")) has no value (the step that sets it was skipped or marked done by hand); do this step by hand and answer d NOTE, or s REASON")
        }
        switch step.body {
        case .run(let t):
            return try shell(t, values: values, key: key, automation: a, timeout: Double(a.timeout), env: env)
        case .wait(let w):
            return try stoppable(key, timeout: w.timeout) { () throws(Stop) in try wait(w, key: key, automation: a, values: values, env: env) }
        case .http(let h):
            let r = try stoppable(key, timeout: a.timeout) { () throws(Stop) in try httpCheck(h, key: key, values: values, timeout: Double(a.timeout)) }
            if r.ok, !a.outputs.isEmpty {
                var done = r
                let (found, missing, gaveUp) = OutputCapture.capture(a.outputs, stdout: r.stdout)
                done.outputs = found
                if !missing.isEmpty {
                    done.ok = false
                    done.problem = gaveUp.map { "succeeded, but \($0)" }
                        ?? "succeeded, but its response has no value for \(missing.map { "'\($0)'" }.joined(separator: ", ")) (see 'outputs')"
                }
                return done
            }
            return r
        case .ci(let spec):
            return try stoppable(key, timeout: a.timeout) { () throws(Stop) in try ci(spec, key: key, automation: a, values: values) }
        default:
            return Attempt(ok: true, status: 0, seconds: 0)
        }
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

    /// Runs a `run`, `wait.run` or `rollback` script. Its values reach bash
    /// as environment variables (see `ShellContext`), never as script text.
    func shell(_ t: Template, values: [String: String], key: String, automation a: Automation, timeout: Double, env base: [String: String], quiet: Bool = false) throws(Stop) -> Attempt {
        try checkSignals()
        if !quiet { console.show(.command(masker.mask(t.shellDisplay(values)))) }
        guard let script = t.shellCode() else {
            return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: a template stands where its value could become code (run 'muster validate' for where and what to write instead)")
        }
        var env = base
        for r in t.references {
            guard let value = values[r.name] else { continue }
            // No environment variable holds a NUL byte: cut there, the value would be other data.
            if value.utf8.contains(0) {
                return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: the value of {{ \(r.name) }} holds a NUL byte, which no shell variable can hold")
            }
            env[shellValueVariable(r.name)] = value
        }
        var stdout = ""
        var tail: [String] = []
        var streams = [LineMasker(masker), LineMasker(masker)]
        func emit(_ isErr: Bool, _ masked: String) {
            tail.append(masked)
            if tail.count > 20 { tail.removeFirst() }
            if !quiet { console.show(.output(stderr: isErr, line: masked)) }
        }
        var stopSignal: Int32?
        let started = monotonic()
        let result: CommandResult
        do {
            result = try runner.run(script: script, environment: env, timeout: timeout, keepLeftovers: a.keepRunning, onLine: { isErr, line in
                if !isErr, stdout.utf8.count < Self.maxCaptured { stdout += line + "\n" }
                // Masked whole, then shortened: a cut never splits a secret.
                for masked in streams[isErr ? 1 : 0].feed(line).map(Self.shorten) { emit(isErr, masked) }
            }, onSignal: { sig in
                // The runner waits for the answer, so the step's timeout
                // bounds the question: unanswered by then, the step times out.
                switch verdict(sig, key: key, deadline: started + timeout) {
                case .keepWaiting:
                    return false
                case .stopStep:
                    return true
                case .pause(let s):
                    stopSignal = s
                    return true
                }
            }, onTick: {
                checkEscalation()
                checkExpect()
            })
        } catch {
            return Attempt(ok: false, status: 127, seconds: 0, problem: error.message)
        }
        // A last line held back to see whether a secret went on is shown now.
        for (i, isErr) in [false, true].enumerated() { for line in streams[i].finish() { emit(isErr, Self.shorten(line)) } }
        var attempt = Attempt(ok: result.status == 0 && !result.timedOut && !result.interrupted, status: result.status, seconds: result.seconds, timedOut: result.timedOut, stdout: stdout, tail: tail)
        attempt.leftovers = leftovers(result, keepRunning: a.keepRunning)
        if result.timedOut {
            attempt.problem = "timed out after \(DurationFormat.format(Int(timeout))); its process group was stopped"
        } else if result.interrupted {
            attempt.stopped = true
            // Ctrl-C answered at the terminal is the operator's choice; any
            // other signal is named, and pauses the run.
            if let sig = stopSignal {
                attempt.signal = sig
                attempt.problem = "stopped by \(Self.shortSignalName(sig))"
            } else {
                attempt.problem = "stopped by the operator"
            }
        } else if result.status != 0 {
            attempt.problem = "exited with status \(result.status)"
        }
        // A signal that pauses the run does so whatever else became of the attempt.
        if let sig = stopSignal { attempt.signal = sig }
        if attempt.ok, !a.outputs.isEmpty {
            let (values, missing, gaveUp) = OutputCapture.capture(a.outputs, stdout: stdout)
            attempt.outputs = values
            if !missing.isEmpty {
                attempt.ok = false
                attempt.problem = gaveUp.map { "succeeded, but \($0)" }
                    ?? "succeeded, but its output has no value for \(missing.map { "'\($0)'" }.joined(separator: ", ")) (see 'outputs')"
            }
        }
        return attempt
    }

    /// Names what a command left running, on screen and for the journal:
    /// a process its shell left behind is never kept or stopped silently.
    func leftovers(_ result: CommandResult, keepRunning: Bool) -> [JournalEvent.Leftover] {
        guard !result.leftovers.isEmpty else { return [] }
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

    /// One HTTP check: the request, then the expected status (any 2xx by
    /// default) and `body_contains`. The body is the attempt's output.
    func httpCheck(_ h: HTTPCheck, key: String, values: [String: String], timeout: Double, quiet: Bool = false) throws(Stop) -> Attempt {
        guard let http else {
            return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: no HTTP client is available")
        }
        try checkSignals()
        let url: String, headers: [(name: String, value: String)], body: String?
        do {
            (url, headers, body) = try httpFields(h, values)
        } catch {
            return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot send: \(error.message)")
        }
        if !quiet { console.show(.command(masker.mask("\(h.method) \(url)"))) }
        let reply: HTTPReply
        do {
            reply = try send(http, method: h.method, url: url, headers: headers, body: body, timeout: timeout)
        } catch {
            if error.stopped { throw .stepStopped }
            if let sig = error.signal { throw .pause(signalName(sig)) }
            return Attempt(ok: false, status: 1, seconds: 0, problem: masker.mask(error.message))
        }
        // Masked whole before it is cut into lines: a secret can span them.
        var tail = masker.mask(reply.body).split(separator: "\n", omittingEmptySubsequences: false).suffix(20).map(String.init)
        if tail.last == "" { tail.removeLast() }
        if !quiet { for line in tail.prefix(5) { console.show(.output(stderr: false, line: line)) } }
        var attempt = Attempt(ok: true, status: Int32(reply.status), seconds: reply.seconds, httpStatus: reply.status, stdout: reply.body, tail: tail)
        let statusOK = h.status.map { $0 == reply.status } ?? (200..<300).contains(reply.status)
        let expected = h.bodyContains.map { $0.expand(values) }
        if !statusOK {
            attempt.ok = false
            attempt.problem = "answered \(reply.status), expected \(h.status.map(String.init) ?? "2xx")"
        } else if let expected, !reply.body.containsBytesDynamic(expected) {
            attempt.ok = false
            attempt.problem = "answered \(reply.status), but the body does not contain '\(masker.mask(expected))'"
        }
        return attempt
    }

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
            return Attempt(ok: false, status: 130, seconds: monotonic() - start, stopped: true, problem: "stopped by the operator")
        }
    }

    // MARK: - Rollback

    /// Runs the rollback commands of completed steps, newest first. On a
    /// terminal it lists them and asks first (a healthy, promoted standby
    /// must not be undone unasked), offering the failing step's own rollback
    /// for the part it did; `--yes` rolls back the completed steps unasked.
    func rollBack(reason: String) throws(Stop) {
        if !state.rollbackStarted { try record(.rollbackStarted) { $0.text = reason } }
        console.show(.warning("rolling back: \(reason)"))
        var plan = Array(rollbacks.reversed())
        if !setup.yes, let own = failedStepRollback, own.key == state.lastFailed, state.finished[own.key] == .failed {
            let missing = own.command.references.map(\.name).filter { own.values[$0] == nil }
            if missing.isEmpty {
                plan.insert(own, at: 0)
            } else {
                console.show(.info("'\(own.key)' failed before it set \(missing.map { "{{ \($0) }}" }.joined(separator: ", ")), which its rollback needs; undo what it did by hand"))
            }
        }
        plan.removeAll { state.rolledBack.contains($0.key) }
        // Asked only before the first rollback command runs: a resumed
        // rollback goes on where it stopped.
        if !setup.yes, !plan.isEmpty, state.rolledBack.isEmpty, state.rollingBack == nil {
            console.show(.info("these steps will be undone, newest first:"))
            for (i, r) in plan.enumerated() {
                let own = r.key == state.lastFailed && state.finished[r.key] == .failed
                console.show(.info("\(i + 1). \(r.key)" + (own ? " (the step that failed: its own rollback, for what it did before failing)" : "")))
                console.show(.command(masker.mask(r.command.shellDisplay(r.values))))
            }
            switch try answer(.rollbackConfirmation, "Roll back these \(plan.count) step\(plan.count == 1 ? "" : "s")?", step: state.lastFailed ?? "") {
            case .yes: break
            case .abort: throw .pause("operator paused before rolling back (\(reason))")
            case .skip, .note, .escalate, .retry, .doneByHand, .rollBack, .stopStep, .keepWaiting:
                preconditionFailure("not an answer to a rollback's list")
            }
        }
        var failures = 0
        for r in plan {
            console.show(.info("rollback of '\(r.key)'"))
            if state.rollingBack == r.key {
                console.show(.warning("the rollback of '\(r.key)' was running when the last session ended; it runs again"))
            }
            try record(.rollbackStarted, step: r.key)
            let auto = Automation(timeout: Automation.defaultTimeout, retries: 0, retryDelay: 0, expect: nil, confirm: false, onFailure: nil, idempotent: false, rollback: nil, outputs: [])
            let result = try shell(r.command, values: r.values, key: r.key, automation: auto, timeout: Double(Automation.defaultTimeout), env: r.env)
            if let sig = result.signal { throw .pause("\(signalName(sig)) during the rollback of '\(r.key)'") }
            try record(.rollbackFinished, step: r.key) { $0.exit = Int(result.status); $0.seconds = (result.seconds * 1000).rounded() / 1000 }
            if result.ok {
                console.show(.stepResult(.rolledBack, seconds: result.seconds, detail: nil))
            } else {
                failures += 1
                console.show(.stepResult(.rollbackFailed, seconds: result.seconds, detail: masker.mask(result.problem ?? "failed") + "; finish it by hand"))
            }
        }
        let end: RunEnd = failures == 0 ? .rolledBack : .rollbackIncomplete
        try record(.runFinished) { $0.runEnd = end; $0.text = reason }
        notify(failures == 0 ? "run rolled back: \(reason)" : "run rolled back with \(failures) failed rollback command(s): \(reason)")
        console.show(.runResult(outcome: failures == 0 ? "rolled back" : "rolled back with \(failures) failed rollback command\(failures == 1 ? "" : "s")", elapsed: elapsed, runID: setup.runID, resumeHint: false))
    }
}
