import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import SluiceDelivery
import SluiceServer
import SluiceStore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Segment-compatible ingest API on a durable SQLite store.",
        discussion: """
            Without sources in flags or the config file, a source named "default" is created with \
            a random write key saved in \(Paths.defaultWriteKeyFile) (sluice send uses it).
            """)

    @Option(name: .long, help: "JSON config file (server, database, sources). Flags override it.")
    var config: String?

    @Option(name: .long, help: "Address to bind (default 127.0.0.1; use 0.0.0.0 to accept remote SDKs).")
    var host: String?

    @Option(name: .shortAndLong, help: "Port to listen on (default 8088; 0 picks a free port).")
    var port: Int?

    @Option(name: .long, help: "SQLite database path (default \(Paths.defaultDatabase)).")
    var db: String?

    @Option(name: .long, help: "A source as NAME=WRITEKEY; repeat for several.")
    var source: [String] = []

    @Option(name: .long, help: "full (survives power loss) or normal (survives a killed process).")
    var durability: Durability?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    @Flag(name: .long, help: "Only ingest and store; do not deliver (another process delivers).")
    var noDelivery = false

    @Option(name: .long, help: "Deliveries per destination sent and not yet committed (the in-flight bound: a crash repeats at most this many).")
    var maxInFlight: Int = 16

    mutating func run() async throws {
        var settings = try config.map(ServerConfig.load) ?? ServerConfig()
        if let host { settings.host = host }
        if let port {
            guard (0...65535).contains(port) else { throw CLIError("--port must be from 0 to 65535") }
            settings.port = port
        }
        if let durability { settings.durability = durability }
        for flag in source {
            guard let equals = flag.firstIndex(of: "="), equals != flag.startIndex, flag.index(after: equals) != flag.endIndex else {
                throw CLIError("--source must look like NAME=WRITEKEY, e.g. --source web=abc123")
            }
            settings.sources.append(Source(name: String(flag[..<equals]), writeKey: String(flag[flag.index(after: equals)...])))
        }
        var logger = Logger(label: "sluice")
        logger.logLevel = logLevel
        if settings.sources.isEmpty {
            guard let key = try Paths.defaultWriteKey(create: true) else { throw CLIError("could not create a default write key") }
            settings.sources = [Source(name: "default", writeKey: key)]
            logger.notice("no sources configured; accepting source \"default\" with the write key in \(Paths.defaultWriteKeyFile)")
        }
        try ServerConfig.validate(settings.sources)
        let databasePath = db ?? settings.databasePath ?? Paths.defaultDatabase
        let store: SQLiteEventStore
        do {
            store = try SQLiteEventStore(path: databasePath, options: SQLiteStoreOptions(durability: settings.durability))
        } catch {
            throw CLIError("cannot open the database \(databasePath): \(error); pass --db with a writable path")
        }
        let handler = IngestHandler(configuration: IngestConfiguration(sources: settings.sources), store: store, logger: logger)
        let sourceNames = settings.sources.map(\.name).joined(separator: ", ")
        let host = settings.host
        let runLogger = logger
        var services: [any Service] = []
        var metrics: (@Sendable () -> String)?
        let transport = PooledHTTPTransport(maxConnectionsPerOrigin: maxInFlight * 2)
        if !noDelivery {
            guard maxInFlight >= 1 else { throw CLIError("--max-in-flight must be at least 1") }
            var options = EngineOptions()
            options.maxInFlightPerDestination = maxInFlight
            let engine = try await DeliveryEngine(store: store, transport: transport, options: options, logger: logger)
            services.append(EngineService(engine: engine))
            metrics = { engine.stats.prometheus() }
        }
        let app = IngestServer.application(
            handler: handler, store: store, host: host, port: settings.port, logger: logger,
            metrics: metrics, services: services,
            onServerRunning: { port in
                runLogger.notice("sluice ingest listening on http://\(host):\(port) (sources: \(sourceNames); database: \(databasePath))")
            })
        try await app.runService()
        await transport.shutdown()
    }
}

/// Runs the delivery engine next to the HTTP server and stops it on SIGINT/SIGTERM.
struct EngineService: Service {
    let engine: DeliveryEngine

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await engine.run()
        }
    }
}

extension Durability: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
