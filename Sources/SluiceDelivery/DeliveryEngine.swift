import Foundation
import Logging
import SluiceDestinations
import SluiceSpec
import SluiceStore
import Synchronization

public struct EngineOptions: Sendable {
    /// Deliveries sent whose outcome is not committed yet, per destination: after a crash, at
    /// most this many are sent again.
    public var maxInFlightPerDestination = 16
    /// HTTP exchanges under way at once per destination (at most `maxInFlightPerDestination`;
    /// nil: the same). Fewer than the in-flight bound lets deliveries go on while earlier
    /// outcomes wait for their commit.
    public var maxExchangesPerDestination: Int?
    public var retry = RetryPolicy()
    public var attemptRingSize = 2_000
    /// How often attempt records are written to the store (the console reads them from there).
    public var attemptFlushInterval: Duration = .seconds(1)
    public var requestTimeout: Duration = .seconds(30)
    public var routerBatchSize = 2_000
    public var coalesceIdentifies = true
    public var settingsPollInterval: Duration = .milliseconds(250)
    public var statsKeepSeconds: Int64 = 3_600
    /// How often stats, rate-limit headroom and mapping state are written (held jobs past their
    /// timeout are expired every fifth time).
    public var housekeepingInterval: Duration = .seconds(1)
    /// Multiplies every rate limit. Only for tests and benchmarks against a sandbox whose
    /// limits are scaled the same way; operators lower limits in the settings instead.
    public var rateLimitScale = 1.0

    public init() {}
}

/// Reads stored events, routes them into per-destination lanes, maps and delivers them within
/// each API's limits, retries what is worth retrying and dead-letters the rest. Everything it
/// knows is written to the store, where the console and the CLI read it.
public final class DeliveryEngine: Sendable {
    public typealias Store = EventStore & DeliveryStore

    let store: any Store
    let transport: any HTTPTransport
    let options: EngineOptions
    let logger: Logger
    public let stats = StatsCollector()
    public let stageTimings = StageTimings()
    private let workers: [DestinationID: DestinationWorker]
    private let settings: Mutex<(file: SettingsFile, version: Int64)>
    private let attemptRing: AttemptRing

    public init(store: any Store, transport: any HTTPTransport, options: EngineOptions = EngineOptions(), logger: Logger = Logger(label: "sluice.delivery")) async throws {
        self.store = store
        self.transport = transport
        self.options = options
        self.logger = logger
        let (file, version) = try await Self.loadSettings(store)
        settings = Mutex((file, version))
        var workers: [DestinationID: DestinationWorker] = [:]
        for id in DestinationID.allCases {
            let windows = Self.scaled(Destinations.rateLimits(of: id, in: file), options.rateLimitScale)
            let limiter = RateLimiter(destination: id, windows: windows, documented: Self.scaled(Self.documentedLimits(id, file), options.rateLimitScale))
            let state = SharedMappingState(try await store.mappingState(destination: id.rawValue))
            workers[id] = DestinationWorker(id: id, limiter: limiter, mappingState: state, maxInFlight: options.maxInFlightPerDestination,
                                            maxExchanges: options.maxExchangesPerDestination)
        }
        self.workers = workers
        attemptRing = AttemptRing(ringSize: options.attemptRingSize)
        // Resume exactly where delivery stopped: every queued job goes back into its lane.
        let queued = try await store.jobs(states: [.queued], destination: nil)
        for (id, worker) in workers {
            worker.enqueue(queued.filter { $0.destination == id.rawValue })
        }
    }

    static func loadSettings(_ store: any Store) async throws -> (SettingsFile, Int64) {
        let records = try await store.settings()
        var root = JSONObject()
        for record in records {
            if let value = try? JSONParser.parse(record.json) { root[record.destination] = value }
        }
        let version = records.map(\.version).max() ?? 0
        do {
            return (try SettingsFile(json: .object(root)), version)
        } catch {
            throw EngineError("the stored settings are invalid: \(error); fix them with `sluice settings import`")
        }
    }

    static func scaled(_ windows: [RateLimitWindow], _ scale: Double) -> [RateLimitWindow] {
        scale == 1 ? windows : windows.map { $0.withLimit(max(1, Int(Double($0.limit) * scale))) }
    }

    /// The limits in force without the operator's overrides (Zendesk's depend on the plan).
    static func documentedLimits(_ id: DestinationID, _ file: SettingsFile) -> [RateLimitWindow] {
        var documented = file
        documented.helpscout?.common.rateLimits = [:]
        documented.zendesk?.common.rateLimits = [:]
        documented.clientsuccess?.common.rateLimits = [:]
        documented.intercom?.common.rateLimits = [:]
        return Destinations.rateLimits(of: id, in: documented)
    }

    public var currentSettings: SettingsFile { settings.withLock { $0.file } }

    /// Runs until cancelled; then writes out the attempt records not yet persisted.
    public func run() async throws {
        var failure: (any Error)?
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.routerLoop() }
                group.addTask { try await self.settingsLoop() }
                group.addTask { try await self.housekeepingLoop() }
                group.addTask { try await self.attemptLoop() }
                for worker in workers.values {
                    group.addTask { await self.workerLoop(worker) }
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            failure = error
        }
        // However the loops ended, outcomes already queued are committed, and the last attempts,
        // stats and mapping state are written (in tasks of their own: this one may be cancelled).
        await Task { await self.outcomesSettled() }.value
        await flushAttempts()
        await Task { await self.housekeep(expireHeld: false) }.value
        if let failure { throw failure }
    }

    /// Waits until every delivery's queued outcome has been committed or has failed (the store
    /// settles each within a transaction or two; 10 s is a store that stopped answering).
    private func outcomesSettled() async {
        let deadline = ContinuousClock.now + .seconds(10)
        while workers.values.contains(where: { $0.counts.inFlight > 0 }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    private func attemptLoop() async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: options.attemptFlushInterval)
            await flushAttempts()
        }
    }

    private func flushAttempts() async {
        let records = attemptRing.take()
        guard !records.isEmpty else { return }
        // In a task of its own: the records taken are nowhere else, and a stopping engine cancels
        // the loop that asked for this write.
        let (store, ringSize, logger) = (store, options.attemptRingSize, logger)
        await Task {
            do {
                try await store.appendAttempts(records, ringSize: ringSize)
            } catch {
                logger.error("could not record \(records.count) attempts for the inspector: \(error)")
            }
        }.value
    }

    /// Whether any destination still has queued or in-flight work (for tests and benchmarks).
    public var isIdle: Bool { workers.values.allSatisfy { !$0.hasWork } }

    // MARK: Routing

    private func routerLoop() async throws {
        while !Task.isCancelled {
            let batch = RoutingBatch { Routing.enabledDestinations(self.currentSettings) }
            let routed = try await store.route(limit: options.routerBatchSize) { batch.decide($0) }
            let events = batch.parsedEvents()
            if routed.events > 0 {
                for skip in routed.skips {
                    if case .skip(let destination, let reason) = skip {
                        stats.received(destination)
                        stats.skipped(destination, reason: reason)
                    }
                }
                var byDestination: [String: [Job]] = [:]
                for job in routed.jobs { byDestination[job.destination, default: []].append(job) }
                for (destination, jobs) in byDestination {
                    stats.received(destination, count: jobs.count)
                    if let id = DestinationID(rawValue: destination) { workers[id]?.enqueue(jobs, events: events) }
                }
            }
            if routed.events < options.routerBatchSize {
                // Poll: ingest may run in this process or another one on the same database.
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    // MARK: Settings

    private func settingsLoop() async throws {
        var knownReplays = try await store.replayGeneration()
        while !Task.isCancelled {
            try await Task.sleep(for: options.settingsPollInterval)
            let version = try await store.settingsVersion()
            if version != settings.withLock({ $0.version }) {
                do {
                    let (file, version) = try await Self.loadSettings(store)
                    settings.withLock { $0 = (file, version) }
                    for (id, worker) in workers {
                        worker.limiter.update(windows: Self.scaled(Destinations.rateLimits(of: id, in: file), options.rateLimitScale))
                        worker.wake()
                    }
                    logger.notice("settings changed; applied version \(version)")
                } catch {
                    logger.error("ignoring a settings change: \(error)")
                    settings.withLock { $0.version = version }
                }
            }
            let replays = try await store.replayGeneration()
            if replays != knownReplays {
                knownReplays = replays
                let queued = try await store.jobs(states: [.queued], destination: nil)
                for (id, worker) in workers { worker.enqueue(queued.filter { $0.destination == id.rawValue }) }
            }
        }
    }

    // MARK: Housekeeping: stats, headroom, held jobs, mapping state

    private func housekeepingLoop() async throws {
        var tick = 0
        while !Task.isCancelled {
            try await Task.sleep(for: options.housekeepingInterval)
            tick += 1
            let expireHeld = tick % 5 == 0
            // In a task of its own: what it drains (stats, mapping-state changes) is nowhere else,
            // and a stopping engine cancels this loop.
            await Task { await self.housekeep(expireHeld: expireHeld) }.value
        }
    }

    private func housekeep(expireHeld: Bool) async {
        for (id, worker) in workers {
            let gauges = worker.gauges()
            stats.gauges(id.rawValue, inFlight: gauges.inFlight, queueDepth: gauges.queueDepth, oldestQueuedMs: gauges.oldestQueuedMs)
        }
        let drained = stats.drain()
        do {
            try await store.writeStats(drained.seconds, skipReasons: drained.skipReasons, keepSeconds: options.statsKeepSeconds)
            try await store.writeRateLimits(workers.values.flatMap { $0.limiter.snapshots() })
            for (id, worker) in workers {
                try await store.saveMappingState(destination: id.rawValue, changes: worker.mappingState.takeChanges())
            }
            if expireHeld {
                let expired = try await store.expireHeld(now: Date().millis)
                for job in expired { stats.deadLettered(job.destination) }
            }
        } catch {
            logger.error("housekeeping write failed: \(error)")
        }
    }

    // MARK: Delivery

    private func workerLoop(_ worker: DestinationWorker) async {
        // Discarding: a long run finishes millions of deliveries, none with a result to keep.
        await withDiscardingTaskGroup { group in
            var signals = worker.signals.makeAsyncIterator()
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(20))
                    worker.wake()
                }
            }
            defer { ticker.cancel() }
            group.addTask { await self.readAheadLoop(worker) }
            let coalesce = options.coalesceIdentifies
            while !Task.isCancelled {
                for batch in worker.takeBatches(coalesce: coalesce) {
                    group.addTask {
                        // A delivery that frees its slot goes on with the next ready lane.
                        var next: DestinationWorker.Batch? = batch
                        while let current = next, !Task.isCancelled {
                            await self.deliver(current, worker: worker)
                            next = worker.takeBatches(coalesce: coalesce, limit: 1).first
                        }
                    }
                }
                if await signals.next() == nil { break }
            }
            group.cancelAll()
        }
    }

    /// Fills the worker's event cache from the store, a chunk per read, for jobs queued beyond
    /// it (a backlog, or what a restart found queued). It sleeps until the worker says uncached
    /// jobs arrived or the cache freed room.
    private func readAheadLoop(_ worker: DestinationWorker) async {
        for await _ in worker.readAheadSignals {
            while !Task.isCancelled {
                let ids = worker.takeReadAhead()
                if ids.isEmpty { break }
                var found: [Int64: Event] = [:]
                // A failed read leaves those jobs to be read one by one when their turn comes.
                for stored in (try? await store.events(ids: ids)) ?? [] {
                    if let event = try? stored.event() { found[stored.id] = event }
                }
                worker.cacheReadAhead(found, requested: ids)
            }
        }
    }

    private func deliver(_ batch: DestinationWorker.Batch, worker: DestinationWorker) async {
        let id = worker.id
        let file = currentSettings
        let started = ContinuousClock.now
        var events: [Event] = []
        for job in batch.jobs {
            if let event = batch.events[job.eventId] {
                events.append(event)
                continue
            }
            let stored: StoredEvent?
            do {
                stored = try await store.event(id: job.eventId)
            } catch {
                // The store could not be read just now: the lane waits a second; a missing or
                // unreadable event, below, is a dead letter instead.
                logger.warning("could not read event \(job.eventId) for \(id.rawValue); retrying in 1 s: \(error)")
                worker.complete(batch, .retry(at: Date().millis + 1_000, attempts: batch.jobs[0].attempts))
                return
            }
            if let event = try? stored?.event() { events.append(event) }
        }
        guard events.count == batch.jobs.count, !events.isEmpty else {
            finish(batch, worker: worker, updates: batch.jobs.map { .dead(id: $0.id, attempts: $0.attempts, status: nil, error: "the stored event is missing or unreadable", response: nil, at: Date().millis) }, records: [], completion: .removed)
            stats.deadLettered(id.rawValue, count: batch.jobs.count)
            return
        }
        let event = events.count > 1 ? Coalescing.merge(events) : events[0]
        let head = batch.jobs[0]
        let attempt = head.attempts + 1
        let context = EngineContext(destination: id, state: worker.mappingState, limiter: worker.limiter, transport: transport,
                                    timeout: options.requestTimeout, jobs: batch.jobs, user: event.userKey, attempt: attempt)
        var outcomeAt = started
        defer {
            stageTimings.record(queued: started - batch.takenAt, engine: outcomeAt - started - context.exchangeTime, exchange: context.exchangeTime)
        }
        do {
            let outcome = try await Destinations.map(event, to: id, settings: file, context: context)
            outcomeAt = ContinuousClock.now
            let latency = (outcomeAt - started).milliseconds
            switch outcome {
            case .delivered(let notes):
                context.finish(outcome: batch.jobs.count > 1 ? "delivered (\(batch.jobs.count) identifies coalesced)" : "delivered", notes: notes)
                stats.delivered(id.rawValue, count: batch.jobs.count, latencyMs: latency)
                finish(batch, worker: worker, updates: batch.jobs.map { .finished(id: $0.id) }, records: context.records, completion: .removed)
                if id == .clientsuccess, event.type == .group {
                    for key in ClientSuccess.releaseKeys(satisfiedBy: event) {
                        if let released = try? await store.releaseHeld(destination: id.rawValue, releaseKey: key) { worker.enqueue(released) }
                    }
                }
            case .skipped(let reason):
                context.finish(outcome: "skipped: \(reason)", notes: [])
                stats.skipped(id.rawValue, reason: reason, count: batch.jobs.count)
                finish(batch, worker: worker, updates: batch.jobs.map { .finished(id: $0.id) }, records: context.records, completion: .removed)
            case .held(let reason, let releaseKey):
                let holdSeconds = file.clientsuccess?.holdTimeout ?? ClientSuccessSettings.defaultHoldTimeout
                let until = Date().millis + Millis(holdSeconds * 1000)
                finish(batch, worker: worker, updates: batch.jobs.map { .hold(id: $0.id, releaseKey: releaseKey, holdUntil: until, reason: reason) }, records: context.records, completion: .removed)
                // No race with the releasing group call: it is in the same lane, behind this job.
            }
        } catch {
            outcomeAt = ContinuousClock.now
            handleFailure(error, batch: batch, worker: worker, context: context, attempt: attempt)
        }
    }

    private func handleFailure(_ error: any Error, batch: DestinationWorker.Batch, worker: DestinationWorker, context: EngineContext, attempt: Int) {
        let id = worker.id
        let head = batch.jobs[0]
        let status: Int?
        let message: String
        let responseText: String?
        var verdict: RetryPolicy.Verdict = .retry
        if let failure = error as? HTTPStepFailure {
            status = failure.response.status
            message = failure.message
            responseText = EngineContext.truncated(HTTPRequest.mask(failure.response.text, context.lastRequest?.secrets ?? []))
            verdict = options.retry.classify(status: failure.response.status, destination: id, method: failure.request.method)
        } else {
            status = nil
            message = String(describing: error)
            responseText = nil
        }
        stats.failed(id.rawValue)
        let now = Date()
        let enqueued = Double(head.enqueuedAt) / 1000
        if verdict == .retry, options.retry.allowsRetry(enqueuedAt: enqueued, now: now.timeIntervalSince1970) {
            var delay = options.retry.delay(afterAttempt: attempt)
            if status == 429, let until = worker.limiter.snapshots().compactMap(\.throttledUntil).max() {
                delay = max(delay, Double(until - now.millis) / 1000)
            }
            let next = now.millis + Millis(delay * 1000)
            context.finish(outcome: "retry \(attempt) in \(String(format: "%.1f", delay)) s: \(message)", notes: [])
            stats.retried(id.rawValue)
            let updates: [JobUpdate] = batch.jobs.map { .retry(id: $0.id, attempts: attempt, nextAttemptAt: next, status: status, error: message, response: responseText) }
            finish(batch, worker: worker, updates: updates, records: context.records, completion: .retry(at: next, attempts: attempt))
        } else {
            let reason = verdict == .final ? message : "gave up after \(attempt) attempts over \(Int(options.retry.maxAge)) s: \(message)"
            context.finish(outcome: "dead letter: \(reason)", notes: [])
            stats.deadLettered(id.rawValue, count: batch.jobs.count)
            let updates: [JobUpdate] = batch.jobs.map { .dead(id: $0.id, attempts: attempt, status: status, error: reason, response: responseText, at: now.millis) }
            finish(batch, worker: worker, updates: updates, records: context.records, completion: .removed)
        }
    }

    /// The lane moves on as soon as the outcome is queued for the store's next transaction
    /// (outcomes are applied in queue order, so a later one never lands before an earlier one),
    /// and the delivery's task goes on with the next lane without waiting for the commit. The
    /// in-flight slot is held until the commit, so after a crash at most the in-flight bound of
    /// deliveries is repeated.
    private func finish(_ batch: DestinationWorker.Batch, worker: DestinationWorker, updates: [JobUpdate], records: [PendingAttempt], completion: DestinationWorker.Completion) {
        attemptRing.append(records)
        let (logger, stageTimings, queuedAt) = (logger, stageTimings, ContinuousClock.now)
        store.apply(updates, queued: { worker.complete(batch, completion, keepingSlot: true) }) { result in
            stageTimings.recordCommit(ContinuousClock.now - queuedAt)
            if case .failure(let error) = result {
                logger.error("could not record the outcome of \(batch.jobs.count) job(s) for \(worker.id.rawValue): \(error)")
            }
            worker.releaseSlot()
        }
    }
}

/// One router pass: its routing decisions and the events they parsed, kept for the workers.
final class RoutingBatch: Sendable {
    private struct State {
        var enabled: [DestinationID]?
        var events: [Int64: Event] = [:]
    }
    private let state = Mutex(State())
    private let enabledNow: @Sendable () -> [DestinationID]

    init(enabledNow: @escaping @Sendable () -> [DestinationID]) { self.enabledNow = enabledNow }

    func decide(_ stored: StoredEvent) -> [RouteDecision] {
        // Settings are read when the first event is decided, after the store has read the
        // batch: an event stored after a settings change is never routed by the older settings.
        let enabled = state.withLock { state in
            if let enabled = state.enabled { return enabled }
            let enabled = enabledNow()
            state.enabled = enabled
            return enabled
        }
        let result = Routing.decideAndParse(stored, enabled: enabled)
        if let event = result.event { state.withLock { $0.events[stored.id] = event } }
        return result.decisions
    }

    func parsedEvents() -> [Int64: Event] { state.withLock { $0.events } }
}

public struct EngineError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
