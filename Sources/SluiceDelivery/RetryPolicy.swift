import Foundation
import SluiceDestinations

/// Which failures are worth another attempt, and when. 4xx are final except 408, 423 and 429
/// (and Intercom's 409 on create, which its lagging search index causes); 5xx are retried
/// except 501. Backoff is exponential with full jitter, capped, until a maximum age.
public struct RetryPolicy: Sendable, Hashable {
    public var baseDelay: Double = 1
    public var maxDelay: Double = 300
    public var maxAge: Double = 6 * 3600

    public init(baseDelay: Double = 1, maxDelay: Double = 300, maxAge: Double = 6 * 3600) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxAge = maxAge
    }

    public enum Verdict: Sendable, Equatable {
        case retry
        case final
    }

    public func classify(status: Int, destination: DestinationID, method: HTTPMethod) -> Verdict {
        switch status {
        case 408, 423, 429: return .retry
        case 409 where destination == .intercom && method == .POST: return .retry
        case 501: return .final
        case 500...599: return .retry
        default: return .final
        }
    }

    /// Seconds to wait before attempt `attempt + 1` (attempt counts from 1): uniformly random in
    /// [0, min(maxDelay, baseDelay · 2^(attempt−1))].
    public func delay(afterAttempt attempt: Int, random: Double = Double.random(in: 0...1)) -> Double {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(exponent)))
        return ceiling * random
    }

    /// Whether a job first enqueued at `enqueuedAt` may still be retried at `now` (seconds).
    public func allowsRetry(enqueuedAt: Double, now: Double) -> Bool {
        now - enqueuedAt < maxAge
    }
}
