import MusterBasics
import MusterFormat

/// The words of a `decide` question, shared with whoever answers it by
/// script (`muster test`'s operator knows the question by its hint).
public enum DecisionQuestion {
    public static let hintStart = "type an option's name or number"
    public static func hint(_ options: [String]) -> String {
        "\(hintStart) (\(options.joined(separator: ", "))) · e escalate · a abort (pause)"
    }
    public static let reasonHint = "one line: why this option (it goes into the journal, the record and the report)"
}

/// A `decide` step: the option, then why, journaled together as one
/// `decision` event, so a resume never holds an option without its reason.
/// A decision is a person's: under `--yes` the machine pauses the run
/// before this desk is reached (`RunMachine.Action.pause`).
package struct DecisionDesk {
    unowned let host: StepHost

    func decide(_ entry: FlatPlan.Entry) throws(Stop) -> String {
        guard case .decide(let d) = entry.step.body else { throw .fail("'\(entry.key)' is not a decision") }
        let key = entry.key
        let numbered = d.options.enumerated().map { "\($0.offset + 1) \($0.element)" }.joined(separator: " · ")
        let prompt = "Decide: \(numbered)"
        // A drill's default is taken when nobody decides in time (counted
        // from when this session asks).
        let fallback = host.setup.drill == nil ? nil : d.defaultOption.flatMap { o in d.defaultAfter.map { (o, $0, host.elapsed + Double($0)) } }
        var option: String?
        while option == nil {
            let line: String
            if let (o, after, deadline) = fallback {
                guard let l = try host.read(prompt, hint: DecisionQuestion.hint(d.options), within: deadline - host.elapsed) else {
                    let why = "nobody decided within \(DurationFormat.format(after)): the drill took its default"
                    // Not `auto`: that is --yes's mark, and nobody gave --yes.
                    try host.record(.decided(name: entry.step.id, option: o, reason: why, by: "muster (default_after)"), step: key)
                    host.console.show(.warning("decided: \(o) (\(why))"))
                    return o
                }
                line = l
            } else {
                line = try host.read(prompt, hint: DecisionQuestion.hint(d.options), secret: false)
            }
            // An option's own name wins over a verb: an option may be `abort`.
            if let o = d.option(for: line) {
                option = o
                continue
            }
            switch line.trimmingSpaces().lowercased() {
            case "e": try host.escalate(step: key)
            case "a": throw .pause("operator aborted at '\(key)'")
            default: try host.notUnderstood("not understood: answer one of \(d.options.joined(separator: ", ")) (or its number 1-\(d.options.count)), e to escalate or a to pause")
            }
        }
        var reason = ""
        while reason.isEmpty {
            reason = try host.read("Why \(option!)?", hint: DecisionQuestion.reasonHint, secret: false).trimmingSpaces()
            if reason.isEmpty { try host.notUnderstood("say in one line why \(option!): it is what the postmortem will ask") }
        }
        let why = host.masker.mask(reason)
        try host.record(.decided(name: entry.step.id, option: option, reason: why, by: host.setup.operatorName), step: key)
        host.console.show(.info("decided: \(option!) (\(why))"))
        host.notify("decided \(option!) at '\(key)': \(why)")
        return option!
    }
}
