import MusterBasics
import MusterFormat

/// The `confirm: true` gate and what an approver signs: both show exactly
/// what will run, values resolved and secrets masked, never a blind yes.
package struct GateDesk {
    unowned let host: RunHost

    /// What an approver is shown, and signs the hash of: the step's
    /// commands as they will run, secrets masked.
    func approvalPreview(_ entry: FlatPlan.Entry, values: [String: String]) -> [String] {
        StepPreview.lines(entry.step, values: values, secrets: host.setup.secrets).map(host.masker.mask)
    }

    /// A step approved, then edited (a resume with `--force`), must not run
    /// on the old approval: the hash approvers signed is of the old command.
    func approvalOutdated(_ entry: FlatPlan.Entry, values: [String: String]) -> Bool {
        let state = host.state
        guard entry.step.automation?.approval != nil, (state.attempts[entry.key] ?? 0) == 0,
              let asked = state.approvalSHA[entry.key] else { return false }
        return asked != SignedStatement.digest(approvalPreview(entry, values: values).joined(separator: "\n"))
    }

    /// `--yes` passed the gate (the machine's `passGate`): journaled as automatic.
    func pass(_ entry: FlatPlan.Entry) throws(Stop) {
        if !host.state.started.contains(entry.key) { try host.record(.stepStarted(kind: entry.step.kind), step: entry.key) }
        try host.record(.gateAnswered(.run, auto: true), step: entry.key)
    }

    /// The `confirm: true` gate: what will run, then run, skip or abort.
    func gate(_ entry: FlatPlan.Entry, values: [String: String]) throws(Stop) {
        let key = entry.key, step = entry.step
        if !host.state.started.contains(key) { try host.record(.stepStarted(kind: step.kind), step: key) }
        host.console.show(.info("this step is marked confirm: true; it will run:"))
        if step.confirmWhole {
            // A group, parallel step or include: the steps it holds, by key.
            for e in host.machine.plan.entries where StepKey(e.key).isInside(StepKey(key)) {
                host.console.show(.info("  " + e.key + ": " + host.masker.mask(e.step.title.expand(values))))
            }
        }
        for line in StepPreview.lines(step, values: values, secrets: host.setup.secrets) { host.console.show(.command(host.masker.mask(line))) }
        switch try host.answer(.gate, step.confirmWhole ? "Run these steps?" : "Run this step as shown?", step: key, as: GateReply.self) {
        case .run:
            try host.record(.gateAnswered(.run), step: key)
        case .skip(let why):
            try host.record(.gateAnswered(.skip, reason: why), step: key)
            try host.record(.stepFinished(.init(.skipped, text: why)), step: key)
            host.console.show(.stepResult(.finished(.skipped), seconds: 0, detail: why))
        case .abort:
            throw .pause("operator aborted at the confirm gate of '\(key)'")
        }
    }
}
