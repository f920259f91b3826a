/// The AWS SDKs' "standard" retries: exponential back-off with full jitter
/// (a random pause between 0 and min(cap, base × 2^attempt)), on 500, 502,
/// 503, 504, S3's SlowDown and throttling codes, and on a connection that
/// was never made. Bounded by attempts and by a total time (the store's
/// timeout), so a store that keeps failing is said, not waited on for ever.
struct RetryPolicy {
    var base = 0.1
    var cap = 5.0
    var maxAttempts = 5
    /// Connection errors get fewer tries: an unreachable store is said
    /// fast, and the session then asks whether to go on alone.
    var maxConnectionAttempts = 3
    /// Seconds from the first try after which no pause is started.
    var budget: Double
    var random: () -> Double = { Double.random(in: 0..<1) }

    init(budget: Double) { self.budget = budget }

    static let throttles: Set<String> = ["SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
                                         "RequestThrottled", "InternalError", "ServiceUnavailable", "RequestTimeout"]

    static func retryable(status: Int, code: String?) -> Bool {
        [500, 502, 503, 504].contains(status) || code.map(throttles.contains) == true
    }

    /// The pause before try `attempt + 2`, nil when no more tries fit.
    func next(attempt: Int, connectionError: Bool, elapsed: Double) -> Double? {
        guard attempt + 1 < (connectionError ? maxConnectionAttempts : maxAttempts) else { return nil }
        let pause = random() * min(cap, base * Double(1 << min(attempt, 20)))
        guard elapsed + pause < budget else { return nil }
        return pause
    }
}
