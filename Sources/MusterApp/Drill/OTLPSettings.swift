/// What the OpenTelemetry environment asks of the trace export, read by the
/// OTLP exporter specification's variables so that a collector set up for
/// other tools works for Muster unchanged. Muster speaks OTLP/HTTP JSON
/// only: a variable it cannot honour is said in a warning rather than
/// ignored, since a trace that silently goes nowhere is found missing only
/// after the incident it should have described.
///
/// Header values are data (API keys): no message here ever quotes one.
package struct OTLPSettings {
    /// The collector's traces URL, or nil when the environment names none.
    package var endpoint: String?
    package var headers: [(name: String, value: String)] = []
    /// `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` or `OTEL_EXPORTER_OTLP_TIMEOUT`, in seconds.
    package var timeout: Double?
    /// The resource: `service.name`, `service.version` and what
    /// `OTEL_RESOURCE_ATTRIBUTES` adds, in order.
    package var resource: [(String, String)] = []
    /// Why nothing is to be exported by the environment's say
    /// (`OTEL_SDK_DISABLED`, `OTEL_TRACES_EXPORTER=none`).
    package var disabled: String?
    /// Why the environment's collector cannot be served (a protocol other
    /// than http/json): exported nowhere, and said.
    package var refused: String?
    /// What was set but not honoured, to be shown once.
    package var warnings: [String] = []

    package var serviceName: String { resource.first { $0.0 == "service.name" }?.1 ?? "muster" }

    package init(_ env: [String: String], version: String) {
        func value(_ name: String) -> String? { env[name].flatMap { $0.spacesTrimmed.isEmpty ? nil : $0.spacesTrimmed } }
        /// The signal-specific variable wins over the general one, as the spec says.
        func either(_ general: String) -> (name: String, value: String)? {
            let traces = general.replacing("OTEL_EXPORTER_OTLP_", with: "OTEL_EXPORTER_OTLP_TRACES_")
            if let v = value(traces) { return (traces, v) }
            return value(general).map { (general, $0) }
        }

        if let t = value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            endpoint = t
        } else if let base = value("OTEL_EXPORTER_OTLP_ENDPOINT") {
            endpoint = (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/v1/traces"
        }

        if let h = either("OTEL_EXPORTER_OTLP_HEADERS") {
            let (list, bad) = Self.headers(h.value)
            headers = list
            if bad > 0 { warnings.append("\(bad) \(bad == 1 ? "entry" : "entries") of \(h.name) not of the form key=value (percent-encoded) ignored") }
        }

        if let t = either("OTEL_EXPORTER_OTLP_TIMEOUT") {
            if let ms = Int(t.value), ms > 0, ms <= 3_600_000 {
                timeout = Double(ms) / 1000
            } else {
                warnings.append("\(t.name) must be a number of milliseconds from 1 to 3600000, not '\(t.value)'; ignored")
            }
        }

        if let p = either("OTEL_EXPORTER_OTLP_PROTOCOL"), p.value != "http/json" {
            refused = "\(p.name) is '\(p.value)', but Muster sends OTLP/HTTP JSON only (\(p.value == "grpc" ? "gRPC is not supported" : "no protobuf encoding")): set it to http/json and point the endpoint at the collector's OTLP/HTTP port (usually 4318)"
        }

        if let c = either("OTEL_EXPORTER_OTLP_COMPRESSION"), c.value != "none" {
            warnings.append("\(c.name) is '\(c.value)', but Muster sends traces uncompressed")
        }
        for name in ["CERTIFICATE", "CLIENT_KEY", "CLIENT_CERTIFICATE"] {
            if let c = either("OTEL_EXPORTER_OTLP_\(name)") {
                warnings.append("\(c.name) is not supported: Muster trusts the system's certificate authorities and presents no client certificate")
            }
        }

        if value("OTEL_SDK_DISABLED")?.lowercased() == "true" {
            disabled = "OTEL_SDK_DISABLED is true"
        } else if let e = value("OTEL_TRACES_EXPORTER") {
            let names = e.split(separator: ",").map { $0.spacesTrimmed.lowercased() }
            if names == ["none"] {
                disabled = "OTEL_TRACES_EXPORTER is none"
            } else if !names.contains("otlp") {
                disabled = "OTEL_TRACES_EXPORTER is '\(e)', and Muster exports with otlp only"
                warnings.append(disabled!)
            }
            let others = names.filter { $0 != "otlp" && $0 != "none" }
            if !others.isEmpty, disabled == nil { warnings.append("OTEL_TRACES_EXPORTER: Muster exports with otlp only; \(others.joined(separator: ", ")) ignored") }
        }

        resource = [("service.name", "muster"), ("service.version", version)]
        if let r = value("OTEL_RESOURCE_ATTRIBUTES") {
            if let pairs = Self.resourceAttributes(r) {
                for (k, v) in pairs {
                    if let i = resource.firstIndex(where: { $0.0 == k }) { resource[i].1 = v } else { resource.append((k, v)) }
                }
            } else {
                // The spec: on any error the whole value is discarded.
                warnings.append("OTEL_RESOURCE_ATTRIBUTES is not a list of key=value pairs with percent-encoded values; all of it ignored")
            }
        }
        if let s = value("OTEL_SERVICE_NAME") { resource[0].1 = s }
    }

    /// `key1=value1,key2=value2`, values percent-encoded; what could not be
    /// read is counted, never quoted (it may hold a key).
    package static func headers(_ text: String) -> (headers: [(name: String, value: String)], bad: Int) {
        var out: [(name: String, value: String)] = []
        var bad = 0
        for pair in text.split(separator: ",") where !pair.spacesTrimmed.isEmpty {
            guard let eq = pair.firstIndex(of: "=") else { bad += 1; continue }
            let name = pair[..<eq].spacesTrimmed
            guard !name.isEmpty, name.allSatisfy(\.isHeaderNameCharacter),
                  let decoded = percentDecoded(String(pair[pair.index(after: eq)...]).spacesTrimmed),
                  !decoded.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else { bad += 1; continue }
            out.append((name, decoded))
        }
        return (out, bad)
    }

    /// `OTEL_RESOURCE_ATTRIBUTES`, or nil when any entry is malformed.
    package static func resourceAttributes(_ text: String) -> [(String, String)]? {
        var out: [(String, String)] = []
        for pair in text.split(separator: ",") where !pair.spacesTrimmed.isEmpty {
            guard let eq = pair.firstIndex(of: "=") else { return nil }
            guard let key = percentDecoded(pair[..<eq].spacesTrimmed), !key.isEmpty,
                  let value = percentDecoded(String(pair[pair.index(after: eq)...]).spacesTrimmed) else { return nil }
            out.append((key, value))
        }
        return out
    }

    /// Strict: a `%` not followed by two hex digits, or bytes that are not
    /// UTF-8, make the whole value unreadable.
    package static func percentDecoded(_ s: String) -> String? {
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "%") {
                guard i + 2 < b.count,
                      let v = UInt8(String(decoding: b[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) else { return nil }
                out.append(v)
                i += 3
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    /// A URL as shown: without user info, which may hold a password.
    package static func shown(_ url: String) -> String {
        guard let scheme = url.firstRange(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<scheme.upperBound]) + String(rest[rest.index(after: at)...])
    }
}

extension Character {
    /// RFC 9110 token characters.
    fileprivate var isHeaderNameCharacter: Bool {
        isASCII && (isLetter || isNumber || "!#$%&'*+-.^_`|~".contains(self))
    }
}

extension StringProtocol {
    fileprivate var spacesTrimmed: String { String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()) }
}
