import Foundation
import GRDB
import SluiceDelivery
import SluiceStore
import Testing

/// What the engine keeps in memory between writes (attempt records, stats, mapping state) is
/// written when it stops, and a stop does not cancel a write already under way.
@Suite struct EngineStopTests {
    /// Attempt records leave the engine's ring when a flush takes them; a stop must not cancel
    /// the write that carries them, or the inspector loses them.
    @Test func stoppingWhileAFlushWaitsForTheDatabaseKeepsItsRecords() async throws {
        let store = try temporaryStore()
        try await save(store, "intercom", intercomSettings())
        try await ingest(store, [identify("u1", "i1")])
        let api = FakeIntercom()
        var options = fastRetries()
        options.attemptFlushInterval = .milliseconds(400)
        let engine = try await DeliveryEngine(store: store, transport: api, options: options)
        let task = Task { try await engine.run() }
        let delivered = ContinuousClock.now
        while ContinuousClock.now - delivered < .seconds(10), !engine.isIdle || api.state.withLock({ $0.contacts["u1"] == nil }) {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(api.state.withLock { $0.contacts["u1"] != nil })

        // Another connection holds the write lock, so the next flush waits for it; the engine
        // is stopped while it waits, and the lock is let go after that.
        let other = try DatabaseQueue(path: store.path)
        let release = DispatchSemaphore(value: 0)
        try await withCheckedThrowingContinuation { (locked: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                do {
                    try other.inTransaction(.immediate) { _ in
                        locked.resume()
                        release.wait()
                        return .commit
                    }
                } catch {
                    locked.resume(throwing: error)
                }
            }
        }
        try await Task.sleep(for: .milliseconds(900))
        task.cancel()
        try await Task.sleep(for: .milliseconds(300))
        release.signal()
        _ = try? await task.value

        let records = try await store.attempts(destination: "intercom", limit: 10, beforeId: nil)
        #expect(records.contains { $0.url.hasSuffix("/contacts") && $0.messageIds == ["i1"] }, "\(records.map(\.url))")
    }

    /// Mapping state (here Intercom's registry of event names) is saved every housekeeping
    /// interval; an engine stopped between two saves saves it on the way out.
    @Test func aStoppedEngineSavesItsMappingState() async throws {
        let store = try temporaryStore()
        try await save(store, "intercom", intercomSettings())
        try await ingest(store, [identify("u1", "i1"), track("u1", "t1")])
        let api = FakeIntercom()
        var options = fastRetries()
        options.housekeepingInterval = .seconds(3600)  // so only the stop can save it
        let engine = try await DeliveryEngine(store: store, transport: api, options: options)
        let task = Task { try await engine.run() }
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .seconds(10), api.state.withLock({ $0.events.isEmpty }) {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(try await store.mappingState(destination: "intercom").isEmpty, "nothing saved while it runs")
        task.cancel()
        _ = try? await task.value
        let state = try await store.mappingState(destination: "intercom")
        #expect(!state.isEmpty, "the event name registry was saved")
    }
}
