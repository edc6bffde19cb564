import Foundation
import Synchronization

/// What became of one request, as the stats count it.
public enum RequestOutcome: Sendable, Hashable, Comparable, CustomStringConvertible {
    case status(Int)
    /// Dropped by an outage in `close` mode.
    case connectionClosed
    /// Held unanswered by an outage in `hang` mode.
    case unanswered

    public var description: String {
        switch self {
        case .status(let code): return String(code)
        case .connectionClosed: return "closed"
        case .unanswered: return "unanswered"
        }
    }
}

/// One 429 the sandbox issued.
public struct RateLimitRecord: Sendable, Hashable {
    public enum Cause: String, Sendable { case limit, storm }
    public let time: Date
    public let route: RouteKey
    /// The exhausted window's name, or `storm`.
    public let window: String
    public let retryAfterSeconds: Int
    public let cause: Cause
}

/// Per destination: requests by route and outcome, and every 429.
public struct DestinationStats: Sendable {
    public internal(set) var requests: [RouteKey: [RequestOutcome: Int]] = [:]
    public internal(set) var rateLimited: [RateLimitRecord] = []
    /// 429 records dropped once `rateLimited` held `recordLimit` (a long demo issues many).
    public internal(set) var droppedRateLimitRecords = 0

    static let recordLimit = 10_000

    public var totalRequests: Int { requests.values.reduce(0) { $0 + $1.values.reduce(0, +) } }

    /// Requests to `method template`, all outcomes or one status.
    public func count(_ method: String, _ template: String, status: Int? = nil) -> Int {
        guard let outcomes = requests[RouteKey(method, template)] else { return 0 }
        if let status { return outcomes[.status(status)] ?? 0 }
        return outcomes.values.reduce(0, +)
    }

    /// Requests with this outcome across all routes.
    public func count(outcome: RequestOutcome) -> Int {
        requests.values.reduce(0) { $0 + ($1[outcome] ?? 0) }
    }
}

final class StatsRecorder: Sendable {
    private let stats = Mutex(DestinationStats())

    func record(_ route: RouteKey, _ outcome: RequestOutcome) {
        stats.withLock { $0.requests[route, default: [:]][outcome, default: 0] += 1 }
    }

    func recordRateLimited(_ record: RateLimitRecord) {
        stats.withLock { stats in
            if stats.rateLimited.count < DestinationStats.recordLimit {
                stats.rateLimited.append(record)
            } else {
                stats.droppedRateLimitRecords += 1
            }
        }
    }

    var snapshot: DestinationStats { stats.withLock { $0 } }

    func reset() { stats.withLock { $0 = DestinationStats() } }
}
