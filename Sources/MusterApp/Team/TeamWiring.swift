#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterTeam

/// The real time sources and settings the team protocol (MusterTeam) runs on.
package enum TeamWiring {
    /// `MUSTER_STORE_LEASE` seconds (3 to 3600, default 45) and
    /// `MUSTER_STORE_RETRY` seconds (0 to 3600, default 15); the rest as
    /// MusterTeam sets them. The retry is settable so that a test of a
    /// store coming back need not wait out 15 s, and so that an operator
    /// on a flaky link can try more or less often.
    package static let settings: TeamSettings = {
        let environment = ProcessInfo.processInfo.environment
        var s = TeamSettings()
        s.lease = TeamSettings.lease(fromEnvironment: environment["MUSTER_STORE_LEASE"])
        if let retry = environment["MUSTER_STORE_RETRY"].flatMap(Double.init), retry.isFinite {
            s.retryEvery = .milliseconds(Int64(min(max(retry, 0), 3600) * 1000))
        }
        return s
    }()

    /// What is wrong with the store's timing knobs, said before anything
    /// runs: a value that is not a number of seconds in range is refused,
    /// never clamped or ignored without a word.
    package static func problem(in environment: [String: String]) -> String? {
        for (name, range, fallback) in [("MUSTER_STORE_LEASE", 3.0...3600.0, 45), ("MUSTER_STORE_RETRY", 0.0...3600.0, 15)] {
            guard let given = environment[name] else { continue }
            if let v = Double(given.trimmingSpaces()), v.isFinite, range.contains(v) { continue }
            return "\(name) is '\(given)', which is not a number of seconds from \(Int(range.lowerBound)) to \(Int(range.upperBound)); set one, or unset it for the default (\(fallback))"
        }
        return nil
    }

    package static let wallTime: WallTime = { Date().timeIntervalSince1970 }

    package static var clock: any Clock<Duration> { ContinuousClock() }
}

extension SharedStore {
    /// Leaves a request for the session executing `runID`, as this
    /// machine's AWS identity; returns its name.
    package func submit(_ request: RequestBody, runID: String) throws -> String {
        let name = "\(utcStamp(compact: true))-\(osUser())-\(hostName())-\(UInt32.random(in: 0...UInt32.max)).json"
        do {
            try StoreInbox.submit(request, name: name, at: TeamWiring.wallTime(), store: client, identity: client, runID: runID)
        } catch {
            throw CommandFailure(message: error.message)
        }
        return name
    }
}
