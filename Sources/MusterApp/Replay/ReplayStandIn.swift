import MusterBasics
import MusterFormat
import MusterEngine

/// `muster drill DRILL --replay RUN_ID`: every automated step does what it
/// did in that run (the same exit status, reply status and printed lines,
/// attempt after attempt), so a trainee faces the decisions the on-call
/// faced with nothing run for real: no command, no request, no pipeline.
public final class ReplayStandIn: StepStandIn {
    struct Recorded {
        var exit: Int32
        var status: Int?
        var seconds: Double
    }

    public let runID: String
    private var attempts: [String: [Recorded]] = [:]
    private var given: [String: Int] = [:]
    private let lines: (String) -> [String]

    /// `events`: RUN_ID's journal; `lines`: what a step printed in it
    /// (its lines of `output.log`, as masked there).
    public init(runID: String, events: [JournalEvent], lines: @escaping (String) -> [String]) {
        self.runID = runID
        self.lines = lines
        for e in events {
            guard let key = e.step else { continue }
            switch e.event {
            // A failed attempt; one that succeeded ends with its step.
            case .attemptFinished where e.interrupted != true:
                let failed = e.text != nil || (e.exit ?? 0) != 0 || e.timedOut == true || (e.status.map { !(200..<300).contains($0) } ?? false)
                guard failed else { continue }
                attempts[key, default: []].append(Recorded(exit: Int32(e.exit.map { $0 == 0 ? 1 : $0 } ?? 1), status: e.status, seconds: e.seconds ?? 0))
            case .stepFinished where e.attempt != nil:
                let ok = e.outcome == StepOutcome.done.rawValue
                attempts[key, default: []].append(Recorded(exit: ok ? 0 : Int32(e.exit.map { $0 == 0 ? 1 : $0 } ?? 1), status: e.status, seconds: e.seconds ?? 0))
            default:
                break
            }
        }
    }

    public func reply(_ key: String, _ step: Step) -> StandInReply {
        guard let list = attempts[key], !list.isEmpty else {
            return StandInReply(exit: 127, stdout: "", seconds: 0,
                                problem: "step \(key) never ran in run \(runID), so there is nothing to replay: skip it (s REASON) or mark it done by hand (d NOTE)")
        }
        // A trainee who retries more often than the on-call did meets the last result again.
        let n = given[key, default: 0]
        given[key] = n + 1
        let r = list[min(n, list.count - 1)]
        return StandInReply(exit: r.exit, stdout: lines(key).map { $0 + "\n" }.joined(), seconds: r.seconds, httpStatus: r.status)
    }

    public func start(_ key: String, _ step: Step) -> BackgroundCommand {
        let r = reply(key, step)
        let command = BackgroundCommand()
        for line in r.stdout.split(separator: "\n") { command.add(stderr: false, String(line)) }
        if let problem = r.problem { command.add(stderr: true, problem) }
        command.finish(.success(CommandResult(status: r.exit, timedOut: false, interrupted: false, seconds: r.seconds)))
        return command
    }

    /// Guards are not replayed: their checks reach nothing either.
    public func breached(_ keys: [String]) -> [(key: String, why: String)] { [] }
}

/// Runs nothing and succeeds: what a rollback command meets in a replay or
/// a runbook test, where nothing may run for real.
public final class InertRunner: CommandRunner {
    public init() {}
    public func run(script: String, environment: [String: String], timeout: Double, keepLeftovers: Bool,
                    onLine: (Bool, String) -> Void, onSignal: (Signal) -> Bool, onTick: () -> Void) throws(CommandError) -> CommandResult {
        CommandResult(status: 0, timedOut: false, interrupted: false, seconds: 0)
    }
}
