import MusterBasics
import MusterFormat

/// A `run` step of a branch (or a loop item) running beside others, on a
/// thread of its own (BackgroundCommand). This thread alone journals,
/// shows and asks: it starts the step after journaling its start, shows
/// what it printed with its branch's name, and journals its end.
struct Flight {
    let entry: FlatPlan.Entry
    let attempt: Int
    let command: BackgroundCommand
    let values: [String: String]
    let env: [String: String]
    let timeout: Double
    /// Its branch, as each of its lines on screen starts: `[database]`.
    let label: String
    var streams: [LineMasker]
    var tail: [String] = []
    /// Why this thread stopped it: `on_failure: cancel`, or a signal.
    var stopBecause: String?
    var stopSignal: Signal?
}

extension Executor {
    /// Whether the machine's attempt may run beside others: a `run` step
    /// or a `wait` on a command, inside a branch or loop item, run for real
    /// (a drill's fault or rehearsal asks and shows as a step alone does).
    func mayFly(_ entry: FlatPlan.Entry) -> Bool {
        guard machine.insideLane(entry.key) else { return false }
        switch entry.step.body {
        case .run: break
        case .wait(let w): guard case .run = w.probe else { return false }
        default: return false
        }
        if let drill = setup.drill, drill.rehearsal || machine.faultDue(entry.key, state, drill) != nil { return false }
        return !gates.approvalOutdated(entry, values: templateValues(entry))
    }

    /// The branch a step belongs to, named on its lines and questions.
    func branchLabel(_ key: String) -> String {
        var parent = plan[key]?.parent, lane = key
        while let p = parent, !machine.isConcurrent(p) {
            lane = p
            parent = plan[p]?.parent
        }
        guard let p = parent else { return key }
        // A loop item by its item (`api`), a branch by its id.
        if let item = plan[lane]?.item { return item.value }
        return String(lane.dropFirst(p.count + 1))
    }

    /// Journals the attempt's start, then starts it beside the others.
    func launch(_ entry: FlatPlan.Entry, _ n: Int) throws(Stop) {
        guard let a = entry.step.automation else { return }
        var wait: WaitSpec?
        let t: Template
        switch entry.step.body {
        case .run(let script): t = script
        case .wait(let w):
            guard case .run(let probe) = w.probe else { return }
            (t, wait) = (probe, w)
        default: return
        }
        let values = templateValues(entry)
        let env = environment(entry.runbook, values)
        try journalStart(entry, n)
        let label = "[" + branchLabel(entry.key) + "]"
        func refuse(_ attempt: Attempt) throws(Stop) { try conclude(entry, n, attempt, values: values, env: env) }
        let missing = StepPreview.missingValues(entry.step, values)
        if !missing.isEmpty {
            return try refuse(Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: \(missing.map { "{{ \($0) }}" }.joined(separator: ", ")) has no value (the step that sets it was skipped or marked done by hand); do this step by hand and answer d NOTE, or s REASON"))
        }
        var remote: ShellPerformer.Remote?
        switch self.remote(of: entry.key, values: values) {
        case .success(let r): remote = r
        case .failure(let why): return try refuse(Attempt(ok: false, status: 1, seconds: 0, problem: why.message))
        }
        switch shells.prepare(t, values: values, env: env, quiet: false, remote: remote) {
        case .refused(let attempt):
            try refuse(attempt)
        case .ready(let script, let runEnv):
            var (script, runEnv, timeout) = (script, runEnv, Double(a.timeout))
            if let w = wait {
                runEnv = WaitLoop.environment(probe: script, env: runEnv, every: w.every, until: w.until?.expand(values))
                (script, timeout) = (WaitLoop.script, Double(w.timeout))
            }
            let command = runner.start(script: script, environment: runEnv, timeout: timeout, keepLeftovers: a.keepRunning)
            flights[entry.key] = Flight(entry: entry, attempt: n, command: command, values: values, env: env, timeout: timeout,
                                        label: label, streams: [LineMasker(masker), LineMasker(masker)])
        }
    }

    /// Shows what each step in flight printed since the last look, and
    /// journals the end of each that ended; true when one did.
    @discardableResult
    func land() throws(Stop) -> Bool {
        var landed = false
        for key in flights.keys.sorted() {
            guard var f = flights[key] else { continue }
            let ended = f.command.end
            let (lines, dropped) = f.command.takeLines()
            for (isErr, line) in lines {
                for masked in f.streams[isErr ? 1 : 0].feed(line, now: clock.now).map(ShellPerformer.shorten) { emit(&f, isErr, masked) }
            }
            if dropped > 0 { console.show(.warning("\(f.label) \(dropped) lines not shown while a question waited")) }
            guard let (end, stdout) = ended else {
                for (i, isErr) in [false, true].enumerated() {
                    for line in f.streams[i].release(now: clock.now, after: 0.5) { emit(&f, isErr, ShellPerformer.shorten(line)) }
                }
                flights[key] = f
                continue
            }
            for (i, isErr) in [false, true].enumerated() { for line in f.streams[i].finish() { emit(&f, isErr, ShellPerformer.shorten(line)) } }
            flights[key] = nil
            landed = true
            guard let a = f.entry.step.automation else { continue }
            var attempt: Attempt
            switch end {
            case .success(let result):
                attempt = shells.conclude(result, stdout: stdout, tail: f.tail, stopSignal: f.stopSignal, automation: a, timeout: f.timeout,
                                          stoppedBecause: f.stopBecause)
                if f.stopSignal != nil, let why = f.stopBecause { attempt.problem = "stopped: " + why }
                if result.timedOut, case .wait(let w) = f.entry.step.body { attempt.problem = WaitLoop.timedOut(w, tail: f.tail) }
            case .failure(let error):
                attempt = Attempt(ok: false, status: 127, seconds: 0, problem: error.message)
            }
            console.show(.info("\(f.label) '\(key)' ended"))
            try conclude(f.entry, f.attempt, attempt, values: f.values, env: f.env)
        }
        return landed
    }

    private func emit(_ f: inout Flight, _ isErr: Bool, _ masked: String) {
        f.tail.append(masked)
        if f.tail.count > 20 { f.tail.removeFirst() }
        console.show(.output(stderr: isErr, line: f.label + " " + masked))
    }

    /// Waits until a step in flight ends (or until `t`, seconds since the
    /// run began), showing their lines as they come. A signal meanwhile
    /// stops every one of them and pauses the run: `muster resume` brings
    /// each back under the resume rules.
    func awaitFlights(until t: Double = .infinity) throws(Stop) {
        var lastTick = clock.now
        while elapsed < t {
            if try land() { return }
            if let sig = pendingSignal ?? clock.sleep(upTo: 0.02) {
                pendingSignal = nil
                if sig == .inboxWake {
                    if try takeBreaches() { return }
                    try team.checkTakeover()
                    continue
                }
                try ground(because: nil, signal: sig)
                throw .pause(signalName(sig))
            }
            if clock.now - lastTick >= 1 {
                lastTick = clock.now
                tick()
            }
        }
    }

    /// Stops the steps in flight (`keys`, or every one) and journals their
    /// ends: `on_failure: cancel`, a signal, or a session that stops.
    func ground(_ keys: [String]? = nil, because: String?, signal: Signal?) throws(Stop) {
        let chosen = keys ?? Array(flights.keys)
        for key in chosen {
            guard var f = flights[key] else { continue }
            f.stopBecause = because
            f.stopSignal = signal
            f.command.stop()
            flights[key] = f
        }
        // Each ends within its stop's grace (SIGTERM, then SIGKILL after 5 s).
        while chosen.contains(where: { flights[$0] != nil }) {
            try land()
            _ = clock.sleep(upTo: 0.02)
        }
    }

    /// A session ends with steps in flight (a pause, an error): they are
    /// stopped, and their ends journaled unless the journal is what failed.
    func groundAll(after stop: Stop) {
        guard !flights.isEmpty else { return }
        if case .journal = stop {
            for f in flights.values { f.command.stop() }
            return
        }
        console.show(.warning("stopping \(flights.count) step\(flights.count == 1 ? "" : "s") still running beside it: \(flights.keys.sorted().joined(separator: ", "))"))
        let why: String = switch stop {
        case .pause(let w), .fail(let w), .journal(let w): "the session stopped (\(w))"
        case .stepStopped, .breach: "the session stopped"
        }
        do { try ground(because: why, signal: .terminate) } catch { for f in flights.values { f.command.stop() } }
    }
}
