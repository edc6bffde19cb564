import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SluiceDelivery
import SluiceDestinations
import SluiceSandbox
import SluiceServer
import SluiceSpec
import SluiceStore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Everything in one process on a throwaway database: the sandbox APIs, ingest, delivery and SDK-like traffic.",
        discussion: """
            The four destinations are configured to the local sandbox, so events really arrive \
            (in memory) with each API's rate limits. Ctrl-C stops it and deletes the database.
            """)

    @Option(name: .long, help: "Events per second of generated traffic.") var traffic: Double = 50
    @Option(name: .shortAndLong, help: "Ingest port (0 picks a free one).") var port: Int = 8088
    @Option(name: .long, help: "Sandbox port (0 picks a free one).") var sandboxPort: Int = 0
    @Option(name: .long, help: "Multiply the sandbox's rate limits (and the engine's) by this.") var limitScale: Double = 1
    @Option(name: .long, help: "Stop after this many seconds (default: run until Ctrl-C).") var seconds: Double?

    mutating func run() async throws {
        guard traffic >= 0, limitScale > 0 else { throw CLIError("--traffic must be ≥ 0 and --limit-scale > 0") }
        var logger = Logger(label: "sluice.demo")
        logger.logLevel = .warning
        // Cancelling the servers at the end is normal; their shutdown chatter is not news.
        var serverLogger = logger
        serverLogger.logLevel = .critical
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-demo-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteEventStore(path: directory + "/demo.sqlite", options: SQLiteStoreOptions(durability: .normal))

        var sandboxConfiguration = SandboxConfiguration(limitScale: limitScale)
        sandboxConfiguration.logger = serverLogger
        let sandbox = try await Sandbox.start(port: sandboxPort, configuration: sandboxConfiguration)
        let settings = DemoSettings.file(for: sandbox, limitScale: limitScale)
        for id in DestinationID.allCases {
            if let object = settings[id.rawValue]?.objectValue {
                try await store.saveSettings(destination: id.rawValue, json: JSONWriter.string(.object(object)), changedFields: ["(demo)"], osUser: "demo", origin: "demo")
            }
        }

        let writeKey = "demo-write-key"
        let transport = AsyncHTTPTransport()
        let engine = try await DeliveryEngine(store: store, transport: transport, logger: logger)
        let handler = IngestHandler(configuration: IngestConfiguration(sources: [Source(name: "demo", writeKey: writeKey)]), store: store, logger: logger)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = IngestServer.application(
            handler: handler, store: store, host: "127.0.0.1", port: port, logger: serverLogger,
            metrics: { engine.stats.prometheus() }, services: [EngineService(engine: engine)],
            onServerRunning: { _ = portContinuation.yield($0) })
        let server = Task { try await app.runService() }
        var iterator = ports.makeAsyncIterator()
        guard let ingestPort = await iterator.next() else { throw CLIError("the ingest server did not start") }
        let ingestURL = "http://127.0.0.1:\(ingestPort)"
        print("sluice demo: ingest \(ingestURL) (write key \(writeKey)), sandbox \(sandbox.rootURL), metrics \(ingestURL)/metrics")
        print("  try: curl -u \(writeKey): -H 'Content-Type: application/json' -d '{\"userId\":\"me\",\"traits\":{\"email\":\"me@example.com\",\"name\":\"Me\"}}' \(ingestURL)/v1/identify")

        let generator = traffic > 0 ? TrafficGenerator(ingestURL: ingestURL, writeKey: writeKey, eventsPerSecond: traffic) : nil
        generator?.start()
        let started = ContinuousClock.now
        var previous: [String: StatsCollector.Totals] = [:]
        while !server.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            if let seconds, ContinuousClock.now - started >= .seconds(seconds) { break }
            if Task.isCancelled { break }
            let totals = engine.stats.totals()
            print(DemoSettings.statsLine(totals, previous: previous, sent: generator?.stats.eventsSent ?? 0))
            previous = totals
        }
        await generator?.stop()
        server.cancel()
        _ = try? await server.value
        await transport.shutdown()
        await sandbox.shutdown()
    }
}

enum DemoSettings {
    /// The sandbox's settings for every destination, with Help Scout's and Intercom's limits
    /// lowered to match a sandbox scaled below 1, and new Zendesk users created verified.
    static func file(for sandbox: Sandbox, limitScale: Double) -> JSONObject {
        func scaled(_ windows: [SluiceDestinations.RateLimitWindow]) -> JSON {
            guard limitScale < 1 else { return .object([:]) }
            return .object(JSONObject(windows.map { (key: $0.key, value: .int(Int64(max(1, Double($0.limit) * limitScale)))) }))
        }
        var settings = sandbox.destinationSettings()
        settings["helpscout"]?["rateLimits"] = scaled(HelpScout.documentedRateLimits)
        settings["intercom"]?["rateLimits"] = scaled(Intercom.documentedRateLimits)
        settings["zendesk"]?["verified"] = true
        return JSONObject(settings.map { (key: $0.key, value: .object($0.value)) })
    }

    static func statsLine(_ totals: [String: StatsCollector.Totals], previous: [String: StatsCollector.Totals], sent: Int) -> String {
        var parts = ["sent \(sent)"]
        for id in DestinationID.allCases {
            let now = totals[id.rawValue] ?? StatsCollector.Totals()
            let before = previous[id.rawValue] ?? StatsCollector.Totals()
            parts.append("\(id.rawValue): \(now.delivered - before.delivered)/s ok=\(now.delivered) skip=\(now.skipped) retry=\(now.retried) dead=\(now.deadLettered) q=\(now.queueDepth) p99=\(String(format: "%.0f", now.p99Ms))ms")
        }
        return parts.joined(separator: " | ")
    }
}
