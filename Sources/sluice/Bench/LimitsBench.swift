import ArgumentParser
import Foundation
import SluiceDelivery
import SluiceDestinations
import SluiceSandbox
import SluiceSpec
import SluiceStore

struct LimitsBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "limits",
        abstract: "One clock-aligned minute at the documented limits (Help Scout 200/min + 12 writes/5 s, Intercom 166/10 s): achieved vs allowed, and 429s.")

    mutating func run() async throws {
        let logger = DeliveryBenchCommand.quietLogger()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = SandboxConfiguration(limitScale: 1)
        configuration.logger = logger
        let sandbox = try await Sandbox.start(configuration: configuration)
        let store = try SQLiteEventStore(path: directory + "/limits.sqlite", options: SQLiteStoreOptions(durability: .normal))
        let settings = sandbox.destinationSettings().filter { ["helpscout", "intercom"].contains($0.key) }
        for (destination, object) in settings {
            try await store.saveSettings(destination: destination, json: JSONWriter.string(.object(object)), changedFields: [], osUser: "bench", origin: "bench")
        }
        let now = Date()
        var records: [EventRecord] = []
        for n in 0..<300 {
            records.append(try Self.record(["type": "identify", "userId": .string("hs-\(n)"), "messageId": .string("hs-\(n)"),
                                            "traits": ["email": .string("hs-\(n)@example.com"), "name": "Bench User"],
                                            "integrations": ["All": false, "Help Scout": true]], now))
        }
        for n in 0..<1_000 {
            records.append(try Self.record(["type": "identify", "userId": .string("ic-\(n)"), "messageId": .string("ic-\(n)"),
                                            "traits": ["email": .string("ic-\(n)@example.com")], "integrations": ["All": false, "Intercom": true]], now))
        }
        _ = try await store.append(records)
        var options = EngineOptions()
        options.attemptRingSize = 100_000
        let transport = PooledHTTPTransport()
        let engine = try await DeliveryEngine(store: store, transport: transport, options: options, logger: logger)
        let task = Task { try await engine.run() }
        let start = (Date().timeIntervalSince1970 / 60).rounded(.up) * 60
        print("sluice bench limits: warming up until the next minute, then measuring 60 s …")
        while Date().timeIntervalSince1970 < start + 60 { try await Task.sleep(for: .milliseconds(100)) }
        task.cancel()
        _ = try? await task.value  // the engine writes out its last attempt records on the way out
        let helpScout = try await store.attempts(destination: "helpscout", limit: 100_000, beforeId: nil)
            .filter { Double($0.at) / 1000 >= start && Double($0.at) / 1000 < start + 60 }
        let intercom = try await store.attempts(destination: "intercom", limit: 100_000, beforeId: nil)
            .filter { Double($0.at) / 1000 >= start && Double($0.at) / 1000 < start + 60 }
        let writes = helpScout.filter { $0.method != "GET" && $0.status.map { (200..<300).contains($0) } == true }.count
        let requests = helpScout.filter { $0.status != 429 }.count
        let readsPerWrite = Double(helpScout.filter { $0.method == "GET" }.count) / Double(max(1, writes))
        // Both windows bind jointly: 12 writes per 5 s, and 200 requests a minute shared by
        // each identify's read and write.
        let allowedWrites = min(12 * 12, Int(200 / (1 + readsPerWrite)))
        print("  Help Scout: \(writes) writes, \(requests) requests, \(helpScout.filter { $0.status == 429 }.count) 429s in the minute; "
            + "the limits allow \(allowedWrites) writes (\(String(format: "%.2f", readsPerWrite)) reads per write) → \(String(format: "%.1f", 100 * Double(writes) / Double(allowedWrites))) %")
        var windows: [Int] = []
        for index in 0..<6 {
            let from = start + Double(index) * 10
            windows.append(intercom.filter { $0.status != 429 && Double($0.at) / 1000 >= from && Double($0.at) / 1000 < from + 10 }.count)
        }
        let intercomAllowed = 166 * 6
        print("  Intercom: requests per 10 s window \(windows), \(intercom.filter { $0.status == 429 }.count) 429s; "
            + "\(windows.reduce(0, +)) of \(intercomAllowed) allowed → \(String(format: "%.1f", 100 * Double(windows.reduce(0, +)) / Double(intercomAllowed))) %")
        await transport.shutdown()
        await sandbox.shutdown()
    }

    static func record(_ call: JSON, _ now: Date) throws -> EventRecord {
        EventRecord(source: "bench", normalized: try IngestNormalizer.normalize(call, pathType: nil, envelope: BatchEnvelope(receivedAt: now)), receivedAt: now)
    }
}
