#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat

/// Performs what `RunMachine` says to do next, journaling each event before
/// acting on it. Resume is the same loop over a replayed `RunState`.
public final class Executor {
    package let setup: RunSetup
    /// Every event this session writes, and what the shared store slips in.
    lazy var journal = SessionJournal(host: self, sink: sink)
    let sink: JournalSink
    /// Every message and question passes the masks' net (SessionMasks).
    package var console: RunConsole { masks.net }
    let masks: SessionMasks
    let runner: CommandRunner
    /// Grows with each secret answer (`addSecret`).
    package var masker: Masker { masks.masker }
    package var state: RunState
    /// Seconds since the run began at this session's start, and the
    /// monotonic time then.
    let baseElapsed: Double
    let sessionStart: Double
    /// Time and the sleep a signal cuts short: the engine's only clock.
    package let clock: RunClock
    let total: Int
    var index = 0
    var announcedRungs: Set<Int> = []
    /// The flattened plan, and the machine that says what to do next.
    let plan: FlatPlan
    package let machine: RunMachine
    /// Values each scope's templates see (RunValues).
    var values: RunValues
    /// Steps whose header this session has shown.
    var shownHeaders: Set<String> = []
    /// Why each step's last attempt in this session failed, until its
    /// failure is answered.
    var problems: [String: String] = [:]
    /// Steps running beside others.
    lazy var flights = FlightDesk(host: self)
    /// Guards polled while the run goes on.
    package lazy var guards = GuardDesk(host: self)
    /// Nil where guards cannot run (a test's fakes): they are not polled.
    public var guardParts: GuardParts? {
        get { guards.parts }
        set { guards.parts = newValue }
    }
    /// Every question asked of the operator goes through the desk.
    lazy var desk = OperatorDesk(host: self)
    let chat: ChatNotifier?
    /// HTTP for `http` steps and HTTP waits; nil where none is wired in.
    public var http: HTTPTransport?
    /// Stands in for every automated step (`muster test`): nothing runs.
    public var standIn: StepStandIn?
    /// Makes the service behind a `ci` step (MusterCI's providers); nil
    /// where none is wired in.
    public var ciService: CIServiceFactory?
    /// A signal that arrived where the run could not stop at once (during a
    /// webhook post, which never stops a run): the next action pauses instead.
    var pendingSignal: Signal?
    /// The wait, http or ci step at work and when its time is up: a Ctrl-C
    /// meanwhile asks about that step (`verdict`) instead of pausing the run.
    var waitingOn: (key: String, deadline: Double)?
    /// What the run's clock calls for: status line, rungs, budget, hints.
    package let watch: RunWatch
    /// Lists, asks and runs the rollback the machine decides on.
    lazy var rollback = RollbackDesk(host: self)
    /// The attempt running now, if its step has an `expect`.
    var expectWatch: ExpectWatch?
    /// Approvals and takeovers: other people's requests of the run.
    lazy var team = TeamDesk(host: self)
    /// Requests from other people (approvals, takeovers); nil where none
    /// can arrive.
    public var inbox: RunInbox? {
        get { team.inbox }
        set { team.inbox = newValue }
    }
    /// Keeps the `run` step at work when the terminal is lost (StepKeeping).
    lazy var keeper = StepKeeping(host: self)
    lazy var flow = FlowDesk(host: self)
    lazy var gates = GateDesk(host: self)
    public var keepStep: ((_ step: String) -> Bool)? {
        get { keeper.keepStep }
        set { keeper.keepStep = newValue }
    }
    /// `ci` steps' pipelines: started, looked up, cancelled.
    package lazy var pipelines = PipelineDesk(host: self)

    public init(setup: RunSetup, state: RunState, journal: JournalSink, console: RunConsole, runner: CommandRunner,
                baseElapsed: Double, clock: RunClock) {
        self.setup = setup
        self.state = state
        self.sink = journal
        self.masks = SessionMasks(declared: setup.maskedValues, console: console)
        self.runner = runner
        self.baseElapsed = baseElapsed
        self.clock = clock
        self.sessionStart = clock.now
        self.plan = FlatPlan(setup.runbook, includes: setup.includes)
        self.machine = RunMachine(plan: plan, yes: setup.yes)
        self.values = RunValues(setup, plan: plan)
        self.total = plan.entries.count
        self.chat = ChatNotifier(setup)
        let drill = setup.drill
        self.watch = RunWatch(setup.runbook, includes: setup.includes, rto: drill?.rtoSeconds, unavailable: { drill?.isUnavailable($0) == true })
    }

    public var elapsed: Double { baseElapsed + clock.now - sessionStart }

    package func addSecret(_ value: String) { masks.add(value) }

    // MARK: - Journal

    package func record(_ payload: JournalEvent.Payload, step: String? = nil) throws(Stop) {
        try journal.record(payload, step: step, held: false)
    }

    /// `held`, `at`: see SessionJournal.record.
    package func record(_ payload: JournalEvent.Payload, step: String? = nil, held: Bool, at: String? = nil) throws(Stop) {
        try journal.record(payload, step: step, held: held, at: at)
    }

    package func settleJournal() throws(Stop) { try journal.settle() }

    // MARK: - Running

    /// Runs (or resumes) to the end of this session.
    public func execute(resumed: Bool) -> RunOutcome {
        let rb = setup.runbook
        console.show(.runHeader(title: masker.mask(rb.title.expand(values.base(rb, setup.params))), runID: setup.runID, steps: total, resumed: resumed, drillBanner: setup.drill?.banner))
        for line in setup.resumeRecap { console.show(.info(line)) }
        // Read before anything runs; a resumed session is past that point
        // and goes on from where it stopped (`muster show` prints them).
        if !resumed {
            if let d = setup.drill?.description { console.show(.description(masker.mask(d), drill: true)) }
            if let s = setup.drill?.scenario { console.show(.description("SCENARIO\n" + masker.mask(s), drill: true)) }
            if let d = rb.description { console.show(.description(masker.mask(d), drill: false)) }
        }
        do {
            if let h = setup.handoff {
                try record(setup.takeover(h))
                notify("\(setup.operatorName) took the run over" + (h.reason.map { ": \($0)" } ?? ""))
            }
            if resumed {
                try record(setup.resumed)
                // The channel saw the pause; it sees who picked the run up (a hand-off said so above).
                if setup.handoff == nil { notify("run resumed by \(setup.operatorName) on \(setup.host)") }
            }
            if state.info == nil {
                let at = clock.stamp()
                try record(setup.started(at: at), held: false, at: at)
                notify("run started by \(setup.operatorName)")
            }
            return try drive()
        } catch {
            let end = SessionEnd(error, runID: setup.runID, handingOver: team.handingOver, takenOverElsewhere: journal.takenOverElsewhere,
                                 started: state.info != nil, rollingBack: state.rollbackStarted)
            if let why = end.paused { try? record(.runPaused(why: why)) }
            if let why = end.failed { try? record(.runFinished(.failed, why: why)) }
            // A step's end held when the session stopped at the next step.
            try? settleJournal()
            if let text = end.notify { notify(text) }
            console.show(.runResult(outcome: end.result, elapsed: elapsed, runID: setup.runID, resumeHint: end.resumeHint))
            if let line = end.after { console.show(.info(line)) }
            return end.outcome
        }
    }
}
