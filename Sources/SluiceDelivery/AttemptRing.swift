import SluiceDestinations
import SluiceStore
import Synchronization

/// Attempt records waiting to be persisted, per destination. Deliveries add to it without
/// touching the database; the engine writes it out every `attemptFlushInterval`, so a
/// delivery's outcome commit (which its in-flight slot waits for) carries only job changes.
/// Only the newest `ringSize` per destination are kept: the store's ring would drop older ones
/// in the same write anyway. Exchanges are kept as they happened and masked and formatted only
/// when taken, so those pushed out never cost more than being held.
final class AttemptRing: Sendable {
    private let ringSize: Int
    private let pending = Mutex<[DestinationID: [PendingAttempt]]>([:])

    init(ringSize: Int) {
        self.ringSize = max(1, ringSize)
    }

    func append(_ records: [PendingAttempt]) {
        guard !records.isEmpty else { return }
        pending.withLock { pending in
            for record in records {
                Self.push(record, onto: &pending[record.destination, default: []], ringSize: ringSize)
            }
        }
    }

    /// Trimmed in steps, so appending stays cheap at any rate.
    private static func push(_ record: PendingAttempt, onto ring: inout [PendingAttempt], ringSize: Int) {
        ring.append(record)
        if ring.count > 2 * ringSize { ring.removeFirst(ring.count - ringSize) }
    }

    /// Everything added since the last call, oldest first per destination, at most `ringSize` each.
    func take() -> [AttemptRecord] {
        let taken = pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        return taken.values.flatMap { $0.suffix(ringSize).map { $0.record() } }
    }
}
