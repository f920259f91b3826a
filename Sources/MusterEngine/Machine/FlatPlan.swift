import MusterBasics
import MusterFormat

/// The steps of a runbook and of the runbooks it includes, in the order
/// they run: an include step, then its runbook's steps keyed
/// `parent/child`. The one flattening the machine, the executor's restore,
/// the step count and a drill's step facts all read.
public struct FlatPlan: Sendable {
    public struct Entry: Sendable {
        /// `id`, or `parent/child` inside an included runbook.
        public let key: String
        public let step: Step
        /// The runbook the step belongs to: its params, env and secrets.
        public let runbook: Runbook
        /// The include step this one runs inside; nil at the top.
        public let parent: String?
        /// For an include step: its runbook, when it was loaded.
        public let child: Runbook?
    }

    public let entries: [Entry]
    let position: [String: Int]

    public init(_ rb: Runbook, includes: [String: Runbook]) {
        var out: [Entry] = []
        func add(_ rb: Runbook, parent: String?) {
            for step in rb.steps {
                let key = (parent.map { $0 + "/" } ?? "") + step.id
                var child: Runbook?
                if case .runbook(let spec) = step.body { child = includes[spec.runbook] }
                out.append(Entry(key: key, step: step, runbook: rb, parent: parent, child: child))
                if let child { add(child, parent: key) }
            }
        }
        add(rb, parent: nil)
        entries = out
        var position: [String: Int] = [:]
        for (i, e) in out.enumerated() { position[e.key] = i }
        self.position = position
    }

    public subscript(key: String) -> Entry? { position[key].map { entries[$0] } }

    /// 0-based place in the plan: the step counter shows it plus one.
    public func index(of key: String) -> Int? { position[key] }
}
