import Foundation
import GRDB
import SluiceSpec

/// The delivery engine's and the console's shared state, in the same SQLite database as the
/// event log: the store is the bus between them.
public protocol DeliveryStore: Sendable {
    // Settings (validated by the destinations core before they get here).
    func settings() async throws -> [SettingsRecord]
    func settingsVersion() async throws -> Int64
    func saveSettings(destination: String, json: String, changedFields: [String], osUser: String, origin: String) async throws
    func settingsAudit(limit: Int) async throws -> [SettingsAuditEntry]

    // Routing: turns stored events after the cursor into jobs, atomically with the cursor.
    func route(limit: Int, decide: @Sendable (StoredEvent) -> [RouteDecision]) async throws -> (jobs: [Job], skips: [RouteDecision], events: Int)

    // Jobs.
    func jobs(states: [JobState], destination: String?) async throws -> [Job]
    /// Applies `updates` after every change queued before them: calls `queued` once their place
    /// in that order is fixed, before returning, and `settled` once the transaction carrying
    /// them has committed or failed. `settled` may run on the store's writer, so it must be quick.
    func apply(_ updates: [JobUpdate], queued: () -> Void, settled: @escaping @Sendable (Result<Void, any Error>) -> Void)
    func releaseHeld(destination: String, releaseKey: String) async throws -> [Job]
    func expireHeld(now: Millis) async throws -> [Job]
    func deadLetters(_ filter: DeadLetterFilter) async throws -> [Job]
    /// Moves matching dead letters back to the queue; returns them.
    func replayDeadLetters(_ filter: DeadLetterFilter, now: Millis) async throws -> [Job]
    func discardDeadLetters(_ filter: DeadLetterFilter) async throws -> Int
    /// Dead letters per destination (an index-only count, cheap enough for every refresh).
    func deadLetterCounts() async throws -> [String: Int]
    /// Bumped by every replay, so a running engine in another process picks replayed jobs up.
    func replayGeneration() async throws -> Int64

    // Attempts: a ring of the newest `ringSize` per destination.
    func appendAttempts(_ records: [AttemptRecord], ringSize: Int) async throws
    func attempts(destination: String?, limit: Int, beforeId: Int64?) async throws -> [AttemptRecord]

    // Stats, skip reasons, rate limits.
    func writeStats(_ seconds: [StatsSecond], skipReasons: [String: [String: Int]], keepSeconds: Int64) async throws
    func stats(destination: String, since: Int64) async throws -> [StatsSecond]
    func skipReasons(destination: String) async throws -> [(reason: String, count: Int)]
    func writeRateLimits(_ snapshots: [RateLimitSnapshot]) async throws
    func rateLimits(destination: String?) async throws -> [RateLimitSnapshot]

    // Per-destination mapping state (email → id, seen event names, user → group).
    func mappingState(destination: String) async throws -> [String: String]
    func saveMappingState(destination: String, changes: [String: String?]) async throws
}

extension DeliveryStore {
    /// Applies `updates` after every change queued before them; calls `queued` once their place
    /// in that order is fixed, then returns when they are committed.
    public func apply(_ updates: [JobUpdate], queued: () -> Void = {}) async throws {
        try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
            apply(updates, queued: queued) { waiter.resume(with: $0) }
        }
    }
}

extension StoreSchema {
    static func registerDelivery(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-delivery") { db in
            try db.execute(sql: """
                CREATE TABLE destination_settings (
                    destination TEXT PRIMARY KEY,
                    json TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE TABLE settings_audit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at INTEGER NOT NULL,
                    os_user TEXT NOT NULL,
                    destination TEXT NOT NULL,
                    field TEXT NOT NULL,
                    origin TEXT NOT NULL
                );
                CREATE TABLE router_cursor (
                    name TEXT PRIMARY KEY,
                    last_event_id INTEGER NOT NULL
                );
                CREATE TABLE jobs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination TEXT NOT NULL,
                    lane TEXT NOT NULL,
                    event_id INTEGER NOT NULL,
                    type TEXT NOT NULL,
                    message_id TEXT NOT NULL,
                    state TEXT NOT NULL DEFAULT 'queued',
                    attempts INTEGER NOT NULL DEFAULT 0,
                    enqueued_at INTEGER NOT NULL,
                    next_attempt_at INTEGER NOT NULL,
                    release_key TEXT,
                    hold_until INTEGER,
                    last_status INTEGER,
                    last_error TEXT,
                    last_response TEXT,
                    dead_at INTEGER
                );
                CREATE INDEX jobs_by_state ON jobs(state, destination, id);
                CREATE INDEX jobs_by_release ON jobs(release_key) WHERE release_key IS NOT NULL;
                CREATE TABLE attempts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    message_ids TEXT NOT NULL,
                    event_ids TEXT NOT NULL,
                    user TEXT NOT NULL,
                    call_type TEXT NOT NULL,
                    method TEXT NOT NULL,
                    url TEXT NOT NULL,
                    request_headers TEXT NOT NULL,
                    request_body TEXT NOT NULL,
                    status INTEGER,
                    response_headers TEXT NOT NULL,
                    response_body TEXT NOT NULL,
                    latency_ms REAL NOT NULL,
                    attempt INTEGER NOT NULL,
                    outcome TEXT NOT NULL,
                    notes TEXT NOT NULL
                );
                CREATE INDEX attempts_by_destination ON attempts(destination, id);
                CREATE TABLE stats_seconds (
                    destination TEXT NOT NULL,
                    second INTEGER NOT NULL,
                    received INTEGER NOT NULL, delivered INTEGER NOT NULL, skipped INTEGER NOT NULL,
                    retried INTEGER NOT NULL, failed INTEGER NOT NULL, dead_lettered INTEGER NOT NULL,
                    in_flight INTEGER NOT NULL, queue_depth INTEGER NOT NULL, oldest_queued_ms INTEGER NOT NULL,
                    p50_ms REAL NOT NULL, p95_ms REAL NOT NULL, p99_ms REAL NOT NULL,
                    PRIMARY KEY (destination, second)
                );
                CREATE TABLE skip_reasons (
                    destination TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    PRIMARY KEY (destination, reason)
                );
                CREATE TABLE rate_limits (
                    destination TEXT NOT NULL,
                    window TEXT NOT NULL,
                    label TEXT NOT NULL,
                    documented_limit INTEGER NOT NULL,
                    operator_limit INTEGER NOT NULL,
                    header_limit INTEGER,
                    remaining INTEGER,
                    reset_at INTEGER,
                    recent_429s INTEGER NOT NULL,
                    throttled_until INTEGER,
                    updated_at INTEGER NOT NULL,
                    PRIMARY KEY (destination, window)
                );
                CREATE TABLE mapping_state (
                    destination TEXT NOT NULL,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (destination, key)
                );
                """)
        }
        // Queued jobs are inserted and deleted once per delivery and are only ever looked up by
        // id, or all at once at start; only held and dead ones are searched by state.
        migrator.registerMigration("v3-job-state-indexes") { db in
            try db.execute(sql: """
                DROP INDEX jobs_by_state;
                CREATE INDEX jobs_dead ON jobs(id) WHERE state = 'dead';
                CREATE INDEX jobs_dead_by_destination ON jobs(destination, id) WHERE state = 'dead';
                CREATE INDEX jobs_held ON jobs(hold_until) WHERE state = 'held';
                """)
        }
    }
}

extension SQLiteEventStore: DeliveryStore {
    public func settings() async throws -> [SettingsRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT destination, json, version, updated_at FROM destination_settings ORDER BY destination").map {
                SettingsRecord(destination: $0["destination"], json: $0["json"], version: $0["version"], updatedAt: $0["updated_at"])
            }
        }
    }

    public func settingsVersion() async throws -> Int64 {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(version), 0) FROM destination_settings") ?? 0 }
    }

    public func saveSettings(destination: String, json: String, changedFields: [String], osUser: String, origin: String) async throws {
        let now = Date().millis
        try await pool.write { db in
            let version = (try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(version), 0) FROM destination_settings") ?? 0) + 1
            try db.execute(sql: """
                INSERT INTO destination_settings (destination, json, version, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(destination) DO UPDATE SET json = excluded.json, version = excluded.version, updated_at = excluded.updated_at
                """, arguments: [destination, json, version, now])
            for field in changedFields {
                try db.execute(sql: "INSERT INTO settings_audit (at, os_user, destination, field, origin) VALUES (?, ?, ?, ?, ?)",
                               arguments: [now, osUser, destination, field, origin])
            }
        }
    }

    public func settingsAudit(limit: Int) async throws -> [SettingsAuditEntry] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT at, os_user, destination, field, origin FROM settings_audit ORDER BY id DESC LIMIT ?", arguments: [limit]).map {
                SettingsAuditEntry(at: $0["at"], osUser: $0["os_user"], destination: $0["destination"], field: $0["field"], origin: $0["origin"])
            }
        }
    }

    public func route(limit: Int, decide: @Sendable (StoredEvent) -> [RouteDecision]) async throws -> (jobs: [Job], skips: [RouteDecision], events: Int) {
        // Read and decide outside the write transaction: deciding parses every event, and the
        // single writer is shared with ingest and with delivery outcomes.
        let (cursor, read) = try await pool.read { db in
            let cursor = try Int64.fetchOne(db, sql: "SELECT last_event_id FROM router_cursor WHERE name = 'main'") ?? 0
            let select = try db.cachedStatement(sql: """
                SELECT \(SQLiteEventStore.storedEventColumns) FROM events
                WHERE id > ? ORDER BY id LIMIT ?
                """)
            return (cursor, try Self.storedEvents(select, db) { $0.bind(1, cursor); $0.bind(2, Int64(limit)) })
        }
        guard let last = read.last else { return ([], [], 0) }
        var events = read
        recentlyAppended.attach(to: &events)
        let decisions = events.map { (event: $0, decisions: decide($0)) }
        return try await pendingJobUpdates.write(pool) { db in
            let current = try Int64.fetchOne(db, sql: "SELECT last_event_id FROM router_cursor WHERE name = 'main'") ?? 0
            guard current == cursor else { return ([], [], 0) }  // another router got here first
            let now = Date().millis
            var jobs: [Job] = []
            var skips: [RouteDecision] = []
            let insert = try db.cachedStatement(sql: """
                INSERT INTO jobs (destination, lane, event_id, type, message_id, enqueued_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for (event, eventDecisions) in decisions {
                for decision in eventDecisions {
                    switch decision {
                    case .enqueue(let destination, let lane):
                        let row = RawStatement(insert, db)
                        row.bind(1, destination)
                        row.bind(2, lane)
                        row.bind(3, event.id)
                        row.bind(4, event.record.type.rawValue)
                        row.bind(5, event.record.messageId)
                        row.bind(6, now)
                        row.bind(7, now)
                        try row.run()
                        jobs.append(Job(id: db.lastInsertedRowID, destination: destination, lane: lane, eventId: event.id,
                                        type: event.record.type, messageId: event.record.messageId, enqueuedAt: now, nextAttemptAt: now))
                    case .skip:
                        skips.append(decision)
                    }
                }
            }
            try db.execute(sql: """
                INSERT INTO router_cursor (name, last_event_id) VALUES ('main', ?)
                ON CONFLICT(name) DO UPDATE SET last_event_id = excluded.last_event_id
                """, arguments: [last.id])
            return (jobs, skips, read.count)
        }
    }

    public func jobs(states: [JobState], destination: String?) async throws -> [Job] {
        try await pool.read { db in
            var sql = "SELECT * FROM jobs WHERE state IN (\(states.map { "'\($0.rawValue)'" }.joined(separator: ",")))"
            var arguments: StatementArguments = []
            if let destination { sql += " AND destination = ?"; arguments += [destination] }
            sql += " ORDER BY id"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.job)
        }
    }

    public func apply(_ updates: [JobUpdate], queued: () -> Void, settled: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        guard !updates.isEmpty else {
            queued()
            return settled(.success(()))
        }
        let scheduleWrite = pendingJobUpdates.add(updates, settled)
        queued()
        guard scheduleWrite else { return }
        // Nothing already queued will carry them: a transaction of their own. One that
        // starts first picks them up, and this one then finds nothing to do.
        pendingJobUpdates.writeAlone(pool, after: outcomeCommitDelay)
    }

    static func apply(_ updates: [JobUpdate], _ db: Database) throws {
        do {
            let delete = try db.cachedStatement(sql: "DELETE FROM jobs WHERE id = ?")
            for update in updates {
                switch update {
                case .finished(let id):
                    let row = RawStatement(delete, db)
                    row.bind(1, id)
                    try row.run()
                case .retry(let id, let attempts, let next, let status, let error, let response):
                    try db.execute(sql: """
                        UPDATE jobs SET state = 'queued', attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ?, last_response = ? WHERE id = ?
                        """, arguments: [attempts, next, status, error, response, id])
                case .hold(let id, let key, let until, let reason):
                    try db.execute(sql: """
                        UPDATE jobs SET state = 'held', release_key = ?, hold_until = ?, last_error = ? WHERE id = ?
                        """, arguments: [key, until, reason, id])
                case .dead(let id, let attempts, let status, let error, let response, let at):
                    try db.execute(sql: """
                        UPDATE jobs SET state = 'dead', attempts = ?, last_status = ?, last_error = ?, last_response = ?, dead_at = ? WHERE id = ?
                        """, arguments: [attempts, status, error, response, at, id])
                }
            }
        }
    }

    public func releaseHeld(destination: String, releaseKey: String) async throws -> [Job] {
        // Carries the queued outcomes first: a hold queued just before the releasing call is then
        // in place when the release looks for it.
        try await pendingJobUpdates.write(pool) { db in
            let released = try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE state = 'held' AND destination = ? AND release_key = ? ORDER BY id",
                                            arguments: [destination, releaseKey]).map(Self.job)
            try db.execute(sql: """
                UPDATE jobs SET state = 'queued', release_key = NULL, hold_until = NULL, next_attempt_at = ?
                WHERE state = 'held' AND destination = ? AND release_key = ?
                """, arguments: [Date().millis, destination, releaseKey])
            return released.map { var job = $0; job.state = .queued; job.releaseKey = nil; job.holdUntil = nil; return job }
        }
    }

    public func expireHeld(now: Millis) async throws -> [Job] {
        try await pool.write { db in
            let expired = try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE state = 'held' AND hold_until <= ?", arguments: [now]).map(Self.job)
            try db.execute(sql: """
                UPDATE jobs SET state = 'dead', dead_at = ?, last_error = 'held too long: ' || COALESCE(last_error, 'waiting for a release')
                WHERE state = 'held' AND hold_until <= ?
                """, arguments: [now, now])
            return expired
        }
    }

    public func deadLetters(_ filter: DeadLetterFilter) async throws -> [Job] {
        try await pool.read { db in
            let (clause, arguments) = Self.deadLetterClause(filter)
            return try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE \(clause) ORDER BY id DESC LIMIT \(filter.limit)", arguments: arguments).map(Self.job)
        }
    }

    public func replayDeadLetters(_ filter: DeadLetterFilter, now: Millis) async throws -> [Job] {
        try await pool.write { db in
            let (clause, arguments) = Self.deadLetterClause(filter)
            let jobs = try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE \(clause) ORDER BY id LIMIT \(filter.limit)", arguments: arguments).map(Self.job)
            let update = try db.cachedStatement(sql: """
                UPDATE jobs SET state = 'queued', attempts = 0, next_attempt_at = ?, enqueued_at = ?, dead_at = NULL WHERE id = ?
                """)
            for job in jobs { try update.execute(arguments: [now, now, job.id]) }
            try db.execute(sql: """
                INSERT INTO router_cursor (name, last_event_id) VALUES ('replay', 1)
                ON CONFLICT(name) DO UPDATE SET last_event_id = last_event_id + 1
                """)
            return jobs.map { var job = $0; job.state = .queued; job.attempts = 0; job.nextAttemptAt = now; job.enqueuedAt = now; job.deadAt = nil; return job }
        }
    }

    public func replayGeneration() async throws -> Int64 {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT last_event_id FROM router_cursor WHERE name = 'replay'") ?? 0 }
    }

    public func discardDeadLetters(_ filter: DeadLetterFilter) async throws -> Int {
        try await pool.write { db in
            let (clause, arguments) = Self.deadLetterClause(filter)
            try db.execute(sql: "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE \(clause) LIMIT \(filter.limit))", arguments: arguments)
            return db.changesCount
        }
    }

    public func deadLetterCounts() async throws -> [String: Int] {
        try await pool.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT destination, COUNT(*) AS n FROM jobs WHERE state = 'dead' GROUP BY destination") {
                counts[row["destination"]] = row["n"]
            }
            return counts
        }
    }

    static func deadLetterClause(_ filter: DeadLetterFilter) -> (String, StatementArguments) {
        var conditions = ["state = 'dead'"]
        var arguments: StatementArguments = []
        if let destination = filter.destination { conditions.append("destination = ?"); arguments += [destination] }
        if let error = filter.error {
            if let status = Int(error) {
                conditions.append("last_status = ?"); arguments += [status]
            } else {
                conditions.append("last_error LIKE ? ESCAPE '\\'")
                let escaped = error.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                arguments += ["%" + escaped + "%"]
            }
        }
        if let since = filter.since { conditions.append("dead_at >= ?"); arguments += [since] }
        if let until = filter.until { conditions.append("dead_at <= ?"); arguments += [until] }
        if let ids = filter.ids { conditions.append("id IN (\(ids.map(String.init).joined(separator: ",")))") }
        return (conditions.joined(separator: " AND "), arguments)
    }

    public func appendAttempts(_ records: [AttemptRecord], ringSize: Int) async throws {
        guard !records.isEmpty else { return }
        // Trimming walks the ring's index, so it runs at most once a second; between trims the
        // ring holds at most a second more than `ringSize`.
        let trim = ringTrim.withLock { last -> Bool in
            let now = Date().timeIntervalSince1970
            guard now - last >= 1 else { return false }
            last = now
            return true
        }
        try await pendingJobUpdates.write(pool) { db in
            try Self.insertAttempts(records, ringSize: trim ? ringSize : nil, db)
        }
    }

    /// Inserts attempt records; with a `ringSize`, also trims each destination's ring to it.
    static func insertAttempts(_ records: [AttemptRecord], ringSize: Int?, _ db: Database) throws {
        guard !records.isEmpty else { return }
        do {
            let insert = try db.cachedStatement(sql: """
                INSERT INTO attempts (destination, at, message_ids, event_ids, user, call_type, method, url, request_headers, request_body,
                    status, response_headers, response_body, latency_ms, attempt, outcome, notes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var destinations = Set<String>()
            for record in records {
                destinations.insert(record.destination)
                try insert.execute(arguments: [
                    record.destination, record.at,
                    JSONWriter.string(.array(record.messageIds.map { .string($0) })),
                    JSONWriter.string(.array(record.eventIds.map { .int($0) })),
                    record.user, record.callType, record.method, record.url,
                    Self.headersJSON(record.requestHeaders), record.requestBody, record.status,
                    Self.headersJSON(record.responseHeaders), record.responseBody, record.latencyMs, record.attempt,
                    record.outcome, JSONWriter.string(.array(record.notes.map { .string($0) })),
                ])
            }
            guard let ringSize else { return }
            for destination in destinations {
                try db.execute(sql: """
                    DELETE FROM attempts WHERE destination = ? AND id <= (
                        SELECT id FROM attempts WHERE destination = ? ORDER BY id DESC LIMIT 1 OFFSET ?)
                    """, arguments: [destination, destination, ringSize])
            }
        }
    }

    public func attempts(destination: String?, limit: Int, beforeId: Int64?) async throws -> [AttemptRecord] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let destination { conditions.append("destination = ?"); arguments += [destination] }
            if let beforeId { conditions.append("id < ?"); arguments += [beforeId] }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try Row.fetchAll(db, sql: "SELECT * FROM attempts \(filter) ORDER BY id DESC LIMIT \(limit)", arguments: arguments).map(Self.attempt)
        }
    }

    public func writeStats(_ seconds: [StatsSecond], skipReasons: [String: [String: Int]], keepSeconds: Int64) async throws {
        try await pool.write { db in
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO stats_seconds (destination, second, received, delivered, skipped, retried, failed, dead_lettered,
                    in_flight, queue_depth, oldest_queued_ms, p50_ms, p95_ms, p99_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(destination, second) DO UPDATE SET
                    received = received + excluded.received, delivered = delivered + excluded.delivered,
                    skipped = skipped + excluded.skipped, retried = retried + excluded.retried, failed = failed + excluded.failed,
                    dead_lettered = dead_lettered + excluded.dead_lettered, in_flight = excluded.in_flight,
                    queue_depth = excluded.queue_depth, oldest_queued_ms = excluded.oldest_queued_ms,
                    p50_ms = excluded.p50_ms, p95_ms = excluded.p95_ms, p99_ms = excluded.p99_ms
                """)
            var newest: Int64 = 0
            for s in seconds {
                newest = max(newest, s.second)
                try upsert.execute(arguments: [s.destination, s.second, s.received, s.delivered, s.skipped, s.retried, s.failed,
                                               s.deadLettered, s.inFlight, s.queueDepth, s.oldestQueuedMs, s.p50Ms, s.p95Ms, s.p99Ms])
            }
            let reasons = try db.cachedStatement(sql: """
                INSERT INTO skip_reasons (destination, reason, count) VALUES (?, ?, ?)
                ON CONFLICT(destination, reason) DO UPDATE SET count = count + excluded.count
                """)
            for (destination, counts) in skipReasons {
                for (reason, count) in counts { try reasons.execute(arguments: [destination, reason, count]) }
            }
            if newest > 0 {
                try db.execute(sql: "DELETE FROM stats_seconds WHERE second < ?", arguments: [newest - keepSeconds])
            }
        }
    }

    public func stats(destination: String, since: Int64) async throws -> [StatsSecond] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM stats_seconds WHERE destination = ? AND second >= ? ORDER BY second",
                             arguments: [destination, since]).map { row in
                var s = StatsSecond(destination: row["destination"], second: row["second"])
                s.received = row["received"]; s.delivered = row["delivered"]; s.skipped = row["skipped"]
                s.retried = row["retried"]; s.failed = row["failed"]; s.deadLettered = row["dead_lettered"]
                s.inFlight = row["in_flight"]; s.queueDepth = row["queue_depth"]; s.oldestQueuedMs = row["oldest_queued_ms"]
                s.p50Ms = row["p50_ms"]; s.p95Ms = row["p95_ms"]; s.p99Ms = row["p99_ms"]
                return s
            }
        }
    }

    public func skipReasons(destination: String) async throws -> [(reason: String, count: Int)] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT reason, count FROM skip_reasons WHERE destination = ? ORDER BY count DESC", arguments: [destination])
                .map { (reason: $0["reason"], count: $0["count"]) }
        }
    }

    public func writeRateLimits(_ snapshots: [RateLimitSnapshot]) async throws {
        guard !snapshots.isEmpty else { return }
        try await pool.write { db in
            let upsert = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO rate_limits (destination, window, label, documented_limit, operator_limit, header_limit, remaining,
                    reset_at, recent_429s, throttled_until, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for s in snapshots {
                try upsert.execute(arguments: [s.destination, s.window, s.label, s.documentedLimit, s.operatorLimit, s.headerLimit,
                                               s.remaining, s.resetAt, s.recent429s, s.throttledUntil, s.updatedAt])
            }
        }
    }

    public func rateLimits(destination: String?) async throws -> [RateLimitSnapshot] {
        try await pool.read { db in
            let rows = destination == nil
                ? try Row.fetchAll(db, sql: "SELECT * FROM rate_limits ORDER BY destination, window")
                : try Row.fetchAll(db, sql: "SELECT * FROM rate_limits WHERE destination = ? ORDER BY window", arguments: [destination])
            return rows.map {
                RateLimitSnapshot(destination: $0["destination"], window: $0["window"], label: $0["label"], documentedLimit: $0["documented_limit"],
                                  operatorLimit: $0["operator_limit"], headerLimit: $0["header_limit"], remaining: $0["remaining"],
                                  resetAt: $0["reset_at"], recent429s: $0["recent_429s"], throttledUntil: $0["throttled_until"], updatedAt: $0["updated_at"])
            }
        }
    }

    public func mappingState(destination: String) async throws -> [String: String] {
        try await pool.read { db in
            var state: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, value FROM mapping_state WHERE destination = ?", arguments: [destination]) {
                state[row["key"]] = row["value"]
            }
            return state
        }
    }

    public func saveMappingState(destination: String, changes: [String: String?]) async throws {
        guard !changes.isEmpty else { return }
        try await pool.write { db in
            for (key, value) in changes {
                if let value {
                    try db.execute(sql: "INSERT OR REPLACE INTO mapping_state (destination, key, value) VALUES (?, ?, ?)", arguments: [destination, key, value])
                } else {
                    try db.execute(sql: "DELETE FROM mapping_state WHERE destination = ? AND key = ?", arguments: [destination, key])
                }
            }
        }
    }

    static func job(_ row: Row) -> Job {
        Job(id: row["id"], destination: row["destination"], lane: row["lane"], eventId: row["event_id"],
            type: EventType(rawValue: row["type"]) ?? .track, messageId: row["message_id"],
            state: JobState(rawValue: row["state"]) ?? .queued, attempts: row["attempts"], enqueuedAt: row["enqueued_at"],
            nextAttemptAt: row["next_attempt_at"], releaseKey: row["release_key"], holdUntil: row["hold_until"],
            lastStatus: row["last_status"], lastError: row["last_error"], lastResponse: row["last_response"], deadAt: row["dead_at"])
    }

    static func attempt(_ row: Row) -> AttemptRecord {
        func strings(_ text: String) -> [String] { (try? JSONParser.parse(text))?.arrayValue?.compactMap(\.stringValue) ?? [] }
        var record = AttemptRecord(
            destination: row["destination"], at: row["at"], messageIds: strings(row["message_ids"]),
            eventIds: (try? JSONParser.parse(row["event_ids"] as String))?.arrayValue?.compactMap { if case .int(let i) = $0 { return i } else { return nil } } ?? [],
            user: row["user"], callType: row["call_type"], method: row["method"], url: row["url"],
            requestHeaders: headers(row["request_headers"]), requestBody: row["request_body"], status: row["status"],
            responseHeaders: headers(row["response_headers"]), responseBody: row["response_body"], latencyMs: row["latency_ms"],
            attempt: row["attempt"], outcome: row["outcome"], notes: strings(row["notes"]))
        record.id = row["id"]
        return record
    }

    static func headersJSON(_ headers: [(String, String)]) -> String {
        JSONWriter.string(.array(headers.map { .array([.string($0.0), .string($0.1)]) }))
    }

    static func headers(_ text: String) -> [(String, String)] {
        guard let pairs = (try? JSONParser.parse(text))?.arrayValue else { return [] }
        return pairs.compactMap { pair in
            guard let items = pair.arrayValue, items.count == 2, let name = items[0].stringValue, let value = items[1].stringValue else { return nil }
            return (name, value)
        }
    }
}
