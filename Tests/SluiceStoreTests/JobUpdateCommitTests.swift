import Foundation
import GRDB
import SluiceSpec
@testable import SluiceStore
import Synchronization
import Testing

/// Delivery outcomes ride in whichever write transaction comes next (ingest's, the router's,
/// attempt records' or one of their own): each caller resumes only once its outcome is
/// committed, and outcomes land in the order they were queued.
@Suite struct JobUpdateCommitTests {
    func store() throws -> SQLiteEventStore {
        try SQLiteEventStore(path: FileManager.default.temporaryDirectory.appendingPathComponent("sluice-jobs-\(UUID().uuidString)/events.sqlite").path)
    }

    func record(_ id: String, user: String) -> EventRecord {
        let payload: JSON = ["type": "track", "messageId": .string(id), "userId": .string(user), "event": "E"]
        return EventRecord(source: "web", messageId: id, type: .track, userId: user, anonymousId: nil, receivedAt: 1_700_000_000_000, payload: JSONWriter.bytes(payload))
    }

    /// Stores `count` events and routes each to one job for "intercom".
    func jobs(_ store: SQLiteEventStore, _ count: Int) async throws -> [Job] {
        _ = try await store.append((0..<count).map { record("m\($0)", user: "u\($0 % 7)") })
        var jobs: [Job] = []
        while jobs.count < count {
            let routed = try await store.route(limit: 1_000) { [.enqueue(destination: "intercom", lane: $0.record.userId ?? "")] }
            jobs += routed.jobs
        }
        return jobs
    }

    @Test func concurrentOutcomesBesideIngestAreAllCommittedBeforeTheirCallersResume() async throws {
        let store = try store()
        let jobs = try await jobs(store, 400)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for job in jobs {
                group.addTask {
                    try await store.apply([.finished(id: job.id)])
                    // Resumed only once committed: another connection already sees it gone.
                    let left = try await store.jobs(states: [.queued], destination: "intercom")
                    #expect(!left.contains { $0.id == job.id })
                }
            }
            // Ingest's group commits run beside them and carry some of the outcomes.
            for batch in 0..<20 {
                group.addTask { _ = try await store.append((0..<25).map { self.record("late-\(batch)-\($0)", user: "x") }) }
            }
            try await group.waitForAll()
        }
        #expect(try await store.jobs(states: [.queued], destination: "intercom").isEmpty)
        #expect(try await store.eventCount() == 400 + 500)
    }

    /// Queues `first`, and only once its place is fixed queues `second`, before either commits.
    func applyInOrder(_ store: SQLiteEventStore, _ first: JobUpdate, _ second: JobUpdate) async throws {
        let (placed, place) = AsyncStream.makeStream(of: Void.self)
        let firstTask = Task { try await store.apply([first]) { place.yield(); place.finish() } }
        for await _ in placed {}
        try await store.apply([second])
        try await firstTask.value
    }

    func retry(_ id: Int64, attempts: Int) -> JobUpdate {
        .retry(id: id, attempts: attempts, nextAttemptAt: 0, status: 500, error: "attempt \(attempts)", response: nil)
    }

    @Test func outcomesLandInTheOrderTheyWereQueued() async throws {
        let store = try store()
        let jobs = try await jobs(store, 3)
        try await applyInOrder(store, retry(jobs[0].id, attempts: 1), retry(jobs[0].id, attempts: 2))
        try await applyInOrder(store, retry(jobs[1].id, attempts: 2), retry(jobs[1].id, attempts: 1))
        try await applyInOrder(store, retry(jobs[2].id, attempts: 1), .finished(id: jobs[2].id))
        let queued = Dictionary(uniqueKeysWithValues: try await store.jobs(states: [.queued], destination: "intercom").map { ($0.id, $0.attempts) })
        #expect(queued == [jobs[0].id: 2, jobs[1].id: 1], "the last queued change wins; the delivered job is gone")
    }

    struct Boom: Error {}

    @Test func aRolledBackTransactionFailsTheOutcomesItCarriedAndKeepsTheJob() async throws {
        let store = try store()
        let job = try #require(try await jobs(store, 1).first)
        let pending = PendingJobUpdates()
        await #expect(throws: PendingJobUpdates.RolledBack.self) {
            try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
                #expect(pending.add([.finished(id: job.id)]) { waiter.resume(with: $0) }, "the first outcome asks for a transaction")
                // The transaction it rides in fails after taking it on board.
                _ = try? pending.write(store.pool) { _ in throw Boom() }
            }
        }
        #expect(try await store.jobs(states: [.queued], destination: "intercom").map(\.id) == [job.id], "nothing was deleted")
    }

    @Test func outcomesWhoseTransactionCannotStartFailWithItsError() async throws {
        let pending = PendingJobUpdates()
        await #expect(throws: Boom.self) {
            try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
                _ = pending.add([.finished(id: 1)]) { waiter.resume(with: $0) }
                pending.failQueued(Boom())
            }
        }
        // Nothing is left queued, and the next outcome asks for a transaction of its own again.
        let (stream, next) = AsyncStream.makeStream(of: Bool.self)
        Task {
            try? await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
                next.yield(pending.add([.finished(id: 2)]) { waiter.resume(with: $0) })
                next.finish()
                pending.failQueued(Boom())
            }
        }
        var asked: [Bool] = []
        for await value in stream { asked.append(value) }
        #expect(asked == [true])
    }

    @Test func anEmptyOutcomeStillReportsItsPlaceAndReturns() async throws {
        let store = try store()
        let called = Mutex(false)
        try await store.apply([]) { called.withLock { $0 = true } }
        #expect(called.withLock { $0 })
    }

    /// Queued jobs, inserted and deleted once per delivery, are in no state index; dead-letter
    /// and held-job lookups still use one instead of scanning every job.
    @Test func onlyHeldAndDeadJobsAreIndexedByState() async throws {
        let store = try store()
        let jobs = try await jobs(store, 3)
        try await store.apply([.dead(id: jobs[0].id, attempts: 1, status: 400, error: "bad", response: nil, at: 1),
                               .hold(id: jobs[1].id, releaseKey: "k", holdUntil: 5, reason: "waiting")])
        let (indexed, plans) = try await store.pool.read { db in
            let indexed = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs INDEXED BY jobs_dead WHERE state = 'dead'")!
                + Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs INDEXED BY jobs_held WHERE state = 'held'")!
            let plans = try [
                "SELECT * FROM jobs WHERE state = 'dead' ORDER BY id DESC LIMIT 10",
                "SELECT * FROM jobs WHERE state = 'dead' AND destination = 'intercom' ORDER BY id DESC LIMIT 10",
                "SELECT destination, COUNT(*) FROM jobs WHERE state = 'dead' GROUP BY destination",
                "SELECT * FROM jobs WHERE state = 'held' AND hold_until <= 10",
            ].map { sql in try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String }.joined(separator: "; ") }
            return (indexed, plans)
        }
        #expect(indexed == 2)
        for plan in plans { #expect(plan.contains("USING") && plan.contains("INDEX jobs_"), "\(plan)") }
        #expect(try await store.deadLetters(DeadLetterFilter()).map(\.id) == [jobs[0].id])
        #expect(try await store.jobs(states: [.queued], destination: "intercom").map(\.id) == [jobs[2].id])
    }

    /// Outcomes that no other transaction carries wait `outcomeCommitDelay` for company, so a
    /// burst of them shares one BEGIN/COMMIT instead of paying one each.
    @Test func aBurstOfOutcomesSharesOneTransaction() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-jobs-\(UUID().uuidString)/events.sqlite").path
        let store = try SQLiteEventStore(path: path, options: SQLiteStoreOptions(outcomeCommitDelay: .milliseconds(200)))
        let jobs = try await jobs(store, 20)
        let commits = CommitCounter()
        try await store.pool.write { db in db.add(transactionObserver: commits) }
        let before = commits.count.withLock { $0 }
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for job in jobs { group.addTask { try await store.apply([.finished(id: job.id)]) } }
            try await group.waitForAll()
        }
        #expect(ContinuousClock.now - started >= .milliseconds(150), "the first outcome waited for company")
        #expect(commits.count.withLock { $0 } - before == 1, "one transaction carried all \(jobs.count)")
        #expect(try await store.jobs(states: [.queued], destination: "intercom").isEmpty)
    }
}

final class CommitCounter: TransactionObserver, Sendable {
    let count = Mutex(0)
    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { count.withLock { $0 += 1 } }
    func databaseDidRollback(_ db: Database) {}
}
