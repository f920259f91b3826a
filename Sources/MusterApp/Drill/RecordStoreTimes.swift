import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterTerminal
import MusterStore

/// The store's clock in a drill record (StoreTimesCheck): written with the
/// record when the run was shared, checked by verify when the store is
/// reachable.
package enum RecordStoreTimes {
    /// Nil, with a warning, when the store cannot be read now: the record
    /// is written without them rather than held back.
    package static func collect(_ shared: SharedStore?, runID: String, lastSeq: Int) -> DrillRecord.StoreTimes? {
        guard let shared else { return nil }
        do {
            return StoreTimesCheck.times(received: try shared.log.receivedTimes(runID: runID), lastSeq: lastSeq)
        } catch {
            printError("muster: warning: the drill record is written without the store's times: \(error.message)")
            return nil
        }
    }

    /// The store's times of `runID`, or nil (said) when no store is set or
    /// it cannot be read.
    package static func received(_ shared: SharedStore?, runID: String) -> [Int: String]? {
        guard let shared else { return nil }
        do {
            return try shared.log.receivedTimes(runID: runID)
        } catch {
            printError("muster: warning: the store's times were not checked: \(error.message)")
            return nil
        }
    }
}
