import Foundation
@testable import SluiceDelivery
import SluiceDestinations
import SluiceSpec
import SluiceStore
import Synchronization
import Testing

/// A delivery that frees its slot takes the next ready lane itself; the bound still holds, and
/// every lane is still served.
@Suite struct InFlightBoundTests {
    /// Counts the exchanges under way at once.
    final class Gauge: HTTPTransport {
        let api = FakeIntercom()
        let counts = Mutex((now: 0, most: 0))

        func send(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPResponse {
            counts.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
            defer { counts.withLock { $0.now -= 1 } }
            try await Task.sleep(for: .milliseconds(2))
            return try await api.send(request, timeout: timeout)
        }
    }

    @Test func deliveriesNeverExceedTheBoundAndEveryLaneIsServed() async throws {
        let store = try temporaryStore()
        try await save(store, "intercom", intercomSettings())
        var calls: [JSON] = []
        for user in 0..<40 { calls += [identify("u\(user)", "i\(user)"), track("u\(user)", "t\(user)a"), track("u\(user)", "t\(user)b")] }
        try await ingest(store, calls)
        let transport = Gauge()
        var options = fastRetries()
        options.maxInFlightPerDestination = 4
        let engine = try await DeliveryEngine(store: store, transport: transport, options: options)
        #expect(try await runEngine(engine) { transport.api.state.withLock { $0.events.count } == 80 })
        #expect(transport.counts.withLock { $0.most } <= 4)
        #expect(transport.counts.withLock { $0.most } >= 2, "lanes ran side by side")
        #expect(transport.api.state.withLock { $0.trackBeforeIdentify } == 0)
    }

    @Test func aFreedSlotTakesOneReadyLaneAndAHeldSlotTakesNone() throws {
        let worker = DestinationWorker(id: .intercom, limiter: RateLimiter(destination: .intercom, windows: [], documented: []),
                                       mappingState: SharedMappingState([:]), maxInFlight: 2)
        let jobs = (1...5).map { n in
            Job(id: Int64(n), destination: "intercom", lane: "user:u\(n)", eventId: Int64(n), type: .track, messageId: "m\(n)", state: .queued,
                attempts: 0, enqueuedAt: 0, nextAttemptAt: 0, lastStatus: nil, lastError: nil, lastResponse: nil, deadAt: nil)
        }
        worker.enqueue(jobs)
        let first = worker.takeBatches(coalesce: false)
        #expect(first.map(\.lane) == ["user:u1", "user:u2"])
        // Its outcome is queued, not committed: the slot is still taken.
        worker.complete(first[0], .removed, keepingSlot: true)
        #expect(worker.takeBatches(coalesce: false, limit: 1).isEmpty)
        worker.releaseSlot()
        #expect(worker.takeBatches(coalesce: false, limit: 1).map(\.lane) == ["user:u3"])
        #expect(worker.takeBatches(coalesce: false).isEmpty, "both slots are taken again")
    }
}
