/// A step's key in a run, and the one place its grammar is written: a
/// top-level step is its `id`; a step inside a group, a parallel branch or
/// an included runbook is `parent/id`; an item of a `for_each` step is
/// `loop[item]`; a guard of a step is `step/guard`. Journals, answers in
/// runbook tests and `muster log --output` all name steps this way, so
/// building or reading a key anywhere else would let two readings drift
/// (a loop item's parent was once read as "none" by the trace alone).
public struct StepKey: Hashable, Sendable, CustomStringConvertible {
    public let raw: String

    public init(_ raw: String) { self.raw = raw }

    public var description: String { raw }

    /// `parent/id`, or `id` at the top.
    public static func child(of parent: String?, _ id: String) -> StepKey {
        StepKey(parent.map { $0 + "/" + id } ?? id)
    }

    /// `self/id`: a step (or guard) inside this one.
    public func child(_ id: String) -> StepKey { StepKey(raw + "/" + id) }

    /// `self[item]`: one item of this `for_each` step.
    public func item(_ item: String) -> StepKey { StepKey(raw + "[" + item + "]") }

    /// The loop and item of an item's key (`redeploy[api]`); nil for any other key.
    public var loopItem: (loop: StepKey, item: String)? {
        guard raw.hasSuffix("]"), let open = raw.lastIndex(of: "[") else { return nil }
        return (StepKey(String(raw[..<open])), String(raw[raw.index(after: open)..<raw.index(before: raw.endIndex)]))
    }

    /// The step this one ran in: `g` for `g/c`, `redeploy` for
    /// `redeploy[api]`; nil for a top-level step.
    public var parent: StepKey? {
        if let li = loopItem { return li.loop }
        return raw.lastIndex(of: "/").map { StepKey(String(raw[..<$0])) }
    }

    /// The last part of the key: the step's own id for `parent/id`.
    public var last: String {
        if let li = loopItem { return li.loop.last + "[" + li.item + "]" }
        return raw.lastIndex(of: "/").map { String(raw[raw.index(after: $0)...]) } ?? raw
    }

    /// Whether this step runs inside `container` (a group's step, a
    /// branch's, a loop's item, or deeper).
    public func isInside(_ container: StepKey) -> Bool {
        raw.hasPrefix(container.raw + "/") || raw.hasPrefix(container.raw + "[")
    }
}
