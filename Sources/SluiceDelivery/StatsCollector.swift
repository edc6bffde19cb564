import Foundation
import Histogram
import SluiceDestinations
import SluiceStore
import Synchronization

/// Per-destination counters for the current second, flushed to the store once a second, plus
/// running totals for `/metrics`.
public final class StatsCollector: Sendable {
    public struct Totals: Sendable, Hashable {
        public var received = 0, delivered = 0, skipped = 0, retried = 0, failed = 0, deadLettered = 0
        public var inFlight = 0, queueDepth = 0
        public var oldestQueuedMs: Int64 = 0
        public var p50Ms = 0.0, p95Ms = 0.0, p99Ms = 0.0
        public init() {}
    }

    struct Bucket {
        var second: Int64
        var counts = Totals()
        var latencies = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        var skipReasons: [String: Int] = [:]
    }

    struct State {
        var buckets: [String: Bucket] = [:]
        var totals: [String: Totals] = [:]
        var skipReasonTotals: [String: [String: Int]] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    private func update(_ destination: String, _ body: (inout Bucket, inout Totals) -> Void) {
        let second = Int64(Date().timeIntervalSince1970)
        // In place: a bucket copied out of the dictionary would copy its histogram's
        // 21,504 counts (172 KB) on every delivery.
        state.withLock { state in
            body(&state.buckets[destination, default: Bucket(second: second)], &state.totals[destination, default: Totals()])
        }
    }

    public func received(_ destination: String, count: Int = 1) { update(destination) { $0.counts.received += count; $1.received += count } }
    public func delivered(_ destination: String, count: Int = 1, latencyMs: Double) {
        update(destination) { bucket, totals in
            bucket.counts.delivered += count
            totals.delivered += count
            _ = bucket.latencies.record(UInt64(max(0, latencyMs * 1000)))
        }
    }
    public func skipped(_ destination: String, reason: String, count: Int = 1) {
        update(destination) { bucket, totals in
            bucket.counts.skipped += count
            totals.skipped += count
            bucket.skipReasons[reason, default: 0] += count
        }
        state.withLock { $0.skipReasonTotals[destination, default: [:]][reason, default: 0] += count }
    }
    public func retried(_ destination: String) { update(destination) { $0.counts.retried += 1; $1.retried += 1 } }
    public func failed(_ destination: String) { update(destination) { $0.counts.failed += 1; $1.failed += 1 } }
    public func deadLettered(_ destination: String, count: Int = 1) { update(destination) { $0.counts.deadLettered += count; $1.deadLettered += count } }

    /// Gauges, set from the workers just before a flush.
    public func gauges(_ destination: String, inFlight: Int, queueDepth: Int, oldestQueuedMs: Int64) {
        update(destination) { bucket, totals in
            bucket.counts.inFlight = inFlight
            bucket.counts.queueDepth = queueDepth
            bucket.counts.oldestQueuedMs = oldestQueuedMs
            totals.inFlight = inFlight
            totals.queueDepth = queueDepth
            totals.oldestQueuedMs = oldestQueuedMs
        }
    }

    /// Takes the buckets collected so far, ready for the store.
    func drain() -> (seconds: [StatsSecond], skipReasons: [String: [String: Int]]) {
        state.withLock { state in
            var seconds: [StatsSecond] = []
            var reasons: [String: [String: Int]] = [:]
            for (destination, bucket) in state.buckets {
                var s = StatsSecond(destination: destination, second: bucket.second)
                s.received = bucket.counts.received
                s.delivered = bucket.counts.delivered
                s.skipped = bucket.counts.skipped
                s.retried = bucket.counts.retried
                s.failed = bucket.counts.failed
                s.deadLettered = bucket.counts.deadLettered
                s.inFlight = bucket.counts.inFlight
                s.queueDepth = bucket.counts.queueDepth
                s.oldestQueuedMs = bucket.counts.oldestQueuedMs
                if bucket.latencies.totalCount > 0 {
                    s.p50Ms = Double(bucket.latencies.valueAtPercentile(50)) / 1000
                    s.p95Ms = Double(bucket.latencies.valueAtPercentile(95)) / 1000
                    s.p99Ms = Double(bucket.latencies.valueAtPercentile(99)) / 1000
                    state.totals[destination]?.p50Ms = s.p50Ms
                    state.totals[destination]?.p95Ms = s.p95Ms
                    state.totals[destination]?.p99Ms = s.p99Ms
                }
                seconds.append(s)
                if !bucket.skipReasons.isEmpty { reasons[destination] = bucket.skipReasons }
            }
            state.buckets.removeAll()
            return (seconds, reasons)
        }
    }

    public func totals() -> [String: Totals] { state.withLock { $0.totals } }
    public func skipReasonTotals() -> [String: [String: Int]] { state.withLock { $0.skipReasonTotals } }

    /// The Prometheus text exposition of the running totals.
    public func prometheus() -> String {
        let totals = totals()
        var lines: [String] = []
        func family(_ name: String, _ type: String, _ help: String, _ value: (Totals) -> String) {
            lines.append("# HELP sluice_\(name) \(help)")
            lines.append("# TYPE sluice_\(name) \(type)")
            for destination in totals.keys.sorted() {
                lines.append("sluice_\(name){destination=\"\(destination)\"} \(value(totals[destination]!))")
            }
        }
        family("events_received_total", "counter", "Events routed to the destination.") { String($0.received) }
        family("events_delivered_total", "counter", "Events the destination accepted.") { String($0.delivered) }
        family("events_skipped_total", "counter", "Events deliberately not sent.") { String($0.skipped) }
        family("attempts_retried_total", "counter", "Attempts that will be retried.") { String($0.retried) }
        family("attempts_failed_total", "counter", "Attempts that failed.") { String($0.failed) }
        family("events_dead_lettered_total", "counter", "Events given up on.") { String($0.deadLettered) }
        family("in_flight", "gauge", "Deliveries in progress.") { String($0.inFlight) }
        family("queue_depth", "gauge", "Jobs waiting.") { String($0.queueDepth) }
        family("oldest_queued_seconds", "gauge", "Age of the oldest waiting job.") { String(Double($0.oldestQueuedMs) / 1000) }
        lines.append("# HELP sluice_delivery_latency_ms Delivery latency percentiles over the last second with traffic.")
        lines.append("# TYPE sluice_delivery_latency_ms gauge")
        for destination in totals.keys.sorted() {
            let t = totals[destination]!
            for (quantile, value) in [("0.5", t.p50Ms), ("0.95", t.p95Ms), ("0.99", t.p99Ms)] {
                lines.append("sluice_delivery_latency_ms{destination=\"\(destination)\",quantile=\"\(quantile)\"} \(value)")
            }
        }
        let reasons = skipReasonTotals()
        lines.append("# HELP sluice_events_skipped_by_reason_total Skipped events by reason.")
        lines.append("# TYPE sluice_events_skipped_by_reason_total counter")
        for destination in reasons.keys.sorted() {
            for (reason, count) in reasons[destination]!.sorted(by: { $0.key < $1.key }) {
                let escaped = reason.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                lines.append("sluice_events_skipped_by_reason_total{destination=\"\(destination)\",reason=\"\(escaped)\"} \(count)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
