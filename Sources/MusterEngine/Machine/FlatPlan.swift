import MusterBasics
import MusterFormat

/// The steps of a runbook and of the runbooks it includes, in the order
/// they run: an include step or a group, then its steps keyed
/// `parent/child`; the runbook's `finally` steps last. The one flattening
/// the machine, the executor's restore, the step count and a drill's step
/// facts all read.
public struct FlatPlan: Sendable {
    public struct Entry: Sendable {
        /// `id`, or `parent/child` inside an included runbook.
        public let key: String
        public let step: Step
        /// The runbook the step belongs to: its params, env and secrets.
        public let runbook: Runbook
        /// The include step or group this one runs inside; nil at the top.
        public let parent: String?
        /// The include step whose values this one's templates see (a
        /// group shares its runbook's); nil at the top.
        public let scope: String?
        /// One of the runbook's `finally` steps, or inside one.
        public let isFinally: Bool
        /// For an include step: its runbook, when it was loaded.
        public let child: Runbook?
        /// One item of a `for_each` step (key `id[item]`): the `as` name
        /// and the item, which its templates see.
        public var item: (name: String, value: String)? = nil
    }

    public let entries: [Entry]
    let position: [String: Int]
    /// The places of each entry's own steps (a group's, an include's, a
    /// `parallel` step's branches), by key: asking whether they are open
    /// looks at them, not at the whole plan.
    let childPlaces: [String: [Int]]
    /// The guards in force, by key (`id` for the runbook's own, `group/id`
    /// for a group's), with the group they watch (nil: the whole run).
    public let guards: [String: (guard: Guard, scope: String?)]

    public init(_ rb: Runbook, includes: [String: Runbook]) {
        var out: [Entry] = []
        func add(_ steps: [Step], of rb: Runbook, parent: String?, scope: String?, finally: Bool) {
            for step in steps {
                let key = StepKey.child(of: parent, step.id).raw
                var child: Runbook?
                if case .runbook(let spec) = step.body { child = includes[spec.runbook] }
                out.append(Entry(key: key, step: step, runbook: rb, parent: parent, scope: scope, isFinally: finally, child: child))
                if let child { add(child.steps, of: child, parent: key, scope: key, finally: finally) }
                add(step.children, of: rb, parent: key, scope: scope, finally: finally)
            }
        }
        add(rb.steps, of: rb, parent: nil, scope: nil, finally: false)
        add(rb.finally, of: rb, parent: nil, scope: nil, finally: true)
        entries = out
        var guards: [String: (guard: Guard, scope: String?)] = [:]
        for g in rb.guards { guards[g.id] = (g, nil) }
        for e in out where !e.step.guards.isEmpty && e.item == nil {
            for g in e.step.guards { guards[StepKey(e.key).child(g.id).raw] = (g, e.key) }
        }
        self.guards = guards
        var position: [String: Int] = [:]
        var childPlaces: [String: [Int]] = [:]
        for (i, e) in out.enumerated() {
            position[e.key] = i
            if let p = e.parent { childPlaces[p, default: []].append(i) }
        }
        self.position = position
        self.childPlaces = childPlaces
    }

    /// The steps inside `key` (not their own steps), in the plan's order.
    public func children(of key: String) -> some Sequence<Entry> {
        (childPlaces[key] ?? []).lazy.map { entries[$0] }
    }

    /// A step of the plan, or one item of a `for_each` step (`id[item]`),
    /// which is the step itself with the item bound.
    public subscript(key: String) -> Entry? {
        if let i = position[key] { return entries[i] }
        guard case let (loopKey, value)? = StepKey(key).loopItem, let i = position[loopKey.raw],
              let each = entries[i].step.forEach else { return nil }
        guard ForEach.isItem(value) else { return nil }
        let loop = entries[i]
        var step = loop.step
        step.forEach = nil
        step.when = nil
        var entry = Entry(key: key, step: step, runbook: loop.runbook, parent: loop.key, scope: loop.scope, isFinally: loop.isFinally, child: nil)
        entry.item = (each.name, value)
        return entry
    }

    /// The keys of a `for_each` step's items, once its start fixed them.
    public func itemKeys(_ key: String, _ loopItems: [String: [String]]) -> [String] {
        (loopItems[key] ?? []).map { StepKey(key).item($0).raw }
    }

    /// The plan with each begun `for_each` step followed by its items: what
    /// the machine walks and a rollback undoes.
    public func expanded(_ loopItems: [String: [String]]) -> [Entry] {
        guard !loopItems.isEmpty else { return entries }
        var out: [Entry] = []
        for e in entries {
            out.append(e)
            for k in itemKeys(e.key, loopItems) { if let item = self[k] { out.append(item) } }
        }
        return out
    }

    /// `expanded`'s entries from place `start` of `entries` on, made one at
    /// a time as they are read: the machine reads only as far as the first
    /// steps that may act, past the finished ones it skips (`RunState.settled`).
    public func walk(from start: Int, _ loopItems: [String: [String]]) -> Walk {
        Walk(plan: self, place: start, loopItems: loopItems)
    }

    public struct Walk: Sequence, IteratorProtocol {
        let plan: FlatPlan
        var place: Int
        let loopItems: [String: [String]]
        /// The items still to come of the `for_each` step just read.
        var items: ArraySlice<String> = []
        var loop: String = ""

        public mutating func next() -> Entry? {
            while let item = items.popFirst() {
                if let entry = plan[StepKey(loop).item(item).raw] { return entry }
            }
            guard place < plan.entries.count else { return nil }
            let entry = plan.entries[place]
            place += 1
            if !loopItems.isEmpty, let keys = loopItems[entry.key] {
                loop = entry.key
                items = keys[...]
            }
            return entry
        }
    }

    /// Whether `key` sits inside a group or include that has finished (a
    /// skipped group): nothing of it runs.
    public func underFinished(_ key: String, _ finished: [String: StepOutcome]) -> Bool {
        var parent = self[key]?.parent
        while let p = parent {
            if finished[p] != nil { return true }
            parent = self[p]?.parent
        }
        return false
    }

    /// 0-based place in the plan: the step counter shows it plus one.
    public func index(of key: String) -> Int? {
        position[key] ?? self[key]?.parent.flatMap { position[$0] }
    }
}
