import Dispatch
import Foundation
import GRDB
import GRDBSQLite
import SluiceSpec
import Synchronization

/// How hard a commit is pushed to disk. `full` survives power loss; `normal` (WAL) survives a
/// crashed or killed process but may lose the last commits on power loss.
public enum Durability: String, Sendable, CaseIterable {
    case full, normal
}

public struct SQLiteStoreOptions: Sendable {
    public var durability: Durability = .full
    /// Above this many events waiting for the writer, `append` throws `StoreOverloaded`.
    public var maxPendingEvents: Int = 50_000
    public var readOnly = false
    /// How long delivery outcomes that no other transaction is due to carry wait for company
    /// before they get a transaction of their own. Outcomes arriving meanwhile share it: at
    /// thousands of deliveries a second this turns one BEGIN/COMMIT per outcome into one per
    /// batch, for at most this much more time in flight.
    public var outcomeCommitDelay: Duration = .milliseconds(1)

    public init(durability: Durability = .full, maxPendingEvents: Int = 50_000, readOnly: Bool = false,
                outcomeCommitDelay: Duration = .milliseconds(1)) {
        self.durability = durability
        self.maxPendingEvents = maxPendingEvents
        self.readOnly = readOnly
        self.outcomeCommitDelay = outcomeCommitDelay
    }
}

/// SQLite in WAL mode through GRDB. Concurrent appends are group-committed: whatever arrives
/// while a transaction is being written goes into the next one, so one fsync covers many
/// requests and each caller still resumes only after its own events are durable.
public final class SQLiteEventStore: EventStore, Sendable {
    public let path: String
    let pool: DatabasePool
    /// When the attempts ring was last trimmed (seconds since the epoch).
    let ringTrim = Mutex(0.0)
    private let committer: GroupCommitter
    let pendingJobUpdates = PendingJobUpdates()
    let recentlyAppended = RecentlyAppended()
    let outcomeCommitDelay: Duration

    public init(path: String, options: SQLiteStoreOptions = SQLiteStoreOptions()) throws {
        self.path = path
        outcomeCommitDelay = options.outcomeCommitDelay
        if path != ":memory:" {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.readonly = options.readOnly
        configuration.busyMode = .timeout(10)
        let durability = options.durability
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        if !options.readOnly {
            try StoreSchema.migrator.migrate(pool)
        }
        committer = GroupCommitter(pool: pool, maxPendingEvents: options.maxPendingEvents, jobUpdates: pendingJobUpdates, recent: recentlyAppended)
    }

    public func append(_ records: [EventRecord], rejected: [String: Int]) async throws -> AppendResult {
        if records.isEmpty && rejected.isEmpty { return AppendResult() }
        return try await committer.submit(records, rejected: rejected)
    }

    public func events(_ query: EventQuery) async throws -> [StoredEvent] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if let afterId = query.afterId { conditions.append("id > ?"); arguments.append(afterId) }
            if let source = query.source { conditions.append("source = ?"); arguments.append(source) }
            if let type = query.type { conditions.append("type = ?"); arguments.append(type.rawValue) }
            if let userId = query.userId { conditions.append("user_id = ?"); arguments.append(userId) }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let order = query.afterId == nil ? "DESC" : "ASC"
            let sql = "SELECT \(Self.storedEventColumns) FROM events \(filter) ORDER BY id \(order) LIMIT ?"
            arguments.append(query.limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(Self.storedEvent)
        }
    }

    public func event(id: Int64) async throws -> StoredEvent? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.storedEventColumns) FROM events WHERE id = ?", arguments: [id])
                .map(Self.storedEvent)
        }
    }

    public func events(ids: [Int64]) async throws -> [StoredEvent] {
        guard !ids.isEmpty else { return [] }
        return try await pool.read { db in
            var found: [StoredEvent] = []
            found.reserveCapacity(ids.count)
            // Below SQLite's default limit of bound parameters per statement.
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = Array(ids[start..<min(ids.count, start + 500)])
                let marks = repeatElement("?", count: chunk.count).joined(separator: ",")
                let sql = "SELECT \(Self.storedEventColumns) FROM events WHERE id IN (\(marks))"
                found += try Row.fetchAll(db, sql: sql, arguments: StatementArguments(chunk)).map(Self.storedEvent)
            }
            return found
        }
    }

    public func eventCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0 }
    }

    public func sourceCounters() async throws -> [SourceCounters] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT source, accepted, duplicates, rejected FROM source_counters ORDER BY source").map {
                SourceCounters(source: $0["source"], accepted: $0["accepted"], duplicates: $0["duplicates"], rejected: $0["rejected"])
            }
        }
    }

    /// Transactions that carried delivery outcomes since the last call.
    public func takeOutcomeWriteCounters() -> PendingJobUpdates.WriteCounters { pendingJobUpdates.takeCounters() }

    public func isReady() async -> Bool {
        (try? await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }

    /// The columns `storedEvent(_:)` reads.
    static let storedEventColumns = "id, source, message_id, type, user_id, anonymous_id, received_at, payload"

    /// Reads the rows of a statement selecting `storedEventColumns`.
    static func storedEvents(_ statement: Statement, _ db: Database, bind: (RawStatement) -> Void) throws -> [StoredEvent] {
        let select = RawStatement(statement, db)
        bind(select)
        var events: [StoredEvent] = []
        while try select.next() {
            events.append(StoredEvent(id: select.int64(0), record: EventRecord(
                source: select.text(1) ?? "", messageId: select.text(2) ?? "",
                type: select.text(3).flatMap(EventType.init(rawValue:)) ?? .track,
                userId: select.text(4), anonymousId: select.text(5),
                receivedAt: select.int64(6), payload: select.bytes(7))))
        }
        return events
    }

    static func storedEvent(_ row: Row) -> StoredEvent {
        let payload: String = row["payload"]
        return StoredEvent(id: row["id"], record: EventRecord(
            source: row["source"], messageId: row["message_id"],
            type: EventType(rawValue: row["type"]) ?? .track,
            userId: row["user_id"], anonymousId: row["anonymous_id"],
            receivedAt: row["received_at"], payload: Array(payload.utf8)))
    }
}

/// The hot insert, bound straight through SQLite's C API (the payload is bound from its bytes).
enum EventInsert {
    /// Returns whether the row was new (false: a duplicate messageId for the source).
    static func run(_ statement: Statement, _ record: EventRecord, _ db: Database) throws -> Bool {
        let insert = RawStatement(statement, db)
        insert.bind(1, record.source)
        insert.bind(2, record.messageId)
        insert.bind(3, record.type.rawValue)
        insert.bind(4, record.userId)
        insert.bind(5, record.anonymousId)
        insert.bind(6, record.receivedAt)
        insert.bind(7, utf8: record.payload)
        try insert.run()
        return insert.changes == 1
    }
}

enum StoreSchema {
    /// Versioned migrations; never edit a shipped one, add the next.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-events") { db in
            try db.execute(sql: """
                CREATE TABLE events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    source TEXT NOT NULL,
                    message_id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    user_id TEXT,
                    anonymous_id TEXT,
                    received_at INTEGER NOT NULL,
                    payload TEXT NOT NULL
                );
                CREATE UNIQUE INDEX events_source_message_id ON events(source, message_id);
                CREATE TABLE source_counters (
                    source TEXT PRIMARY KEY,
                    accepted INTEGER NOT NULL DEFAULT 0,
                    duplicates INTEGER NOT NULL DEFAULT 0,
                    rejected INTEGER NOT NULL DEFAULT 0
                );
                """)
        }
        registerDelivery(&migrator)
        return migrator
    }
}

/// Events this process just committed, parsed, by id: the router takes them instead of parsing
/// their payloads again. Bounded; what does not fit is parsed from the store as before.
final class RecentlyAppended: Sendable {
    static let limit = 20_000
    private let events = Mutex([Int64: Event]())

    func add(_ committed: [(Int64, Event)]) {
        guard !committed.isEmpty else { return }
        events.withLock { events in
            for (id, event) in committed where events.count < Self.limit { events[id] = event }
        }
    }

    /// Attaches the parsed form to each of `stored` that has one, and forgets it.
    func attach(to stored: inout [StoredEvent]) {
        events.withLock { events in
            guard !events.isEmpty else { return }
            for index in stored.indices {
                stored[index].record.parsed = events.removeValue(forKey: stored[index].id)
            }
        }
    }

    var count: Int { events.withLock { $0.count } }
}

/// Collects appends from concurrent callers and writes them in shared transactions on one
/// serial queue.
final class GroupCommitter: Sendable {
    private struct Submission {
        let records: [EventRecord]
        let rejected: [String: Int]
        let continuation: CheckedContinuation<AppendResult, any Error>
    }

    private struct State {
        var pending: [Submission] = []
        var pendingEvents = 0
        var writing = false
    }

    private let pool: DatabasePool
    private let maxPendingEvents: Int
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "sluice.store.group-commit")

    private let jobUpdates: PendingJobUpdates
    private let recent: RecentlyAppended

    init(pool: DatabasePool, maxPendingEvents: Int, jobUpdates: PendingJobUpdates, recent: RecentlyAppended) {
        self.pool = pool
        self.maxPendingEvents = maxPendingEvents
        self.jobUpdates = jobUpdates
        self.recent = recent
    }

    func submit(_ records: [EventRecord], rejected: [String: Int]) async throws -> AppendResult {
        try await withCheckedThrowingContinuation { continuation in
            let outcome: Result<Bool, StoreOverloaded> = state.withLock { state in
                if state.pendingEvents > 0, state.pendingEvents + records.count > maxPendingEvents {
                    return .failure(StoreOverloaded(pendingEvents: state.pendingEvents))
                }
                state.pending.append(Submission(records: records, rejected: rejected, continuation: continuation))
                state.pendingEvents += records.count
                if state.writing { return .success(false) }
                state.writing = true
                return .success(true)
            }
            switch outcome {
            case .failure(let error): continuation.resume(throwing: error)
            case .success(true): queue.async { self.drain() }
            case .success(false): break
            }
        }
    }

    private func drain() {
        while true {
            let batch: [Submission] = state.withLock { state in
                let batch = state.pending
                state.pending.removeAll(keepingCapacity: true)
                state.pendingEvents = 0
                if batch.isEmpty { state.writing = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                var parsed: [(Int64, Event)] = []
                let results = try jobUpdates.write(pool) { db in try Self.write(batch, db, parsed: &parsed) }
                recent.add(parsed)
                for (submission, result) in zip(batch, results) { submission.continuation.resume(returning: result) }
            } catch {
                for submission in batch { submission.continuation.resume(throwing: error) }
            }
        }
    }

    private static func write(_ batch: [Submission], _ db: Database, parsed: inout [(Int64, Event)]) throws -> [AppendResult] {
        let insert = try db.cachedStatement(sql: """
            INSERT INTO events (source, message_id, type, user_id, anonymous_id, received_at, payload)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(source, message_id) DO NOTHING
            """)
        var counters: [String: (accepted: Int, duplicates: Int, rejected: Int)] = [:]
        var results: [AppendResult] = []
        results.reserveCapacity(batch.count)
        for submission in batch {
            var result = AppendResult()
            for (index, record) in submission.records.enumerated() {
                if try EventInsert.run(insert, record, db) {
                    if let event = record.parsed { parsed.append((db.lastInsertedRowID, event)) }
                    result.inserted += 1
                    counters[record.source, default: (0, 0, 0)].accepted += 1
                } else {
                    result.duplicateIndexes.append(index)
                    counters[record.source, default: (0, 0, 0)].duplicates += 1
                }
            }
            for (source, count) in submission.rejected { counters[source, default: (0, 0, 0)].rejected += count }
            results.append(result)
        }
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO source_counters (source, accepted, duplicates, rejected) VALUES (?, ?, ?, ?)
            ON CONFLICT(source) DO UPDATE SET accepted = accepted + excluded.accepted,
                duplicates = duplicates + excluded.duplicates, rejected = rejected + excluded.rejected
            """)
        for (source, counts) in counters {
            try upsert.execute(arguments: [source, counts.accepted, counts.duplicates, counts.rejected])
        }
        return results
    }
}
