import ArgumentParser
import Dispatch
import Foundation
import Logging
import SluiceSandbox

struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run local simulators of the Help Scout, Zendesk, Intercom and ClientSuccess APIs.",
        discussion: """
            One HTTP server with a path prefix per destination: set a destination's base URL to the \
            address printed at start-up (e.g. http://127.0.0.1:8089/intercom) and Sluice delivers \
            there instead of the real API. Each simulator keeps real state (customers, users, \
            organizations, contacts, companies, events), checks credentials the way its API does, \
            answers in its API's formats, and enforces its API's rate limits with its headers and \
            429s in clock-aligned windows: Help Scout 200/min and 12 writes per 5 s, Intercom 166 \
            per 10 s, Zendesk 200/min, ClientSuccess 10/s.

            Control API (JSON) while it runs, {d} being helpscout, zendesk, intercom or
            clientsuccess:
              GET  /_sandbox/stats          requests by route and status; every 429
              GET  /_sandbox/{d}/state      the destination's objects
              POST /_sandbox/{d}/faults     replaces its faults; {} clears them:
                {"errorRate":0.1, "seed":7, "latencyMs":50, "jitterMs":20,
                 "outage":"close"|"hang"|"503", "outageSeconds":5, "stormSeconds":10}
              POST /_sandbox/{d}/limits     {"scale":0.5}, {"enabled":false} or
                                            {"windows":{"minute":50}}; windows are
                                            helpscout minute, writes; intercom 10s;
                                            zendesk minute; clientsuccess second
              POST /_sandbox/reset          forget every object, count and fault

            With --traffic N it also sends about N events a second of realistic SDK traffic \
            (identify, group, track, page from a few hundred users, as segment-analytics-python \
            sends it) to a running `sluice serve`.

            Runs until Ctrl-C or SIGTERM.
            """)

    @Option(name: .long, help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(name: .shortAndLong, help: "Port to listen on (0 picks a free port).")
    var port = 8089

    @Option(name: .long, help: ArgumentHelp("Also send about N events a second to the ingest API.", valueName: "N"))
    var traffic: Double?

    @Option(name: .customLong("ingest-url"), help: "Root URL of the ingest API that --traffic sends to.")
    var ingestURL = "http://127.0.0.1:8088"

    @Option(name: .long, help: "Write key for --traffic (default: the key `sluice serve` created for its default source).")
    var writeKey: String?

    @Option(name: .long, help: ArgumentHelp("Multiply every rate limit by X (0.1 hits limits ten times sooner).", valueName: "X"))
    var limitScale: Double = 1

    @Option(name: .long, help: "Seed for --traffic, to send the same traffic every run.")
    var seed: UInt64?

    @Flag(name: .long, help: "Log every request (route and status; never credentials).")
    var verbose = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard limitScale > 0, limitScale.isFinite else { throw ValidationError("--limit-scale must be a positive number, e.g. 0.5") }
        if let traffic, !(traffic > 0 && traffic <= 100_000) {
            throw ValidationError("--traffic must be a number of events per second from above 0 to 100000, e.g. --traffic 20")
        }
        if traffic == nil, writeKey != nil || seed != nil {
            throw ValidationError("--write-key and --seed only apply with --traffic N")
        }
        guard ingestURL.hasPrefix("http://") || ingestURL.hasPrefix("https://") else {
            throw ValidationError("--ingest-url must start with http:// or https://, e.g. http://127.0.0.1:8088")
        }
    }

    func run() async throws {
        var logger = Logger(label: "sluice.sandbox")
        logger.logLevel = verbose ? .debug : .notice
        let sandbox: Sandbox
        do {
            sandbox = try await Sandbox.start(host: host, port: port,
                                              configuration: SandboxConfiguration(limitScale: limitScale, logger: logger))
        } catch let error as SandboxStartError {
            throw CLIError(error.description + (port == 8089 ? "; e.g. sluice sandbox --port 8090" : ""))
        }
        say(banner(sandbox))

        var generator: TrafficGenerator?
        if let traffic {
            guard let key = try writeKey ?? Paths.defaultWriteKey(create: false) else {
                await sandbox.shutdown()
                throw CLIError("--traffic needs a write key: pass --write-key, or start sluice serve once so it creates the default source's key")
            }
            var options = TrafficGenerator.Options()
            options.seed = seed
            let started = TrafficGenerator(ingestURL: ingestURL, writeKey: key, eventsPerSecond: traffic, options: options, logger: logger)
            started.start()
            generator = started
            say("Sending about \(Self.format(traffic)) events/s to \(ingestURL)/v1/batch.")
        }
        say("Press Ctrl-C to stop.")
        await Self.waitForTermination()
        if let generator {
            await generator.stop()
            let stats = generator.stats
            say("Sent \(stats.eventsSent) events in \(stats.batchesSent) batches; \(stats.batchesFailed) batches failed"
                + (stats.lastError.map { " (last: \($0))" } ?? "") + ".")
        }
        await sandbox.shutdown()
    }

    private func banner(_ sandbox: Sandbox) -> String {
        var lines = ["Sluice sandbox listening on \(sandbox.rootURL)", ""]
        for destination in SandboxDestination.allCases {
            lines.append("  \(destination.displayName.padding(toLength: 15, withPad: " ", startingAt: 0))base URL  \(sandbox.baseURL(for: destination))")
            for line in sandbox.credentials.lines(for: destination) {
                lines.append("  " + String(repeating: " ", count: 15) + line.name.padding(toLength: 26, withPad: " ", startingAt: 0) + line.value)
            }
        }
        lines.append("")
        lines.append("  Control API    \(sandbox.controlURL)  (see sluice sandbox --help)")
        if limitScale != 1 { lines.append("  Rate limits    documented limits × \(Self.format(limitScale))") }
        return lines.joined(separator: "\n")
    }

    /// Prints and flushes, so the addresses show at once when the output is piped to a log.
    private func say(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    private static func format(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(value)
    }

    /// Returns on the first SIGINT or SIGTERM.
    private static func waitForTermination() async {
        let (signals, continuation) = AsyncStream<Int32>.makeStream()
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        for await _ in signals { break }
        sources.forEach { $0.cancel() }
    }
}
