import Foundation
@testable import SluiceDelivery
import SluiceDestinations
import SluiceSpec
import SluiceStore
import Testing

/// Attempt records wait in memory and reach the store in batches: the newest `ringSize` per
/// destination, in order, and none lost when the engine stops.
@Suite struct AttemptRingTests {
    static func record(_ destination: DestinationID, _ n: Int) -> PendingAttempt {
        PendingAttempt(destination: destination, at: Millis(n),
                       jobs: [Job(id: Int64(n), destination: destination.rawValue, lane: "u", eventId: Int64(n), type: .track, messageId: "m\(n)", enqueuedAt: 0, nextAttemptAt: 0)],
                       user: "u", request: HTTPRequest(.POST, "http://x/\(n)", headers: ["Authorization": "Bearer s3cret"], body: .json(["k": "s3cret"]), secrets: [Secret("s3cret")]),
                       body: Array(#"{"k":"s3cret"}"#.utf8), response: HTTPResponse(status: 202), latencyMs: 1, attempt: 1, outcome: "delivered")
    }

    @Test func recordsAreMaskedWhenTaken() throws {
        let ring = AttemptRing(ringSize: 3)
        ring.append([Self.record(.intercom, 1)])
        let record = try #require(ring.take().first)
        #expect(record.messageIds == ["m1"] && record.eventIds == [1] && record.callType == "track" && record.status == 202)
        #expect(record.url == "http://x/1" && record.outcome == "delivered")
        #expect(!record.requestBody.contains("s3cret") && !record.requestHeaders.contains { $0.1.contains("s3cret") })
    }

    @Test func keepsTheNewestPerDestinationInOrder() {
        let ring = AttemptRing(ringSize: 3)
        ring.append((0..<10).map { Self.record(.intercom, $0) })
        ring.append([Self.record(.zendesk, 100)])
        ring.append((10..<12).map { Self.record(.intercom, $0) })
        let taken = ring.take()
        #expect(taken.filter { $0.destination == "intercom" }.map(\.at) == [9, 10, 11])
        #expect(taken.filter { $0.destination == "zendesk" }.map(\.at) == [100])
        #expect(ring.take().isEmpty, "taking empties the ring")
    }

    @Test func appendingManyStaysBounded() {
        let ring = AttemptRing(ringSize: 100)
        for n in 0..<10_000 { ring.append([Self.record(.intercom, n)]) }
        let taken = ring.take()
        #expect(taken.count == 100)
        #expect(taken.first?.at == 9_900 && taken.last?.at == 9_999)
    }

    @Test func theEngineWritesOutItsLastRecordsWhenItStops() async throws {
        let store = try temporaryStore()
        try await save(store, "intercom", intercomSettings())
        try await ingest(store, [identify("u1", "i1"), track("u1", "t1")])
        let api = FakeIntercom()
        var options = fastRetries()
        options.attemptFlushInterval = .seconds(3_600)  // only the flush on the way out can write them
        let engine = try await DeliveryEngine(store: store, transport: api, options: options)
        let task = Task { try await engine.run() }
        while api.state.withLock({ $0.events.count }) < 1 || !engine.isIdle { try await Task.sleep(for: .milliseconds(10)) }
        #expect(try await store.attempts(destination: "intercom", limit: 10, beforeId: nil).isEmpty)
        task.cancel()
        _ = try? await task.value
        let attempts = try await store.attempts(destination: "intercom", limit: 10, beforeId: nil)
        #expect(attempts.contains { $0.url.hasSuffix("/events") && $0.messageIds == ["t1"] })
    }
}
