import SluiceStore
import Synchronization

/// Attempt records waiting to be persisted, per destination. Deliveries add to it without
/// touching the database; the engine writes it out every `attemptFlushInterval`, so a
/// delivery's outcome commit (which its in-flight slot waits for) carries only job changes.
/// Only the newest `ringSize` per destination are kept: the store's ring would drop older ones
/// in the same write anyway.
final class AttemptRing: Sendable {
    private let ringSize: Int
    private let pending = Mutex<[String: [AttemptRecord]]>([:])

    init(ringSize: Int) {
        self.ringSize = max(1, ringSize)
    }

    func append(_ records: [AttemptRecord]) {
        guard !records.isEmpty else { return }
        pending.withLock { pending in
            for record in records {
                pending[record.destination, default: []].append(record)
            }
            // Trimmed in steps, so appending stays cheap at any rate.
            for destination in Set(records.map(\.destination)) where pending[destination]!.count > 2 * ringSize {
                pending[destination]!.removeFirst(pending[destination]!.count - ringSize)
            }
        }
    }

    /// Everything added since the last call, oldest first per destination, at most `ringSize` each.
    func take() -> [AttemptRecord] {
        let taken = pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        return taken.values.flatMap { $0.suffix(ringSize) }
    }
}
