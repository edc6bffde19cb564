import Foundation
import Hummingbird
import Logging
@testable import SluiceSandbox
import SluiceSpec
import Synchronization
import Testing

/// A tiny ingest endpoint that keeps what it receives.
final class FakeIngest: Sendable {
    struct Received: Sendable {
        let authorization: String?
        let body: JSON?
    }

    let received = Mutex<[Received]>([])

    func run(_ body: (Int) async throws -> Void) async throws {
        let router = Router()
        router.post("/v1/batch") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            self.received.withLock {
                $0.append(Received(authorization: request.headers[.authorization], body: try? JSONParser.parse(Array(bytes.readableBytesView))))
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"success":true}"#)))
        }
        let portSignal = AsyncStream<Int>.makeStream()
        var logger = quietLogger
        logger.logLevel = .critical  // cancelling the server is how this fake stops
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { portSignal.continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let server = Task { try await app.run() }
        var ports = portSignal.stream.makeAsyncIterator()
        let port = await ports.next() ?? 0
        do {
            try await body(port)
        } catch {
            server.cancel()
            _ = await server.result
            throw error
        }
        server.cancel()
        _ = await server.result
    }

    var batches: [JSON] { received.withLock { $0.compactMap(\.body) } }
}

@Suite struct TrafficGeneratorTests {
    static func options(maxEvents: Int) -> TrafficGenerator.Options {
        var options = TrafficGenerator.Options()
        options.maxEvents = maxEvents
        options.flushInterval = .milliseconds(20)
        options.seed = 11
        options.users = 30
        return options
    }

    @Test func sendsValidSegmentBatchesWithBasicAuth() async throws {
        let ingest = FakeIngest()
        try await ingest.run { port in
            let generator = TrafficGenerator(ingestURL: "http://127.0.0.1:\(port)/", writeKey: "wk_test", eventsPerSecond: 1_000,
                                             options: Self.options(maxEvents: 150), logger: quietLogger)
            await generator.run()
            #expect(generator.stats.eventsSent == 150)
            #expect(generator.stats.batchesFailed == 0)
        }
        let received = ingest.received.withLock { $0 }
        #expect(received.allSatisfy { $0.authorization == "Basic " + Data("wk_test:".utf8).base64EncodedString() })
        let batches = ingest.batches
        #expect(batches.allSatisfy { $0["writeKey"] == "wk_test" && $0["sentAt"]?.stringValue != nil })
        let messages = batches.flatMap { $0["batch"]?.arrayValue ?? [] }
        #expect(messages.count == 150)
        #expect(batches.allSatisfy { ($0["batch"]?.arrayValue?.count ?? 0) <= 100 })

        for message in messages {
            let event = try Event(payload: try #require(message.objectValue))
            #expect(event.messageId.count == 36)
            #expect(message["timestamp"].flatMap(Timestamp.parse) != nil)
            #expect(message["context"]?["library"]?["name"] == "analytics-python")
            #expect(message["integrations"] == [:])
            #expect(message["anonymousId"] == .null)
        }
        #expect(Set(messages.compactMap { $0["messageId"]?.stringValue }).count == messages.count)

        var seen: Set<String> = []
        for message in messages {
            let userId = message["userId"]?.stringValue ?? ""
            if !seen.contains(userId) { #expect(message["type"] == "identify", "a user's first call identifies them") }
            seen.insert(userId)
        }
        let identify = try #require(messages.first { $0["type"] == "identify" })
        for trait in ["email", "name", "first_name", "last_name", "company", "plan", "createdAt"] {
            #expect(identify["traits"]?[trait]?.stringValue != nil, "identify has \(trait)")
        }
        #expect(identify["traits"]?["address"]?["city"]?.stringValue != nil)
        let group = try #require(messages.first { $0["type"] == "group" })
        #expect(group["groupId"]?.stringValue != nil)
        #expect(group["traits"]?["monthlySpend"]?.integerValue != nil)
        #expect(messages.contains { $0["type"] == "track" })
        #expect(messages.contains { $0["type"] == "page" })
        let revenue = messages.filter { $0["properties"]?["revenue"] != nil }
        #expect(revenue.allSatisfy { $0["properties"]?["currency"]?.stringValue != nil })
    }

    @Test func theSameSeedMakesTheSameTraffic() {
        var first = SegmentTraffic(userCount: 20, seed: 5)
        var second = SegmentTraffic(userCount: 20, seed: 5)
        let time = Date(timeIntervalSince1970: 1_700_000_000)
        let a = (0..<50).map { _ in first.nextMessage(at: time) }
        let b = (0..<50).map { _ in second.nextMessage(at: time) }
        #expect(a == b)
        let identifies = a.filter { $0["type"] == "identify" }.compactMap { $0["userId"]?.stringValue }
        #expect(identifies.count > Set(identifies).count, "some users re-identify")
    }

    @Test func stopEndsAnUnboundedGenerator() async throws {
        let ingest = FakeIngest()
        try await ingest.run { port in
            var options = TrafficGenerator.Options()
            options.flushInterval = .milliseconds(20)
            let generator = TrafficGenerator(ingestURL: "http://127.0.0.1:\(port)", writeKey: "wk", eventsPerSecond: 200, options: options,
                                             logger: quietLogger)
            generator.start()
            try await Task.sleep(for: .milliseconds(1000))
            await generator.stop()
            let sent = generator.stats.eventsSent
            // About 200 events in 1 s; the margins allow for a loaded CI machine.
            #expect(sent > 0 && sent < 1000, "about 200 events/s for 1 s, got \(sent)")
            try await Task.sleep(for: .milliseconds(100))
            #expect(generator.stats.eventsSent == sent)
        }
    }

    @Test func failedBatchesAreCountedNotFatal() async throws {
        var options = Self.options(maxEvents: 2)
        options.timeout = .milliseconds(300)
        let generator = TrafficGenerator(ingestURL: "http://127.0.0.1:9", writeKey: "wk", eventsPerSecond: 100, options: options,
                                         logger: quietLogger)
        await generator.run()
        #expect(generator.stats.batchesFailed >= 1)
        #expect(generator.stats.eventsSent == 0)
        #expect(generator.stats.lastError != nil)
    }
}
