/// The chain of steps that set a recovery's length. A recovery that runs
/// branches at the same time takes as long as its longest chain of steps
/// that waited on each other, not as long as all its steps added up: that
/// chain is what to shorten to meet the RTO, and the difference is what
/// running in parallel saved.
///
/// The plan is given flat, as records and plans list it: each step's key,
/// the key of the group, `parallel` step, included runbook or `for_each`
/// step it ran in, and its seconds. Steps inside a container run one after
/// another unless the container is `concurrent` (a `parallel` step, a loop
/// running items at once), whose length is then its longest child's. A
/// skipped step takes no time and is on no path. Pure: no recursion (a key
/// nested ten thousand deep must not exhaust the stack), linear in steps.
public enum CriticalPath {
    public struct Node: Sendable, Equatable {
        public var key: String
        public var parent: String?
        public var seconds: Double
        public var skipped: Bool

        public init(key: String, parent: String?, seconds: Double, skipped: Bool = false) {
            self.key = key; self.parent = parent; self.seconds = seconds; self.skipped = skipped
        }
    }

    public struct Result: Sendable, Equatable {
        /// Keys of the steps on the critical path, in the order they ran;
        /// containers are never on it, their steps are.
        public var path: [String]
        /// The critical path's length.
        public var seconds: Double
        /// Every step that is not a container, added up: the run with
        /// nothing in parallel.
        public var serialSeconds: Double
    }

    public static func measure(_ nodes: [Node], concurrent: Set<String>) -> Result {
        var index: [String: Int] = [:]
        for (i, n) in nodes.enumerated() where index[n.key] == nil { index[n.key] = i }
        // Children in the order given; a node whose parent is not listed
        // (or is itself) stands at the top.
        var children = [[Int]](repeating: [], count: nodes.count)
        var top: [Int] = []
        for (i, n) in nodes.enumerated() where index[n.key] == i {
            if let p = n.parent, p != n.key, let pi = index[p], pi != i {
                children[pi].append(i)
            } else {
                top.append(i)
            }
        }
        // A parent's key is a prefix of its children's (`g/c`, `loop[x]`):
        // longest keys first finishes every child before its parent. A
        // parent that is not a prefix (hand-made input) is finished in a
        // second pass below, never looped on.
        var seconds = [Double](repeating: 0, count: nodes.count)
        var path = [[String]](repeating: [], count: nodes.count)
        var done = [Bool](repeating: false, count: nodes.count)
        func finish(_ i: Int) {
            let kids = children[i].filter { done[$0] }
            if kids.isEmpty {
                let n = nodes[i]
                seconds[i] = n.skipped || !n.seconds.isFinite ? 0 : max(0, n.seconds)
                path[i] = n.skipped ? [] : [n.key]
            } else if concurrent.contains(nodes[i].key) {
                var best = kids[0]
                for k in kids.dropFirst() where seconds[k] > seconds[best] { best = k }
                seconds[i] = seconds[best]
                path[i] = path[best]
            } else {
                seconds[i] = kids.reduce(0) { $0 + seconds[$1] }
                path[i] = kids.flatMap { path[$0] }
            }
            done[i] = true
        }
        let order = index.values.sorted { (nodes[$0].key.utf8.count, $1) > (nodes[$1].key.utf8.count, $0) }
        for i in order where children[i].allSatisfy({ done[$0] }) { finish(i) }
        for i in order where !done[i] { finish(i) }
        var serial = 0.0
        for i in index.values where children[i].isEmpty && !nodes[i].skipped && nodes[i].seconds.isFinite {
            serial += max(0, nodes[i].seconds)
        }
        return Result(path: top.flatMap { path[$0] }, seconds: top.reduce(0) { $0 + seconds[$1] }, serialSeconds: serial)
    }

    /// The containers whose children ran at the same time: two of them
    /// overlapped on the run's clock. Read from what happened rather than
    /// from the runbook, so a `parallel` step with `max: 1` counts as the
    /// sequence it was, and a record is checked from its journal alone.
    public static func overlapping(_ nodes: [Node], times: [String: (start: Double, end: Double)]) -> Set<String> {
        var spans: [String: [(start: Double, end: Double)]] = [:]
        for n in nodes {
            guard let p = n.parent, p != n.key, let t = times[n.key] else { continue }
            spans[p, default: []].append(t)
        }
        var out = Set<String>()
        for (parent, list) in spans where list.count > 1 {
            var latestEnd = -Double.infinity
            for s in list.sorted(by: { ($0.start, $0.end) < ($1.start, $1.end) }) {
                if s.start < latestEnd { out.insert(parent); break }
                latestEnd = max(latestEnd, s.end)
            }
        }
        return out
    }
}

extension CriticalPath {
    /// `a → rebuild/database/restore → c`, the middle left out past
    /// `limit` keys: a summary line, not the record.
    public static func describe(_ keys: [String], limit: Int = 8) -> String {
        guard keys.count > limit else { return keys.joined(separator: " → ") }
        let head = keys.prefix(limit - 2), tail = keys.suffix(2)
        return (head + ["… \(keys.count - limit) more …"] + tail).joined(separator: " → ")
    }

    /// The steps added up less the elapsed time; nil unless it is at least
    /// the tenth of a second records keep.
    public static func saved(serial: Double?, elapsed: Double) -> Double? {
        guard let serial, serial - elapsed >= 0.05 else { return nil }
        return serial - elapsed
    }
}

extension DrillRecord {
    /// The critical path's length: its steps' seconds as written, added
    /// up (the steps on it ran one after another). Nil without one.
    public var criticalPathSeconds: Double? {
        guard let path = criticalPath else { return nil }
        var seconds: [String: Double] = [:]
        for s in steps where seconds[s.id] == nil { seconds[s.id] = s.seconds }
        return path.reduce(0) { $0 + Self.round(seconds[$1] ?? 0) }
    }

    /// What running branches at the same time saved: the steps added up
    /// less the elapsed time, when that is more than nothing.
    /// From the values as written, so the summary says what `report` will.
    public var parallelSavedSeconds: Double? { CriticalPath.saved(serial: serialSeconds.map(Self.round), elapsed: Self.round(elapsedSeconds)) }

    /// Whether anything ran beside the critical path: only then is naming
    /// it news (a straight runbook's path is every step).
    public var hasBranches: Bool {
        guard let path = criticalPath else { return false }
        let parents = Set(steps.compactMap(\.parent))
        let leaves = steps.filter { !parents.contains($0.id) && $0.outcome != "skipped" }.map(\.id)
        return Set(leaves) != Set(path)
    }
}
