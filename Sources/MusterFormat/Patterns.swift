import CPCRE2
import Synchronization
import MusterBasics

/// Regular expressions (a parameter's `pattern`, an output's `regex`),
/// matched by PCRE2 with a step budget: a pattern with nested repetition
/// such as `^(a+)+$` backtracks exponentially on a value it does not match,
/// and a backtracking engine without a limit would hang `validate` (which
/// checks defaults) on a hostile pull request. Over budget, a match is
/// neither found nor missing: callers say that the pattern gave up.
/// The JIT is not used: the interpreter's limits are the simplest to trust.
public enum Patterns {
    /// Calls of PCRE2's internal match function for one start position:
    /// about 20 ms of backtracking, far more than any sane pattern needs.
    static let matchLimit: UInt32 = 1_000_000
    /// Nested backtracking points, which cost heap memory.
    static let depthLimit: UInt32 = 100_000

    /// Compiled code is read-only during matching, so it is shared between
    /// threads (PCRE2 documents this); it is freed with its last reference.
    final class Compiled: @unchecked Sendable {
        let code: OpaquePointer
        init(_ code: OpaquePointer) { self.code = code }
        deinit { pcre2_code_free_8(code) }
    }

    struct PatternError: Error, CustomStringConvertible {
        var description: String
    }

    /// What searching a text found.
    package enum Outcome: Equatable {
        /// The first capture group's text when it took part, else the whole match.
        case found(String)
        case notFound
        /// The search ran out of its budget: whether it would match is unknown.
        case gaveUp
    }

    /// Said wherever a pattern ran out of its budget, after the pattern.
    package static let gaveUpAdvice = "backtracks too much to check (nested repetition such as (a+)+ takes exponential time); rewrite it without repeating a repeated group"

    private static let cache = Mutex<[String: Result<Compiled, PatternError>]>([:])

    /// Compiles (once per pattern), or says why the pattern is not valid.
    static func compile(_ pattern: String) -> Result<Compiled, PatternError> {
        if let r = cache.withLock({ $0[pattern] }) { return r }
        var errorCode: Int32 = 0
        var offset = 0
        var bytes = Array(pattern.utf8)
        let code = bytes.withUnsafeMutableBufferPointer { b in
            pcre2_compile_8(b.baseAddress, b.count, UInt32(PCRE2_UTF), &errorCode, &offset, nil)
        }
        let r: Result<Compiled, PatternError>
        if let code {
            r = .success(Compiled(code))
        } else {
            var message = [UInt8](repeating: 0, count: 256)
            let n = pcre2_get_error_message_8(errorCode, &message, message.count)
            let text = n > 0 ? String(decoding: message[..<Int(n)], as: UTF8.self) : "error \(errorCode)"
            r = .failure(PatternError(description: "\(text) (at character \(pattern.utf8.prefix(offset).count + 1))"))
        }
        cache.withLock { $0[pattern] = r }
        return r
    }

    /// Searches `subject` for the first match of a pattern; an invalid
    /// pattern (refused by `validate`) finds nothing.
    package static func search(_ pattern: String, in subject: String) -> Outcome {
        guard case .success(let compiled) = compile(pattern) else { return .notFound }
        guard let context = pcre2_match_context_create_8(nil) else { return .gaveUp }
        defer { pcre2_match_context_free_8(context) }
        pcre2_set_match_limit_8(context, matchLimit)
        pcre2_set_depth_limit_8(context, depthLimit)
        guard let data = pcre2_match_data_create_from_pattern_8(compiled.code, nil) else { return .gaveUp }
        defer { pcre2_match_data_free_8(data) }
        var text = subject
        return text.withUTF8 { s -> Outcome in
            // A Swift string is valid UTF-8: PCRE2 need not check it again.
            let rc = pcre2_match_8(compiled.code, s.baseAddress, s.count, 0, UInt32(PCRE2_NO_UTF_CHECK), data, context)
            if rc == PCRE2_ERROR_NOMATCH { return .notFound }
            guard rc > 0, let ov = pcre2_get_ovector_pointer_8(data) else { return .gaveUp }
            let unset = Int(bitPattern: UInt.max) // PCRE2_UNSET, a macro Swift cannot import
            let group = rc > 1 && ov[2] != unset ? 1 : 0
            // \K in a lookahead can end a match before its start.
            let (start, end) = (ov[2 * group], max(ov[2 * group], ov[2 * group + 1]))
            return .found(String(decoding: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(s)[start..<end]), as: UTF8.self))
        }
    }
}
