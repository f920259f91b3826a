/// Where a drill ran, so that practice is never taken for proof: `due`,
/// `history` and `report` count a runbook as drilled only by drills of the
/// environment its scheduled drill names, and show the others apart.
public enum DrillEnvironment: String, Sendable, CaseIterable, Comparable {
    case production, staging, sandbox, training

    /// Closest to production first: when a runbook's scheduled drills name
    /// several environments, the closest is the one that counts.
    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// The default when a drill does not say: `training` for a drill with
    /// faults or an escalation to score; `sandbox` when any value it runs
    /// with is an endpoint on this machine (a loopback address or
    /// `localhost`: the local stand-in cloud, never production); otherwise
    /// `production`. A drill that reaches production through a local
    /// tunnel declares `environment: production`.
    public static func implied(training: Bool, params: [String: String]) -> Self {
        if training { return .training }
        return params.values.contains(where: SandboxEndpoint.isLocal) ? .sandbox : .production
    }
}

/// Whether a value names an endpoint on this machine: `http://127.0.0.1:5000`,
/// `localhost:8010`, `[::1]`, `https://api.localhost/x`. Only the host part
/// is looked at, so a path or query that mentions localhost does not count.
public enum SandboxEndpoint {
    public static func isLocal(_ value: String) -> Bool {
        var rest = Substring(value)
        while rest.first == " " { rest = rest.dropFirst() }
        if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
        // Authority: up to the first '/', '?' or '#'; user info dropped.
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? authority
        let host: Substring
        if hostPort.hasPrefix("[") {
            host = hostPort.dropFirst().prefix { $0 != "]" }
        } else {
            host = hostPort.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? hostPort
        }
        let h = host.lowercased()
        if h == "localhost" || h.hasSuffix(".localhost") || h == "::1" || h == "0:0:0:0:0:0:0:1" { return true }
        let octets = h.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { !$0.isEmpty && $0.count <= 3 && UInt8($0) != nil }
    }
}
