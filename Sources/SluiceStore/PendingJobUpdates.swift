import GRDB
import Synchronization

/// Delivery outcomes waiting for a write transaction. Every transaction the store opens on the
/// hot path (ingest's group commit, the router's job inserts, attempt records) carries whatever
/// is queued, so an outcome waits for at most the transaction in progress and the next one,
/// however many others are queued on the single writer. Outcomes are applied in the order they
/// were queued, and their callers resume only once the transaction carrying them is committed.
final class PendingJobUpdates: Sendable {
    private struct State {
        var updates: [JobUpdate] = []
        var waiters: [CheckedContinuation<Void, any Error>] = []
        var writeScheduled = false
    }

    struct RolledBack: Error, CustomStringConvertible {
        var description: String { "the transaction carrying delivery outcomes was rolled back" }
    }

    private let state = Mutex(State())

    /// Queues `updates`; returns whether the caller must schedule a transaction for them (none is
    /// due to pick them up yet).
    func add(_ updates: [JobUpdate], _ waiter: CheckedContinuation<Void, any Error>) -> Bool {
        state.withLock { state in
            state.updates += updates
            state.waiters.append(waiter)
            if state.writeScheduled { return false }
            state.writeScheduled = true
            return true
        }
    }

    /// Inside a write transaction: applies everything queued, in a savepoint so that a failure
    /// fails only these outcomes and not the transaction's own work.
    func applyQueued(_ db: Database) {
        let (updates, waiters) = takeAll()
        guard !waiters.isEmpty else { return }
        do {
            try db.inSavepoint {
                try SQLiteEventStore.apply(updates, db)
                return .commit
            }
            db.afterNextTransaction(
                onCommit: { _ in for waiter in waiters { waiter.resume() } },
                onRollback: { _ in for waiter in waiters { waiter.resume(throwing: RolledBack()) } })
        } catch {
            for waiter in waiters { waiter.resume(throwing: error) }
        }
    }

    /// Fails everything queued (the transaction meant to carry it could not start).
    func failQueued(_ error: any Error) {
        for waiter in takeAll().waiters { waiter.resume(throwing: error) }
    }

    private func takeAll() -> (updates: [JobUpdate], waiters: [CheckedContinuation<Void, any Error>]) {
        state.withLock { state in
            defer {
                state.updates.removeAll(keepingCapacity: true)
                state.waiters.removeAll(keepingCapacity: true)
                state.writeScheduled = false
            }
            return (state.updates, state.waiters)
        }
    }
}
