import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SluiceSpec
import Synchronization

/// Sends `SegmentTraffic` to a Segment-compatible ingest API (`POST {ingestURL}/v1/batch`,
/// HTTP Basic with the write key) at about `eventsPerSecond`, in batches, until stopped or a
/// bound is reached. `sluice sandbox --traffic` and `sluice demo` use it.
public final class TrafficGenerator: Sendable {
    public struct Options: Sendable {
        /// Distinct users the traffic comes from.
        public var users = 200
        /// Most messages in one request (segment-analytics-python's default upload size is 100).
        public var maxBatchSize = 100
        /// How often due messages are sent.
        public var flushInterval: Duration = .milliseconds(250)
        /// Stop after this many messages; nil runs until `stop()`.
        public var maxEvents: Int?
        /// Stop after this long; nil runs until `stop()`.
        public var maxDuration: Duration?
        public var seed: UInt64?
        /// Per request.
        public var timeout: Duration = .seconds(10)

        public init() {}
    }

    public struct Stats: Sendable, Equatable {
        public var eventsSent = 0
        public var batchesSent = 0
        /// Requests answered with anything but 200, or not answered.
        public var batchesFailed = 0
        public var eventsByType: [String: Int] = [:]
        public var lastStatus: Int?
        public var lastError: String?
    }

    public let ingestURL: String
    public let eventsPerSecond: Double
    private let writeKey: String
    private let options: Options
    private let client: HTTPClient
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var stats = Stats()
        var task: Task<Void, Never>?
    }

    /// `ingestURL` is the ingest API's root, e.g. `http://127.0.0.1:8088`.
    public init(ingestURL: String, writeKey: String, eventsPerSecond: Double, options: Options = Options(),
                client: HTTPClient = .shared, logger: Logger = Logger(label: "sluice.traffic")) {
        var root = ingestURL
        while root.hasSuffix("/") { root.removeLast() }
        self.ingestURL = root
        self.writeKey = writeKey
        self.eventsPerSecond = max(0, eventsPerSecond)
        self.options = options
        self.client = client
        self.logger = logger
    }

    public var stats: Stats { state.withLock { $0.stats } }

    /// Starts sending in the background; a second call does nothing while it runs.
    public func start() {
        state.withLock { state in
            guard state.task == nil else { return }
            state.task = Task { await self.run() }
        }
    }

    /// Stops sending and waits for the request in flight.
    public func stop() async {
        let task = state.withLock { state -> Task<Void, Never>? in
            defer { state.task = nil }
            return state.task
        }
        task?.cancel()
        await task?.value
    }

    /// Sends until cancelled or a bound in `options` is reached.
    public func run() async {
        var traffic = SegmentTraffic(userCount: options.users, seed: options.seed)
        let clock = ContinuousClock()
        let started = clock.now
        var last = started
        var due = 0.0
        var sent = 0
        // A slow ingest must not build an unbounded backlog: at most two seconds of traffic wait.
        let backlogLimit = max(1, eventsPerSecond * 2)
        while !Task.isCancelled {
            if let limit = options.maxEvents, sent >= limit { return }
            if let limit = options.maxDuration, clock.now - started >= limit { return }
            do { try await Task.sleep(for: options.flushInterval) } catch { return }
            let now = clock.now
            due = min(backlogLimit, due + eventsPerSecond * (now - last).seconds)
            last = now
            var count = Int(due)
            due -= Double(count)
            if let limit = options.maxEvents { count = min(count, limit - sent) }
            while count > 0, !Task.isCancelled {
                let size = min(count, max(1, options.maxBatchSize))
                let timestamp = Date()
                let messages = (0..<size).map { _ in traffic.nextMessage(at: timestamp) }
                await send(messages)
                sent += size
                count -= size
            }
        }
    }

    private func send(_ messages: [JSONObject]) async {
        var request = HTTPClientRequest(url: ingestURL + "/v1/batch")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "analytics-python/2.3.3")
        request.headers.add(name: "Authorization", value: "Basic " + Data((writeKey + ":").utf8).base64EncodedString())
        let body = SegmentTraffic.batchBody(messages, sentAt: Date(), writeKey: writeKey)
        request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(body)))
        var status: Int?
        var failure: String?
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(options.timeout.seconds * 1000)))
            status = Int(response.status.code)
            _ = try? await response.body.collect(upTo: 64 * 1024)
        } catch {
            // stop() cancels the request in flight; that is not the ingest failing.
            if Task.isCancelled { return }
            failure = String(describing: error)
        }
        state.withLock { state in
            state.stats.lastStatus = status
            if status == 200 {
                state.stats.batchesSent += 1
                state.stats.eventsSent += messages.count
                for message in messages { state.stats.eventsByType[message["type"]?.stringValue ?? "?", default: 0] += 1 }
            } else {
                state.stats.batchesFailed += 1
                state.stats.lastError = failure ?? "HTTP \(status ?? 0)"
            }
        }
        if status != 200 {
            // The write key is in the body and the Authorization header; neither is logged.
            logger.warning("ingest batch of \(messages.count) failed: \(failure ?? "HTTP \(status ?? 0)")")
        }
    }
}
