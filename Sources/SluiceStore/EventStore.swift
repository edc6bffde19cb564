import Foundation
import SluiceSpec

/// One call ready to be stored: the indexed fields plus the serialized payload.
public struct EventRecord: Sendable, Hashable {
    public var source: String
    public var messageId: String
    public var type: EventType
    public var userId: String?
    public var anonymousId: String?
    /// Milliseconds since the epoch.
    public var receivedAt: Int64
    public var payload: [UInt8]
    /// `payload` already parsed, when the record was made from the parsed call (ingest): the
    /// store hands it to the router in the same process so the payload is not parsed twice.
    /// Never stored, and not part of the record's identity.
    public var parsed: Event?

    public init(source: String, messageId: String, type: EventType, userId: String?, anonymousId: String?, receivedAt: Int64, payload: [UInt8]) {
        self.source = source
        self.messageId = messageId
        self.type = type
        self.userId = userId
        self.anonymousId = anonymousId
        self.receivedAt = receivedAt
        self.payload = payload
    }

    public init(source: String, normalized: NormalizedEvent, receivedAt: Date) {
        self.init(
            source: source, messageId: normalized.event.messageId, type: normalized.event.type,
            userId: normalized.event.userId, anonymousId: normalized.event.anonymousId,
            receivedAt: Int64((receivedAt.timeIntervalSince1970 * 1000).rounded(.down)), payload: normalized.json)
        parsed = normalized.event
    }

    public static func == (lhs: EventRecord, rhs: EventRecord) -> Bool {
        lhs.source == rhs.source && lhs.messageId == rhs.messageId && lhs.type == rhs.type && lhs.userId == rhs.userId
            && lhs.anonymousId == rhs.anonymousId && lhs.receivedAt == rhs.receivedAt && lhs.payload == rhs.payload
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(source)
        hasher.combine(messageId)
        hasher.combine(receivedAt)
        hasher.combine(payload)
    }
}

/// A stored call as read back, with its position in the log.
public struct StoredEvent: Sendable, Hashable {
    public var id: Int64
    public var record: EventRecord

    public init(id: Int64, record: EventRecord) {
        self.id = id
        self.record = record
    }

    public var payloadText: String { String(decoding: record.payload, as: UTF8.self) }

    public func event() throws -> Event {
        if let parsed = record.parsed { return parsed }
        guard case .object(let object) = try JSONParser.parse(record.payload) else {
            throw EventValidationError(.invalidJSON, "stored payload \(id) is not an object")
        }
        return try Event(payload: object)
    }
}

/// What happened to the calls of one append: stored, or dropped as a duplicate messageId of
/// the same source. `duplicateIndexes` are positions in the submitted array.
public struct AppendResult: Sendable, Hashable {
    public var inserted: Int
    public var duplicateIndexes: [Int]

    public init(inserted: Int = 0, duplicateIndexes: [Int] = []) {
        self.inserted = inserted
        self.duplicateIndexes = duplicateIndexes
    }

    public var duplicates: Int { duplicateIndexes.count }
}

/// Per-source ingest totals since the store was created.
public struct SourceCounters: Sendable, Hashable {
    public var source: String
    public var accepted: Int64
    public var duplicates: Int64
    public var rejected: Int64

    public init(source: String, accepted: Int64, duplicates: Int64, rejected: Int64) {
        self.source = source
        self.accepted = accepted
        self.duplicates = duplicates
        self.rejected = rejected
    }
}

public struct EventQuery: Sendable, Hashable {
    public var limit: Int
    /// Only events with an id greater than this (for `--follow`).
    public var afterId: Int64?
    public var source: String?
    public var type: EventType?
    public var userId: String?

    public init(limit: Int = 20, afterId: Int64? = nil, source: String? = nil, type: EventType? = nil, userId: String? = nil) {
        self.limit = limit
        self.afterId = afterId
        self.source = source
        self.type = type
        self.userId = userId
    }
}

/// The engine's durable event log. `append` returns only after the events are committed, so a
/// caller may acknowledge them. SQLite implements it today; PostgreSQL can follow.
public protocol EventStore: Sendable {
    func append(_ records: [EventRecord], rejected: [String: Int]) async throws -> AppendResult
    /// Newest first when `afterId` is nil; oldest first after `afterId` (for following).
    func events(_ query: EventQuery) async throws -> [StoredEvent]
    func event(id: Int64) async throws -> StoredEvent?
    /// The events among `ids` that exist, in no particular order: one read for a whole
    /// read-ahead instead of one per event.
    func events(ids: [Int64]) async throws -> [StoredEvent]
    func eventCount() async throws -> Int
    func sourceCounters() async throws -> [SourceCounters]
    /// Whether the store can accept writes right now (for /readyz).
    func isReady() async -> Bool
}

extension EventStore {
    public func append(_ records: [EventRecord]) async throws -> AppendResult {
        try await append(records, rejected: [:])
    }

    public func events(ids: [Int64]) async throws -> [StoredEvent] {
        var found: [StoredEvent] = []
        for id in ids { if let event = try await event(id: id) { found.append(event) } }
        return found
    }
}

/// The store is over capacity; callers should shed load (HTTP 429) rather than queue more.
public struct StoreOverloaded: Error, Sendable, CustomStringConvertible {
    public let pendingEvents: Int
    public init(pendingEvents: Int) { self.pendingEvents = pendingEvents }
    public var description: String { "the store has \(pendingEvents) events waiting to be written; retry shortly" }
}
