import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// A run's events in the store, one object per event,
/// `PREFIX/runs/RUN_ID/events/<seq, 12 digits>.json`, each put only if the
/// key is free: two machines can never both write event N, and the one
/// that loses learns what the winner wrote. The same layout as
/// MusterStore's `EventLog`, on the store port.
public struct StoreEvents: Sendable {
    public let store: any StoreClient

    public init(store: any StoreClient) { self.store = store }

    public enum Append: Sendable, Equatable {
        case written
        /// Another writer's event N was there first; these are its bytes.
        case lost([UInt8])
    }

    public static let maxSeq = 999_999_999_999

    /// Writes event `seq` unless one is there; the same bytes there are this
    /// writer's own (an answer lost before), so asking again is safe.
    public func append(runID: String, seq: Int, bytes: [UInt8]) throws(StoreFailure) -> Append {
        switch try store.putIfAbsent(try eventKey(runID: runID, seq: seq), bytes) {
        case .written: .written
        case .taken(let other): other == bytes ? .written : .lost(other)
        }
    }

    /// The events of `runID` after `after` (all with -1), in order.
    public func events(runID: String, after: Int = -1) throws(StoreFailure) -> [(seq: Int, bytes: [UInt8])] {
        let prefix = try eventsPrefix(runID)
        let startAfter = after >= 0 ? try eventKey(runID: runID, seq: after) : nil
        var out: [(seq: Int, bytes: [UInt8])] = []
        for key in try store.list(prefix: prefix, startAfter: startAfter) {
            guard let seq = Self.seq(key, prefix: prefix), seq > after else { continue }
            // A key listed and then gone was deleted by hand: skipped, not fatal.
            if let bytes = try store.get(key) { out.append((seq, bytes)) }
        }
        return out
    }

    /// The seq of the last event of `runID` in the store, nil when it has none.
    public func lastSeq(runID: String) throws(StoreFailure) -> Int? {
        let prefix = try eventsPrefix(runID)
        return try store.list(prefix: prefix).compactMap { Self.seq($0, prefix: prefix) }.max()
    }

    public func eventKey(runID: String, seq: Int) throws(StoreFailure) -> String {
        guard (0...Self.maxSeq).contains(seq) else {
            throw StoreFailure(.failed, "event number \(seq) is outside 0…\(Self.maxSeq)")
        }
        let digits = String(seq)
        return try eventsPrefix(runID) + String(repeating: "0", count: max(0, 12 - digits.count)) + digits + ".json"
    }

    private static func seq(_ key: String, prefix: String) -> Int? {
        let name = key.dropFirst(prefix.count)
        return key.hasPrefix(prefix) && name.count == 17 && name.hasSuffix(".json") ? Int(name.prefix(12)) : nil
    }

    private func eventsPrefix(_ runID: String) throws(StoreFailure) -> String {
        let ok = !runID.isEmpty && runID.count <= 200 && runID != "." && runID != ".."
            && runID.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7f && $0 != "/" }
        guard ok else { throw StoreFailure(.failed, "the run id \(Self.quote(runID)) cannot name a folder in the store") }
        return store.key("runs/\(runID)/events/")
    }

    /// As the store's messages quote a key: control characters as `?`.
    static func quote(_ text: String) -> String {
        "`" + String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "?" : Character($0) }) + "`"
    }

    /// The event in an object of the store, which must be one journal line
    /// (newline included) with the sequence number of its key: anything
    /// else would damage the local journal it is appended to.
    public func event(_ bytes: [UInt8], seq: Int, runID: String) throws(StoreFailure) -> JournalEvent {
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        guard bytes.last == UInt8(ascii: "\n"), lines.count == 2,
              let e = try? FileJournal.parse(bytes, path: "").events.first, e.seq == seq else {
            let key = (try? eventKey(runID: runID, seq: seq)) ?? "event \(seq)"
            throw StoreFailure(.failed, "the shared store \(store.url) holds \(key), which is not event \(seq) of run \(runID) as Muster writes it (one journal line); it was written by something else or damaged. Nothing was taken from it")
        }
        return e
    }
}
