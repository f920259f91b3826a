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

/// The events a session opens with, from what it was set up with: signed
/// with the session's key where it has one, so the two-person rule
/// compares keys, never names.
extension RunSetup {
    var proof: JournalEvent.Proof {
        guard let s = session else { return JournalEvent.Proof() }
        return JournalEvent.Proof(statement: s.signed.statement, signature: s.signed.signature, key: s.key)
    }

    /// `handoff`: this session takes the run over (`muster takeover`).
    func takeover(_ h: (reason: String?, request: String?)) -> JournalEvent.Payload {
        .handoff(JournalEvent.Handoff(request: h.request, by: osUser, name: operatorName, osUser: osUser.isEmpty ? nil : osUser, identity: identity,
                                      reason: h.reason, proof: proof))
    }

    var resumed: JournalEvent.Payload {
        let text = ResumePolicy.resumedText(by: operatorName, host: host, forcedOverChange: resumedOverChange) + (identity.map { " (as \($0))" } ?? "")
        // This session answers checklists and gates by itself: a drill's record says unattended.
        return .runResumed(text: text, auto: yes, proof: proof)
    }

    /// `run_started` at `at`: the run's facts, journaled once (the journal masks its parameters).
    func started(at: String) -> JournalEvent.Payload {
        var run = JournalEvent.RunInfo(runID: runID, runbook: runbook.name, runbookPath: runbookPath, runbookHash: runbookHash, operatorName: operatorName,
                                       host: host, params: params, yes: yes, startedAt: at,
                                       includedHashes: includedHashes.isEmpty ? nil : includedHashes, drill: drill,
                                       runbookCommit: runbookCommit, runbookDirty: runbookDirty, runbookRev: runbookRev,
                                       includedCommits: includedCommits.isEmpty ? nil : includedCommits)
        run.osUser = osUser.isEmpty ? nil : osUser
        run.identity = identity
        if !startedBeside.isEmpty { run.startedBeside = startedBeside }
        if !preflightFailed.isEmpty { run.preflightFailed = preflightFailed }
        return .runStarted(run, proof: proof)
    }
}
