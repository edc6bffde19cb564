import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SluiceDelivery
import SluiceDestinations
import SluiceSandbox
import SluiceServer
import SluiceSpec
import SluiceStore

struct DeliveryBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver",
        abstract: "End to end: SDK batches into ingest, through the engine, acknowledged by the sandbox; and coalescing's saving.")

    @Option(name: .long, help: "Track events in the throughput phase.") var events: Int = 50_000
    @Option(name: .long, help: "Users in the throughput phase.") var users: Int = 2_000
    @Option(name: .long, help: "Deliveries sent and not yet committed, per destination.") var maxInFlight: Int = 64
    @Option(name: .long, help: "Connections to the sandbox, and exchanges under way at once (default: --max-in-flight).") var connections: Int?
    @Flag(name: .long, help: "Answer deliveries in memory instead of over HTTP (isolates the engine from the HTTP stack).") var inMemoryAPI = false
    @Option(name: .long, help: "Users in the coalescing phase (each identifies 5 times a minute).") var coalescingUsers: Int = 1_000

    @Flag(name: .long, help: "Measure throughput only; skip the six-minute coalescing phase.") var throughputOnly = false

    func validate() throws {
        guard events >= 1, users >= 1, coalescingUsers >= 1 else { throw ValidationError("--events, --users and --coalescing-users must be at least 1") }
        guard maxInFlight >= 1 else { throw ValidationError("--max-in-flight must be at least 1") }
        if let connections, connections < 1 { throw ValidationError("--connections must be at least 1") }
    }

    mutating func run() async throws {
        print("sluice bench deliver: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Sluice.allocator)")
        let asyncHTTPClient = AsyncHTTPTransport(maxConnectionsPerHost: maxInFlight)
        let generic = try await Self.rawHTTP(requests: 20_000, concurrency: maxInFlight, transport: asyncHTTPClient)
        await asyncHTTPClient.shutdown()
        print(String(format: "  reference: bare HTTP exchanges through AsyncHTTPClient                                   %8.0f requests/s", generic))
        let pooled = PooledHTTPTransport(maxConnectionsPerOrigin: maxInFlight)
        let cpuBefore = ProcessCPU.seconds()
        let rawHTTP = try await Self.rawHTTP(requests: 20_000, concurrency: maxInFlight, transport: pooled)
        let rawCPU = (ProcessCPU.seconds() - cpuBefore) / 20_000
        await pooled.shutdown()
        print(String(format: "  baseline: bare HTTP exchanges with the sandbox (engine's transport, no ingest, store or engine)  %8.0f requests/s, %.0f µs CPU each",
                     rawHTTP, rawCPU * 1e6))
        let throughput = try await Self.throughput(events: events, users: users, maxInFlight: maxInFlight, connections: connections ?? maxInFlight, inMemory: inMemoryAPI)
        print(String(format: "  ingest only (same batches, same process)  %8.0f events/s", throughput.ingestOnlyRate))
        print(String(format: "  CPU per event end to end (both sides, all threads): %.0f µs, %.1f× a bare exchange's; %.2f of %d cores busy",
                     throughput.cpuPerEvent * 1e6, throughput.cpuPerEvent / rawCPU, throughput.coresBusy, ProcessInfo.processInfo.activeProcessorCount))
        print(String(format: "  end to end, ingest → sandbox ack          %8.0f events/s  (%.2f of ingest only, %.2f of bare HTTP)",
                     throughput.endToEndRate, throughput.endToEndRate / throughput.ingestOnlyRate, throughput.endToEndRate / rawHTTP))
        if throughputOnly {
            print(String(format: "RESULT end_to_end=%.0f events/s bare_http=%.0f requests/s", throughput.endToEndRate, rawHTTP))
            return
        }
        let without = try await Self.coalescing(users: coalescingUsers, coalesce: false)
        let with = try await Self.coalescing(users: coalescingUsers, coalesce: true)
        print(String(format: "  identify-heavy, Intercom at its limit:  %.2f API calls/event without coalescing, %.2f with (%.1f× fewer)",
                     without, with, without / with))
        print(String(format: "RESULT end_to_end=%.0f events/s calls_per_event_without=%.2f with=%.2f reduction=%.1fx",
                     throughput.endToEndRate, without, with, without / with))
    }

    struct Throughput {
        var ingestOnlyRate: Double
        var endToEndRate: Double
        var cpuPerEvent: Double
        var coresBusy: Double
    }

    static func quietLogger() -> Logger {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        return logger
    }

    /// The ceiling for one HTTP exchange per event: the engine's own transport posting the
    /// request an Intercom track maps to, straight at the sandbox, `concurrency` at a time.
    static func rawHTTP(requests: Int, concurrency: Int, transport: any HTTPTransport) async throws -> Double {
        var sandboxConfiguration = SandboxConfiguration(limitScale: 1)
        sandboxConfiguration.logger = quietLogger()
        let sandbox = try await Sandbox.start(configuration: sandboxConfiguration)
        sandbox.setRateLimitPolicy(RateLimitPolicy(windows: [], isEnabled: false), for: .intercom)
        let settings = sandbox.destinationSettings()["intercom"]!
        let base = settings["baseURL"]!.stringValue!
        let headers: SluiceDestinations.HTTPHeaders = [
            "Authorization": "Bearer " + settings["apiKey"]!.stringValue!, "Accept": "application/json",
            "Content-Type": "application/json", "Intercom-Version": "2.11",
        ]
        _ = try await transport.send(HTTPRequest(.POST, base + "/contacts", headers: headers,
                                                 body: .json(["role": "user", "external_id": "user-0", "email": "user-0@example.com"])), timeout: .seconds(10))
        let event = HTTPRequest(.POST, base + "/events", headers: headers, body: .json([
            "event_name": "Order Completed", "created_at": .int(Int64(Date().timeIntervalSince1970)), "user_id": "user-0",
            "metadata": ["revenue": 12.5, "currency": "usd", "sku": "sku-1"],
        ]))
        let next = TicketCounter()
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while next.take() < requests {
                        let response = try await transport.send(event, timeout: .seconds(10))
                        guard response.status == 202 else { throw CLIError("the sandbox answered \(response.status) to the baseline's event") }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - started
        await sandbox.shutdown()
        return Double(requests) / elapsed.seconds
    }

    /// Users are identified first (not timed); then track batches are posted to ingest and the
    /// clock stops when the sandbox has accepted every one.
    static func throughput(events: Int, users: Int, maxInFlight: Int, connections: Int, inMemory: Bool) async throws -> Throughput {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var sandboxConfiguration = SandboxConfiguration(limitScale: 1)
        sandboxConfiguration.logger = quietLogger()
        let sandbox = try await Sandbox.start(configuration: sandboxConfiguration)
        sandbox.setRateLimitPolicy(RateLimitPolicy(windows: [], isEnabled: false), for: .intercom)
        let store = try SQLiteEventStore(path: directory + "/e2e.sqlite", options: SQLiteStoreOptions(durability: .normal))
        let settings = sandbox.destinationSettings()["intercom"]!
        try await store.saveSettings(destination: "intercom", json: JSONWriter.string(.object(settings)), changedFields: [], osUser: "bench", origin: "bench")
        let transport = PooledHTTPTransport(maxConnectionsPerOrigin: connections)
        var options = EngineOptions()
        options.maxInFlightPerDestination = maxInFlight
        options.maxExchangesPerDestination = min(connections, maxInFlight)
        options.rateLimitScale = 1_000_000
        let engine = try await DeliveryEngine(store: store, transport: inMemory ? InstantAPI() : transport, options: options, logger: quietLogger())
        let engineTask = Task { try await engine.run() }
        defer { engineTask.cancel() }

        let key = "bench-write-key"
        let handler = IngestHandler(configuration: IngestConfiguration(sources: [Source(name: "bench", writeKey: key)]), store: store, logger: quietLogger())
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = IngestServer.application(handler: handler, store: store, host: "127.0.0.1", port: 0, logger: quietLogger(),
                                           onServerRunning: { _ = portContinuation.yield($0) })
        let server = Task { try await app.run() }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CLIError("the ingest server did not start") }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        func post(_ calls: [JSON]) async throws {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/batch")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Authorization", value: "Basic " + Data((key + ":").utf8).base64EncodedString())
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(["batch": .array(calls)])))
            let response = try await client.execute(request, timeout: .seconds(60))
            _ = try await response.body.collect(upTo: 1 << 20)
            guard response.status.code == 200 else { throw CLIError("ingest answered \(response.status.code)") }
        }
        func waitDelivered(_ count: Int) async throws {
            while (engine.stats.totals()["intercom"]?.delivered ?? 0) < count { try await Task.sleep(for: .milliseconds(5)) }
        }
        for start in stride(from: 0, to: users, by: 100) {
            try await post((start..<min(users, start + 100)).map { n in
                ["type": "identify", "userId": .string("user-\(n)"), "messageId": .string("id-\(n)"), "traits": ["email": .string("user-\(n)@example.com")]]
            })
        }
        try await waitDelivered(users)
        _ = engine.stageTimings.take()
        _ = store.takeOutcomeWriteCounters()

        let clock = ContinuousClock()
        let bodies = stride(from: 0, to: events, by: 100).map { start in
            (start..<min(events, start + 100)).map { n -> JSON in
                ["type": "track", "userId": .string("user-\(n % users)"), "messageId": .string("tr-\(n)"), "event": "Order Completed",
                 "properties": ["revenue": 12.5, "currency": "usd", "sku": .string("sku-\(n % 97)")]]
            }
        }
        let started = clock.now
        let cpuStarted = ProcessCPU.seconds()
        let next = TicketCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    while true {
                        let index = next.take()
                        guard index < bodies.count else { return }
                        try await post(bodies[index])
                    }
                }
            }
            try await group.waitForAll()
        }
        let ingested = clock.now - started
        try await waitDelivered(users + events)
        let total = clock.now - started
        print("  where a delivery's time went: \(engine.stageTimings.take())")
        let writes = store.takeOutcomeWriteCounters()
        print(String(format: "  outcomes committed by %d transactions (%d of their own), %.1f outcomes each",
                     writes.transactions, writes.aloneTransactions, Double(writes.outcomes) / Double(max(1, writes.transactions))))
        let cpu = ProcessCPU.seconds() - cpuStarted
        try await Task.sleep(for: .milliseconds(1_100))  // one more stats flush, for the latency figures
        if let totals = engine.stats.totals()["intercom"] {
            print(String(format: "  delivery latency in the last second with traffic: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms", totals.p50Ms, totals.p95Ms, totals.p99Ms))
        }
        try await client.shutdown()
        await transport.shutdown()
        await sandbox.shutdown()
        return Throughput(ingestOnlyRate: Double(events) / ingested.seconds, endToEndRate: Double(events) / total.seconds,
                          cpuPerEvent: cpu / Double(events), coresBusy: cpu / total.seconds)
    }

    /// Each user identifies 5 times a minute for three minutes, while Intercom's documented limit (scaled ×10
    /// on both sides, with time compressed the same way) holds deliveries back; returns API
    /// calls per identify event.
    static func coalescing(users: Int, coalesce: Bool) async throws -> Double {
        let scale = 10.0
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var sandboxConfiguration = SandboxConfiguration(limitScale: scale)
        sandboxConfiguration.logger = quietLogger()
        let sandbox = try await Sandbox.start(configuration: sandboxConfiguration)
        let store = try SQLiteEventStore(path: directory + "/coalesce.sqlite", options: SQLiteStoreOptions(durability: .normal))
        let settings = sandbox.destinationSettings()["intercom"]!
        try await store.saveSettings(destination: "intercom", json: JSONWriter.string(.object(settings)), changedFields: [], osUser: "bench", origin: "bench")
        let transport = PooledHTTPTransport()
        var options = EngineOptions()
        options.rateLimitScale = scale
        options.coalesceIdentifies = coalesce
        let engine = try await DeliveryEngine(store: store, transport: transport, options: options, logger: quietLogger())
        let engineTask = Task { try await engine.run() }
        defer { engineTask.cancel() }
        // Five identifies per user per minute; a minute compressed to 60 s / scale.
        // Three minutes of traffic, so the steady state under the limit dominates the first
        // window's unused budget.
        let rounds = 15
        let roundGap = Duration.seconds(60 / scale / 5)
        for round in 0..<rounds {
            let now = Date()
            let records = try (0..<users).map { n -> EventRecord in
                let call: JSON = ["type": "identify", "userId": .string("user-\(n)"), "messageId": .string("r\(round)-\(n)"),
                                  "traits": ["email": .string("user-\(n)@example.com"), "plan": .string("plan-\(round)"), "logins": .int(Int64(round))]]
                return EventRecord(source: "bench", normalized: try IngestNormalizer.normalize(call, pathType: nil, envelope: BatchEnvelope(receivedAt: now)), receivedAt: now)
            }
            _ = try await store.append(records)
            try await Task.sleep(for: roundGap)
        }
        let deadline = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < deadline {
            if engine.isIdle, (try await store.jobs(states: [.queued], destination: "intercom")).isEmpty { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let calls = sandbox.stats(for: .intercom).requests.values.reduce(0) { $0 + $1.values.reduce(0, +) }
        await transport.shutdown()
        await sandbox.shutdown()
        return Double(calls) / Double(users * rounds)
    }
}

/// Answers like Intercom without a network: searches find one contact, writes succeed.
struct InstantAPI: HTTPTransport {
    func send(_ request: SluiceDestinations.HTTPRequest, timeout: Duration) async throws -> SluiceDestinations.HTTPResponse {
        if request.url.hasSuffix("/contacts/search") {
            return HTTPResponse(status: 200, json: ["type": "list", "total_count": 1, "data": [["type": "contact", "id": "c1"]]])
        }
        return HTTPResponse(status: request.url.hasSuffix("/events") ? 202 : 200, json: ["type": "contact", "id": "c1"])
    }
}
