import Foundation
import SluiceDestinations
import SluiceSpec
import SluiceStore
import Synchronization

/// One destination's lanes. A lane holds one user's jobs in id order; only its head may be in
/// flight, so a user's identify always lands before that user's later calls, and a failing head
/// delays only its own lane.
///
/// Two bounds hold. At most `maxExchanges` deliveries have their HTTP exchanges under way (the
/// destination's concurrency). At most `maxInFlight` deliveries have been sent without their
/// outcome committed yet: a crash repeats at most that many. A delivery whose outcome is queued
/// for commit lets its lane move on and frees its exchange, so its task can go on with the next
/// lane while the store commits; its in-flight slot is freed by the commit.
final class DestinationWorker: Sendable {
    struct Lanes {
        var jobs: [String: [Job]] = [:]
        var events: [Int64: Event] = [:]
        var known: Set<Int64> = []
        var busy: Set<String> = []
        var ready: [String] = []
        var readyHead = 0
        var delayed: [String: Millis] = [:]
        /// Sent and not yet committed (exchanges under way, and outcomes waiting for their commit).
        var inFlight = 0
        var maxInFlight: Int
        /// Exchanges under way.
        var exchanging = 0
        var maxExchanges: Int
        /// Queued jobs whose events are not cached, in the order they came: the read-ahead's work.
        var uncached: [(job: Int64, event: Int64)] = []
        var uncachedHead = 0
        /// Events being read ahead, so a job that finishes meanwhile does not get its event cached.
        var readingAhead: Set<Int64> = []

        mutating func markReady(_ lane: String) {
            if busy.contains(lane) || delayed[lane] != nil { return }
            ready.append(lane)
        }

        var canStart: Bool { inFlight < maxInFlight && exchanging < maxExchanges }

        mutating func popReady() -> String? {
            while readyHead < ready.count {
                let lane = ready[readyHead]
                readyHead += 1
                if readyHead > 4096 { ready.removeFirst(readyHead); readyHead = 0 }
                if !busy.contains(lane), let jobs = jobs[lane], !jobs.isEmpty { return lane }
            }
            return nil
        }
    }

    /// Parsed events kept for queued jobs (about 1–2 KB each).
    let maxCachedEvents: Int
    static let readAheadChunk = 1_000

    let id: DestinationID
    let limiter: RateLimiter
    let mappingState: SharedMappingState
    private let lanes: Mutex<Lanes>
    private let signal: AsyncStream<Void>.Continuation
    let signals: AsyncStream<Void>
    private let readAheadSignal: AsyncStream<Void>.Continuation
    /// Yields when the read-ahead may have work: uncached jobs arrived, or the cache freed room.
    let readAheadSignals: AsyncStream<Void>

    init(id: DestinationID, limiter: RateLimiter, mappingState: SharedMappingState, maxInFlight: Int, maxExchanges: Int? = nil,
         maxCachedEvents: Int = 50_000) {
        self.id = id
        self.maxCachedEvents = maxCachedEvents
        self.limiter = limiter
        self.mappingState = mappingState
        lanes = Mutex(Lanes(maxInFlight: max(1, maxInFlight), maxExchanges: max(1, min(maxExchanges ?? maxInFlight, maxInFlight))))
        (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (readAheadSignals, readAheadSignal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func wake() { signal.yield() }

    /// Adds jobs (new, released or replayed); ones already known are ignored.
    func enqueue(_ jobs: [Job], events: [Int64: Event] = [:]) {
        guard !jobs.isEmpty else { return }
        let readAhead = lanes.withLock { state -> Bool in
            for job in jobs where !state.known.contains(job.id) {
                state.known.insert(job.id)
                // Keep parsed events for a bounded backlog; beyond it, they are read ahead in
                // chunks as room frees up (or, for a lane head the read-ahead has not reached, one by one).
                if state.events.count < maxCachedEvents, let event = events[job.eventId] {
                    state.events[job.eventId] = event
                } else {
                    state.uncached.append((job.id, job.eventId))
                }
                // Mutated in place: a copy taken out of the dictionary would copy the whole lane.
                if Self.insert(job, into: &state.jobs[job.lane, default: []]) {
                    if job.nextAttemptAt > Date().millis { state.delayed[job.lane] = job.nextAttemptAt } else { state.markReady(job.lane) }
                }
            }
            return state.uncachedHead < state.uncached.count
        }
        if readAhead { readAheadSignal.yield() }
        wake()
    }

    /// Inserts `job` in id order; returns whether it became the lane's head.
    private static func insert(_ job: Job, into lane: inout [Job]) -> Bool {
        if let last = lane.last, last.id > job.id {
            lane.insert(job, at: lane.firstIndex { $0.id > job.id } ?? lane.count)
        } else {
            lane.append(job)
        }
        return lane.first?.id == job.id
    }

    /// A unit of work: a lane's head, or its run of queued identifies to coalesce.
    struct Batch {
        var lane: String
        var jobs: [Job]
        var events: [Int64: Event]
        var takenAt = ContinuousClock.now
    }

    /// Takes as many due lane heads as the bounds allow, at most `limit`. A caller taking fewer
    /// than are ready wakes the worker loop for the rest.
    func takeBatches(coalesce: Bool, limit: Int = .max) -> [Batch] {
        let now = Date().millis
        var more = false
        defer { if more { wake() } }
        return lanes.withLock { state in
            for (lane, due) in state.delayed where due <= now {
                state.delayed[lane] = nil
                state.markReady(lane)
            }
            var batches: [Batch] = []
            while batches.count < limit, state.canStart, let lane = state.popReady() {
                guard let queued = state.jobs[lane], let head = queued.first else { continue }
                if head.nextAttemptAt > now {
                    state.delayed[lane] = head.nextAttemptAt
                    continue
                }
                var taken = [head]
                if coalesce && head.type == .identify {
                    for job in queued.dropFirst() {
                        guard job.type == .identify, job.state == .queued else { break }
                        taken.append(job)
                    }
                }
                state.busy.insert(lane)
                state.inFlight += 1
                state.exchanging += 1
                var events: [Int64: Event] = [:]
                for job in taken { events[job.eventId] = state.events[job.eventId] }
                batches.append(Batch(lane: lane, jobs: taken, events: events))
            }
            more = batches.count == limit && state.canStart && state.readyHead < state.ready.count
            return batches
        }
    }

    enum Completion {
        /// The jobs are done (delivered, skipped, dead, held): take them off the lane.
        case removed
        /// The head stays, to be retried at this time.
        case retry(at: Millis, attempts: Int)
    }

    /// Takes the batch off its lane so the lane's next job can go, and frees its exchange. With
    /// `keepingSlot`, the batch still counts against the in-flight bound until `releaseSlot()`:
    /// its outcome is not committed yet, and a crash would repeat it.
    ///
    /// It wakes no one: the delivery's task takes the next ready lane itself right after (see
    /// `takeBatches(limit:)`).
    func complete(_ batch: Batch, _ completion: Completion, keepingSlot: Bool = false) {
        let readAhead = lanes.withLock { state -> Bool in
            state.busy.remove(batch.lane)
            state.exchanging -= 1
            if !keepingSlot { state.inFlight -= 1 }
            // Taken out of the dictionary (not copied) so it is changed in place, then put back.
            var queued = state.jobs.removeValue(forKey: batch.lane) ?? []
            switch completion {
            case .removed:
                if batch.jobs.count == 1, queued.first?.id == batch.jobs[0].id {
                    queued.removeFirst()
                } else {
                    let ids = Set(batch.jobs.map(\.id))
                    queued.removeAll { ids.contains($0.id) }
                }
                for job in batch.jobs {
                    state.known.remove(job.id)
                    state.events[job.eventId] = nil
                    state.readingAhead.remove(job.eventId)
                }
            case .retry(let at, let attempts):
                if !queued.isEmpty {
                    queued[0].nextAttemptAt = at
                    queued[0].attempts = attempts
                }
            }
            if !queued.isEmpty {
                let head = queued[0].nextAttemptAt
                state.jobs[batch.lane] = queued
                if head > Date().millis { state.delayed[batch.lane] = head } else { state.markReady(batch.lane) }
            }
            if case .removed = completion { return state.uncachedHead < state.uncached.count }
            return false
        }
        if readAhead { readAheadSignal.yield() }
    }

    /// Events to read ahead: those of queued jobs not cached, oldest first, as many as the
    /// cache has room for (at most a chunk).
    func takeReadAhead() -> [Int64] {
        lanes.withLock { state in
            let room = min(Self.readAheadChunk, maxCachedEvents - state.events.count - state.readingAhead.count)
            var ids: [Int64] = []
            while ids.count < room, state.uncachedHead < state.uncached.count {
                let next = state.uncached[state.uncachedHead]
                state.uncachedHead += 1
                guard state.known.contains(next.job), state.events[next.event] == nil else { continue }
                if state.readingAhead.insert(next.event).inserted { ids.append(next.event) }
            }
            if state.uncachedHead > 4096, state.uncachedHead * 2 > state.uncached.count {
                state.uncached.removeFirst(state.uncachedHead)
                state.uncachedHead = 0
            }
            return ids
        }
    }

    /// What a read-ahead of `requested` found; events of jobs that finished meanwhile are dropped.
    func cacheReadAhead(_ found: [Int64: Event], requested: [Int64]) {
        lanes.withLock { state in
            for id in requested where state.readingAhead.remove(id) != nil {
                if let event = found[id] { state.events[id] = event }
            }
        }
    }

    var cachedEventCount: Int { lanes.withLock { $0.events.count } }

    /// Frees the in-flight slot of a delivery whose outcome is committed. Only if the in-flight
    /// bound was what held lanes back does it wake the worker loop: otherwise the deliveries
    /// under way take the ready lanes as they finish.
    func releaseSlot() {
        let blocked = lanes.withLock { state -> Bool in
            let wasFull = state.inFlight >= state.maxInFlight
            state.inFlight -= 1
            return wasFull && state.canStart && state.readyHead < state.ready.count
        }
        if blocked { wake() }
    }

    var counts: (inFlight: Int, exchanging: Int) { lanes.withLock { ($0.inFlight, $0.exchanging) } }

    func gauges() -> (inFlight: Int, queueDepth: Int, oldestQueuedMs: Int64) {
        let now = Date().millis
        return lanes.withLock { state in
            var depth = 0
            var oldest: Millis = now
            for lane in state.jobs.values {
                depth += lane.count
                if let first = lane.first { oldest = min(oldest, first.enqueuedAt) }
            }
            return (state.inFlight, depth, now - oldest)
        }
    }

    var hasWork: Bool { lanes.withLock { !$0.jobs.isEmpty || $0.inFlight > 0 } }
}
