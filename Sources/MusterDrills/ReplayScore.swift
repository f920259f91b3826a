import MusterBasics

/// How a replay drill went against the run it replays: the trainee met
/// the same replies, so their time, their outcome and the steps they
/// ended otherwise are what the exercise measures.
public struct ReplayScore: Codable, Sendable, Equatable {
    public var runID: String
    public var originalOutcome: String
    public var originalElapsedSeconds: Double
    public var originalHumanSeconds: Double?
    public var sameOutcome: Bool
    /// Steps the trainee ended otherwise than the on-call (done, skipped,
    /// failed), or that only one of the two reached.
    public var stepsDiffering: [String]

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", originalOutcome = "original_outcome", originalElapsedSeconds = "original_elapsed_seconds"
        case originalHumanSeconds = "original_human_seconds", sameOutcome = "same_outcome", stepsDiffering = "steps_differing"
    }

    public init(runID: String, trainee: DrillRecord, original: DrillRecord) {
        self.runID = runID
        originalOutcome = original.outcome.rawValue
        originalElapsedSeconds = original.elapsedSeconds
        originalHumanSeconds = original.humanSeconds
        sameOutcome = trainee.outcome == original.outcome
        let mine = Dictionary(trainee.steps.map { ($0.id, $0.outcome) }, uniquingKeysWith: { $1 })
        let theirs = Dictionary(original.steps.map { ($0.id, $0.outcome) }, uniquingKeysWith: { $1 })
        let keys = original.steps.map(\.id) + trainee.steps.map(\.id).filter { theirs[$0] == nil }
        stepsDiffering = keys.filter { mine[$0] != theirs[$0] }
    }

    var json: JSON {
        .object([
            ("run_id", .string(runID)),
            ("original_outcome", .string(originalOutcome)),
            ("original_elapsed_seconds", .double(DrillRecord.round(originalElapsedSeconds))),
            ("original_human_seconds", originalHumanSeconds.map { .double(DrillRecord.round($0)) } ?? .null),
            ("same_outcome", .bool(sameOutcome)),
            ("steps_differing", .array(stepsDiffering.map(JSON.string))),
        ])
    }
}
