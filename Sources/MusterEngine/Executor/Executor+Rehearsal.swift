import MusterBasics
import MusterFormat

/// Rehearsal drills: each automated step is shown as it would run and the
/// operator confirms it as if done. Nothing runs, nothing is rolled back.
extension Executor {
    func rehearse(_ step: Step, key: String, values: [String: String]) throws(Stop) -> Attempt {
        for line in rehearsalPreview(step, values: values) { console.show(.command(masker.mask(line))) }
        if setup.yes {
            console.show(.info("rehearsed (--yes)"))
            return Attempt(ok: true, status: 0, seconds: 0, rehearsed: true)
        }
        switch try answer(.rehearsal, "Rehearsal: walk through this step as if you ran it, then confirm.", step: key, as: RehearsalReply.self) {
        case .rehearsed:
            return Attempt(ok: true, status: 0, seconds: 0, rehearsed: true)
        case .skip(let why):
            return Attempt(ok: true, status: 0, seconds: 0, skipped: why)
        case .abort:
            throw .pause("operator aborted at '\(key)'")
        }
    }

    /// What the step would do, resolved as far as values exist: outputs of
    /// earlier rehearsed steps stay visible as `{{ name }}`. Its first line
    /// is what the step runs, which a drill's injected fault shows too.
    func rehearsalPreview(_ step: Step, values: [String: String]) -> [String] {
        func http(_ h: HTTPCheck) -> [String] {
            ["\(h.method) \(h.url.expandText(values, secrets: setup.secrets))"] + (h.status.map { ["expecting status \($0)"] } ?? [])
                + (h.bodyContains.map { ["expecting the body to contain \($0.expand(values))"] } ?? [])
        }
        switch step.body {
        case .run(let t):
            return [t.shellDisplay(values)]
        case .wait(let w):
            let probe: [String]
            switch w.probe {
            case .run(let t): probe = [t.shellDisplay(values)]
            case .http(let h): probe = http(h)
            }
            return probe + ["repeated every \(DurationFormat.format(w.every)) until " + (w.until.map { "it prints \($0.expand(values))" } ?? "it succeeds") + ", for up to \(DurationFormat.format(w.timeout))"]
        case .http(let h):
            return http(h)
        case .ci(let c):
            return ["trigger the \(c.provider.rawValue) pipeline at \(c.url.expandText(values, secrets: setup.secrets))"
                    + c.settings.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value.expand(values))" }.joined()
                    + (c.inputs.isEmpty ? "" : " with " + c.inputs.map { "\($0.name)=\($0.value.expand(values))" }.joined(separator: ", "))
                    + ", and follow it to the end"]
        default:
            return []
        }
    }
}
