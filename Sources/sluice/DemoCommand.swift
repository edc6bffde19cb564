import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SluiceConsole
import SluiceDelivery
import SluiceDestinations
import SluiceSandbox
import SluiceServer
import SluiceSpec
import SluiceStore
import Synchronization

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Everything in one process on a throwaway database: the sandbox APIs, ingest, delivery and SDK-like traffic.",
        discussion: """
            The four destinations are configured to the local sandbox, so events really arrive \
            (in memory) with each API's rate limits. In a terminal it opens the dashboard (q quits); \
            otherwise, or with --no-dash, it prints one stats line per second until Ctrl-C. The \
            database is deleted at the end unless --db names one.
            """)

    @Option(name: .long, help: "Events per second of generated traffic.") var traffic: Double = 50
    @Option(name: .shortAndLong, help: "Ingest port (0 picks a free one).") var port: Int = 8088
    @Option(name: .long, help: "Sandbox port (0 picks a free one).") var sandboxPort: Int = 0
    @Option(name: .long, help: "Multiply the sandbox's rate limits (and the engine's) by this.") var limitScale: Double = 1
    @Option(name: .long, help: "Stop after this many seconds (default: run until Ctrl-C).") var seconds: Double?
    @Flag(name: .long, help: "Print a stats line per second instead of opening the dashboard.") var noDash = false
    @Option(name: .long, help: "Keep the demo's database at this path (e.g. to watch it with sluice dash from another terminal).") var db: String?
    @OptionGroup var display: DashDisplayOptions

    mutating func run() async throws {
        guard traffic >= 0, limitScale > 0 else { throw CLIError("--traffic must be ≥ 0 and --limit-scale > 0") }
        var logger = Logger(label: "sluice.demo")
        logger.logLevel = .warning
        // Cancelling the servers at the end is normal; their shutdown chatter is not news.
        var serverLogger = logger
        serverLogger.logLevel = .critical
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-demo-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let databasePath = db ?? directory + "/demo.sqlite"
        if db != nil, FileManager.default.fileExists(atPath: databasePath) {
            throw CLIError("\(databasePath) already exists; the demo starts from an empty database, so pass a new path")
        }
        let store = try SQLiteEventStore(path: databasePath, options: SQLiteStoreOptions(durability: .normal))
        let dashboard = !noDash && isatty(STDOUT_FILENO) == 1 && isatty(STDIN_FILENO) == 1

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
        let transport = PooledHTTPTransport()
        let engine = try await DeliveryEngine(store: store, transport: transport, logger: logger)
        let handler = IngestHandler(configuration: IngestConfiguration(sources: [Source(name: "demo", writeKey: writeKey)]), store: store, logger: logger)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = IngestServer.application(
            handler: handler, store: store, host: "127.0.0.1", port: port, logger: serverLogger,
            metrics: { engine.stats.prometheus() }, services: [EngineService(engine: engine)],
            onServerRunning: { _ = portContinuation.yield($0) })
        // SIGTERM or SIGINT ends runService gracefully; the stats loop below stops with it.
        let serverStopped = StopFlag()
        let server = Task {
            defer { serverStopped.set() }
            try await app.runService()
        }
        var iterator = ports.makeAsyncIterator()
        guard let ingestPort = await iterator.next() else { throw CLIError("the ingest server did not start") }
        let ingestURL = "http://127.0.0.1:\(ingestPort)"
        let generator = traffic > 0 ? TrafficGenerator(ingestURL: ingestURL, writeKey: writeKey, eventsPerSecond: traffic) : nil
        generator?.start()
        if dashboard {
            // The engine's warnings would scribble over the screen; they go to a log file instead.
            let logPath = directory + "/demo.log"
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let savedStderr = dup(STDERR_FILENO)
            let logFile = open(logPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            if logFile >= 0 { dup2(logFile, STDERR_FILENO) }
            var consoleError: Error?
            do {
                try await ConsoleApp.run(display.options(store: store, label: "demo · ingest \(ingestURL) · key \(writeKey)"))
            } catch {
                consoleError = error
            }
            if logFile >= 0 { dup2(savedStderr, STDERR_FILENO); close(logFile) }
            await generator?.stop()
            server.cancel()
            _ = try? await server.value
            await transport.shutdown()
            await sandbox.shutdown()
            if let consoleError { throw consoleError }
            return
        }
        print("sluice demo: ingest \(ingestURL) (write key \(writeKey)), sandbox \(sandbox.rootURL), metrics \(ingestURL)/metrics")
        print("  try: curl -u \(writeKey): -H 'Content-Type: application/json' -d '{\"userId\":\"me\",\"traits\":{\"email\":\"me@example.com\",\"name\":\"Me\"}}' \(ingestURL)/v1/identify")

        let started = ContinuousClock.now
        var previous: [String: StatsCollector.Totals] = [:]
        while !serverStopped.isSet {
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

final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
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
