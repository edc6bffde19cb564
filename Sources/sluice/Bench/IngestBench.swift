import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import SluiceServer
import SluiceSpec
import SluiceStore
import Synchronization

struct IngestBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Batches over loopback HTTP into the durable store, against a no-store server and raw GRDB inserts.")

    @Option(name: .long, help: "Events per phase.") var events: Int = 200_000
    @Option(name: .long, help: "Events per batch request.") var batch: Int = 100
    @Option(name: .long, help: "Concurrent clients.") var clients: Int = 8
    @Option(name: .long, help: "Store durability for the durable phase and the raw baseline.") var durability: Durability = .full

    mutating func run() async throws {
        guard events > 0, batch > 0, batch <= 2_500, clients > 0 else {
            throw CLIError("--events and --clients must be positive and --batch from 1 to 2500")
        }
        let requestCount = (events + batch - 1) / batch
        print("sluice bench ingest: \(requestCount) requests × \(batch) events, \(clients) clients, durability \(durability.rawValue), \(ProcessInfo.processInfo.activeProcessorCount) cores")
        let bodies = (0..<requestCount).map { BenchTraffic.batchBody(request: $0, size: batch) }
        print("  payload: \(bodies.reduce(0) { $0 + $1.count } / max(1, requestCount * batch)) bytes per event on average")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let noStore = try await Self.phase(store: NullEventStore(), bodies: bodies, clients: clients)
        print(noStore.line("no-store server", events: requestCount * batch))

        let sqlite = try SQLiteEventStore(path: directory + "/ingest.sqlite", options: SQLiteStoreOptions(durability: durability))
        let durable = try await Self.phase(store: sqlite, bodies: bodies, clients: clients)
        print(durable.line("durable server", events: requestCount * batch))
        let stored = try await sqlite.eventCount()
        guard stored == requestCount * batch else {
            throw CLIError("the durable phase stored \(stored) events, expected \(requestCount * batch)")
        }

        let records = try bodies.flatMap { try BenchTraffic.records(fromBody: $0) }
        let raw = try RawInsertBaseline.run(records: records, batchSize: batch, path: directory + "/raw.sqlite", durability: durability)
        let rawRate = Double(records.count) / raw.seconds
        print("  raw GRDB inserts    \(Int(rawRate)) events/s (one transaction per \(batch)-row batch)")

        let durableRate = durable.rate(events: requestCount * batch)
        print("RESULT durable=\(Int(durableRate)) events/s p99=\(String(format: "%.1f", durable.p99Milliseconds)) ms "
            + "ratio_vs_nostore=\(String(format: "%.2f", durableRate / noStore.rate(events: requestCount * batch))) "
            + "ratio_vs_raw_grdb=\(String(format: "%.2f", durableRate / rawRate))")
    }

    struct PhaseResult {
        var elapsed: Duration
        var latencies: [Duration]

        func rate(events: Int) -> Double { Double(events) / elapsed.seconds }
        var p50Milliseconds: Double { percentile(0.50) }
        var p99Milliseconds: Double { percentile(0.99) }

        func percentile(_ p: Double) -> Double {
            let sorted = latencies.sorted()
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))].seconds * 1000
        }

        func line(_ label: String, events: Int) -> String {
            "  \(label.padding(toLength: 19, withPad: " ", startingAt: 0)) \(Int(rate(events: events))) events/s, p50 \(String(format: "%.1f", p50Milliseconds)) ms, p99 \(String(format: "%.1f", p99Milliseconds)) ms"
        }
    }

    static func phase(store: any EventStore, bodies: [[UInt8]], clients: Int) async throws -> PhaseResult {
        let key = "bench-write-key"
        var logger = Logger(label: "sluice.bench")
        logger.logLevel = .critical
        let handler = IngestHandler(configuration: IngestConfiguration(sources: [Source(name: "bench", writeKey: key)]), store: store, logger: logger)
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = IngestServer.application(handler: handler, store: store, host: "127.0.0.1", port: 0, logger: logger,
                                           onServerRunning: { port in _ = portContinuation.yield(port) })
        let server = Task { try await app.run() }
        defer { server.cancel() }
        var iterator = portStream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CLIError("the benchmark server did not start") }

        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: clients)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let next = TicketCounter()
        let authorization = "Basic " + Data((key + ":").utf8).base64EncodedString()
        let url = "http://127.0.0.1:\(port)/v1/batch"
        let clock = ContinuousClock()
        let start = clock.now
        let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var mine: [Duration] = []
                    while true {
                        let index = next.take()
                        guard index < bodies.count else { return mine }
                        var request = HTTPClientRequest(url: url)
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.headers.add(name: "Authorization", value: authorization)
                        request.body = .bytes(ByteBuffer(bytes: bodies[index]))
                        let sent = clock.now
                        let response = try await client.execute(request, timeout: .seconds(60))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        guard response.status.code == 200 else { throw CLIError("benchmark request failed with \(response.status.code)") }
                        mine.append(clock.now - sent)
                    }
                }
            }
            var all: [Duration] = []
            for try await part in group { all += part }
            return all
        }
        let elapsed = clock.now - start
        try await client.shutdown()
        return PhaseResult(elapsed: elapsed, latencies: latencies)
    }
}

/// Realistic SDK-shaped batches: a mix of identify, track, page and group calls with the
/// context analytics-python sends.
enum BenchTraffic {
    static func batchBody(request: Int, size: Int) -> [UInt8] {
        var items: [JSON] = []
        items.reserveCapacity(size)
        for i in 0..<size {
            let n = request * size + i
            let user = "user-\(n % 5_000)"
            var call: JSONObject = [
                "messageId": .string("bench-\(n)"),
                "userId": .string(user),
                "anonymousId": .null,
                "timestamp": "2026-11-22T10:00:00.000Z",
                "context": ["library": ["name": "analytics-python", "version": "2.4.0"], "ip": "203.0.113.9"],
                "integrations": [:],
            ]
            switch n % 10 {
            case 0, 1:
                call["type"] = "identify"
                call["traits"] = ["email": .string("\(user)@example.com"), "name": "Bench User", "plan": "pro", "logins": .int(Int64(n % 97))]
            case 2:
                call["type"] = "group"
                call["groupId"] = .string("org-\(n % 300)")
                call["traits"] = ["name": "Bench Org", "plan": "enterprise"]
            case 3, 4:
                call["type"] = "page"
                call["name"] = "Pricing"
                call["properties"] = ["url": "https://example.com/pricing", "referrer": "https://search.example/"]
            default:
                call["type"] = "track"
                call["event"] = "Order Completed"
                call["properties"] = ["revenue": 42.5, "currency": "usd", "items": .int(3), "coupon": "WINTER"]
            }
            items.append(.object(call))
        }
        let body: JSON = ["batch": .array(items), "sentAt": "2026-11-22T10:00:01.000Z", "writeKey": "bench-write-key"]
        return JSONWriter.bytes(body)
    }

    static func records(fromBody body: [UInt8]) throws -> [EventRecord] {
        let receivedAt = Date()
        guard case .array(let items)? = try JSONParser.parse(body)["batch"] else { return [] }
        return try items.map { item in
            let normalized = try IngestNormalizer.normalize(item, pathType: nil, envelope: BatchEnvelope(receivedAt: receivedAt))
            return EventRecord(source: "bench", normalized: normalized, receivedAt: receivedAt)
        }
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

/// Hands out 0, 1, 2, … to concurrent workers.
final class TicketCounter: Sendable {
    private let value = Mutex(0)
    func take() -> Int { value.withLock { current in defer { current += 1 }; return current } }
}

/// CPU time this process has used (user and system, all threads), for CPU per event.
enum ProcessCPU {
    static func seconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
