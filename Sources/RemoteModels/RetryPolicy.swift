// When to ask again: busy (429), overloaded or failing (5xx) servers and lost connections are retried with
// exponential backoff and jitter, or after the pause the server asks for in Retry-After.

public struct RetryPolicy: Sendable, Equatable {
    /// Retries after the first attempt.
    public var retries: Int
    public var baseSeconds: Double
    public var capSeconds: Double

    public init(retries: Int, baseSeconds: Double = 0.5, capSeconds: Double = 30) {
        self.retries = max(0, retries)
        self.baseSeconds = baseSeconds
        self.capSeconds = capSeconds
    }

    /// Statuses worth asking again for: the server may answer the same request later.
    public static func isTransient(status: Int) -> Bool {
        status == 408 || status == 409 || status == 429 || (500...599).contains(status)
    }

    /// Seconds to wait before retry `retry` (0 for the first): the server's Retry-After when it gave one (capped),
    /// else base x 2^retry with jitter drawn in [half, full], capped. `unit` is a random number in [0, 1).
    public func delay(retry: Int, retryAfter: String?, unit: Double) -> Double {
        if let retryAfter, let seconds = Double(retryAfter.trimmingCharacters(in: .whitespaces)), seconds >= 0 {
            return min(seconds, capSeconds)
        }
        let full = min(capSeconds, baseSeconds * Double(1 << min(retry, 20)))
        return full * (0.5 + 0.5 * unit)
    }
}
