import MusterBasics
import MusterFormat

/// A drill's part in an attempt: a scripted fault (the machine says when
/// one is due) replaces it, and a rehearsal walks through it with nothing run.
struct DrillAttempt {
    unowned let host: RunHost
    let drill: DrillSetup

    /// What stands in for the attempt; nil when the step runs for real.
    func instead(_ step: Step, key: String, values: [String: String]) throws(Stop) -> Attempt? {
        // A drill's scripted failure replaces the attempt, so a trainee
        // meets the error exactly as the real step would show it.
        if let fault = host.machine.faultDue(key, host.state, drill) {
            // Nothing on screen may give it away: first what the step
            // runs (the command, the request, the pipeline), as a real
            // attempt shows it, then the error as its output, and a run
            // step's failure reads as a real exit status.
            try host.record(.faultInjected(text: fault.fail), step: key)
            for line in preview(step, values).prefix(1) { host.console.show(.command(host.masker.mask(line))) }
            host.console.show(.output(stderr: true, line: host.masker.mask(fault.fail)))
            return Attempt(ok: false, status: 1, seconds: 0, tail: [host.masker.mask(fault.fail)],
                           problem: step.kind == .run ? "exited with status 1" : fault.fail)
        }
        return drill.rehearsal ? try rehearse(step, key: key, values: values) : nil
    }

    func preview(_ step: Step, _ values: [String: String]) -> [String] {
        StepPreview.lines(step, values: values, secrets: host.setup.secrets)
    }

    /// A rehearsal drill's step: shown as it would run and confirmed as if
    /// done. Nothing runs, nothing is rolled back.
    func rehearse(_ step: Step, key: String, values: [String: String]) throws(Stop) -> Attempt {
        for line in preview(step, values) { host.console.show(.command(host.masker.mask(line))) }
        if host.setup.yes {
            host.console.show(.info("rehearsed (--yes)"))
            return Attempt(ok: true, status: 0, seconds: 0, rehearsed: true)
        }
        switch try host.answer(.rehearsal, "Rehearsal: walk through this step as if you ran it, then confirm.", step: key, as: RehearsalReply.self) {
        case .rehearsed:
            return Attempt(ok: true, status: 0, seconds: 0, rehearsed: true)
        case .skip(let why):
            return Attempt(ok: true, status: 0, seconds: 0, skipped: why)
        case .abort:
            throw .pause("operator aborted at '\(key)'")
        }
    }
}
