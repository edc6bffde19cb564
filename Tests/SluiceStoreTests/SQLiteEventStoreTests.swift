import Foundation
import SluiceSpec
@testable import SluiceStore
import Synchronization
import Testing

@Suite struct SQLiteEventStoreTests {
    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sluice-store-\(UUID().uuidString)/events.sqlite").path
    }

    func record(_ id: String, source: String = "web", type: EventType = .track, user: String = "u1") -> EventRecord {
        let payload: JSON = ["type": .string(type.rawValue), "messageId": .string(id), "userId": .string(user), "event": "E"]
        return EventRecord(source: source, messageId: id, type: type, userId: user, anonymousId: nil, receivedAt: 1_700_000_000_000, payload: JSONWriter.bytes(payload))
    }

    @Test func concurrentAppendsAreAllCommittedAndReportedPerCaller() async throws {
        let store = try SQLiteEventStore(path: temporaryPath())
        let results = try await withThrowingTaskGroup(of: AppendResult.self) { group in
            for caller in 0..<40 {
                group.addTask { try await store.append((0..<50).map { self.record("c\(caller)-\($0)") }) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 40)
        #expect(results.allSatisfy { $0.inserted == 50 && $0.duplicates == 0 })
        #expect(try await store.eventCount() == 2_000)
    }

    @Test func duplicatesAreReportedByPositionAndCounted() async throws {
        let store = try SQLiteEventStore(path: temporaryPath())
        _ = try await store.append([record("a"), record("b")])
        let result = try await store.append([record("b"), record("c"), record("a"), record("c")], rejected: ["web": 2])
        #expect(result == AppendResult(inserted: 1, duplicateIndexes: [0, 2, 3]))
        #expect(try await store.sourceCounters() == [SourceCounters(source: "web", accepted: 3, duplicates: 3, rejected: 2)])
    }

    @Test func survivesReopeningAndMigrationsAreIdempotent() async throws {
        let path = temporaryPath()
        do {
            let store = try SQLiteEventStore(path: path)
            _ = try await store.append([record("kept")])
        }
        let reopened = try SQLiteEventStore(path: path)
        #expect(try await reopened.events(EventQuery(limit: 5)).map(\.record.messageId) == ["kept"])
        #expect(await reopened.isReady())
    }

    @Test func queriesFilterAndFollow() async throws {
        let store = try SQLiteEventStore(path: temporaryPath())
        _ = try await store.append([record("1"), record("2", type: .identify), record("3", source: "mobile"), record("4", user: "u2")])
        #expect(try await store.events(EventQuery(limit: 2)).map(\.record.messageId) == ["4", "3"])
        #expect(try await store.events(EventQuery(limit: 10, type: .identify)).map(\.record.messageId) == ["2"])
        #expect(try await store.events(EventQuery(limit: 10, source: "mobile")).map(\.record.messageId) == ["3"])
        #expect(try await store.events(EventQuery(limit: 10, userId: "u2")).map(\.record.messageId) == ["4"])
        let first = try #require(try await store.events(EventQuery(limit: 10)).last)
        #expect(try await store.events(EventQuery(limit: 10, afterId: first.id)).map(\.record.messageId) == ["2", "3", "4"])
        let event = try #require(try await store.event(id: first.id)).event()
        #expect(event.messageId == "1" && event.event == "E")
    }

    @Test func readsManyEventsByIdInOneCall() async throws {
        let store = try SQLiteEventStore(path: temporaryPath())
        _ = try await store.append((0..<1_200).map { record("m-\($0)") })
        let all = try await store.events(EventQuery(limit: 2_000))
        let wanted = all.map(\.id).filter { $0 % 2 == 0 } + [999_999]  // more than one statement's worth, and one missing
        let found = try await store.events(ids: wanted)
        #expect(Set(found.map(\.id)) == Set(wanted.dropLast()))
        let messageIds = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0.record.messageId) })
        #expect(found.allSatisfy { messageIds[$0.id] == $0.record.messageId })
        #expect(try await store.events(ids: []).isEmpty)
    }

    @Test func rejectsMoreThanTheBacklogBound() async throws {
        let store = try SQLiteEventStore(path: temporaryPath(), options: SQLiteStoreOptions(maxPendingEvents: 10))
        // A single oversized submission into an idle store still goes through: the bound only
        // applies on top of an existing backlog.
        #expect(try await store.append((0..<20).map { record("big-\($0)") }).inserted == 20)
    }

    @Test func theDatabaseIsInWALMode() async throws {
        let path = temporaryPath()
        let store = try SQLiteEventStore(path: path)
        _ = try await store.append([record("w")])
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        withExtendedLifetime(store) {}
    }

    /// Ingest's parsed calls reach the router in the same process: the payload is not parsed
    /// again, and nothing is kept once routed. Records without a parsed form are parsed as before.
    @Test func theRouterGetsIngestsParsedEventsWithoutParsingAgain() async throws {
        let store = try SQLiteEventStore(path: temporaryPath())
        let payload: JSONObject = ["type": "track", "messageId": "m1", "userId": "u1", "event": "Stored", "receivedAt": "2026-12-02T00:00:00.000Z"]
        var fromIngest = EventRecord(source: "web", messageId: "m1", type: .track, userId: "u1", anonymousId: nil, receivedAt: 1,
                                     payload: JSONWriter.bytes(.object(payload)))
        fromIngest.parsed = try Event(payload: ["type": "track", "messageId": "m1", "userId": "u1", "event": "In memory"])
        var plain = fromIngest
        plain.messageId = "m2"
        plain.parsed = nil
        _ = try await store.append([fromIngest, fromIngest, plain])  // the second is a duplicate
        #expect(store.recentlyAppended.count == 1)
        let names = Mutex([String]())
        _ = try await store.route(limit: 10) { stored in
            names.withLock { $0.append((try? stored.event())?.event ?? "?") }
            return []
        }
        #expect(names.withLock { $0 } == ["In memory", "Stored"])
        #expect(store.recentlyAppended.count == 0)
        #expect(try await store.event(id: 1)?.record.parsed == nil, "never stored")
    }
}
