import Foundation
import GRDB

/// The ingest benchmark's lower-level baseline: the same rows inserted straight through GRDB,
/// one transaction per batch, with no HTTP, parsing or group commit in the way.
public enum RawInsertBaseline {
    public static func run(records: [EventRecord], batchSize: Int, path: String, durability: Durability) throws -> Duration {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try StoreSchema.migrator.migrate(pool)
        let clock = ContinuousClock()
        let start = clock.now
        var index = 0
        while index < records.count {
            let batch = records[index..<min(index + batchSize, records.count)]
            try pool.write { db in
                let insert = try db.cachedStatement(sql: """
                    INSERT INTO events (source, message_id, type, user_id, anonymous_id, received_at, payload)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(source, message_id) DO NOTHING
                    """)
                for record in batch {
                    insert.setUncheckedArguments([
                        record.source, record.messageId, record.type.rawValue, record.userId, record.anonymousId,
                        record.receivedAt, String(decoding: record.payload, as: UTF8.self),
                    ])
                    try insert.execute()
                }
            }
            index += batchSize
        }
        return clock.now - start
    }
}
