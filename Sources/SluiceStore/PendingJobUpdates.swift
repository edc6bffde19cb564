import Dispatch
import GRDB
import Synchronization

/// Delivery outcomes waiting for a write transaction. Every transaction the store opens on the
/// hot path (ingest's group commit, the router's job inserts, attempt records) carries whatever
/// is queued, so an outcome waits for at most the transaction in progress and the next one,
/// however many others are queued on the single writer. Outcomes are applied in the order they
/// were queued, and their callers hear of them only once the transaction carrying them has ended.
public final class PendingJobUpdates: Sendable {
    /// Told once whether the transaction carrying an outcome committed. It runs on the writer's
    /// serial path, so it must be quick (a counter, a continuation).
    typealias Settled = @Sendable (Result<Void, any Error>) -> Void

    private struct State {
        var updates: [JobUpdate] = []
        var waiters: [Settled] = []
        var writeScheduled = false
    }

    struct RolledBack: Error, CustomStringConvertible {
        var description: String { "the transaction carrying delivery outcomes was rolled back" }
    }

    private let state = Mutex(State())
    private let counters = Mutex(WriteCounters())

    /// Write transactions that carried outcomes, and how many, since the last call (for the
    /// delivery benchmark: fewer, fuller transactions mean less WAL written per outcome).
    public struct WriteCounters: Sendable {
        public var transactions = 0
        public var outcomes = 0
        public var aloneTransactions = 0
    }

    func takeCounters() -> WriteCounters { counters.withLock { counters in defer { counters = WriteCounters() }; return counters } }

    /// Queues `updates`; returns whether the caller must schedule a transaction for them (none is
    /// due to pick them up yet).
    func add(_ updates: [JobUpdate], _ waiter: @escaping Settled) -> Bool {
        state.withLock { state in
            state.updates += updates
            state.waiters.append(waiter)
            if state.writeScheduled { return false }
            state.writeScheduled = true
            return true
        }
    }

    /// Inside a write transaction: applies everything queued, in a savepoint so that a failure
    /// fails only these outcomes and not the transaction's own work. Their callers are handed to
    /// `carrier`, to be told once the transaction has committed or rolled back. (Not a
    /// transaction observer: adding one makes GRDB drop its cached statements, so every
    /// transaction would prepare its statements again.)
    func applyQueued(_ db: Database, into carrier: Carrier, alone: Bool = false) {
        let (updates, waiters) = takeAll()
        guard !waiters.isEmpty else { return }
        counters.withLock { counters in
            counters.transactions += 1
            counters.outcomes += waiters.count
            if alone { counters.aloneTransactions += 1 }
        }
        do {
            try db.inSavepoint {
                try SQLiteEventStore.apply(updates, db)
                return .commit
            }
            carrier.waiters += waiters
        } catch {
            for waiter in waiters { waiter(.failure(error)) }
        }
    }

    /// `body` in a write transaction that also carries every queued outcome.
    func write<T>(_ pool: DatabasePool, _ body: (Database) throws -> T) throws -> T {
        let carrier = Carrier()
        return try carrier.settle(Result {
            try pool.write { db in
                applyQueued(db, into: carrier)
                return try body(db)
            }
        })
    }

    /// `body` in a write transaction that also carries every queued outcome.
    func write<T: Sendable>(_ pool: DatabasePool, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let carrier = Carrier()
        let result: Result<T, any Error>
        do {
            result = .success(try await pool.write { db in
                self.applyQueued(db, into: carrier)
                return try body(db)
            })
        } catch {
            result = .failure(error)
        }
        return try carrier.settle(result)
    }

    /// A transaction of their own for the queued outcomes, on the writer's queue, `delay` from now.
    func writeAlone(_ pool: DatabasePool, after delay: Duration = .zero) {
        guard delay <= .zero else {
            let nanoseconds = Int(delay.components.seconds) * 1_000_000_000 + Int(delay.components.attoseconds / 1_000_000_000)
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { self.writeAlone(pool) }
            return
        }
        pool.asyncWriteWithoutTransaction { db in
            let carrier = Carrier()
            do {
                try db.inTransaction {
                    self.applyQueued(db, into: carrier, alone: true)
                    return .commit
                }
                carrier.committed()
            } catch {
                // A failed COMMIT fails the outcomes it carried; a failed BEGIN carried none, so
                // whatever is queued fails now, not never.
                carrier.rolledBack()
                self.failQueued(error)
            }
        }
    }

    /// The callers of the outcomes one transaction carries. Filled inside the transaction and
    /// told after it, on the writer's serial path.
    final class Carrier: @unchecked Sendable {
        fileprivate var waiters: [Settled] = []

        func committed() {
            for waiter in waiters { waiter(.success(())) }
            waiters = []
        }

        func rolledBack() {
            for waiter in waiters { waiter(.failure(RolledBack())) }
            waiters = []
        }

        /// Resumes the callers as the transaction ended, and passes its result on.
        func settle<T>(_ result: Result<T, any Error>) throws -> T {
            switch result {
            case .success: committed()
            case .failure: rolledBack()
            }
            return try result.get()
        }
    }

    /// Fails everything queued (the transaction meant to carry it could not start).
    func failQueued(_ error: any Error) {
        for waiter in takeAll().waiters { waiter(.failure(error)) }
    }

    private func takeAll() -> (updates: [JobUpdate], waiters: [Settled]) {
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
