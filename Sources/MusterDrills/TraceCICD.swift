import MusterBasics
import MusterEngine

extension Trace {
    /// The OpenTelemetry CI/CD semantic conventions on a `ci` step's span,
    /// from what the journal keeps of its pipeline, so that a trace backend
    /// can join Muster's step to the pipeline's own telemetry: the run's id
    /// from the journaled reference (a queue item or a dispatch not yet
    /// matched to its run has none), the pipeline's name from the
    /// provider's description (`run 9001 of deploy.yml on main`), the run's
    /// page from the last URL the step showed.
    enum CICD {
        static let kinds: Set<String> = ["run", "pipeline", "build", "build_request"]

        static func started(_ attributes: inout [(String, JSON)], _ e: JournalEvent, mask: (String) -> String) {
            guard let ref = e.pipeline, kinds.contains(ref.kind), let id = ref.fields.first(where: { $0.name == "id" })?.value else { return }
            set(&attributes, "cicd.pipeline.run.id", String(id))
            set(&attributes, "muster.ci.provider", ref.provider.rawValue)
            if let name = name(in: e.text ?? "") { set(&attributes, "cicd.pipeline.name", mask(name)) }
            if let url = lastURL(in: [e.text ?? ""]) { set(&attributes, "cicd.pipeline.run.url.full", mask(url)) }
        }

        static func finished(_ attributes: inout [(String, JSON)], _ e: JournalEvent, mask: (String) -> String) {
            guard attributes.contains(where: { $0.0 == "cicd.pipeline.run.id" }) else { return }
            if let url = lastURL(in: (e.tail ?? []) + [e.text ?? ""]) { set(&attributes, "cicd.pipeline.run.url.full", mask(url)) }
            let result: String
            switch e.outcome {
            case "done": result = "success"
            case "skipped": result = "skipped"
            default:
                // A failed step's end says no more than its last attempt did.
                if e.event == .stepFinished, e.timedOut != true, attributes.contains(where: { $0.0 == "cicd.pipeline.result" }) { return }
                result = e.timedOut == true ? "timeout" : "failure"
            }
            set(&attributes, "cicd.pipeline.result", result)
        }

        static func set(_ attributes: inout [(String, JSON)], _ key: String, _ value: String) {
            if let i = attributes.firstIndex(where: { $0.0 == key }) { attributes[i].1 = .string(value) } else { attributes.append((key, .string(value))) }
        }

        /// `… of NAME on REF`, `… of NAME: URL`, `… of NAME`.
        static func name(in text: String) -> String? {
            guard let of = text.firstRange(of: " of ") else { return nil }
            var rest = text[of.upperBound...]
            if let end = rest.firstRange(of: " on ") ?? rest.firstRange(of: ": ") { rest = rest[..<end.lowerBound] }
            let name = String(rest)
            return name.isEmpty || name.contains(" ") ? nil : name
        }

        static func lastURL(in texts: [String]) -> String? {
            for text in texts.reversed() {
                let words = text.split(whereSeparator: { $0 == " " || $0 == "(" || $0 == ")" })
                if let w = words.last(where: { $0.hasPrefix("http://") || $0.hasPrefix("https://") }) {
                    return String(w.hasSuffix(".") || w.hasSuffix(",") ? w.dropLast() : w)
                }
            }
            return nil
        }
    }
}
