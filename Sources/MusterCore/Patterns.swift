import Synchronization

/// Compiled regular expressions, shared across files: runbooks repeat the
/// same few patterns, and compiling one costs far more than matching it.
enum Patterns {
    /// A compiled regex is immutable once built (its lazily lowered program
    /// is published atomically by the regex engine), so sharing it is safe.
    final class Compiled: @unchecked Sendable {
        let regex: Regex<AnyRegexOutput>
        init(_ regex: Regex<AnyRegexOutput>) { self.regex = regex }
    }

    struct PatternError: Error, CustomStringConvertible {
        var description: String
    }

    private static let cache = Mutex<[String: Result<Compiled, PatternError>]>([:])

    static func compile(_ pattern: String) -> Result<Regex<AnyRegexOutput>, PatternError> {
        if let r = cache.withLock({ $0[pattern] }) { return r.map(\.regex) }
        let r: Result<Compiled, PatternError>
        do {
            r = .success(Compiled(try Regex(pattern)))
        } catch {
            r = .failure(PatternError(description: "\(error)"))
        }
        cache.withLock { $0[pattern] = r }
        return r.map(\.regex)
    }
}
