import Foundation
import SluiceServer
import SluiceSpec
import SluiceStore
import Testing

@Suite struct IngestAPITests {
    @Test func everySinglePathStoresItsCallType() async throws {
        let fixture = try IngestFixture()
        try await fixture.run { client in
            for type in EventType.allCases {
                let reply = try await client.post("/v1/\(type.rawValue)", json: call(type.rawValue, "m-\(type.rawValue)"))
                #expect(reply.status == 200)
                #expect(reply.text == #"{"success":true}"#)
            }
        }
        let stored = try await fixture.store.events(EventQuery(limit: 10))
        #expect(Set(stored.map(\.record.type)) == Set(EventType.allCases))
        #expect(stored.allSatisfy { $0.record.source == "web" })
    }

    @Test func batchAndImportStoreEveryItemWithBatchContextMerged() async throws {
        let fixture = try IngestFixture()
        try await fixture.run { client in
            let body: JSON = [
                "batch": [call("identify", "b1", extra: ["context": ["ip": "1.1.1.1"]]), call("track", "b2")],
                "context": ["library": ["name": "analytics-python", "version": "2.4.0"], "ip": "9.9.9.9"],
                "integrations": ["All": true],
                "sentAt": "2026-11-22T10:00:00Z",
            ]
            try await client.expectOK("/v1/batch", json: body)
            try await client.expectOK("/v1/import", json: ["batch": [call("page", "b3")]])
        }
        let stored = try await fixture.store.events(EventQuery(limit: 10)).reversed().map { try $0.event() }
        #expect(stored.map(\.messageId) == ["b1", "b2", "b3"])
        #expect(stored[0].context == ["ip": "1.1.1.1", "library": ["name": "analytics-python", "version": "2.4.0"]])
        #expect(stored[1].context["ip"] == "9.9.9.9")
        #expect(stored[1].integrations == ["All": true])
        #expect(stored[1].payload["sentAt"] == "2026-11-22T10:00:00Z")
        #expect(stored[0].receivedAt != nil)
    }

    @Test func allThreeAuthFormsWork() async throws {
        let fixture = try IngestFixture()
        try await fixture.run { client in
            try await client.expectOK("/v1/track", json: call("track", "basic"))
            try await client.expectOK("/v1/track", json: call("track", "body", extra: ["writeKey": .string(mobileKey)]), authorization: nil)
            try await client.expectOK("/v1/track", json: call("track", "bearer", extra: ["writeKey": .string(mobileKey)]), authorization: "Bearer some-oauth-token")
        }
        let bySource = Dictionary(grouping: try await fixture.store.events(EventQuery(limit: 10)), by: \.record.messageId).mapValues { $0[0].record.source }
        #expect(bySource == ["basic": "web", "body": "mobile", "bearer": "mobile"])
        let payloads = try await fixture.store.events(EventQuery(limit: 10)).map(\.payloadText)
        #expect(payloads.allSatisfy { !$0.contains(mobileKey) })
    }

    @Test func gzipBodiesAreAccepted() async throws {
        let fixture = try IngestFixture()
        try await fixture.run { client in
            let body = Gzip.compress(JSONWriter.bytes(["batch": [call("track", "gz1"), call("track", "gz2")]]))
            let reply = try await client.post("/v1/batch", body, encoding: "gzip")
            #expect(reply.status == 200)
        }
        #expect(try await fixture.store.eventCount() == 2)
    }

    @Test func duplicateMessageIdsAreDroppedAndCountedPerSource() async throws {
        let fixture = try IngestFixture()
        try await fixture.run { client in
            for _ in 0..<3 { try await client.expectOK("/v1/track", json: call("track", "same")) }
            try await client.expectOK("/v1/batch", json: ["batch": [call("track", "same"), call("track", "other"), call("track", "other")]])
            // The same messageId from another source is a different event.
            try await client.expectOK("/v1/track", json: call("track", "same"), authorization: basic(mobileKey))
        }
        #expect(try await fixture.store.eventCount() == 3)
        let counters = try await fixture.store.sourceCounters()
        #expect(counters.first { $0.source == "web" } == SourceCounters(source: "web", accepted: 2, duplicates: 4, rejected: 0))
        #expect(counters.first { $0.source == "mobile" }?.accepted == 1)
    }

    @Test func mixedBatchStoresTheValidItemsAndNamesTheRejected() async throws {
        let fixture = try IngestFixture()
        try await fixture.run { client in
            let body: JSON = ["batch": [
                call("track", "ok-1"),
                ["type": "track", "messageId": "no-user", "event": "x"],
                call("identify", "ok-2"),
                call("track", "bad-id", extra: ["userId": ["nested": true]]),
                "not an object",
            ]]
            let reply = try await client.post("/v1/batch", json: body)
            #expect(reply.status == 200)
            #expect(reply.json == [
                "success": true,
                "rejected": [
                    ["index": 1, "code": "no_user_anon_id", "message": "every call needs a userId or an anonymousId", "messageId": "no-user"],
                    ["index": 3, "code": "invalid_field", "message": "userId must be a string, not an object", "messageId": "bad-id"],
                    ["index": 4, "code": "invalid_field", "message": "each call must be a JSON object, not a string"],
                ],
            ])
        }
        #expect(try await fixture.store.events(EventQuery(limit: 10)).map(\.record.messageId).sorted() == ["ok-1", "ok-2"])
        #expect(try await fixture.store.sourceCounters().first?.rejected == 3)
    }

    @Test func healthAndReadiness() async throws {
        let fixture = try IngestFixture()
        try await fixture.run { client in
            let health = try await client.get("/healthz")
            #expect(health.status == 200 && health.text == #"{"status":"ok"}"#)
            let ready = try await client.get("/readyz")
            #expect(ready.status == 200 && ready.text == #"{"status":"ready"}"#)
        }
    }

    @Test func textPlainFromBrowsersIsAccepted() async throws {
        let fixture = try IngestFixture()
        try await fixture.run { client in
            try await client.expectOK("/v1/page", JSONWriter.bytes(call("page", "p")), contentType: "text/plain;charset=UTF-8")
        }
    }

    @Test func overloadedStoreShedsWith429AndRetryAfter() async throws {
        let handler = IngestHandler(configuration: IngestConfiguration(sources: [Source(name: "web", writeKey: webKey)]), store: OverloadedStore())
        let reply = await handler.handle(.init(endpoint: .single(.track), authorization: basic(webKey), body: JSONWriter.bytes(call("track", "x"))))
        #expect(reply.status == 429)
        #expect(reply.retryAfterSeconds == 1)
        #expect(try JSONParser.parse(reply.body)["code"] == "overloaded")
    }

    @Test func storeFailureIs503NotASilentDrop() async throws {
        let handler = IngestHandler(configuration: IngestConfiguration(sources: [Source(name: "web", writeKey: webKey)]), store: FailingStore())
        let reply = await handler.handle(.init(endpoint: .single(.track), authorization: basic(webKey), body: JSONWriter.bytes(call("track", "x"))))
        #expect(reply.status == 503)
        #expect(try JSONParser.parse(reply.body)["code"] == "store_unavailable")
    }
}

final class OverloadedStore: EventStore {
    func append(_ records: [EventRecord], rejected: [String: Int]) async throws -> AppendResult { throw StoreOverloaded(pendingEvents: 60_000) }
    func events(_ query: EventQuery) async throws -> [StoredEvent] { [] }
    func event(id: Int64) async throws -> StoredEvent? { nil }
    func eventCount() async throws -> Int { 0 }
    func sourceCounters() async throws -> [SourceCounters] { [] }
    func isReady() async -> Bool { true }
}

final class FailingStore: EventStore {
    struct DiskFull: Error {}
    func append(_ records: [EventRecord], rejected: [String: Int]) async throws -> AppendResult { throw DiskFull() }
    func events(_ query: EventQuery) async throws -> [StoredEvent] { [] }
    func event(id: Int64) async throws -> StoredEvent? { nil }
    func eventCount() async throws -> Int { 0 }
    func sourceCounters() async throws -> [SourceCounters] { [] }
    func isReady() async -> Bool { false }
}
