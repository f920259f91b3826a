#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterTeam

/// The real time sources and settings the team protocol (MusterTeam) runs on.
enum TeamWiring {
    /// `MUSTER_STORE_LEASE` seconds (3 to 3600, default 45); the rest as MusterTeam sets them.
    static let settings: TeamSettings = {
        var s = TeamSettings()
        s.lease = TeamSettings.lease(fromEnvironment: ProcessInfo.processInfo.environment["MUSTER_STORE_LEASE"])
        return s
    }()

    static let wallTime: WallTime = { Date().timeIntervalSince1970 }

    static var clock: any Clock<Duration> { ContinuousClock() }
}

extension SharedStore {
    /// Leaves a request for the session executing `runID`, as this
    /// machine's AWS identity; returns its name.
    func submit(_ request: RequestBody, runID: String) throws -> String {
        let name = "\(utcStamp(compact: true))-\(osUser())-\(hostName())-\(UInt32.random(in: 0...UInt32.max)).json"
        do {
            try StoreInbox.submit(request, name: name, at: TeamWiring.wallTime(), store: client, identity: client, runID: runID)
        } catch {
            throw CommandFailure(message: error.message)
        }
        return name
    }
}
