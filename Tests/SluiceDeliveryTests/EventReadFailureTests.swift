import Foundation
import SluiceDelivery
import SluiceDestinations
import SluiceSpec
import SluiceStore
import Synchronization
import Testing

/// The store failing to read an event back is not the event being gone: the lane waits and
/// tries again, and nothing is dead-lettered for it.
@Suite struct EventReadFailureTests {
    @Test func aFailedEventReadRetriesInsteadOfDeadLettering() async throws {
        let store = try temporaryStore()
        try await save(store, "intercom", intercomSettings())
        try await ingest(store, (0..<5).map { identify("u\($0)", "i\($0)") })
        // A first engine routes the identifies and leaves them queued (the API is down) ...
        // (An API of its own that stays down: the first engine may still be winding down.)
        let down = FakeIntercom()
        down.state.withLock { $0.rejectAllWith = 503 }
        let first = try await DeliveryEngine(store: store, transport: down, options: fastRetries())
        #expect(try await runEngine(first) { try await store.jobs(states: [.queued], destination: "intercom").count == 5 })

        // ... so the next one starts with jobs whose events it must read back, and the first reads fail.
        let api = FakeIntercom()
        let flaky = InterposedStore(store, readFailures: 8)
        let second = try await DeliveryEngine(store: flaky, transport: api, options: fastRetries())
        #expect(try await runEngine(second) { api.state.withLock { $0.contacts.count } == 5 })
        #expect(flaky.failuresLeft == 0)
        let dead = try await store.deadLetters(DeadLetterFilter())
        #expect(dead.isEmpty, "\(dead.map { "\($0.messageId): \($0.lastError ?? "")" })")
    }
}
