import SluiceSpec

/// Accepts and forgets. The ingest benchmark's baseline: the same server answering 200 without
/// storing anything.
public final class NullEventStore: EventStore, Sendable {
    public init() {}
    public func append(_ records: [EventRecord], rejected: [String: Int]) async throws -> AppendResult {
        AppendResult(inserted: records.count)
    }
    public func events(_ query: EventQuery) async throws -> [StoredEvent] { [] }
    public func event(id: Int64) async throws -> StoredEvent? { nil }
    public func eventCount() async throws -> Int { 0 }
    public func sourceCounters() async throws -> [SourceCounters] { [] }
    public func isReady() async -> Bool { true }
}
