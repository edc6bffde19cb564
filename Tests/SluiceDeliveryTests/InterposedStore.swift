import Foundation
import SluiceDelivery
import SluiceSpec
import SluiceStore
import Synchronization

/// The SQLite store with faults put in: its first `readFailures` event reads throw, and each
/// outcome's commit is reported `settleDelay` late (a slow disk), with the outcomes not yet
/// reported counted.
final class InterposedStore: EventStore, DeliveryStore {
    struct ReadFailed: Error {}
    let base: SQLiteEventStore
    private let remaining: Mutex<Int>
    private let settleDelay: DispatchTimeInterval?
    /// Outcomes applied and not yet reported settled, and the most at once.
    let unsettled = Mutex((now: 0, most: 0))

    init(_ base: SQLiteEventStore, readFailures: Int = 0, settleDelay: DispatchTimeInterval? = nil) {
        self.base = base
        remaining = Mutex(readFailures)
        self.settleDelay = settleDelay
    }

    var failuresLeft: Int { remaining.withLock { $0 } }

    private func failOnce() throws {
        let fail = remaining.withLock { left in
            guard left > 0 else { return false }
            left -= 1
            return true
        }
        if fail { throw ReadFailed() }
    }

    func event(id: Int64) async throws -> StoredEvent? {
        try failOnce()
        return try await base.event(id: id)
    }

    func events(ids: [Int64]) async throws -> [StoredEvent] {
        try failOnce()
        return try await base.events(ids: ids)
    }

    func append(_ records: [EventRecord], rejected: [String: Int]) async throws -> AppendResult { try await base.append(records, rejected: rejected) }
    func events(_ query: EventQuery) async throws -> [StoredEvent] { try await base.events(query) }
    func eventCount() async throws -> Int { try await base.eventCount() }
    func sourceCounters() async throws -> [SourceCounters] { try await base.sourceCounters() }
    func isReady() async -> Bool { await base.isReady() }
    func settings() async throws -> [SettingsRecord] { try await base.settings() }
    func settingsVersion() async throws -> Int64 { try await base.settingsVersion() }
    func saveSettings(destination: String, json: String, changedFields: [String], osUser: String, origin: String) async throws {
        try await base.saveSettings(destination: destination, json: json, changedFields: changedFields, osUser: osUser, origin: origin)
    }
    func settingsAudit(limit: Int) async throws -> [SettingsAuditEntry] { try await base.settingsAudit(limit: limit) }
    func route(limit: Int, decide: @Sendable (StoredEvent) -> [RouteDecision]) async throws -> (jobs: [Job], skips: [RouteDecision], events: Int) {
        try await base.route(limit: limit, decide: decide)
    }
    func jobs(states: [JobState], destination: String?) async throws -> [Job] { try await base.jobs(states: states, destination: destination) }
    func apply(_ updates: [JobUpdate], queued: () -> Void, settled: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        guard let settleDelay else { return base.apply(updates, queued: queued, settled: settled) }
        unsettled.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
        base.apply(updates, queued: queued) { [self] result in
            DispatchQueue.global().asyncAfter(deadline: .now() + settleDelay) {
                self.unsettled.withLock { $0.now -= 1 }
                settled(result)
            }
        }
    }
    func releaseHeld(destination: String, releaseKey: String) async throws -> [Job] { try await base.releaseHeld(destination: destination, releaseKey: releaseKey) }
    func expireHeld(now: Millis) async throws -> [Job] { try await base.expireHeld(now: now) }
    func deadLetters(_ filter: DeadLetterFilter) async throws -> [Job] { try await base.deadLetters(filter) }
    func replayDeadLetters(_ filter: DeadLetterFilter, now: Millis) async throws -> [Job] { try await base.replayDeadLetters(filter, now: now) }
    func discardDeadLetters(_ filter: DeadLetterFilter) async throws -> Int { try await base.discardDeadLetters(filter) }
    func deadLetterCounts() async throws -> [String: Int] { try await base.deadLetterCounts() }
    func replayGeneration() async throws -> Int64 { try await base.replayGeneration() }
    func appendAttempts(_ records: [AttemptRecord], ringSize: Int) async throws { try await base.appendAttempts(records, ringSize: ringSize) }
    func attempts(destination: String?, limit: Int, beforeId: Int64?) async throws -> [AttemptRecord] {
        try await base.attempts(destination: destination, limit: limit, beforeId: beforeId)
    }
    func writeStats(_ seconds: [StatsSecond], skipReasons: [String: [String: Int]], keepSeconds: Int64) async throws {
        try await base.writeStats(seconds, skipReasons: skipReasons, keepSeconds: keepSeconds)
    }
    func stats(destination: String, since: Int64) async throws -> [StatsSecond] { try await base.stats(destination: destination, since: since) }
    func skipReasons(destination: String) async throws -> [(reason: String, count: Int)] { try await base.skipReasons(destination: destination) }
    func writeRateLimits(_ snapshots: [RateLimitSnapshot]) async throws { try await base.writeRateLimits(snapshots) }
    func rateLimits(destination: String?) async throws -> [RateLimitSnapshot] { try await base.rateLimits(destination: destination) }
    func mappingState(destination: String) async throws -> [String: String] { try await base.mappingState(destination: destination) }
    func saveMappingState(destination: String, changes: [String: String?]) async throws { try await base.saveMappingState(destination: destination, changes: changes) }
}
