import Foundation
@testable import SluiceDelivery
import SluiceDestinations
import SluiceSpec
import SluiceStore
import Testing

/// Beyond the event cache, a backlog's events are read ahead in chunks as room frees up,
/// oldest first, instead of one store read per delivery.
@Suite struct ReadAheadTests {
    func worker(cache: Int) -> DestinationWorker {
        let window = RateLimitWindow(key: "perMinute", label: "requests per minute", limit: 1_000, seconds: 60)
        return DestinationWorker(id: .intercom, limiter: RateLimiter(destination: .intercom, windows: [window], documented: [window]),
                                 mappingState: SharedMappingState(), maxInFlight: 100, maxCachedEvents: cache)
    }

    func job(_ n: Int64, lane: String) -> Job {
        Job(id: n, destination: "intercom", lane: lane, eventId: 1_000 + n, type: .track, messageId: "m-\(n)", state: .queued,
            attempts: 0, enqueuedAt: 0, nextAttemptAt: 0)
    }

    func event(_ n: Int64) throws -> Event {
        try Event(payload: ["type": "track", "userId": .string("u-\(n)"), "event": "Viewed", "messageId": .string("m-\(n)")])
    }

    @Test func eventsBeyondTheCacheAreReadAheadOldestFirstAsRoomFrees() throws {
        let worker = worker(cache: 10)
        let jobs = (1...25).map { job(Int64($0), lane: "u-\($0 % 5)") }
        var events: [Int64: Event] = [:]
        for job in jobs { events[job.eventId] = try event(job.id) }
        worker.enqueue(jobs, events: events)
        #expect(worker.cachedEventCount == 10)
        #expect(worker.takeReadAhead().isEmpty)  // no room yet

        let batches = worker.takeBatches(coalesce: false)
        #expect(batches.count == 5)
        #expect(batches.allSatisfy { $0.events.count == 1 })  // the five heads were among the first ten
        for batch in batches { worker.complete(batch, .removed) }
        #expect(worker.cachedEventCount == 5)

        let ids = worker.takeReadAhead()
        #expect(ids == (11...15).map { 1_000 + Int64($0) })
        #expect(worker.takeReadAhead().isEmpty)  // the room is taken by the read in progress
        var found: [Int64: Event] = [:]
        for id in ids { found[id] = try event(id - 1_000) }
        worker.cacheReadAhead(found, requested: ids)
        #expect(worker.cachedEventCount == 10)
    }

    @Test func aJobFinishedDuringTheReadDoesNotLeaveItsEventCached() throws {
        let worker = worker(cache: 1)
        worker.enqueue([job(1, lane: "a"), job(2, lane: "b")], events: [1_001: try event(1), 1_002: try event(2)])
        let first = worker.takeBatches(coalesce: false)
        #expect(first.count == 2)
        let cached = try #require(first.first { !$0.events.isEmpty })
        let uncached = try #require(first.first { $0.events.isEmpty })
        worker.complete(cached, .removed)
        let ids = worker.takeReadAhead()
        #expect(ids == [uncached.jobs[0].eventId])
        worker.complete(uncached, .removed)  // delivered by reading its event itself
        worker.cacheReadAhead([ids[0]: try event(2)], requested: ids)
        #expect(worker.cachedEventCount == 0)
        #expect(!worker.hasWork)
    }

    @Test func theReadAheadIsWokenWhenUncachedJobsArriveAndWhenRoomFrees() async throws {
        let worker = worker(cache: 1)
        worker.enqueue([job(1, lane: "a"), job(2, lane: "b")], events: [1_001: try event(1), 1_002: try event(2)])
        #expect(await signalled(worker.readAheadSignals))
        #expect(worker.takeReadAhead().isEmpty)  // no room until a job finishes
        let cached = try #require(worker.takeBatches(coalesce: false).first { !$0.events.isEmpty })
        worker.complete(cached, .removed)
        #expect(await signalled(worker.readAheadSignals))
        #expect(worker.takeReadAhead() == [1_002])
    }

    func signalled(_ signals: AsyncStream<Void>) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                var iterator = signals.makeAsyncIterator()
                return await iterator.next() != nil
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(5))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
