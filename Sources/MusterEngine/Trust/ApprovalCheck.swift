import MusterBasics
import MusterFormat

/// The two-person rule's one check of a signed approval or denial, used
/// where a request is taken in (the session) and where a journal is folded
/// (`JournalTrust`), so the rule cannot say one thing live and another on
/// resume.
public struct ApprovalCheck: Sendable {
    public var runID: String
    public var step: String
    /// SHA-256 of the request asked now.
    public var requestSHA: String?
    /// The key the operating session signed with.
    public var operatorKey: String?
    public var rule: Approval
    /// Keys whose approval of this request counts already.
    public var approvedKeys: [String]

    public init(runID: String, step: String, requestSHA: String?, operatorKey: String?, rule: Approval, approvedKeys: [String]) {
        self.runID = runID
        self.step = step
        self.requestSHA = requestSHA
        self.operatorKey = operatorKey
        self.rule = rule
        self.approvedKeys = approvedKeys
    }

    /// The signer of `signed`, a `decision` on this step, or why not.
    public func check(_ signed: Signed?, decision: SignedStatement.Decision, checker: SignatureChecker?) -> Result<Signer, SignatureRefusal> {
        guard let signed else { return .failure(.init("it is not signed: an approval counts only with its approver's SSH signature (docs/team-runs.md)")) }
        guard let statement = SignedStatement.parse(signed.statement) else { return .failure(.init("its statement is not one muster signs")) }
        guard let checker else { return .failure(.init("there is no allowed_signers file to check its signature against")) }
        let signer: Signer
        switch checker.check(signed) {
        case .failure(let why): return .failure(why)
        case .success(let s): signer = s
        }
        if statement.runID != runID || statement.step != step { return .failure(.init("it was signed for another run or step (run \(statement.runID), step '\(statement.step)')")) }
        if statement.decision != decision { return .failure(.init("it was signed as '\(statement.decision.rawValue)', not '\(decision.rawValue)'")) }
        if statement.sha256 != requestSHA { return .failure(.init("it \(decision == .deny ? "denies" : "approves") another command than the one waiting (the step changed since it was shown)")) }
        if let op = operatorKey, signer.key == op {
            return .failure(.init("it is signed with the operator's own key (\(signer.name)), and the two-person rule needs someone else: ask \(rule.from.isEmpty ? "a colleague" : rule.from.filter { !signer.principals.contains($0) }.joined(separator: " or ")) to run `muster approve`"))
        }
        if !rule.from.isEmpty, !signer.principals.contains(where: rule.from.contains) {
            return .failure(.init("\(signer.name) is not among those who may approve this step (\(rule.from.joined(separator: ", ")))"))
        }
        if decision == .approve, approvedKeys.contains(signer.key) {
            return .failure(.init("\(signer.name)'s key has approved this step already: one key is one person, and it needs \(rule.count) different people"))
        }
        return .success(signer)
    }
}
