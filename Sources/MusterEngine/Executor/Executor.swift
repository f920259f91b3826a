#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat

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
    /// Values masked like secrets that the runbook never names: the shared
    /// store's own AWS credentials, which steps inherit in the environment.
    public var alsoMasked: [String] = []
    /// Every value masked: the secrets and `alsoMasked`.
    public var maskedValues: [String] { Array(secrets.values) + alsoMasked }
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
    /// Preflight checks that failed and the run went on anyway.
    public var preflightFailed: [String] = []
    /// Resumed with `--force` over a changed runbook: `run_resumed` says so.
    public var resumedOverChange = false
    /// With a shared store: the ARN of this session's credentials.
    public var identity: String?
    /// The OS user running this session (`id -un`): the identity the
    /// two-person rule compares. Empty where none is known (tests).
    public var osUser = ""
    /// A run with approval steps: this session's signed statement that it
    /// operates the run, journaled on `run_started`, `run_resumed` or
    /// `handoff`, so the rule compares keys, never names.
    public var session: SessionSignature?
    public struct SessionSignature: Sendable {
        public var signed: Signed
        public var key: String
        public var principal: String
        public init(signed: Signed, key: String, principal: String) {
            self.signed = signed
            self.key = key
            self.principal = principal
        }
    }
    /// Checks approvers' signatures (`allowed_signers`); nil: none can be.
    public var signatures: SignatureChecker?
    /// SHA-256 of the runbook's bytes: what a session's statement names.
    public var runbookSHA256 = ""
    /// This session takes the run over (`muster takeover`): journaled as
    /// `handoff` before `run_resumed`.
    public var handoff: (reason: String?, request: String?)?

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

/// Performs what `RunMachine` says to do next, journaling each event before
/// acting on it. Resume is the same loop over a replayed `RunState`.
public final class Executor {
    package let setup: RunSetup
    let journal: JournalSink
    /// Every message and question passes `net` (see MaskingConsole).
    var console: RunConsole { net }
    let net: MaskingConsole
    let runner: CommandRunner
    /// Grows with each secret answer (`addSecret`).
    package private(set) var masker: Masker
    /// Answers to `secret: true` questions given in this session.
    var secretAnswers: [String] = []
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
    /// The flattened plan, and the machine that says what to do next.
    let plan: FlatPlan
    let machine: RunMachine
    /// Values each scope's templates see, by include step key ("" for the top).
    var scopes: [String: [String: String]] = [:]
    /// Steps whose header this session has shown.
    var shownHeaders: Set<String> = []
    /// Why the step's last attempt in this session failed.
    var lastProblem: (key: String, why: String)?
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
    lazy var planExpect: [(key: String, expect: Int?)] = StepFacts.of(setup.runbook, includes: setup.includes).map { ($0.key, $0.facts.expect) }
    typealias Rollback = (key: String, command: Template, values: [String: String], env: [String: String])
    /// Completed steps with a rollback command, in completion order.
    var rollbacks: [Rollback] = []
    /// The rollback command of the step whose failure started the rollback:
    /// it may have done part of its work before it failed.
    var failedStepRollback: Rollback?
    /// The attempt running now, if its step has an `expect`.
    var expectWatch: ExpectWatch?
    /// Requests from other people (approvals, takeovers); nil where none
    /// can arrive.
    public var inbox: RunInbox?
    /// Requests refused in this session, said once.
    var refusedRequests: Set<String> = []
    /// A takeover waiting for the step at work to end.
    var takeoverPending: TeamRequest?
    /// The takeover this session is stopping for.
    var handingOver: TeamRequest?
    /// A `handoff` another machine wrote to the shared store: the run is
    /// theirs, and this session writes nothing more.
    var takenOverElsewhere: JournalEvent?
    /// Hands the `run` step at work over to this process alone when the
    /// terminal is lost (see `keepOnHangUp`): true once the session lock is
    /// released and the step lock held. Nil where nobody can (tests): the
    /// step is stopped as for SIGTERM.
    public var keepStep: ((_ step: String) -> Bool)?
    /// The step this process stays for, after the terminal was lost: it
    /// journals that step's end, and nothing after it.
    var keeping: String?
    /// The `ci` step whose pipeline this session started, and when its
    /// attempt began: following it (the machine's next action) counts the
    /// step's timeout from then.
    var triggered: (key: String, at: Double)?

    package enum Stop: Error {
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
        self.masker = Masker(secrets: setup.maskedValues)
        self.net = MaskingConsole(console, masker: Self.netMasker(setup.maskedValues))
        self.runner = runner
        self.baseElapsed = baseElapsed
        self.monotonic = monotonic
        self.sessionStart = monotonic()
        self.wallClock = wallClock
        self.plan = FlatPlan(setup.runbook, includes: setup.includes)
        self.machine = RunMachine(plan: plan, yes: setup.yes)
        self.total = plan.entries.count
    }

    public var elapsed: Double { baseElapsed + monotonic() - sessionStart }

    /// The net's masker leaves out values shorter than the length rule's 4
    /// bytes: masked where the executor masks on purpose (output, values,
    /// the journal), they would turn Muster's own words into `e***pected`
    /// everywhere else.
    static func netMasker(_ values: [String]) -> Masker {
        Masker(secrets: values.filter { $0.trimmingCharacters().utf8.count >= Masker.minimumPiece })
    }

    /// A secret typed during the run (`ask` with `secret: true`): masked
    /// from now on like a declared secret, everywhere.
    func addSecret(_ value: String) {
        guard !value.trimmingCharacters().isEmpty, !secretAnswers.contains(value) else { return }
        secretAnswers.append(value)
        masker = Masker(secrets: setup.maskedValues + secretAnswers)
        net.masker = Self.netMasker(setup.maskedValues + secretAnswers)
    }

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
        e.answer = e.answer.map(masker.mask)
        e.outcome = e.outcome.map(masker.mask)
        e.leftovers = e.leftovers?.map { JournalEvent.Leftover(pid: $0.pid, command: masker.mask($0.command), kept: $0.kept) }
        if let outputs = e.outputs {
            let changed = outputs.filter { masker.mask($0.value) != $0.value }.keys.sorted()
            e.outputs = outputs.mapValues(masker.mask)
            if !changed.isEmpty { e.masked = changed }
        }
        if var run = e.run {
            run.params = run.params.mapValues(masker.mask)
            run.preflightFailed = run.preflightFailed?.map(masker.mask)
            e.run = run
        }
        if kind == .runStarted { e.run?.identity = setup.identity }
        while true {
            do {
                try journal.append(e)
                break
            } catch {
                guard let foreign = error.superseded else {
                    console.show(.warning(error.message))
                    throw .journal(error.message)
                }
                if error.appended {
                    state.apply(e)
                    misunderstood = 0
                    try takeIn(foreign, pause: error.pause)
                    return
                }
                try takeIn(foreign, pause: error.pause)
                e.seq = state.lastSeq + 1
            }
        }
        state.apply(e)
        misunderstood = 0
    }

    func signSession(_ e: inout JournalEvent) {
        guard let s = setup.session else { return }
        e.statement = s.signed.statement
        e.signature = s.signed.signature
        e.key = s.key
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
            if let h = setup.handoff {
                try record(.handoff) { e in
                    e.by = setup.osUser
                    e.osUser = setup.osUser.isEmpty ? nil : setup.osUser
                    signSession(&e)
                    e.identity = setup.identity
                    e.name = setup.operatorName
                    e.text = h.reason
                    e.value = h.request
                }
                notify("\(setup.operatorName) took the run over" + (h.reason.map { ": \($0)" } ?? ""))
            }
            if resumed {
                try record(.runResumed) { e in
                    e.text = ResumePolicy.resumedText(by: setup.operatorName, host: setup.host, forcedOverChange: setup.resumedOverChange)
                        + (setup.identity.map { " (as \($0))" } ?? "")
                    // This session answers checklists and gates by itself: a drill's record says unattended.
                    e.auto = setup.yes ? true : nil
                    signSession(&e)
                }
                // The channel saw the pause; it sees who picked the run up (a hand-off said so above).
                if setup.handoff == nil { notify("run resumed by \(setup.operatorName) on \(setup.host)") }
            }
            if state.info == nil {
                try record(.runStarted) { e in
                    e.run = JournalEvent.RunInfo(runID: setup.runID, runbook: rb.name, runbookPath: setup.runbookPath, runbookHash: setup.runbookHash, operatorName: setup.operatorName, host: setup.host, params: setup.params, yes: setup.yes, startedAt: e.at,
                                                 includedHashes: setup.includedHashes.isEmpty ? nil : setup.includedHashes, drill: setup.drill,
                                                 runbookCommit: setup.runbookCommit, runbookDirty: setup.runbookDirty, runbookRev: setup.runbookRev,
                                                 includedCommits: setup.includedCommits.isEmpty ? nil : setup.includedCommits)
                    e.run?.osUser = setup.osUser.isEmpty ? nil : setup.osUser
                    signSession(&e)
                    if !setup.startedBeside.isEmpty { e.run?.startedBeside = setup.startedBeside }
                    if !setup.preflightFailed.isEmpty { e.run?.preflightFailed = setup.preflightFailed.map(masker.mask) }
                }
                notify("run started by \(setup.operatorName)")
            }
            return try drive()
        } catch {
            switch error {
            case .pause(let why):
                try? record(.runPaused) { $0.text = why }
                if let r = handingOver {
                    let to = r.who + (r.host.map { " on \($0)" } ?? "") + (r.reason.map { " (\($0))" } ?? "")
                    console.show(.runResult(outcome: "handed over to \(to)", elapsed: elapsed, runID: setup.runID, resumeHint: false))
                    console.show(.info("This session stops here; `muster follow \(setup.runID)` shows the run as it goes on."))
                    return .paused(why)
                }
                notify("run paused: \(why)")
                console.show(.runResult(outcome: "paused: \(why)", elapsed: elapsed, runID: setup.runID, resumeHint: true))
                return .paused(why)
            case .fail(let why):
                try? record(.runFinished) { $0.runEnd = .failed; $0.text = why }
                notify("run failed: \(why)")
                console.show(.runResult(outcome: "failed: \(why)", elapsed: elapsed, runID: setup.runID, resumeHint: false))
                return .failed(why)
            case .journal(let why):
                if let h = takenOverElsewhere, h.event == .runStarted {
                    console.show(.runResult(outcome: "not started: another machine took its id at the same moment; nothing was run. Start it again", elapsed: elapsed, runID: setup.runID, resumeHint: false))
                    return .notStarted(why)
                }
                if let h = takenOverElsewhere {
                    let outcome = h.event == .handoff ? "handed over to \(h.by ?? "?")" + (h.text.map { " (\($0))" } ?? "") : "ended on another machine"
                    console.show(.runResult(outcome: outcome, elapsed: elapsed, runID: setup.runID, resumeHint: false))
                    console.show(.info("This session stops here; `muster follow \(setup.runID)` shows the run as it goes on."))
                    return .paused(why)
                }
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
}
