import Foundation
@testable import SluiceDelivery
import SluiceDestinations
import SluiceSpec
import SluiceStore
import Synchronization
import Testing

/// A delivery that frees its slot takes the next ready lane itself; the bounds still hold, and
/// every lane is still served. Exchanges are bounded apart from outcomes waiting for their
/// commit, so a slow commit does not hold the next exchange back.
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

    /// A store with Intercom enabled and 40 users' identify, track, track ingested: 80 tracks to deliver.
    static func fortyUsers() async throws -> SQLiteEventStore {
        let store = try temporaryStore()
        try await save(store, "intercom", intercomSettings())
        var calls: [JSON] = []
        for user in 0..<40 { calls += [identify("u\(user)", "i\(user)"), track("u\(user)", "t\(user)a"), track("u\(user)", "t\(user)b")] }
        try await ingest(store, calls)
        return store
    }

    @Test func deliveriesNeverExceedTheBoundAndEveryLaneIsServed() async throws {
        let store = try await Self.fortyUsers()
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

    static func jobs(_ count: Int) -> [Job] {
        (1...count).map { n in
            Job(id: Int64(n), destination: "intercom", lane: "user:u\(n)", eventId: Int64(n), type: .track, messageId: "m\(n)", state: .queued,
                attempts: 0, enqueuedAt: 0, nextAttemptAt: 0, lastStatus: nil, lastError: nil, lastResponse: nil, deadAt: nil)
        }
    }

    @Test func anExchangeFreedBeforeItsCommitTakesTheNextLaneUpToTheInFlightBound() async throws {
        let worker = DestinationWorker(id: .intercom, limiter: RateLimiter(destination: .intercom, windows: [], documented: []),
                                       mappingState: SharedMappingState([:]), maxInFlight: 3, maxExchanges: 2)
        worker.enqueue(Self.jobs(5))
        let first = worker.takeBatches(coalesce: false)
        #expect(first.map(\.lane) == ["user:u1", "user:u2"], "two exchanges at most")
        #expect(worker.counts == (inFlight: 2, exchanging: 2))
        // An outcome queued for commit frees its exchange and keeps its in-flight slot.
        worker.complete(first[0], .removed, keepingSlot: true)
        #expect(worker.counts == (inFlight: 1 + 1, exchanging: 1))
        #expect(worker.takeBatches(coalesce: false, limit: 1).map(\.lane) == ["user:u3"])
        worker.complete(first[1], .removed, keepingSlot: true)
        #expect(worker.counts == (inFlight: 3, exchanging: 1))
        #expect(worker.takeBatches(coalesce: false).isEmpty, "every in-flight slot is taken, though an exchange is free")

        // The commit that frees a slot the bound was short of wakes the worker loop.
        var signals = worker.signals.makeAsyncIterator()
        worker.wake()
        _ = await signals.next()
        worker.releaseSlot()
        let timedOut = Mutex(false)
        let timeout = Task {
            try await Task.sleep(for: .seconds(5))
            timedOut.withLock { $0 = true }
            worker.wake()
        }
        _ = await signals.next()
        timeout.cancel()
        #expect(!timedOut.withLock { $0 }, "the freed slot woke the worker loop")
        #expect(worker.takeBatches(coalesce: false).map(\.lane) == ["user:u4"])
        #expect(worker.counts == (inFlight: 3, exchanging: 2))
    }

    @Test func aSlowCommitDoesNotHoldTheNextExchangeBack() async throws {
        let sqlite = try await Self.fortyUsers()
        let store = InterposedStore(sqlite, settleDelay: .milliseconds(25))
        let transport = Gauge()
        var options = fastRetries()
        options.maxInFlightPerDestination = 8
        options.maxExchangesPerDestination = 2
        let engine = try await DeliveryEngine(store: store, transport: transport, options: options)
        let run = Task { try await engine.run() }
        let deadline = ContinuousClock.now + .seconds(20)
        while transport.api.state.withLock({ $0.events.count }) < 80, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        // Stopped as the last exchange ends: the engine still waits for the outcomes it queued.
        run.cancel()
        _ = await run.result
        #expect(transport.api.state.withLock { $0.events.count } == 80)
        #expect(transport.counts.withLock { $0.most } <= 2)
        let unsettled = store.unsettled.withLock { $0 }
        #expect(unsettled.most <= 8)
        #expect(unsettled.most > 2, "deliveries went on while earlier outcomes waited for their commit")
        #expect(unsettled.now == 0, "a stopped engine has every queued outcome settled")
        #expect(transport.api.state.withLock { $0.trackBeforeIdentify } == 0)
        #expect(try await sqlite.jobs(states: [.queued], destination: "intercom").isEmpty)
    }
}
