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
    /// Its branch's name (`database`), its title as shown, and when it began.
    let lane: String
    let title: String
    let began: Double
    var streams: [LineMasker]
    var tail: [String] = []
    /// Why this thread stopped it: `on_failure: cancel`, or a signal.
    var stopBecause: String?
    var stopSignal: Signal?
    /// Its branch, as its messages on screen start: `[database]`.
    var label: String { "[" + lane + "]" }
}

/// The steps running beside others: started after their start is
/// journaled, their lines shown with their branch's name, their ends
/// journaled as they land. What may fly, and what a signal means while
/// they do, are the machine's (`runsBeside`, `SignalMoment.beside`). A
/// class: a question asked while they fly shows who runs beside it.
package final class FlightDesk {
    unowned let host: StepHost
    private var flights: [String: Flight] = [:]

    init(host: StepHost) { self.host = host }

    /// The steps in flight, by key.
    var keys: Set<String> { Set(flights.keys) }
    var isEmpty: Bool { flights.isEmpty }

    /// Whether the machine's attempt starts beside the others: the machine
    /// says it may, and it needs no approval asked again first.
    func mayFly(_ entry: FlatPlan.Entry) -> Bool {
        host.machine.runsBeside(entry.key, host.state, drill: host.setup.drill)
            && !GateDesk(host: host).approvalOutdated(entry, values: host.templateValues(entry))
    }

    /// What a question's status line adds: whose steps run meanwhile.
    var besideLine: String? {
        guard !flights.isEmpty else { return nil }
        return "running beside it: " + flights.keys.sorted().map { "[\(host.machine.laneLabel($0))] \($0)" }.joined(separator: ", ")
    }

    /// Journals the attempt's start, then starts it beside the others.
    func launch(_ entry: FlatPlan.Entry, _ n: Int) throws(Stop) {
        guard let a = entry.step.automation else { return }
        var wait: WaitSpec?
        let t: Template
        switch entry.step.body {
        case .run(let script): t = script
        case .wait(var w):
            guard case .run(let probe) = w.probe else { return }
            w.every = host.setup.drill?.pollEvery(w.every) ?? w.every
            (t, wait) = (probe, w)
        default: return
        }
        let values = host.templateValues(entry)
        let env = host.environment(entry.runbook, values)
        try host.journalStart(entry, n)
        let lane = host.machine.laneLabel(entry.key)
        func refuse(_ attempt: Attempt) throws(Stop) { try host.conclude(entry, n, attempt, values: values, env: env) }
        let missing = StepPreview.missingValues(entry.step, values)
        if !missing.isEmpty {
            return try refuse(Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: \(missing.map { "{{ \($0) }}" }.joined(separator: ", ")) has no value (the step that sets it was skipped or marked done by hand); do this step by hand and answer d NOTE, or s REASON"))
        }
        var remote: ShellPerformer.Remote?
        switch host.remote(of: entry.key, values: values) {
        case .success(let r): remote = r
        case .failure(let why): return try refuse(Attempt(ok: false, status: 1, seconds: 0, problem: why.message))
        }
        switch host.shells.prepare(t, values: values, env: env, quiet: false, remote: remote) {
        case .refused(let attempt):
            try refuse(attempt)
        case .ready(let script, let runEnv):
            var (script, runEnv, timeout) = (script, runEnv, Double(a.timeout))
            if let w = wait {
                runEnv = WaitLoop.environment(probe: script, env: runEnv, every: w.every, until: w.until?.expand(values))
                (script, timeout) = (WaitLoop.script, Double(w.timeout))
            }
            let command = host.standIn?.start(entry.key, entry.step) ?? host.shells.runner.start(script: script, environment: runEnv, timeout: timeout, keepLeftovers: a.keepRunning)
            flights[entry.key] = Flight(entry: entry, attempt: n, command: command, values: values, env: env, timeout: timeout,
                                        lane: lane, title: host.masker.mask(entry.step.title.expand(values)), began: host.clock.now,
                                        streams: [LineMasker(host.masker), LineMasker(host.masker)])
            drawn = -1
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
                for masked in f.streams[isErr ? 1 : 0].feed(line, now: host.clock.now).map(ShellPerformer.shorten) { emit(&f, isErr, masked) }
            }
            if dropped > 0 { host.console.show(.warning("\(f.label) \(dropped) lines not shown while a question waited")) }
            guard let (end, stdout) = ended else {
                for (i, isErr) in [false, true].enumerated() {
                    for line in f.streams[i].release(now: host.clock.now, after: 0.5) { emit(&f, isErr, ShellPerformer.shorten(line)) }
                }
                flights[key] = f
                continue
            }
            for (i, isErr) in [false, true].enumerated() { for line in f.streams[i].finish() { emit(&f, isErr, ShellPerformer.shorten(line)) } }
            flights[key] = nil
            landed = true
            drawn = -1
            guard let a = f.entry.step.automation else { continue }
            var attempt: Attempt
            switch end {
            case .success(let result):
                attempt = host.shells.conclude(result, stdout: stdout, tail: f.tail, stopSignal: f.stopSignal, automation: a, timeout: f.timeout,
                                          stoppedBecause: f.stopBecause)
                if f.stopSignal != nil, let why = f.stopBecause { attempt.problem = "stopped: " + why }
                if result.timedOut, case .wait(let w) = f.entry.step.body { attempt.problem = WaitLoop.timedOut(w, tail: f.tail) }
            case .failure(let error):
                attempt = Attempt(ok: false, status: 127, seconds: 0, problem: error.message)
            }
            host.console.show(.info("\(f.label) '\(key)' ended"))
            try host.conclude(f.entry, f.attempt, attempt, values: f.values, env: f.env)
        }
        if !flights.isEmpty || drawn < 0 { drawLanes() }
        return landed
    }

    private func emit(_ f: inout Flight, _ isErr: Bool, _ masked: String) {
        f.tail.append(masked)
        if f.tail.count > 20 { f.tail.removeFirst() }
        host.console.show(.laneOutput(lane: f.lane, step: f.entry.key, stderr: isErr, line: masked))
    }

    /// When the live lines were last drawn (-1: draw at the next look).
    private var drawn = -1.0

    /// One live line per step in flight (a terminal draws them in place),
    /// at most twice a second and at once when one starts or ends.
    private func drawLanes() {
        let now = host.clock.now
        guard drawn < 0 || now - drawn >= 0.5 else { return }
        drawn = flights.isEmpty ? .infinity : now
        host.console.show(.lanes(flights.keys.sorted().compactMap { key in
            flights[key].map { LaneLine(lane: $0.lane, step: key, title: $0.title, seconds: now - $0.began, last: $0.tail.last) }
        }))
    }

    /// Waits until a step in flight ends (or until `t`, seconds since the
    /// run began), showing their lines as they come. A signal meanwhile
    /// means what the machine says it means beside them: a request is
    /// read; anything else stops every one of them and pauses the run, and
    /// `muster resume` brings each back under the resume rules.
    func await(until t: Double = .infinity) throws(Stop) {
        var lastTick = host.clock.now
        while host.elapsed < t {
            if try land() { return }
            if let sig = host.arrivedSignal() ?? host.clock.sleep(upTo: min(host.clock.flightPoll, max(0, t - host.elapsed))) {
                switch host.machine.onSignal(sig, at: .beside, interactive: host.console.isInteractive) {
                case .readInbox:
                    if try host.guards.takeBreaches() { return }
                    try host.checkTakeover()
                case .goOn:
                    break
                case .pause, .askStopOrWait, .stopStep, .keepStep:
                    try ground(because: nil, signal: sig)
                    throw .pause(host.signalName(sig))
                }
                continue
            }
            if host.clock.now - lastTick >= 1 {
                lastTick = host.clock.now
                host.tick()
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
            _ = host.clock.sleep(upTo: 0.02)
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
        host.console.show(.warning("stopping \(flights.count) step\(flights.count == 1 ? "" : "s") still running beside it: \(flights.keys.sorted().joined(separator: ", "))"))
        let why: String = switch stop {
        case .pause(let w), .fail(let w), .journal(let w): "the session stopped (\(w))"
        case .stepStopped, .breach: "the session stopped"
        }
        do { try ground(because: why, signal: .terminate) } catch { for f in flights.values { f.command.stop() } }
    }
}
