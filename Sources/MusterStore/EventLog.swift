#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A run's events in the store, one object per event:
/// `PREFIX/runs/RUN_ID/events/<seq, 12 digits>.json`, each written with
/// `If-None-Match: *`. Two machines can never both write event N: the one
/// that loses learns it (`.lost`, with what the winner wrote) and must
/// re-read and re-decide. Bytes in, bytes out: what an event holds is the
/// caller's business.
public struct EventLog {
    public let store: S3Store

    public init(store: S3Store) { self.store = store }

    public enum Append: Sendable, Equatable {
        case written
        /// Another writer's event N was there first; these are its bytes.
        case lost([UInt8])
    }

    public static let maxSeq = 999_999_999_999

    /// Writes event `seq` of `runID` unless one is there already. A put
    /// asked again after a lost answer finds its own bytes there: that is
    /// `.written` too, so retrying is safe, and a put whose answer was lost
    /// is settled by reading the key back (S3Store.putIfAbsent). An error
    /// with `outcomeUnknown` means the event may be in the store: the
    /// caller keeps it as written locally, and a later append of the same
    /// bytes settles it.
    public func append(runID: String, seq: Int, bytes: [UInt8]) throws(StoreError) -> Append {
        let key = try eventKey(runID: runID, seq: seq)
        return try store.operation { () throws(StoreError) -> Append in try put(key, runID: runID, seq: seq, bytes: bytes) }
    }

    private func put(_ key: String, runID: String, seq: Int, bytes: [UInt8]) throws(StoreError) -> Append {
        var conflicts = 0
        while true {
            switch try store.putIfAbsent(key, bytes, contentType: "application/json") {
            case .created: return .written
            case .conflict:
                // Another put of this key is in flight: once it ends, the
                // next try answers 412 (or succeeds if it failed).
                conflicts += 1
                guard conflicts <= 20 else {
                    throw StoreError(.failed, "event \(seq) of run \(runID) stayed in conflict (409) after \(conflicts) tries on bucket \(store.path.bucket)", code: "ConditionalRequestConflict")
                }
                usleep(UInt32(min(50_000 * conflicts, 500_000)))
            case .alreadyExists:
                // S3 is strongly consistent: a key that exists can be read.
                guard let existing = try store.get(key) else {
                    throw StoreError(.failed, "event \(seq) of run \(runID) exists on bucket \(store.path.bucket) but could not be read back")
                }
                return existing == bytes ? .written : .lost(existing)
            }
        }
    }

    /// The events of `runID` after `after` (all with -1), in order.
    public func events(runID: String, after: Int = -1) throws(StoreError) -> [(seq: Int, bytes: [UInt8])] {
        let prefix = try eventsPrefix(runID)
        let startAfter = after >= 0 ? try eventKey(runID: runID, seq: after) : nil
        var out: [(seq: Int, bytes: [UInt8])] = []
        for key in try store.list(prefix: prefix, startAfter: startAfter).keys {
            let name = key.dropFirst(prefix.count)
            guard name.count == 17, name.hasSuffix(".json"), let seq = Int(name.prefix(12)), seq > after else { continue }
            // A key listed and then gone was deleted by hand: skipped, not fatal.
            if let bytes = try store.get(key) { out.append((seq, bytes)) }
        }
        return out
    }

    /// The seq of the last event of `runID` in the store (one list, no
    /// reads), nil when it has none.
    public func lastSeq(runID: String) throws(StoreError) -> Int? {
        let prefix = try eventsPrefix(runID)
        return try store.list(prefix: prefix).keys.compactMap { key -> Int? in
            let name = key.dropFirst(prefix.count)
            return name.count == 17 && name.hasSuffix(".json") ? Int(name.prefix(12)) : nil
        }.max()
    }

    /// When the store received each event of `runID` (its `LastModified`,
    /// by seq; one listing, no reads): the one clock of a shared run that
    /// no operator sets.
    public func receivedTimes(runID: String) throws(StoreError) -> [Int: String] {
        let prefix = try eventsPrefix(runID)
        let page = try store.list(prefix: prefix)
        var out: [Int: String] = [:]
        for (key, modified) in zip(page.keys, page.lastModified) where !modified.isEmpty {
            let name = key.dropFirst(prefix.count)
            if name.count == 17, name.hasSuffix(".json"), let seq = Int(name.prefix(12)) { out[seq] = modified }
        }
        return out
    }

    /// The run ids with anything in the store, in key order.
    public func runs() throws(StoreError) -> [String] {
        let prefix = store.path.key("runs/")
        return try store.list(prefix: prefix, delimiter: "/").commonPrefixes.compactMap { p in
            let id = p.dropFirst(prefix.count).dropLast()
            return p.hasSuffix("/") && !id.isEmpty ? String(id) : nil
        }
    }

    public func eventKey(runID: String, seq: Int) throws(StoreError) -> String {
        guard (0...Self.maxSeq).contains(seq) else {
            throw StoreError(.configuration, "event number \(seq) is outside 0…\(Self.maxSeq)")
        }
        return try eventsPrefix(runID) + String(seq).leftPadded(12) + ".json"
    }

    private func eventsPrefix(_ runID: String) throws(StoreError) -> String {
        let ok = !runID.isEmpty && runID.count <= 200 && runID != "." && runID != ".."
            && runID.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7f && $0 != "/" }
        guard ok else { throw StoreError(.configuration, "the run id \(StorePath.quote(runID)) cannot name a folder in the store") }
        return store.path.key("runs/\(runID)/events/")
    }
}
