import Foundation
import Synchronization

/// Where a delivery's time goes, summed over deliveries: waiting for its turn after the lane
/// was taken, mapping and rate limiting, HTTP exchanges, and waiting for its outcome to be
/// committed. A throughput ceiling is exchanges ÷ (queued + engine + HTTP), and in-flight slots ÷
/// the whole sum, so this says which stage to work on.
public final class StageTimings: Sendable {
    public struct Averages: Sendable, CustomStringConvertible {
        public var deliveries: Int
        public var queuedMs: Double
        public var engineMs: Double
        public var exchangeMs: Double
        public var commitMs: Double

        public var totalMs: Double { queuedMs + engineMs + exchangeMs + commitMs }

        public var description: String {
            String(format: "queued %.2f ms, engine %.2f ms, HTTP %.2f ms, commit %.2f ms (%d deliveries)",
                   queuedMs, engineMs, exchangeMs, commitMs, deliveries)
        }
    }

    private struct Sums {
        var count = 0
        var queued: Duration = .zero
        var engine: Duration = .zero
        var exchange: Duration = .zero
        var commits = 0
        var commit: Duration = .zero
    }

    private let sums = Mutex(Sums())

    public init() {}

    func record(queued: Duration, engine: Duration, exchange: Duration) {
        sums.withLock { sums in
            sums.count += 1
            sums.queued += queued
            sums.engine += engine
            sums.exchange += exchange
        }
    }

    /// From an outcome queued for the store to its commit (the delivery's in-flight slot is held
    /// that long, its exchange and task are not).
    func recordCommit(_ wait: Duration) {
        sums.withLock { sums in
            sums.commits += 1
            sums.commit += wait
        }
    }

    /// The averages since the last call, which starts a new period.
    public func take() -> Averages {
        let taken = sums.withLock { sums in
            defer { sums = Sums() }
            return sums
        }
        let count = Double(max(1, taken.count))
        return Averages(deliveries: taken.count, queuedMs: taken.queued.milliseconds / count, engineMs: taken.engine.milliseconds / count,
                        exchangeMs: taken.exchange.milliseconds / count, commitMs: taken.commit.milliseconds / Double(max(1, taken.commits)))
    }
}
