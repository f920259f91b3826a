#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How a run (or one session of it) ended.
public enum RunOutcome: Sendable, Equatable {
    /// Every step done or skipped.
    case completed
    /// A step failed and the run ended, or rolled back.
    case failed(String)
    /// Abort, answers ran out, or a signal: `muster resume` continues.
    case paused(String)
    /// Its first event could not be journaled: nothing ran, nothing to resume.
    case notStarted(String)
}

/// Everything a run needs that is decided before the first step.
public struct RunSetup {
    public var runbook: Runbook
    /// Resolved parameter values (given, asked or default).
    public var params: [String: String]
    /// Secret values by name; only ever placed in environments and masked.
    public var secrets: [String: String]
    public var runID: String
    public var operatorName: String
    /// `--yes`: checklist items and gates answered yes, recorded as automatic.
    public var yes: Bool
    /// Included runbooks by reference, resolved up front.
    public var includes: [String: Runbook]
    /// The operator's environment, inherited by automated steps.
    public var baseEnvironment: [String: String]
    /// Git blob id of the runbook file, so a resume can tell it changed.
    public var runbookHash = ""
    /// Repository-relative path of the runbook file.
    public var runbookPath = ""
    public var host = ""
    public var includedHashes: [String: String] = [:]
    /// The commit that last changed the runbook file (nil outside git or
    /// for an untracked file), whether it or an included runbook had
    /// uncommitted changes, and with `--rev` the commit it was read from.
    public var runbookCommit: String?
    /// The same for each included runbook, by reference.
    public var includedCommits: [String: String] = [:]
    public var runbookDirty = false
    public var runbookRev: String?
    /// Set when the run is a drill: banner, RTO budget, faults, rehearsal.
    public var drill: DrillSetup?
    /// Runs of the same runbook being executed when this one was started with `--new`.
    public var startedBeside: [String] = []
    /// Shown after the header of a resumed run: what was done, the values,
    /// what the interrupted step printed (see the CLI's ResumeRecap).
    public var resumeRecap: [String] = []

    public init(runbook: Runbook, params: [String: String], secrets: [String: String], runID: String, operatorName: String, yes: Bool, includes: [String: Runbook], baseEnvironment: [String: String]) {
        self.runbook = runbook
        self.params = params
        self.secrets = secrets
        self.runID = runID
        self.operatorName = operatorName
        self.yes = yes
        self.includes = includes
        self.baseEnvironment = baseEnvironment
    }
}

/// Walks a runbook's steps, journaling each event before acting on it.
/// Resume is the same walk over a replayed `RunState`: finished steps are
/// passed over with their answers and outputs restored.
public final class Executor {
    let setup: RunSetup
    let journal: JournalSink
    let console: RunConsole
    let runner: CommandRunner
    let masker: Masker
    var state: RunState
    /// Seconds since the run began at this session's start, and the
    /// monotonic time then.
    let baseElapsed: Double
    let sessionStart: Double
    let monotonic: () -> Double
    let wallClock: () -> String
    let total: Int
    var index = 0
    var announcedRungs: Set<Int> = []
    var anyFailed = false
    var misunderstood = 0
    /// HTTP for `http` steps and HTTP waits; nil where none is wired in.
    public var http: HTTPTransport?
    /// Makes the service behind a `ci` step (MusterCI's providers); nil
    /// where none is wired in.
    public var ciService: CIServiceFactory?
    /// Sleeps up to the given seconds; returns a signal that cut it short.
    /// With 0 it only looks whether one has arrived.
    public var sleepHook: (Double) -> Int32? = { _ in nil }
    /// A signal that arrived where the run could not stop at once (during a
    /// webhook post, which never stops a run): the next action pauses instead.
    var pendingSignal: Int32?
    /// The wait, http or ci step at work and when its time is up: a Ctrl-C
    /// meanwhile asks about that step (`verdict`) instead of pausing the run.
    var waitingOn: (key: String, deadline: Double)?
    /// Drills only: every step key in plan order with its `expect`, for the
    /// RTO budget at each step.
    lazy var planExpect: [(key: String, expect: Int?)] = DrillRecorder.stepFacts(setup.runbook, includes: setup.includes).map { ($0.key, $0.facts.expect) }
    typealias Rollback = (key: String, command: Template, values: [String: String], env: [String: String])
    /// Completed steps with a rollback command, in completion order.
    var rollbacks: [Rollback] = []
    /// The rollback command of the step whose failure started the rollback:
    /// it may have done part of its work before it failed.
    var failedStepRollback: Rollback?
    /// The attempt running now, if its step has an `expect`.
    var expectWatch: ExpectWatch?

    enum Stop: Error {
        case pause(String)
        case fail(String)
        case rollback(String)
        /// The journal cannot be written: stop at once and write nothing more.
        case journal(String)
        /// The operator answered `s` to the Ctrl-C question while a wait,
        /// http or ci step waited: its attempt ends "stopped by the
        /// operator" (see `stoppable`); it never leaves the attempt.
        case stepStopped
    }

    public init(setup: RunSetup, state: RunState, journal: JournalSink, console: RunConsole, runner: CommandRunner,
                baseElapsed: Double, monotonic: @escaping () -> Double, wallClock: @escaping () -> String) {
        self.setup = setup
        self.state = state
        self.journal = journal
        self.console = console
        self.runner = runner
        self.masker = Masker(secrets: setup.secrets.values)
        self.baseElapsed = baseElapsed
        self.monotonic = monotonic
        self.sessionStart = monotonic()
        self.wallClock = wallClock
        self.total = Self.count(setup.runbook.steps, includes: setup.includes)
    }

    static func count(_ steps: [Step], includes: [String: Runbook]) -> Int {
        steps.reduce(0) { n, s in
            if case .runbook(let spec) = s.body, let child = includes[spec.runbook] { return n + 1 + count(child.steps, includes: includes) }
            return n + 1
        }
    }

    public var elapsed: Double { baseElapsed + monotonic() - sessionStart }

    // MARK: - Journal

    func record(_ kind: JournalEvent.Kind, step: String? = nil, _ fill: (inout JournalEvent) -> Void = { _ in }) throws(Stop) {
        var e = JournalEvent(seq: state.lastSeq + 1, at: wallClock(), t: (elapsed * 1000).rounded() / 1000, event: kind)
        e.step = step
        fill(&e)
        // Secrets never reach the journal, whatever field they hide in.
        e.text = e.text.map(masker.mask)
        if let v = e.value, masker.mask(v) != v {
            e.value = masker.mask(v)
            e.masked = [e.name ?? ""]
        }
        e.tail = e.tail?.map(masker.mask)
        e.contact = e.contact.map(masker.mask)
        e.leftovers = e.leftovers?.map { JournalEvent.Leftover(pid: $0.pid, command: masker.mask($0.command), kept: $0.kept) }
        if let outputs = e.outputs {
            let changed = outputs.filter { masker.mask($0.value) != $0.value }.keys.sorted()
            e.outputs = outputs.mapValues(masker.mask)
            if !changed.isEmpty { e.masked = changed }
        }
        if var run = e.run {
            run.params = run.params.mapValues(masker.mask)
            e.run = run
        }
        do {
            try journal.append(e)
        } catch {
            console.show(.warning(error.message))
            throw .journal(error.message)
        }
        state.apply(e)
        misunderstood = 0
    }

    // MARK: - Running

    /// Runs (or resumes) to the end of this session.
    public func execute(resumed: Bool) -> RunOutcome {
        let rb = setup.runbook
        console.show(.runHeader(title: masker.mask(rb.title.expand(scopeValues(rb, setup.params))), runID: setup.runID, steps: total, resumed: resumed, drillBanner: setup.drill?.banner))
        for line in setup.resumeRecap { console.show(.info(line)) }
        // Read before anything runs; a resumed session is past that point
        // and goes on from where it stopped (`muster show` prints them).
        if !resumed {
            if let d = setup.drill?.description { console.show(.description(masker.mask(d), drill: true)) }
            if let d = rb.description { console.show(.description(masker.mask(d), drill: false)) }
        }
        do {
            if state.info == nil {
                try record(.runStarted) { e in
                    e.run = JournalEvent.RunInfo(runID: setup.runID, runbook: rb.name, runbookPath: setup.runbookPath, runbookHash: setup.runbookHash, operatorName: setup.operatorName, host: setup.host, params: setup.params, yes: setup.yes, startedAt: e.at,
                                                 includedHashes: setup.includedHashes.isEmpty ? nil : setup.includedHashes, drill: setup.drill,
                                                 runbookCommit: setup.runbookCommit, runbookDirty: setup.runbookDirty, runbookRev: setup.runbookRev,
                                                 includedCommits: setup.includedCommits.isEmpty ? nil : setup.includedCommits)
                    if !setup.startedBeside.isEmpty { e.run?.startedBeside = setup.startedBeside }
                }
                notify("run started by \(setup.operatorName)")
            }
            if state.rollbackStarted {
                // No walk over the steps in this session: register the
                // finished steps' rollback commands before going on.
                restoreRollbacks(rb.steps, runbook: rb, values: scopeValues(rb, setup.params), prefix: "")
                try rollBack(reason: state.rollbackReason ?? "resuming a rollback")
                return .failed("rolled back")
            }
            try runSteps(rb.steps, runbook: rb, values: scopeValues(rb, setup.params), prefix: "")
            let end: RunEnd = anyFailed ? .failed : .completed
            try record(.runFinished) { $0.runEnd = end }
            notify("run \(end.rawValue)")
            console.show(.runResult(outcome: end.rawValue, elapsed: elapsed, runID: setup.runID, resumeHint: false))
            return anyFailed ? .failed("a step failed and the run went on") : .completed
        } catch {
            switch error {
            case .pause(let why):
                try? record(.runPaused) { $0.text = why }
                notify("run paused: \(why)")
                console.show(.runResult(outcome: "paused: \(why)", elapsed: elapsed, runID: setup.runID, resumeHint: true))
                return .paused(why)
            case .fail(let why):
                try? record(.runFinished) { $0.runEnd = .failed; $0.text = why }
                notify("run failed: \(why)")
                console.show(.runResult(outcome: "failed: \(why)", elapsed: elapsed, runID: setup.runID, resumeHint: false))
                return .failed(why)
            case .journal(let why):
                // Not even the run's start is on disk: there is nothing to
                // resume, and nothing was done.
                guard state.info != nil else {
                    console.show(.runResult(outcome: "not started: its journal cannot be written; nothing was run. Make room and start it again", elapsed: elapsed, runID: setup.runID, resumeHint: false))
                    return .notStarted(why)
                }
                console.show(.runResult(outcome: "stopped: the journal cannot be written (see above)", elapsed: elapsed, runID: setup.runID, resumeHint: true))
                return .paused(why)
            case .stepStopped:
                let why = "stopped by the operator"
                try? record(.runPaused) { $0.text = why }
                console.show(.runResult(outcome: "paused: \(why)", elapsed: elapsed, runID: setup.runID, resumeHint: true))
                return .paused(why)
            case .rollback(let why):
                do {
                    try rollBack(reason: why)
                } catch {
                    if case .pause(let p) = error {
                        try? record(.runPaused) { $0.text = p }
                        console.show(.runResult(outcome: "paused during rollback: \(p)", elapsed: elapsed, runID: setup.runID, resumeHint: true))
                        return .paused(p)
                    }
                }
                return .failed("rolled back: \(why)")
            }
        }
    }

    /// Posts a chat message (`{"text": ...}`, as Slack and compatible hooks
    /// take, escaped for them) to the runbook's webhook. A webhook that fails
    /// is reported and never stops the run.
    func notify(_ text: String) {
        guard let secret = setup.runbook.notifyWebhook, let url = setup.secrets[secret], let http else { return }
        let label = setup.drill.map { "DRILL \($0.name): \(setup.runbook.name)" } ?? setup.runbook.name
        let message = chatEscaped(masker.mask("[\(label)] \(text) (run \(setup.runID), \(formatSeconds(elapsed)) elapsed)"))
        let body = JSON.object([("text", .string(message))]).serialized()
        do {
            let reply = try send(http, method: "POST", url: url, headers: [("Content-Type", "application/json")], body: body, timeout: 5)
            if !(200..<300).contains(reply.status) {
                console.show(.warning("the notification webhook answered \(reply.status); the run goes on"))
            }
        } catch {
            if let sig = error.signal {
                // The post is abandoned, but the signal still means "stop".
                pendingSignal = pendingSignal ?? sig
                console.show(.warning("the notification webhook was abandoned: \(Self.signalName(sig))"))
                return
            }
            console.show(.warning("the notification webhook failed (\(masker.mask(error.message))); the run goes on"))
        }
    }

    /// The one check before every action (a step, an attempt, a command, a
    /// request, a sleep, a question): a signal that arrived at any moment
    /// since the last one, whether it was noticed or not, pauses the run here.
    func checkSignals() throws(Stop) {
        if let sig = arrivedSignal() { try interruption(sig) }
    }

    /// What a signal means while a step waits.
    enum SignalVerdict { case keepWaiting, stopStep, pause(Int32) }

    /// The one question Ctrl-C asks while a step is at work, whatever it
    /// waits for (its command, a probe, a request, a pipeline, the sleep
    /// between polls): stop the step, or keep waiting. SIGTERM, SIGHUP,
    /// SIGQUIT, and Ctrl-C with nobody at a terminal, pause the run. Left
    /// unanswered, the question gives up at `deadline` (the step's timeout),
    /// and the step goes on to meet it.
    func verdict(_ sig: Int32, key: String, deadline: Double) -> SignalVerdict {
        guard sig == 2, console.isInteractive else { return .pause(sig) }
        switch console.ask("Ctrl-C: stop '\(key)' now, or keep waiting?", hint: Question.interrupt.hint, status: status(), within: deadline - monotonic()) {
        case nil:
            return .keepWaiting
        case .line(let l)?:
            return Question.interrupt.parse(l) == .success(.keepWaiting) ? .keepWaiting : .stopStep
        case .eof?:
            return .stopStep
        case .signal(let s)?:
            // A second Ctrl-C is a louder "stop".
            return s == 2 ? .stopStep : .pause(s)
        }
    }

    /// The same for a signal taken while `waitingOn` is set; at any other
    /// moment a signal pauses the run.
    func verdict(_ sig: Int32) -> SignalVerdict {
        guard let w = waitingOn else { return .pause(sig) }
        return verdict(sig, key: w.key, deadline: w.deadline)
    }

    /// Acts on a signal taken between actions: goes on, stops the waiting
    /// step, or pauses the run.
    func interruption(_ sig: Int32) throws(Stop) {
        switch verdict(sig) {
        case .keepWaiting: return
        case .stopStep: throw .stepStopped
        case .pause(let s): throw .pause(signalName(s))
        }
    }

    /// The signal that arrived since the last check, taken (nil if none).
    func arrivedSignal() -> Int32? {
        defer { pendingSignal = nil }
        return pendingSignal ?? sleepHook(0)
    }

    /// Parameters, built-ins: the values every template of `rb` may use.
    func scopeValues(_ rb: Runbook, _ params: [String: String]) -> [String: String] {
        var v = params
        v["run_id"] = setup.runID
        v["operator"] = setup.operatorName
        v["runbook"] = rb.name
        return v
    }

    func environment(_ rb: Runbook, _ values: [String: String]) -> [String: String] {
        var env = setup.baseEnvironment
        for p in rb.params { if let v = values[p.name] { env[p.name.uppercased()] = v } }
        for (name, value) in rb.env { env[name] = value.expand(values) }
        for s in rb.secrets { if let v = setup.secrets[s.name] { env[s.name] = v } }
        env["MUSTER_RUN_ID"] = setup.runID
        return env
    }

    func runSteps(_ steps: [Step], runbook rb: Runbook, values start: [String: String], prefix: String) throws(Stop) {
        var values = start
        for step in steps {
            index += 1
            let key = prefix + step.id
            if let done = state.finished[key] {
                values.merge(state.values[key] ?? [:]) { $1 }
                for (name, _) in state.values[key] ?? [:] where state.masked.contains(key + "." + name) {
                    values[name] = try read("The value of {{ \(name) }} from step '\(key)' contained a secret, so the journal holds it masked. Enter it again",
                                            hint: "one line; it is not journaled")
                }
                if done == .done, let rollback = step.automation?.rollback {
                    rollbacks.append((key, rollback, values, environment(rb, values)))
                }
                if case .runbook(let spec) = step.body, let child = setup.includes[spec.runbook] {
                    index += Self.count(child.steps, includes: setup.includes)
                    restoreRollbacks(child.steps, runbook: child, values: childValues(child, spec, values), prefix: key + "/")
                }
                continue
            }
            try checkSignals()
            console.show(.stepHeader(index: index, total: total, number: "", kind: step.kind, title: masker.mask(step.title.expand(values)), id: key))
            checkBudget(from: key)
            // An automated step journals its start together with its first
            // attempt: one fsync fewer per step, nothing less recorded.
            if !state.started.contains(key), !step.kind.isAutomated { try record(.stepStarted, step: key) { $0.text = step.kind.rawValue } }
            if let notes = step.notes { console.show(.notes(masker.mask(notes.expand(values)))) }
            switch step.body {
            case .manual(let items, let ask):
                try manual(step, key: key, items: items, ask: ask, values: &values)
            case .runbook(let spec):
                guard let child = setup.includes[spec.runbook] else { throw .fail("runbook '\(spec.runbook)' was not loaded") }
                try runSteps(child.steps, runbook: child, values: childValues(child, spec, values), prefix: key + "/")
                try record(.stepFinished, step: key) { $0.stepOutcome = .done }
            default:
                try automated(step, key: key, runbook: rb, values: &values)
            }
        }
    }

    /// What an included runbook's templates see: its defaults, then `with`.
    func childValues(_ child: Runbook, _ spec: IncludeSpec, _ values: [String: String]) -> [String: String] {
        var childParams: [String: String] = [:]
        for p in child.params { if let d = p.defaultValue { childParams[p.name] = d } }
        for w in spec.with { childParams[w.name] = w.value.expand(values) }
        return scopeValues(child, childParams)
    }

    /// Registers the rollback commands of steps finished in earlier
    /// sessions, inside included runbooks too, as `runSteps` does while it
    /// runs them.
    func restoreRollbacks(_ steps: [Step], runbook rb: Runbook, values start: [String: String], prefix: String) {
        var values = start
        for step in steps {
            let key = prefix + step.id
            values.merge(state.values[key] ?? [:]) { $1 }
            if case .runbook(let spec) = step.body, let child = setup.includes[spec.runbook] {
                restoreRollbacks(child.steps, runbook: child, values: childValues(child, spec, values), prefix: key + "/")
            } else if state.finished[key] == .done, let rollback = step.automation?.rollback {
                rollbacks.append((key, rollback, values, environment(rb, values)))
            } else if key == state.lastFailed, state.finished[key] == .failed, let rollback = step.automation?.rollback {
                failedStepRollback = (key, rollback, values, environment(rb, values))
            }
        }
    }

    // MARK: - Prompts

    /// The line under every prompt: where we are, for how long, whom next.
    func status() -> String {
        let e = elapsed
        var parts = ["step \(index) of \(total)", "elapsed \(formatSeconds(e))"]
        if let rto = setup.drill?.rtoSeconds {
            let left = Double(rto) - e
            parts.append(left >= 0 ? "RTO \(formatSeconds(Double(rto))): \(formatSeconds(left)) left" : "RTO \(formatSeconds(Double(rto))) exceeded by \(formatSeconds(-left))")
        }
        let ladder = setup.runbook.escalation
        // Once the operator has escalated, the next rung is the one after
        // the highest called, whatever the clock says.
        if let called = ladder.indices.last(where: { i in state.escalations.contains { $0.contact == ladder[i].contact } }) {
            parts.append("escalated to \(ladder[called].contact)")
            if called + 1 < ladder.count {
                let next = ladder[called + 1]
                parts.append(Double(next.after) > e ? "next escalation at \(formatSeconds(Double(next.after))): \(next.contact)" : "next rung, due: \(next.contact)")
            } else {
                parts.append("the last rung")
            }
        } else if let next = ladder.first(where: { Double($0.after) > e }) {
            parts.append("next escalation at \(formatSeconds(Double(next.after))): \(next.contact)")
        } else if let last = ladder.last {
            parts.append("past the last escalation rung: \(last.contact)")
        }
        return parts.joined(separator: " · ")
    }

    /// Drills: warns when what is left of the RTO is less than the sum of
    /// the remaining steps' `expect`, while there is still time to react.
    func checkBudget(from key: String) {
        guard let rto = setup.drill?.rtoSeconds else { return }
        guard let at = planExpect.firstIndex(where: { $0.key == key }) else { return }
        let expected = planExpect[at...].filter { state.finished[$0.key] == nil }.compactMap(\.expect).reduce(0, +)
        let left = Double(rto) - elapsed
        if expected > 0, Double(expected) > left {
            console.show(.warning("RTO budget: \(formatSeconds(max(0, left))) of \(formatSeconds(Double(rto))) left, but the remaining steps expect \(formatSeconds(Double(expected)))"))
        }
    }

    /// Shows a banner for each rung whose time has passed since the last check.
    func checkEscalation() {
        let e = elapsed
        for (i, rung) in setup.runbook.escalation.enumerated() where Double(rung.after) <= e && !announcedRungs.contains(i) {
            announcedRungs.insert(i)
            // Rungs that passed before this session are shown once, too.
            console.show(.escalationBanner(contact: rung.contact, elapsed: e))
        }
    }

    /// Answers in a row that were not understood: on a pipe nobody can
    /// correct them (`yes y` fed to a failure menu would loop for ever), so
    /// a few in a row pause the run as running out of answers does.
    static let misunderstoodLimit = 3

    func notUnderstood(_ hint: String) throws(Stop) {
        console.show(.warning(hint))
        misunderstood += 1
        if !console.isInteractive, misunderstood >= Self.misunderstoodLimit {
            throw .pause("\(misunderstood) answers in a row were not understood")
        }
    }

    /// Asks until a line comes; EOF and signals pause the run.
    func read(_ question: String, hint: String) throws(Stop) -> String {
        try checkSignals()
        checkEscalation()
        switch console.ask(question, hint: hint, status: status()) {
        case .line(let l): return l
        case .eof: throw .pause("answers ran out (end of input)")
        case .signal(let s): throw .pause(signalName(s))
        }
    }

    /// Asks `question` until a line answers it (see Answer.swift); `e`
    /// escalates and asks again, at every question that offers it. Only
    /// answers the question offers come back: each prompt's switch lists
    /// the others as impossible, so a new verb is placed by the compiler.
    func answer(_ question: Question, _ prompt: String, step key: String) throws(Stop) -> Answer {
        while true {
            switch question.parse(try read(prompt, hint: question.hint)) {
            case .success(.escalate): try escalate(step: key)
            case .success(let answer): return answer
            case .failure(let m): try notUnderstood(m.hint)
            }
        }
    }

    func signalName(_ s: Int32) -> String { Self.signalName(s) }

    /// Why a signal paused the run, naming it as `kill -l` does.
    static func signalName(_ s: Int32) -> String {
        switch s {
        case 2: "interrupted (SIGINT)"
        case 1: "hung up (SIGHUP)"
        case 15: "terminated (SIGTERM)"
        case 3: "quit (SIGQUIT)"
        default: "signal \(s)"
        }
    }

    /// `SIGTERM` for 15: the name alone, for "stopped by SIGTERM".
    public static func shortSignalName(_ s: Int32) -> String {
        [1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 15: "SIGTERM"][s] ?? "signal \(s)"
    }

    /// `e` at any prompt: shows the ladder and records whom the operator called.
    func escalate(step: String) throws(Stop) {
        let ladder = setup.runbook.escalation
        guard !ladder.isEmpty else {
            let who = try read("No escalation ladder in this runbook. Whom did you escalate to?", hint: "a name or team")
            try record(.escalated, step: step) { $0.contact = who }
            return
        }
        console.show(.ladder(ladder, elapsed: elapsed))
        let due = ladder.lastIndex { Double($0.after) <= elapsed } ?? 0
        while true {
            let answer = try read("Escalate to which rung? (1-\(ladder.count), empty: \(due + 1))", hint: "a number from the list")
            let pick = answer.trimmingSpaces().isEmpty ? due + 1 : Int(answer.trimmingSpaces()) ?? 0
            if (1...ladder.count).contains(pick) {
                let contact = ladder[pick - 1].contact
                try record(.escalated, step: step) { $0.contact = contact; $0.item = pick }
                notify("escalated to \(contact) by \(setup.operatorName)")
                console.show(.info("escalation recorded: \(contact)"))
                return
            }
            try notUnderstood("answer with a number from 1 to \(ladder.count), or an empty line for rung \(due + 1)")
        }
    }

    func manual(_ step: Step, key: String, items: [Template], ask: [(name: String, prompt: String)], values: inout [String: String]) throws(Stop) {
        let answered = state.answeredItems[key] ?? []
        for (i, item) in items.enumerated() where !answered.contains(i) {
            let text = masker.mask(item.expand(values))
            if setup.yes {
                console.show(.checklistItem(text + "  (yes, --yes)"))
                try record(.itemAnswered, step: key) { $0.item = i; $0.itemAnswer = .done; $0.auto = true }
                continue
            }
            item: while true {
                switch try answer(.checklistItem, "[ ] \(text)", step: key) {
                case .yes:
                    try record(.itemAnswered, step: key) { $0.item = i; $0.itemAnswer = .done }
                    console.show(.itemChecked(text))
                    break item
                case .skip(let why):
                    try record(.itemAnswered, step: key) { $0.item = i; $0.itemAnswer = .skipped; $0.text = why }
                    break item
                case .note(let note):
                    try record(.note, step: key) { $0.item = i; $0.text = note }
                    console.show(.info("note recorded"))
                case .abort:
                    throw .pause("operator aborted at '\(key)'")
                case .escalate, .retry, .doneByHand, .rollBack, .stopStep, .keepWaiting:
                    preconditionFailure("not an answer to a checklist item")
                }
            }
        }
        let known = state.values[key] ?? [:]
        for q in ask {
            if let v = known[q.name] { values[q.name] = v; continue }
            let v = try read(q.prompt, hint: "the answer becomes {{ \(q.name) }}")
            try record(.answered, step: key) { $0.name = q.name; $0.value = v }
            values[q.name] = v
        }
        try record(.stepFinished, step: key) { $0.stepOutcome = .done }
    }

}
