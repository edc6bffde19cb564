import Foundation
import GRDB
import SluiceDelivery
import SluiceStore
import Testing

/// Attempt records leave the engine's ring when a flush takes them; a stopping engine must not
/// cancel the write that carries them, or the inspector loses them.
@Suite struct AttemptFlushTests {
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
}
